"""Li 2023's shrinking-hop random walk (Li 2023, Monte Carlo paragraph).

Carriers start from a Gaussian spot and hop at rate 1/hop_time (first hop ~1.1 um after
~0.7 ps); the hop length shrinks with time, l(t) = first_hop (1 + t/shrink_time)^-exponent,
in a random direction (isotropic in 2D/3D). Early profiles are non-Gaussian (a few long
hops); once many short hops have accumulated (~28 ps in the seed) the profile is Gaussian
again. Off-lattice, vectorised over carriers one hop generation at a time.
"""

from __future__ import annotations

import numpy as np

from nctransport.kmc import engine


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts ``(frames, 1, ny, nx)``, moments ``(frames, 1, 11)`` and event counts."""
    K = frame_times.size
    t_end = frame_times[-1]
    x0 = np.zeros((n, 3))
    x0[:, :dim] = rng.normal(0.0, sigma0, (n, dim))
    death = rng.exponential(lifetime, n) if lifetime else np.full(n, np.inf)
    # displacement added between frame f-1 and f, per carrier: delta[f]
    delta = np.zeros((K, n, 3))
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    hops = 0
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(hop_time, idx.size)
        ok = (t[idx] <= t_end) & (t[idx] < death[idx])
        active[idx[~ok]] = False
        idx = idx[ok]
        if idx.size == 0:
            break
        length = first_hop * (1.0 + t[idx] / shrink_time) ** (-exponent)
        d = rng.normal(size=(idx.size, dim))
        d /= np.linalg.norm(d, axis=1, keepdims=True)  # isotropic direction (1D: +-1)
        f = np.searchsorted(frame_times, t[idx], side="left")
        np.add.at(delta, (f, idx), np.pad(d * length[:, None], ((0, 0), (0, 3 - dim))))
        hops += idx.size
    pos = x0[None, :, :] + np.cumsum(delta, axis=0)
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
