"""Gauss-Fermi statistics against direct adaptive quadrature and known limits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from nctransport.device.statistics import (
    einstein_ratio,
    gauss_fermi_density,
    log_density_gauss_fermi,
)

KB_EV = 8.617333262e-5


def direct(eta, s):
    def f(x):
        return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi) / (1.0 + np.exp(min(s * x - eta, 700.0)))

    c = np.clip(eta / s, -s, 0.0)
    val, _ = quad(f, c - 14, c + 14, points=[eta / s, -s], limit=500, epsabs=0, epsrel=1e-12)
    return val


@pytest.mark.parametrize("s", [2.5, 4.7, 6.4, 9.0])
@pytest.mark.parametrize("eta", [-120.0, -30.0, -8.0, 0.0, 4.0])
def test_density_matches_adaptive_quadrature(s, eta):
    ln_n, _ = log_density_gauss_fermi(np.array([eta]), s)
    assert np.exp(ln_n[0]) == pytest.approx(direct(eta, s), rel=1e-10)


def test_derivative_matches_finite_difference():
    eta = np.linspace(-60, 5, 14)
    ln_n, r = log_density_gauss_fermi(eta, 5.0)
    h = 1e-5
    num = (log_density_gauss_fermi(eta + h, 5.0)[0] - log_density_gauss_fermi(eta - h, 5.0)[0]) / (
        2 * h
    )
    assert np.allclose(r, num, rtol=1e-7, atol=1e-9)


def test_half_filled_at_dos_centre_and_tail_limit():
    n, _ = gauss_fermi_density(0.0, sigma_eV=0.12, temperature_K=297.0, site_density_m3=4.6e25)
    assert n == pytest.approx(0.5 * 4.6e25, rel=1e-12)
    # deep tail: n = N exp(eta + s^2/2) (Boltzmann at the effective level -sigma^2/kT)
    s, eta = 4.0, -60.0
    ln_n, r = log_density_gauss_fermi(np.array([eta]), s)
    assert ln_n[0] == pytest.approx(eta + 0.5 * s * s, abs=1e-9)
    assert r[0] == pytest.approx(1.0, abs=1e-9)


def test_generalised_einstein_ratio():
    kt = KB_EV * 297.0
    ef = np.array([-1.2, -0.8, -0.4, -0.2, 0.0])  # eV from the DOS centre
    ratio = einstein_ratio(ef, sigma_eV=0.12, temperature_K=297.0)
    assert ratio[0] == pytest.approx(kt, rel=1e-6)  # low density: plain Einstein, kT/q
    assert np.all(np.diff(ratio) > 0)  # enhancement grows with filling
    assert ratio[-1] > 3 * kt
    assert einstein_ratio(ef, sigma_eV=None, temperature_K=297.0) == pytest.approx(kt)
