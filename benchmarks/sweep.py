"""Sweep throughput: points per hour on 1 vs 2 local workers, and Dask vs local overhead.

Each point is a full `simulate` (tiny random walk) + `analyze`, as in a real sweep. Prints
wall times and ratios measured in this run; run with `.venv/bin/python benchmarks/sweep.py`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from nctransport.sweep import SweepSpec, parse_grid, run_sweep

SETS = (("particles", "1500"), ("duration", "0.6ns"), ("frame_interval", "100ps"))


def timed_sweep(n_points: int, root: Path, name: str, **engine) -> float:
    values = ",".join(f"{1e9 * (i + 1):.3g}/s" for i in range(n_points))
    spec = SweepSpec(
        grid=(parse_grid(f"hop_rate={values}"),), seed=1, preset="random-walk", sets=SETS
    )
    out = root / name
    start = time.perf_counter()
    result = run_sweep(spec, out, **engine)
    wall = time.perf_counter() - start
    if result.failed:
        raise SystemExit(f"{name}: {result.failed} points failed: {result.failures}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=8)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nct-sweep-bench-"))
    try:
        timed_sweep(1, root, "warmup", workers=1)  # Numba cache, imports
        w1 = timed_sweep(args.points, root, "w1", workers=1)
        w2 = timed_sweep(args.points, root, "w2", workers=2)
        for label, wall in (("1 worker ", w1), ("2 workers", w2)):
            rate = 3600 * args.points / wall
            print(f"{args.points} points, {label}: {wall:7.2f} s  ({rate:8.0f} points/h)")
        print(f"speed-up 2 vs 1 workers: {w1 / w2:.2f}x")
        try:
            from distributed import LocalCluster
        except ImportError:
            print("distributed not installed: Dask overhead not measured")
            return
        with LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            timed_sweep(1, root, "dask-warm", scheduler=cluster.scheduler_address)
            wd = timed_sweep(args.points, root, "dask", scheduler=cluster.scheduler_address)
        print(
            f"{args.points} points, Dask 1 worker: {wd:7.2f} s; overhead per point vs local "
            f"1 worker: {(wd - w1) / args.points * 1e3:+.0f} ms ({wd / w1:.2f}x)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
