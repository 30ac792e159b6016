"""Is a profile Gaussian? Excess kurtosis and structure in the fit residuals (Li 2023).

Li 2023 (Fig. 4c,d) shows that early TAM profiles at high fluence "deviate significantly
from the Gaussian-function fittings, giving rise to highly structured features in the
fitting residuals", while near-Gaussian frames leave unstructured residuals. Two numbers per
frame make that quantitative:

- **Excess kurtosis** of the background-subtracted profile inside the moment window
  (:mod:`nctransport.microscopy.moments`): ``m4/m2^2 - 3`` for a line profile,
  ``<r^4>/<r^2>^2 - 2`` for an image (both 0 for a Gaussian; > 0 heavy tails / cusp,
  < 0 flat top), with a linearly propagated standard error. The window biases it (a
  Gaussian truncated at 4 sigma reads about -0.02); compare with the error, not with 0 alone.
- **Structured residuals**: residuals ``(data - fit) / noise std`` inside the window are
  white noise for a good model. Their lag-1 autocorrelation ``rho1 = sum r_i r_{i+1} /
  sum r_i^2`` is ~ N(0, 1/N) then, so ``z = rho1 sqrt(N)`` > 3 flags structure (one-sided,
  false-alarm rate 0.13 %). For line profiles a Wald-Wolfowitz runs test on the residual
  signs is also given (``runs_z`` < -3: too few sign changes, i.e. structure). For images
  rho1 averages the lags along x and along y (runs: NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import SIGNAL
from nctransport.microscopy.background import subtract_background
from nctransport.microscopy.moments import WINDOW_SIGMAS, windowed_moments
from nctransport.microscopy.profile_models import lazy_njit
from nctransport.microscopy.profiles import ProfileFits, evaluate_model, poisson_variance

#: One-sided z threshold for "structured residuals" and "non-Gaussian kurtosis".
Z_THRESHOLD = 3.0


@dataclass(frozen=True)
class NonGaussianity:
    """Per-frame non-Gaussianity diagnostics (arrays over the fitted frames)."""

    t: np.ndarray
    excess_kurtosis: np.ndarray
    excess_kurtosis_err: np.ndarray
    residual_lag1: np.ndarray
    residual_lag1_z: np.ndarray
    runs_z: np.ndarray
    structured: np.ndarray  # residual_lag1_z > Z_THRESHOLD
    non_gaussian: np.ndarray  # structured or |kurtosis| > Z_THRESHOLD err
    window_sigmas: float = WINDOW_SIGMAS
    z_threshold: float = Z_THRESHOLD

    def to_dict(self) -> dict:
        """JSON-friendly dict (units: t in s; the rest dimensionless)."""
        return {
            "t_s": self.t,
            "excess_kurtosis": self.excess_kurtosis,
            "excess_kurtosis_err": self.excess_kurtosis_err,
            "residual_lag1": self.residual_lag1,
            "residual_lag1_z": self.residual_lag1_z,
            "runs_z": self.runs_z,
            "structured": self.structured,
            "non_gaussian": self.non_gaussian,
            "window_sigmas": self.window_sigmas,
            "z_threshold": self.z_threshold,
        }


def _runs_z(signs: np.ndarray) -> float:
    """Wald-Wolfowitz runs test z-score of a sequence of residual signs."""
    n_pos = int((signs > 0).sum())
    n_neg = int((signs < 0).sum())
    n = n_pos + n_neg
    if n_pos == 0 or n_neg == 0 or n < 3:
        return float("nan")
    s = signs[signs != 0]
    runs = 1 + int(np.count_nonzero(s[1:] != s[:-1]))
    mu = 2.0 * n_pos * n_neg / n + 1.0
    var = (mu - 1.0) * (mu - 2.0) / (n - 1.0)
    return float((runs - mu) / np.sqrt(var)) if var > 0 else float("nan")


def _line_residual_stats(
    data: np.ndarray,
    x: np.ndarray,
    fits: ProfileFits,
    mom: Any,
    var: Any,
    window_sigmas: float,
    pending: np.ndarray,
    lag1: np.ndarray,
    lag1_z: np.ndarray,
    runs: np.ndarray,
) -> np.ndarray:
    """Lag-1 correlation and runs test of the window residuals of all line profiles at
    once (the per-frame loop's numbers, summed in another order). Frames whose window has
    a gap (a non-finite residual inside) or an exactly zero residual keep the loop; the
    returned mask lists them."""
    rows = np.flatnonzero(pending)
    model = evaluate_model(fits, (x,), rows)
    if callable(var):  # Poisson: var(i) for each frame, as poisson_variance builds it
        v = np.stack([np.asarray(var(int(i)), dtype=float) for i in rows])
    else:
        v = np.asarray(var, dtype=float)[rows][:, None]
    r = (data[rows] - model) / np.sqrt(v)
    half = window_sigmas * mom.sigma[rows]
    center = np.asarray(fits.center, dtype=float)[rows]
    with np.errstate(invalid="ignore"):
        inside = (np.abs(x[None, :] - center[:, None]) <= half[:, None]) & np.isfinite(r)
    count = inside.sum(axis=1)
    idx = np.arange(x.size)
    first = np.where(inside, idx, x.size).min(axis=1)
    last = np.where(inside, idx, -1).max(axis=1)
    rr = np.where(inside, r, 0.0)
    contiguous = (count == 0) | (last - first + 1 == count)
    plain = contiguous & ~np.any(inside & (rr == 0.0), axis=1)
    pairs = inside[:, 1:] & inside[:, :-1]
    num = np.sum(rr[:, 1:] * rr[:, :-1], axis=1)
    n_pairs = count - 1
    den = np.sum(rr**2, axis=1) * n_pairs / np.maximum(count, 1)
    sign = np.sign(rr)
    n_pos = np.sum(sign > 0, axis=1)
    n_neg = np.sum(sign < 0, axis=1)
    changes = np.sum(pairs & (sign[:, 1:] != sign[:, :-1]), axis=1)
    nn = n_pos + n_neg
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = 2.0 * n_pos * n_neg / np.maximum(nn, 1) + 1.0
        rvar = (mu - 1.0) * (mu - 2.0) / (nn - 1.0)
        rz = (1 + changes - mu) / np.sqrt(rvar)
    rz = np.where((n_pos > 0) & (n_neg > 0) & (nn >= 3) & (rvar > 0), rz, np.nan)
    for j, i in enumerate(rows):
        if not plain[j]:
            continue
        runs[i] = rz[j]
        if n_pairs[j] < 3 or den[j] <= 0:
            continue
        lag1[i] = num[j] / den[j]
        lag1_z[i] = lag1[i] * np.sqrt(n_pairs[j])
    left = np.zeros_like(pending)
    left[rows[~plain]] = True
    return left


def non_gaussianity(
    ds: xr.Dataset, fits: ProfileFits, *, window_sigmas: float = WINDOW_SIGMAS
) -> NonGaussianity:
    """Excess kurtosis and residual structure of every frame of ``fits``.

    Parameters
    ----------
    ds
        The dataset that was fitted (same ``t0`` and background mode are re-applied).
    fits
        Result of :func:`~nctransport.microscopy.profiles.fit_profiles` on ``ds``.
    window_sigmas
        Analysis window half-width in profile widths.

    Returns
    -------
    NonGaussianity
        NaN where the frame's fit is not ok.
    """
    sub, bg = subtract_background(ds, fits.background_mode, t0=fits.t0)
    t = np.asarray(sub["t"].values, dtype=float)
    first = int(np.argmax(t >= fits.t0))
    data = np.asarray(sub[SIGNAL].values)[first:]
    two_d = data.ndim == 3
    if not two_d:  # images are converted frame by frame (a float32 stack stays float32)
        data = np.asarray(data, dtype=float)
    coords = (
        (np.asarray(sub["y"].values, float), np.asarray(sub["x"].values, float))
        if two_d
        else (np.asarray(sub["x"].values, float),)
    )
    off = off_var = 0.0
    if fits.noise == "poisson":
        off = np.asarray(bg.baseline, dtype=float)
        off_var = np.clip(off, 0, None) / bg.n_prepulse if bg.mode == "pre-pulse" else 0.0
        var = poisson_variance(fits, coords, off, off_var)
    else:
        nv = np.asarray(fits.extra.get("noise_var", np.full(fits.n_frames, np.nan)), float)
        var = nv
    width = fits.extra.get("gaussian_sigma", fits.sigma)
    mom = windowed_moments(
        data, coords, fits.center, width, fits.background, var, window_sigmas=window_sigmas
    )
    n = fits.n_frames
    lag1 = np.full(n, np.nan)
    lag1_z = np.full(n, np.nan)
    runs = np.full(n, np.nan)
    pending = np.asarray(fits.ok, dtype=bool) & np.isfinite(mom.sigma)
    if not two_d and pending.any():
        pending = _line_residual_stats(data, coords[0], fits, mom, var, window_sigmas, pending,
                                    lag1, lag1_z, runs)  # fmt: skip
    fused = two_d and fits.profile == "gaussian2d"
    if fused:  # one compiled pass per frame (model, variance, residual pairs)
        shape = data.shape[1:]
        off2 = np.ascontiguousarray(np.broadcast_to(off, shape), dtype=float)
        ov2 = np.ascontiguousarray(np.broadcast_to(off_var, shape), dtype=float)
        sums = np.zeros(4)
    for i in np.flatnonzero(pending):
        half = window_sigmas * mom.sigma[i]
        if fused:
            cy, cx = (float(v) for v in fits.center[i])
            _image_residual_pairs(
                data[i], coords[0], coords[1],
                int(np.searchsorted(coords[0], cy - half)),
                int(np.searchsorted(coords[0], cy + half, "right")),
                int(np.searchsorted(coords[1], cx - half)),
                int(np.searchsorted(coords[1], cx + half, "right")),
                float(fits.amplitude[i]), float(fits.background[i]), float(fits.sigma[i]),
                cy, cx, float(half), fits.noise == "poisson", off2, ov2,
                float(var[i]) if fits.noise != "poisson" else 0.0, sums,
            )  # fmt: skip
            num, n_pairs = sums[0], int(sums[1])
            den = sums[2] * n_pairs / max(int(sums[3]), 1)
        elif two_d:
            # Only the window's bounding box: the residuals outside it are never used.
            cy, cx = fits.center[i]
            iy = slice(int(np.searchsorted(coords[0], cy - half)),
                       int(np.searchsorted(coords[0], cy + half, "right")))  # fmt: skip
            ix = slice(int(np.searchsorted(coords[1], cx - half)),
                       int(np.searchsorted(coords[1], cx + half, "right")))  # fmt: skip
            box = (coords[0][iy], coords[1][ix])
            model = evaluate_model(fits, box, i)[0]
            if fits.noise == "poisson":
                off_b = off[iy, ix] if np.ndim(off) == 2 else off
                ov_b = off_var[iy, ix] if np.ndim(off_var) == 2 else off_var
                var_i = np.maximum(model + off_b, 1.0) + ov_b  # as poisson_variance
            else:
                var_i = var[i]
            r = (np.asarray(data[i][iy, ix], dtype=float) - model) / np.sqrt(var_i)
            yy = box[0][:, None] - cy
            xx = box[1][None, :] - cx
            inside = (yy**2 + xx**2 <= half**2) & np.isfinite(r)
            rr = np.where(inside, r, 0.0)
            px = inside[:, 1:] & inside[:, :-1]
            py = inside[1:, :] & inside[:-1, :]
            num = (rr[:, 1:] * rr[:, :-1])[px].sum() + (rr[1:, :] * rr[:-1, :])[py].sum()
            n_pairs = int(px.sum() + py.sum())
            den = (rr[inside] ** 2).sum() * n_pairs / max(int(inside.sum()), 1)
        else:
            var_i = var(i) if callable(var) else var[i]
            r = (data[i] - evaluate_model(fits, coords, i)[0]) / np.sqrt(var_i)
            inside = (np.abs(coords[0] - fits.center[i]) <= half) & np.isfinite(r)
            rw = r[inside]
            num = float((rw[1:] * rw[:-1]).sum())
            n_pairs = rw.size - 1
            den = float((rw**2).sum()) * n_pairs / max(rw.size, 1)
            runs[i] = _runs_z(np.sign(rw))
        if n_pairs < 3 or den <= 0:
            continue
        lag1[i] = num / den
        lag1_z[i] = lag1[i] * np.sqrt(n_pairs)
    kurt = np.where(fits.ok, mom.kurtosis_excess, np.nan)
    kurt_err = np.where(fits.ok, mom.kurtosis_excess_err, np.nan)
    with np.errstate(invalid="ignore"):
        structured = lag1_z > Z_THRESHOLD
        non_gauss = structured | (np.abs(kurt) > Z_THRESHOLD * kurt_err)
    return NonGaussianity(
        t=fits.t,
        excess_kurtosis=kurt,
        excess_kurtosis_err=kurt_err,
        residual_lag1=lag1,
        residual_lag1_z=lag1_z,
        runs_z=runs,
        structured=structured,
        non_gaussian=non_gauss,
        window_sigmas=window_sigmas,
    )


def _image_residual_pairs_py(
    frame, y, x, y0, y1, x0, x1, A, B, s, cy, cx, half, poisson, off, off_var, var_c, out
):  # pragma: no cover - compiled
    """Residual lag-1 sums of one isotropic-Gaussian frame over its window's box, in one
    pass: the model ``A gy gx + B`` (as :func:`evaluate_model`), the variance (Poisson:
    as :func:`poisson_variance`, else ``var_c``) and the standardised residual of each
    pixel; ``out`` = (sum of products of horizontal and vertical neighbours inside the
    window, their number, sum of squares inside, pixels inside)."""
    inv = -0.5 / (s * s)
    nx = x1 - x0
    gx = np.empty(max(nx, 0))
    for j in range(nx):
        d = x[x0 + j] - cx
        gx[j] = np.exp(d * d * inv)
    h2 = half * half
    num = 0.0
    n_pairs = 0
    ss = 0.0
    n_in = 0
    prev = np.zeros(max(nx, 0))
    prev_in = np.zeros(max(nx, 0), dtype=np.bool_)
    cur = np.zeros(max(nx, 0))
    cur_in = np.zeros(max(nx, 0), dtype=np.bool_)
    for i in range(y1 - y0):
        dy = y[y0 + i] - cy
        gy = np.exp(dy * dy * inv)
        for j in range(nx):
            m = A * (gy * gx[j]) + B
            if poisson:
                v = max(m + off[y0 + i, x0 + j], 1.0) + off_var[y0 + i, x0 + j]
            else:
                v = var_c
            r = (frame[y0 + i, x0 + j] - m) / np.sqrt(v)
            dx = x[x0 + j] - cx
            ins = dy * dy + dx * dx <= h2 and np.isfinite(r)
            cur_in[j] = ins
            cur[j] = r if ins else 0.0
            if ins:
                ss += r * r
                n_in += 1
                if j > 0 and cur_in[j - 1]:
                    num += r * cur[j - 1]
                    n_pairs += 1
                if i > 0 and prev_in[j]:
                    num += r * prev[j]
                    n_pairs += 1
        prev, cur = cur, prev
        prev_in, cur_in = cur_in, prev_in
    out[0] = num
    out[1] = n_pairs
    out[2] = ss
    out[3] = n_in


_image_residual_pairs = lazy_njit(cache=True, error_model="numpy")(_image_residual_pairs_py)
