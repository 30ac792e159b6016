"""``nctransport device ...`` in-process: outputs, JSON keys, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import epsilon_0

from nctransport.cli import main
from nctransport.commands.device import parse_voltages
from nctransport.dataset import make_dataset
from nctransport.device.arrhenius import arrhenius_mobility
from nctransport.device.drift_diffusion import Device, solve_jv
from nctransport.device.mobility import ConstantMobility
from nctransport.errors import NctransportError
from nctransport.io import load, save

L, EPS_R = 110e-9, 3.5


def mg(v, mu, thickness=L):
    return 9 / 8 * epsilon_0 * EPS_R * mu * v**2 / thickness**3


def run_json(capsys, args):
    capsys.readouterr()
    rc = main(args + ["--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    return json.loads(out)


@pytest.fixture
def arrhenius_files(tmp_path, rng):
    paths = []
    for t in (217.0, 257.0, 297.0):
        mu = arrhenius_mobility(t, mu_inf_m2_Vs=4.5e-6, activation_eV=0.30)
        v = np.geomspace(0.1, 5, 30)
        j = (1e-4 * v + mg(v, mu)) * np.exp(rng.normal(0, 0.02, v.size))
        ds = make_dataset(
            j, {"V": v}, signal_units="A/m**2", signal_name="J", attrs={"temperature": f"{t} K"}
        )
        paths.append(save(ds, tmp_path / f"jv_{int(t)}K.nc"))
    return paths


def test_sclc_arrhenius_from_netcdf(tmp_path, capsys, arrhenius_files):
    out = tmp_path / "sclc"
    before = [p.read_bytes() for p in arrhenius_files]
    res = run_json(
        capsys,
        [
            "device",
            "sclc",
            *map(str, arrhenius_files),
            "--thickness",
            "110nm",
            "--eps-r",
            "3.5",
            "--out",
            str(out),
        ],
    )
    assert len(res["files"]) == 3
    for f in res["files"]:
        assert {"mobility_m2_Vs", "mobility_ci95_m2_Vs", "slope_regimes", "fit_range_V"} <= set(f)
        assert {"v_start", "v_end", "slope"} <= set(f["slope_regimes"][0])
    arr = res["arrhenius"]
    assert arr["activation_ci95_eV"][0] < 0.30 < arr["activation_ci95_eV"][1]
    assert arr["activation_eV"] == pytest.approx(0.30, abs=0.02)
    assert arr["mu_inf_m2_Vs"] == pytest.approx(4.5e-6, rel=0.5)
    assert (out / "report.html").exists() and (out / "sclc.svg").exists()
    saved = json.loads((out / "results.json").read_text())
    assert saved["input"]["files"][0]["sha256"]
    assert saved["settings"]["eps_r"] == 3.5
    assert [p.read_bytes() for p in arrhenius_files] == before  # inputs untouched


def test_sclc_csv_thickness_series(tmp_path, capsys):
    files = []
    for thick in (65e-9, 110e-9, 130e-9):
        v = np.linspace(0.2, 4, 25)
        lines = ["# temperature: 297 K", f"# thickness: {thick * 1e9:g} nm", "V [V],J [A/m2]"]
        lines += [
            f"{float(a)!r},{float(b)!r}" for a, b in zip(v, mg(v, 4.4e-11, thick), strict=True)
        ]
        path = tmp_path / f"jv_{thick * 1e9:.0f}nm.csv"
        path.write_text("\n".join(lines) + "\n")
        files.append(str(path))
    res = run_json(
        capsys, ["device", "sclc", *files, "--eps-r", "3.5", "--out", str(tmp_path / "o")]
    )
    assert res["thickness_series"]["exponent"] == pytest.approx(3.0, abs=0.02)
    for f in res["files"]:
        assert f["mobility_m2_Vs"] == pytest.approx(4.4e-11, rel=0.01)
    single = run_json(
        capsys,
        [
            "device",
            "sclc",
            files[1],
            "--thickness",
            "110nm",
            "--eps-r",
            "3.5",
            "--out",
            str(tmp_path / "o1"),
        ],
    )
    assert single["mobility_m2_Vs"] == pytest.approx(4.4e-11, rel=0.01)


def test_simulate_writes_jv_profiles_and_report(tmp_path, capsys):
    out = tmp_path / "sim"
    res = run_json(
        capsys,
        [
            "device",
            "simulate",
            "--model",
            "constant",
            "--statistics",
            "boltzmann",
            "--site-density",
            "1e27m-3",
            "--mobility",
            "4.4e-11m2/V/s",
            "--thickness",
            "110nm",
            "--eps-r",
            "3.5",
            "--voltages",
            "0:10:11",
            "--points",
            "120",
            "--out",
            str(out),
        ],
    )
    ds = load(out / "jv.csv")
    ref = solve_jv(
        np.linspace(0, 10, 11),
        device=Device(L, EPS_R),
        mobility=ConstantMobility(4.4e-11),
        n_points=120,
    ).current_density_A_m2
    assert np.allclose(ds["signal"].values, ref, rtol=1e-9, atol=1e-12)
    assert res["max_continuity_error"] < 1e-9
    assert res["j_over_mott_gurney_at_max_V"] == pytest.approx(1.17, abs=0.03)
    import xarray as xr

    with xr.open_dataset(out / "profiles.nc", engine="h5netcdf") as prof:
        assert prof["density"].shape == (11, 120)
        assert float(prof["density"][-1, 0]) == pytest.approx(1e27, rel=1e-9)
    assert (out / "report.html").exists() and (out / "results.json").exists()


def test_simulate_egdm_then_fit(tmp_path, capsys):
    files = []
    for t in ("230K", "297K"):
        out = tmp_path / t
        run_json(
            capsys,
            [
                "device",
                "simulate",
                "--model",
                "egdm",
                "--statistics",
                "gauss-fermi",
                "--mu0",
                "4.5e-7m2/V/s",
                "--sigma",
                "0.12eV",
                "--a",
                "2.8nm",
                "--temperature",
                t,
                "--thickness",
                "110nm",
                "--voltages",
                "0.5:6:6",
                "--points",
                "60",
                "--out",
                str(out),
            ],
        )
        files.append(str(out / "jv.csv"))
    res = run_json(
        capsys,
        [
            "device",
            "fit",
            *files,
            "--model",
            "egdm",
            "--thickness",
            "110nm",
            "--eps-r",
            "3.5",
            "--a",
            "2.8nm",
            "--points",
            "60",
            "--out",
            str(tmp_path / "fit"),
        ],
    )
    assert res["sigma_eV"] == pytest.approx(0.12, abs=1e-3)
    assert res["mu0_m2_Vs"] == pytest.approx(4.5e-7, rel=0.05)
    assert {"sigma_ci95_eV", "mu0_ci95_m2_Vs", "a_m", "correlations", "reduced_chi2"} <= set(res)
    assert (tmp_path / "fit" / "egdm_fit.svg").exists()


def test_tel_command(tmp_path, capsys):
    w = np.linspace(2e-6, 100e-6, 30)
    paths = []
    for v, tau in ((4.0, 8e-6), (5.0, 6e-6), (6.0, 5e-6)):
        y = 2.0 * np.clip(w - tau, 0, None)
        ds = make_dataset(y, {"t": w}, signal_units="arb", signal_name="integrated EL")
        paths.append(str(save(ds, tmp_path / f"tel_{v:g}V.nc")))
    res = run_json(
        capsys,
        [
            "device",
            "tel",
            *paths,
            "--thickness",
            "30nm",
            "--voltage",
            "4V",
            "--voltage",
            "5V",
            "--voltage",
            "6V",
            "--out",
            str(tmp_path / "t"),
        ],
    )
    first = res["files"][0]
    assert first["transit_time_s"] == pytest.approx(8e-6, rel=1e-6)
    assert first["mobility_m2_Vs"] == pytest.approx((30e-9) ** 2 / (8e-6 * 4.0), rel=1e-6)
    assert "poole_frenkel" in res


@pytest.mark.parametrize(
    "args",
    [
        [
            "device",
            "simulate",
            "--model",
            "constant",
            "--mobility",
            "1e-10m2/V/s",
            "--statistics",
            "boltzmann",
            "--thickness",
            "-110nm",
        ],
        [
            "device",
            "simulate",
            "--model",
            "constant",
            "--mobility",
            "1e-10m2/V/s",
            "--statistics",
            "boltzmann",
            "--voltages",
            "0:5000:3",
        ],
        ["device", "simulate", "--model", "egdm", "--statistics", "gauss-fermi"],
        [
            "device",
            "simulate",
            "--model",
            "constant",
            "--mobility",
            "1e-10m2/V/s",
            "--statistics",
            "boltzmann",
            "--voltages",
            "0:10:41",
            "--points",
            "4",
        ],
    ],
)
def test_bad_inputs_one_line_exit_2(tmp_path, capsys, args):
    rc = main(args + ["--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_sclc_missing_thickness_and_wrong_kind(tmp_path, capsys):
    ds = make_dataset(np.ones(5), {"V": np.linspace(0.1, 1, 5)}, signal_units="A/m**2")
    p = save(ds, tmp_path / "a.nc")
    assert main(["device", "sclc", str(p), "--out", str(tmp_path / "o")]) == 2
    decay = save(make_dataset(np.ones(5), {"t": np.arange(5) * 1e-9}), tmp_path / "d.nc")
    assert main(["device", "sclc", str(decay), "--thickness", "100nm"]) == 2
    assert "error:" in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789.:,-eVmk x", max_size=14))
def test_parse_voltages_fuzz(text):
    try:
        v = parse_voltages(text)
    except NctransportError:
        return
    assert v.ndim == 1 and v.size >= 1


def test_tel_from_csv(tmp_path, capsys):
    w_us = np.linspace(2, 100, 25)
    lines = ["t [us],integrated EL [arb]"]
    lines += [f"{float(a)!r},{float(3 * max(a - 5.0, 0.0))!r}" for a in w_us]
    path = tmp_path / "tel.csv"
    path.write_text("\n".join(lines) + "\n")
    res = run_json(
        capsys,
        [
            "device",
            "tel",
            str(path),
            "--thickness",
            "30nm",
            "--voltage",
            "4V",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res["transit_time_s"] == pytest.approx(5e-6, rel=1e-6)
    assert res["mobility_m2_Vs"] == pytest.approx((30e-9) ** 2 / (5e-6 * 4.0), rel=1e-6)
