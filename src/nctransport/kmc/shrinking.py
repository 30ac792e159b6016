"""Li 2023's shrinking-hop random walk (Li 2023, Monte Carlo paragraph and Fig. 4e,f).

What the paper states: carriers make a first hop of ~1.1 um after ~0.7 ps, later hops
shrink with time, the profile is non-Gaussian at 0.6-5 ps and stable (Gaussian-like)
after ~28 ps with MSD ~4 um^2 at 30 ps, and the MSD grows quadratically for ~0-1 ps
(its Fig. S9). What it does not state is how the hop length shrinks: the laws below are
OUR ASSUMPTIONS, selectable by ``law`` and ``motion`` in the ``[shrinking]`` table.

* ``law = "power"``: l(t) = first_hop (1 + t/shrink_time)^-exponent. With exponent 0.5
  the summed squared hop lengths diverge logarithmically: the MSD grows as ln t and never
  becomes stable.
* ``law = "exponential"``: l(t) = first_hop exp(-t/shrink_time). The summed squared
  lengths converge, so the profile stops changing after a few shrink_time.
* ``motion = "jump"``: a hop is an instantaneous jump at exponentially distributed
  intervals (mean hop_time); the early MSD is linear in t.
* ``motion = "flight"``: a carrier flies in a straight line at speed l(t0)/hop_time for an
  exponentially distributed time (mean hop_time; t0 its start), then picks a new random
  direction: band-like (ballistic) motion, so the MSD grows as t^2 for t << hop_time.

Off-lattice, vectorised over carriers one hop generation at a time.
"""

from __future__ import annotations

import numpy as np

from nctransport.kmc import engine

LAWS = ("power", "exponential")
MOTIONS = ("jump", "flight")


def hop_length(t: np.ndarray, first_hop: float, shrink_time: float, exponent: float, law: str):
    """Hop length (m) of a hop starting at ``t`` (s) under ``law`` (our assumption, see above).

    >>> float(hop_length(np.array([0.0]), 1e-6, 1e-12, 0.5, "exponential")[0])
    1e-06
    """
    if law == "exponential":
        return first_hop * np.exp(-t / shrink_time)
    return first_hop * (1.0 + t / shrink_time) ** (-exponent)


def shrinking_hop_accumulate(
    n: int,
    dim: int,
    sigma0: float,
    first_hop: float,
    hop_time: float,
    shrink_time: float,
    exponent: float,
    lifetime: float | None,
    frame_times: np.ndarray,
    roi_f: np.ndarray,
    roi_i: np.ndarray,
    rng: np.random.Generator,
    *,
    law: str = "power",
    motion: str = "jump",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts ``(frames, 1, ny, nx)``, moments ``(frames, 1, 11)`` and event counts."""
    K = frame_times.size
    t_end = frame_times[-1]
    x0 = np.zeros((n, 3))
    x0[:, :dim] = rng.normal(0.0, sigma0, (n, dim))
    death = rng.exponential(lifetime, n) if lifetime else np.full(n, np.inf)
    # displacement completed between frame f-1 and f, per carrier: delta[f] (cumulated below)
    delta = np.zeros((K, n, 3))
    # flights under way at a frame: displacement so far, not cumulated
    partial = np.zeros((K, n, 3))
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    hops = 0
    flight = motion == "flight"
    while active.any():
        idx = np.flatnonzero(active)
        dt = rng.exponential(hop_time, idx.size)
        if flight:
            start = t[idx]  # a flight starts now and lasts dt
            stop = np.minimum(start + dt, death[idx])
            ok = start < np.minimum(t_end, death[idx])
        else:
            t[idx] += dt  # a jump happens after dt
            start = stop = t[idx]
            ok = (start <= t_end) & (start < death[idx])
        active[idx[~ok]] = False
        idx, start, stop, dt = idx[ok], start[ok], stop[ok], dt[ok]
        if idx.size == 0:
            break
        length = hop_length(start, first_hop, shrink_time, exponent, law)
        d = rng.normal(size=(idx.size, dim))
        d /= np.linalg.norm(d, axis=1, keepdims=True)  # isotropic direction (1D: +-1)
        if flight:
            vel = d * (length / hop_time)[:, None]  # speed l/hop_time: mean flight length l
            step = vel * (stop - start)[:, None]
            # frames inside the flight see the part flown so far
            f0 = np.searchsorted(frame_times, start, side="right")
            f1 = np.searchsorted(frame_times, stop, side="left")
            for k in range(int(f0.min(initial=K)), int(f1.max(initial=0))):
                inside = (f0 <= k) & (k < f1)
                if inside.any():
                    frac = (frame_times[k] - start[inside])[:, None] * vel[inside]
                    partial[k, idx[inside], :dim] += frac
            t[idx] = start + dt
        else:
            step = d * length[:, None]
        f = np.searchsorted(frame_times, stop, side="left")
        keep = f < K
        np.add.at(delta, (f[keep], idx[keep]), np.pad(step[keep], ((0, 0), (0, 3 - dim))))
        hops += idx.size
    pos = x0[None, :, :] + np.cumsum(delta, axis=0) + partial
    counts = np.zeros((K, 1, int(roi_i[1]) if roi_i[2] == 1 else 1, int(roi_i[0])), np.int64)
    mom = np.zeros((K, 1, engine.N_MOMENTS))
    pix = roi_f[2]
    for k in range(K):
        alive = death > frame_times[k]
        p = pos[k, alive]
        mom[k, 0, engine.M_N] = p.shape[0]
        mom[k, 0, engine.M_X : engine.M_X + 3] = p.sum(axis=0)
        mom[k, 0, engine.M_XX : engine.M_XX + 3] = (p**2).sum(axis=0)
        mom[k, 0, engine.M_D2 : engine.M_D2 + 3] = ((p - x0[alive]) ** 2).sum(axis=0)
        ix = np.floor((p[:, 0] - roi_f[0]) / pix).astype(np.int64)
        keep = (ix >= 0) & (ix < roi_i[0])
        iy = np.zeros_like(ix)
        if dim >= 2:
            fy = np.floor((p[:, 1] - roi_f[1]) / pix).astype(np.int64)
            keep &= (fy >= 0) & (fy < roi_i[1])
            if roi_i[2] == 1:
                iy = fy
        np.add.at(counts[k, 0], (iy[keep], ix[keep]), 1)
    stats = np.zeros(engine.N_STATS, np.int64)
    stats[engine.S_HOPS] = hops
    stats[engine.S_RAD] = int(np.sum(death <= t_end))
    return counts, mom, stats
