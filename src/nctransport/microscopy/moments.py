"""Model-free profile width: windowed, background-subtracted second central moment.

For a profile ``s(x)`` (signal minus background) the per-axis variance is
``m2 = sum s (x - m1)^2 / sum s`` with ``m1 = sum s x / sum s``; for an image the per-axis
variance is half the radial one, ``m2 = sum s r^2 / (2 sum s)`` (docs/science.md: <r^2> = 2
sigma^2 for an isotropic 2D cloud). No shape is assumed, which is why Li 2023's
non-Gaussian early profiles can still be given a width.

Noise in the wings enters ``m2`` with weight ``(x - m1)^2``, so an unbounded sum is
dominated by far-away noise and by any background error. The sums therefore run over a
window ``|x - m1| <= k sqrt(m2)`` (``k = window_sigmas``, default 4), iterated to
self-consistency from a Gaussian fit's centre and width. The window costs a Gaussian 0.11 %
of its variance in 1D (``1 - 2 k phi(k) / (2 Phi(k) - 1)`` at k = 4) and 0.13 % in 2D;
heavier-tailed profiles lose more (state the window when comparing). A window reaching
beyond the field of view truncates the moment further; such frames are marked ``clipped``
(and flagged by :func:`~nctransport.microscopy.profiles.fit_profiles`). The background is the
mean of the pixels outside the window (or the fitted constant when too few lie outside).

Errors are propagated linearly from independent per-pixel noise:
``d m2 / d s_i = (u_i^2 - m2) / S`` (``S = sum s``; the centroid term vanishes at m1) and
``d m2 / d B = -sum_window (u_i^2 - m2) / S`` for the background estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nctransport.microscopy.profile_models import _FAST, lazy_njit

#: Window half-width in units of the profile's own RMS width.
WINDOW_SIGMAS = 4.0
#: Fewer pixels than this outside the window: use the fitted background instead.
MIN_OUTSIDE_PIXELS = 8
#: Frames are processed in batches of about this many pixels (memory bound).
CHUNK_PIXELS = 2_000_000


@dataclass(frozen=True)
class Moments:
    """Per-frame moment widths (arrays over frames, coordinates in the input units)."""

    sigma: np.ndarray
    sigma_err: np.ndarray
    center: np.ndarray  # (n,) or (n, 2) [y, x]
    total: np.ndarray  # sum of the background-subtracted window (signal units, signed)
    total_err: np.ndarray
    background: np.ndarray
    background_err: np.ndarray
    kurtosis_excess: np.ndarray  # windowed; 0 for a Gaussian (1D) / 2D Gaussian (radial)
    kurtosis_excess_err: np.ndarray
    clipped: np.ndarray  # the window reaches beyond the field of view (moment truncated)
    ok: np.ndarray


def windowed_moments(
    frames: np.ndarray,
    coords: tuple[np.ndarray, ...],
    center: np.ndarray,
    width: np.ndarray,
    background: np.ndarray,
    noise_var: np.ndarray | float | Callable[[int], np.ndarray],
    *,
    window_sigmas: float = WINDOW_SIGMAS,
    n_iter: int = 4,
) -> Moments:
    """Second moments of each frame within a self-consistent window.

    Parameters
    ----------
    frames
        ``(n, m)`` line profiles or ``(n, ny, nx)`` images (already baseline-subtracted).
    coords
        ``(x,)`` or ``(y, x)`` pixel coordinates.
    center, width, background
        Starting centre (``(n,)`` or ``(n, 2)``), width and background per frame (e.g. from a
        Gaussian fit).
    noise_var
        Per-pixel noise variance: scalar, ``(n,)`` per frame, an array shaped like
        ``frames``, or a callable ``i -> variance of frame i`` (Poisson: expected counts).
    window_sigmas
        Window half-width in RMS widths.
    n_iter
        Window/centre/width iterations.

    Examples
    --------
    A triangle of half-width 3 has variance 9/6 = 1.5 (sigma 1.2247):

    >>> x = np.linspace(-10, 10, 2001); tri = np.clip(3 - np.abs(x), 0, None)[None]
    >>> m = windowed_moments(tri, (x,), np.zeros(1), np.ones(1), np.zeros(1), 1e-6)
    >>> round(float(m.sigma[0]), 4)
    1.2247
    """
    frames = np.asarray(frames)
    n = frames.shape[0]
    two_d = frames.ndim == 3
    if not two_d:  # images are converted one at a time (below)
        frames = np.asarray(frames, dtype=float)
    if two_d:
        yy, xx = np.meshgrid(coords[0], coords[1], indexing="ij")
        pos = [yy.ravel(), xx.ravel()]
    else:
        pos = [np.asarray(coords[0], dtype=float)]
    n_pix = pos[0].size
    flat = frames.reshape(n, n_pix)
    cen = np.asarray(center, dtype=float).reshape(n, -1)
    nv = None if callable(noise_var) else np.asarray(noise_var, dtype=float)
    parts = []
    chunk = max(1, CHUNK_PIXELS // n_pix)
    if two_d:  # images: each frame on a box around its window (see _image_moments)
        parts = [
            _image_moments(
                frames[i],  # as stored (float32 stays): only the box is converted
                _frame_var(noise_var, nv, i, frames.shape[1:]),
                (np.asarray(coords[0], float), np.asarray(coords[1], float)),
                cen[i],
                float(np.asarray(width, float)[i]),
                float(np.asarray(background, float)[i]),
                window_sigmas,
                n_iter,
            )
            for i in range(n)
        ]
        chunk = n + 1  # nothing left for the generic loop below
    for start in range(0, n if not two_d else 0, chunk):
        sl = slice(start, min(n, start + chunk))
        rows = np.arange(n)[sl]
        if callable(noise_var):
            var = np.stack([np.asarray(noise_var(i), dtype=float).ravel() for i in rows])
        elif nv.ndim == 0:
            var = np.full((rows.size, n_pix), float(nv))
        elif nv.ndim == 1:
            var = np.repeat(nv[sl, None], n_pix, axis=1)
        else:
            var = nv[sl].reshape(rows.size, n_pix)
        parts.append(
            _moments_batch(
                flat[sl],
                var,
                pos,
                cen[sl],
                np.asarray(width, float)[sl],
                np.asarray(background, float)[sl],
                window_sigmas,
                n_iter,
                two_d,
            )
        )
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "left_box"}
    low = [c.min() for c in pos]
    high = [c.max() for c in pos]
    half = window_sigmas * cat["sigma"]
    clipped = np.zeros(n, dtype=bool)
    for d in range(len(pos)):
        with np.errstate(invalid="ignore"):
            clipped |= (cat["center"][:, d] - half < low[d]) | (
                cat["center"][:, d] + half > high[d]
            )
    return Moments(
        sigma=cat["sigma"],
        sigma_err=cat["sigma_err"],
        center=cat["center"] if two_d else cat["center"][:, 0],
        total=cat["total"],
        total_err=cat["total_err"],
        background=cat["background"],
        background_err=cat["background_err"],
        kurtosis_excess=cat["kurt"],
        kurtosis_excess_err=cat["kurt_err"],
        clipped=clipped,
        ok=np.isfinite(cat["sigma"]) & np.isfinite(cat["sigma_err"]),
    )


#: A frame's box reaches this many window half-widths (plus BOX_PAD pixels) from the
#: starting centre; a window that outgrows it is recomputed on the whole frame.
BOX_MARGIN = 1.15
BOX_PAD = 3


class _GaussianFrameVariance:
    """Poisson variance of one isotropic-Gaussian frame given by its parameters
    ``(A, B, sigma, cy, cx, offset, offset_var)``: :func:`_image_moments` evaluates it
    inside one compiled pass (:func:`_frame_var_pass`) instead of as a full image."""

    def __init__(self, params: tuple) -> None:
        self.params = params

    def evaluate(self, img: np.ndarray, y: np.ndarray, x: np.ndarray, iy: slice, ix: slice):
        """``(box variance, (sum of valid img, valid count, sum of valid variance))``."""
        ny, nx = img.shape
        y0, y1, _ = iy.indices(ny)
        x0, x1, _ = ix.indices(nx)
        box = np.empty((max(y1 - y0, 0), max(x1 - x0, 0)))
        tot = np.zeros(3)
        A, B, s, cy, cx, off, ov = self.params
        _frame_var_pass(img, y, x, A, B, s, cy, cx, off, ov, y0, y1, x0, x1, box, tot)
        return box, (float(tot[0]), int(tot[1]), float(tot[2]))


def _frame_var(noise_var: Any, nv: np.ndarray | None, i: int, shape: tuple[int, ...]):
    if len(shape) == 2 and hasattr(noise_var, "gaussian_frame"):
        return _GaussianFrameVariance(noise_var.gaussian_frame(i))
    if callable(noise_var):
        return np.asarray(noise_var(i), dtype=float).reshape(shape)
    if nv.ndim == 0:
        return float(nv)
    if nv.ndim == 1:
        return float(nv[i])
    return nv[i]


def _image_moments(
    img: np.ndarray,
    var: Any,
    coords: tuple[np.ndarray, np.ndarray],
    c: np.ndarray,
    w: float,
    b: float,
    k: float,
    n_iter: int,
) -> dict[str, np.ndarray]:
    """Moments of one image computed on a box around its window, not the whole frame.

    The background (mean of the pixels outside the window) needs sums over the whole
    frame; they are taken once (``sum outside = sum frame - sum inside``), so only the box
    is touched in the iterations. Same numbers as the whole-frame computation (up to
    rounding); a window that leaves the box falls back to the whole frame.
    """
    y, x = coords
    box = None
    if np.all(np.isfinite(c)) and math.isfinite(w) and w > 0:
        half = BOX_MARGIN * k * w
        iy = slice(max(0, int(np.searchsorted(y, c[0] - half)) - BOX_PAD),
                   int(np.searchsorted(y, c[0] + half, "right")) + BOX_PAD)  # fmt: skip
        ix = slice(max(0, int(np.searchsorted(x, c[1] - half)) - BOX_PAD),
                   int(np.searchsorted(x, c[1] + half, "right")) + BOX_PAD)  # fmt: skip
        box = (iy, ix)
    if isinstance(var, _GaussianFrameVariance):  # totals and the box's variance in one pass
        iy, ix = box if box is not None else (slice(None), slice(None))
        box_var, totals = var.evaluate(img, y, x, iy, ix)
        full_var = box_var if box is None else None
    else:
        box_var = None
        full_var = np.broadcast_to(var, img.shape) if np.ndim(var) == 0 else var
        valid = np.isfinite(img)
        totals = (
            float(np.sum(img, where=valid, dtype=float)),  # float64 sum of float32 pixels
            int(valid.sum()),
            float(np.where(valid, full_var, 0.0).sum()),
        )
    for attempt in (box, None):
        iy, ix = attempt if attempt is not None else (slice(None), slice(None))
        if attempt is None and full_var is None:  # the window left its box: whole frame
            full_var, _ = var.evaluate(img, y, x, iy, ix)
        if attempt is not None:  # the usual case: one fused pass per step (Numba)
            out = _box_moments(
                np.ascontiguousarray(img[iy, ix], dtype=float),
                np.ascontiguousarray(
                    box_var
                    if box_var is not None
                    else np.broadcast_to(full_var, img.shape)[iy, ix],
                    dtype=float,
                ),
                np.ascontiguousarray(y[iy], dtype=float),
                np.ascontiguousarray(x[ix], dtype=float),
                np.asarray(c, dtype=float),
                w,
                b,
                k,
                n_iter,
                totals,
            )
            if not out.pop("left_box")[0]:
                return out
            continue
        yy, xx = np.meshgrid(y[iy], x[ix], indexing="ij")
        out = _moments_batch(
            np.asarray(img[iy, ix], dtype=float).reshape(1, -1),
            np.asarray(full_var[iy, ix], dtype=float).reshape(1, -1),
            [yy.ravel(), xx.ravel()],
            np.asarray(c, dtype=float).reshape(1, 2),
            np.array([w]),
            np.array([b]),
            k,
            n_iter,
            True,
            totals=totals if attempt is not None else None,
            extent=(yy.min(), yy.max(), xx.min(), xx.max()) if attempt is not None else None,
        )
        if not out.pop("left_box")[0]:
            return out
    return out


def _moments_batch(
    d: np.ndarray,
    var: np.ndarray,
    pos: list[np.ndarray],
    c: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    k: float,
    n_iter: int,
    two_d: bool,
    *,
    totals: tuple[float, int, float] | None = None,
    extent: tuple[float, float, float, float] | None = None,
) -> dict[str, np.ndarray]:
    """Vectorised moments of a batch of frames ``d`` ``(b, P)`` (pixels flattened).

    With ``totals`` (sum, valid count and variance sum of one whole frame) ``d`` is a box
    of that frame whose coordinate ``extent`` (y0, y1, x0, x1) is given: pixels outside it
    count as outside the window, and ``left_box`` says when a window did not fit in it.
    """
    nb = d.shape[0]
    left_box = np.zeros(nb, dtype=bool)
    valid = np.isfinite(d)
    d0 = np.where(valid, d, 0.0)
    good = np.all(np.isfinite(c), axis=1) & np.isfinite(w) & (w > 0) & np.isfinite(b)
    c = np.where(good[:, None], c, 0.0)
    w = np.where(good, w, 1.0)
    b = np.where(good, b, 0.0)
    b_var = np.zeros(nb)

    def radius2(cc: np.ndarray) -> np.ndarray:
        return sum((p[None, :] - cc[:, j : j + 1]) ** 2 for j, p in enumerate(pos))

    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(n_iter):
            r2 = radius2(c)
            inside = valid & (r2 <= (k * w[:, None]) ** 2)
            if totals is None:
                outside = valid & ~inside
                n_out = outside.sum(axis=1)
                out_sum = (d0 * outside).sum(axis=1)
                out_var = (var * outside).sum(axis=1)
            else:  # one frame's box: outside sums = whole frame - inside
                half = k * w
                left_box |= (
                    (c[:, 0] - half < extent[0]) | (c[:, 0] + half > extent[1])
                    | (c[:, 1] - half < extent[2]) | (c[:, 1] + half > extent[3])
                ) & good  # fmt: skip
                n_out = totals[1] - inside.sum(axis=1)
                out_sum = totals[0] - (d0 * inside).sum(axis=1)
                out_var = totals[2] - (var * inside).sum(axis=1)
            use = n_out >= MIN_OUTSIDE_PIXELS
            b = np.where(use, out_sum / np.maximum(n_out, 1), b)
            b_var = np.where(use, out_var / np.maximum(n_out, 1) ** 2, b_var)
            s = np.where(inside, d0 - b[:, None], 0.0)
            tot = s.sum(axis=1)
            good &= np.isfinite(tot) & (tot != 0) & (inside.sum(axis=1) >= 3)
            tot = np.where(good, tot, 1.0)
            c = np.stack([(s * p[None, :]).sum(axis=1) / tot for p in pos], axis=1)
            r2 = radius2(c)
            q = r2 / 2.0 if two_d else r2  # per-axis squared distance
            m2 = (s * q).sum(axis=1) / tot
            good &= m2 > 0
            w = np.where(good, np.sqrt(np.abs(m2)), 1.0)
        # Linear error propagation (module docstring).
        dm2 = np.where(inside, (q - m2[:, None]) / tot[:, None], 0.0)
        m2_var = (dm2**2 * var).sum(axis=1) + b_var * dm2.sum(axis=1) ** 2
        # Excess kurtosis: 1D m4/m2^2 - 3; 2D radial <r^4>/<r^2>^2 - 2 (0 for a Gaussian).
        r2m = (s * r2).sum(axis=1) / tot
        r4m = (s * r2 * r2).sum(axis=1) / tot
        kurt = r4m / r2m**2 - (2.0 if two_d else 3.0)
        a, bb = r2m[:, None], r4m[:, None]
        dk = np.where(
            inside,
            (r2 * r2 - bb) / (tot[:, None] * a**2) - 2 * bb * (r2 - a) / (tot[:, None] * a**3),
            0.0,
        )
        kurt_var = (dk**2 * var).sum(axis=1) + b_var * dk.sum(axis=1) ** 2
        n_in = inside.sum(axis=1)
        out = {
            "sigma": w,
            "sigma_err": np.sqrt(m2_var) / (2.0 * w),
            "center": c,
            "total": tot,
            "total_err": np.sqrt((var * inside).sum(axis=1) + b_var * n_in**2),
            "background": b,
            "background_err": np.sqrt(b_var),
            "kurt": kurt,
            "kurt_err": np.sqrt(kurt_var),
        }
    for key, val in out.items():
        out[key] = np.where(good[:, None] if val.ndim == 2 else good, val, np.nan)
    out["left_box"] = left_box
    return out


_BOX_KEYS = ("sigma", "sigma_err", "total", "total_err", "background", "background_err",
             "kurt", "kurt_err")  # fmt: skip


def _box_moments(
    d: np.ndarray,
    var: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    c: np.ndarray,
    w: float,
    b: float,
    k: float,
    n_iter: int,
    totals: tuple[float, int, float],
) -> dict[str, np.ndarray]:
    """:func:`_moments_batch` for one image box (``totals`` of the whole frame), computed by
    :func:`_box_moments_kernel`: the same steps, each one pass over the box instead of a
    dozen full-box NumPy temporaries (sums in another order: equal to rounding)."""
    res = np.empty(11)
    _box_moments_kernel(
        d, var, y, x, float(c[0]), float(c[1]), float(w), float(b), float(k), int(n_iter),
        float(totals[0]), float(totals[1]), float(totals[2]), MIN_OUTSIDE_PIXELS, res,
    )  # fmt: skip
    good = res[10] > 0
    nan = math.nan
    out = {key: np.array([res[i] if good else nan]) for i, key in enumerate(_BOX_KEYS)}
    out["center"] = np.array([[res[8], res[9]] if good else [nan, nan]])
    out["left_box"] = np.array([res[10] < 0 or (res[10] > 1)])
    return out


def _box_moments_kernel_py(
    d, var, y, x, cy, cx, w, b, k, n_iter, t_sum, t_n, t_var, min_out, res
):  # pragma: no cover - compiled
    """Kernel of :func:`_box_moments` (see :func:`_moments_batch` for the steps).

    ``res`` receives sigma, sigma_err, total, total_err, background, background_err,
    kurtosis, its error, centre y, x and a flag: 0 bad, 1 good, 2 good but the window
    left the box, -1 bad and the window left the box.
    """
    ny, nx = d.shape
    ext0, ext1, ext2, ext3 = y[0], y[ny - 1], x[0], x[nx - 1]
    for i in range(ny):  # extent = min/max of the box coordinates
        ext0 = min(ext0, y[i])
        ext1 = max(ext1, y[i])
    for j in range(nx):
        ext2 = min(ext2, x[j])
        ext3 = max(ext3, x[j])
    good = np.isfinite(cy) and np.isfinite(cx) and np.isfinite(w) and w > 0 and np.isfinite(b)
    if not good:
        cy = 0.0
        cx = 0.0
        w = 1.0
        b = 0.0
    left = False
    b_var = 0.0
    tot = 1.0
    m2 = 0.0
    ocy = cy
    ocx = cx
    ow = w
    for _ in range(n_iter):
        ocy, ocx, ow = cy, cx, w  # the window of this step
        lim = (k * ow) * (k * ow)
        half = k * ow
        if good and (cy - half < ext0 or cy + half > ext1 or cx - half < ext2 or cx + half > ext3):
            left = True
        n_in = 0
        s_in = 0.0
        v_in = 0.0
        for i in range(ny):
            dy = y[i] - ocy
            for j in range(nx):
                v = d[i, j]
                if v == v:
                    dx = x[j] - ocx
                    if dy * dy + dx * dx <= lim:
                        n_in += 1
                        s_in += v
                        v_in += var[i, j]
        n_out = t_n - n_in
        if n_out >= min_out:
            nn = max(n_out, 1.0)
            b = (t_sum - s_in) / nn
            b_var = (t_var - v_in) / (nn * nn)
        tot = 0.0
        sy = 0.0
        sx = 0.0
        for i in range(ny):
            dy = y[i] - ocy
            for j in range(nx):
                v = d[i, j]
                if v == v:
                    dx = x[j] - ocx
                    if dy * dy + dx * dx <= lim:
                        sv = v - b
                        tot += sv
                        sy += sv * y[i]
                        sx += sv * x[j]
        if not (np.isfinite(tot) and tot != 0 and n_in >= 3):
            good = False
        if not good:
            tot = 1.0
        cy = sy / tot
        cx = sx / tot
        acc = 0.0
        for i in range(ny):
            dy0 = y[i] - ocy
            dy = y[i] - cy
            for j in range(nx):
                v = d[i, j]
                if v == v:
                    dx0 = x[j] - ocx
                    if dy0 * dy0 + dx0 * dx0 <= lim:
                        dx = x[j] - cx
                        acc += (v - b) * ((dy * dy + dx * dx) / 2.0)
        m2 = acc / tot
        if not m2 > 0:
            good = False
        w = math.sqrt(abs(m2)) if good else 1.0
    # Linear error propagation over the last step's window (centre cy, cx after it).
    lim = (k * ow) * (k * ow)
    r2s = 0.0
    r4s = 0.0
    sdm = 0.0
    sdm2v = 0.0
    v_in = 0.0
    n_in = 0
    for i in range(ny):
        dy0 = y[i] - ocy
        dy = y[i] - cy
        for j in range(nx):
            v = d[i, j]
            if v == v:
                dx0 = x[j] - ocx
                if dy0 * dy0 + dx0 * dx0 <= lim:
                    dx = x[j] - cx
                    r2 = dy * dy + dx * dx
                    sv = v - b
                    r2s += sv * r2
                    r4s += sv * r2 * r2
                    dm = (r2 / 2.0 - m2) / tot
                    sdm += dm
                    sdm2v += dm * dm * var[i, j]
                    v_in += var[i, j]
                    n_in += 1
    r2m = r2s / tot
    r4m = r4s / tot
    sdk = 0.0
    sdk2v = 0.0
    for i in range(ny):
        dy0 = y[i] - ocy
        dy = y[i] - cy
        for j in range(nx):
            v = d[i, j]
            if v == v:
                dx0 = x[j] - ocx
                if dy0 * dy0 + dx0 * dx0 <= lim:
                    dx = x[j] - cx
                    r2 = dy * dy + dx * dx
                    dk = (r2 * r2 - r4m) / (tot * r2m * r2m) - 2.0 * r4m * (r2 - r2m) / (
                        tot * r2m * r2m * r2m
                    )
                    sdk += dk
                    sdk2v += dk * dk * var[i, j]
    m2_var = sdm2v + b_var * sdm * sdm
    kurt_var = sdk2v + b_var * sdk * sdk
    res[0] = w
    res[1] = math.sqrt(m2_var) / (2.0 * w)
    res[2] = tot
    res[3] = math.sqrt(v_in + b_var * n_in * n_in)
    res[4] = b
    res[5] = math.sqrt(b_var)
    res[6] = r4m / (r2m * r2m) - 2.0
    res[7] = math.sqrt(kurt_var)
    res[8] = cy
    res[9] = cx
    if good:
        res[10] = 2.0 if left else 1.0
    else:
        res[10] = -1.0 if left else 0.0


# fastmath: the window sums may be reassociated (vectorised); NaN tests stay exact.
_box_moments_kernel = lazy_njit(cache=True, error_model="numpy", fastmath=_FAST)(
    _box_moments_kernel_py
)


def _frame_var_pass_py(
    img, y, x, A, B, s, cy, cx, off, ov, y0, y1, x0, x1, box, tot
):  # pragma: no cover - compiled
    """One pass over a frame: ``tot`` = (sum of valid pixels, their number, sum of their
    Poisson variance ``max(A gy gx + B + off, 1) + ov``, the model as
    :func:`~nctransport.microscopy.profiles.evaluate_model` writes it) and the variance of
    the box ``[y0:y1, x0:x1]`` into ``box``."""
    ny, nx = img.shape
    inv = -0.5 / (s * s)
    gx = np.empty(nx)
    for j in range(nx):
        d = x[j] - cx
        gx[j] = np.exp(d * d * inv)
    v = np.empty(nx)
    s_img = 0.0
    n = 0
    s_var = 0.0
    for i in range(ny):
        d = y[i] - cy
        gy = np.exp(d * d * inv)
        row = img[i]
        orow = off[i]
        vrow = ov[i]
        # Branch-free loops over whole rows, stores and sums apart (LLVM vectorises
        # neither a loop that does both nor a conditional store); then the box is copied.
        for j in range(nx):
            v[j] = max(A * (gy * gx[j]) + B + orow[j], 1.0) + vrow[j]
        for j in range(nx):
            p = row[j]
            ok = p == p
            s_img += p if ok else 0.0
            n += ok
            s_var += v[j] if ok else 0.0
        if y0 <= i < y1:
            for j in range(x1 - x0):
                box[i - y0, j] = v[x0 + j]
    tot[0] = s_img
    tot[1] = n
    tot[2] = s_var


_frame_var_pass = lazy_njit(cache=True, error_model="numpy", fastmath=_FAST)(_frame_var_pass_py)
