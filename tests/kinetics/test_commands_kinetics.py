"""The ``kinetics`` command end to end, in process."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.io import save
from nctransport.kinetics import models as M

KEYS = {
    "model",
    "components",
    "irf_fwhm_ns",
    "irf_shift_ns",
    "lifetime_1e_ns",
    "aic",
    "bic",
    "reduced_chi2",
    "converged",
    "input",
    "settings",
    "nctransport_version",
}


@pytest.fixture
def decay_file(tmp_path, rng):
    t = np.arange(-2.0, 30.0, 0.08)
    mu = M.exp_sum_gaussian_irf(t, [400.0, 100.0], [0.6, 5.0], 0.4, 0.3) + 2
    return save(
        make_dataset(rng.poisson(mu), {"t": t * 1e-9}, signal_units="counts"), tmp_path / "decay.nc"
    )


@pytest.fixture
def map_file(tmp_path, rng):
    t = np.arange(-1.0, 20.0, 0.1)
    x = np.linspace(-1e-6, 1e-6, 9)
    fast = np.exp(-(x**2) / (2 * (0.5e-6) ** 2))
    b1 = M.exp_sum_gaussian_irf(t, [30.0], [0.7], 0.3, 0.25)
    b2 = M.exp_sum_gaussian_irf(t, [8.0], [4.0], 0.3, 0.25)
    mu = np.outer(b1, fast) + np.outer(b2, np.ones_like(x)) + 0.2
    return save(
        make_dataset(rng.poisson(mu), {"t": t * 1e-9, "x": x}, signal_units="counts"),
        tmp_path / "map.nc",
    )


def test_kinetics_auto_on_decay(decay_file, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["kinetics", str(decay_file), "--json", "--out", str(out)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert KEYS <= set(res)
    assert res["model"] == "exp2" and res["selection"]["chosen"] == "exp2"
    assert res["converged"] is True
    taus = [c["tau_ns"] for c in res["components"]]
    assert taus == sorted(taus)
    assert abs(taus[1] - 5.0) < 3 * res["components"][1]["tau_err_ns"]
    assert set(res["components"][0]) >= {
        "tau_ns",
        "tau_err_ns",
        "amplitude",
        "amplitude_fraction",
        "photon_fraction",
    }
    assert abs(res["irf_fwhm_ns"] - 0.3) < 0.05
    for name in ("results.json", "decay_fit.svg", "report.html"):
        assert (out / name).exists()
    assert json.loads((out / "results.json").read_text())["input"]["sha256"]


def test_kinetics_global_on_map_writes_amplitude_maps(map_file, tmp_path, capsys):
    out = tmp_path / "g"
    rc = main(
        ["kinetics", str(map_file), "--global", "--model", "exp2", "--json", "--out", str(out)]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_decays"] == 9
    taus = [c["tau_ns"] for c in res["components"]]
    assert abs(taus[0] - 0.7) < 0.15 and abs(taus[1] - 4.0) < 0.6
    with xr.open_dataset(out / "amplitudes.nc", engine="h5netcdf") as ds:
        amp = ds.amplitude.load()
    fast = amp.sel(component=amp.component.values[0]).values
    # the fast component was simulated as a Gaussian in x: centre >> edges
    assert min(fast[3:6]) > 2.5 * max(fast[0], fast[8])


def test_kinetics_map_at_position_and_window(map_file, tmp_path, capsys):
    rc = main(
        [
            "kinetics",
            str(map_file),
            "--position",
            "0um",
            "--model",
            "exp1",
            "--irf",
            "none",
            "--window",
            "2ns:20ns",
            "--json",
            "--out",
            str(tmp_path / "p"),
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["model"] == "exp1" and res["window_ns"][0] >= 2.0


@pytest.mark.parametrize(
    "args",
    [
        ["--model", "exp9"],
        ["--window", "5:1"],
        ["--window", "3ns-9ns"],
        ["--irf", "no_such_irf.nc"],
        ["--rep-rate", "-5MHz"],
        ["--position", "1um"],  # a decay has no position
    ],
)
def test_kinetics_bad_options_exit_2(decay_file, tmp_path, args, capsys):
    rc = main(["kinetics", str(decay_file), "--out", str(tmp_path / "x"), *args])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_kinetics_missing_file_exit_2(tmp_path, capsys):
    assert main(["kinetics", str(tmp_path / "nope.nc")]) == 2


def _write_decay_csv(path, t_ns, y):
    lines = "".join(f"{a:.4f},{b:d}\n" for a, b in zip(t_ns, y, strict=True))
    path.write_text("t [ns],counts\n" + lines)
    return path


def test_kinetics_csv_with_measured_irf_file(tmp_path, rng, capsys):
    dt = 0.05
    t = np.arange(-2.0, 20.0, dt)
    irf = (
        M.gaussian_irf(t, 0.0, 0.2) * dt
        + 0.1 * M.exp_sum_gaussian_irf(t, [1.0], [0.4], 0.0, 0.2) * dt / 0.4
    )
    irf_counts = rng.poisson(irf / irf.max() * 5000)
    mu = M.exp_sum_measured_irf(t, [2000.0], [2.5], irf, shift=0.13) + 1.0
    data = _write_decay_csv(tmp_path / "decay.csv", t, rng.poisson(mu))
    irf_file = _write_decay_csv(tmp_path / "irf.csv", t, irf_counts)
    rc = main(
        [
            "kinetics",
            str(data),
            "--irf",
            str(irf_file),
            "--model",
            "exp1",
            "--json",
            "--out",
            str(tmp_path / "m"),
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    c = res["components"][0]
    assert abs(c["tau_ns"] - 2.5) < 3 * c["tau_err_ns"]
    assert abs(res["irf_shift_ns"] - 0.13) < 0.03
    assert res["irf_fwhm_ns"] is None  # measured IRF: no Gaussian width
    assert res["settings"]["irf"] == str(irf_file)


def test_kinetics_global_over_files(tmp_path, rng, capsys):
    t = np.arange(0.0, 15.0, 0.1)
    paths = [
        _write_decay_csv(tmp_path / f"d{i}.csv", t, rng.poisson(a * np.exp(-t / 2.0) + 1))
        for i, a in enumerate((300.0, 100.0, 50.0))
    ]
    rc = main(
        [
            "kinetics",
            *map(str, paths),
            "--global",
            "--model",
            "exp1",
            "--irf",
            "none",
            "--json",
            "--out",
            str(tmp_path / "gf"),
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    c = res["components"][0]
    assert res["n_decays"] == 3 and abs(c["tau_ns"] - 2.0) < 3 * c["tau_err_ns"]
    assert len(res["input"]["sha256"]) == 3
    assert main(["kinetics", *map(str, paths[:2]), "--model", "exp1"]) == 2  # needs --global
