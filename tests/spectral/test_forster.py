"""Förster radius from spectral overlap: closed-form overlap, textbook constant, a dye pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io import load, save
from nctransport.spectral.axes import to_energy
from nctransport.spectral.forster import (
    forster_from_spectra,
    forster_radius_from_overlap,
    overlap_integral,
)

LAM_NM = np.linspace(350.0, 800.0, 9001)


def _gauss(x, mu, s):
    return np.exp(-0.5 * ((x - mu) / s) ** 2)


def _spectra(mu_d, s_d, mu_a, s_a, eps_max, lam_nm=LAM_NM):
    lam = lam_nm * 1e-9
    donor = make_dataset(
        7.0 * _gauss(lam_nm, mu_d, s_d), {"wavelength": lam}, signal_units="counts"
    )
    acceptor = make_dataset(
        eps_max * _gauss(lam_nm, mu_a, s_a), {"wavelength": lam}, signal_units="1/(M*cm)"
    )
    return donor, acceptor


def closed_form_overlap(mu_d, s_d, mu_a, s_a, eps_max):
    """J for a unit-area Gaussian donor N(mu_d, s_d) and eps_max * exp(-(l-mu_a)^2/2s_a^2).

    The product of the two Gaussians is sqrt(2 pi) s_a N(mu_d; mu_a, sqrt(s_d^2+s_a^2))
    times N(mu_c, s_c); the fourth raw moment of N(mu_c, s_c) is mu^4 + 6 mu^2 s^2 + 3 s^4.
    """
    s2 = s_d**2 + s_a**2
    pref = math.sqrt(2 * math.pi) * s_a * math.exp(-((mu_d - mu_a) ** 2) / (2 * s2))
    pref /= math.sqrt(2 * math.pi * s2)
    mu_c = (mu_d * s_a**2 + mu_a * s_d**2) / s2
    sc2 = s_d**2 * s_a**2 / s2
    return eps_max * pref * (mu_c**4 + 6 * mu_c**2 * sc2 + 3 * sc2**2)


@pytest.mark.parametrize(
    ("mu_d", "s_d", "mu_a", "s_a"), [(520, 15, 555, 15), (600, 25, 610, 8), (480, 10, 560, 30)]
)
def test_overlap_matches_closed_form_for_gaussians(mu_d, s_d, mu_a, s_a):
    donor, acceptor = _spectra(mu_d, s_d, mu_a, s_a, 8e4)
    r = forster_from_spectra(donor, acceptor, quantum_yield=0.5, refractive_index=1.5)
    expected = closed_form_overlap(mu_d, s_d, mu_a, s_a, 8e4)
    assert r.overlap_M1cm1nm4 == pytest.approx(expected, rel=1e-5)
    assert r.to_dict()["overlap_M-1cm-1nm4"] == r.overlap_M1cm1nm4
    assert r.to_dict()["forster_radius_nm"] == pytest.approx(r.forster_radius_m * 1e9)


def test_si_evaluation_matches_the_convenient_form():
    # R0 = 0.02108 (kappa2 Q n^-4 J)^(1/6) nm with J in M^-1 cm^-1 nm^4 (Lakowicz ch. 13;
    # IUPAC Gold Book FT07381 note 3); 0.02108 is rounded to 4 digits, hence rel 5e-4.
    for j, q, n, k2 in [(1e13, 0.3, 1.33, 2 / 3), (2e15, 0.9, 1.4, 2 / 3), (5e16, 1.0, 2.0, 4.0)]:
        r0_nm = forster_radius_from_overlap(j, quantum_yield=q, refractive_index=n, kappa2=k2) * 1e9
        assert r0_nm == pytest.approx(0.02108 * (k2 * q * n**-4 * j) ** (1 / 6), rel=5e-4)
    # R0 ~ J^(1/6) and ~ n^(-2/3): a factor 64 in J doubles R0.
    a = forster_radius_from_overlap(1e14, quantum_yield=0.5, refractive_index=1.4)
    b = forster_radius_from_overlap(64e14, quantum_yield=0.5, refractive_index=1.4)
    assert b / a == pytest.approx(2.0, rel=1e-12)


def test_fluorescein_to_tetramethylrhodamine():
    # Tabulated R0 = 55 A for fluorescein -> tetramethylrhodamine (Lakowicz, Principles of
    # Fluorescence Spectroscopy, 3rd ed., Table 13.3). Model spectra from documented band
    # positions: fluorescein emission maximum ~517 nm (FWHM ~40 nm), TMR absorption
    # maximum ~555 nm with eps ~ 9.5e4 M^-1 cm^-1 (FWHM ~40 nm); fluorescein QY 0.92 in
    # basic water; n = 1.33; kappa2 = 2/3. Gaussian bands ignore the vibronic shoulders,
    # so agreement to 10% in R0 (a factor ~1.8 in J) is what this check can claim.
    fwhm = 2 * math.sqrt(2 * math.log(2))
    donor, acceptor = _spectra(517.0, 40.0 / fwhm, 555.0, 40.0 / fwhm, 9.5e4)
    r = forster_from_spectra(donor, acceptor, quantum_yield=0.92, refractive_index=1.33)
    assert r.forster_radius_nm == pytest.approx(5.5, rel=0.10)
    assert 1e15 < r.overlap_M1cm1nm4 < 3e15


def test_donor_on_an_energy_axis_gives_the_same_overlap():
    # The donor emission converted to energy (with the Jacobian) and back must give the
    # same J; without the Jacobian the area normalisation would weight the red side wrongly.
    donor, acceptor = _spectra(600, 25, 610, 8, 5e4)
    r_lam = forster_from_spectra(donor, acceptor, quantum_yield=0.5, refractive_index=1.5)
    donor_e = to_energy(donor, density=True)
    r_e = forster_from_spectra(donor_e, acceptor, quantum_yield=0.5, refractive_index=1.5)
    assert r_e.overlap_M1cm1nm4 == pytest.approx(r_lam.overlap_M1cm1nm4, rel=1e-4)
    donor_e_plain = to_energy(donor, density=False)
    r_bad = forster_from_spectra(donor_e_plain, acceptor, quantum_yield=0.5, refractive_index=1.5)
    assert r_bad.overlap_M1cm1nm4 != pytest.approx(r_lam.overlap_M1cm1nm4, rel=1e-3)


def test_epsilon_units_are_converted(tmp_path):
    # epsilon given per (mM cm) is 1000x larger per (M cm).
    donor, acceptor = _spectra(520, 15, 555, 15, 90.0)
    acceptor.signal.attrs["units"] = "1/(mM*cm)"
    per_mm = forster_from_spectra(donor, acceptor, quantum_yield=0.9, refractive_index=1.33)
    donor, acceptor = _spectra(520, 15, 555, 15, 9e4)
    per_m = forster_from_spectra(donor, acceptor, quantum_yield=0.9, refractive_index=1.33)
    assert per_mm.overlap_M1cm1nm4 == pytest.approx(per_m.overlap_M1cm1nm4, rel=1e-12)


def test_two_column_csv_spectra(tmp_path):
    lam = np.arange(450.0, 651.0, 1.0)
    (tmp_path / "d.csv").write_text(
        "wavelength [nm],intensity\n" + "".join(f"{x},{_gauss(x, 520, 15):.10g}\n" for x in lam)
    )
    (tmp_path / "a.csv").write_text(
        "wavelength [nm],epsilon [1/(M cm)]\n"
        + "".join(f"{x},{9e4 * _gauss(x, 555, 15):.10g}\n" for x in lam)
    )
    r = forster_from_spectra(
        load(tmp_path / "d.csv"), load(tmp_path / "a.csv"), quantum_yield=0.9, refractive_index=1.33
    )
    assert r.overlap_M1cm1nm4 == pytest.approx(closed_form_overlap(520, 15, 555, 15, 9e4), rel=2e-3)


def test_empty_overlap_is_an_error():
    lam_d = np.linspace(400e-9, 500e-9, 101)
    lam_a = np.linspace(600e-9, 700e-9, 101)
    donor = make_dataset(np.ones(101), {"wavelength": lam_d})
    acceptor = make_dataset(np.ones(101), {"wavelength": lam_a}, signal_units="1/(M*cm)")
    with pytest.raises(InputError, match="no common wavelength range"):
        forster_from_spectra(donor, acceptor, quantum_yield=0.5, refractive_index=1.4)
    # Ranges that touch but whose product vanishes there.
    lam = np.linspace(400e-9, 700e-9, 301)
    donor = make_dataset(np.where(lam < 500e-9, 1.0, 0.0), {"wavelength": lam})
    acceptor = make_dataset(
        np.where(lam > 600e-9, 1.0, 0.0), {"wavelength": lam}, signal_units="1/(M*cm)"
    )
    with pytest.raises(InputError, match="overlap is zero"):
        forster_from_spectra(donor, acceptor, quantum_yield=0.5, refractive_index=1.4)


def test_negative_epsilon_is_an_error(tmp_path):
    donor, acceptor = _spectra(520, 15, 555, 15, 9e4)
    bad = acceptor.copy(deep=True)
    bad.signal.values[4000] = -5e3
    bad.attrs["source_file"] = "acceptor.csv"
    with pytest.raises(InputError, match="acceptor absorption: negative value") as exc:
        forster_from_spectra(donor, bad, quantum_yield=0.9, refractive_index=1.33)
    assert "acceptor.csv" in str(exc.value)
    # Baseline noise below 1% of the maximum is clipped, not an error.
    ok = acceptor.copy(deep=True)
    ok.signal.values[0] = -10.0
    forster_from_spectra(donor, ok, quantum_yield=0.9, refractive_index=1.33)


def test_non_monotonic_wavelength_is_an_error():
    donor, acceptor = _spectra(520, 15, 555, 15, 9e4)
    lam = donor.wavelength.values.copy()
    lam[[10, 11]] = lam[[11, 10]]  # built without make_dataset's validation
    shuffled = xr.Dataset(
        {"signal": ("wavelength", donor.signal.values)},
        coords={"wavelength": ("wavelength", lam, {"units": "m"})},
        attrs={"kind": "spectrum"},
    )
    with pytest.raises(InputError, match="not strictly monotonic"):
        forster_from_spectra(shuffled, acceptor, quantum_yield=0.9, refractive_index=1.33)


def test_epsilon_without_units_and_bad_parameters():
    donor, acceptor = _spectra(520, 15, 555, 15, 9e4)
    plain = acceptor.copy()
    plain.signal.attrs["units"] = "arb"
    with pytest.raises(UnitError, match="molar absorption"):
        forster_from_spectra(donor, plain, quantum_yield=0.9, refractive_index=1.33)
    with pytest.raises(InputError, match="quantum yield"):
        forster_from_spectra(donor, acceptor, quantum_yield=1.5, refractive_index=1.33)
    with pytest.raises(InputError, match="refractive index"):
        forster_from_spectra(donor, acceptor, quantum_yield=0.5, refractive_index=0.5)
    with pytest.raises(InputError, match="1D spectrum"):
        t = np.array([0.0, 1e-12])
        lam = donor.wavelength.values
        spectral = make_dataset(np.ones((2, lam.size)), {"t": t, "wavelength": lam})
        forster_from_spectra(spectral, acceptor, quantum_yield=0.5, refractive_index=1.4)


def test_saved_and_reloaded_spectra_give_the_same_result(tmp_path):
    donor, acceptor = _spectra(520, 15, 555, 15, 9e4)
    save(donor, tmp_path / "d.nc")
    save(acceptor, tmp_path / "a.nc")
    a = forster_from_spectra(donor, acceptor, quantum_yield=0.9, refractive_index=1.33)
    b = forster_from_spectra(
        load(tmp_path / "d.nc"), load(tmp_path / "a.nc"), quantum_yield=0.9, refractive_index=1.33
    )
    assert b.forster_radius_m == pytest.approx(a.forster_radius_m, rel=1e-12)


def test_overlap_on_different_grids_and_partial_range():
    # Donor on a coarse grid, acceptor on a fine, shifted grid that covers only part of the
    # donor: J integrates over the common range; the donor is normalised over its full range.
    ld = np.linspace(400.0, 700.0, 601)
    la = np.linspace(450.3, 760.0, 2000)
    j, rng = overlap_integral(ld, _gauss(ld, 520, 15), la, 9e4 * _gauss(la, 555, 15))
    assert rng == (pytest.approx(450.3), pytest.approx(700.0))
    assert j == pytest.approx(closed_form_overlap(520, 15, 555, 15, 9e4), rel=2e-4)
