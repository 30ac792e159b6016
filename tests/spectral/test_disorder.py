"""sigma_inh = sqrt(-2 kT Delta E) (Liu 2021) and its interval."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nctransport.errors import FitError, InputError
from nctransport.spectral.axes import energy_eV_from_wavelength_m
from nctransport.spectral.disorder import KB_EV_PER_K, disorder_width, sigma_inh_meV
from nctransport.spectral.peaks import fit_peaks
from nctransport.spectral.shift import fit_peak_shift

from .synthetic import redshift_map


def test_value_by_hand():
    # kT(300 K) = 25.852 meV; sigma = sqrt(2 * 25.852 * 20) = 32.157 meV.
    assert KB_EV_PER_K == pytest.approx(8.617333e-5, rel=1e-6)
    assert sigma_inh_meV(-20.0, 300.0) == pytest.approx(math.sqrt(2 * 25.8520 * 20), rel=1e-4)


@pytest.mark.parametrize("sigma", [5.0, 30.0, 80.0])
@pytest.mark.parametrize("temp", [10.0, 300.0])
def test_inverse_of_liu2021_relation(sigma, temp):
    delta_e = -(sigma**2) / (2 * KB_EV_PER_K * 1e3 * temp)  # Liu 2021: dE = -sigma^2/(2kT)
    assert sigma_inh_meV(delta_e, temp) == pytest.approx(sigma, rel=1e-12)


def test_interval_is_the_image_of_the_delta_e_interval():
    d = disorder_width(-20.0, 300.0, (-26.0, -15.0))
    assert d.ci95_meV == pytest.approx((sigma_inh_meV(-15, 300), sigma_inh_meV(-26, 300)))
    # An interval that reaches zero shift gives a lower end of zero.
    assert disorder_width(-2.0, 300.0, (-5.0, 1.0)).ci95_meV[0] == 0.0


def test_blue_shift_and_bad_temperature_are_errors():
    with pytest.raises(FitError, match="blue shift"):
        sigma_inh_meV(3.0, 300.0)
    with pytest.raises(InputError, match="temperature"):
        sigma_inh_meV(-3.0, 0.0)


def test_sigma_inh_from_a_synthetic_map_within_its_ci(rng, truth):
    t, lam, sig = redshift_map(rng, truth)
    pk = fit_peaks(energy_eV_from_wavelength_m(lam), sig, t, mode="bleach")
    r = fit_peak_shift(t[pk.valid], pk.energy_eV[pk.valid], pk.energy_err_eV[pk.valid])
    d = disorder_width(r.delta_e_meV, truth.temperature_K, r.delta_e_ci95_meV)
    true_sigma = math.sqrt(-2 * KB_EV_PER_K * truth.temperature_K * truth.delta_e_eV) * 1e3
    assert d.ci95_meV[0] <= true_sigma <= d.ci95_meV[1]
    assert d.value_meV == pytest.approx(true_sigma, rel=0.02)
    assert np.isfinite(d.ci95_meV).all()
