"""Photophysics calculators as Python workflows: same numbers as the CLI, units in any form,
hostile values refused in one line naming the option."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nctransport as nct
from nctransport.cli import main
from nctransport.errors import ConfigError, NctransportError, ResourceError, UnitError
from nctransport.kinetics.inputs import as_quantity
from nctransport.photophysics import poisson_occupation, saturation
from nctransport.photophysics.workflow import CalculatorResult
from nctransport.results import to_jsonable
from nctransport.units import ureg

EXC = ["--power", "10nW", "--rep-rate", "2.5MHz", "--fwhm", "500nm", "--wavelength", "405nm"]

# (CLI argv, the same call in Python)
CASES = {
    "excitation": (
        ["excitation", *EXC, "--cross-section", "5e-14cm2", "--n-max", "6"],
        lambda: nct.excitation_density(
            "10nW", "2.5MHz", "500nm", "405nm", cross_section="5e-14cm2", n_max=6
        ),
    ),
    "forster": (
        ["forster", "--diffusivity", "0.01cm2/s", "--spacing", "10nm", "--lifetime", "2.5ns"],
        lambda: nct.forster_hopping("10nm", "2.5ns", diffusivity="0.01cm2/s"),
    ),
    "forster-inverse": (
        ["forster", "--forster-radius", "17nm", "--spacing", "10nm", "--lifetime", "2.5ns"]
        + ["--neighbours", "next-nearest"],
        lambda: nct.forster_hopping(
            "10nm", "2.5ns", forster_radius="17nm", neighbours="next-nearest"
        ),
    ),
    "einstein": (
        ["einstein", "--temperature", "300K", "--mobility", "1cm2/(V*s)"],
        lambda: nct.einstein_relation("300K", mobility="1cm2/(V*s)"),
    ),
    "bright-dark": (
        ["bright-dark", "--splitting", "15meV", "--temperature", "10K", "--tau-bright", "480ps"]
        + ["--tau-dark", "52ns", "--amplitude-ratio", "0.2"],
        lambda: nct.bright_dark_occupation(
            "15meV", "10K", tau_bright="480ps", tau_dark="52ns", amplitude_ratio=0.2
        ),
    ),
    "disorder": (
        ["disorder", "--temperature", "300K", "--shift", "-20meV"],
        lambda: nct.energetic_disorder("300K", shift="-20meV"),
    ),
    "saha": (
        ["saha", "--binding-energy", "30meV", "--density", "1e12cm-2", "--temperature", "300K"]
        + ["--dimension", "2"],
        lambda: nct.saha_fraction("30meV", "1e12cm-2", "300K", dimension=2),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_equals_cli(name, capsys):
    argv, call = CASES[name]
    assert main([*argv, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    r = call()
    assert isinstance(r, CalculatorResult)
    assert to_jsonable(r.to_dict()) == cli
    assert r.summary_rows() and r.summary().count("\n") >= 2
    assert repr(r).startswith(f"<CalculatorResult: {r.calculator}: ")


def test_typed_fields_and_units_in_the_summary():
    r = nct.excitation_density("10nW", "2.5MHz", "500nm", "405nm", cross_section="5e-14cm2")
    assert r.detail.pulse_energy_J == pytest.approx(4e-15)
    assert r.pulse_energy_J == r.detail.pulse_energy_J  # fields readable directly
    rows = {q: v for q, v, _ in r.summary_rows()}
    assert rows["peak_fluence"].endswith("uJ/cm^2") and rows["photon_fluence"].endswith("cm^2")
    assert "photons" in rows["photon_fluence"]
    with pytest.raises(AttributeError):
        _ = r.no_such_field


def test_quantities_as_text_pint_or_numbers_agree():
    a = nct.einstein_relation("300K", diffusivity="102cm2/s").to_dict()
    b = nct.einstein_relation(300 * ureg.K, diffusivity=102 * ureg("cm**2/s")).to_dict()
    c = nct.einstein_relation(300.0, diffusivity=102e-4).to_dict()  # numbers in SI
    assert a == b == c
    assert a["mobility_cm2_Vs"] == pytest.approx(3.94e3, rel=0.005)  # Liu 2021


def test_cross_section_from_arrays_and_from_a_file(tmp_path, capsys):
    j_cm2 = np.logspace(13.3, 15.3, 10)
    y = saturation(j_cm2, 2.0, 7.73e-15)  # Li 2023, 450 nm
    r = nct.absorption_cross_section((j_cm2 * 1e4, y))
    assert r.to_dict()["cross_section_cm2"] == pytest.approx(7.73e-15, rel=1e-4)
    path = tmp_path / "sat.csv"
    path.write_text(
        "j [cm-2],signal\n" + "".join(f"{a},{b}\n" for a, b in zip(j_cm2, y, strict=True))
    )
    assert main(["cross-section", str(path), "--json", "--out", str(tmp_path / "o")]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert to_jsonable(nct.absorption_cross_section(path).to_dict()) == cli
    assert json.loads((tmp_path / "o" / "results.json").read_text()) == cli


def _one_line_error(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and "Warning" not in err
    return err


@pytest.mark.parametrize("n_max", ["1e9", "1000000000", "-1", "2.5", "1001", "nan", "inf"])
def test_n_max_is_capped(capsys, n_max):
    err = _one_line_error(capsys, ["excitation", *EXC, f"--n-max={n_max}"])
    assert "--n-max" in err


def test_poisson_table_guards_its_memory():
    with pytest.raises(ResourceError, match="--n-max"):
        poisson_occupation(0.5, 10**12)
    with pytest.raises(NctransportError, match="n_max"):
        poisson_occupation(0.5, 2.5)


@pytest.mark.parametrize("temperature", ["-5K", "0K", "-300degC"])
@pytest.mark.parametrize(
    "argv",
    [
        ["einstein", "--diffusivity", "1cm2/s"],
        ["bright-dark", "--splitting", "15meV"],
        ["disorder", "--sigma", "50meV"],
        ["saha", "--binding-energy", "30meV", "--density", "1e17cm-3"],
    ],
    ids=lambda a: a[0],
)
def test_non_positive_temperatures_are_refused(capsys, argv, temperature):
    err = _one_line_error(capsys, [*argv, "--temperature", temperature])
    assert "temperature" in err


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "error", "words"),
    [
        ("excitation_density", ("10nW", "2.5MHz", "500nm", "405"), {}, UnitError, "wavelength"),
        ("excitation_density", ("1W", "1MHz", "1um", "1um"), {"n_max": True}, ConfigError, "n-max"),
        ("forster_hopping", ("10nm", "2.5ns"), {}, ConfigError, "--diffusivity"),
        ("forster_hopping", ("10nm", "2.5ns"), {"diffusivity": "1 kg"}, UnitError, "diffusivity"),
        ("bright_dark_occupation", ("15meV", "10K"), {"degeneracy": 0}, ConfigError, "degeneracy"),
        ("saha_fraction", ("30meV", "1e17cm-3", "300K"), {"dimension": 4}, ConfigError, "dim"),
        ("absorption_cross_section", (42,), {}, ConfigError, "fluence table"),
        ("absorption_cross_section", ("no_such.csv",), {}, NctransportError, "no_such.csv"),
    ],
)
def test_bad_arguments_are_typed_errors(name, args, kwargs, error, words):
    with pytest.raises(error) as exc:
        getattr(nct, name)(*args, **kwargs)
    assert words in str(exc.value)


def test_cross_section_table_with_nan_names_the_file(tmp_path, capsys):
    path = tmp_path / "nan.csv"
    path.write_text("j [cm-2],signal\n1e13,1\nnan,2\n1e15,3\n")
    err = _one_line_error(capsys, ["cross-section", str(path)])
    assert "nan.csv" in err


def test_out_is_checked_before_computing(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    err = _one_line_error(capsys, ["excitation", *EXC, "--out", str(target)])
    assert "a_file" in err and target.read_text() == "x"


@given(st.one_of(st.text(max_size=20), st.floats(), st.integers(), st.none(), st.booleans()))
@settings(max_examples=80, deadline=None)
def test_as_quantity_returns_a_finite_number_or_a_typed_error(value):
    try:
        v = as_quantity(value, "K", name="--temperature")
    except NctransportError as exc:
        assert "--temperature" in str(exc)
        return
    assert np.isfinite(v)
