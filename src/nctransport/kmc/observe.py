"""What a microscope records from a simulation, and the exact moments beside it.

The kernels fill, for every sample time (a snapshot of the particles; frame k has its
snapshot at t_k and, with integrated frames, sub-frame samples averaged into it):
``counts[k, state, iy, ix]`` (particles per ROI pixel) and ``mom[k, state, :]`` (number,
sum x, sum x^2 and sum of squared displacement from the start per axis, sum of site
energy; all particles, not only the ROI). Summed over pulses.

* TPLM (``emission``): the expected emission rate of a pixel, sum over states of
  k_rad(state) x particles (photons/s per pulse); optionally Poisson-sampled at a photon
  budget (total expected counts over the whole map).
* TAM (``population``): sum over states of absorption weight x particles per pulse.

MSD follows the per-axis convention of docs/science.md: the variance of the positions along
one axis, averaged over the lattice axes, minus that of all particles at t = 0, so a
normal diffuser gives MSD = 2 D t in 1D, 2D and 3D.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from nctransport.kmc.engine import M_D2, M_E, M_N, M_X, M_XX


def per_axis_variance(mom: np.ndarray, dim: int) -> np.ndarray:
    """Per-axis variance of the positions (m^2) averaged over the lattice axes.

    ``mom`` is ``(frames, 11)`` for one state or a weighted combination; NaN when empty.
    """
    n = mom[:, M_N]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = mom[:, M_X : M_X + dim] / n[:, None]
        var = mom[:, M_XX : M_XX + dim] / n[:, None] - mean**2
    return var.mean(axis=1)


def msd_from_moments(mom: np.ndarray, dim: int, reference: float) -> np.ndarray:
    """MSD(t) = per-axis variance(t) - ``reference`` (the per-axis variance at t = 0)."""
    return per_axis_variance(mom, dim) - reference


def tracer_msd(mom: np.ndarray, dim: int) -> np.ndarray:
    """Per-axis mean squared displacement of each particle from its own start (m^2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return mom[:, M_D2 : M_D2 + dim].sum(axis=1) / dim / mom[:, M_N]


def d_sim_from_msd(t: np.ndarray, msd: np.ndarray) -> np.ndarray:
    """D_sim(t) = [var(t) - var(0)] / (2 t) per axis (Shcherbakov-Wu 2024, Methods, on
    the per-axis convention); NaN at t = 0.

    >>> d_sim_from_msd(np.array([0.0, 1e-9]), np.array([0.0, 2e-15])).tolist()
    [nan, 1e-06]
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t > 0, np.asarray(msd, dtype=float) / (2.0 * t), np.nan)


def effective_count(n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Kish effective number of particles of a signal weighting state s by w_s:
    (sum_s w_s n_s)^2 / sum_s w_s^2 n_s (``n`` is ``(frames, states)``)."""
    w = np.asarray(weights, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (n @ w) ** 2 / (n @ (w * w))


def d_sim_stderr(
    t: np.ndarray, msd: np.ndarray, var0: float, n: np.ndarray, dim: int
) -> np.ndarray:
    """Approximate sampling standard error of D_sim(t) from ``n`` particles at t.

    For independent particles starting with per-axis variance var0 and displaced by d
    (per-axis MSD m), Var[var_hat(x0 + d) - var_hat(x0)] = (4 var0 m + 2 m^2) / n per axis,
    averaged over ``dim`` axes (Gaussian displacements; flat-topped profiles give less).
    Correlations between pulses of a memory chain are not included.
    """
    t = np.asarray(t, dtype=float)
    m = np.abs(np.asarray(msd, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (4.0 * var0 * m + 2.0 * m * m) / (np.asarray(n, dtype=float) * dim)
        return np.where(t > 0, np.sqrt(var) / (2.0 * t), np.nan)


def apply_irf(signal: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Convolve ``signal`` (time on axis 0, frames from the excitation at t = 0) with a
    normalised Gaussian instrument response of ``sigma_frames`` frames.

    Nothing is emitted before the pulse (zeros before frame 0); the signal after the last
    frame was not simulated and is taken as zero, so the last ~2 sigma of frames lose the
    part that later emission would have added.
    """
    if sigma_frames <= 0:
        return signal
    half = int(np.ceil(5.0 * sigma_frames))
    j = np.arange(-half, half + 1)
    g = np.exp(-0.5 * (j / sigma_frames) ** 2)
    g /= g.sum()
    out = np.zeros_like(signal, dtype=float)
    n = signal.shape[0]
    for k, w in zip(j, g, strict=True):  # out[i] = sum_k g_k signal[i - k]
        if abs(k) >= n:
            continue
        if k >= 0:
            out[k:] += w * signal[: n - k]
        else:
            out[: n + k] += w * signal[-k:]
    return out


def mean_energy(mom: np.ndarray) -> np.ndarray:
    """Mean site energy (eV) of the particles per frame."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return mom[:, M_E] / mom[:, M_N]


def weighted_moments(mom: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Moments of a signal that weights each state (``mom`` is ``(frames, states, 11)``)."""
    return np.einsum("ksm,s->km", mom, np.asarray(weights, dtype=float))


def microscope_signal(
    counts: np.ndarray,
    weights: np.ndarray,
    n_pulses: int,
    *,
    psf_sigma_pixels: float = 0.0,
) -> np.ndarray:
    """Per-pulse weighted pixel signal ``(frames, ny, nx)``, blurred by a Gaussian PSF."""
    sig = np.einsum("ksyx,s->kyx", counts.astype(float), np.asarray(weights, float)) / n_pulses
    if psf_sigma_pixels > 0:
        sigma = (0.0, psf_sigma_pixels if sig.shape[1] > 1 else 0.0, psf_sigma_pixels)
        sig = gaussian_filter(sig, sigma=sigma, mode="constant")
    return sig


def poisson_counts(signal: np.ndarray, photons: float, rng: np.random.Generator) -> np.ndarray:
    """Photon counts: the map scaled to ``photons`` expected counts in total, then sampled."""
    total = float(signal.sum())
    if total <= 0:
        return np.zeros_like(signal)
    return rng.poisson(signal * (photons / total)).astype(float)
