"""Running sweep points in-process: simulate, then analyse, through the library.

Each point calls the simulation and analysis functions (via :mod:`nctransport.sweeps.point`)
with settings objects, into a temporary directory that is renamed into place only when
complete. A point that fails records the typed error's message. Nothing here imports the CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError, NctransportError
from nctransport.io.atomic import write_text
from nctransport.sweeps.grid import GridAxis, SweepPoint, si_value, sweep_points
from nctransport.sweeps.store import POINT_FILE, SweepStore

#: Shortest interval between two rewrites of sweep.csv while a sweep runs (s).
CSV_INTERVAL_S = 2.0

#: Numbers of each point in ``sweep.csv`` (per-axis D in cm^2/s).
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
    "d_1ns_map_cm2_s",
    "d_1ns_analysis_cm2_s",
    "time_between_excitations_s",
    "warmup_pulses",
)

#: What each D(1 ns) column is (Shcherbakov-Wu 2024's D_sim = [sigma^2(t) - sigma^2(0)] / 2t).
D_1NS_COLUMNS = {
    "d_1ns": ("d_1ns_cm2_s", "exact second moment of all excitons' positions (D_sim)"),
    "d_1ns_map": ("d_1ns_map_cm2_s", "second moments of the simulated map"),
    "d_1ns_analysis": ("d_1ns_analysis_cm2_s", "MSD of the analysis' profile widths"),
}


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: a preset or config, fixed values, the grid, the seed and the analysis.

    ``analysis`` holds the analysis settings as ``(name, value)`` pairs (``None``: simulate
    only); ``warmup`` is ``"auto"`` (memory-model chains: ceil(5 tau_relax / period) pulses)
    or a number of pulses discarded at the start of every chain.
    """

    grid: tuple[GridAxis, ...]
    seed: int
    preset: str | None = None
    config: str | None = None
    sets: tuple[tuple[str, str], ...] = ()
    analysis: tuple[tuple[str, Any], ...] | None = ()
    point_reports: bool = False
    warmup: str | int = "auto"

    def __post_init__(self) -> None:
        if (self.preset is None) == (self.config is None):
            raise ConfigError("give exactly one of a CONFIG file or --preset NAME")
        if not self.grid:
            raise ConfigError("a sweep needs at least one --grid key=v1,v2,...")
        fixed = {k for k, _ in self.sets}
        clash = fixed & {a.key for a in self.grid}
        if clash:
            raise ConfigError(f"{sorted(clash)} given both as --set and as --grid")
        if self.warmup != "auto" and (
            isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or self.warmup < 0
        ):
            raise ConfigError(
                f"warmup must be 'auto' or a number of pulses >= 0, got {self.warmup!r}"
            )

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
            "analysis": None if self.analysis is None else dict(self.analysis),
            "point_reports": self.point_reports,
            "warmup": self.warmup,
        }

    def points(self) -> list[SweepPoint]:
        return sweep_points(list(self.grid), self.seed)

    def validate(self) -> None:
        """Refuse, before any point runs, a config that cannot load, unknown ``--set`` or
        ``--grid`` keys (with the list of known keys) and bad analysis settings.

        Only key names are checked here: a grid *value* the config rejects fails its own
        point, with the config's message.
        """
        import math

        from nctransport.errors import ResourceError
        from nctransport.sweeps import point as pt

        n = math.prod(len(a.values) for a in self.grid)
        if n > MAX_SWEEP_POINTS:  # 1e6 points held ~1 GB of point records before the first ran
            sizes = " x ".join(f"{len(a.values)} {a.key}" for a in self.grid)
            raise ResourceError(
                f"--grid gives {n} points ({sizes}), above the cap of {MAX_SWEEP_POINTS}; "
                "split the sweep or use fewer values"
            )
        base = dict(self.sets)

        def check(overrides: dict[str, str], option: str, key: str | None) -> None:
            try:
                pt.resolve_config(self.preset, self.config, overrides)
            except ConfigError as exc:
                if not pt.is_unknown_key_error(exc):
                    if key is None:
                        raise  # the fixed values are wrong for every point
                    return  # a bad grid value fails its own point
                name = key or exc.message.partition(":")[0]
                known = ", ".join(pt.known_keys(self.preset, self.config)) or "(none)"
                raise ConfigError(
                    f"{option} {name}: unknown key; known keys: {known} "
                    "(or a dotted path such as lattice.spacing)"
                ) from None

        check(base, "--set", None)
        for axis in self.grid:
            check({**base, axis.key: axis.values[0]}, "--grid", axis.key)
        if self.analysis is not None:
            pt.analysis_settings(dict(self.analysis))


