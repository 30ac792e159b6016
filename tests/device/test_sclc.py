"""Mott-Gurney fits on synthetic J-V with known mobility, leak and noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import epsilon_0

from nctransport.device.sclc import fit_mott_gurney, slope_regimes, thickness_scaling
from nctransport.errors import FitError, InputError

L, EPS_R, MU = 110e-9, 3.5, 4.4e-11


def mg(v, mu=MU, thickness=L):
    return 9 / 8 * epsilon_0 * EPS_R * mu * v**2 / thickness**3


def test_fit_recovers_mobility_from_noisy_jv_with_leak(rng):
    v = np.geomspace(0.05, 4.0, 40)
    g = 0.3  # S/m^2: dominates below ~0.3 V
    j = (g * v + mg(v)) * np.exp(rng.normal(0, 0.05, v.size))
    fit = fit_mott_gurney(v, j, thickness_m=L, eps_r=EPS_R)
    lo, hi = fit.mobility_ci95_m2_Vs
    assert lo < MU < hi
    assert fit.mobility_m2_Vs == pytest.approx(MU, rel=0.1)
    assert fit.leak_conductance_ci95_S_m2[0] < g < fit.leak_conductance_ci95_S_m2[1]
    assert fit.residual_std_lnJ == pytest.approx(0.05, rel=0.35)
    # Without the leak term the mobility comes out biased high.
    no_leak = fit_mott_gurney(v, j, thickness_m=L, eps_r=EPS_R, leak=False)
    assert no_leak.mobility_m2_Vs > 1.3 * MU


def test_fit_with_offset_voltage(rng):
    v = np.linspace(0.5, 5.0, 40)
    j = mg(v - 0.3) * np.exp(rng.normal(0, 0.02, v.size)) + 1e-4 * v
    fit = fit_mott_gurney(v, j, thickness_m=L, eps_r=EPS_R, offset=True, fit_range_V=(0.5, 5.0))
    assert fit.offset_ci95_V[0] < 0.3 < fit.offset_ci95_V[1]
    assert fit.mobility_ci95_m2_Vs[0] < MU < fit.mobility_ci95_m2_Vs[1]


def test_slope_regimes_ohmic_sclc_trap_filled():
    v = np.geomspace(1e-3, 20, 100)
    v_tfl = 5.0
    j = 0.1 * v + mg(v) * np.where(v > v_tfl, (v / v_tfl) ** 4, 1.0)
    regimes = slope_regimes(v, j)
    kinds = [r.kind for r in regimes]
    assert kinds == ["ohmic", "sclc", "steep"]
    assert regimes[0].slope == pytest.approx(1.0, abs=0.2)
    assert regimes[1].slope == pytest.approx(2.0, abs=0.3)
    assert regimes[2].slope == pytest.approx(6.0, abs=0.7)
    assert regimes[1].v_end == pytest.approx(v_tfl, rel=0.25)
    fit = fit_mott_gurney(v, j, thickness_m=L, eps_r=EPS_R)
    assert fit.fit_range_V[1] < 1.3 * v_tfl  # the steep part is excluded by default
    assert fit.mobility_m2_Vs == pytest.approx(MU, rel=0.05)


def test_thickness_collapse_exponent_three(rng):
    curves = []
    for thick in (65e-9, 90e-9, 130e-9):
        v = np.linspace(0.2, 6, 30)
        curves.append((thick, v, mg(v, thickness=thick) * np.exp(rng.normal(0, 0.02, v.size))))
    sc = thickness_scaling(curves)
    assert sc.exponent_ci95[0] < 3.0 < sc.exponent_ci95[1]
    assert sc.exponent == pytest.approx(3.0, abs=0.1)
    assert sc.collapse_rms_log10 < 0.02


def test_bad_inputs():
    v = np.linspace(0.1, 2, 10)
    with pytest.raises(InputError):
        fit_mott_gurney(v, mg(v), thickness_m=-1e-9, eps_r=3.5)
    with pytest.raises(FitError):
        fit_mott_gurney(v, 1e-3 * v**5, thickness_m=L, eps_r=3.5)  # no slope-2 regime
    with pytest.raises(InputError):
        fit_mott_gurney(v, mg(v), thickness_m=L, eps_r=3.5, fit_range_V=(5.0, 9.0))
