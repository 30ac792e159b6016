"""Lattice geometry and excitation."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.kmc.excitation import bernoulli_pulse, gaussian_particles, poisson_pulse
from nctransport.kmc.lattice import build_lattice, neighbour_offsets


@pytest.mark.parametrize(
    ("dim", "reach", "z"), [(1, "nn", 2), (2, "nn", 4), (2, "nnn", 8), (3, "nn", 6), (3, "nnn", 18)]
)
def test_neighbour_counts(dim, reach, z):
    offs, cls, r = neighbour_offsets(dim, reach)
    assert len(offs) == z
    assert np.allclose(r[cls == 0], 1.0) and np.allclose(r[cls == 1], np.sqrt(2))
    # symmetric: every offset has its opposite (needed for neighbour updates)
    assert {tuple(o) for o in offs} == {tuple(-o) for o in offs}


def test_positions_jitter_vacancies(rng):
    lat = build_lattice(2, (11, 7), 5e-9, jitter=1e-9, vacancy_fraction=0.2, rng=rng)
    assert lat.shape == (11, 7, 1) and lat.n_sites == 77
    ideal = build_lattice(2, (11, 7), 5e-9)
    d = lat.positions(np.arange(77)) - ideal.positions(np.arange(77))
    assert 0.5e-9 < d[:, :2].std() < 1.5e-9 and np.all(d[:, 2] == 0)
    assert 0.05 < lat.vacancies.mean() < 0.4
    assert ideal.positions(np.array([5 + 11 * 3]))[0].tolist() == [0.0, 0.0, 0.0]


def test_bernoulli_pulse_mean_matches_eq6(rng):
    # Shcherbakov-Wu 2024 Eq. 6: expected number = alpha sum exp(-r^2/2 sigma^2) ~ alpha 2pi sigma^2
    lat = build_lattice(2, 201, 10e-9)
    n = [bernoulli_pulse(lat, 0.5, 106.2e-9, rng).size for _ in range(20)]
    expect = 0.5 * 2 * np.pi * 10.62**2
    assert np.mean(n) == pytest.approx(expect, rel=0.03)
    sites = bernoulli_pulse(lat, 1.0, 30e-9, rng)
    assert np.unique(sites).size == sites.size


def test_poisson_and_particles(rng):
    lat = build_lattice(1, 101, 10e-9)
    n = poisson_pulse(lat, 2.0, 50e-9, rng).size
    assert n == pytest.approx(2.0 * np.sqrt(2 * np.pi) * 5.0, rel=0.25)
    sites = gaussian_particles(lat, 20000, 50e-9, rng)
    x = lat.positions(sites)[:, 0]
    assert x.std() == pytest.approx(np.sqrt(50e-9**2 + (10e-9) ** 2 / 12), rel=0.03)
    assert gaussian_particles(lat, 500, 20e-9, rng, unique=True).size <= 101
