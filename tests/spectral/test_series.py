"""Reading (T, value, error) points from results.json files and CSV tables."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.errors import InputError, UnitError
from nctransport.spectral.series import parse_temperature_list, read_temperature_series


def _analyze_json(path, d, ci, tau, temperature=None, temperature_k=None):
    doc = {
        "diffusivity": {"value_cm2_s": d, "ci95_cm2_s": ci, "t_start_ns": 0, "t_end_ns": 3},
        "lifetime_1e_ns": tau,
        "diffusion_length_nm": {
            "sqrt_msd_at_lifetime": 1.0,
            "sqrt_msd_at_lifetime_err": 0.1,
            "sqrt_lifetime_times_d_avg": 250.0,
            "sqrt_lifetime_times_d_avg_err": 5.0,
        },
        "temperature_K": temperature_k,
        "input": {"path": "x.nc", "sha256": "0"},
        "settings": {} if temperature is None else {"meta": {"temperature": temperature}},
    }
    path.write_text(json.dumps(doc))
    return path


def test_analyze_results_with_temperature_in_settings(tmp_path):
    a = _analyze_json(tmp_path / "a.json", 0.1, [0.0804, 0.1196], 2.0, temperature="10 K")
    b = _analyze_json(tmp_path / "b.json", 0.2, [0.1608, 0.2392], 1.5, temperature_k=300.0)
    s = read_temperature_series([a, b], "D")
    np.testing.assert_allclose(s.temperature_K, [10.0, 300.0])
    np.testing.assert_allclose(s.values, [0.1, 0.2])
    # 95% CI half-width 0.0196 -> 1-sigma 0.0196 / 1.96 = 0.01.
    np.testing.assert_allclose(s.errors, [0.01, 0.02], rtol=1e-4)
    tau = read_temperature_series([a, b], "tau")
    np.testing.assert_allclose(tau.values, [2.0, 1.5])
    assert tau.errors is None
    ell = read_temperature_series([a], "L")  # Bornschlegl 2024: L = sqrt(tau D_avg)
    assert ell.values[0] == 250.0 and ell.errors[0] == 5.0


def test_temperatures_option_and_missing_temperature(tmp_path):
    a = _analyze_json(tmp_path / "a.json", 0.1, [0.08, 0.12], 2.0)
    with pytest.raises(InputError, match="no temperature"):
        read_temperature_series([a], "D")
    s = read_temperature_series([a], "D", temperatures=parse_temperature_list("77K"))
    assert s.temperature_K[0] == 77.0
    with pytest.raises(InputError, match="1 results files"):
        read_temperature_series([a], "D", temperatures=[10.0, 20.0])


def test_csv_table_units_are_converted(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("T [K],D [m2/s],err [m2/s]\n10,1e-5,1e-6\n100,2e-5,2e-6\n")
    s = read_temperature_series([p], "D")
    np.testing.assert_allclose(s.values, [0.1, 0.2])  # 1e-5 m2/s = 0.1 cm2/s
    np.testing.assert_allclose(s.errors, [0.01, 0.02])
    q = tmp_path / "tau.csv"
    q.write_text("T [K],tau [ps]\n10,480\n")
    assert read_temperature_series([q], "tau").values[0] == pytest.approx(0.48)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("T [K],D\n10,1\n", UnitError, "unit"),
        ("T [C],D [cm2/s]\n10,1\n", UnitError, "in K"),
        ("T [K],tau [ns]\n10,1\n", InputError, "is not D"),
        ("T [K],D [cm2/s]\n10,abc\n", InputError, "non-numeric"),
        ("T [K],D [cm2/s]\n", InputError, "at least one data row"),
        ("T [K],D [ns]\n10,1\n", UnitError, "cannot be converted"),
    ],
)
def test_malformed_tables(tmp_path, text, error, match):
    p = tmp_path / "t.csv"
    p.write_text(text)
    with pytest.raises(error, match=match):
        read_temperature_series([p], "D")


@given(st.text(max_size=30))
@settings(max_examples=60, deadline=None)
def test_temperature_list_parser_never_crashes(text):
    try:
        out = parse_temperature_list(text)
    except (InputError, UnitError):
        return
    assert all(np.isfinite(v) and v > 0 for v in out)


@pytest.mark.parametrize("text", ["", "10", "1e999K", "-5K", "10nm"])
def test_temperature_list_rejects(text):
    with pytest.raises((InputError, UnitError)):
        parse_temperature_list(text)


@given(st.text(alphabet="TDK[]cm2/s,0123456789.e-\n ", max_size=60))
@settings(max_examples=80, deadline=None)
def test_table_reader_only_raises_typed_errors(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fuzz") / "t.csv"
    p.write_text(text)
    try:
        s = read_temperature_series([p], "D")
    except (InputError, UnitError):
        return
    assert s.values.size >= 1
