"""Decay models against independent numerical truth (quadrature, explicit sums)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from nctransport.kinetics import models as M


def _brute_emg(x: float, tau: float, sigma: float) -> float:
    """Direct quadrature of exp(-(x-s)/tau) H(x-s) * N(s; 0, sigma)."""

    def f(s):
        return (
            math.exp(-(x - s) / tau)
            * math.exp(-0.5 * (s / sigma) ** 2)
            / (sigma * math.sqrt(2 * math.pi))
        )

    lo = -12 * sigma
    hi = min(x, 12 * sigma)
    return quad(f, lo, hi, points=[0.0] if lo < 0 < hi else None)[0] if hi > lo else 0.0


@pytest.mark.parametrize("tau,sigma", [(0.5, 0.1), (5.0, 0.13), (0.05, 0.2)])
def test_emg_matches_quadrature(tau, sigma):
    xs = np.array([-0.5, -0.1, 0.0, 0.05, 0.3, 1.0, 3.0])
    got = M.emg(xs, tau, sigma)
    want = np.array([_brute_emg(x, tau, sigma) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-14)


def test_emg_is_finite_far_from_the_pulse():
    """erfcx keeps the tail exact where exp(sigma^2/2tau^2 - x/tau) * erfc would fail."""
    x = np.array([-50.0, 200.0, 1e4])
    g = M.emg(x, 0.01, 0.2)  # sigma/tau = 20: naive form overflows exp(200)
    assert np.all(np.isfinite(g))
    assert g[0] == 0.0 or g[0] < 1e-300
    # far tail: pure exponential times exp(sigma^2/2tau^2), here for tau=2, sigma=0.1
    assert M.emg(np.array([40.0]), 2.0, 0.1)[0] == pytest.approx(math.exp(-20 + 0.00125), rel=1e-12)


def test_pileup_equals_explicit_sum_over_pulses():
    t = np.linspace(-1, 12, 300)
    tau, sigma, period = 4.0, 0.1, 12.5
    explicit = sum(M.emg(t + k * period, tau, sigma) for k in range(0, 60))
    np.testing.assert_allclose(M.emg_periodic(t, tau, sigma, period), explicit, rtol=1e-10)
    # before the pulse only earlier pulses' tails remain: a geometric series of
    # exp(sigma^2/2tau^2 - (x + kT)/tau), k >= 1
    assert M.emg_periodic(np.array([-0.9]), tau, sigma, period)[0] == pytest.approx(
        math.exp(0.5 * (sigma / tau) ** 2 - (period - 0.9) / tau) / (1 - math.exp(-period / tau)),
        rel=1e-9,
    )


def test_periodic_wrapper_matches_analytic_geometric_sum():
    imp = M.periodic(lambda u: M.exp_sum(u, [1.0], [3.0]), 10.0)
    t = np.array([0.5, 5.0])
    want = np.exp(-t / 3.0) / (1 - math.exp(-10.0 / 3.0))
    np.testing.assert_allclose(imp(t), want, rtol=1e-10)


def test_measured_irf_convolution_reproduces_analytic_emg_with_subbin_shift():
    dt = 0.01
    t = np.arange(-3, 20, dt)
    fwhm, t0, tau = 0.25, 0.0, 1.7
    irf = M.gaussian_irf(t, t0, fwhm) * dt
    for shift in (0.0, 0.0037, -0.0061):  # sub-bin shifts
        got = M.exp_sum_measured_irf(t, [1.0], [tau], irf, shift=shift)
        want = M.exp_sum_gaussian_irf(t, [1.0], [tau], t0 + shift, fwhm)
        # bin-averaged kernel vs point values: agreement to O(dt^2/tau^2, dt^2/sigma^2)
        np.testing.assert_allclose(got, want, atol=2e-3 * want.max())


def test_measured_irf_pileup_matches_gaussian_pileup():
    dt = 0.02
    t = np.arange(-2, 12.5, dt)
    irf = M.gaussian_irf(t, 0.0, 0.2) * dt
    got = M.exp_sum_measured_irf(t, [1.0], [5.0], irf, 0.0, period=12.5)
    want = M.exp_sum_gaussian_irf(t, [1.0], [5.0], 0.0, 0.2, period=12.5)
    np.testing.assert_allclose(got, want, atol=3e-3)


def test_numeric_gaussian_convolution_of_exponential_matches_analytic():
    t = np.linspace(-1, 10, 200)
    imp = lambda u: M.exp_sum(u, [1.0], [2.0])  # noqa: E731
    got = M.convolve_gaussian(t, imp, 0.3, 0.4, nodes_per_sigma=40)
    want = M.exp_sum_gaussian_irf(t, [1.0], [2.0], 0.3, 0.4)
    np.testing.assert_allclose(got, want, atol=5e-3)


def test_stretched_beta_one_is_exponential_and_lifetime_1e():
    t = np.linspace(0, 10, 50)
    np.testing.assert_allclose(M.stretched_exp(t, 2.0, 1.5, 1.0), 2.0 * np.exp(-t / 1.5))
    # 1/e lifetime of a biexponential solves sum A exp(-t/tau) = sum A / e
    lt = M.lifetime_1e([1.0, 1.0], [1.0, 10.0])
    assert math.exp(-lt) + math.exp(-lt / 10) == pytest.approx(2 / math.e, rel=1e-9)


def test_power_law_tail():
    t = np.array([1.0, 2.0, 4.0])
    y = M.power_law(t, 1.0, 1.6)
    assert np.log(y[0] / y[2]) / np.log(4.0) == pytest.approx(1.6)
    assert M.power_law(np.array([0.0, -1.0]), 1.0, 1.5).tolist() == [0.0, 0.0]
