"""Synthetic maps: the truth they encode is checked against independent moments/integrals."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.dataset import kind_of
from nctransport.errors import ConfigError
from nctransport.microscopy.synthetic import (
    broken_power_law_msd,
    contracting_msd,
    exponential_decay,
    synthetic_map,
    synthetic_stack,
)

X = np.linspace(-4e-6, 4e-6, 801)
T = np.array([-1e-9, 0.0, 1e-9, 2e-9, 4e-9])


def _moments(x: np.ndarray, prof: np.ndarray) -> tuple[float, float, float]:
    dx = x[1] - x[0]
    area = prof.sum() * dx
    mean = (prof * x).sum() * dx / area
    var = (prof * (x - mean) ** 2).sum() * dx / area
    return area, mean, var


def test_gaussian_variance_grows_as_2Dt_and_integral_is_conserved():
    D, s0, amp, tau = 2e-5, 2e-7, 3.0, 3e-9
    ds = synthetic_map(T, X, sigma0=s0, D=D, amplitude=amp, lifetime=tau, center=1e-7)
    assert kind_of(ds) == "map"
    sig = ds.signal.values
    assert np.all(sig[0] == 0.0)  # pre-pulse frame: background only
    for i in range(1, T.size):
        area, mean, var = _moments(X, sig[i])
        assert var == pytest.approx(s0**2 + 2 * D * T[i], rel=1e-6)
        assert mean == pytest.approx(1e-7, abs=1e-12)
        # Population N(t) = exp(-t/tau) times the t=0 area amp*sqrt(2 pi)*s0.
        assert area == pytest.approx(amp * np.exp(-T[i] / tau) * np.sqrt(2 * np.pi) * s0, rel=1e-6)
    assert sig[1].max() == pytest.approx(amp, rel=1e-3)


def test_not_conserved_keeps_peak_and_background_added():
    ds = synthetic_map(T, X, sigma0=2e-7, D=1e-5, conserve=False, background=7.0, amplitude=-2.0)
    sig = ds.signal.values
    assert np.allclose(sig[1:].min(axis=1), 5.0, atol=1e-3)  # negative (bleach) peak
    assert np.allclose(sig[0], 7.0)


def test_voigt_profile_has_gaussian_part_that_diffuses():
    from scipy.special import voigt_profile

    s0, g, D = 1.5e-7, 1e-7, 1e-5
    ds = synthetic_map(T[1:], X, sigma0=s0, D=D, profile="voigt", lorentz_hwhm=g, amplitude=2.0)
    sig = ds.signal.values
    assert sig[0].max() == pytest.approx(2.0, rel=1e-3)
    for i, t in enumerate(T[1:]):
        s = np.sqrt(s0**2 + 2 * D * t)
        expect = 2.0 * voigt_profile(X, s, g) / voigt_profile(0.0, s0, g)
        np.testing.assert_allclose(sig[i], expect, rtol=1e-10)


def test_poisson_noise_is_seeded_integer_counts():
    kw = dict(sigma0=2e-7, D=1e-5, amplitude=50.0, background=3.0, noise="poisson")
    a = synthetic_map(T, X[::10], seed=3, **kw)
    b = synthetic_map(T, X[::10], seed=3, **kw)
    c = synthetic_map(T, X[::10], seed=4, **kw)
    assert np.array_equal(a.signal.values, b.signal.values)
    assert not np.array_equal(a.signal.values, c.signal.values)
    assert np.all(a.signal.values == np.round(a.signal.values))
    assert a.signal.attrs["units"] == "counts"
    # Pre-pulse frame: Poisson(3) mean and variance.
    many = synthetic_map(np.array([-1e-9, 0.0]), np.linspace(0, 1e-3, 20000), seed=1, **kw)
    pre = many.signal.values[0]
    assert pre.mean() == pytest.approx(3.0, abs=0.05)
    assert pre.var() == pytest.approx(3.0, abs=0.15)


def test_gaussian_noise_level():
    ds = synthetic_map(
        np.array([-1e-9, 0.0]),
        np.linspace(0, 1e-3, 20000),
        sigma0=1e-7,
        D=1e-5,
        noise="gaussian",
        noise_sigma=0.5,
        seed=2,
    )
    assert ds.signal.values[0].std() == pytest.approx(0.5, rel=0.03)


def test_any_msd_and_population_callables():
    f = broken_power_law_msd(1e-9, 1.5, 0.5, 4e-14)
    t = np.array([0.0, 0.5e-9, 1e-9, 4e-9])
    assert f(t)[2] == pytest.approx(4e-14)
    assert f(t)[1] == pytest.approx(4e-14 * 0.5**1.5)
    assert f(t)[3] == pytest.approx(4e-14 * 2.0)
    g = contracting_msd(1e-5, 2e-9)
    tt = np.linspace(0, 1e-8, 10001)
    assert tt[np.argmax(g(tt))] == pytest.approx(2e-9, rel=1e-3)
    ds = synthetic_map(t, X, sigma0=2e-7, msd=f, population=exponential_decay(1e-9))
    for i in range(1, t.size):
        _, _, var = _moments(X, ds.signal.values[i])
        assert var == pytest.approx(4e-14 + f(t)[i], rel=1e-6)


def test_stack_per_axis_widths():
    y = np.linspace(-3e-6, 3e-6, 241)
    x = np.linspace(-3e-6, 3e-6, 301)
    t = np.array([0.0, 2e-9])
    ds = synthetic_stack(t, y, x, sigma0=2e-7, D=1e-5, sigma0_y=3e-7, D_y=2e-5)
    assert kind_of(ds) == "stack"
    img = ds.signal.values[1]
    _, _, var_x = _moments(x, img.sum(axis=0))
    _, _, var_y = _moments(y, img.sum(axis=1))
    assert var_x == pytest.approx(4e-14 + 2 * 1e-5 * 2e-9, rel=1e-6)
    assert var_y == pytest.approx(9e-14 + 2 * 2e-5 * 2e-9, rel=1e-6)
    assert ds.signal.values[0].max() == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize(
    "kw",
    [
        dict(D=1e-5, msd=lambda t: t),  # both
        dict(),  # neither
        dict(D=1e-5, noise="poisson", amplitude=-5.0, background=1.0),  # negative counts
        dict(D=1e-5, noise="gaussian"),  # no noise level
        dict(D=1e-5, profile="lorentz"),
        dict(msd=lambda t: -1e-12 * np.ones_like(t)),  # sigma^2 < 0
        dict(D=1e-5, lifetime=1e-9, population=lambda t: t),
    ],
)
def test_bad_configurations_raise(kw):
    with pytest.raises(ConfigError):
        synthetic_map(T, X[::20], sigma0=2e-7, **kw)
