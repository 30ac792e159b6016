"""What a microscope records from a simulation, and the exact moments beside it.

The kernels fill, for every frame time t_k (a snapshot of the particles at t_k):
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
