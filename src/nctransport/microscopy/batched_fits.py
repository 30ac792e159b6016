"""Weighted, batched per-frame fits: noise weights, starting values, regions of interest.

The machinery under :func:`nctransport.microscopy.profiles.fit_profiles`, shared by every
profile model. Each frame is scaled to order-one units (positions in pixels, signal divided
by a per-frame scale) and all frames are solved together by
:func:`nctransport.microscopy.batched_lm.batched_lm`:

- noise weights: Poisson (variance = expected counts from reference parameters, refitted
  once where the fit moved by more than a standard error), measured pre-pulse variance, or
  unit weights with the variance estimated from the residual scatter (then the covariance
  is scaled by chi2/dof, as ``curve_fit`` does);
- starting values: robust line moments (:func:`guess_line`) and, for images, 1D fits of the
  two marginals (:func:`guess_image`);
- images: each frame is fitted pixel by pixel only inside a box of ``ROI_SIGMAS`` = 6
  profile widths around the spot; farther pixels (model < exp(-18) of the peak) enter the
  background through precomputed sums, exactly for the constant they are modelled by.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from nctransport.errors import ConfigError
from nctransport.microscopy import profile_models as pm
from nctransport.microscopy.background import BackgroundInfo
from nctransport.microscopy.batched_lm import LMResult, batched_lm, covariance

NOISE_MODES = ("auto", "poisson", "prepulse", "residual")
#: Units that mean photon (or event) counts, hence Poisson noise.
COUNT_UNITS = ("counts", "count", "cts", "photons", "photon")


@dataclass(frozen=True)
class NoiseModel:
    """Resolved noise model in raw (background-subtracted) signal units."""

    kind: str  # poisson | prepulse | residual
    var: float = float("nan")  # prepulse: variance of one pixel of one frame
    offset: np.ndarray | None = None  # poisson: baseline that was subtracted (frame shape)
    offset_var: np.ndarray | None = None  # poisson: variance of that baseline estimate


def resolve_noise(noise: str, units: str, bg: BackgroundInfo) -> NoiseModel:
    """Turn ``noise=`` (``auto``/``poisson``/``prepulse``/``residual``) into a noise model.

    ``auto``: Poisson for signals in counts, else the pre-pulse variance when two or more
    pre-pulse frames measured it, else the residual scatter of each frame's fit.
    """
    if noise not in NOISE_MODES:
        raise ConfigError(f"unknown noise model {noise!r}; expected one of {NOISE_MODES}")
    if noise == "auto":
        if units.strip().lower() in COUNT_UNITS:
            noise = "poisson"
        elif np.isfinite(bg.noise_var) and bg.noise_var > 0:
            noise = "prepulse"
        else:
            noise = "residual"
    if noise == "poisson":
        off = np.asarray(bg.baseline, dtype=float)
        if bg.mode == "pre-pulse" and bg.n_prepulse > 0:
            # The baseline is a mean of n_pre Poisson frames: variance baseline / n_pre.
            off_var = np.clip(off, 0.0, None) / bg.n_prepulse
        else:
            off_var = np.zeros_like(off)
        return NoiseModel("poisson", offset=off, offset_var=off_var)
    if noise == "prepulse":
        if not (np.isfinite(bg.noise_var) and bg.noise_var > 0):
            raise ConfigError("noise 'prepulse' needs at least two frames before t0")
        var = bg.noise_var
        if bg.mode == "pre-pulse":
            var *= 1.0 + 1.0 / bg.n_prepulse  # the subtracted mean carries var / n_pre
        return NoiseModel("prepulse", var=var)
    return NoiseModel("residual")


def inverse_variances(
    noise: NoiseModel, model_raw: np.ndarray | None, mask: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Inverse variances in scaled units (signal / scale) for each pixel of each frame."""
    s2 = (scale**2).reshape((-1,) + (1,) * (mask.ndim - 1))
    if noise.kind == "poisson":
        assert model_raw is not None and noise.offset is not None and noise.offset_var is not None
        var = np.maximum(model_raw + noise.offset, 1.0) + noise.offset_var
        w = s2 / var
    elif noise.kind == "prepulse":
        w = np.broadcast_to(s2 / noise.var, mask.shape)
    else:
        w = np.broadcast_to(s2, mask.shape)
    return np.where(mask, w, 0.0)


@dataclass(frozen=True)
class RawFits:
    """Raw result of a batched fit in scaled units."""

    p: np.ndarray
    cov: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
    converged: np.ndarray
    noise_var: np.ndarray  # per-frame noise variance in raw units (NaN for poisson)
    n_iter: np.ndarray
    kind: str  # noise model used


