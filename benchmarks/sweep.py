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

from nctransport.sweeps import SweepSpec, parse_grid, run_sweep

# A point of a few seconds: worker start-up (imports, Numba cache) is paid once per
# worker and per sweep, so tiny points would measure start-up instead of throughput.
SETS = (("particles", "200000"), ("duration", "2ns"), ("frame_interval", "100ps"))


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
    ap.add_argument("--points", type=int, default=12)
    args = ap.parse_args()
    n, small = args.points, 2
    root = Path(tempfile.mkdtemp(prefix="nct-sweep-bench-"))
    try:
        timed_sweep(1, root, "warmup", workers=1)  # Numba cache, imports in this process
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
