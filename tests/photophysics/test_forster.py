"""Forster radius <-> diffusivity (Shcherbakov-Wu 2024 numbers, lattice convention)."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import InputError
from nctransport.photophysics import (
    diffusivity_from_forster_radius,
    forster_radius_from_diffusivity,
    fret_rate,
    lattice_factor,
)

CM2_S = 1e-4


def test_shcherbakov_wu2024_forster_radii():
    """D = 0.01 and 0.15 cm^2/s, r = 10 nm, tau = 2.5 ns -> R0 ~ 17 and ~26 nm."""
    lo = forster_radius_from_diffusivity(0.01 * CM2_S, 10e-9, 2.5e-9)
    hi = forster_radius_from_diffusivity(0.15 * CM2_S, 10e-9, 2.5e-9)
    assert lo.forster_radius_m * 1e9 == pytest.approx(17.4, abs=0.8)  # seed: 17.4 +- 0.8
    assert hi.forster_radius_m * 1e9 == pytest.approx(26.0, abs=1.0)  # seed: 25.6 +- 1.2
    # closed form: R0 = r (D tau / r^2)^(1/6)
    assert lo.forster_radius_m == pytest.approx(10e-9 * (1e-6 * 2.5e-9 / 1e-16) ** (1 / 6))


def test_round_trip_and_rate():
    r = diffusivity_from_forster_radius(17e-9, 10e-9, 2.5e-9)
    back = forster_radius_from_diffusivity(r.diffusivity_m2_s, 10e-9, 2.5e-9)
    assert back.forster_radius_m == pytest.approx(17e-9, rel=1e-12)
    assert r.hop_rate_per_neighbour_Hz == pytest.approx(fret_rate(17e-9, 10e-9, 2.5e-9))
    assert fret_rate(10e-9, 10e-9, 2e-9) == pytest.approx(1 / 2e-9)  # R0 = r: k = 1/tau


def test_lattice_factor_from_random_walk(rng):
    """Per-axis D of a simulated square-lattice walk with NN (+ diagonal) hops."""
    a, k_n, n_walkers, t_end = 1.0, 1.0, 20000, 40.0
    for neighbours, hops, rates in (
        ("nearest", [(1, 0), (-1, 0), (0, 1), (0, -1)], [k_n] * 4),
        (
            "next-nearest",
            [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)],
            [k_n] * 4 + [k_n / 8] * 4,
        ),
    ):
        rates = np.array(rates)
        n_hops = rng.poisson(rates.sum() * t_end, size=n_walkers)
        p = rates / rates.sum()
        dx = np.array([h[0] for h in hops], dtype=float) * a
        x = rng.multinomial(n_hops, p) @ dx  # hops per direction -> x displacement
        d_sim = np.mean(x**2) / (2 * t_end)
        assert d_sim == pytest.approx(lattice_factor(neighbours) * k_n * a**2, rel=0.04)


def test_bad_inputs():
    with pytest.raises(InputError):
        forster_radius_from_diffusivity(-1e-6, 1e-8, 2.5e-9)
    with pytest.raises(InputError):
        forster_radius_from_diffusivity(1e-6, 0.0, 2.5e-9)
    with pytest.raises(InputError):
        lattice_factor("hexagonal")
