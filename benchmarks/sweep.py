"""Sweep throughput: points per hour on 1 vs 2 local workers, Dask vs local overhead, and
what importing once per worker saves over a fresh process per point.

Each point is a full simulation (random walk) + analysis, run in-process through the library
as in a real sweep. Prints wall times and ratios measured in this run; run with
`.venv/bin/python benchmarks/sweep.py` (`--points N`, `--quick` for the import row only).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nctransport.sweeps import SweepSpec, parse_grid, run_sweep

# A point of a few seconds: worker start-up (imports, Numba cache) is paid once per
# worker and per sweep, so tiny points would measure start-up instead of throughput.
SETS = (("particles", "200000"), ("duration", "2ns"), ("frame_interval", "100ps"))


def timed_sweep(n_points: int, root: Path, name: str, sets=SETS, **engine) -> float:
    values = ",".join(f"{1e9 * (i + 1):.3g}/s" for i in range(n_points))
    spec = SweepSpec(
        grid=(parse_grid(f"hop_rate={values}"),), seed=1, preset="random-walk", sets=sets
    )
    out = root / name
    start = time.perf_counter()
    result = run_sweep(spec, out, **engine)
    wall = time.perf_counter() - start
    if result.failed:
        raise SystemExit(f"{name}: {result.failed} points failed: {result.failures}")
    return wall


def fresh_process_per_point(n_points: int, root: Path, sets) -> float:
    """Baseline: every point in its own new Python process (imports paid per point), as a
    sweep that shells out to the command line per point would run."""
    start = time.perf_counter()
    for i in range(n_points):
        code = (
            "import nctransport as nct; "
            f"nct.sweep('random-walk', {{'hop_rate': ['{1e9 * (i + 1):.3g}/s']}}, "
            f"out_dir={str(root / f'fresh{i}')!r}, seed=1, sets={dict(sets)!r})"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=12)
    ap.add_argument("--quick", action="store_true", help="only the import-once row, small points")
    args = ap.parse_args()
    n, small = args.points, 2
    root = Path(tempfile.mkdtemp(prefix="nct-sweep-bench-"))
    try:
        timed_sweep(1, root, "warmup", workers=1)  # Numba cache, imports in this process
        quick_sets = (("particles", "5000"), ("duration", "1ns"), ("frame_interval", "100ps"))
        t_once = timed_sweep(n, root, "once", workers=1, sets=quick_sets)
        t_fresh = fresh_process_per_point(n, root, quick_sets)
        print(
            f"{n} small points: one process {t_once:6.2f} s, a fresh process per point "
            f"{t_fresh:6.2f} s: importing once is {t_fresh / t_once:.1f}x faster"
        )
        if args.quick:
            return
        rows = []
        for label, engine in (("1 worker ", {"workers": 1}), ("2 workers", {"workers": 2})):
            t_small = timed_sweep(small * engine["workers"], root, f"s{label}", **engine)
            t_full = timed_sweep(n, root, f"f{label}", **engine)
            # Steady state: the extra points of the long run over the extra time, which
            # cancels the one-off start-up (spawned workers import and load JIT caches).
            steady = (n - small * engine["workers"]) / (t_full - t_small)
            rows.append((label, t_full, 3600 * n / t_full, 3600 * steady))
            print(
                f"{n} points, {label}: {t_full:7.2f} s  ({3600 * n / t_full:6.0f} points/h "
                f"incl. start-up; {3600 * steady:6.0f} points/h steady state)"
            )
        print(
            f"speed-up 2 vs 1 workers: {rows[0][1] / rows[1][1]:.2f}x wall, "
            f"{rows[1][3] / rows[0][3]:.2f}x steady state"
        )
        try:
            from distributed import LocalCluster
        except ImportError:
            print("distributed not installed: Dask overhead not measured")
            return
        with LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            timed_sweep(1, root, "dask-warm", scheduler=cluster.scheduler_address)
            wd = timed_sweep(n, root, "dask", scheduler=cluster.scheduler_address)
        w1 = rows[0][1]
        print(
            f"{n} points, Dask 1 worker: {wd:7.2f} s; overhead per point vs local "
            f"1 worker: {(wd - w1) / n * 1e3:+.0f} ms ({wd / w1:.2f}x)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
