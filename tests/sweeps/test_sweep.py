"""Sweeps are bit-identical whatever the engine, the worker count or interruptions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.sweeps import SweepSpec, parse_grid, run_sweep
from nctransport.sweeps.trends import fit_exponential

# A tiny random walk: D = hop_rate * spacing^2 per axis (docs/science.md), 10 nm spacing.
SETS = (("particles", "1500"), ("duration", "0.6ns"), ("frame_interval", "100ps"))
GRID = "hop_rate=5e9/s,1e10/s,2e10/s"


def spec() -> SweepSpec:
    return SweepSpec(grid=(parse_grid(GRID),), seed=11, preset="random-walk", sets=SETS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    result = run_sweep(spec(), out, workers=1)
    assert result.failed == 0 and result.ran == 3
    return out


def test_reference_recovers_d(reference):
    rows = (reference / "sweep.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[:2] == ["point_id", "hop_rate_1_per_s"]
    for line in rows[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        d_true = float(row["hop_rate_1_per_s"]) * (10e-9) ** 2 * 1e4  # cm^2/s
        lo, hi = float(row["diffusivity_ci95_lo_cm2_s"]), float(row["diffusivity_ci95_hi_cm2_s"])
        assert lo < hi
        assert float(row["diffusivity_cm2_s"]) == pytest.approx(d_true, rel=0.25)
    point = next((reference / "points").iterdir())
    assert (point / "simulation.nc").exists() and (point / "config.toml").exists()
    assert (point / "analysis" / "results.json").exists()


def test_point_reports_hold_the_analysis_report(reference, tmp_path):
    import dataclasses

    one = dataclasses.replace(spec(), grid=(parse_grid("hop_rate=1e10/s"),), point_reports=True)
    assert run_sweep(one, tmp_path / "rep", workers=1).failed == 0
    analysis = next((tmp_path / "rep" / "points").iterdir()) / "analysis"
    html = (analysis / "report.html").read_text()
    assert html.count("data:image/svg+xml;base64,") == 4  # map, profiles, MSD, decay
    assert {"results.json", "msd.csv", "profiles.nc"} <= {p.name for p in analysis.iterdir()}
    same = next((reference / "points").iterdir()) / "analysis" / "results.json"
    got = json.loads((analysis / "results.json").read_text())
    assert got.keys() == json.loads(same.read_text()).keys()


def test_resume_skips_finished_and_redoes_partial(reference, tmp_path):
    out = tmp_path / "resume"
    shutil.copytree(reference, out)
    pids = sorted(p.name for p in (out / "points").iterdir())
    shutil.rmtree(out / "points" / pids[1])
    (out / "points" / f".tmp-{pids[1]}-dead").mkdir()  # what a kill leaves behind
    (out / "points" / f".tmp-{pids[1]}-dead" / "simulation.nc").write_bytes(b"half")
    (out / "sweep.csv").unlink()
    result = run_sweep(spec(), out, workers=1)
    assert (result.skipped, result.ran, result.partial_removed) == (2, 1, 1)
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


def test_sigkill_then_resume_is_bit_identical(reference, tmp_path):
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "nctransport",
        "sweep",
        "--preset",
        "random-walk",
        "--grid",
        GRID,
        "--seed",
        "11",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    for k, v in SETS:
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        done = (
            [p for p in (out / "points").glob("p*") if (p / "point.json").exists()]
            if (out / "points").exists()
            else []
        )
        if done:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rc = main(["sweep", *cmd[cmd.index("--preset") :]])
    assert rc == 0
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


def test_two_local_workers_bit_identical(reference, tmp_path):
    out = tmp_path / "pool"
    result = run_sweep(spec(), out, workers=2)
    assert result.failed == 0
    # a persistent pool: two worker processes (importing once each) ran the three points
    pids = {r["worker_pid"] for r in result.records}
    assert len(pids) <= 2 and os.getpid() not in pids
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


def test_dask_cluster_bit_identical(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        out = tmp_path / "dask"
        result = run_sweep(spec(), out, scheduler=cluster.scheduler_address)
    assert result.failed == 0
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


def test_different_sweep_in_same_dir_refused(reference, tmp_path, capsys):
    out = tmp_path / "other"
    shutil.copytree(reference, out)
    rc = main(
        ["sweep", "--preset", "random-walk", "--grid", "hop_rate=1e9/s,3e9/s", "--out", str(out)]
    )
    assert rc == 2
    assert "different sweep" in capsys.readouterr().err


def test_sweep_report_cli(reference, tmp_path, capsys):
    rc = main(["sweep-report", str(reference), "--out", str(tmp_path), "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["x"]["name"] == "hop_rate_1_per_s"
    assert len(res["points"]) == 3
    assert res["exponential_fit"] is None and res["warnings"]  # 3 points < 4 parameters+1
    assert (tmp_path / "report.html").exists() and (tmp_path / "sweep_trend.png").exists()


def test_exponential_fit_interval_coverage(rng):
    # Shcherbakov-Wu 2024 Fig. 4E form: D = offset + amplitude exp(-t/tau); tau = 6 us.
    x = np.linspace(0.5e-6, 30e-6, 12)
    truth = 0.012 + 0.05 * np.exp(-x / 6e-6)
    err = 0.002 * np.ones_like(x)
    hits = 0
    for _ in range(200):
        fit = fit_exponential(x, truth + rng.normal(0, err), err)
        hits += fit.tau_ci95[0] <= 6e-6 <= fit.tau_ci95[1]
    assert 0.90 <= hits / 200 <= 0.99


@pytest.mark.parametrize(
    "address", ["bogus", "tcp://127.0.0.1:99999999", "127.0.0.1:8786", "tcp://:8786"]
)
def test_malformed_scheduler_refused_before_anything(tmp_path, capsys, address):
    # 'bogus' was "unexpected ValueError", then 10 traceback lines and a 20 s hang from
    # distributed's Client destructor
    out = tmp_path / "s"
    t0 = time.monotonic()
    rc = main(["sweep", "--preset", "random-walk", "--grid", "particles=100,200",
               "--scheduler", address, "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "--scheduler" in err, err
    assert time.monotonic() - t0 < 10 and not out.exists()


def test_a_grid_of_a_million_points_is_refused_before_anything(tmp_path, capsys):
    # 100 x 100 x 100 values started running, holding ~1 GB of point records
    grid = [
        "particles=" + ",".join(str(100 + i) for i in range(100)),
        "hop_rate=" + ",".join(f"{1 + i}e9/s" for i in range(100)),
        "lifetime=" + ",".join(f"{1 + i}ns" for i in range(100)),
    ]
    out = tmp_path / "s"
    argv = ["sweep", "--preset", "random-walk", "--out", str(out)]
    for g in grid:
        argv += ["--grid", g]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1000000 points" in err and "--grid" in err, err
    assert not out.exists()
