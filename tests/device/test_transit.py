"""Transient-EL transit time and Poole-Frenkel fits on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.device.transit import fit_poole_frenkel, transit_mobility, transit_time
from nctransport.errors import FitError, InputError


def tel_curve(widths, tau, rng, noise=0.01):
    # Light only after the transit time; a soft onset over ~tau/2 around tau.
    soft = 0.25 * tau * np.logaddexp(0.0, (widths - tau) / (0.25 * tau))
    return 3.0 * soft * (1 + rng.normal(0, noise, widths.size))


def test_transit_time_and_mobility(rng):
    tau, L, V = 6e-6, 30e-9, 4.0
    w = np.linspace(2e-6, 100e-6, 40)
    fit = transit_time(w, tel_curve(w, tau, rng))
    assert fit.transit_time_ci95_s[0] < tau < fit.transit_time_ci95_s[1]
    assert fit.transit_time_s == pytest.approx(tau, rel=0.05)
    assert fit.fit_from_s >= 2.9 * fit.transit_time_s  # only tau_pulse >> tau_d is used
    mu, ci = transit_mobility(
        fit.transit_time_s, thickness_m=L, voltage_V=V, transit_time_ci95_s=fit.transit_time_ci95_s
    )
    assert mu == pytest.approx(L**2 / (fit.transit_time_s * V))
    assert ci[0] < L**2 / (tau * V) < ci[1]


def test_poole_frenkel_fit(rng):
    e = np.linspace(1e7, 5e7, 7)
    mu = 2e-11 * np.exp(2e-4 * np.sqrt(e)) * np.exp(rng.normal(0, 0.02, e.size))
    pf = fit_poole_frenkel(e, mu)
    assert pf.gamma_ci95_sqrt_m_V[0] < 2e-4 < pf.gamma_ci95_sqrt_m_V[1]
    assert pf.mu0_ci95_m2_Vs[0] < 2e-11 < pf.mu0_ci95_m2_Vs[1]


def test_bad_inputs():
    with pytest.raises(FitError):
        transit_time([1e-6, 2e-6], [1.0, 2.0])
    with pytest.raises(InputError):
        transit_mobility(1e-6, thickness_m=-1.0, voltage_V=4.0)
    with pytest.raises(FitError):
        transit_time(np.linspace(1e-6, 1e-5, 10), -np.linspace(1, 2, 10))
