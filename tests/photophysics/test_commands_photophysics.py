"""Photophysics commands: JSON output, seed numbers, one-line errors with exit 2."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.io import save
from nctransport.photophysics import saturation


def run_json(capsys, *args):
    rc = main([*args, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


def test_excitation_json(capsys):
    r = run_json(
        capsys,
        "excitation",
        "--power",
        "10nW",
        "--rep-rate",
        "2.5MHz",
        "--fwhm",
        "500nm",
        "--wavelength",
        "405nm",
        "--cross-section",
        "5e-14cm2",
    )
    for key in (
        "pulse_energy_J",
        "photons_per_pulse",
        "peak_fluence_uJ_cm2",
        "mean_fluence_uJ_cm2",
        "photon_fluence_cm2",
        "mean_excitations_per_nc",
        "poisson_occupation",
        "time_between_excitations_s",
    ):
        assert key in r
    assert r["mean_excitations_per_nc"] == pytest.approx(r["photon_fluence_cm2"] * 5e-14)
    assert r["time_between_excitations_s"] == pytest.approx(
        1 / (2.5e6 * r["mean_excitations_per_nc"])
    )


def test_forster_both_directions(capsys):
    r = run_json(
        capsys, "forster", "--diffusivity", "0.01cm2/s", "--spacing", "10nm", "--lifetime", "2.5ns"
    )
    assert r["forster_radius_nm"] == pytest.approx(17.1, abs=0.1)
    r2 = run_json(
        capsys,
        "forster",
        "--forster-radius",
        f"{r['forster_radius_nm']}nm",
        "--spacing",
        "10nm",
        "--lifetime",
        "2.5ns",
    )
    assert r2["diffusivity_cm2_s"] == pytest.approx(0.01)


def test_forster_from_spectra_wiring(tmp_path, capsys, monkeypatch):
    """The spectral route loads both files and hands them to the spectra module."""
    seen = {}

    class Fake:
        forster_radius_m = 9.5e-9

        def to_dict(self):
            return {"overlap_M-1cm-1nm4": 1e15, "forster_radius_nm": 9.5}

    def forster_from_spectra(don, acc, *, quantum_yield, refractive_index, kappa2=2 / 3):
        seen.update(
            qy=quantum_yield,
            n=refractive_index,
            k2=kappa2,
            kinds=(don.attrs["kind"], acc.attrs["kind"]),
        )
        return Fake()

    mod = types.ModuleType("nctransport.spectral.forster")
    mod.forster_from_spectra = forster_from_spectra
    pkg = types.ModuleType("nctransport.spectral")
    monkeypatch.setitem(sys.modules, "nctransport.spectral", pkg)
    monkeypatch.setitem(sys.modules, "nctransport.spectral.forster", mod)
    wl = np.linspace(400e-9, 600e-9, 50)
    for name in ("em.nc", "abs.nc"):
        save(
            make_dataset(np.exp(-(((wl - 5e-7) / 2e-8) ** 2)), {"wavelength": wl}), tmp_path / name
        )
    r = run_json(
        capsys,
        "forster",
        "--donor-emission",
        str(tmp_path / "em.nc"),
        "--acceptor-absorption",
        str(tmp_path / "abs.nc"),
        "--quantum-yield",
        "0.6",
        "--refractive-index",
        "1.5",
        "--spacing",
        "10nm",
        "--lifetime",
        "2.5ns",
    )
    assert seen == {
        "qy": 0.6,
        "n": 1.5,
        "k2": pytest.approx(2 / 3),
        "kinds": ("spectrum", "spectrum"),
    }
    assert r["forster_radius_nm"] == 9.5
    assert r["hopping"]["diffusivity_cm2_s"] == pytest.approx(1e-16 / 2.5e-9 * 0.95**6 * 1e4)


def test_cross_section_command(tmp_path, capsys):
    j_cm2 = np.logspace(13.3, 15.3, 10)
    y = saturation(j_cm2, 2.0, 7.73e-15)
    path = tmp_path / "sat.csv"
    path.write_text(
        "j [cm-2],signal\n" + "".join(f"{a},{b}\n" for a, b in zip(j_cm2, y, strict=True))
    )
    r = run_json(capsys, "cross-section", str(path))
    assert r["cross_section_cm2"] == pytest.approx(7.73e-15, rel=1e-4)
    assert r["input"]["sha256"]


def test_calculators_json(capsys):
    r = run_json(capsys, "einstein", "--temperature", "300K", "--diffusivity", "102cm2/s")
    assert r["mobility_cm2_Vs"] == pytest.approx(3.94e3, rel=0.005)
    r = run_json(
        capsys,
        "bright-dark",
        "--splitting",
        "15meV",
        "--temperature",
        "10K",
        "--tau-bright",
        "480ps",
        "--tau-dark",
        "52ns",
        "--dark-photon-fraction",
        "0.58",
    )
    assert r["bright_fraction"] < 1e-6 and r["amplitude_ratio_dark_to_bright"] > 0
    r = run_json(capsys, "disorder", "--temperature", "300K", "--sigma", "50meV")
    assert r["bleach_shift_meV"] == pytest.approx(-48.35, abs=0.01)
    r = run_json(
        capsys,
        "saha",
        "--binding-energy",
        "30meV",
        "--density",
        "1e17cm-3",
        "--temperature",
        "300K",
    )
    assert 0 < r["free_carrier_fraction"] < 1


@pytest.mark.parametrize(
    "args",
    [
        [
            "excitation",
            "--power",
            "-10nW",
            "--rep-rate",
            "2.5MHz",
            "--fwhm",
            "500nm",
            "--wavelength",
            "405nm",
        ],
        [
            "excitation",
            "--power",
            "10nW",
            "--rep-rate",
            "2.5MHz",
            "--fwhm",
            "0nm",
            "--wavelength",
            "405nm",
        ],
        [
            "excitation",
            "--power",
            "10nW",
            "--rep-rate",
            "2.5MHz",
            "--fwhm",
            "500nm",
            "--wavelength",
            "405blorp",
        ],
        [
            "excitation",
            "--power",
            "10",
            "--rep-rate",
            "2.5MHz",
            "--fwhm",
            "500nm",
            "--wavelength",
            "405nm",
        ],
        ["forster", "--diffusivity", "0.01cm2/s", "--spacing", "10nm"],
        ["forster", "--diffusivity", "0.01cm", "--spacing", "10nm", "--lifetime", "2ns"],
        ["einstein", "--temperature", "0K", "--diffusivity", "1cm2/s"],
        ["einstein", "--temperature", "1e308K", "--diffusivity", "1cm2/s"],  # above the cap
        ["disorder", "--temperature", "1e6K", "--sigma", "50meV"],
        ["saha", "--binding-energy", "30meV", "--density", "1e18cm-3", "--temperature", "1e9K"],
        [
            "bright-dark",
            "--splitting",
            "15meV",
            "--temperature",
            "1e6K",
            "--tau-bright",
            "1ns",
            "--tau-dark",
            "52ns",
        ],
        ["disorder", "--temperature", "300K", "--shift", "+10meV"],
        ["saha", "--binding-energy", "30meV", "--density", "-1cm-3", "--temperature", "300K"],
        ["bright-dark", "--splitting", "15meV", "--temperature", "10K", "--tau-bright", "1ns"],
        ["cross-section", "no_such_file.csv"],
    ],
)
def test_bad_inputs_exit_2(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err and err.count("\n") == 1


_BD = ["bright-dark", "--splitting", "15meV", "--temperature", "10K"]
_TAUS = ["--tau-bright", "480ps", "--tau-dark", "52ns"]
_FORSTER = ["forster", "--diffusivity", "0.01cm2/s", "--spacing", "8nm", "--lifetime", "2ns"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        # out-of-range values, and options that would otherwise be ignored without a word
        ([*_BD, *_TAUS, "--dark-photon-fraction", "2"], "--dark-photon-fraction"),
        ([*_BD, *_TAUS, "--amplitude-ratio", "-1"], "--amplitude-ratio"),
        ([*_BD, *_TAUS, "--amplitude-ratio", "nan"], "--amplitude-ratio"),
        ([*_BD, "--dark-photon-fraction", "0.5"], "--tau-bright"),
        ([*_BD, "--amplitude-ratio", "0.2"], "--tau-bright"),
        ([*_FORSTER, "--kappa2", "-1"], "--kappa2"),
        ([*_FORSTER, "--kappa2", "inf"], "--kappa2"),
        ([*_FORSTER, "--quantum-yield", "0.5"], "--quantum-yield"),
    ],
)
def test_out_of_range_or_unused_options_are_refused(args, option, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and option in err, err
