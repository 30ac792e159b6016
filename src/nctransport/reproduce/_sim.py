"""The reproductions' one door into the KMC engine, and the statistics they share.

Every simulation a reproduction runs goes through :func:`run_moments`, which returns the
exact particle moments (number, sum x, sum x^2, sum of squared displacements, sum of site
energies per frame and state; docs/science.md) summed over pulses. All MSDs here are per
axis (MSD = 2 D t) and come from these moments, never from fits to a map.

Burn-in: a pulse train with site memory (Shcherbakov-Wu 2024) starts with every NC slow.
``warmup`` pulses are run first and discarded. The engine's random streams are keyed by
pulse index, so pulses ``0..warmup-1`` of a chain of ``warmup + n`` pulses are bit-identical
to a chain of ``warmup`` pulses; the steady-state sums are the difference of the two.
(When the engine grows a ``warmup_pulses`` option this function is the only place to change.)

Uncertainties: independent blocks (repetitions with their own seeds, or independent chains,
each with its own burn-in) and a delete-one jackknife of the pooled estimator, with a
Student-t 95 % interval on blocks - 1 degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nctransport.errors import ConfigError
from nctransport.kmc.config import SimulationConfig
from nctransport.kmc.engine import M_N
from nctransport.kmc.observe import (
    mean_energy,
    msd_from_moments,
    per_axis_variance,
    tracer_msd,
    weighted_moments,
)
from nctransport.results import Estimate


@dataclass(frozen=True)
class Moments:
    """Exact moments ``mom[frame, state, :]`` summed over ``pulses`` pulses."""

    times: np.ndarray  # s
    mom: np.ndarray
    pulses: int
    state_names: tuple[str, ...]
    krad: np.ndarray  # radiative rate per state, 1/s
    dim: int
    x: np.ndarray  # pixel centres of the map along x, m
    counts: np.ndarray  # particles per x pixel ``(frames, states, nx)`` (y summed)

    def _combine(self, other: Moments, sign: int) -> Moments:
        return Moments(
            self.times,
            self.mom + sign * other.mom,
            self.pulses + sign * other.pulses,
            self.state_names,
            self.krad,
            self.dim,
            self.x,
            self.counts + sign * other.counts,
        )

    def __add__(self, other: Moments) -> Moments:
        return self._combine(other, 1)

    def __sub__(self, other: Moments) -> Moments:
        return self._combine(other, -1)

    def profile(self, key: str = "all") -> np.ndarray:
        """Line profile ``(frames, nx)`` of ``key`` (``emission``: states weighted by k_rad)."""
        if key == "all":
            return self.counts.sum(axis=1).astype(float)
        if key == "emission":
            return np.einsum("ksx,s->kx", self.counts.astype(float), self.krad)
        return self.counts[:, self.state_names.index(key)].astype(float)

    def _select(self, key: str) -> np.ndarray:
        if key == "all":
            return self.mom.sum(axis=1)
        if key == "emission":  # what a PL microscope sees: states weighted by k_rad
            return weighted_moments(self.mom, self.krad)
        return self.mom[:, self.state_names.index(key)]

    def population(self, key: str = "all") -> np.ndarray:
        """Particles (or, for ``emission``, photons/s) per pulse at each frame."""
        return self._select(key)[:, M_N] / max(self.pulses, 1)

    def msd(self, key: str = "all") -> np.ndarray:
        """Per-axis MSD: variance of ``key``'s positions minus its variance at t = 0 (m^2)."""
        m = self._select(key)
        ref = float(per_axis_variance(m[:1], self.dim)[0])
        return msd_from_moments(m, self.dim, ref)

    def tracer(self, key: str = "all") -> np.ndarray:
        """Per-axis mean squared displacement from each particle's own start (m^2)."""
        return tracer_msd(self._select(key), self.dim)

    def energy(self, key: str = "all") -> np.ndarray:
        return mean_energy(self._select(key))


