"""Decay models: impulse responses and their convolution with an instrument response (IRF).

All functions are unit-agnostic: times, lifetimes, IRF widths and the repetition period
must simply share one unit (the fitter uses ns for conditioning; the public fit API takes
seconds). An impulse response ``f(u)`` is zero for ``u < 0`` (before the pulse).

Models (docs/science.md, "Excitation and population kinetics"):

* sum of exponentials ``sum_i A_i exp(-u/tau_i)`` (Li 2023 Table 1 TA decays);
* stretched exponential ``A exp(-(u/tau)^beta)``;
* power-law tail ``A (u/t_ref)^-beta`` (Shcherbakov-Wu 2024 delayed PL, beta ~1.5-1.7 after 3 ns);
* exponential + power law (Shcherbakov-Wu 2024: prompt single exponential, delayed power law).

Convolution with a Gaussian IRF is analytic for exponentials (exponentially modified
Gaussian), evaluated through the scaled complementary error function ``erfcx`` so that
neither ``exp`` overflows nor ``erfc`` underflows far from the pulse. Pile-up: with a
repetition period ``T`` the detector also sees the tails of all earlier pulses,
``y(t) = sum_{k>=0} f(t + k T)``; for exponentials the sum is geometric.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import erfc, erfcx

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))  # Gaussian FWHM = 2 sqrt(2 ln 2) sigma

Impulse = Callable[[np.ndarray], np.ndarray]


# ----------------------------------------------------------------------------- impulses
def exp_sum(t: np.ndarray, amplitudes, taus) -> np.ndarray:
    """Sum of exponentials ``sum_i A_i exp(-t/tau_i)`` for ``t >= 0``, zero before.

    >>> float(exp_sum(np.array([0.0, 1.0]), [2.0], [1.0])[1].round(6))
    0.735759
    """
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    pos = t >= 0
    for a, tau in zip(np.atleast_1d(amplitudes), np.atleast_1d(taus), strict=True):
        out[pos] += a * np.exp(-t[pos] / tau)
    return out


def stretched_exp(t: np.ndarray, amplitude: float, tau: float, beta: float) -> np.ndarray:
    """Stretched exponential ``A exp(-(t/tau)^beta)`` (Kohlrausch), zero for ``t < 0``."""
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    pos = t >= 0
    out[pos] = amplitude * np.exp(-((t[pos] / tau) ** beta))
    return out


def power_law(t: np.ndarray, amplitude: float, beta: float, t_ref: float = 1.0) -> np.ndarray:
    """Delayed-emission tail ``A (t/t_ref)^-beta`` for ``t > 0``, else 0 (Shcherbakov-Wu 2024).

    Singular at ``t = 0``: fit it only on a window that starts after the prompt decay.
    """
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    pos = t > 0
    out[pos] = amplitude * (t[pos] / t_ref) ** (-beta)
    return out


def exp_power_law(
    t: np.ndarray, a_exp: float, tau: float, a_pow: float, beta: float, t_ref: float = 1.0
) -> np.ndarray:
    """Prompt exponential plus power-law tail (Shcherbakov-Wu 2024, Fig. 1D)."""
    return exp_sum(t, [a_exp], [tau]) + power_law(t, a_pow, beta, t_ref)


# ----------------------------------------------------------------- Gaussian IRF (analytic)
def emg(x: np.ndarray, tau: float, sigma: float) -> np.ndarray:
    """Unit-height exponential ``exp(-x/tau) H(x)`` convolved with a unit-area Gaussian.

    ``g(x) = 1/2 exp(sigma^2/(2 tau^2) - x/tau) erfc((sigma/tau - x/sigma)/sqrt 2)``
    (exponentially modified Gaussian). With ``z = (sigma/tau - x/sigma)/sqrt 2`` the same
    value is ``1/2 exp(-x^2/(2 sigma^2)) erfcx(z)``, which is used where ``z >= 0`` so no
    term overflows; where ``z < 0``, ``erfc(z)`` lies in (1, 2] and the first form is safe.

    >>> round(float(emg(np.array([50.0]), 2.0, 0.1)[0] / np.exp(-25 + 0.00125)), 12)
    1.0
    """
    x = np.asarray(x, dtype=float)
    tau = np.asarray(tau, dtype=float)  # scalar, or broadcastable against x (many taus)
    if sigma <= 0:
        return np.where(x >= 0, np.exp(-np.clip(x, 0, None) / tau), 0.0)
    z = (sigma / tau - x / sigma) / math.sqrt(2.0)
    xb = np.broadcast_to(x, z.shape)
    tb = np.broadcast_to(tau, z.shape)
    out = np.empty_like(z)
    m = z >= 0
    out[m] = 0.5 * np.exp(-0.5 * (xb[m] / sigma) ** 2) * erfcx(z[m])
    nm = ~m
    out[nm] = 0.5 * np.exp(0.5 * (sigma / tb[nm]) ** 2 - xb[nm] / tb[nm]) * erfc(z[nm])
    return out


def emg_periodic(x: np.ndarray, tau: float, sigma: float, period: float | None) -> np.ndarray:
    """:func:`emg` plus the tails of all earlier pulses (pile-up), ``sum_k g(x + k T)``.

    The previous pulse (k = 1) is evaluated exactly; for k >= 2 the Gaussian has long
    finished (T >> sigma) so ``g(x + kT) = exp(sigma^2/2tau^2 - (x + kT)/tau)`` and the sum
    is geometric: ``exp(sigma^2/2tau^2 - (x+2T)/tau) / (1 - exp(-T/tau))``.
    """
    out = emg(x, tau, sigma)
    if period is None or not np.isfinite(period) or period <= 0:
        return out
    tau = np.asarray(tau, dtype=float)
    out = out + emg(x + period, tau, sigma)
    q = np.exp(-period / tau)
    return out + np.exp(0.5 * (sigma / tau) ** 2 - (x + 2 * period) / tau) / (1.0 - q)


def exp_sum_gaussian_irf(
    t: np.ndarray,
    amplitudes,
    taus,
    t0: float,
    fwhm: float,
    period: float | None = None,
) -> np.ndarray:
    """Sum of exponentials convolved with a Gaussian IRF centred at ``t0`` of given FWHM.

    ``A_i`` is the height the undecayed exponential would have at ``t0``; the IRF has unit
    area so the number of photons of component i is ``A_i tau_i`` per unit time bin width.
    """
    sigma = fwhm / FWHM_PER_SIGMA
    x = np.asarray(t, dtype=float) - t0
    out = np.zeros_like(x)
    for a, tau in zip(np.atleast_1d(amplitudes), np.atleast_1d(taus), strict=True):
        out += a * emg_periodic(x, tau, sigma, period)
    return out


# ------------------------------------------------------------------- numeric convolution
def periodic(impulse: Impulse, period: float | None, *, n_max: int = 200) -> Impulse:
    """Impulse response including pile-up, ``sum_{k=0}^{K} f(u + k T)``.

    Terms are added until one contributes less than 1e-12 of the first (or ``n_max``).
    """
    if period is None or not np.isfinite(period) or period <= 0:
        return impulse

    def wrapped(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        total = impulse(u)
        scale = max(float(np.max(np.abs(total))), 1e-300)
        for k in range(1, n_max + 1):
            term = impulse(u + k * period)
            total = total + term
            if float(np.max(np.abs(term))) < 1e-12 * scale:
                break
        return total

    return wrapped


def convolve_gaussian(
    t: np.ndarray, impulse: Impulse, t0: float, fwhm: float, *, nodes_per_sigma: int = 8
) -> np.ndarray:
    """Numerical convolution of any impulse response with a unit-area Gaussian IRF.

    Direct quadrature ``y(t) = sum_j w_j f(t - t0 - s_j)`` on nodes ``s_j`` spanning
    +-6 sigma (weights = normalised Gaussian). Used for non-exponential models; the
    exponential path is analytic (:func:`exp_sum_gaussian_irf`).
    """
    t = np.asarray(t, dtype=float)
    sigma = fwhm / FWHM_PER_SIGMA
    if sigma <= 0:
        return impulse(t - t0)
    n = 12 * nodes_per_sigma + 1
    s = np.linspace(-6 * sigma, 6 * sigma, n)
    w = np.exp(-0.5 * (s / sigma) ** 2)
    w /= w.sum()
    vals = impulse((t[:, None] - t0 - s[None, :]).ravel()).reshape(t.size, n)
    return vals @ w


def _uniform_step(t: np.ndarray) -> float:
    t = np.asarray(t, dtype=float)
    if t.size < 2:
        raise ValueError("need at least two time points")
    d = np.diff(t)
    dt = float(np.median(d))
    if np.max(np.abs(d - dt)) > 1e-6 * abs(dt):
        raise ValueError("a measured IRF needs a uniform time grid")
    return dt


def exp_kernel_binned(
    j: np.ndarray, dt: float, tau: float, shift: float, period: float | None = None
) -> np.ndarray:
    """Bin-averaged ``exp(-u/tau) H(u)`` over bins ``[(j-1/2)dt - shift, (j+1/2)dt - shift]``.

    Exact for an IRF that is constant within each bin, so a sub-bin ``shift`` is handled
    analytically (no interpolation). With ``period`` the pile-up sum is included:
    ``sum_k exp(-(u + kT)/tau) H(u + kT)`` = geometric series.
    """
    lo = (j - 0.5) * dt - shift
    hi = (j + 0.5) * dt - shift

    def integral_from(a: np.ndarray) -> np.ndarray:
        # int_a^inf exp(-u/tau) H(u) du
        return tau * np.exp(-np.clip(a, 0.0, None) / tau)

    out = (integral_from(lo) - integral_from(hi)) / dt
    if period is not None and np.isfinite(period) and period > 0:
        q = math.exp(-period / tau)
        # k >= 1 terms: every earlier pulse's tail; bins with u + T < 0 (far before) are
        # handled by the clip above, the rest is the geometric sum.
        tail = np.zeros_like(out)
        for k in (1,):
            tail += (integral_from(lo + k * period) - integral_from(hi + k * period)) / dt
        tail += (integral_from(lo + 2 * period) - integral_from(hi + 2 * period)) / dt / (1.0 - q)
        out = out + tail
    return out


def convolve_measured_irf(
    t: np.ndarray,
    irf: np.ndarray,
    kernel: Callable[[np.ndarray, float], np.ndarray],
) -> np.ndarray:
    """Convolve a measured IRF (on the data grid) with a kernel given on integer lags.

    ``y_i = sum_m irf_m K(i - m)`` for lags ``-(n-1) .. n-1``; computed by FFT.
    ``kernel(j, dt)`` returns the (bin-averaged) impulse response at lag ``j`` bins.
    """
    dt = _uniform_step(t)
    n = t.size
    irf = np.asarray(irf, dtype=float)
    if irf.shape != (n,):
        raise ValueError("IRF must be sampled on the data time grid")
    lags = np.arange(-(n - 1), n)
    k = kernel(lags, dt)
    from scipy.signal import fftconvolve  # scipy.signal costs ~0.7 s to import: only here

    full = fftconvolve(irf, k, mode="full")
    # full[p] = sum_m irf[m] k[p - m], with k index 0 at lag -(n-1): lag = p - (n-1) - m
    return full[n - 1 : 2 * n - 1]


def exp_sum_measured_irf(
    t: np.ndarray,
    amplitudes,
    taus,
    irf: np.ndarray,
    shift: float = 0.0,
    period: float | None = None,
) -> np.ndarray:
    """Sum of exponentials convolved with a measured, unit-sum IRF, shifted by ``shift``.

    The IRF array is taken on the data grid (normalised here to unit sum); positive
    ``shift`` delays the decay relative to the IRF.
    """
    irf = np.clip(np.asarray(irf, dtype=float), 0.0, None)
    total = irf.sum()
    if total <= 0:
        raise ValueError("IRF has no positive counts")
    irf = irf / total
    out = np.zeros(np.asarray(t).size)
    for a, tau in zip(np.atleast_1d(amplitudes), np.atleast_1d(taus), strict=True):
        out += a * convolve_measured_irf(
            t, irf, lambda j, dt, tau=tau: exp_kernel_binned(j, dt, tau, shift, period)
        )
    return out


def impulse_measured_irf(
    t: np.ndarray, impulse: Impulse, irf: np.ndarray, shift: float = 0.0
) -> np.ndarray:
    """Any impulse response (sampled at bin centres) convolved with a measured IRF."""
    irf = np.clip(np.asarray(irf, dtype=float), 0.0, None)
    irf = irf / irf.sum()
    return convolve_measured_irf(t, irf, lambda j, dt: impulse(j * dt - shift))


def gaussian_irf(t: np.ndarray, t0: float, fwhm: float) -> np.ndarray:
    """Unit-area Gaussian IRF sampled at ``t`` (for plotting and tests)."""
    sigma = fwhm / FWHM_PER_SIGMA
    x = (np.asarray(t, dtype=float) - t0) / sigma
    return np.exp(-0.5 * x * x) / (sigma * math.sqrt(2 * math.pi))


def lifetime_1e(amplitudes, taus) -> float:
    """Time at which ``sum A_i exp(-t/tau_i)`` has fallen to 1/e of its value at t = 0.

    The 1/e lifetime of Bornschlegl 2024 (tau_PL); equals tau for a single exponential.

    >>> round(lifetime_1e([1.0], [2.5]), 9)
    2.5
    """
    a = np.asarray(amplitudes, dtype=float)
    tau = np.asarray(taus, dtype=float)
    target = a.sum() / math.e
    if a.sum() <= 0:
        return float("nan")

    def f(x: float) -> float:
        return float(np.sum(a * np.exp(-x / tau))) - target

    lo, hi = 0.0, float(tau.max())
    while f(hi) > 0:  # cannot happen for positive amplitudes, kept as a guard
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return 0.5 * (lo + hi)
