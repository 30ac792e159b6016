"""Wavelength <-> energy conversion and the Jacobian of spectral densities."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.dataset import make_dataset
from nctransport.errors import InputError
from nctransport.spectral.axes import (
    HC_EV_NM,
    energy_eV_from_wavelength_m,
    to_energy,
    to_wavelength,
    wavelength_m_from_energy_eV,
)


def test_hc_constant_and_known_photon_energy():
    # h c = 1239.841984 eV nm (CODATA exact SI constants); 500 nm -> 2.479684 eV.
    assert HC_EV_NM == pytest.approx(1239.841984, abs=1e-6)
    assert energy_eV_from_wavelength_m(500e-9) == pytest.approx(2.4796840, abs=1e-6)
    lam = np.array([400e-9, 905e-9, 1500e-9])
    assert wavelength_m_from_energy_eV(energy_eV_from_wavelength_m(lam)) == pytest.approx(lam)


def test_jacobian_conserves_the_integral_of_an_emission_spectrum():
    # A Gaussian emission band per nm; the integral over eV after the Jacobian
    # I(E) = I(lambda) lambda^2 / (hc) must equal the integral over nm (photon number).
    lam = np.linspace(400e-9, 800e-9, 4001)
    per_nm = 3.0 * np.exp(-0.5 * ((lam * 1e9 - 600.0) / 40.0) ** 2)
    ds = make_dataset(per_nm, {"wavelength": lam}, signal_units="counts")
    de = to_energy(ds, density=True)
    area_nm = np.trapezoid(per_nm, lam * 1e9)
    area_ev = np.trapezoid(de.signal.values, de.energy.values)
    assert area_nm == pytest.approx(3.0 * 40.0 * np.sqrt(2 * np.pi), rel=1e-6)
    assert area_ev == pytest.approx(area_nm, rel=1e-5)
    # Without the Jacobian the areas differ (a ratio is not a density): the test can fail.
    plain = to_energy(ds, density=False)
    assert np.trapezoid(plain.signal.values, plain.energy.values) != pytest.approx(area_nm, rel=0.1)


def test_energy_axis_is_ascending_and_round_trip_is_identity():
    lam = np.linspace(820e-9, 1000e-9, 31)
    t = np.array([0.0, 1e-12])
    sig = np.vstack([np.linspace(1, 2, 31), np.linspace(3, 1, 31)])
    ds = make_dataset(sig, {"t": t, "wavelength": lam})
    de = to_energy(ds, density=True)
    assert de.attrs["kind"] == "spectral"
    assert np.all(np.diff(de.energy.values) > 0)
    back = to_wavelength(de, density=True)
    np.testing.assert_allclose(back.wavelength.values, lam, rtol=1e-12)
    np.testing.assert_allclose(back.signal.values, sig, rtol=1e-12)
    # Ratios are relabelled only: the value at the longest wavelength is the lowest-energy one.
    rel = to_energy(ds, density=False)
    np.testing.assert_allclose(rel.signal.values[:, 0], sig[:, -1])


def test_non_spectral_data_is_refused():
    ds = make_dataset(np.ones(3), {"t": [0.0, 1e-9, 2e-9]})
    with pytest.raises(InputError, match="spectral"):
        to_energy(ds, density=True)
