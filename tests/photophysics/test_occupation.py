"""Poisson occupation, Boltzmann bright/dark populations, Bornschlegl 2024's 58 % dark photons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nctransport.errors import InputError
from nctransport.kinetics import fit_decay
from nctransport.photophysics import (
    bright_dark,
    bright_fraction,
    photon_fractions,
    poisson_occupation,
)

K_B_EV = 8.617333262e-5


def test_poisson_sums_to_one_and_mean():
    p = np.array(poisson_occupation(2.0, 40))
    assert p.sum() == pytest.approx(1.0)
    assert np.sum(np.arange(41) * p) == pytest.approx(2.0)
    with pytest.raises(InputError):
        poisson_occupation(-0.1)


@pytest.mark.parametrize("mean", [0.0, 1e-3, 0.5, 2.0, 30.0])
def test_poisson_is_scipy_stats_pmf(mean):
    # computed from scipy.special (scipy.stats costs ~0.5 s to import): the same numbers
    from scipy.stats import poisson

    p = np.array(poisson_occupation(mean, 60))
    np.testing.assert_allclose(p, poisson.pmf(np.arange(61), mean), rtol=1e-13, atol=1e-300)


def test_boltzmann_threefold_bright_level():
    # limits: T -> inf gives 3/4 bright; dE = 0 also 3/4; T -> 0 gives 0
    assert bright_fraction(0.015, 1e9) == pytest.approx(0.75, abs=1e-6)
    assert bright_fraction(0.0, 10.0) == pytest.approx(0.75)
    # Bornschlegl 2024 at 10 K: 14 nm NCs (3 meV) keep a significant bright population,
    # 5 nm NCs (15 meV) essentially none
    x = 3 * math.exp(-0.003 / (K_B_EV * 10))
    assert bright_fraction(0.003, 10.0) == pytest.approx(x / (1 + x))
    assert bright_fraction(0.003, 10.0) > 0.05
    assert bright_fraction(0.015, 10.0) < 1e-6
    with pytest.raises(InputError):
        bright_fraction(0.01, 0.0)


def test_photon_fractions_definition():
    np.testing.assert_allclose(photon_fractions([2.0, 1.0], [1.0, 4.0]), [1 / 3, 2 / 3])


def test_bornschlegl2024_58_percent_dark_photons(rng):
    """Bornschlegl 2024: 5 nm NCs at 10 K, tau_B = 480 ps, tau_D = 52 ns, ~58 % of photons dark.

    Independent truth: a Monte Carlo of single excitons in the bright/dark scheme (bright
    state decays radiatively or relaxes to the dark state, no way back at 10 K; the dark
    state emits with tau_D). Branching k_r/(k_r + k_BD) = 0.42 and
    1/(k_r + k_BD) = 480 ps. Every photon is labelled by its source; the photon histogram
    is fitted with a biexponential and the slow component's photon fraction
    (A_D tau_D / sum A tau, "integrating the PL over the two time ranges") must match the
    counted dark fraction and the seed's 58 %.
    """
    tau_b, tau_d, n = 0.48, 52.0, 400_000
    t_bright = rng.exponential(tau_b, n)
    goes_dark = rng.random(n) < 0.58
    t_photon = np.where(goes_dark, t_bright + rng.exponential(tau_d, n), t_bright)
    counted_dark = goes_dark.mean()
    edges = np.arange(0.0, 400.0 + 0.1, 0.1)
    hist, _ = np.histogram(t_photon, edges)
    t = 0.5 * (edges[1:] + edges[:-1])
    f = fit_decay(
        t * 1e-9, hist, model="exp2", irf="none", window_s=(0.0, 400e-9), background=False
    )
    fast, slow = f.components
    assert slow.tau_s * 1e9 == pytest.approx(tau_d, rel=0.03)
    assert fast.tau_s * 1e9 == pytest.approx(tau_b, rel=0.03)
    assert slow.photon_fraction == pytest.approx(counted_dark, abs=0.015)
    assert slow.photon_fraction == pytest.approx(0.58, abs=0.02)
    # the calculator gives the same split from the fitted amplitude ratio
    bd = bright_dark(
        0.015,
        10.0,
        tau_bright_s=fast.tau_s,
        tau_dark_s=slow.tau_s,
        amplitude_ratio=slow.amplitude / fast.amplitude,
    )
    assert bd.dark_photon_fraction == pytest.approx(slow.photon_fraction, rel=1e-9)
    # and its inverse returns the amplitude ratio that makes 58 %
    inv = bright_dark(
        0.015, 10.0, tau_bright_s=480e-12, tau_dark_s=52e-9, dark_photon_fraction=0.58
    )
    assert photon_fractions([1.0, inv.amplitude_ratio_dark_to_bright], [0.48, 52.0])[1] == (
        pytest.approx(0.58)
    )
