"""Hop-rate laws and the relations between rates and diffusivity (SI units).

Per-axis convention (docs/science.md): on a lattice with rate k_n to each nearest neighbour
at distance a, the per-axis diffusivity is D = k_n a^2 in every dimension count.
"""

from __future__ import annotations

import math

import numpy as np

#: Boltzmann constant in eV/K (CODATA 2018, exact).
K_B_EV = 8.617333262e-5


def lattice_diffusivity(k_n: float, spacing: float) -> float:
    """Per-axis D (m^2/s) of a lattice walk with rate ``k_n`` per nearest neighbour.

    docs/science.md: D = k_n a^2 (2D square: total rate k = 4 k_n gives D = k a^2 / 4).

    >>> round(lattice_diffusivity(1e10, 10e-9), 12)
    1e-06
    """
    return k_n * spacing**2


def forster_rate(r: float | np.ndarray, r0: float, tau: float) -> float | np.ndarray:
    """Forster transfer rate k = (1/tau) (R0/r)^6 (Shcherbakov-Wu 2024; Bornschlegl 2024)."""
    return (1.0 / tau) * (r0 / np.asarray(r)) ** 6


def forster_radius_from_diffusivity(d: float, r: float, tau: float) -> float:
    """R0 that gives per-axis D on a square lattice of spacing r (Shcherbakov-Wu 2024 note S4).

    Shcherbakov-Wu 2024 inverts D = k r^2 with k = (1/tau)(R0/r)^6 per nearest neighbour:
    R0 = r (D tau / r^2)^(1/6). D = 0.01 cm^2/s, r = 10 nm, tau = 2.5 ns gives ~17 nm.

    >>> round(forster_radius_from_diffusivity(1e-6, 10e-9, 2.5e-9) * 1e9, 1)
    17.1
    """
    return r * (d * tau / r**2) ** (1.0 / 6.0)


def diffusivity_from_forster_radius(r0: float, r: float, tau: float) -> float:
    """Per-axis D = k r^2 of nearest-neighbour Forster hops (inverse of the above)."""
    return float(forster_rate(r, r0, tau)) * r**2


def miller_abrahams_rate(
    nu0: float, r: float, loc_length: float, delta_e: float, temperature: float
) -> float:
    """Miller-Abrahams rate nu0 exp(-2r/a_loc) * (exp(-dE/kT) if dE > 0 else 1) (docs/science.md).

    ``delta_e`` = E_target - E_origin in eV.

    >>> miller_abrahams_rate(1e12, 1e-9, 0.5e-9, 0.0, 300.0) == 1e12 * math.exp(-4)
    True
    """
    boltz = math.exp(-delta_e / (K_B_EV * temperature)) if delta_e > 0 else 1.0
    return nu0 * math.exp(-2.0 * r / loc_length) * boltz


def equilibrium_mean_energy(sigma: float, temperature: float) -> float:
    """Mean energy (eV) of carriers in equilibrium in a Gaussian DOS: -sigma^2/(kT).

    Bassler, phys. stat. sol. (b) 175, 15 (1993); docs/science.md (energetic disorder).
    """
    return -(sigma**2) / (K_B_EV * temperature)
