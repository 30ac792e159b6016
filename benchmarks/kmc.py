"""Speed of the KMC engine on Shcherbakov-Wu 2024's memory model, with ratios measured in this run.

Run: ``python benchmarks/kmc.py [--quick]``. Prints:

1. one Shcherbakov-Wu 2024 pulse (1000 x 1000 lattice, alpha_pulse 0.5, ~350 excitons, until all
   decay) with the compiled engine, on one core;
2. the same pulse with a plain vectorised NumPy fixed-step implementation written here
   (every exciton every 1 ps step; simultaneous moves, conflicts resolved first-come);
   the ratio of the two;
3. events per second with one exciton and with a 350-exciton pulse, against the published
   C++ lattice KMC figures quoted in issue 6 (~0.9 M events/s/core with one exciton,
   ~0.14 M/s with a 350-exciton pulse);
4. 1000 pulses (one Shcherbakov-Wu 2024 data point) on 2 worker processes, and pulses per second.
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


def _time_pulses(over: dict[str, str], n: int, seed: int = 1) -> tuple[float, int, int, float]:
    """Median s per pulse, mean excitons, total events, total s (one core, in process)."""
    cfg = load_preset("memory", {"pulses": str(n), **over})
    model, lattice = _prepare(cfg, seed)
    run_pulses(model, lattice, seed, 0, 1)  # compile / load the cache
    times, events, excitons = [], 0, 0
    cpu0 = time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        acc = run_pulses(model, lattice, seed, i, i + 1)
        times.append(time.perf_counter() - t0)
        events += int(acc.stats[:5].sum())
        excitons += int(acc.mom[0, 0, 0])
    _CPU[tuple(sorted(over.items()))] = (time.process_time() - cpu0) / n
    return statistics.median(times), excitons // n, events, sum(times)


_CPU: dict = {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 100 pulses")
    args = ap.parse_args()
    reps = 3 if args.quick else 10

    t_pulse, n_ex, ev, t_sum = _time_pulses({"alpha_pulse": "0.5"}, reps)
    ev_rate_pulse = ev / t_sum
    cpu_pulse = _CPU[(("alpha_pulse", "0.5"),)]
    print(
        f"Shcherbakov-Wu 2024 pulse (alpha 0.5, {n_ex} excitons, until all decay): "
        f"{t_pulse * 1e3:.1f} ms median wall, {cpu_pulse * 1e3:.1f} ms CPU, one core "
        f"(target < 50 ms)"
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
        f"{cpu_np * 1e3:.0f} ms CPU; engine is {t_np / t_pulse:.1f}x faster by wall time, "
        f"{cpu_np / cpu_pulse:.1f}x by CPU time (target >= 40x)"
    )

    print(
        f"events/s, 350-exciton pulse: {ev_rate_pulse / 1e6:.2f} M/s "
        f"({ev_rate_pulse / CPP_PULSE:.1f}x the published C++ 0.14 M/s; target >= 10x)"
    )
    # one exciton: no per-pulse overhead, a long life (1 us = 1e6 steps of 1 ps, no decay)
    _, _, ev1, t1 = _time_pulses(
        {
            "excitation.kind": "particles",
            "excitation.particles": "1",
            "decay": "0/step",
            "until_decay": "false",
            "duration": "1us",
            "frame_interval": "10ns",
        },
        3,
    )
    rate1 = ev1 / t1
    print(
        f"events/s, one exciton (Shcherbakov-Wu 2024 model, 1 ps steps): {rate1 / 1e6:.2f} M/s "
        f"({rate1 / CPP_ONE_EXCITON:.1f}x the published C++ 0.9 M/s; target >= 10x)"
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
    res = simulate(cfg, seed=2, workers=2)
    wall = time.perf_counter() - t0
    print(
        f"{n_pulses} pulses (2 chains of {n_pulses // 2}) on 2 workers: {wall:.1f} s "
        f"(target < 60 s for 1000), {n_pulses / wall:.1f} pulses/s, "
        f"{res.total_events / wall / 1e6:.2f} M events/s"
    )
    print(f"(single-core estimate for the same pulses: {t_sum / reps * n_pulses:.1f} s)")


if __name__ == "__main__":
    main()
