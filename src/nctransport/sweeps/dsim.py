"""D_sim at a fixed delay: the change of the variance of the exciton distribution over 2t.

Shcherbakov-Wu 2024 (Methods, "Theoretical model and kinetic Monte Carlo simulations") define
``D_sim = [sigma^2(t) - sigma^2(0)] / 2t`` at t = 1 ns, sigma^2 the second moment of the
exciton density averaged over pulses. Here sigma^2 is per axis (docs/science.md: MSD = 2 D t
per axis), so D_sim is directly comparable with every other D of the project. No profile
shape is assumed: the memory model's profiles are flat-topped, and Gaussian-fit widths
overstate their spread by up to 3x.

Two routes:

* exact, from the simulated positions: the dataset's ``msd_all`` (every exciton, i.e. the
  occupancy density the paper averages) or ``msd_emission`` (weighted by k_rad);
* from the map itself, as a measurement would: plain second moments of the recorded profile
  per frame (no window, no fit), for noise-free or photon-sampled maps alike.
"""

from __future__ import annotations

import math

import numpy as np

#: Delay at which Shcherbakov-Wu 2024 evaluate D_sim [s].
D_SIM_DELAY = 1e-9
#: Which exact MSD the sweep reports: every exciton (the paper's occupancy density).
EXACT_STATE = "all"


def d_at(t: np.ndarray, msd: np.ndarray, delay: float = D_SIM_DELAY) -> float | None:
    """``msd(delay) / (2 delay)`` by linear interpolation; None when ``delay`` is outside t.

    >>> t = np.linspace(0, 2e-9, 5)
    >>> d_at(t, 2 * 3e-6 * t)  # m^2/s
    3e-06
    """
    t = np.asarray(t, dtype=float)
    msd = np.asarray(msd, dtype=float)
    ok = np.isfinite(t) & np.isfinite(msd)
    if ok.sum() < 2 or not (t[ok].min() <= delay <= t[ok].max()):
        return None
    v = float(np.interp(delay, t[ok], msd[ok])) / (2.0 * delay)
    return v if math.isfinite(v) else None


def exact_msd(dataset, state: str = EXACT_STATE) -> tuple[np.ndarray, np.ndarray] | None:
    """Frame times [s] and the exact per-axis MSD [m^2] a simulation stored, if any."""
    name = f"msd_{state}"
    if name not in dataset:
        return None
    return np.asarray(dataset["t"], dtype=float), np.asarray(dataset[name], dtype=float)


def map_moment_msd(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis MSD [m^2] from the plain second moments of a map (t, x) or stack (t, y, x).

    The variance of each frame's profile (signal-weighted, over the whole field of view)
    minus that of the first frame at t >= 0. A stack's per-axis variance is the mean of its
    x and y variances. Frames with no signal give NaN.

    >>> import xarray as xr
    >>> x = np.linspace(-1e-6, 1e-6, 201); t = np.array([0.0, 1e-9])
    >>> s = np.exp(-x**2 / (2 * (np.array([1e-7, 2e-7])[:, None]) ** 2))
    >>> tt, m = map_moment_msd(xr.Dataset({"signal": (("t", "x"), s)}, {"t": t, "x": x}))
    >>> round(float(m[1] / 3e-14), 3)  # (2e-7)^2 - (1e-7)^2
    1.0
    """
    sig = np.asarray(dataset["signal"], dtype=float)
    t = np.asarray(dataset["t"], dtype=float)
    axes = [a for a in ("y", "x") if a in dataset["signal"].dims]
    var = np.zeros(t.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = sig.reshape(t.size, -1).sum(axis=1)
        for a in axes:
            c = np.asarray(dataset[a], dtype=float)
            other = tuple(i for i, d in enumerate(dataset["signal"].dims) if d not in ("t", a))
            prof = sig.sum(axis=other) if other else sig
            m1 = (prof * c).sum(axis=1) / total
            var += (prof * c**2).sum(axis=1) / total - m1**2
        var /= len(axes)
    var[~(total > 0)] = np.nan
    start = np.flatnonzero((t >= 0) & np.isfinite(var))
    if start.size == 0:
        return t, np.full(t.size, np.nan)
    return t, var - var[start[0]]
