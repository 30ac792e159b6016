"""Speed of the KMC engine on Shcherbakov-Wu 2024's memory model, with ratios measured in this run.

Run: ``python benchmarks/kmc.py [--quick]``. Prints:

1. one Shcherbakov-Wu 2024 pulse (1000 x 1000 lattice, alpha_pulse 0.5, ~350 excitons, until all
   decay) with the compiled engine inside a chain (after the preset's 40 warm-up pulses), on
   one core, timed through the public API (``simulate(progress=callback)`` is called after
   every pulse);
2. the same pulse with a plain vectorised NumPy fixed-step implementation written here
   (every exciton every 1 ps step; simultaneous moves, conflicts resolved first-come), also
   inside a chain (the fast sites relax between pulses, vectorised over the lattice);
   the two are interleaved (an engine chain, then NumPy pulses, in every round) and the
   ratio of the medians is printed;
3. events per second with one exciton and with a 350-exciton pulse, against the published
   C++ lattice KMC figures quoted in issue 6 (~0.9 M events/s/core with one exciton,
   ~0.14 M/s with a 350-exciton pulse);
4. ``nctransport simulate`` of the memory preset with 1000 pulses on ``--workers 2``, end to
   end (a fresh process: imports, worker start, warm-up, outputs and report), with the
   preset's one chain (the pulses of a chain run in order, so one worker does the work and
   the command warns) and with two chains.

The machine's load is not controlled: compare the ratios, measured in the same run. The
NumPy chain starts from all-slow sites, so its first pulses hop less than the engine's
steady-state ones (its cost is per step, not per hop, so this hardly matters).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from nctransport.kmc import simulate

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
    fast: np.ndarray | None = None,
) -> tuple[int, int]:
    """Shcherbakov-Wu 2024's fixed-step model, vectorised over excitons, one 1 ps step at a time.

    Returns (steps, hops). ``fast`` (bool per site) is the memory carried between pulses,
    updated in place; without it all sites start slow (first pulse of a train).
    """
    if fast is None:
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


def numpy_relax(fast: np.ndarray, rng: np.random.Generator, p_keep: float) -> None:
    """Shcherbakov-Wu 2024's relaxation between pulses, vectorised over the whole lattice:
    each fast site stays fast with probability exp(-period / tau_relax)."""
    fast &= rng.random(fast.size) < p_keep


def numpy_chain_pulse(rng: np.random.Generator, fast: np.ndarray, p_keep: float) -> tuple[int, int]:
    """One pulse inside a NumPy chain: relax the fast sites, then :func:`numpy_pulse` on
    them (the same work a pulse of the engine's chain does)."""
    numpy_relax(fast, rng, p_keep)
    return numpy_pulse(rng, fast=fast)


def engine_chain(n: int, seed: int) -> tuple[list[float], list[float], float, int, int]:
    """Per-pulse wall and CPU times of ``n`` recorded pulses inside one chain (after the
    preset's warm-up, which loads the kernels and brings the fast sites to their steady
    state), via the public API: ``simulate(progress=callback)`` is called after every pulse.
    Also returns the mean excitons per pulse and the total events."""
    walls: list[float] = []
    cpus: list[float] = []
    last: list[float] = []

    def tick(done: int, total: int) -> None:
        now = (time.perf_counter(), time.process_time())
        if last:
            walls.append(now[0] - last[0])
            cpus.append(now[1] - last[1])
        last[:] = now

    res = simulate("memory", seed=seed, pulses=n + 1, alpha_pulse=0.5, progress=tick)
    n_ex = float(res.populations["exciton"][0])
    return walls, cpus, res.wall_time, int(round(n_ex)), res.total_events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 100 pulses")
    args = ap.parse_args()
    rounds = 2 if args.quick else 3
    n_chain = 20 if args.quick else 40
    n_np = 1 if args.quick else 2
    p_keep = math.exp(-1.0 / 8.1)  # the preset's period 1 us, tau_relax 8.1 us

    # interleaved: a chain of the engine, then NumPy pulses, in every round; medians
    simulate("memory", seed=9, pulses=1, warmup_pulses=0, size=50)  # import, load kernels
    eng_wall, eng_cpu, np_wall, np_cpu = [], [], [], []
    rng = np.random.default_rng(0)
    fast = np.zeros(1000 * 1000, dtype=bool)
    n_ex = events = 0
    for r in range(rounds):
        walls, cpus, _, n_ex, ev = engine_chain(n_chain, seed=1 + r)
        eng_wall.append(statistics.fmean(walls))
        eng_cpu.append(statistics.fmean(cpus))
        events = ev
        for _ in range(n_np):
            t0, c0 = time.perf_counter(), time.process_time()
            numpy_chain_pulse(rng, fast, p_keep)
            np_wall.append(time.perf_counter() - t0)
            np_cpu.append(time.process_time() - c0)
    t_pulse, cpu_pulse = statistics.median(eng_wall), statistics.median(eng_cpu)
    print(
        f"Shcherbakov-Wu 2024 pulse inside a chain (alpha 0.5, {n_ex} excitons, until all "
        f"decay; mean of {n_chain} pulses after the warm-up, median of {rounds} chains): "
        f"{t_pulse * 1e3:.1f} ms wall, {cpu_pulse * 1e3:.1f} ms CPU per pulse, one core "
        f"(target <= 15 ms; limit ~6 ms)"
    )
    t_np, cpu_np = statistics.median(np_wall), statistics.median(np_cpu)
    print(
        f"NumPy vectorised fixed-step chain (same model, relax + pulse, interleaved with the "
        f"engine, median of {len(np_cpu)} pulses): {t_np * 1e3:.0f} ms wall, "
        f"{cpu_np * 1e3:.0f} ms CPU per pulse; engine is {t_np / t_pulse:.0f}x faster by wall "
        f"time, {cpu_np / cpu_pulse:.0f}x by CPU time (target >= 140x)"
    )
    ev_rate = events / ((n_chain + 1) * t_pulse)
    print(
        f"events/s, 350-exciton pulses: {ev_rate / 1e6:.2f} M/s "
        f"({ev_rate / CPP_PULSE:.1f}x the published C++ 0.14 M/s)"
    )
    one = {"particles": 1, "lifetime": "1ms", "duration": "20us", "frame_interval": "1us"}
    simulate("random-walk", seed=1, **one)
    res = simulate("random-walk", seed=1, **one)
    rate_c = res.total_events / res.wall_time
    print(
        f"events/s, one exciton (continuous time, rejection-free, whole simulate call): "
        f"{rate_c / 1e6:.2f} M/s ({rate_c / CPP_ONE_EXCITON:.1f}x the C++ one-exciton figure)"
    )

    n_pulses = 100 if args.quick else 1000
    for chains in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "nctransport", "simulate", "--preset", "memory"]
            cmd += ["--set", f"pulses={n_pulses}", "--set", f"chains={chains}"]
            cmd += ["--workers", "2", "--out", out]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            wall = time.perf_counter() - t0
        print(
            f"nctransport simulate memory, {n_pulses} pulses, chains={chains} (each after 40 "
            f"warm-up pulses), --workers 2, end to end with outputs and report: {wall:.1f} s "
            f"wall (target < 30 s for 1000)"
        )


if __name__ == "__main__":
    main()
