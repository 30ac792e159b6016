"""Einstein relation (Liu 2021), disorder from the bleach shift (Liu 2021), Saha."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nctransport.errors import InputError
from nctransport.photophysics import (
    bleach_shift,
    disorder,
    disorder_from_shift,
    einstein,
    equilibrium_energy,
    saha,
)


def test_einstein_liu2021():
    """D = 102 cm^2/s -> mu = 3.94e3 cm^2/Vs (Liu 2021, room temperature = 300 K)."""
    r = einstein(300.0, diffusivity_m2_s=102e-4)
    assert r.mobility_m2_Vs * 1e4 == pytest.approx(3.94e3, rel=0.005)
    back = einstein(300.0, mobility_m2_Vs=r.mobility_m2_Vs)
    assert back.diffusivity_m2_s == pytest.approx(102e-4)
    with pytest.raises(InputError):
        einstein(300.0)
    with pytest.raises(InputError):
        einstein(-1.0, diffusivity_m2_s=1e-4)


def test_disorder_liu2021_relation():
    kt = 8.617333262e-5 * 300.0
    assert bleach_shift(0.05, 300.0) == pytest.approx(-(0.05**2) / (2 * kt))
    assert equilibrium_energy(0.05, 300.0) == pytest.approx(-(0.05**2) / kt)
    r = disorder(300.0, shift_eV=-0.030)
    assert r.sigma_eV == pytest.approx(math.sqrt(2 * kt * 0.030))
    with pytest.raises(InputError):
        disorder_from_shift(+0.01, 300.0)  # a blue-shift has no disorder solution
    with pytest.raises(InputError):
        disorder(300.0, sigma_eV=0.05, shift_eV=-0.01)


@given(sigma=st.floats(0.0, 0.3), temp=st.floats(1.0, 1000.0))
def test_disorder_round_trip(sigma, temp):
    assert disorder_from_shift(bleach_shift(sigma, temp), temp) == pytest.approx(sigma, abs=1e-12)


def test_saha_against_direct_mass_action():
    """x^2/(1-x) = (1/n)(mu kT / (2 pi hbar^2))^{3/2} exp(-Eb/kT), written independently."""
    hbar, me, kb, q = 1.054571817e-34, 9.1093837015e-31, 1.380649e-23, 1.602176634e-19
    eb, n, temp, mu = 0.030, 1e23, 300.0, 0.15  # 1e17 cm^-3
    k = (mu * me * kb * temp / (2 * math.pi * hbar**2)) ** 1.5 * math.exp(-eb * q / (kb * temp)) / n
    r = saha(eb, n, temp, mu)
    x = r.free_carrier_fraction
    assert x**2 / (1 - x) == pytest.approx(k, rel=1e-9)
    # limits: strongly bound & dense -> excitons; dilute -> free carriers
    assert saha(0.5, 1e26, 10.0, 0.15).free_carrier_fraction < 1e-6
    assert saha(0.03, 1e10, 300.0, 0.15).free_carrier_fraction > 0.999
    # x = 1/2 exactly at the reported crossover density
    assert saha(eb, r.crossover_density, temp, mu).free_carrier_fraction == pytest.approx(0.5)
    with pytest.raises(InputError):
        saha(0.03, -1.0, 300.0, 0.15)
