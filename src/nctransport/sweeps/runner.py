"""Running sweep points: simulate, then analyse, each through the public CLI commands.

Each point runs the same ``nctransport simulate`` and ``nctransport analyze`` a user would,
in-process, into a temporary directory that is renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import ConfigError
from nctransport.io.atomic import write_text
from nctransport.sweeps.grid import GridAxis, SweepPoint, si_value, sweep_points
from nctransport.sweeps.store import POINT_FILE, SweepStore

#: Shortest interval between two rewrites of sweep.csv while a sweep runs (s).
CSV_INTERVAL_S = 2.0

#: Numbers taken from each point's ``analysis/results.json`` into ``sweep.csv``.
METRIC_COLUMNS = (
    "diffusivity_cm2_s",
    "diffusivity_ci95_lo_cm2_s",
    "diffusivity_ci95_hi_cm2_s",
    "diffusivity_origin_cm2_s",
    "d_1ns_cm2_s",
    "sigma0_nm",
    "d_avg_cm2_s",
    "lifetime_1e_ns",
    "t_max_ns",
)


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: a preset or config, fixed ``--set`` values, the grid and the seed."""

    grid: tuple[GridAxis, ...]
    seed: int
    preset: str | None = None
    config: str | None = None
    sets: tuple[tuple[str, str], ...] = ()
    analyze_args: tuple[str, ...] = ()
    point_reports: bool = False

    def __post_init__(self) -> None:
        if (self.preset is None) == (self.config is None):
            raise ConfigError("give exactly one of a CONFIG file or --preset NAME")
        if not self.grid:
            raise ConfigError("a sweep needs at least one --grid key=v1,v2,...")
        fixed = {k for k, _ in self.sets}
        clash = fixed & {a.key for a in self.grid}
        if clash:
            raise ConfigError(f"{sorted(clash)} given both as --set and as --grid")

    def definition(self) -> dict[str, Any]:
        """JSON-able identity of the sweep (what a resume must match)."""
        config_sha = None
        if self.config is not None:
            from nctransport.io import sha256_of

            config_sha = sha256_of(self.config)
        return {
            "preset": self.preset,
            "config": self.config,
            "config_sha256": config_sha,
            "sets": [list(s) for s in self.sets],
            "grid": [{"key": a.key, "values": list(a.values)} for a in self.grid],
            "seed": self.seed,
            "analyze_args": list(self.analyze_args),
            "point_reports": self.point_reports,
        }

    def points(self) -> list[SweepPoint]:
        return sweep_points(list(self.grid), self.seed)


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`run_sweep`."""

    total: int
    skipped: int
    ran: int
    failed: int
    partial_removed: int
    csv: Path
    failures: dict[str, str] = field(default_factory=dict)


def _metrics(results: dict[str, Any]) -> dict[str, float | None]:
    d = results.get("diffusivity") or {}
    ci = d.get("ci95_cm2_s") or [None, None]
    origin = results.get("diffusivity_origin_fit") or {}
    msd = results.get("msd") or {}
    d1 = None
    t_ns = np.asarray(msd.get("t_ns") or [], dtype=float)
    m_nm2 = np.asarray(msd.get("msd_nm2") or [], dtype=float)
    ok = np.isfinite(t_ns) & np.isfinite(m_nm2)
    if ok.sum() >= 2 and t_ns[ok].min() <= 1.0 <= t_ns[ok].max():
        # Shcherbakov-Wu 2024: D_sim = [sigma^2(t) - sigma^2(0)] / 2t at t = 1 ns (per-axis).
        msd_1ns_cm2 = float(np.interp(1.0, t_ns[ok], m_nm2[ok])) * 1e-14
        d1 = msd_1ns_cm2 / (2 * 1e-9)
    return {
        "diffusivity_cm2_s": d.get("value_cm2_s"),
        "diffusivity_ci95_lo_cm2_s": ci[0],
        "diffusivity_ci95_hi_cm2_s": ci[1],
        "diffusivity_origin_cm2_s": origin.get("value_cm2_s"),
        "d_1ns_cm2_s": d1,
        "sigma0_nm": results.get("sigma0_nm"),
        "d_avg_cm2_s": results.get("d_avg_cm2_s"),
        "lifetime_1e_ns": results.get("lifetime_1e_ns"),
        "t_max_ns": results.get("t_max_ns"),
    }


def run_point(root: str, point: SweepPoint, spec: SweepSpec) -> dict[str, Any]:
    """Simulate and analyse one point into ``root/points/<id>/``; return its record.

    Safe to run in any process: it touches only its own temporary directory until the
    final rename, so a kill leaves only a ``.tmp-*`` directory that the next run removes.
    """
    from nctransport.cli import main

    store = SweepStore(root)
    tmp = store.points_dir / f".tmp-{point.point_id}-{uuid.uuid4().hex[:8]}"
    sim_args = ["simulate"]
    sim_args += ["--preset", spec.preset] if spec.preset else [spec.config]
    for k, v in (*spec.sets, *point.params):
        sim_args += ["--set", f"{k}={v}"]
    sim_args += ["--seed", str(point.seed), "--workers", "1", "--out", str(tmp)]
    # Figures and report.html per point cost more than a small simulation; off by default.
    report_flag = [] if spec.point_reports else ["--no-report"]
    sim_args += report_flag
    log = io.StringIO()
    record: dict[str, Any] = {
        "index": point.index,
        "point_id": point.point_id,
        "params": point.param_dict(),
        "seed": point.seed,
    }
    start = time.perf_counter()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        rc = main(sim_args)
        if rc == 0:
            ana_args = ["analyze", str(tmp / "simulation.nc"), "--out", str(tmp / "analysis")]
            ana_args += list(spec.analyze_args) + report_flag
            rc_a = main(ana_args)
        else:
            rc_a = None
    tmp.mkdir(parents=True, exist_ok=True)
    write_text(tmp / "log.txt", log.getvalue())
    if rc != 0:
        record.update(status="failed", error=f"simulate exited {rc}: {_last_line(log)}")
    elif rc_a != 0:
        record.update(status="failed", error=f"analyze exited {rc_a}: {_last_line(log)}")
    else:
        results = json.loads((tmp / "analysis" / "results.json").read_text())
        record.update(status="ok", metrics=_metrics(results))
    record["wall_s"] = round(time.perf_counter() - start, 3)
    write_text(tmp / POINT_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    final = store.point_dir(point.point_id)
    if final.exists():  # an earlier failed attempt
        shutil.rmtree(final)
    os.rename(tmp, final)
    return record


def _last_line(log: io.StringIO) -> str:
    lines = [ln.strip() for ln in log.getvalue().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def csv_columns(spec: SweepSpec) -> tuple[list[str], dict[str, tuple[str, bool]]]:
    """Column names and, per grid key, (column, numeric?) — numeric when every value
    of the key parses to the same SI unit."""
    param_cols: dict[str, tuple[str, bool]] = {}
    for axis in spec.grid:
        parsed = [si_value(v) for v in axis.values]
        units = {u for _, u in parsed}
        if all(v is not None for v, _ in parsed) and len(units) == 1:
            unit = units.pop()
            param_cols[axis.key] = (f"{axis.key}_{unit}" if unit else axis.key, True)
        else:
            param_cols[axis.key] = (axis.key, False)
    columns = ["point_id", *(c for c, _ in param_cols.values()), *METRIC_COLUMNS, "seed"]
    return columns, param_cols


def write_sweep_csv(
    store: SweepStore, spec: SweepSpec, records: list[dict[str, Any]] | None = None
) -> Path:
    """Rewrite ``sweep.csv`` from the finished points (sorted by point index).

    ``records`` (point records already in memory) saves re-reading every point.json.
    """
    columns, param_cols = csv_columns(spec)
    rows = []
    if records is None:
        records = store.records()
    for rec in sorted(records, key=lambda r: r["index"]):
        if rec.get("status") != "ok":
            continue
        row: dict[str, Any] = {"point_id": rec["point_id"], "seed": rec["seed"]}
        for key, (col, numeric) in param_cols.items():
            raw = rec["params"][key]
            row[col] = si_value(raw)[0] if numeric else raw
        row.update(rec["metrics"])
        rows.append(row)
    return store.write_csv(rows, columns)


def run_sweep(
    spec: SweepSpec,
    out_dir: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int, dict[str, Any] | None], None] | None = None,
) -> SweepResult:
    """Run every unfinished point of ``spec`` and write ``sweep.csv``.

    Parameters
    ----------
    workers
        Local processes (1 runs in this process). Ignored when ``scheduler`` is given.
    scheduler
        Address of a running Dask distributed scheduler (``tcp://host:port``).
    on_progress
        Called as ``on_progress(done, total, record)`` after each point (``record`` is
        ``None`` for the initial call that reports points already finished).
    """
    store = SweepStore(out_dir)
    store.init(spec.definition())
    removed = store.clean_partial()
    points = spec.points()
    finished = {p.point_id: store.finished(p.point_id) for p in points}
    records = {pid: rec for pid, rec in finished.items() if rec is not None}
    todo = [p for p in points if finished[p.point_id] is None]
    skipped = len(points) - len(todo)
    done = skipped
    if on_progress:
        on_progress(done, len(points), None)
    failures: dict[str, str] = {}
    last_write = 0.0

    def _finish(record: dict[str, Any]) -> None:
        nonlocal done, last_write
        done += 1
        records[record["point_id"]] = record
        if record["status"] != "ok":
            failures[record["point_id"]] = record.get("error", "failed")
        # Rewriting is O(points); at most every CSV_INTERVAL_S keeps a 1e4-point sweep
        # from spending its time on the table (it is rebuilt from the points on resume).
        if time.monotonic() - last_write >= CSV_INTERVAL_S:
            write_sweep_csv(store, spec, list(records.values()))
            last_write = time.monotonic()
        if on_progress:
            on_progress(done, len(points), record)

    root = str(store.root)
    if scheduler is not None:
        _run_dask(root, todo, spec, scheduler, _finish)
    elif workers <= 1 or len(todo) <= 1:
        for p in todo:
            _finish(run_point(root, p, spec))
    else:
        _run_pool(root, todo, spec, workers, _finish)
    csv_path = write_sweep_csv(store, spec, list(records.values()))
    return SweepResult(len(points), skipped, len(todo), len(failures), removed, csv_path, failures)


#: Each pool worker is one core's worth of work: threaded BLAS or Numba kernels inside
#: several workers would oversubscribe the cores.
_ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


@contextlib.contextmanager
def _child_environment(env: dict[str, str]):
    """Set environment variables that spawned children inherit; restore afterwards."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_pool(root, todo, spec, workers, finish) -> None:
    # spawn: workers start clean (no forked Numba/BLAS thread state).
    with _child_environment(_ONE_THREAD):
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        # Start the workers now, while the environment is set.
        for fut in [pool.submit(os.getpid) for _ in range(workers)]:
            fut.result()
    with pool:
        pending: set[Future] = {pool.submit(run_point, root, p, spec) for p in todo}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    finish(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(root, todo, spec, scheduler, finish) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # the `distributed` extra is optional
        raise ConfigError(
            "--scheduler needs the 'distributed' extra: pip install 'nctransport[distributed]'"
        ) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = [
            client.submit(
                run_point, root, p, spec, key=f"nct-{p.point_id}-{uuid.uuid4().hex}", pure=False
            )
            for p in todo
        ]
        for fut in as_completed(futures, loop=client.loop):
            finish(fut.result())
    finally:
        client.close()