#: Most points one sweep directory holds (each a simulation, a folder and a record).
MAX_SWEEP_POINTS = 100_000


@dataclass(frozen=True)
class RunSummary:
    """Counts and records of one :func:`run_sweep` call."""

    total: int
    skipped: int
    ran: int
    failed: int
    partial_removed: int
    csv: Path
    failures: dict[str, str] = field(default_factory=dict)
    records: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()


def _point_warmup(spec: SweepSpec, cfg: Any) -> int:
    from nctransport.sweeps import point as pt

    return pt.default_warmup(cfg) if spec.warmup == "auto" else int(spec.warmup)


def point_metrics(spec: SweepSpec, cfg: Any, sim: Any, analysis: Any | None) -> dict[str, Any]:
    """The point's row of ``sweep.csv``, from the result objects of this run."""
    from nctransport.sweeps import dsim
    from nctransport.sweeps import point as pt

    cm2 = 1e4
    m: dict[str, Any] = dict.fromkeys(METRIC_COLUMNS)
    exact = dsim.exact_msd(sim.dataset)
    if exact is not None:
        d = dsim.d_at(*exact)
        m["d_1ns_cm2_s"] = None if d is None else d * cm2
    d = dsim.d_at(*dsim.map_moment_msd(sim.dataset))
    m["d_1ns_map_cm2_s"] = None if d is None else d * cm2
    m["time_between_excitations_s"] = pt.excitation_timing(cfg)["time_between_excitations_s"]
    if analysis is not None:
        m.update(pt.analysis_metrics(analysis))
        d = dsim.d_at(*pt.analysis_msd(analysis))
        m["d_1ns_analysis_cm2_s"] = None if d is None else d * cm2
    return m


