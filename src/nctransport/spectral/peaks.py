"""Per-frame peak position, width and amplitude of a spectral feature, with errors.

Two estimators, both on a photon-energy axis (eV):

* ``gaussian`` (default): ``S(E) = A exp(-(E - E0)^2 / (2 w^2)) + B`` fitted to every
  frame at once by a vectorised Levenberg-Marquardt (all frames iterate together as
  batched 4x4 normal equations). Errors are the square roots of the diagonal of
  ``s^2 (J^T J)^-1`` with ``s^2 = RSS / (n - 4)`` (the usual least-squares covariance).
* ``centroid``: first and second moments of the baseline-subtracted feature in the
  window; errors propagate a white-noise level estimated from point-to-point differences.

Sign: a bleach is a negative feature, PL and photo-induced absorption (PIA) positive
(Liu 2021, Fig. 2d: GSB and PIA bands of the same TA map). ``sign`` overrides this for data
recorded with the other convention (Delta T/T, where a bleach is positive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage, special

from nctransport.errors import FitError, InputError

Mode = Literal["bleach", "pl", "pia"]
Method = Literal["gaussian", "centroid"]
MODES: tuple[str, ...] = ("bleach", "pl", "pia")
_SQRT_2PI = np.sqrt(2.0 * np.pi)


def feature_sign(mode: str, sign: int | None = None) -> int:
    """+1 for a positive feature, -1 for a negative one (bleach), unless ``sign`` is given."""
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if sign is not None:
        if sign not in (-1, 1):
            raise InputError(f"sign must be -1 or +1, got {sign!r}")
        return int(sign)
    return -1 if mode == "bleach" else 1


@dataclass(frozen=True)
class FramePeaks:
    """Peak parameters of every frame (energies in eV; amplitude in the signal's unit).

    ``amplitude`` carries the sign of the feature in the data (negative for a bleach).
    ``width_eV`` is the Gaussian standard deviation (FWHM = 2.3548 w). ``valid`` is
    ``converged`` and an amplitude at least ``snr_min`` times its error.
    """

    method: str
    t_s: np.ndarray
    energy_eV: np.ndarray
    energy_err_eV: np.ndarray
    width_eV: np.ndarray
    width_err_eV: np.ndarray
    amplitude: np.ndarray
    amplitude_err: np.ndarray
    baseline: np.ndarray
    converged: np.ndarray
    valid: np.ndarray

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "t_ps": self.t_s * 1e12,
            "energy_eV": self.energy_eV,
            "energy_err_eV": self.energy_err_eV,
            "width_meV": self.width_eV * 1e3,
            "width_err_meV": self.width_err_eV * 1e3,
            "amplitude": self.amplitude,
            "amplitude_err": self.amplitude_err,
            "baseline": self.baseline,
            "converged": self.converged,
            "valid": self.valid,
        }


def gaussian(e: np.ndarray, a, e0, w, b) -> np.ndarray:
    """``a exp(-(e - e0)^2 / (2 w^2)) + b`` (broadcasting)."""
    return a * np.exp(-0.5 * ((e - e0) / w) ** 2) + b


def _noise_level(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """White-noise std per frame from point-to-point differences (robust: MAD)."""
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        d = np.diff(y[i][mask[i]])
        out[i] = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0) if d.size else np.nan
    return out


def _smooth(y: np.ndarray, k: int = 5) -> np.ndarray:
    if y.shape[1] < k:
        return y
    return ndimage.uniform_filter1d(y, size=k, axis=1, mode="nearest")


def _initial_guess(e: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Starting (A, E0, w, B) per frame for a positive feature ``ys`` (NaN-free)."""
    n = e.size
    edge = max(2, n // 10)
    b0 = 0.5 * (np.median(ys[:, :edge], axis=1) + np.median(ys[:, -edge:], axis=1))
    sm = _smooth(ys)
    imax = np.argmax(sm, axis=1)
    a0 = np.maximum(sm[np.arange(ys.shape[0]), imax] - b0, 1e-300)
    e0 = e[imax]
    span = e[-1] - e[0]
    de = np.gradient(e)
    area = np.sum(np.clip(ys - b0[:, None], 0.0, None) * de, axis=1)
    w0 = np.clip(area / (a0 * _SQRT_2PI), 2.0 * np.min(de), span / 2.0)
    return np.column_stack([a0, e0, w0, b0])


def _batched_lm(
    e: np.ndarray, y: np.ndarray, mask: np.ndarray, p: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Levenberg-Marquardt on every frame at once. Returns (p, cov, rss, converged).

    Each iteration solves the damped normal equations of all still-active frames as one
    batched 4x4 solve; a frame stops when its cost no longer changes (converged) or its
    damping runs away (not converged).
    """
    nf = y.shape[0]
    m = mask.astype(float)
    lam = np.full(nf, 1e-3)
    converged = np.zeros(nf, dtype=bool)
    eye = np.eye(4)

    def resid_jac(p, idx):
        a, e0, w, b = (p[:, k : k + 1] for k in range(4))
        u = (e[None, :] - e0) / w
        g = np.exp(-0.5 * u**2)
        r = (y[idx] - (a * g + b)) * m[idx]
        jac = np.stack([g, a * g * u / w, a * g * u**2 / w, np.ones_like(g)], axis=-1)
        return r, jac * m[idx][..., None]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        r, jac = resid_jac(p, np.arange(nf))
        cost = np.sum(r**2, axis=1)
        active = np.arange(nf)
        for _ in range(max_iter):
            if active.size == 0:
                break
            ja, ra, pa = jac[active], r[active], p[active]
            jtj = np.matmul(ja.transpose(0, 2, 1), ja)
            g = np.matmul(ja.transpose(0, 2, 1), ra[..., None])[..., 0]
            diag = np.maximum(np.einsum("fii->fi", jtj), 1e-300)
            a_mat = jtj + lam[active, None, None] * diag[:, :, None] * eye
            try:
                step = np.linalg.solve(a_mat, g[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.stack(
                    [np.linalg.lstsq(a_mat[i], g[i], rcond=None)[0] for i in range(active.size)]
                )
            p_new = pa + step
            p_new[:, 2] = np.abs(p_new[:, 2])
            r_new, jac_new = resid_jac(p_new, active)
            cost_new = np.sum(r_new**2, axis=1)
            c_old = cost[active]
            better = np.isfinite(cost_new) & (cost_new <= c_old)
            rel = np.abs(c_old - cost_new) / np.maximum(c_old, 1e-300)
            small = np.max(np.abs(step) / (np.abs(pa) + 1e-12), axis=1)
            upd = active[better]
            p[upd], r[upd], jac[upd], cost[upd] = (
                p_new[better],
                r_new[better],
                jac_new[better],
                cost_new[better],
            )
            lam[active] = np.where(better, lam[active] / 3.0, lam[active] * 4.0)
            # Converged: the cost no longer changes (whether or not the step was taken).
            newly = np.isfinite(cost_new) & ((rel < 1e-10) | (better & (small < 1e-9)))
            converged[active[newly]] = True
            stop = newly | (lam[active] > 1e12)
            active = active[~stop]
        jtj = np.matmul(jac.transpose(0, 2, 1), jac)
    dof = np.maximum(mask.sum(axis=1) - 4, 1)
    scale = (cost / dof)[:, None, None]
    try:
        cov = np.linalg.inv(jtj) * scale
    except np.linalg.LinAlgError:  # some frame singular: invert one by one
        cov = np.full((nf, 4, 4), np.nan)
        for i in range(nf):
            try:
                cov[i] = np.linalg.inv(jtj[i]) * scale[i]
            except np.linalg.LinAlgError:
                converged[i] = False
    return p, cov, cost, converged


def fit_peaks(
    energy_eV: np.ndarray,
    signal: np.ndarray,
    t_s: np.ndarray | None = None,
    *,
    mode: Mode = "bleach",
    method: Method = "gaussian",
    sign: int | None = None,
    window_eV: tuple[float, float] | None = None,
    snr_min: float = 3.0,
) -> FramePeaks:
    """Peak energy, width and amplitude of one feature in every frame.

    Parameters
    ----------
    energy_eV
        Spectral axis in eV, shape ``(n,)``, strictly monotonic.
    signal
        ``(n_frames, n)`` (or ``(n,)`` for one spectrum); NaN points are ignored.
    t_s
        Frame times in s (defaults to ``0, 1, ...``; only carried along).
    mode
        ``bleach`` (negative feature), ``pl`` or ``pia`` (positive).
    method
        ``gaussian`` (default) or ``centroid``.
    sign
        Force the feature sign (+1/-1) instead of deriving it from ``mode``.
    window_eV
        Only points with ``lo <= E <= hi`` are used.
    snr_min
        Frames whose |amplitude| / error is below this are marked not ``valid``.

    Examples
    --------
    >>> e = np.linspace(1.2, 1.6, 201)
    >>> y = -gaussian(e, 1.0, 1.40, 0.03, 0.0)[None, :]
    >>> pk = fit_peaks(e, y, mode="bleach")
    >>> round(float(pk.energy_eV[0]), 6), round(float(pk.width_eV[0]), 6)
    (1.4, 0.03)
    """
    e = np.asarray(energy_eV, dtype=float)
    y = np.asarray(signal, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if e.ndim != 1 or y.ndim != 2 or y.shape[1] != e.size:
        raise InputError(f"signal shape {y.shape} does not match energy axis of {e.size} points")
    if e.size > 1 and np.any(np.diff(e) < 0):
        order = np.argsort(e)
        e, y = e[order], y[:, order]
    if e.size > 1 and np.any(np.diff(e) <= 0):
        raise InputError("energy axis is not strictly monotonic")
    t = np.arange(y.shape[0], dtype=float) if t_s is None else np.asarray(t_s, dtype=float)
    if t.shape != (y.shape[0],):
        raise InputError("time axis does not match the number of frames")
    if window_eV is not None:
        lo, hi = sorted(window_eV)
        keep = (e >= lo) & (e <= hi)
        e, y = e[keep], y[:, keep]
    if e.size < 6:
        raise FitError(f"only {e.size} spectral points in the window; need at least 6")
    s = feature_sign(mode, sign)
    ys = s * y
    mask = np.isfinite(ys)
    ys_filled = np.where(mask, ys, 0.0)
    if method == "gaussian":
        res = _fit_gaussian(e, ys_filled, mask)
    elif method == "centroid":
        res = _centroid(e, ys_filled, mask)
    else:
        raise InputError(f"unknown peak method {method!r}; expected gaussian or centroid")
    a, e0, w, b, da, de0, dw, conv = res
    inside = (e0 >= e[0]) & (e0 <= e[-1]) & (w < (e[-1] - e[0]))
    conv = conv & inside & np.isfinite(de0)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.abs(a) / da
    valid = conv & (a > 0) & (snr >= snr_min)
    return FramePeaks(
        method=method,
        t_s=t,
        energy_eV=e0,
        energy_err_eV=de0,
        width_eV=w,
        width_err_eV=dw,
        amplitude=s * a,
        amplitude_err=da,
        baseline=s * b,
        converged=conv,
        valid=valid,
    )


def _fit_gaussian(e, ys, mask):
    p0 = _initial_guess(e, ys)
    p, cov, _rss, conv = _batched_lm(e, ys, mask, p0.copy())
    err = np.sqrt(np.abs(np.einsum("fii->fi", cov)))
    conv = conv & (mask.sum(axis=1) > 4)
    return p[:, 0], p[:, 1], p[:, 2], p[:, 3], err[:, 0], err[:, 1], err[:, 2], conv


#: Half-width of the centroid window in units of the width.
_CENTROID_HALF_WIDTH = 3.0


def _truncated_variance(k: np.ndarray) -> np.ndarray:
    """Fraction of a Gaussian's variance kept inside +-k sigma: 1 - 2k phi(k)/(2 Phi(k) - 1)."""
    k = np.clip(k, 1e-3, None)
    phi = np.exp(-0.5 * k * k) / np.sqrt(2.0 * np.pi)
    return 1.0 - 2.0 * k * phi / (2.0 * special.ndtr(k) - 1.0)


def _centroid(e, ys, mask, n_iter: int = 10):
    """Iterated moments in a window symmetric about the centroid.

    The window is +-3 w, shrunk to stay symmetric when the peak is near the edge of the
    data (a symmetric window keeps the centroid of a symmetric peak unbiased); the width
    is corrected for the variance a Gaussian loses to that truncation. The baseline is
    the median of the points farther than 4 w from the centroid (0 when fewer than 5).
    """
    m = mask.astype(float)
    noise = _noise_level(ys, mask)
    de = np.gradient(e)
    p0 = _initial_guess(e, ys)
    c, w = p0[:, 1].copy(), p0[:, 2].copy()
    b = np.zeros(ys.shape[0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(n_iter):
            far = (np.abs(e[None, :] - c[:, None]) > 4.0 * w[:, None]) & mask
            nfar = far.sum(axis=1)
            med = np.array(
                [np.median(r[f]) if f.any() else 0.0 for r, f in zip(ys, far, strict=True)]
            )
            b = np.where(nfar >= 5, med, 0.0)
            half = np.minimum(_CENTROID_HALF_WIDTH * w, np.minimum(c - e[0], e[-1] - c))
            half = np.clip(half, 2.0 * np.max(np.abs(de)), None)
            corr = _truncated_variance(half / w)
            # Box window with fractional weights at its edges (the box integrated over each
            # point's cell), so the window's centre is not quantised to the grid.
            frac = (half[:, None] - np.abs(e[None, :] - c[:, None])) / np.abs(de)[None, :] + 0.5
            win = np.clip(frac, 0.0, 1.0) * m
            yb = (ys - b[:, None]) * win
            s0 = np.sum(yb * de, axis=1)
            c_new = np.sum(yb * e * de, axis=1) / s0
            m2 = np.sum(yb * (e - c_new[:, None]) ** 2 * de, axis=1) / s0
            w_new = np.sqrt(np.clip(m2, 0.0, None) / corr)
            ok = np.isfinite(c_new) & np.isfinite(w_new) & (w_new > 0) & (s0 > 0)
            c = np.where(ok, c_new, c)
            w = np.where(ok, w_new, w)
        # Linear error propagation with independent noise `noise` on every point.
        dc = noise * np.sqrt(np.sum(((e - c[:, None]) * de) ** 2 * win, axis=1)) / np.abs(s0)
        dm2 = noise * np.sqrt(
            np.sum((((e - c[:, None]) ** 2 - m2[:, None]) * de) ** 2 * win, axis=1)
        )
        # Baseline error (median of n_far points: var = (pi/2) noise^2 / n_far) enters m2.
        var_b = np.where(nfar >= 5, 0.5 * np.pi * noise**2 / np.maximum(nfar, 1), 0.0)
        dm2_db = np.sum(((e - c[:, None]) ** 2 - m2[:, None]) * de * win, axis=1)
        dm2 = np.sqrt(dm2**2 + dm2_db**2 * var_b)
        dc = np.sqrt(dc**2 + (np.sum((e - c[:, None]) * de * win, axis=1) / s0) ** 2 * var_b)
        dw = dm2 / np.abs(s0) / (2.0 * np.sqrt(np.clip(m2, 1e-300, None)))
        dw = dw / np.sqrt(corr)
    sm = _smooth((ys - b[:, None]) * m)
    a = np.max(sm, axis=1)
    da = noise / np.sqrt(5.0)
    conv = ok & (s0 > 0)
    return a, c, w, b, da, dc, dw, conv