def frame_scale(d: np.ndarray) -> np.ndarray:
    """Per-frame signal scale: the largest deviation from the frame median (1 if none)."""
    axes = tuple(range(1, d.ndim))
    flat = d.reshape(d.shape[0], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames: scale 1 below
        med = np.median(flat, axis=1) if np.isfinite(flat).all() else np.nanmedian(flat, axis=1)
        med = med.reshape((-1,) + (1,) * (d.ndim - 1))
        s = np.nanmax(np.abs(d - med), axis=axes)
    return np.where(np.isfinite(s) & (s > 0), s, 1.0)


def fit_lines(
    model, d: np.ndarray, scale: np.ndarray, noise: NoiseModel, p0, lo, hi, kernel=None
) -> RawFits:
    """Weighted batched LM of a 1D model on raw data ``d`` ``(n, m)``.

    ``model(p, frames) -> (model (f, m), jacobian (f, m, k))`` in scaled units;
    ``kernel(ds, w, params, frames, H, g, chi2)``, when given, computes the normal
    equations directly (compiled) and ``model`` is then used only for Poisson weights.
    """
    mask = np.isfinite(d)
    ds = np.where(mask, d, 0.0) / scale[:, None]
    k = p0.shape[1]

    def run(p_start: np.ndarray, w: np.ndarray):
        def ne(p: np.ndarray, f: np.ndarray):
            if kernel is not None:
                H = np.empty((f.size, k, k))
                g = np.empty((f.size, k))
                c2 = np.empty(f.size)
                kernel(ds, w, np.ascontiguousarray(p), f, H, g, c2)
                return H, g, c2
            m, J = model(p, f)
            r = ds[f] - m
            wf = w[f]
            Jw = J * wf[..., None]
            return Jw.transpose(0, 2, 1) @ J, np.einsum("fmk,fm->fk", Jw, r), (wf * r * r).sum(1)

        return batched_lm(ne, p_start, lo, hi)

    def model_raw(p: np.ndarray) -> np.ndarray:
        return model(p, np.arange(p.shape[0]))[0] * scale[:, None]

    w = inverse_variances(noise, model_raw(p0) if noise.kind == "poisson" else None, mask, scale)
    w = np.ascontiguousarray(w, dtype=float)
    res = run(p0, w)
    if noise.kind == "poisson" and moved_beyond_errors(res, p0).any():
        # Second pass: Poisson weights from the fitted model instead of the first guess.
        w = np.ascontiguousarray(inverse_variances(noise, model_raw(res.params), mask, scale))
        res = run(res.params, w)
    dof = mask.sum(axis=1) - k
    cov = covariance(res.hessian)
    noise_var = np.full(d.shape[0], np.nan)
    if noise.kind == "residual":
        # Unit weights in raw units: chi2/dof estimates the per-pixel noise variance.
        noise_var = res.chi2 / np.maximum(dof, 1)
        cov = cov * noise_var[:, None, None]
    elif noise.kind == "prepulse":
        noise_var[:] = noise.var
    return RawFits(res.params, cov, res.chi2, dof, res.converged, noise_var, res.n_iter, noise.kind)


def moved_beyond_errors(res, p_ref: np.ndarray) -> np.ndarray:
    """Frames whose fit moved more than one standard error from the weights' reference."""
    err = std_errors(covariance(res.hessian))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(res.params - p_ref) / err
    return ~np.all(z <= 1.0, axis=1)


def merge_refit(res, sub, rows: np.ndarray):
    """``res`` with the frames ``rows`` replaced by the refit ``sub``."""

    out = {}
    for name in ("params", "hessian", "chi2", "converged", "n_iter"):
        a = np.array(getattr(res, name), copy=True)
        a[rows] = getattr(sub, name)
        out[name] = a
    out["n_iter"][rows] += res.n_iter[rows]
    return LMResult(**out)


def box_smooth(d: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along the last axis (NaN pixels ignored), via cumulative sums."""
    if width <= 1:
        return np.nan_to_num(d)
    valid = np.isfinite(d)
    pad = [(0, 0)] * (d.ndim - 1) + [(1, 0)]
    cs = np.pad(np.cumsum(np.where(valid, d, 0.0), axis=-1), pad)
    cn = np.pad(np.cumsum(valid, axis=-1), pad)
    m = d.shape[-1]
    lo = np.clip(np.arange(m) - width // 2, 0, m)
    hi = np.clip(np.arange(m) + width - width // 2, 0, m)
    return (cs[..., hi] - cs[..., lo]) / np.maximum(cn[..., hi] - cn[..., lo], 1)


def guess_line(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Starting values ``A, x0, sigma, B`` (scaled units) from robust moments of each frame.

    B: median of the outer 10 % of pixels; the sign of A is that of the largest smoothed
    deviation from B (so a TAM bleach starts negative); sigma from the number of pixels
    above half of that extremum (FWHM = 2 sqrt(2 ln 2) sigma).
    """
    n, m = d.shape
    edge = max(2, m // 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are flagged later
        b0 = np.nanmedian(np.concatenate([d[:, :edge], d[:, -edge:]], axis=1), axis=1)
    b0 = np.where(np.isfinite(b0), b0, 0.0)
    sm = box_smooth(d - b0[:, None], max(1, min(5, m // 20)))
    i = np.argmax(np.abs(sm), axis=1)
    a0 = sm[np.arange(n), i]
    sgn = np.where(a0 < 0, -1.0, 1.0)
    above = (sm * sgn[:, None]) > 0.5 * np.abs(a0)[:, None]
    dx = np.median(np.diff(x)) if m > 1 else 1.0
    fwhm = above.sum(axis=1) * dx
    span = x[-1] - x[0]
    s0 = np.clip(fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0))), dx, max(span / 2, dx))
    return np.stack([a0, x[i], s0, b0], axis=1)


def axis_scale(x: np.ndarray) -> tuple[float, float]:
    """Centre and pixel pitch used to scale a position axis to order-one pixel units."""
    pitch = float(np.median(np.abs(np.diff(x)))) if x.size > 1 else 1.0
    return float(0.5 * (x[0] + x[-1])), pitch


def std_errors(cov: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.diagonal(cov, axis1=1, axis2=2))


def at_bounds(p: np.ndarray, lo: np.ndarray, hi: np.ndarray, col: int) -> np.ndarray:
    tol = 1e-6 * np.maximum(1.0, np.abs(hi[col] - lo[col]) if np.isfinite(hi[col]) else 1.0)
    return (p[:, col] <= lo[col] + tol) | (p[:, col] >= hi[col] - tol)


def reduced_chi2(fit: RawFits) -> np.ndarray:
    """chi2/dof with the noise-model weights; NaN when the noise came from the residuals."""
    if fit.kind == "residual":
        return np.full(fit.chi2.shape, np.nan)
    return fit.chi2 / np.maximum(fit.dof, 1)


def integrated_data(data: np.ndarray, background: np.ndarray, pixel_area: float) -> np.ndarray:
    """Model-free spatial integral: sum of (frame - fitted constant) times pixel size/area."""
    flat = data.reshape(data.shape[0], -1)
    total = flat.sum(axis=1, dtype=float)
    count = np.full(flat.shape[0], flat.shape[1], dtype=float)
    bad = ~np.isfinite(total)
    if bad.any():
        total[bad] = np.nansum(flat[bad], axis=1, dtype=float)
        count[bad] = np.isfinite(flat[bad]).sum(axis=1)
    return (total - background * count) * pixel_area


def all_finite(data: np.ndarray) -> bool:
    """True when no pixel is NaN (checked frame by frame to avoid a full-size temporary)."""
    return all(np.isfinite(data[i].sum()) for i in range(data.shape[0]))


def image_marginals(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means of a ``(n, ny, nx)`` stack over y ``(n, nx)`` and over x ``(n, ny)``, NaN pixels
    ignored (``np.nanmean``), with float64 sums for float32 data too.

    One pass over the stack, a frame at a time (one float64 frame, no full-size temporary):
    half the time of two ``mean(axis, dtype=float)`` calls, which cast every pixel twice; the
    sums run in the same order, so the values are the same. A frame with a NaN pixel (rare)
    is averaged again by ``np.nanmean``.
    """
    n, ny, nx = data.shape
    over_y = np.empty((n, nx))
    over_x = np.empty((n, ny))
    frame = np.empty((ny, nx))
    for i in range(n):
        frame[...] = data[i]
        over_y[i] = frame.sum(axis=0)
        over_x[i] = frame.sum(axis=1)
    over_y /= ny
    over_x /= nx
    bad = ~(np.isfinite(over_y).all(axis=1) & np.isfinite(over_x).all(axis=1))
    if bad.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
            over_y[bad] = np.nanmean(data[bad], axis=1, dtype=float)
            over_x[bad] = np.nanmean(data[bad], axis=2, dtype=float)
    return over_y, over_x


#: Half-width of the region fitted pixel by pixel, in profile widths (exp(-18) at 6 sigma).
ROI_SIGMAS = 6.0


def roi_boxes(p: np.ndarray, xs: np.ndarray, ys: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Per-frame pixel box ``(y0, y1, x0, x1)`` of half-width ROI_SIGMAS * width."""
    half = ROI_SIGMAS * width
    yc, xc = p[:, 1], p[:, 2]
    with np.errstate(invalid="ignore"):
        roi = np.stack(
            [
                np.searchsorted(ys, yc - half, "left"),
                np.searchsorted(ys, yc + half, "right"),
                np.searchsorted(xs, xc - half, "left"),
                np.searchsorted(xs, xc + half, "right"),
            ],
            axis=1,
        )
    bad = ~(np.isfinite(half) & np.isfinite(yc) & np.isfinite(xc))
    roi[bad] = [0, ys.size, 0, xs.size]
    return roi.astype(np.int64)


#: Below this many pixels a stack is fitted on one thread (thread start-up would dominate).
PARALLEL_MIN_PIXELS = 4_000_000


class ThreadsFor:
    """Context manager: one Numba thread for small stacks, all of them for big ones."""

    def __init__(self, n_pixels: int) -> None:
        self.one = n_pixels < PARALLEL_MIN_PIXELS

    def __enter__(self) -> None:
        import numba

        self.saved = numba.get_num_threads()
        if self.one:
            numba.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import numba

        numba.set_num_threads(self.saved)


def roi_too_small(
    roi: np.ndarray, p: np.ndarray, width: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Frames whose fitted spot reaches within 5 widths of an inner edge of their ROI."""
    reach = 5.0 * width
    y_lo = np.where(roi[:, 0] > 0, ys[np.clip(roi[:, 0], 0, ys.size - 1)], -np.inf)
    y_hi = np.where(roi[:, 1] < ys.size, ys[np.clip(roi[:, 1] - 1, 0, ys.size - 1)], np.inf)
    x_lo = np.where(roi[:, 2] > 0, xs[np.clip(roi[:, 2], 0, xs.size - 1)], -np.inf)
    x_hi = np.where(roi[:, 3] < xs.size, xs[np.clip(roi[:, 3] - 1, 0, xs.size - 1)], np.inf)
    with np.errstate(invalid="ignore"):
        return (
            (p[:, 1] - reach < y_lo)
            | (p[:, 1] + reach > y_hi)
            | (p[:, 2] - reach < x_lo)
            | (p[:, 2] + reach > x_hi)
        )


def fit_images(
    kernel,
    width_of,
    data: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    scale: np.ndarray,
    noise: NoiseModel,
    p0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[RawFits, np.ndarray, np.ndarray]:
    """Batched LM of a 2D model whose normal equations come from a compiled ``kernel``.

    ``width_of(p) -> (n,)`` gives the largest profile width (scaled units) used to size each
    frame's ROI. Returns the fit, each frame's raw total and number of valid pixels.
    """
    n, k = p0.shape
    # float32 images are read as they are (the kernels accumulate in float64)
    data = np.ascontiguousarray(data, dtype=np.float32 if data.dtype == np.float32 else float)
    inv_scale = 1.0 / scale
    frame_shape = data.shape[1:]
    poisson = noise.kind == "poisson"
    if poisson:
        assert noise.offset is not None and noise.offset_var is not None
        # Writable copies: a read-only array would make Numba compile a second signature.
        offset = np.array(np.broadcast_to(noise.offset, frame_shape), dtype=float)
        offset_var = np.array(np.broadcast_to(noise.offset_var, frame_shape), dtype=float)
        wconst = np.zeros(n)
    else:
        offset = np.zeros(frame_shape)
        offset_var = np.zeros(frame_shape)
        var = noise.var if noise.kind == "prepulse" else 1.0
        wconst = scale**2 / var
    outs = np.zeros((n, 3))
    cref = np.zeros(n)
    totals = np.zeros(n)
    counts = np.zeros(n, dtype=np.int64)
    roi = np.zeros((n, 4), dtype=np.int64)

    def prepare(frames: np.ndarray, ref: np.ndarray) -> None:
        """ROI and outside-ROI sums of ``frames`` for reference parameters ``ref``."""
        roi[frames] = roi_boxes(ref, xs, ys, width_of(ref))
        cref[frames] = np.where(np.isfinite(ref[:, -1]), ref[:, -1], 0.0)
        ref_b = np.zeros(n)
        ref_b[frames] = cref[frames]
        pm.outside_sums(
            data,
            frames.astype(np.int64),
            roi,
            inv_scale,
            wconst,
            poisson,
            ref_b,
            offset,
            offset_var,
            cref,
            outs,
            totals,
            counts,
        )

    def run(p_start: np.ndarray, ref: np.ndarray, frames: np.ndarray):
        def ne(p: np.ndarray, f: np.ndarray):
            H = np.empty((f.size, k, k))
            g = np.empty((f.size, k))
            c2 = np.empty(f.size)
            kernel(
                data,
                xs,
                ys,
                np.ascontiguousarray(p),
                frames[f].astype(np.int64),
                inv_scale,
                wconst,
                poisson,
                np.ascontiguousarray(ref[f]),
                offset,
                offset_var,
                roi,
                outs,
                cref,
                H,
                g,
                c2,
            )
            return H, g, c2

        return batched_lm(ne, p_start, lo, hi)

    with ThreadsFor(data.size):
        return _fit_images_run(prepare, run, n, k, p0, xs, ys, roi, width_of, counts, totals, noise)


def _fit_images_run(prepare, run, n, k, p0, xs, ys, roi, width_of, counts, totals, noise):
    every = np.arange(n)
    prepare(every, p0)
    res = run(p0, p0, every)
    # Refit where the spot outgrew its ROI, or (Poisson) where the fit moved more than a
    # standard error from the parameters that set the weights.
    redo = roi_too_small(roi, res.params, width_of(res.params), xs, ys)
    if noise.kind == "poisson":
        redo |= moved_beyond_errors(res, p0)
    if redo.any():
        rows = np.flatnonzero(redo)
        prepare(rows, res.params[rows])
        sub = run(res.params[rows], res.params[rows], rows)
        res = merge_refit(res, sub, rows)
    dof = counts - k
    cov = covariance(res.hessian)
    noise_var = np.full(n, np.nan)
    if noise.kind == "residual":
        noise_var = res.chi2 / np.maximum(dof, 1)
        cov = cov * noise_var[:, None, None]
    elif noise.kind == "prepulse":
        noise_var[:] = noise.var
    fit = RawFits(res.params, cov, res.chi2, dof, res.converged, noise_var, res.n_iter, noise.kind)
    return fit, totals, counts.astype(float)


def guess_image(
    data: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start ``A, y0, x0, sigma_y, sigma_x, B`` (raw signal, scaled axes) from the marginals.

    The mean over y of ``A gx(x) gy(y) + B`` is ``B + A sqrt(2 pi) sigma_y / (ny dy) gx(x)``:
    1D Gaussian fits of both marginals (batched, unweighted) give centre, per-axis width,
    and the peak height once that factor is divided out.
    """
    n, ny, nx = data.shape
    out = []
    for marg, pos in zip(image_marginals(data), (xs, ys), strict=True):
        sc = frame_scale(marg)
        p0 = guess_line(marg / sc[:, None], pos)
        span = pos[-1] - pos[0]
        lo = np.array([-np.inf, pos[0], 0.25, -np.inf])
        hi = np.array([np.inf, pos[-1], span, np.inf])
        fit = fit_lines(
            lambda p, f, pos=pos: pm.gaussian1d(p, pos),
            marg,
            sc,
            NoiseModel("residual"),
            p0,
            lo,
            hi,
            kernel=lambda *a, pos=pos: pm.gaussian1d_normal_eq(a[0], a[1], pos, *a[2:]),
        )
        p = fit.p.copy()
        p[:, 0] *= sc
        p[:, 3] *= sc
        out.append(p)
    px, py = out
    dys = float(np.median(np.diff(ys))) if ny > 1 else 1.0
    dxs = float(np.median(np.diff(xs))) if nx > 1 else 1.0
    root2pi = np.sqrt(2 * np.pi)
    a_from_x = px[:, 0] * ny * dys / (root2pi * py[:, 2])
    a_from_y = py[:, 0] * nx * dxs / (root2pi * px[:, 2])
    A0 = 0.5 * (a_from_x + a_from_y)
    B0 = 0.5 * (px[:, 3] + py[:, 3])
    start = np.stack([A0, py[:, 1], px[:, 1], py[:, 2], px[:, 2], B0], axis=1)
    return start, px, py


def stack_axes(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Both axes in units of the x pixel pitch (so an isotropic width stays isotropic)."""
    xc, pitch = axis_scale(x)
    yc, _ = axis_scale(y)
    return (x - xc) / pitch, (y - yc) / pitch, xc, yc, pitch
