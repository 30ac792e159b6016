"""Peak-shift relaxation fits: exact recovery, CI coverage on synthetic spectral maps."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError
from nctransport.spectral.axes import energy_eV_from_wavelength_m
from nctransport.spectral.peaks import fit_peaks
from nctransport.spectral.shift import fit_peak_shift

from .synthetic import RedShiftTruth, redshift_map

T = np.linspace(0.0, 80e-12, 60)
WIGGLE = 2e-6 * np.sin(1.7 * np.arange(60))  # tiny deterministic scatter, eV


def test_exponential_parameters_are_recovered():
    e = 1.40 - 0.025 * -np.expm1(-T / 12e-12) + WIGGLE
    r = fit_peak_shift(T, e, np.full(T.size, 2e-6))
    assert r.converged
    assert r.delta_e_meV == pytest.approx(-25.0, abs=0.01)
    assert r.tau_ps == pytest.approx(12.0, abs=0.02)
    assert r.e0_eV == pytest.approx(1.40, abs=1e-5)
    assert r.delta_e_ci95_meV[0] < r.delta_e_meV < r.delta_e_ci95_meV[1]


def test_stretched_exponential_recovers_beta():
    e = 1.40 - 0.025 * -np.expm1(-((T / 12e-12) ** 0.6)) + WIGGLE
    r = fit_peak_shift(T, e, model="stretched")
    assert r.extra["beta"] == pytest.approx(0.6, abs=0.01)
    assert r.tau_ps == pytest.approx(12.0, rel=0.02)
    assert r.delta_e_meV == pytest.approx(-25.0, rel=0.01)
    # The plain exponential cannot describe it as well.
    assert fit_peak_shift(T, e).reduced_chi2 > 10 * r.reduced_chi2


def test_biexponential_components_and_weighted_tau():
    e = 1.40 - 0.010 * -np.expm1(-T / 2e-12) - 0.015 * -np.expm1(-T / 20e-12) + WIGGLE
    r = fit_peak_shift(T, e, model="biexp")
    assert r.extra["tau1_ps"] == pytest.approx(2.0, rel=0.02)
    assert r.extra["tau2_ps"] == pytest.approx(20.0, rel=0.02)
    assert r.delta_e_meV == pytest.approx(-25.0, rel=0.01)
    assert r.tau_ps == pytest.approx((10 * 2 + 15 * 20) / 25, rel=0.02)  # amplitude-weighted
    assert r.predict(T) == pytest.approx(e - WIGGLE, abs=2e-5)


def test_too_few_points_and_unknown_model():
    with pytest.raises(FitError, match="need at least"):
        fit_peak_shift(T[:4], np.full(4, 1.4))
    with pytest.raises(FitError, match="model"):
        fit_peak_shift(T, np.full(T.size, 1.4), model="linear")


def test_frames_before_time_zero_are_ignored():
    t = np.concatenate([[-3e-12, -2e-12, -1e-12], T])
    e = 1.40 - 0.025 * -np.expm1(-np.clip(t, 0, None) / 12e-12)
    e[:3] = 1.10  # background frames: garbage that must not enter the fit
    assert fit_peak_shift(t, e + np.r_[0, 0, 0, WIGGLE]).tau_ps == pytest.approx(12.0, abs=0.05)


def test_spectral_maps_give_back_delta_e_and_tau_within_their_cis():
    # Full chain (per-frame Gaussian fits -> exponential) on 40 noisy synthetic maps:
    # the 95% intervals must cover the truth about 95% of the time.
    truth = RedShiftTruth()
    rng = np.random.default_rng(2024)
    hits_de = hits_tau = 0
    n = 40
    for _ in range(n):
        t, lam, sig = redshift_map(rng, truth)
        pk = fit_peaks(energy_eV_from_wavelength_m(lam), sig, t, mode="bleach")
        v = pk.valid
        r = fit_peak_shift(t[v], pk.energy_eV[v], pk.energy_err_eV[v])
        lo, hi = r.delta_e_ci95_meV
        hits_de += lo <= truth.delta_e_eV * 1e3 <= hi
        lo, hi = r.tau_ci95_ps
        hits_tau += lo <= truth.tau_s * 1e12 <= hi
    # Binomial(40, 0.95): P(hits < 34) ~ 1%; a CI too narrow by 2x would give ~27.
    assert hits_de >= 34
    assert hits_tau >= 34


def test_biexponential_on_single_exponential_data_is_flagged():
    # Two exponentials fitted to one: a component runs off to the time bound or cancels;
    # the fit must say it did not converge rather than report a meaningless Delta E.
    rng = np.random.default_rng(3)
    e = 1.40 - 0.020 * -np.expm1(-T / 9e-12) + 1e-4 * rng.standard_normal(T.size)
    r = fit_peak_shift(T, e, np.full(T.size, 1e-4), model="biexp")
    assert not r.converged and r.message
    assert fit_peak_shift(T, e, np.full(T.size, 1e-4)).converged


def test_no_shift_is_not_converged():
    rng = np.random.default_rng(4)
    r = fit_peak_shift(T, 1.40 + 1e-4 * rng.standard_normal(T.size), np.full(T.size, 1e-4))
    assert not r.converged
