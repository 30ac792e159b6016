"""EGDM fit recovers sigma and mu0 from J-V synthesised by the solver at 3 temperatures."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.device.fit import JVCurve, fit_egdm, simulate_egdm_jv
from nctransport.errors import FitError

SIGMA, MU0, A, L, EPS_R = 0.12, 4.5e-7, 2.8e-9, 110e-9, 3.5
GRID = 80  # small grid: the same discretisation for synthesis and fit


@pytest.fixture(scope="module")
def curves():
    rng = np.random.default_rng(7)
    v = np.geomspace(0.3, 8.0, 8)
    out = []
    for t in (217.0, 257.0, 297.0):
        j = simulate_egdm_jv(
            v,
            temperature_K=t,
            sigma_eV=SIGMA,
            mu0_m2_Vs=MU0,
            a_m=A,
            thickness_m=L,
            eps_r=EPS_R,
            n_points=GRID,
        )
        out.append(JVCurve(v, j * np.exp(rng.normal(0, 0.03, v.size)), t))
    return out


def test_fit_recovers_sigma_and_mu0(curves):
    fit = fit_egdm(
        curves,
        thickness_m=L,
        eps_r=EPS_R,
        a_m=A,
        sigma_init_eV=0.09,
        relative_noise=0.03,
        n_points=GRID,
    )
    assert fit.sigma_ci95_eV[0] < SIGMA < fit.sigma_ci95_eV[1]
    assert fit.sigma_eV == pytest.approx(SIGMA, abs=0.004)
    assert fit.mu0_ci95_m2_Vs[0] < MU0 < fit.mu0_ci95_m2_Vs[1]
    assert fit.reduced_chi2 == pytest.approx(1.0, abs=0.7)
    corr = fit.correlations["sigma_eV"]["mu0_m2_Vs"]
    assert 0.5 < corr <= 1.0  # a wider DOS needs a larger prefactor
    assert fit.a_ci95_m is None
    assert len(fit.model_current_density_A_m2) == 3


def test_fit_needs_data():
    with pytest.raises(FitError):
        fit_egdm([], thickness_m=L, eps_r=EPS_R)
    with pytest.raises(FitError):
        fit_egdm(
            [JVCurve(np.array([1.0, 2.0]), np.array([1.0, 4.0]), 297.0)], thickness_m=L, eps_r=EPS_R
        )
