"""Benchmark: ``nctransport analyze`` as a user runs it vs the naive script a user would write.

Run: ``.venv/bin/python benchmarks/analysis.py [--quick] [--repeats N] [--no-stack]``

Issue 17 targets, CPU time (user + system) of whole processes, measured in one run:

1. a 2000-frame x 200-pixel line map in CSV (1D Gaussian, TAM-like negative signal):
   ``nctransport analyze map.csv --out DIR`` (with its report) <= 1.0x the naive script
   (goal 0.3x);
2. a 200-frame 512 x 512 photon-count stack in NetCDF: <= 0.1x the naive script.

The naive script (written out below, run as its own process on the same file) is what a
user without nctransport writes: read the file, ``scipy.optimize.curve_fit`` a Gaussian to
every frame in a loop, then a linear fit of sigma^2 vs t (``numpy.polyfit``); it writes no
report and no figure. For the stack its per-frame loop is timed on an evenly spaced subset
of frames and scaled to all frames (the script measures its own start-up + reading and its
loop separately; the printed total is start-up + loop x n_frames / n_timed).

Each process's CPU time and peak RSS come from ``os.wait4``; runs are interleaved and the
median is printed. The start-up share (``nctransport --version``, i.e. Python and the CLI's
imports, which another piece of work is cutting) is printed next to the total.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

NAIVE_MAP = textwrap.dedent(
    """
    import sys
    import numpy as np
    from scipy.optimize import curve_fit

    def gauss(x, a, x0, s, b):
        return a * np.exp(-((x - x0) ** 2) / (2 * s**2)) + b

    path = sys.argv[1]
    with open(path) as f:
        header = [line for line in f if not line.startswith("#")][0]
    x = np.array(header.strip().split(",")[1:], dtype=float)
    raw = np.loadtxt(path, delimiter=",", comments="#", skiprows=3)
    t, data = raw[:, 0], raw[:, 1:]
    sig = []
    for y in data:
        i = np.argmax(np.abs(y))
        p, cov = curve_fit(gauss, x, y, p0=[y[i], x[i], 3e-7, 0.0])
        sig.append(abs(p[2]))
    sig = np.array(sig)
    (slope, icpt), cov = np.polyfit(t, sig**2, 1, cov=True)
    print("D =", slope / 2 * 1e4, "+/-", np.sqrt(cov[0, 0]) / 2 * 1e4, "cm2/s")
    """
)

NAIVE_STACK = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import xarray as xr
    from scipy.optimize import curve_fit

    def gauss2d(yx, a, y0, x0, s, b):
        y, x = yx
        return (a * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * s**2)) + b).ravel()

    ds = xr.open_dataset(sys.argv[1], engine="h5netcdf").load()
    n_timed = int(sys.argv[2])
    t, y, x = ds.t.values, ds.y.values, ds.x.values
    yy, xx = np.meshgrid(y, x, indexing="ij")
    idx = np.linspace(0, t.size - 1, n_timed).round().astype(int)
    c0 = time.process_time()
    sig = []
    for i in idx:
        img = ds.signal.values[i]
        p0 = [img.max() - np.median(img), 0.0, 0.0, 5e-7, float(np.median(img))]
        p, cov = curve_fit(gauss2d, (yy, xx), img.ravel(), p0=p0)
        sig.append(abs(p[3]))
    loop = time.process_time() - c0
    slope = np.polyfit(t[idx], np.array(sig) ** 2, 1)[0]
    print(f"LOOP_CPU {loop!r} {n_timed} {t.size}")
    print("D =", slope / 2 * 1e4, "cm2/s")
    """
)


def line_map(n_frames: int, n_pix: int, seed: int = 1):
    """Diffusing negative TAM bleach, D = 1 cm^2/s, Gaussian noise (SNR ~ 50 at t = 0)."""
    from nctransport.dataset import make_dataset

    rng = np.random.default_rng(seed)
    x = np.linspace(-3e-6, 3e-6, n_pix)
    t = np.linspace(0, 5e-9, n_frames)
    sig = np.sqrt((3e-7) ** 2 + 2 * 1e-4 * t)
    clean = -1e-3 * (3e-7 / sig[:, None]) * np.exp(-(x**2) / (2 * sig[:, None] ** 2))
    data = clean + rng.normal(0, 2e-5, clean.shape)
    return make_dataset(data, {"t": t, "x": x}, signal_units="dT/T")


