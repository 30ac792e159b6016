"""nct.sweep / nct.sweep_report: the library API, D_sim and the hostile cases of a sweep."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nctransport.cli import main
from nctransport.errors import ConfigError, OutputError
from nctransport.sweeps import SweepSpec, parse_grid, run_sweep
from nctransport.sweeps.store import LOCK_FILE, SweepStore

# The same tiny random walk as test_sweep.py (its module fixture is rebuilt here).
SETS = (("particles", "1500"), ("duration", "0.6ns"), ("frame_interval", "100ps"))
GRID = "hop_rate=5e9/s,1e10/s,2e10/s"


def spec() -> SweepSpec:
    return SweepSpec(grid=(parse_grid(GRID),), seed=11, preset="random-walk", sets=SETS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    assert run_sweep(spec(), out, workers=1).failed == 0
    return out


def _cli(out: Path, *extra: str) -> list[str]:
    argv = ["sweep", "--preset", "random-walk", "--grid", GRID, "--seed", "11"]
    for k, v in SETS:
        argv += ["--set", f"{k}={v}"]
    return [*argv, "--workers", "1", "--out", str(out), *extra]


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


# -- the API runs in-process without the CLI ------------------------------------------------------
def test_api_runs_without_cli_and_records_typed_errors(tmp_path):
    script = textwrap.dedent(
        f"""
        import json, sys
        import nctransport as nct
        r = nct.sweep("random-walk", {{"hop_rate": ["1e10/s", "-1e10/s"]}},
                      out_dir={str(tmp_path / "api")!r}, seed=4, particles=1000,
                      duration="1ns", frame_interval="100ps")
        rep = nct.sweep_report(r)
        print(json.dumps({{
            "cli": sorted(m for m in sys.modules
                          if m.startswith(("nctransport.cli", "nctransport.commands"))),
            "failures": r.failures, "ran": r.ran, "rows": len(r.rows),
            "d": r.column("diffusivity_cm2_s").tolist(), "x": rep.x_name,
            "d1": r.column("d_1ns_cm2_s").tolist(),
            "keys": list(r.to_dict())}}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["cli"] == []
    assert out["ran"] == 2 and out["rows"] == 1
    # D = hop_rate spacing^2 per axis = 0.01 cm^2/s
    assert out["d1"][0] == pytest.approx(0.01, rel=0.1)
    assert out["d"][0] == pytest.approx(0.01, rel=0.5)
    # the failed point carries the config's own message, not "simulate exited 2"
    (err,) = out["failures"].values()
    assert err.startswith("ConfigError:") and "hops.rate" in err and "negative" in err
    assert out["x"] == "hop_rate_1_per_s"
    assert {"points", "failures", "settings", "nctransport_version"} <= set(out["keys"])


def test_sweep_result_protocol(reference, tmp_path):
    import nctransport as nct

    r = nct.sweep(
        "random-walk",
        [GRID],
        out_dir=reference,
        seed=11,
        sets=dict(SETS),
    )
    assert (r.skipped, r.ran, r.failed) == (3, 0, 0)  # resumed: nothing to run
    assert "3 points" in r.headline() and "points" in r.summary()
    written = r.write(tmp_path / "copy", report=False)
    names = {p.name for p in written}
    assert names == {"results.json", "sweep.csv"}
    assert (tmp_path / "copy" / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()
    assert json.loads((tmp_path / "copy" / "results.json").read_text())["n_points"] == 3


# -- D_sim and the default x axis on a reduced memory-model sweep --------------------------------
@pytest.mark.slow
def test_memory_sweep_d_sim_against_exact_second_moment(tmp_path):
    import nctransport as nct

    periods = ["2us", "4us", "8us", "16us", "32us"]
    r = nct.sweep(
        "memory",
        {"pulse_period": periods},
        out_dir=tmp_path / "mem",
        seed=3,
        analyze=False,
        size=160,
        pulses=6,
        duration="1.1ns",
        sets={"output.geometry": "stack"},  # the map's moments then cover both axes
    )
    assert r.failed == 0
    for row, period in zip(r.rows, [2e-6, 4e-6, 8e-6, 16e-6, 32e-6], strict=True):
        point = tmp_path / "mem" / "points" / row["point_id"]
        ds = xr.open_dataset(point / "simulation.nc")
        # independent truth: the exact per-axis variance change of all excitons, /2t at 1 ns
        k = int(np.argmin(np.abs(ds["t"].values - 1e-9)))
        assert ds["t"].values[k] == pytest.approx(1e-9)
        exact = float(ds["msd_all"].values[k]) / 2e-9 * 1e4
        ds.close()
        assert row["d_1ns_cm2_s"] == pytest.approx(exact, rel=1e-9)
        assert row["d_1ns_map_cm2_s"] == pytest.approx(exact, rel=0.10)
        # Shcherbakov-Wu 2024: time between excitations of the centre NC = period / alpha
        assert row["time_between_excitations_s"] == pytest.approx(period / 0.5)
        assert row["warmup_pulses"] == math.ceil(5 * 8.1e-6 / period)
    d = r.column("d_1ns_cm2_s")
    assert d[0] > 3 * d[-1]  # memory: frequent excitation, faster transport
    rep = nct.sweep_report(r)
    assert rep.x_name == "time_between_excitations_s" and "alpha" in rep.x_how
    assert rep.y_name == "d_1ns_cm2_s"
    assert "time between excitations" in rep.summary()
    tau = rep.tau
    assert rep.fit.converged and tau.unit == "us"
    assert 0 < tau.ci95[0] < tau.value < tau.ci95[1]
    assert 1.0 < tau.value < 20.0
    # the x axis can be overridden
    by_period = nct.sweep_report(tmp_path / "mem", x="pulse_period")
    assert by_period.x_name == "pulse_period_s" and by_period.x_how.startswith("grid")


def test_d_sim_reads_exact_moments_not_widths():
    from nctransport.sweeps.dsim import d_at, map_moment_msd

    # a flat-topped (uniform) profile widening: variance of U(-w, w) is w^2 / 3
    x = np.linspace(-2e-6, 2e-6, 4001)
    t = np.array([0.0, 1e-9])
    w = np.array([3e-7, 4e-7])
    sig = (np.abs(x)[None, :] <= w[:, None]).astype(float)
    ds = xr.Dataset({"signal": (("t", "x"), sig)}, {"t": t, "x": x})
    d = d_at(*map_moment_msd(ds))
    assert d == pytest.approx((w[1] ** 2 - w[0] ** 2) / 3 / 2e-9, rel=2e-3)


# -- hostile cases (issue 16, class 5) -------------------------------------------------------------
def test_second_sweep_on_a_locked_directory_refuses_at_once(reference, tmp_path, capsys):
    out = tmp_path / "locked"
    shutil.copytree(reference, out)
    live = out / "points" / ".tmp-p00001-live"
    live.mkdir()
    store = SweepStore(out)
    with store.lock():  # a first sweep is running
        with pytest.raises(OutputError, match=LOCK_FILE):
            run_sweep(spec(), out, workers=1)
        rc = main(_cli(out))
        line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and LOCK_FILE in line and "another sweep" in line
    assert live.exists()  # the live run's temporary point was left alone
    # once the first run is gone the directory is usable again
    assert run_sweep(spec(), out, workers=1).failed == 0


def test_corrupt_point_file_is_redone_with_a_warning(reference, tmp_path):
    out = tmp_path / "corrupt"
    shutil.copytree(reference, out)
    victim = sorted((out / "points").glob("p*"))[1] / "point.json"
    victim.write_text('{"index": 1, "point_id": ')
    (out / "sweep.csv").unlink()
    seen: list[str] = []
    result = run_sweep(spec(), out, workers=1, on_warning=seen.append)
    assert (result.skipped, result.ran, result.failed) == (2, 1, 0)
    assert seen == list(result.warnings) and len(seen) == 1
    assert str(victim) in seen[0] and "corrupt" in seen[0]
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[1, 2]"])
def test_corrupt_sweep_json_is_one_line_error(reference, tmp_path, capsys, content):
    out = tmp_path / "bad"
    shutil.copytree(reference, out)
    (out / "sweep.json").write_bytes(content)
    rc = main(_cli(out))
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and "sweep.json" in line and "corrupt" in line
    rc = main(["sweep-report", str(out), "--out", str(tmp_path / "rep")])
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and "sweep.json" in line


def test_unknown_grid_key_refused_before_any_point(tmp_path, capsys):
    out = tmp_path / "bogus"
    rc = main(["sweep", "--preset", "random-walk", "--grid", "bogus=1,2", "--out", str(out)])
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and "--grid bogus: unknown key" in line
    assert "hop_rate" in line and "particles" in line  # the known keys are listed
    assert not (out / "points").exists()
    rc = main(["sweep", "--preset", "random-walk", "--grid", "hop_rate=1e10/s", "--set",
               "nope=3", "--out", str(out)])  # fmt: skip
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and "--set nope: unknown key" in line
    with pytest.raises(ConfigError, match="known keys"):
        SweepSpec(grid=(parse_grid("lattice.bogus=1"),), seed=0, preset="memory").validate()


def test_failed_points_exit_1_with_stderr(tmp_path, capsys):
    out = tmp_path / "fails"
    argv = ["sweep", "--preset", "random-walk", "--grid", "hop_rate=-1/s", "--workers", "1"]
    rc = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "1 of 1 points failed" in err and "negative" in err


def test_more_workers_than_points_warns(reference, tmp_path):
    out = tmp_path / "few"
    shutil.copytree(reference, out)
    shutil.rmtree(sorted((out / "points").glob("p*"))[0])
    result = run_sweep(spec(), out, workers=4)
    assert result.ran == 1
    assert any("--workers 4 exceeds the 1 point(s)" in w for w in result.warnings)
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


@pytest.mark.slow
def test_warmup_removes_the_cold_start_drift():
    # Shcherbakov-Wu 2024 start every NC slow; without a warm-up the first pulses of a chain
    # read a lower D than the steady state (issue: 30 pulses 0.075, 150 pulses 0.089).
    from nctransport.kmc import load_preset
    from nctransport.sweeps import dsim
    from nctransport.sweeps import point as pt

    def cfg(n):
        keys = {"size": "160", "pulses": str(n), "duration": "1.1ns", "pulse_period": "1us"}
        return load_preset("memory", keys)

    warm = pt.default_warmup(cfg(4))
    assert warm == math.ceil(5 * 8.1)

    def d_1ns(n, warmup):
        sim = pt.simulate(cfg(n), 5, warmup)
        assert sim.pulses == n  # the warm-up pulses are not counted
        return dsim.d_at(*dsim.exact_msd(sim.dataset))

    short, long, cold = d_1ns(4, warm), d_1ns(16, warm), d_1ns(4, 0)
    assert short == pytest.approx(long, rel=0.1)
    assert cold < 0.8 * long


def test_grid_values_from_python_keep_their_units():
    from nctransport.sweeps.grid import si_value
    from nctransport.sweeps.workflow import _grid
    from nctransport.units import ureg

    axes = _grid({"hop_rate": [ureg.Quantity(1e10, "1/s"), "2e10/s"], "pulses": 3})
    (rate, pulses) = axes
    assert [si_value(v) for v in rate.values] == [(1e10, "1_per_s"), (2e10, "1_per_s")]
    assert pulses.values == ("3",)
    with pytest.raises(ConfigError, match="seed"):
        import nctransport as nct

        nct.sweep("random-walk", {"hop_rate": ["1e10/s"]}, out_dir="unused", seed=-1)


def test_output_target_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("keep me")
    rc = main(_cli(target))
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and str(target) in line and "not a directory" in line
    assert target.read_text() == "keep me"


def test_every_chain_warms_up_on_its_own():
    from nctransport.kmc import load_preset
    from nctransport.sweeps import point as pt

    keys = {"size": "80", "pulses": "4", "chains": "2", "duration": "0.2ns", "alpha_pulse": "0.2"}
    cfg = load_preset("memory", keys)
    one = pt.simulate(cfg, 7, 3)
    assert one.pulses == 4  # 2 chains x 2 measured pulses, warm-up pulses not counted
    again = pt.simulate(cfg, 7, 3)
    assert np.array_equal(one.dataset["signal"].values, again.dataset["signal"].values)
    cold = pt.simulate(cfg, 7, 0)
    assert not np.array_equal(one.dataset["msd_all"].values, cold.dataset["msd_all"].values)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"a,b\n1,2\n"])
def test_corrupt_sweep_csv_is_one_line_error_and_rebuilt_on_resume(
    reference, tmp_path, capsys, content
):
    out = tmp_path / "badcsv"
    shutil.copytree(reference, out)
    (out / "sweep.csv").write_bytes(content)
    rc = main(["sweep-report", str(out), "--out", str(tmp_path / "rep")])
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and "sweep.csv" in line and "corrupt" in line
    assert run_sweep(spec(), out, workers=1).ran == 0
    assert (out / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()


def test_config_file_sweep_checks_keys_from_its_own_table(tmp_path):
    import tomli_w

    import nctransport as nct
    from nctransport.kmc.presets import preset_data

    cfg = tmp_path / "walk.toml"
    cfg.write_text(tomli_w.dumps(preset_data("random-walk")))
    with pytest.raises(ConfigError, match="known keys: .*hop_rate"):
        nct.sweep(cfg, {"bogus": [1, 2]}, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="neither a preset"):
        nct.sweep("no-such-preset", {"hop_rate": [1]}, out_dir=tmp_path / "out")
