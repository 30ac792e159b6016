"""Expected-value (noise-free) output: the master equation of independent particles.

For particles that do not interact (``occupancy = "multiple"``, no site memory) on a
homogeneous lattice, the expected occupation P(site, state, t) obeys a linear equation;
this module propagates it exactly instead of sampling particles, so the map and the moments
carry no KMC sampling noise (``output.mode = "expected"``; docs/simulate.md):

* fixed steps, ``sequential`` rule (Shcherbakov-Wu 2024): every step a hop attempt
  (probability w_o to offset o; off an open edge the particle stays), then the state
  channels (decay, conversion) with their per-step probabilities;
* fixed steps, ``competing`` rule (Bornschlegl 2024): one of hop, conversion, decay per step;
* continuous time: dP/dt = Q P, integrated exactly by uniformisation (P(t) = sum_n
  Poisson(n; L t) M^n P(0), M = 1 + Q / L, L the largest total rate).
"""

from __future__ import annotations

import math

import numpy as np

from nctransport.errors import ConfigError
from nctransport.kmc import engine
from nctransport.kmc.excitation import pulse_window
from nctransport.kmc.lattice import Lattice
from nctransport.kmc.model import KmcModel
from nctransport.limits import check_memory, check_work


def _check(model: KmcModel) -> None:
    cfg = model.config
    if cfg.shrinking is not None:
        raise ConfigError(
            "output.mode = 'expected' does not apply to the off-lattice shrinking hop"
        )
    if model.interacting:
        raise ConfigError(
            "output.mode = 'expected' needs independent particles (occupancy = 'multiple', "
            "no memory); interacting particles have no closed expected value: raise pulses "
            "or particles instead"
        )
    if not model.homogeneous or cfg.lattice.vacancies > 0:
        raise ConfigError(
            "output.mode = 'expected' needs a homogeneous lattice (no jitter, vacancies or "
            "miller-abrahams hops)"
        )


def _initial(model: KmcModel, lattice: Lattice) -> np.ndarray:
    """Expected particles per site at t = 0, shape (nz, ny, nx)."""
    ex = model.config.excitation
    nx, ny, nz = lattice.shape
    if ex.kind != "particles":
        sites, mean = pulse_window(lattice, ex.alpha, model.spot_sigma)
        p0 = np.zeros(lattice.n_sites)
        p0[sites] = mean
        return p0.reshape(nz, ny, nx)
    from scipy.special import ndtr

    # a Gaussian position rounded to the nearest site; off an open lattice it is redrawn
    # (normalised over the lattice), on a periodic one it wraps
    axes = []
    for ax, n in enumerate(lattice.shape):
        if ax >= lattice.dim:
            axes.append(np.ones(1))
            continue
        s = model.spot_sigma / lattice.spacing
        half = int(math.ceil(8.0 * s)) + 1
        c = np.arange(-half, half + 1)
        w = ndtr((c + 0.5) / s) - ndtr((c - 0.5) / s)
        idx = c + lattice.centre[ax]
        out = np.zeros(n)
        if lattice.periodic:
            np.add.at(out, idx % n, w)
        else:
            ok = (idx >= 0) & (idx < n)
            out[idx[ok]] = w[ok]
        axes.append(out)
    p0 = axes[2][:, None, None] * axes[1][None, :, None] * axes[0][None, None, :]
    return p0 * (ex.particles / p0.sum())


