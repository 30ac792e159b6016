"""EGDM / PF / GDM mobilities against values computed here from the published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nctransport.device.mobility import (
    EGDMMobility,
    PooleFrenkelMobility,
    egdm,
    gdm,
    poole_frenkel,
)
from nctransport.errors import InputError

KB_EV = 8.617333262e-5  # CODATA 2018, eV/K


def pasveer_by_hand(T, p, E, sigma, a, mu0):
    """Pasveer et al. PRL 94, 206601 (2005) Eqs. 2-4, written out with the math module."""
    s = sigma / (KB_EV * T)
    delta = 2.0 * (math.log(s * s - s) - math.log(math.log(4.0))) / (s * s)
    g1 = math.exp(0.5 * (s * s - s) * (2.0 * p * a**3) ** delta)
    g2 = math.exp(0.44 * (s**1.5 - 2.2) * (math.sqrt(1.0 + 0.8 * (E * a / sigma) ** 2) - 1.0))
    return mu0 * math.exp(-0.42 * s * s) * g1 * g2


@pytest.mark.parametrize(
    ("T", "p", "E", "sigma", "a"),
    [
        (297.0, 1e22, 1e7, 0.12, 2.8e-9),
        (217.0, 5e23, 5e7, 0.12, 2.8e-9),
        (250.0, 1e24, 0.0, 0.10, 1.6e-9),
        (330.0, 0.0, 8e7, 0.15, 3.0e-9),
    ],
)
def test_egdm_matches_pasveer_formula(T, p, E, sigma, a):
    got = egdm(temperature_K=T, density_m3=p, field_V_m=E, sigma_eV=sigma, a_m=a, mu0_m2_Vs=3e-7)
    assert got == pytest.approx(pasveer_by_hand(T, p, E, sigma, a, 3e-7), rel=1e-9)


def test_egdm_limits_g1_g2_to_one():
    kw = dict(temperature_K=297.0, sigma_eV=0.12, a_m=2.8e-9, mu0_m2_Vs=1.0)
    base = egdm(density_m3=0.0, field_V_m=0.0, **kw)
    s = 0.12 / (KB_EV * 297.0)
    assert base == pytest.approx(math.exp(-0.42 * s * s), rel=1e-9)  # c1 folded into mu0
    # g1 -> 1 as p -> 0 and g2 -> 1 as E -> 0
    # (g1 approaches 1 slowly, as p^delta with delta ~ 0.23 here)
    g1 = [egdm(density_m3=p, field_V_m=0.0, **kw) / base for p in (1e20, 1e10, 1e-20)]
    assert g1[0] > g1[1] > g1[2] > 1.0
    assert g1[2] == pytest.approx(1.0, abs=1e-6)
    assert egdm(density_m3=0.0, field_V_m=1.0, **kw) / base == pytest.approx(1.0, abs=1e-12)
    # enhancement grows with density and field
    assert egdm(density_m3=1e25, field_V_m=0.0, **kw) > 10 * base
    assert egdm(density_m3=0.0, field_V_m=1e8, **kw) > 10 * base


def test_egdm_vectorised_broadcasting():
    p = np.logspace(20, 25, 4)[:, None]
    e = np.array([0.0, 1e7, -1e7])[None, :]
    mu = egdm(
        temperature_K=297.0, density_m3=p, field_V_m=e, sigma_eV=0.12, a_m=2.8e-9, mu0_m2_Vs=1e-7
    )
    assert mu.shape == (4, 3)
    assert np.allclose(mu[:, 1], mu[:, 2])  # only |E| matters
    assert np.all(np.diff(mu[:, 0]) > 0)


def test_egdm_rejects_weak_disorder():
    with pytest.raises(InputError):
        egdm(
            temperature_K=300.0,
            density_m3=0.0,
            field_V_m=0.0,
            sigma_eV=0.03,
            a_m=1e-9,
            mu0_m2_Vs=1.0,
        )


def test_egdm_model_log_derivatives_match_finite_differences():
    m = EGDMMobility(1e-7, 0.12, 2.8e-9, 250.0)
    p, e = np.array([3e23]), np.array([4e7])
    mu, dlnp, dle = m.evaluate(p, e)
    h = 1e-6
    num_p = (np.log(m.evaluate(p * (1 + h), e)[0]) - np.log(m.evaluate(p * (1 - h), e)[0])) / (
        np.log1p(h) - np.log1p(-h)
    )
    num_e = (np.log(m.evaluate(p, e * (1 + h))[0]) - np.log(m.evaluate(p, e * (1 - h))[0])) / (
        2 * h * e
    )
    assert dlnp == pytest.approx(num_p, rel=1e-6)
    assert dle == pytest.approx(num_e, rel=1e-6)
    assert mu == pytest.approx(pasveer_by_hand(250.0, 3e23, 4e7, 0.12, 2.8e-9, 1e-7), rel=1e-9)


def test_poole_frenkel_and_gdm_values():
    assert poole_frenkel(field_V_m=-4e8, mu0_m2_Vs=2e-10, gamma_sqrt_m_V=5e-5) == pytest.approx(
        2e-10 * math.exp(5e-5 * 2e4)
    )
    mu, _, dle = PooleFrenkelMobility(2e-10, 5e-5).evaluate(np.array([1e20]), np.array([4e8]))
    assert dle[0] == pytest.approx(5e-5 / (2 * 2e4))
    # Bassler: C = 2.9e-4 (cm/V)^1/2, Sigma = 2, E = 1e5 V/cm = 1e7 V/m
    s = 0.1 / (KB_EV * 300.0)
    want = 1e-3 * math.exp(-((2 * s / 3) ** 2) + 2.9e-4 * (s * s - 4.0) * math.sqrt(1e5))
    got = gdm(temperature_K=300.0, field_V_m=1e7, sigma_eV=0.1, mu_inf_m2_Vs=1e-3)
    assert got == pytest.approx(want, rel=1e-9)
