"""`nctransport spectra` and `nctransport temperature` end to end (in-process CLI)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.cli import main
from nctransport.errors import InputError, UnitError
from nctransport.io import save
from nctransport.spectral.disorder import KB_EV_PER_K
from nctransport.spectral.temperature import log_model
from nctransport.spectral.workflow import parse_spectral_window

from .synthetic import redshift_map


def _write_wide_csv(path, t_s, lam_m, sig, temperature="300 K"):
    """The field's format: corner cell `t [ps] \\ wavelength [nm]`, metadata comment."""
    lines = [f"# temperature: {temperature}"] if temperature else []
    lines.append("t [ps] \\ wavelength [nm]," + ",".join(f"{x * 1e9:.6f}" for x in lam_m))
    for t, row in zip(t_s, sig, strict=True):
        lines.append(f"{t * 1e12:.6f}," + ",".join(f"{v:.8g}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_spectra_command_recovers_truth_from_a_csv_map(tmp_path, rng, truth, capsys):
    t, lam, sig = redshift_map(rng, truth)
    src = _write_wide_csv(tmp_path / "ta.csv", t, lam, sig)
    before = src.read_bytes()
    rc = main(["spectra", str(src), "--json", "--out", str(tmp_path / "out")])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    ps = res["peak_shift"]
    assert ps["delta_e_ci95_meV"][0] <= truth.delta_e_eV * 1e3 <= ps["delta_e_ci95_meV"][1]
    assert ps["tau_ci95_ps"][0] <= truth.tau_s * 1e12 <= ps["tau_ci95_ps"][1]
    assert ps["e0_eV"] == pytest.approx(truth.e0_eV, abs=1e-3)
    sigma = math.sqrt(-2 * KB_EV_PER_K * truth.temperature_K * truth.delta_e_eV) * 1e3
    lo, hi = res["sigma_inh_meV"]["ci95"]
    assert lo <= sigma <= hi
    assert res["temperature_K"] == 300.0  # from the file's metadata
    assert len(res["peaks"]["energy_eV"]) == t.size
    assert res["input"]["sha256"] and res["nctransport_version"]
    out = tmp_path / "out"
    for name in ("results.json", "report.html", "spectral_map.svg", "peak_energy.svg"):
        assert (out / name).stat().st_size > 0, name
    assert src.read_bytes() == before  # input untouched


def test_spectra_temperature_option_and_window(tmp_path, rng, truth, capsys):
    t, lam, sig = redshift_map(rng, truth, n_t=25)
    src = _write_wide_csv(tmp_path / "ta.csv", t, lam, sig, temperature=None)
    rc = main(["spectra", str(src), "--json", "--out", str(tmp_path / "o1")])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["sigma_inh_meV"] is None
    assert any("temperature" in w for w in res["warnings"])
    rc = main(
        [
            "spectra",
            str(src),
            "--json",
            "--temperature",
            "77K",
            "--window",
            "860nm:990nm",
            "--method",
            "centroid",
            "--t-range",
            "0ps:40ps",
            "--out",
            str(tmp_path / "o2"),
        ]
    )
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert res["peak_shift"]["n_points"] == np.sum((t >= 0) & (t <= 40.0001e-12))
    assert res["sigma_inh_meV"]["temperature_K"] == 77.0
    assert res["method"] == "centroid"
    assert res["peak_shift"]["delta_e_meV"] == pytest.approx(truth.delta_e_eV * 1e3, abs=1.0)


def test_pl_mode_on_an_energy_axis(tmp_path, rng, capsys):
    # PL (positive) map stored on an energy axis in NetCDF; blue-shifting feature -> no sigma.
    from nctransport.dataset import make_dataset
    from nctransport.spectral.peaks import gaussian

    e = np.linspace(2.2, 2.6, 121)
    t = np.linspace(0, 2e-9, 30)
    centre = 2.40 + 0.01 * -np.expm1(-t / 0.3e-9)
    sig = gaussian(e[None, :], 100.0, centre[:, None], 0.03, 1.0) + rng.normal(0, 1.0, (30, 121))
    save(make_dataset(sig, {"t": t, "energy": e}, attrs={"temperature": "10 K"}), tmp_path / "p.nc")
    rc = main(["spectra", str(tmp_path / "p.nc"), "--mode", "pl", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert res["peak_shift"]["delta_e_meV"] == pytest.approx(10.0, abs=1.0)
    assert res["sigma_inh_meV"] is None and any("blue shift" in w for w in res["warnings"])
    assert (tmp_path / "p-spectra" / "report.html").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("t [ps] \\ wavelength [nm],900,890,905\n0,1,2,3\n1,2,3,4\n", "monotonic"),
        ("t [ps] \\ wavelength [nm],900,910\n0,1,x\n", "numeric"),
        ("t [ps],counts\n0,1\n1,2\n", "spectral"),
    ],
)
def test_malformed_spectra_exit_2_with_one_line(tmp_path, capsys, content, message):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    rc = main(["spectra", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "error:" in err and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "absorbance"],
        ["--window", "900nm"],
        ["--temperature", "300"],
        ["--t-range", "5ps"],
        ["--t-range", "5:10"],
        ["--model", "linear"],
    ],
)
def test_bad_options_exit_2(tmp_path, rng, truth, args, capsys):
    t, lam, sig = redshift_map(rng, truth, n_t=10)
    src = _write_wide_csv(tmp_path / "ta.csv", t, lam, sig)
    assert main(["spectra", str(src), *args, "--out", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err


@given(st.text(max_size=25))
@settings(max_examples=60, deadline=None)
def test_window_parser_only_raises_typed_errors(text):
    try:
        lo, hi = parse_spectral_window(text)
    except (InputError, UnitError):
        return
    assert 0 < lo < hi


@pytest.mark.parametrize("text", ["850:950", "-1eV:2eV", "0nm:900nm", "900nm:900nm", "1eV:2eV:3eV"])
def test_window_parser_rejects(text):
    with pytest.raises((InputError, UnitError)):
        parse_spectral_window(text)


def test_window_parser_accepts_both_axes():
    lo, hi = parse_spectral_window("1000nm:850nm")
    assert lo == pytest.approx(1.2398, abs=1e-4) and hi == pytest.approx(1.4586, abs=1e-4)


def test_temperature_command_recovers_bright_dark_splitting(tmp_path, capsys):
    temps = np.array([9.0, 15, 20, 30, 40, 60, 80, 100, 140, 180, 220, 260, 300])
    d = np.exp(log_model("bright-dark", "D", temps, np.array([np.log(0.5), 15.0])))
    d *= np.exp(0.03 * np.random.default_rng(4).standard_normal(temps.size))
    table = tmp_path / "d_vs_t.csv"
    table.write_text(
        "T [K],D [cm2/s],err [cm2/s]\n"
        + "".join(f"{a},{b:.6g},{0.03 * b:.6g}\n" for a, b in zip(temps, d, strict=True))
    )
    rc = main(
        [
            "temperature",
            str(table),
            "--quantity",
            "D",
            "--model",
            "bright-dark",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    de = res["fit"]["delta_e_bd_meV"]
    assert de["ci95"][0] <= 15.0 <= de["ci95"][1]
    for name in ("results.json", "report.html", "temperature_D.svg"):
        assert (tmp_path / "o" / name).exists()


def test_temperature_command_from_results_files(tmp_path, capsys):
    files = []
    for i, temp in enumerate((150.0, 200.0, 250.0, 300.0)):
        tau = 2.0 * math.exp(30.0 / (KB_EV_PER_K * 1e3 * temp))  # E_a = -30 meV (tau falls)
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps({"lifetime_1e_ns": tau * (1 + 0.01 * (-1) ** i)}))
        files.append(str(p))
    rc = main(
        [
            "temperature",
            *files,
            "--quantity",
            "tau",
            "--temperatures",
            "150K,200K,250K,300K",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    ea = res["fit"]["activation_energy_meV"]
    assert ea["value"] == pytest.approx(-30.0, abs=3.0)
    # Without temperatures: one-line error, exit 2.
    assert main(["temperature", *files, "--quantity", "tau"]) == 2
    assert "no temperature" in capsys.readouterr().err


def _two_column(path, header, x, y):
    path.write_text(header + "\n" + "".join(f"{a},{b:.10g}\n" for a, b in zip(x, y, strict=True)))
    return path


def test_forster_command_from_csv_spectra(tmp_path, capsys):
    from .test_forster import _gauss, closed_form_overlap

    lam = np.arange(420.0, 701.0, 0.5)
    d = _two_column(tmp_path / "d.csv", "wavelength [nm],intensity", lam, _gauss(lam, 520, 15))
    a = _two_column(
        tmp_path / "a.csv", "wavelength [nm],epsilon [1/(M cm)]", lam, 9e4 * _gauss(lam, 555, 15)
    )
    args = ["forster", "--donor-emission", str(d), "--acceptor-absorption", str(a)]
    rc = main([*args, "--quantum-yield", "0.9", "--refractive-index", "1.33", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    j = closed_form_overlap(520, 15, 555, 15, 9e4)
    assert res["overlap_M-1cm-1nm4"] == pytest.approx(j, rel=1e-3)
    assert res["forster_radius_nm"] == pytest.approx(
        0.02108 * ((2 / 3) * 0.9 * 1.33**-4 * j) ** (1 / 6), rel=1e-3
    )
    # Negative epsilon and disjoint spectra: one line, exit 2.
    bad = _two_column(
        tmp_path / "bad.csv", "wavelength [nm],epsilon [1/(M cm)]", lam, -9e4 * _gauss(lam, 555, 15)
    )
    far_lam = np.arange(800.0, 900.0, 1.0)
    far = _two_column(
        tmp_path / "far.csv", "wavelength [nm],epsilon [1/(M cm)]", far_lam, np.ones(far_lam.size)
    )
    for acc, msg in ((bad, "no positive values"), (far, "no common wavelength range")):
        rc = main(
            [
                "forster",
                "--donor-emission",
                str(d),
                "--acceptor-absorption",
                str(acc),
                "--quantum-yield",
                "0.9",
                "--refractive-index",
                "1.33",
            ]
        )
        err = capsys.readouterr().err
        assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_single_pl_spectrum_uses_the_jacobian(tmp_path, capsys):
    # Emission per nm whose per-eV density is an exact Gaussian (2.30 eV, 50 meV): with the
    # Jacobian I(E) = I(lambda) lambda^2/(hc) the Gaussian fit in energy is exact.
    hc = 1239.841984
    lam = np.arange(450.0, 650.0, 0.5)
    per_ev = np.exp(-0.5 * ((hc / lam - 2.30) / 0.05) ** 2)
    p = _two_column(tmp_path / "pl.csv", "wavelength [nm],intensity", lam, per_ev * hc / lam**2)
    assert main(["spectra", str(p), "--mode", "pl", "--json", "--out", str(tmp_path / "o")]) == 0
    pk = json.loads(capsys.readouterr().out)["peaks"]
    assert pk["energy_eV"][0] == pytest.approx(2.30, abs=1e-6)
    assert pk["width_meV"][0] == pytest.approx(50.0, rel=1e-4)
    assert main(["spectra", str(p), "--mode", "pl", "--out", str(tmp_path / "o")]) == 0
    assert "peak energy" in capsys.readouterr().out