def _moved(p: np.ndarray, off: np.ndarray, periodic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mass of ``p`` moved by offset ``off`` (x, y, z) and the mass that cannot move (it would
    leave an open lattice)."""
    if periodic:
        return np.roll(p, shift=(off[2], off[1], off[0]), axis=(0, 1, 2)), np.zeros_like(p)
    moved = np.zeros_like(p)
    src, dst = [], []
    for ax in (2, 1, 0):  # array axes z, y, x
        d, n = int(off[ax]), p.shape[2 - ax]
        src.append(slice(max(0, -d), n - max(0, d)))
        dst.append(slice(max(0, d), n - max(0, -d)))
    moved[tuple(dst)] = p[tuple(src)]
    stuck = p.copy()
    stuck[tuple(src)] = 0.0
    return moved, stuck


def _net_hops(p: np.ndarray, w: np.ndarray, offs: np.ndarray, periodic: bool) -> np.ndarray:
    """sum_o w_o (moved_o(p) - p) + blocked part: the change of p by one hop attempt."""
    net = np.zeros_like(p)
    for o in range(offs.shape[0]):
        if w[o] == 0.0:
            continue
        moved, stuck = _moved(p, offs[o], periodic)
        net += w[o] * (moved + stuck - p)
    return net


def expected_accumulators(model: KmcModel, lattice: Lattice):
    """Accumulators (float counts, exact moments) of the expected value of one pulse."""
    from nctransport.kmc.run import Accumulators

    _check(model)
    S = model.n_states
    n = lattice.n_sites
    check_memory(
        n * S * 8.0 * 8, f"the expected occupation of {n} sites x {S} states", option="lattice.size"
    )
    cum = model.cumulative_hop_probabilities() / float(model.site_scale.max())
    w = np.diff(np.concatenate([np.zeros((S, 1)), cum], axis=1), axis=1)  # per offset
    q = model.krad + model.knr + model.conv.sum(axis=1)
    nx, ny, nz = lattice.shape
    p = np.stack([_initial(model, lattice) * wi for wi in model.initial / model.initial.sum()])
    times = model.kernel_frames
    n_steps = float(times[-1])
    if model.mode == engine.CONTINUOUS:
        lam = float((w.sum(axis=1) + q).max()) or 1.0
        check_work(
            lam * n_steps * n * S * len(model.offsets),
            "the expected-value propagation",
            option="output.duration / lattice.size",
        )
    else:
        check_work(
            n_steps * n * S * len(model.offsets),
            "the expected-value propagation",
            option="output.duration / lattice.size",
        )

    # pixel of every site (ROI binning as engine._record), -1 outside
    pix, x0 = float(model.roi_f[2]), float(model.roi_f[0])
    npx = int(model.roi_i[0])
    stack = model.roi_i[2] == 1

    def pixel_of(ax: int, count: int) -> np.ndarray:
        x = (np.arange(count) - lattice.centre[ax]) * lattice.spacing
        f = np.floor((x - x0) / pix).astype(np.int64)
        return np.where((f >= 0) & (f < npx), f, -1)

    px_x = pixel_of(0, nx)
    px_y = pixel_of(1, ny) if lattice.dim >= 2 else np.zeros(1, np.int64)
    iy = px_y if stack else np.where(px_y >= 0, 0, -1)
    n_rows = npx if stack else 1
    flat = np.where((iy[:, None] >= 0) & (px_x[None, :] >= 0), iy[:, None] * npx + px_x, -1)
    flat = np.broadcast_to(flat, (nz, ny, nx)).ravel()
    inside = flat >= 0
    coords = [
        ((np.arange(c) - lattice.centre[ax]) * lattice.spacing) for ax, c in enumerate((nx, ny, nz))
    ]

    counts = np.zeros((times.size, S, n_rows, npx))
    mom = np.zeros((times.size, S, engine.N_MOMENTS))

    def record(k: int, p: np.ndarray) -> None:
        for s in range(S):
            ps = p[s]
            counts[k, s] = np.bincount(
                flat[inside], weights=ps.ravel()[inside], minlength=n_rows * npx
            ).reshape(n_rows, npx)
            mom[k, s, engine.M_N] = ps.sum()
            for ax, red in ((0, (0, 1)), (1, (0, 2)), (2, (1, 2))):
                marg = ps.sum(axis=red)
                mom[k, s, engine.M_X + ax] = marg @ coords[ax]
                mom[k, s, engine.M_XX + ax] = marg @ coords[ax] ** 2
            mom[k, s, engine.M_D2 : engine.M_D2 + 3] = np.nan  # no particle identities

    def state_channels(p: np.ndarray, scale: float) -> np.ndarray:
        out = p * (1.0 - q * scale)[:, None, None, None]
        for s in range(S):
            for s2 in range(S):
                if model.conv[s, s2] > 0:
                    out[s2] += model.conv[s, s2] * scale * p[s]
        return out

    def fixed_step(p: np.ndarray) -> np.ndarray:
        hopped = np.stack(
            [p[s] + _net_hops(p[s], w[s], model.offsets, lattice.periodic) for s in range(S)]
        )
        if model.mode == engine.FIXED_SEQUENTIAL:
            return state_channels(hopped, 1.0)  # hop attempt, then the state channels
        # competing: one channel per step; hop and state changes are exclusive
        return state_channels(p, 1.0) + (hopped - p)

    def uniformised(p: np.ndarray, dt: float) -> np.ndarray:
        m = lam * dt
        term = p.copy()
        weight = math.exp(-m)
        acc = weight * term
        total, k = weight, 0
        while total < 1.0 - 1e-13 and k < m + 20.0 * math.sqrt(m) + 50:
            k += 1
            hopped = np.stack(
                [_net_hops(term[s], w[s] / lam, model.offsets, lattice.periodic) for s in range(S)]
            )
            term = state_channels(term, 1.0 / lam) + hopped
            weight *= m / k
            acc += weight * term
            total += weight
        return acc

    t_now = 0.0
    for k, t in enumerate(times):
        if model.mode == engine.CONTINUOUS:
            if t > t_now:
                p = uniformised(p, t - t_now)
        else:
            for _ in range(int(round(t - t_now))):
                p = fixed_step(p)
        t_now = t
        record(k, p)
    return Accumulators(counts, mom, np.zeros(engine.N_STATS, dtype=np.int64), 1)
