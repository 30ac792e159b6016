"""Continuum models against independent truth: Gaussian variances and a quadrature."""

import numpy as np
import pytest
from scipy import integrate

from nctransport.continuum.models import MODELS, propagate


def _moments(profile, x):
    w = profile / profile.sum()
    mu = (w * x).sum()
    return profile.sum(), (w * (x - mu) ** 2).sum()


def test_diffusion_variance_grows_by_2dt_and_decays():
    # docs/science.md: sigma^2(t) = sigma0^2 + 2 D t (per axis); area decays as exp(-t/tau).
    x = np.arange(-300, 301) * 5e-9
    s0, d, tau = 80e-9, 2e-6, 1.5e-9
    n0 = np.exp(-(x**2) / (2 * s0**2))
    t = np.array([0.5e-9, 1e-9, 2e-9])
    out = propagate(n0, (5e-9,), t, MODELS["diffusion"], {"D": d, "tau": tau})
    for i, ti in enumerate(t):
        area, var = _moments(out[i], x)
        assert var == pytest.approx(s0**2 + 2 * d * ti, rel=1e-6)
        assert area == pytest.approx(n0.sum() * np.exp(-ti / tau), rel=1e-9)


def test_2d_isotropic_per_axis_variance():
    x = np.arange(-64, 64) * 10e-9
    X, Y = np.meshgrid(x, x, indexing="ij")
    s0, d = 60e-9, 1e-6
    n0 = np.exp(-(X**2 + Y**2) / (2 * s0**2))
    out = propagate(
        n0, (10e-9, 10e-9), np.array([1e-9]), MODELS["diffusion"], {"D": d, "tau": np.inf}
    )[0]
    _, var_x = _moments(out.sum(axis=0), x)
    assert var_x == pytest.approx(s0**2 + 2 * d * 1e-9, rel=1e-6)


def test_power_law_msd():
    x = np.arange(-400, 401) * 5e-9
    s0 = 100e-9
    n0 = np.exp(-(x**2) / (2 * s0**2))
    p = {"D_1ns": 1e-6, "alpha": 0.6, "tau": np.inf}
    t = np.array([0.3e-9, 3e-9])
    out = propagate(n0, (5e-9,), t, MODELS["power-law"], p)
    for i, ti in enumerate(t):
        msd = 2 * p["D_1ns"] * 1e-9 * (ti / 1e-9) ** p["alpha"]
        assert _moments(out[i], x)[1] - s0**2 == pytest.approx(msd, rel=1e-6)


def test_bright_dark_emission_msd_matches_quadrature():
    """Emission second moment of the bright/dark model vs an independent integral.

    With k_DB = 0 (Bornschlegl 2024 at 9 K), dark excitons made at time s keep the bright
    variance sigma0^2 + 2 D s they had then; the emission mixes both species weighted by
    their decay rates. The mixture's variance rises and then falls back (negative
    diffusion).
    """
    m = MODELS["bright-dark-trap"]
    p = dict(m.defaults)
    p.update(D=2e-6, f_dark0=0.3)
    kb, kd, kbd = p["k_B"], p["k_D"], p["k_BD"]
    x = np.arange(-500, 501) * 4e-9
    s0 = 150e-9
    n0 = np.exp(-(x**2) / (2 * s0**2))
    t = np.array([0.05e-9, 0.3e-9, 1e-9, 4e-9])
    out = propagate(n0, (4e-9,), t, m, p)

    def analytic(tt):
        b_tot = (1 - p["f_dark0"]) * np.exp(-(kb + kbd) * tt)
        d_init = p["f_dark0"] * np.exp(-kd * tt)
        d_made = integrate.quad(
            lambda s: kbd * (1 - p["f_dark0"]) * np.exp(-(kb + kbd) * s) * np.exp(-kd * (tt - s)),
            0,
            tt,
            epsabs=0,
            epsrel=1e-12,
        )[0]
        d_m2 = integrate.quad(
            lambda s: (
                kbd
                * (1 - p["f_dark0"])
                * np.exp(-(kb + kbd) * s)
                * np.exp(-kd * (tt - s))
                * (s0**2 + 2 * p["D"] * s)
            ),
            0,
            tt,
            epsabs=0,
            epsrel=1e-12,
        )[0]
        num = kb * b_tot * (s0**2 + 2 * p["D"] * tt) + kd * (d_init * s0**2 + d_m2)
        den = kb * b_tot + kd * (d_init + d_made)
        return num / den

    msd = [_moments(out[i], x)[1] - s0**2 for i in range(len(t))]
    for i, ti in enumerate(t):
        assert msd[i] == pytest.approx(analytic(ti) - s0**2, rel=1e-5, abs=1e-20)
    assert msd[1] > msd[0] and msd[3] < max(msd)  # rises, then falls back
