"""Benchmark: batched per-frame profile fits vs a plain ``curve_fit`` loop over frames.

Run: ``.venv/bin/python benchmarks/analysis.py [--quick]``

Cases (issue 4 targets, measured in one run on this machine):

1. a 2000-frame x 200-pixel line map (1D Gaussian, TAM-like negative signal, Gaussian
   noise), target < 1 s;
2. a 200-frame 512 x 512 image stack (isotropic 2D Gaussian, photon counts), target < 10 s
   on 2 cores.

Each case first runs once on a few frames so that Numba compilation (cached on disk) is
not timed. The baseline is ``scipy.optimize.curve_fit`` called frame by frame with the
same model and the same weights (Poisson: data-weighted pass, then model-weighted refit,
as the batched fitter does); it is timed on an
evenly spaced subset of frames and extrapolated linearly to all frames (stated in the
output). The two must agree on sigma: the largest difference is printed in units of the
reported standard error.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
from scipy.optimize import curve_fit

from nctransport.dataset import make_dataset
from nctransport.microscopy import fit_profiles


def _gauss1d(x, a, x0, s, b):
    return a * np.exp(-((x - x0) ** 2) / (2 * s**2)) + b


def _gauss2d(xy, a, y0, x0, s, b):
    y, x = xy
    return (a * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * s**2)) + b).ravel()


def line_map(n_frames: int, n_pix: int, seed: int = 1):
    """Diffusing negative TAM bleach, D = 1 cm^2/s, Gaussian noise (SNR ~ 50 at t = 0)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-3e-6, 3e-6, n_pix)
    t = np.linspace(0, 5e-9, n_frames)
    sig = np.sqrt((3e-7) ** 2 + 2 * 1e-4 * t)
    clean = -1e-3 * (3e-7 / sig[:, None]) * np.exp(-(x**2) / (2 * sig[:, None] ** 2))
    data = clean + rng.normal(0, 2e-5, clean.shape)
    return make_dataset(data, {"t": t, "x": x}, signal_units="dT/T"), sig


def image_stack(n_frames: int, n_pix: int, seed: int = 2):
    """Diffusing PL spot in photon counts (peak 200 at t = 0 on 5 background counts)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-6e-6, 6e-6, n_pix)
    t = np.linspace(0, 5e-9, n_frames)
    sig = np.sqrt((3e-7) ** 2 + 2 * 1e-4 * t)
    g = np.exp(-(x[None, :] ** 2) / (2 * sig[:, None] ** 2))
    clean = 5.0 + 200.0 * (3e-7 / sig[:, None, None]) ** 2 * g[:, :, None] * g[:, None, :]
    data = rng.poisson(clean).astype(float)
    del clean
    return make_dataset(data, {"t": t, "y": x, "x": x}, signal_units="counts"), sig


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def bench_map(n_frames: int, n_pix: int, n_base: int) -> dict:
    ds, _ = line_map(n_frames, n_pix)
    fit_profiles(ds.isel(t=slice(0, 4)))  # compile / load the Numba cache
    fits, wall, cpu = _timed(lambda: fit_profiles(ds))
    x = ds.x.values
    data = ds.signal.values
    idx = np.linspace(0, n_frames - 1, n_base).astype(int)

    def baseline():
        out = []
        for i in idx:
            y = data[i]
            p0 = [y[np.argmax(np.abs(y))], x[np.argmax(np.abs(y))], 3e-7, 0.0]
            p, cov = curve_fit(_gauss1d, x, y, p0=p0)  # unweighted, errors scaled: same model
            out.append((p[2], np.sqrt(cov[2, 2])))
        return np.array(out)

    base, b_wall, b_cpu = _timed(baseline)
    dev = np.abs(np.abs(base[:, 0]) - fits.sigma[idx]) / fits.sigma_err[idx]
    return {
        "case": f"map {n_frames} x {n_pix} (1D Gaussian)",
        "wall": wall,
        "cpu": cpu,
        "base_wall": b_wall * n_frames / n_base,
        "base_frames": n_base,
        "n_frames": n_frames,
        "ok": int(fits.ok.sum()),
        "max_dev_sigma": float(dev.max()),
        "err_ratio": float(np.median(base[:, 1] / fits.sigma_err[idx])),
    }


def bench_stack(n_frames: int, n_pix: int, n_base: int) -> dict:
    ds, _ = image_stack(n_frames, n_pix)
    fit_profiles(ds.isel(t=slice(0, 2), y=slice(0, 64), x=slice(0, 64)))  # compile
    fits, wall, cpu = _timed(lambda: fit_profiles(ds))
    y, x = ds.y.values, ds.x.values
    yy, xx = np.meshgrid(y, x, indexing="ij")
    idx = np.linspace(0, n_frames - 1, n_base).astype(int)

    def baseline():
        out = []
        for i in idx:
            img = ds.signal.values[i]
            p0 = [img.max() - np.median(img), 0.0, 0.0, 5e-7, float(np.median(img))]
            # Poisson weights as ours: a first pass weighted by the data, then a refit
            # weighted by the first pass's model (variance = expected counts).
            sd = np.sqrt(np.maximum(img, 1.0)).ravel()
            p, _ = curve_fit(_gauss2d, (yy, xx), img.ravel(), p0=p0, sigma=sd)
            sd = np.sqrt(np.maximum(_gauss2d((yy, xx), *p), 1.0))
            p, cov = curve_fit(_gauss2d, (yy, xx), img.ravel(), p0=p, sigma=sd, absolute_sigma=True)
            out.append((p[3], np.sqrt(cov[3, 3])))
        return np.array(out)

    base, b_wall, b_cpu = _timed(baseline)
    dev = np.abs(np.abs(base[:, 0]) - fits.sigma[idx]) / fits.sigma_err[idx]
    return {
        "case": f"stack {n_frames} x {n_pix} x {n_pix} (isotropic 2D Gaussian, counts)",
        "wall": wall,
        "cpu": cpu,
        "base_wall": b_wall * n_frames / n_base,
        "base_frames": n_base,
        "n_frames": n_frames,
        "ok": int(fits.ok.sum()),
        "max_dev_sigma": float(dev.max()),
        "err_ratio": float(np.median(base[:, 1] / fits.sigma_err[idx])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller stack (CI smoke run)")
    args = ap.parse_args()
    print(f"CPU cores: {os.cpu_count()}, Numba threads: {numba.get_num_threads()}")
    try:
        load = os.getloadavg()[0]
        print(f"load average (1 min): {load:.1f}  (other processes share these cores)")
    except OSError:
        pass
    rows = [bench_map(2000, 200, 200)]
    rows.append(bench_stack(20, 256, 3) if args.quick else bench_stack(200, 512, 8))
    for r in rows:
        print()
        print(r["case"])
        print(f"  batched LM (ours):  {r['wall']:8.3f} s wall  ({r['cpu']:.3f} s CPU)")
        print(
            f"  curve_fit loop:     {r['base_wall']:8.3f} s wall  (timed on {r['base_frames']}"
            f" of {r['n_frames']} frames, extrapolated linearly)"
        )
        print(f"  speed-up:           {r['base_wall'] / r['wall']:8.1f} x")
        print(f"  frames ok:          {r['ok']} / {r['n_frames']}")
        print(
            f"  sigma agreement:    max |sigma_ours - sigma_curve_fit| = "
            f"{r['max_dev_sigma']:.3f} standard errors; curve_fit err / ours (median) = "
            f"{r['err_ratio']:.3f}"
        )


if __name__ == "__main__":
    main()