def run_point(root: str, point: SweepPoint, spec: SweepSpec) -> dict[str, Any]:
    """Simulate and analyse one point into ``root/points/<id>/``; return its record.

    Safe to run in any process: it touches only its own temporary directory until the
    final rename, so a kill leaves only a ``.tmp-*`` directory that the next run removes.
    """
    from nctransport.sweeps import point as pt

    store = SweepStore(root)
    tmp = store.points_dir / f".tmp-{point.point_id}-{uuid.uuid4().hex[:8]}"
    record: dict[str, Any] = {
        "index": point.index,
        "point_id": point.point_id,
        "params": point.param_dict(),
        "seed": point.seed,
    }
    start = time.perf_counter()
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        cfg = pt.resolve_config(spec.preset, spec.config, {**dict(spec.sets), **dict(point.params)})
        warmup = _point_warmup(spec, cfg)
        sim = pt.simulate(cfg, point.seed, warmup)
        pt.write_simulation(sim, tmp)
        analysis = None
        if spec.analysis is not None:
            analysis = pt.analyze(sim.dataset, pt.analysis_settings(dict(spec.analysis)))
            pt.write_analysis(analysis, tmp / "analysis", spec.point_reports)
        metrics = point_metrics(spec, cfg, sim, analysis)
        metrics["warmup_pulses"] = warmup
        record.update(status="ok", metrics=metrics)
    except NctransportError as exc:
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    except (ArithmeticError, ValueError, LookupError, TypeError) as exc:  # a bug: say so
        record.update(status="failed", error=f"unexpected {type(exc).__name__}: {exc}")
    record["wall_s"] = round(time.perf_counter() - start, 3)
    record["worker_pid"] = os.getpid()  # which process ran it (pool workers are reused)
    write_text(tmp / POINT_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    final = store.point_dir(point.point_id)
    if final.exists():  # an earlier failed (or corrupt) attempt
        shutil.rmtree(final)
    os.rename(tmp, final)
    return record


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


def sweep_table(
    spec: SweepSpec, records: list[dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows (finished points, by index) of ``sweep.csv``; parameters in SI."""
    columns, param_cols = csv_columns(spec)
    rows = []
    for rec in sorted(records, key=lambda r: r["index"]):
        if rec.get("status") != "ok":
            continue
        row: dict[str, Any] = {"point_id": rec["point_id"], "seed": rec["seed"]}
        for key, (col, numeric) in param_cols.items():
            raw = rec["params"][key]
            row[col] = si_value(raw)[0] if numeric else raw
        row.update({k: rec["metrics"].get(k) for k in METRIC_COLUMNS})
        rows.append(row)
    return columns, rows


def write_sweep_csv(
    store: SweepStore, spec: SweepSpec, records: list[dict[str, Any]] | None = None
) -> Path:
    """Rewrite ``sweep.csv`` from the finished points (sorted by point index).

    ``records`` (point records already in memory) saves re-reading every point.json.
    """
    columns, rows = sweep_table(spec, store.records() if records is None else records)
    return store.write_csv(rows, columns)


def run_sweep(
    spec: SweepSpec,
    out_dir: str | Path,
    *,
    workers: int | None = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int, dict[str, Any] | None], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run every unfinished point of ``spec`` and write ``sweep.csv``.

    Parameters
    ----------
    workers
        Local processes (1 runs in this process; ``None``: one per core, at most one per
        point, without a warning). Ignored when ``scheduler`` is given.
    scheduler
        Address of a running Dask distributed scheduler (``tcp://host:port``).
    on_progress
        Called as ``on_progress(done, total, record)`` after each point (``record`` is
        ``None`` for the initial call that reports points already finished).
    on_warning
        Called with each warning as soon as it arises (they are also in the summary).
    """
    explicit = workers is not None
    workers = int(workers) if explicit else (os.cpu_count() or 1)
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    from nctransport.io.output import prepare_output_dir

    if scheduler is not None:
        _check_scheduler_address(scheduler)
    spec.validate()  # before the directory is touched or any point runs
    inputs = [spec.config] if spec.config is not None else []
    store = SweepStore(prepare_output_dir(out_dir, inputs=inputs))
    warnings: list[str] = []

    def warn(msg: str) -> None:
        warnings.append(msg)
        if on_warning is not None:
            on_warning(msg)

    with store.lock():
        store.init(spec.definition())
        removed = store.clean_partial()
        points = spec.points()
        finished = {p.point_id: store.finished(p.point_id) for p in points}
        for path, why in store.corrupt:
            warn(f"{path}: corrupt point file ({why}); the point is run again")
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
        else:
            if explicit and workers > 1 and 0 < len(todo) < workers:
                warn(
                    f"--workers {workers} exceeds the {len(todo)} point(s) to run; "
                    f"using {len(todo)} worker(s)"
                )
            n = min(workers, len(todo))
            if n <= 1:
                for p in todo:
                    _finish(run_point(root, p, spec))
            else:
                _run_pool(root, todo, spec, n, _finish)
        csv_path = write_sweep_csv(store, spec, list(records.values()))
    ordered = tuple(sorted(records.values(), key=lambda r: r["index"]))
    return RunSummary(
        len(points),
        skipped,
        len(todo),
        len(failures),
        removed,
        csv_path,
        failures,
        ordered,
        tuple(warnings),
    )


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


def _init_worker() -> None:
    """Pool initializer: import the simulation and analysis stacks once per process."""
    from nctransport.sweeps import point

    point.preload()


def _run_pool(root, todo, spec, workers, finish) -> None:
    # spawn: workers start clean (no forked Numba/BLAS thread state). The pool lives for the
    # whole sweep and each worker imports once (initializer), then takes point after point.
    with _child_environment(_ONE_THREAD):
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker
        )
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


#: ``tcp://host:port`` (or another Dask protocol): checked before anything runs, since a
#: malformed address makes ``distributed.Client`` raise ValueError and then hang 20 s in
#: its destructor.
_SCHEDULER_RE = re.compile(
    r"^((tcp|tls|ucx|ws|wss)://(\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):\d{1,5}|inproc://\S+)$"
)


def _check_scheduler_address(scheduler: Any) -> None:
    if not isinstance(scheduler, str) or not _SCHEDULER_RE.match(scheduler.strip()):
        raise ConfigError(
            f"--scheduler must be an address such as tcp://HOST:PORT, got {scheduler!r}"
        )


def _run_dask(root, todo, spec, scheduler, finish) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # the `distributed` extra is optional
        raise ConfigError(
            "--scheduler needs the 'distributed' extra: pip install 'nctransport[distributed]'"
        ) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, ValueError) as exc:
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
