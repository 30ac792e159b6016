"""``nct.spectra`` and ``nct.temperature_fit``: the Python API, identity with the CLI,
temperatures validated wherever they come from."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nctransport as nct
from nctransport.cli import main
from nctransport.errors import InputError, NctransportError
from nctransport.results import to_jsonable
from nctransport.spectral.disorder import KB_EV_PER_K
from nctransport.spectral.temperature import log_model
from nctransport.spectral.workflow import SpectraResult, TemperatureFitResult, parse_time_range

from .synthetic import redshift_map


def _wide_csv(path, t_s, lam_m, sig, temperature="300 K"):
    lines = [f"# temperature: {temperature}"] if temperature else []
    lines.append("t [ps] \\ wavelength [nm]," + ",".join(f"{x * 1e9:.6f}" for x in lam_m))
    for t, row in zip(t_s, sig, strict=True):
        lines.append(f"{t * 1e12:.6f}," + ",".join(f"{v:.8g}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ta_map(tmp_path, rng, truth):
    t, lam, sig = redshift_map(rng, truth, n_t=25)
    return _wide_csv(tmp_path / "ta_map.csv", t, lam, sig)


def _cli(capsys, argv):
    rc = main([*argv, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


def test_spectra_on_a_path_recovers_sigma_inh(ta_map, truth):
    s = nct.spectra(str(ta_map))
    assert isinstance(s, SpectraResult)
    d = s.to_dict()
    sigma = math.sqrt(-2 * KB_EV_PER_K * truth.temperature_K * truth.delta_e_eV) * 1e3
    lo, hi = d["sigma_inh_meV"]["ci95"]
    assert lo <= sigma <= hi
    assert d["temperature_K"] == 300.0 and d["input"]["path"] == str(ta_map)
    assert "σ_inh" in s.summary() and "SpectraResult" in repr(s)


def test_spectra_api_equals_cli(ta_map, tmp_path, capsys):
    kw = dict(method="centroid", t_range="0ps:40ps", window="860nm:990nm")
    api = nct.spectra(ta_map, **kw)
    cli = _cli(
        capsys,
        ["spectra", str(ta_map), "--method", "centroid", "--t-range", "0ps:40ps"]
        + ["--window", "860nm:990nm", "--out", str(tmp_path / "o")],
    )
    api_d = to_jsonable(api.to_dict())
    # the CLI records its reader options (all unset here) in the same settings keys
    assert api_d == cli
    assert json.loads((tmp_path / "o" / "results.json").read_text()) == cli


def test_spectra_on_a_dataset_plots_and_writes(redshift_dataset, tmp_path):
    import matplotlib.pyplot as plt

    s = nct.spectra(redshift_dataset, temperature="300K")
    assert s.is_map and s.to_dict()["input"]["path"] is None
    fig, (a, b) = plt.subplots(2)
    assert s.plot_map(a) is a and s.plot(b) is b
    plt.close(fig)
    names = {p.name for p in s.write(tmp_path / "w")}
    assert {"results.json", "spectral_map.svg", "peak_energy.svg", "report.html"} <= names


@pytest.mark.parametrize("temperature", ["-5K", "0K", "-300 degC"])
def test_non_positive_temperature_option_is_refused(ta_map, tmp_path, capsys, temperature):
    rc = main(["spectra", str(ta_map), "--temperature", temperature, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "--temperature" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_negative_metadata_temperature_is_refused_with_the_file(tmp_path, rng, truth, capsys):
    t, lam, sig = redshift_map(rng, truth, n_t=12)
    src = _wide_csv(tmp_path / "cold.csv", t, lam, sig, temperature="-5 K")
    rc = main(["spectra", str(src), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "cold.csv" in err and "> 0 K" in err
    assert len(err.strip().splitlines()) == 1
    # a valid --temperature replaces the bad metadata
    s = nct.spectra(src, temperature="77K")
    assert s.to_dict()["temperature_K"] == 77.0


def test_temperature_option_overriding_metadata_warns_naming_the_file(ta_map):
    s = nct.spectra(ta_map, temperature="77K")
    assert any("overrides" in w and "ta_map.csv" in w for w in s.to_dict()["warnings"])
    assert not any("overrides" in w for w in nct.spectra(ta_map).to_dict()["warnings"])


def test_single_spectrum_plots_its_peak(tmp_path):
    hc = 1239.841984
    lam = np.arange(450.0, 650.0, 0.5)
    per_ev = np.exp(-0.5 * ((hc / lam - 2.30) / 0.05) ** 2)
    p = tmp_path / "pl.csv"
    p.write_text(
        "wavelength [nm],intensity\n"
        + "".join(f"{a},{b:.10g}\n" for a, b in zip(lam, per_ev * hc / lam**2, strict=True))
    )
    s = nct.spectra(p, mode="pl")
    assert not s.is_map and s._figures() == []
    ax = s.plot()
    assert ax.lines
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


# ------------------------------------------------------------------------------ temperature
@pytest.fixture
def d_vs_t(tmp_path):
    temps = np.array([9.0, 15, 20, 30, 40, 60, 80, 100, 140, 180, 220, 260, 300])
    d = np.exp(log_model("bright-dark", "D", temps, np.array([np.log(0.5), 15.0])))
    d *= np.exp(0.03 * np.random.default_rng(4).standard_normal(temps.size))
    table = tmp_path / "d_vs_t.csv"
    table.write_text(
        "T [K],D [cm2/s],err [cm2/s]\n"
        + "".join(f"{a},{b:.6g},{0.03 * b:.6g}\n" for a, b in zip(temps, d, strict=True))
    )
    return table


def test_temperature_fit_api_equals_cli(d_vs_t, tmp_path, capsys):
    r = nct.temperature_fit(d_vs_t, model="bright-dark")
    assert isinstance(r, TemperatureFitResult)
    de = r.to_dict()["fit"]["delta_e_bd_meV"]
    assert de["ci95"][0] <= 15.0 <= de["ci95"][1]
    cli = _cli(
        capsys,
        ["temperature", str(d_vs_t), "--model", "bright-dark", "--out", str(tmp_path / "o")],
    )
    assert to_jsonable(r.to_dict()) == cli
    names = {p.name for p in r.write(tmp_path / "w")}
    assert {"results.json", "temperature_D.svg", "report.html"} <= names


def _results_files(tmp_path, temps_in_file=None):
    files = []
    for i, temp in enumerate((150.0, 200.0, 250.0, 300.0)):
        tau = 2.0 * math.exp(30.0 / (KB_EV_PER_K * 1e3 * temp))
        doc = {"lifetime_1e_ns": tau}
        if temps_in_file is not None:
            doc["settings"] = {"temperature_K": temps_in_file[i]}
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(doc))
        files.append(p)
    return files


def test_temperatures_as_a_list_of_quantities(tmp_path):
    files = _results_files(tmp_path)
    a = nct.temperature_fit(files, quantity="tau", temperatures="150K,200K,250K,300K")
    b = nct.temperature_fit(files, quantity="tau", temperatures=["150K", "200K", "250K", 300.0])
    assert a.fit.parameters == b.fit.parameters
    assert a.fit.parameters["E_a"]["value"] == pytest.approx(-30.0, abs=0.5)


def test_temperatures_option_overriding_files_warns_naming_them(tmp_path):
    files = _results_files(tmp_path, temps_in_file=[100.0, 200.0, 250.0, 300.0])
    r = nct.temperature_fit(files, quantity="tau", temperatures="150K,200K,250K,300K")
    notes = [w for w in r.to_dict()["warnings"] if "replaces" in w]
    assert len(notes) == 1 and "r0.json" in notes[0] and "100 K" in notes[0]


@pytest.mark.parametrize("bad", [-5.0, 0.0])
def test_non_positive_temperature_in_a_results_file_is_refused(tmp_path, capsys, bad):
    files = _results_files(tmp_path, temps_in_file=[bad, 200.0, 250.0, 300.0])
    rc = main(["temperature", *map(str, files), "--quantity", "tau"])
    err = capsys.readouterr().err
    assert rc == 2 and "r0.json" in err and "> 0 K" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", ["-5", "0", "nan", "1e6"])
def test_non_positive_temperature_in_a_table_is_refused(tmp_path, bad):
    table = tmp_path / "t.csv"
    table.write_text(f"T [K],D [cm2/s]\n{bad},0.1\n100,0.2\n200,0.3\n")
    with pytest.raises(InputError) as exc:
        nct.temperature_fit(table)
    assert "t.csv" in str(exc.value) and "line 2" in str(exc.value)


@pytest.mark.parametrize("temps", ["-5K,200K,250K,300K", "0K,1K,2K,3K", "1e6K,1K,2K,3K"])
def test_non_positive_temperatures_option_is_refused(tmp_path, temps):
    files = _results_files(tmp_path)
    with pytest.raises(InputError, match="--temperatures"):
        nct.temperature_fit(files, quantity="tau", temperatures=temps)


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ("100,0.1,0.01\n100,0.2,0.01\n100,0.3,0.01\n", "two or more temperatures"),
        ("100,0.1,0\n200,0.2,0\n300,0.3,0\n", "error"),  # zero errors: infinite weights
        ("100,0.1,-0.01\n200,0.2,0.01\n300,0.3,0.01\n", "error"),
    ],
)
def test_degenerate_temperature_tables_are_refused(tmp_path, rows, needle):
    # each ran to exit 0 with a meaningless fit
    table = tmp_path / "t.csv"
    table.write_text("T [K],D [cm2/s],err [cm2/s]\n" + rows)
    with pytest.raises(InputError, match=needle) as exc:
        nct.temperature_fit(table)
    assert "t.csv" in str(exc.value)


@given(st.text(max_size=25))
@settings(max_examples=60, deadline=None)
def test_time_range_parser_only_raises_typed_errors(text):
    try:
        lo, hi = parse_time_range(text)
    except NctransportError:
        return
    assert hi > lo
