"""Forster hopping on a lattice: diffusivity <-> Forster radius.

Forster rate to an acceptor at distance r: ``k(r) = (1/tau) (R0/r)^6`` (Forster 1948;
Shcherbakov-Wu 2024 note S4, Bornschlegl 2024). Convention (docs/science.md, per-axis D): on a
lattice where a
particle hops along vectors ``d_j`` with rates ``k_j``, the per-axis diffusivity is
``D = (1/2) sum_j k_j (d_j . x)^2``. On the 2D square lattice with spacing a and
nearest-neighbour hops only, each of the 4 neighbours gets ``k_n = k(a)`` and
``D = k_n a^2`` -- exactly Shcherbakov-Wu 2024's ``D = k r^2`` with k the per-neighbour rate.
Including the 4 diagonal next-nearest neighbours at ``a sqrt 2`` (Bornschlegl 2024's model) adds
``2 k(a sqrt 2) a^2 = k_n a^2 / 4``.

Shcherbakov-Wu 2024 check (r = 10 nm, tau = 2.5 ns): D = 0.01 cm^2/s -> R0 = 17.1 nm (paper:
17.4 +- 0.8 nm); D = 0.15 cm^2/s -> R0 = 26.9 nm (paper: 25.6 +- 1.2 nm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nctransport.errors import InputError

NEIGHBOURS = ("nearest", "next-nearest")


def _positive(name: str, v: float) -> float:
    v = float(v)
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a positive finite number, got {v!r}")
    return v


def lattice_factor(neighbours: str = "nearest") -> float:
    """``D / (k_n a^2)`` on the 2D square lattice (k_n = rate to one nearest neighbour).

    >>> lattice_factor("nearest"), lattice_factor("next-nearest")
    (1.0, 1.25)
    """
    if neighbours == "nearest":
        return 1.0
    if neighbours == "next-nearest":
        # 4 diagonal neighbours at a sqrt2, rate k_n (1/sqrt2)^6 = k_n/8, x-offset a:
        # (1/2) * 4 * (k_n/8) * a^2 = k_n a^2 / 4
        return 1.25
    raise InputError(f"unknown neighbour set {neighbours!r}; use one of {', '.join(NEIGHBOURS)}")


def fret_rate(forster_radius_m: float, distance_m: float, lifetime_s: float) -> float:
    """``k = (1/tau) (R0/r)^6`` in 1/s.

    >>> round(fret_rate(2e-8, 1e-8, 2.5e-9) * 1e-9, 3)
    25.6
    """
    r0 = _positive("Forster radius", forster_radius_m)
    r = _positive("spacing", distance_m)
    tau = _positive("lifetime", lifetime_s)
    return (r0 / r) ** 6 / tau


@dataclass(frozen=True)
class ForsterHopping:
    """Forster radius, per-neighbour hop rate and per-axis diffusivity (SI)."""

    forster_radius_m: float
    spacing_m: float
    lifetime_s: float
    hop_rate_per_neighbour_Hz: float
    diffusivity_m2_s: float
    neighbours: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "forster_radius_nm": self.forster_radius_m * 1e9,
            "spacing_nm": self.spacing_m * 1e9,
            "lifetime_ns": self.lifetime_s * 1e9,
            "hop_rate_per_neighbour_per_ns": self.hop_rate_per_neighbour_Hz * 1e-9,
            "hop_time_per_neighbour_ps": 1e12 / self.hop_rate_per_neighbour_Hz,
            "diffusivity_cm2_s": self.diffusivity_m2_s * 1e4,
            "neighbours": self.neighbours,
            "convention": (
                "2D square lattice, per-neighbour rate k_n = (1/tau)(R0/a)^6; per-axis "
                "D = (1/2) sum_j k_j x_j^2 = k_n a^2 for nearest neighbours "
                "(Shcherbakov-Wu 2024 D = k r^2)"
            ),
        }


def forster_radius_from_diffusivity(
    diffusivity_m2_s: float, spacing_m: float, lifetime_s: float, neighbours: str = "nearest"
) -> ForsterHopping:
    """Invert ``D = c k_n a^2``, ``k_n = (1/tau)(R0/a)^6`` for R0 (Shcherbakov-Wu 2024).

    >>> round(forster_radius_from_diffusivity(1e-6, 1e-8, 2.5e-9).forster_radius_m * 1e9, 2)
    17.1
    """
    d = _positive("diffusivity", diffusivity_m2_s)
    a = _positive("spacing", spacing_m)
    tau = _positive("lifetime", lifetime_s)
    k_n = d / (lattice_factor(neighbours) * a * a)
    r0 = a * (k_n * tau) ** (1.0 / 6.0)
    return ForsterHopping(r0, a, tau, k_n, d, neighbours)


def diffusivity_from_forster_radius(
    forster_radius_m: float, spacing_m: float, lifetime_s: float, neighbours: str = "nearest"
) -> ForsterHopping:
    """Per-axis D from R0: ``D = c (1/tau)(R0/a)^6 a^2`` (inverse of the above)."""
    k_n = fret_rate(forster_radius_m, spacing_m, lifetime_s)
    d = lattice_factor(neighbours) * k_n * spacing_m**2
    return ForsterHopping(forster_radius_m, spacing_m, lifetime_s, k_n, d, neighbours)
