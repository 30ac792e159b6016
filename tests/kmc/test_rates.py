"""Rate laws against docs/science.md's numbers (Shcherbakov-Wu 2024 note S4: R0 <-> D)."""

from __future__ import annotations

import math

import pytest

from nctransport.kmc.rates import (
    diffusivity_from_forster_radius,
    equilibrium_mean_energy,
    forster_radius_from_diffusivity,
    forster_rate,
    lattice_diffusivity,
    miller_abrahams_rate,
)


def test_forster_radius_matches_science_md():
    # docs/science.md: D = 0.01 cm^2/s <-> R0 ~ 17 nm; D = 0.15 cm^2/s <-> R0 ~ 26 nm
    # (r = 10 nm, tau = 2.5 ns, D = k r^2 per neighbour).
    assert forster_radius_from_diffusivity(0.01e-4, 10e-9, 2.5e-9) == pytest.approx(17e-9, rel=0.02)
    assert forster_radius_from_diffusivity(0.15e-4, 10e-9, 2.5e-9) == pytest.approx(26e-9, rel=0.04)


def test_forster_round_trip_and_r6_law():
    r0 = forster_radius_from_diffusivity(3e-6, 8e-9, 1e-9)
    assert diffusivity_from_forster_radius(r0, 8e-9, 1e-9) == pytest.approx(3e-6, rel=1e-12)
    assert forster_rate(2 * 8e-9, r0, 1e-9) == pytest.approx(forster_rate(8e-9, r0, 1e-9) / 64)
    assert forster_rate(5e-9, 5e-9, 2e-9) == pytest.approx(0.5e9)  # r = R0: k = 1/tau


def test_lattice_diffusivity_per_axis():
    # 2D square lattice, total rate k = 4 k_n: D = k a^2 / 4 = k_n a^2 (docs/science.md)
    assert lattice_diffusivity(2.5e9, 4e-9) == pytest.approx(4 * 2.5e9 * (4e-9) ** 2 / 4)


def test_miller_abrahams_detailed_balance():
    kT = 8.617333262e-5 * 300
    up = miller_abrahams_rate(1e12, 1e-9, 0.5e-9, 0.05, 300)
    down = miller_abrahams_rate(1e12, 1e-9, 0.5e-9, -0.05, 300)
    assert up / down == pytest.approx(math.exp(-0.05 / kT))
    assert down == pytest.approx(1e12 * math.exp(-4.0))


def test_equilibrium_energy():
    assert equilibrium_mean_energy(0.1, 300) == pytest.approx(-(0.1**2) / (8.617333262e-5 * 300))