def run_moments(
    config: SimulationConfig, seed: int, *, pulses: int | None = None, warmup: int = 0
) -> Moments:
    """Run ``pulses`` pulses of ``config`` (after ``warmup`` discarded ones) as one chain."""
    from nctransport.kmc.run import Accumulators, _prepare, _run_shrinking, run_pulses

    n = config.excitation.pulses if pulses is None else int(pulses)
    if n < 1 or warmup < 0:
        raise ConfigError(f"pulses must be >= 1 and warmup >= 0 (got {n}, {warmup})")
    model, lattice = _prepare(config, seed)
    if config.shrinking is not None:
        if warmup:
            raise ConfigError("the shrinking-hop walk has no memory: warmup does not apply")
        cfg = config.model_copy(
            update={"excitation": config.excitation.model_copy(update={"pulses": n})}
        )
        model, lattice = _prepare(cfg, seed)
        acc = _run_shrinking(model, seed, None)
    else:
        acc = run_pulses(model, lattice, seed, 0, warmup + n)
        if warmup and model.memory:
            acc_w = run_pulses(model, lattice, seed, 0, warmup)
            acc = Accumulators(
                acc.counts - acc_w.counts, acc.mom - acc_w.mom, acc.stats - acc_w.stats, n
            )
        elif warmup:  # no memory: pulses are independent, the first ones are just extra
            acc = run_pulses(model, lattice, seed, warmup, warmup + n)
    pix = float(model.roi_f[2])
    nx = int(model.roi_i[0])
    return Moments(
        times=np.asarray(model.frame_times, float),
        mom=np.asarray(acc.mom, float),
        pulses=n,
        state_names=tuple(model.state_names),
        krad=np.asarray(model.krad_si, float),
        dim=int(lattice.dim),
        x=model.roi_f[0] + (np.arange(nx) + 0.5) * pix,
        counts=np.asarray(acc.counts).sum(axis=2),
    )


def excess_kurtosis(x: np.ndarray, profile: np.ndarray) -> float:
    """Excess kurtosis of a line profile (0 for a Gaussian; Li 2023's "non-Gaussian")."""
    w = profile / profile.sum()
    m = (w * x).sum()
    v = (w * (x - m) ** 2).sum()
    return float((w * (x - m) ** 4).sum() / v**2 - 3.0)


def block_seeds(seed: int, blocks: int) -> list[int]:
    """Independent seeds for ``blocks`` repetitions derived from ``seed``."""
    ss = np.random.SeedSequence(seed).spawn(blocks)
    return [int(s.generate_state(1, np.uint32)[0]) for s in ss]


def jackknife(
    blocks: Sequence[Moments], estimator: Callable[[Moments], float], unit: str, scale: float = 1
) -> Estimate:
    """Pooled ``estimator`` with a delete-one jackknife SE over independent ``blocks``."""
    total = blocks[0]
    for b in blocks[1:]:
        total = total + b
    value = float(estimator(total)) * scale
    k = len(blocks)
    if k < 2:
        return Estimate(value, None, None, unit, "none")
    loo = np.array([float(estimator(total - b)) * scale for b in blocks])
    if not np.all(np.isfinite(loo)):
        return Estimate(value, None, None, unit, "none")
    se = float(np.sqrt((k - 1) / k * np.sum((loo - loo.mean()) ** 2)))
    return Estimate.from_stderr(value, se, unit, dof=k - 1)


def peak_time(times: np.ndarray, y: np.ndarray) -> float:
    """Time of the maximum of ``y``, refined by a parabola through the top three frames."""
    ok = np.isfinite(y)
    if not ok.any():
        return float("nan")
    k = int(np.nanargmax(np.where(ok, y, -np.inf)))
    if 0 < k < y.size - 1 and np.all(np.isfinite(y[k - 1 : k + 2])):
        y0, y1, y2 = y[k - 1 : k + 2]
        den = y0 - 2 * y1 + y2
        if den < 0:
            return float(times[k] + 0.5 * (y0 - y2) / den * (times[k + 1] - times[k]))
    return float(times[k])


def one_over_e_time(times: np.ndarray, y: np.ndarray) -> float:
    """First time ``y`` falls to ``y[0]/e`` (linear interpolation); NaN if it never does."""
    target = y[0] / np.e
    below = np.flatnonzero(y < target)
    if below.size == 0 or below[0] == 0:
        return float("nan")
    j = int(below[0])
    return float(times[j - 1] + (y[j - 1] - target) / (y[j - 1] - y[j]) * (times[j] - times[j - 1]))


def fmt(e: Estimate, digits: int = 3) -> str:
    """``value [lo, hi] unit`` for the doc table."""
    v = f"{e.value:.{digits}g}"
    if e.ci95 is None:
        return f"{v} {e.unit}".strip()
    return f"{v} [{e.ci95[0]:.{digits}g}, {e.ci95[1]:.{digits}g}] {e.unit}".strip()


def site_energies(config: SimulationConfig, seed: int) -> np.ndarray:
    """The site energies (eV) of the lattice that ``run_moments(config, seed)`` uses."""
    from nctransport.kmc.run import _prepare

    return np.asarray(_prepare(config, seed)[1].energies, float)


def mean_ci(values: Sequence[float], unit: str, scale: float = 1.0) -> Estimate:
    """Mean of independent block values with a Student-t 95 % interval."""
    v = np.asarray(values, float) * scale
    if v.size < 2:
        return Estimate(float(v.mean()), None, None, unit, "none")
    return Estimate.from_stderr(
        float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)), unit, dof=v.size - 1
    )
