"""Speed of the KMC engine on Shcherbakov-Wu 2024's memory model, with ratios measured in this run.

Run: ``python benchmarks/kmc.py [--quick]``. Prints:

1. one Shcherbakov-Wu 2024 pulse (1000 x 1000 lattice, alpha_pulse 0.5, ~350 excitons, until all
   decay) with the compiled engine inside a chain, on one core;
2. the same pulse with a plain vectorised NumPy fixed-step implementation written here
   (every exciton every 1 ps step; simultaneous moves, conflicts resolved first-come);
   the ratio of the two;
3. events per second with one exciton and with a 350-exciton pulse, against the published
   C++ lattice KMC figures quoted in issue 6 (~0.9 M events/s/core with one exciton,
   ~0.14 M/s with a 350-exciton pulse);
4. 1000 pulses (one Shcherbakov-Wu 2024 data point) on 2 worker processes, and pulses per second.

Per-pulse times are measured inside a chain (one lattice, one call for many pulses), as a
memory-model run uses them; the machine's load is not controlled, so compare the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nctransport.kmc import load_preset, simulate
from nctransport.kmc.run import _prepare, run_pulses

CPP_ONE_EXCITON = 0.9e6  # events/s/core, published C++ lattice KMC (issue 6)
CPP_PULSE = 0.14e6  # events/s with a 350-exciton pulse (issue 6)


def numpy_pulse(
    rng: np.random.Generator,
    size: int = 1000,
    alpha: float = 0.5,
    sigma: float = 10.62,
    p_fast: float = 0.7,
    p_slow: float = 6e-3,
    p_decay: float = 4e-4,
) -> tuple[int, int]:
    """Shcherbakov-Wu 2024's fixed-step model, vectorised over excitons, one 1 ps step at a time.

    Returns (steps, hops). All site states start slow (first pulse of a train).
    """
    fast = np.zeros(size * size, dtype=bool)
    occ = np.zeros(size * size, dtype=bool)
    c = size // 2
    half = int(np.ceil(8 * sigma))
    g = np.arange(c - half, c + half + 1)
    gx, gy = np.meshgrid(g, g)
    p = alpha * np.exp(-((gx - c) ** 2 + (gy - c) ** 2) / (2 * sigma**2))
    hit = rng.random(p.shape) < p
    x, y = gx[hit].astype(np.int64), gy[hit].astype(np.int64)
    lin = x + size * y
    occ[lin] = True
    fast[lin] = True
    dx = np.array([1, -1, 0, 0])
    dy = np.array([0, 0, 1, -1])
    steps = hops = 0
    while x.size:
        steps += 1
        d = rng.integers(0, 4, x.size)
        tx, ty = x + dx[d], y + dy[d]
        inside = (tx >= 0) & (tx < size) & (ty >= 0) & (ty < size)
        tl = np.where(inside, tx + size * ty, 0)
        pk = np.where(fast[tl], p_fast, p_slow)
        move = inside & (rng.random(x.size) < pk) & ~occ[tl]
        idx = np.flatnonzero(move)
        if idx.size:
            _, first = np.unique(tl[idx], return_index=True)
            idx = idx[first]
            occ[x[idx] + size * y[idx]] = False
            x[idx], y[idx] = tx[idx], ty[idx]
            occ[tl[idx]] = True
            fast[tl[idx]] = True
            hops += idx.size
        keep = rng.random(x.size) >= p_decay
        occ[(x + size * y)[~keep]] = False
        x, y = x[keep], y[keep]
    return steps, hops


def _time_chain(over: dict[str, str], n: int, seed: int = 1) -> tuple[float, float, int, int]:
    """Wall and CPU s per pulse inside one chain (after a warm-up chain that loads the
    kernels and brings the fast sites to their steady state), mean excitons, events."""
    cfg = load_preset("memory", {"pulses": str(n), "warmup_pulses": "0", **over})
    model, lattice = _prepare(cfg, seed)
    run_pulses(model, lattice, seed, 0, 2)  # compile / load the cache
    t0, c0 = time.perf_counter(), time.process_time()
    acc = run_pulses(model, lattice, seed, 0, n)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall / n, cpu / n, int(acc.mom[0, 0, 0]) // n, int(acc.stats[:5].sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 100 pulses")
    args = ap.parse_args()
    n_chain = 20 if args.quick else 100

    t_pulse, cpu_pulse, n_ex, ev = _time_chain({"alpha_pulse": "0.5"}, n_chain)
    print(
        f"Shcherbakov-Wu 2024 pulse inside a chain (alpha 0.5, {n_ex} excitons, until all "
        f"decay, {n_chain} pulses): {t_pulse * 1e3:.1f} ms wall, {cpu_pulse * 1e3:.1f} ms CPU "
        f"per pulse, one core (target <= 15 ms; limit ~6 ms)"
    )

    rng = np.random.default_rng(0)
    numpy_times = []
    c0 = time.process_time()
    for _ in range(2 if args.quick else 3):
        t0 = time.perf_counter()
        numpy_pulse(rng)
        numpy_times.append(time.perf_counter() - t0)
    t_np = statistics.median(numpy_times)
    cpu_np = (time.process_time() - c0) / len(numpy_times)
    print(
        f"NumPy vectorised fixed-step baseline: {t_np * 1e3:.0f} ms per pulse wall, "
        f"{cpu_np * 1e3:.0f} ms CPU; engine is {t_np / t_pulse:.0f}x faster by wall time, "
        f"{cpu_np / cpu_pulse:.0f}x by CPU time (target >= 140x)"
    )
    ev_rate = ev / (t_pulse * n_chain)
    print(
        f"events/s, 350-exciton pulses: {ev_rate / 1e6:.2f} M/s "
        f"({ev_rate / CPP_PULSE:.1f}x the published C++ 0.14 M/s)"
    )
    cfg = load_preset(
        "random-walk",
        {"particles": "1", "lifetime": "1ms", "duration": "20us", "frame_interval": "1us"},
    )
    model, lattice = _prepare(cfg, 1)
    run_pulses(model, lattice, 1, 0, 1)
    t0 = time.perf_counter()
    acc = run_pulses(model, lattice, 1, 0, 1)
    tw = time.perf_counter() - t0
    rate_c = acc.stats[:5].sum() / tw
    print(
        f"events/s, one exciton (continuous time, rejection-free): {rate_c / 1e6:.2f} M/s "
        f"({rate_c / CPP_ONE_EXCITON:.1f}x the C++ one-exciton figure)"
    )

    n_pulses = 100 if args.quick else 1000
    cfg = load_preset("memory", {"pulses": str(n_pulses), "chains": "2"})
    t0 = time.perf_counter()
    res = simulate(cfg, seed=2, workers=2)  # includes starting the pool and the warm-up
    wall = time.perf_counter() - t0
    print(
        f"{n_pulses} pulses (2 chains of {n_pulses // 2}, each after {res.warmup_pulses} "
        f"warm-up pulses) on 2 workers: {wall:.1f} s wall including the pool start "
        f"(target < 30 s for 1000), {n_pulses / wall:.1f} pulses/s"
    )
    t0 = time.perf_counter()
    simulate(cfg, seed=3, workers=2)
    print(f"  again, pool already started: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
