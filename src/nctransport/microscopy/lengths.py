"""Lifetime, PL-weighted diffusivity, diffusion lengths, t_max and Einstein mobility.

All inputs and outputs SI (s, m, m^2, m^2/s, K, m^2 V^-1 s^-1).

* tau_PL (Bornschlegl 2024): time at which the space-integrated signal has fallen to 1/e of its
  initial (peak) value.
* D_avg (Bornschlegl 2024, Eq. 2): PL-weighted average of the finite-difference diffusivity over
  bins up to 5 tau_PL,
  ``D_avg = sum_i I(t_i) [MSD(t_i+1) - MSD(t_i)] / [2 (t_i+1 - t_i)] / sum_i I(t_i)``.
* Diffusion lengths: ``sqrt(MSD(tau))`` (Li 2023, Liu 2021) and ``sqrt(tau D_avg)``
  (Bornschlegl 2024,
  no factor 2).
* t_max (Bornschlegl 2024): time of the MSD maximum before it contracts (``None``: never).
* Einstein relation (Liu 2021): ``mu = e D / (k_B T)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import constants

from nctransport.errors import FitError

__all__ = [
    "Lifetime",
    "PlWeightedDiffusivity",
    "TMax",
    "lifetime_1e",
    "pl_weighted_diffusivity",
    "diffusion_length_msd",
    "diffusion_length_tau_d",
    "find_t_max",
    "einstein_mobility",
]


@dataclass(frozen=True)
class Lifetime:
    """1/e time of the integrated signal.

    ``value = t_cross - t_peak`` [s]; NaN (``found`` False) when the signal never falls
    to 1/e of its peak within the data.
    """

    value: float
    t_peak: float
    t_cross: float
    found: bool


@dataclass(frozen=True)
class PlWeightedDiffusivity:
    """Bornschlegl 2024 Eq. 2 average diffusivity [m^2/s] with its propagated one-sigma error."""

    value: float
    err: float
    t_start: float
    t_end: float
    n_bins: int


@dataclass(frozen=True)
class TMax:
    """MSD maximum before contraction: time [s] with error, the (smoothed) MSD there [m^2]
    and the significance (in standard errors) of the fall after it."""

    value: float
    err: float
    msd_max: float
    contraction_z: float


def _oriented(intensity: np.ndarray) -> np.ndarray:
    """Make the dominant sign positive (TAM bleach signals are negative)."""
    total = np.nansum(intensity)
    return intensity if total >= 0 else -intensity


def savgol_filter(y: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """Savitzky-Golay smoothing of a 1D series, the same numbers as
    ``scipy.signal.savgol_filter(y, window, polyorder, mode="interp")`` (to rounding)
    without importing scipy.signal (with scipy.stats it costs ~0.8 s of start-up).

    Interior points: the least-squares polynomial of the centred window evaluated at its
    centre (a convolution); the first and last ``window // 2`` points: the polynomial
    fitted to the first / last ``window`` points, evaluated there.

    A quadratic is kept exactly, edges included:

    >>> bool(np.allclose(savgol_filter(np.arange(9.0) ** 2, 5, 2), np.arange(9.0) ** 2))
    True
    """
    y = np.asarray(y, dtype=float)
    n, half = y.size, window // 2
    if window % 2 != 1 or window > n or polyorder >= window:
        raise ValueError("savgol_filter: window must be odd, > polyorder and <= len(y)")
    pos = np.arange(window, dtype=float)
    vander = (pos[:, None] - half) ** np.arange(polyorder + 1)  # (window, order + 1)
    coeffs = np.linalg.pinv(vander)[0]  # value at the centre = constant term
    out = np.convolve(y, coeffs[::-1], mode="same")
    # Edges: the polynomial fitted to the first / last `window` points, evaluated there.
    edge = pos[:, None] ** np.arange(polyorder + 1)
    c_lo, *_ = np.linalg.lstsq(edge, y[:window], rcond=None)
    c_hi, *_ = np.linalg.lstsq(edge, y[n - window :], rcond=None)
    if half:
        out[:half] = edge[:half] @ c_lo
        out[n - half :] = edge[window - half :] @ c_hi
    return out


def lifetime_1e(t: Any, intensity: Any, *, smooth: int = 5) -> Lifetime:
    """Bornschlegl 2024 tau_PL: first time the integrated signal drops to 1/e of its peak.

    The crossing is linearly interpolated between frames; only ``t >= 0`` is searched.
    With ``smooth`` >= 3 the signal is first smoothed (Savitzky-Golay, quadratic, that many
    frames): on noisy data the raw maximum is an upward fluctuation and the first raw
    crossing comes early, both of which shorten tau.

    >>> t = np.linspace(0, 10e-9, 1001)
    >>> round(lifetime_1e(t, np.exp(-t / 2e-9)).value * 1e9, 3)
    2.0
    """
    t = np.asarray(t, dtype=float)
    y = _oriented(np.asarray(intensity, dtype=float))
    m = (t >= 0) & np.isfinite(y)
    t, y = t[m], y[m]
    if t.size < 2:
        raise FitError("need at least two frames at t >= 0 for the lifetime")
    if smooth >= 3 and t.size > 2 * smooth:
        y = savgol_filter(y, smooth | 1, 2)
    ip = int(np.argmax(y))
    if y[ip] <= 0:
        raise FitError("integrated signal has no positive peak")
    level = y[ip] / math.e
    below = np.flatnonzero(y[ip:] <= level)
    if below.size == 0:
        return Lifetime(math.nan, float(t[ip]), math.nan, False)
    j = ip + int(below[0])
    t1, t2, y1, y2 = t[j - 1], t[j], y[j - 1], y[j]
    tc = t2 if y1 == y2 else t1 + (y1 - level) * (t2 - t1) / (y1 - y2)
    return Lifetime(float(tc - t[ip]), float(t[ip]), float(tc), True)


def pl_weighted_diffusivity(
    t: Any,
    msd: Any,
    intensity: Any,
    tau: float,
    *,
    msd_err: Any | None = None,
    n_tau: float = 5.0,
    smooth: int = 7,
) -> PlWeightedDiffusivity:
    """Bornschlegl 2024 Eq. 2, bins from the first frame up to ``n_tau * tau`` after it.

    Parameters
    ----------
    t, msd, intensity
        Usable frames [s], their MSD [m^2] and space-integrated signal (any unit; the sign
        of a bleach is taken care of, negative noise weights are set to 0).
    tau
        tau_PL [s].
    msd_err
        One-sigma MSD errors [m^2]; propagated linearly (Eq. 2 is linear in the MSD, so
        the reference width cancels).
    smooth
        Savitzky-Golay window (frames, quadratic) applied to the intensity before it is used
        as a weight; 0 uses the raw intensity as in the paper. A frame's integrated signal
        and its width share noise (through the fitted background), and weighting each MSD
        difference by that noisy value biases D_avg low (~15% in our Poisson simulation);
        the smoothed decay keeps the population weighting without the correlation.

    Examples
    --------
    Normal diffusion gives D back whatever the weights:

    >>> t = np.linspace(0, 10e-9, 101)
    >>> r = pl_weighted_diffusivity(t, 2 * 1e-5 * t, np.exp(-t / 2e-9), 2e-9)
    >>> round(r.value * 1e4, 6)
    0.1
    """
    t = np.asarray(t, dtype=float)
    m = np.asarray(msd, dtype=float)
    w = np.clip(_oriented(np.asarray(intensity, dtype=float)), 0.0, None)
    e = None if msd_err is None else np.asarray(msd_err, dtype=float)
    if not (t.shape == m.shape == w.shape) or t.ndim != 1:
        raise FitError("t, msd and intensity must be 1D arrays of equal length")
    if not (np.isfinite(tau) and tau > 0):
        raise FitError("tau_PL must be a positive time to bound the Eq. 2 sum")
    order = np.argsort(t)
    t, m, w = t[order], m[order], w[order]
    if smooth and w.size > smooth >= 3:
        win = smooth | 1
        w = np.clip(savgol_filter(w, win, 2), 0.0, None)
    if e is not None:
        e = e[order]
    t_stop = t[0] + n_tau * tau
    n_bins = int(np.sum(t[1:] <= t_stop))  # bin i uses frames i and i + 1
    if n_bins < 1:
        raise FitError("no complete time bin within 5 tau_PL")
    dt = np.diff(t[: n_bins + 1])
    wi = w[:n_bins]
    if wi.sum() <= 0:
        raise FitError("no positive signal weight in Eq. 2")
    wi = wi / wi.sum()
    value = float(np.sum(wi * np.diff(m[: n_bins + 1]) / (2.0 * dt)))
    err = math.nan
    if e is not None and np.all(np.isfinite(e[: n_bins + 1])):
        # Coefficient of MSD_j: w_{j-1}/(2 dt_{j-1}) - w_j/(2 dt_j).
        a = wi / (2.0 * dt)
        coef = np.zeros(n_bins + 1)
        coef[1:] += a
        coef[:-1] -= a
        err = float(math.sqrt(np.sum((coef * e[: n_bins + 1]) ** 2)))
    return PlWeightedDiffusivity(value, err, float(t[0]), float(t[n_bins]), n_bins)


def diffusion_length_msd(
    t: Any, msd: Any, at: float, msd_err: Any | None = None
) -> tuple[float, float]:
    """L = sqrt(MSD(at)) (Li 2023, Liu 2021), MSD linearly interpolated; returns (L, err) [m].

    NaN when ``at`` lies outside the data or the MSD there is not positive.
    """
    t = np.asarray(t, dtype=float)
    m = np.asarray(msd, dtype=float)
    if not np.isfinite(at) or at < t.min() or at > t.max():
        return math.nan, math.nan
    val = float(np.interp(at, t, m))
    if val <= 0:
        return math.nan, math.nan
    L = math.sqrt(val)
    if msd_err is None:
        return L, math.nan
    ev = float(np.interp(at, t, np.asarray(msd_err, dtype=float)))
    return L, ev / (2.0 * L)


def diffusion_length_tau_d(tau: float, d: float, d_err: float = math.nan) -> tuple[float, float]:
    """L = sqrt(tau_PL D_avg) (Bornschlegl 2024; no factor 2); returns (L, err) [m].

    >>> round(diffusion_length_tau_d(2e-9, 1e-5)[0] * 1e9, 3)
    141.421
    """
    if not (np.isfinite(tau) and np.isfinite(d)) or tau <= 0 or d <= 0:
        return math.nan, math.nan
    L = math.sqrt(tau * d)
    return L, 0.5 * L * d_err / d if np.isfinite(d_err) else math.nan


def _running_mean(y: np.ndarray, w: np.ndarray, width: int) -> np.ndarray:
    k = np.ones(width)
    num = np.convolve(y * w, k, mode="same")
    den = np.convolve(w, k, mode="same")
    return num / den


def _poly_peak(ts: np.ndarray, mm: np.ndarray, ww: np.ndarray, weighted: bool) -> tuple:
    """Local maximum of a weighted cubic (quadratic for few points) and its delta-method
    error; ``(None, None)`` when the polynomial has no interior maximum."""
    deg = 3 if ts.size >= 7 else 2
    X = np.vander(ts, deg + 1, increasing=True)
    sw = np.sqrt(ww)
    A = X * sw[:, None]
    coef, *_ = np.linalg.lstsq(A, mm * sw, rcond=None)
    d1 = np.polynomial.polynomial.polyder(coef)
    d2 = np.polynomial.polynomial.polyder(coef, 2)
    roots = np.polynomial.polynomial.polyroots(d1)
    roots = roots[np.abs(roots.imag) < 1e-9].real
    roots = roots[(roots >= ts.min()) & (roots <= ts.max())]
    roots = roots[np.polynomial.polynomial.polyval(roots, d2) < 0]
    if roots.size == 0:
        return None, None
    r = float(roots[np.argmin(np.abs(roots))])
    dof = ts.size - deg - 1
    res = (mm - X @ coef) * sw
    chi2_red = float(res @ res) / dof if dof > 0 else 1.0
    cov = np.linalg.pinv(A.T @ A) * (max(1.0, chi2_red) if weighted else chi2_red)
    # Implicit function theorem on P'(r) = 0: dr/dc_k = -k r^(k-1) / P''(r).
    k = np.arange(deg + 1)
    dp = np.where(k > 0, k * r ** np.clip(k - 1, 0, None), 0.0)
    g = -dp / float(np.polynomial.polynomial.polyval(r, d2))
    return r, math.sqrt(max(float(g @ cov @ g), 0.0))


def find_t_max(
    t: Any, msd: Any, err: Any | None = None, *, significance: float = 3.0
) -> TMax | None:
    """Bornschlegl 2024 t_max: the MSD maximum, reported only when the MSD contracts after it.

    The MSD is smoothed with a short weighted running mean (window ~ n/15, at least 3
    frames) to locate its maximum. The MSD contracts when a weighted straight line through
    the points after the maximum falls with a slope more than ``significance`` standard
    errors below zero (a plateau within noise does not count). t_max is the local maximum
    of a weighted cubic through the contiguous points within 25% of the rise below the peak
    (the cubic absorbs the asymmetry of a rise-then-contract curve that biases a parabola's
    vertex); its error is propagated from the polynomial's covariance.

    Returns ``None`` when the MSD never contracts (still rising, or a plateau within noise).

    >>> t = np.linspace(0, 10e-9, 201)
    >>> r = find_t_max(t, 2e-5 * t * np.exp(-t / 2e-9))
    >>> round(r.value * 1e9, 1)
    2.0
    """
    t = np.asarray(t, dtype=float)
    m = np.asarray(msd, dtype=float)
    keep = np.isfinite(t) & np.isfinite(m)
    e = None if err is None else np.asarray(err, dtype=float)
    if e is not None:
        keep &= np.isfinite(e) & (e > 0)
    order = np.argsort(t[keep])
    t, m = t[keep][order], m[keep][order]
    e = e[keep][order] if e is not None else None
    n = t.size
    if n < 6:
        return None
    width = max(3, (n // 15) | 1)
    w = np.ones(n) if e is None else 1.0 / e**2
    sm = _running_mean(m, w, width)
    half = width // 2
    core = sm[half : n - half]  # the edges of a running mean are biased
    if core.size < 3:
        return None
    i_max = int(np.argmax(core)) + half
    after = slice(i_max, n)
    if n - i_max < 4:
        return None  # maximum at the end: still rising
    # Significance of the contraction: slope of a weighted line after the maximum.
    ta, ma, wa = t[after], m[after], w[after]
    # Work in scaled units so the normal matrix stays well conditioned.
    ymag = float(np.max(np.abs(m))) or 1.0
    ma, wa = ma / ymag, wa * ymag**2
    Xa = np.column_stack([np.ones_like(ta), (ta - ta.mean()) / (float(np.ptp(ta)) or 1.0)])
    swa = np.sqrt(wa)
    ca, *_ = np.linalg.lstsq(Xa * swa[:, None], ma * swa, rcond=None)
    ra = (ma - Xa @ ca) * swa
    chi2a = float(ra @ ra) / max(ta.size - 2, 1)
    cova = np.linalg.pinv((Xa * swa[:, None]).T @ (Xa * swa[:, None]))
    cova *= max(1.0, chi2a) if e is not None else chi2a
    z = -ca[1] / math.sqrt(cova[1, 1]) if cova[1, 1] > 0 else 0.0
    if not z > significance:
        return None
    rise = sm[i_max] - float(np.min(sm[half : i_max + 1]))
    drop = sm[i_max] - float(np.min(sm[i_max : n - half])) if n - half > i_max else 0.0
    near = set(np.flatnonzero(sm >= sm[i_max] - 0.25 * max(rise, drop, 0.0)).tolist())
    lo = hi = i_max
    while lo - 1 in near:
        lo -= 1
    while hi + 1 in near:
        hi += 1
    if hi - lo + 1 < 5:
        lo, hi = max(0, i_max - 3), min(n - 1, i_max + 3)
    tt, mm, ww = t[lo : hi + 1], m[lo : hi + 1], w[lo : hi + 1]
    scale = float(np.ptp(tt)) or 1.0
    tc = float(t[i_max])
    r, r_err = _poly_peak((tt - tc) / scale, mm / ymag, ww * ymag**2, e is not None)
    value, verr = (tc, math.nan) if r is None else (tc + r * scale, r_err * scale)
    return TMax(float(value), float(verr), float(sm[i_max]), float(z))


def einstein_mobility(D: float, temperature: float) -> float:
    """Liu 2021 Einstein relation mu = e D / (k_B T) [m^2 V^-1 s^-1].

    ``D`` in m^2/s, ``temperature`` in K. docs/science.md check: 102 cm^2/s at 300 K ->
    ~3.9e3 cm^2/Vs.

    >>> round(einstein_mobility(102e-4, 300.0) * 1e4)
    3946
    """
    if not (np.isfinite(temperature) and temperature > 0):
        raise FitError(f"temperature must be > 0 K, got {temperature!r}")
    return float(D * constants.e / (constants.k * temperature))