def image_stack(n_frames: int, n_pix: int, seed: int = 2):
    """Diffusing PL spot in photon counts (peak 200 at t = 0 on 5 background counts)."""
    from nctransport.dataset import make_dataset

    rng = np.random.default_rng(seed)
    x = np.linspace(-6e-6, 6e-6, n_pix)
    t = np.linspace(0, 5e-9, n_frames)
    sig = np.sqrt((3e-7) ** 2 + 2 * 1e-4 * t)
    data = np.empty((n_frames, n_pix, n_pix), dtype=np.float32)
    for i, s in enumerate(sig):  # frame by frame: the generator stays small
        g = np.exp(-(x**2) / (2 * s**2))
        data[i] = rng.poisson(5.0 + 200.0 * (3e-7 / s) ** 2 * g[:, None] * g[None, :])
    return make_dataset(data, {"t": t, "y": x, "x": x}, signal_units="counts")


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """CPU seconds (user + system), peak RSS [MB] and stdout of one child process
    (reaped with ``os.wait4`` to read its own resource usage)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller stack (60 x 256 x 256)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved runs of the map case")
    ap.add_argument("--no-stack", action="store_true", help="map case only")
    ap.add_argument("--stack-timed", type=int, default=6, help="stack frames the naive loop fits")
    args = ap.parse_args()
    from nctransport.io import save

    bindir = Path(sys.executable).parent
    cli = [str(bindir / "nctransport")] if (bindir / "nctransport").exists() else [
        sys.executable, "-m", "nctransport"
    ]  # fmt: skip
    print(f"CPU cores: {os.cpu_count()}; load average (1 min): {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "naive_map.py").write_text(NAIVE_MAP)
        (d / "naive_stack.py").write_text(NAIVE_STACK)
        save(line_map(2000, 200), d / "map.csv")
        start, ours, naive = [], [], []
        for k in range(args.repeats):
            start.append(run_child([*cli, "--version"])[0])
            ours.append(run_child([*cli, "analyze", str(d / "map.csv"), "--out",
                                   str(d / f"out{k}")])[0])  # fmt: skip
            naive.append(
                run_child([sys.executable, str(d / "naive_map.py"), str(d / "map.csv")])[0]
            )
        s, o, n = (statistics.median(v) for v in (start, ours, naive))
        print("\nmap 2000 x 200 (CSV), `nctransport analyze map.csv --out DIR` with report")
        print(f"  ours:          {o:7.2f} s CPU  (of which CLI start-up `--version`: {s:.2f} s,"
              f" {100 * s / o:.0f}%)")  # fmt: skip
        print(f"  naive script:  {n:7.2f} s CPU  (curve_fit loop + polyfit, no report)")
        print(f"  ratio ours / naive: {o / n:.2f}x   (target <= 1.0x, goal 0.3x);"
              f" beyond start-up: {(o - s) / n:.2f}x")  # fmt: skip
        if args.no_stack:
            return
        nf, npx = (60, 256) if args.quick else (200, 512)
        ds = image_stack(nf, npx)
        save(ds, d / "stack.nc")
        del ds
        f32 = nf * npx * npx * 4 / 2**20
        runs = [run_child([*cli, "analyze", str(d / "stack.nc"), "--out",
                           str(d / f"stack-out{k}")]) for k in range(3)]  # fmt: skip
        o_cpu = statistics.median(r[0] for r in runs)
        o_rss = max(r[1] for r in runs)
        n_cpu, n_rss, out = run_child(
            [sys.executable, str(d / "naive_stack.py"), str(d / "stack.nc"),
             str(args.stack_timed)]
        )  # fmt: skip
        loop, n_timed, n_all = out.split("LOOP_CPU ")[1].split()[:3]
        loop, n_timed, n_all = float(loop), int(n_timed), int(n_all)
        n_total = n_cpu - loop + loop * n_all / n_timed
        print(f"\nstack {nf} x {npx} x {npx} (NetCDF, counts), with report")
        print(f"  ours:          {o_cpu:7.2f} s CPU (median of 3 runs), peak RSS {o_rss:.0f} MB "
              f"({o_rss / f32:.2f}x the float32 data, {f32:.0f} MB; target <= 2.5x)")  # fmt: skip
        print(f"  naive script:  {n_total:7.2f} s CPU (loop timed on {n_timed} of {n_all} frames:"
              f" {loop:.2f} s, scaled; start-up and reading {n_cpu - loop:.2f} s)")  # fmt: skip
        print(f"  ratio ours / naive: {o_cpu / n_total:.3f}x   (target <= 0.1x)")


if __name__ == "__main__":
    main()
