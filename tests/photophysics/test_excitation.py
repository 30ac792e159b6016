"""Excitation density against hand calculations and Shcherbakov-Wu 2024 numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nctransport.errors import InputError
from nctransport.photophysics import excitation


def test_shcherbakov_wu2024_conditions():
    """10 nW, 2.5 MHz, 500 nm spot, 405 nm (Shcherbakov-Wu 2024, Fig. 1E)."""
    e = excitation(10e-9, 2.5e6, 500e-9, 405e-9).to_dict()
    assert e["pulse_energy_J"] == pytest.approx(4e-15)
    # photons: E / (h c / lambda) with h c = 1239.84198 eV nm
    e_ph = 1239.841984 / 405 * 1.602176634e-19
    assert e["photons_per_pulse"] == pytest.approx(4e-15 / e_ph, rel=1e-6)
    # peak fluence of a Gaussian: 4 ln2 E / (pi FWHM^2), in uJ/cm^2
    fwhm_cm = 500e-7
    peak = 4 * math.log(2) * 4e-15 / (math.pi * fwhm_cm**2) * 1e6
    assert e["peak_fluence_uJ_cm2"] == pytest.approx(peak, rel=1e-9)
    assert e["mean_fluence_uJ_cm2"] == pytest.approx(peak / 2, rel=1e-12)
    # the seed quotes ~0.76 uJ/cm^2 for these conditions: our mean fluence is within 10 %
    assert e["mean_fluence_uJ_cm2"] == pytest.approx(0.76, rel=0.10)


def test_mean_excitations_poisson_and_time_between():
    # choose sigma so that <N> = 0.08 at the peak (Shcherbakov-Wu 2024: 0.08 excitons per NC)
    e0 = excitation(10e-9, 2.5e6, 500e-9, 405e-9)
    sigma = 0.08 / e0.photon_fluence_m2
    e = excitation(10e-9, 2.5e6, 500e-9, 405e-9, sigma, n_max=3)
    assert e.mean_excitations_per_nc == pytest.approx(0.08)
    p = np.array(e.occupation)
    np.testing.assert_allclose(p, [math.exp(-0.08) * 0.08**n / math.factorial(n) for n in range(4)])
    # Shcherbakov-Wu 2024: 1/(f <N>) = 1/(2.5 MHz * 0.08) = 5 us
    assert e.time_between_excitations_s == pytest.approx(5e-6)
    assert e.time_between_exciting_pulses_s > e.time_between_excitations_s


@pytest.mark.parametrize(
    "args",
    [
        (-1e-9, 1e6, 5e-7, 4e-7),
        (1e-9, 0.0, 5e-7, 4e-7),
        (1e-9, 1e6, 0.0, 4e-7),
        (1e-9, 1e6, 5e-7, float("nan")),
    ],
)
def test_bad_inputs(args):
    with pytest.raises(InputError):
        excitation(*args)


@given(
    p=st.floats(1e-12, 1e-3),
    f=st.floats(1e3, 1e9),
    w=st.floats(1e-8, 1e-4),
    lam=st.floats(2e-7, 2e-6),
)
def test_fluence_scales_and_integrates(p, f, w, lam):
    """Peak fluence integrates back to the pulse energy over the Gaussian spot."""
    e = excitation(p, f, w, lam)
    s = w / (2 * math.sqrt(2 * math.log(2)))
    assert e.peak_fluence_J_m2 * 2 * math.pi * s * s == pytest.approx(p / f, rel=1e-9)
    assert e.photons_per_pulse * e.photon_energy_J == pytest.approx(p / f, rel=1e-9)
