"""Run a simulation (pulses in parallel, bit-reproducible) and write its outputs.

Random streams are keyed by what they are for and by pulse index, never by worker:
``SeedSequence(seed, spawn_key=(purpose, pulse))``. Pulses are grouped into fixed work
units (independent of the number of workers) whose sums are combined in unit order, so
the output bytes do not depend on ``workers``. With site memory (Shcherbakov-Wu 2024) the pulses of
one chain run in order on one lattice: memory carries from pulse to pulse.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError
from nctransport.kmc import engine
from nctransport.kmc.config import SimulationConfig, check_seed, si
from nctransport.kmc.excitation import (
    bernoulli_pulse,
    gaussian_particles,
    initial_states,
    poisson_pulse,
    pulse_window,
)
from nctransport.kmc.lattice import Lattice
from nctransport.kmc.model import FWHM_PER_SIGMA, KmcModel, build_model, check_resources
from nctransport.kmc.observe import (
    apply_irf,
    d_sim_from_msd,
    d_sim_stderr,
    effective_count,
    mean_energy,
    microscope_signal,
    msd_from_moments,
    per_axis_variance,
    poisson_counts,
    tracer_msd,
    weighted_moments,
)
from nctransport.kmc.result import SimulationResult
from nctransport.results import to_jsonable

# purposes of the random streams
_LATTICE, _EXCITE, _KERNEL, _RELAX, _NOISE, _WARMUP = 0, 1, 2, 3, 4, 5
#: Non-memory runs are cut into at most this many work units.
MAX_UNITS = 64

Progress = Callable[[int, int], None]


def _stream(seed: int, purpose: int, *index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(purpose, *index))


def _kernel_seed(seed: int, purpose: int, *index: int) -> int:
    return int(_stream(seed, purpose, *index).generate_state(1, np.uint32)[0])


@dataclass
class Accumulators:
    """Sums over pulses: ROI counts, moments, event counts (per kernel sample time)."""

    counts: np.ndarray
    mom: np.ndarray
    stats: np.ndarray
    pulses: int = 0

    @classmethod
    def empty(cls, model: KmcModel) -> Accumulators:
        return cls(
            np.zeros(model.counts_shape(), dtype=np.int64),
            np.zeros((model.kernel_frames.size, model.n_states, engine.N_MOMENTS)),
            np.zeros(engine.N_STATS, dtype=np.int64),
        )

    def add(self, other: Accumulators) -> None:
        self.counts += other.counts
        self.mom += other.mom
        self.stats += other.stats
        self.pulses += other.pulses


def work_units(model: KmcModel) -> list[tuple[int, int]]:
    """Contiguous pulse ranges ``[start, stop)``; chains with memory, chunks otherwise.

    They depend on the config only (never on the number of workers), so results do not.
    """
    ex = model.config.excitation
    n_units = ex.chains if model.memory else min(ex.pulses, MAX_UNITS)
    edges = np.linspace(0, ex.pulses, n_units + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _plane_case(model: KmcModel, lattice: Lattice, cum_w: np.ndarray) -> bool:
    """Whether :func:`engine.run_stepping_plane` runs this stepped model (same results as
    :func:`engine.run_stepping`, faster): one particle state, single occupancy, the
    sequential rule, equal weights to every neighbour, no vacancies, 1D or 2D, at most two
    site states."""
    z = cum_w.shape[1] if cum_w.ndim == 2 else 0
    # the criterion of engine.run_stepping's equal-weight offset pick
    equal = z > 0 and all(
        abs(cum_w[0, o] - cum_w[0, z - 1] * (o + 1) / z) <= 1e-12 * cum_w[0, z - 1]
        for o in range(z)
    )
    return bool(
        model.n_states == 1
        and model.mode == engine.FIXED_SEQUENTIAL
        and model.occupancy == engine.OCC_SINGLE
        and lattice.dim <= 2
        and lattice.vacancies.shape[0] == 0
        and model.site_scale.size <= 2
        and not np.any(model.offsets[:, 2])
        and equal
    )


class Chain:
    """The lattice-sized state of one chain of pulses, allocated once and reused by every
    pulse: site states and the list of fast sites (memory), the occupancy grid, the
    excitation window. Kernels leave their scratch arrays as they found them."""

    def __init__(self, model: KmcModel, lattice: Lattice, *, specialised: bool = True) -> None:
        """``specialised=False`` runs a stepped model in the general stepping kernel even where
        the plane kernel would (the same results; for tests)."""
        self.model = model
        self.lattice = lattice
        n = lattice.n_sites
        self.lat_i, self.lat_f = lattice.kernel_arrays()
        self.fast = np.empty(n if model.memory else 0, dtype=np.int64)
        self.nfast = np.zeros(1, dtype=np.int64)
        stepping = model.stepping_kernel
        self.cum_w = np.zeros((0, 0))
        if model.homogeneous or stepping:
            self.cum_w = model.cumulative_hop_probabilities()
        self.plane = specialised and stepping and _plane_case(model, lattice, self.cum_w)
        # the plane kernel's open lattice has a border of occupied sites (walls) as wide as
        # the longest hop, so that its hops need no bounds test (engine.run_stepping_plane)
        self.pad = (0, 0)
        if self.plane and not lattice.periodic:
            reach = np.abs(model.offsets).max(axis=0)
            self.pad = (int(reach[0]), int(reach[1]))
        nx, ny, _ = lattice.shape
        px, py = self.pad
        self.site_state = np.zeros(n, dtype=np.int8)
        if px or py:  # a 1D or 2D lattice (the plane kernel's)
            self.site_state = np.zeros((nx + 2 * px) * (ny + 2 * py), dtype=np.int8)
            grid = self.site_state.reshape(ny + 2 * py, nx + 2 * px)
            grid[:py] = grid[py + ny :] = grid[:, :px] = grid[:, px + nx :] = engine.OCCUPIED_BIT
        # the plane kernel keeps the occupancy in a bit of site_state: no grid to allocate
        self.occ_grid = np.full(n if stepping and not self.plane else 0, -1, dtype=np.int32)
        interacting = model.interacting and not stepping
        self.head = np.full(n if interacting else 0, -1, dtype=np.int64)
        ex = model.config.excitation
        self.window = None
        if ex.kind != "particles":
            self.window = pulse_window(lattice, ex.alpha, model.spot_sigma)

    def _inner(self, a: np.ndarray) -> np.ndarray:
        """The lattice's part of an array laid out as :attr:`site_state` (a view)."""
        nx, ny, _ = self.lattice.shape
        px, py = self.pad
        return a.reshape(ny + 2 * py, nx + 2 * px)[py : py + ny, px : px + nx]

    def site_states(self) -> np.ndarray:
        """Each lattice site's state (0 slow, 1 fast), in lattice order (a copy)."""
        if self.pad == (0, 0):
            return self.site_state.copy()
        return self._inner(self.site_state).ravel()

    def fast_sites(self) -> np.ndarray:
        """The listed fast sites as lattice indices, in list order (a copy)."""
        f = self.fast[: self.nfast[0]]
        if self.pad == (0, 0):
            return f.copy()
        nx = self.lattice.shape[0]
        w = nx + 2 * self.pad[0]
        row, col = np.divmod(f, w)
        return (col - self.pad[0]) + nx * (row - self.pad[1])

    def relax(self, seed: int) -> None:
        """Shcherbakov-Wu 2024's relaxation of the fast sites between two pulses."""
        engine.relax_memory(self.site_state, self.fast, self.nfast, self.model.p_keep, seed)

    def excite(self, rng: np.random.Generator) -> np.ndarray:
        model, lattice = self.model, self.lattice
        ex = model.config.excitation
        if ex.kind == "particles":
            return gaussian_particles(
                lattice,
                ex.particles,
                model.spot_sigma,
                rng,
                unique=model.occupancy != engine.OCC_MULTIPLE,
            )
        if ex.kind == "bernoulli":
            return bernoulli_pulse(lattice, ex.alpha, model.spot_sigma, rng, self.window)
        sites = poisson_pulse(lattice, ex.alpha, model.spot_sigma, rng, self.window)
        if model.occupancy != engine.OCC_MULTIPLE:
            sites = np.unique(sites)  # at most one exciton survives on a site
        return sites

    def pulse(self, acc: Accumulators, rng: np.random.Generator, kseed: int) -> None:
        """One pulse: excite, run the kernel, add to ``acc``."""
        model, lattice = self.model, self.lattice
        sites = self.excite(rng).astype(np.int64)
        states = initial_states(sites.size, model.initial, rng)
        if self.plane:
            engine.run_stepping_plane(
                self.lat_i,
                self.lat_f,
                self.site_state,
                self.pad[0],
                self.pad[1],
                model.offsets,
                self.cum_w,
                model.site_scale,
                model.conv,
                model.krad,
                model.knr,
                model.memory,
                self.fast,
                self.nfast,
                sites,
                model.kernel_frames,
                model.t_stop,
                model.roi_f,
                model.roi_i,
                acc.counts,
                acc.mom,
                acc.stats,
                kseed,
            )
            return
        if model.stepping_kernel:
            engine.run_stepping(
                self.lat_i,
                self.lat_f,
                lattice.vacancies,
                self.site_state,
                self.occ_grid,
                model.offsets,
                self.cum_w,
                model.site_scale,
                model.conv,
                model.krad,
                model.knr,
                model.mode,
                model.occupancy,
                model.memory,
                self.fast,
                self.nfast,
                sites,
                states,
                model.kernel_frames,
                model.t_stop,
                model.roi_f,
                model.roi_i,
                acc.counts,
                acc.mom,
                acc.stats,
                kseed,
            )
            return
        args_common = (
            self.lat_i,
            self.lat_f,
            lattice.jitter,
            lattice.vacancies,
            lattice.energies,
            self.site_state,
            model.offsets,
            model.off_cls,
            model.off_r,
            model.hop_i,
            model.hop_f,
            model.site_scale,
            model.hop_scale,
            model.conv,
            model.krad,
            model.knr,
            model.mode,
        )
        if model.interacting:
            engine.run_interacting(
                *args_common,
                model.occupancy,
                model.memory,
                self.fast,
                self.nfast,
                self.head,
                sites,
                states,
                model.kernel_frames,
                model.t_stop,
                model.roi_f,
                model.roi_i,
                acc.counts,
                acc.mom,
                acc.stats,
                kseed,
            )
        else:
            engine.run_independent(
                *args_common,
                self.cum_w,
                sites,
                states,
                model.kernel_frames,
                model.roi_f,
                model.roi_i,
                acc.counts,
                acc.mom,
                acc.stats,
                kseed,
            )


def run_pulses(
    model: KmcModel,
    lattice: Lattice,
    seed: int,
    start: int,
    stop: int,
    progress: Callable[[], None] | None = None,
) -> Accumulators:
    """Run pulses ``start..stop-1`` in order on ``lattice`` (one chain when memory is on).

    With site memory the chain first runs ``model.warmup`` pulses that are not recorded
    (their own random streams, keyed by the chain's first pulse), so the recorded pulses
    see the steady state of the fast sites; every chain warms up, none starts cold.
    """
    acc = Accumulators.empty(model)
    chain = Chain(model, lattice)
    warm = model.warmup if model.memory else 0
    if warm:
        scratch = Accumulators.empty(model)
        for k in range(warm):
            if k > 0:
                chain.relax(_kernel_seed(seed, _WARMUP, start, k, _RELAX))
            rng = np.random.default_rng(_stream(seed, _WARMUP, start, k, _EXCITE))
            chain.pulse(scratch, rng, _kernel_seed(seed, _WARMUP, start, k, _KERNEL))
    for i in range(start, stop):
        if model.memory and (i > start or warm):
            chain.relax(_kernel_seed(seed, _RELAX, i))
        rng = np.random.default_rng(_stream(seed, _EXCITE, i))
        chain.pulse(acc, rng, _kernel_seed(seed, _KERNEL, i))
        acc.pulses += 1
        if progress is not None:
            progress()
    return acc


_WORKER_CACHE: dict[str, tuple[KmcModel, Lattice]] = {}


def _prepare(config: SimulationConfig, seed: int) -> tuple[KmcModel, Lattice]:
    """The model and lattice realisation of ``config`` (cached: one per process)."""
    key = json.dumps([config.model_dump(), seed], sort_keys=True, default=str)
    if key not in _WORKER_CACHE:
        model = build_model(config)
        check_resources(model)
        lattice = model.build_lattice(np.random.default_rng(_stream(seed, _LATTICE)))
        _WORKER_CACHE.clear()
        _WORKER_CACHE[key] = (model, lattice)
    return _WORKER_CACHE[key]


def _unit_task(config_data: dict, seed: int, start: int, stop: int) -> Accumulators:
    config = SimulationConfig.model_validate(config_data)
    model, lattice = _prepare(config, seed)
    return run_pulses(model, lattice, seed, start, stop)


def _worker_warning(workers: int, units: int, model: KmcModel) -> str | None:
    if workers <= units:
        return None
    ex = model.config.excitation
    why = (
        f"chains = {ex.chains} with site memory (the pulses of a chain run in order; "
        "raise chains to spread them)"
        if model.memory
        else f"pulses = {ex.pulses}"
    )
    return (
        f"--workers {workers} exceeds the {units} independent unit(s) of work ({why}); "
        f"running on {units} worker(s)"
    )


def run_simulation(
    config: SimulationConfig,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run a validated ``config`` and return its result (with the microscope dataset).

    Parameters
    ----------
    config
        Validated configuration.
    seed
        Random seed (default: ``config.seed``). Same seed, same bytes, any ``workers``.
    workers
        Worker processes (1 runs in this process); a persistent pool is reused by later calls.
    progress
        Called as ``progress(done, total)`` in recorded pulses.
    """
    seed = check_seed(config.seed if seed is None else seed)
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    t0 = time.perf_counter()
    model, lattice = _prepare(config, seed)
    units = work_units(model)
    total = config.excitation.pulses
    warnings: list[str] = []
    if config.shrinking is not None or config.output.mode == "expected":
        units = [(0, total)]
    note = _worker_warning(workers, len(units), model) if workers > 1 else None
    if note:
        warnings.append(note)
    workers = min(workers, len(units))
    acc = Accumulators.empty(model)
    done = 0
    if config.output.mode == "expected":
        from nctransport.kmc.expected import expected_accumulators

        acc = expected_accumulators(model, lattice)
    elif config.shrinking is not None:
        acc = _run_shrinking(model, seed, progress)
    elif workers <= 1:

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)

        for a, b in units:
            acc.add(run_pulses(model, lattice, seed, a, b, tick))
    else:
        from nctransport.kmc.pool import is_broken, shutdown_pool, worker_pool

        data = config.model_dump()
        pool = worker_pool(workers)
        futures = [pool.submit(_unit_task, data, seed, a, b) for a, b in units]
        try:
            for fut, (a, b) in zip(futures, units, strict=True):
                acc.add(fut.result())  # combined in unit order: worker-independent bytes
                done += b - a
                if progress is not None:
                    progress(done, total)
        except BaseException as exc:
            for f in futures:
                f.cancel()
            if is_broken(exc) or isinstance(exc, KeyboardInterrupt):
                shutdown_pool(wait=False)
            raise
    wall = time.perf_counter() - t0
    return _result(model, lattice, acc, seed, wall, tuple(warnings))


def _run_shrinking(model: KmcModel, seed: int, progress: Progress | None) -> Accumulators:
    """Li 2023's off-lattice shrinking-hop walk, pulse by pulse (vectorised NumPy)."""
    from nctransport.kmc.config import si
    from nctransport.kmc.shrinking import shrinking_hop_accumulate

    cfg = model.config
    sh = cfg.shrinking
    decay_rate = float(model.krad_si[0] + model.knr[0] / model.time_unit)
    acc = Accumulators.empty(model)
    for i in range(cfg.excitation.pulses):
        counts, mom, stats = shrinking_hop_accumulate(
            cfg.excitation.particles,
            cfg.lattice.dim,
            model.spot_sigma,
            si(sh.first_hop, "m"),
            si(sh.hop_time, "s"),
            si(sh.shrink_time, "s"),
            sh.exponent,
            (1.0 / decay_rate) if decay_rate > 0 else None,
            model.sample_times,
            model.roi_f,
            model.roi_i,
            np.random.default_rng(_stream(seed, _EXCITE, i)),
            law=sh.law,
            motion=sh.motion,
        )
        acc.add(Accumulators(counts, mom, stats, 1))
        if progress is not None:
            progress(i + 1, cfg.excitation.pulses)
    return acc


def _frames(model: KmcModel, acc: Accumulators) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ROI counts (float: integrated frames average their samples) and the exact
    moments of the snapshots at the frame times."""
    k, spf = model.frame_times.size, model.samples_per_frame
    mom = acc.mom.reshape(k, spf, *acc.mom.shape[1:])[:, 0]
    counts = acc.counts.reshape(k, spf, *acc.counts.shape[1:])
    if spf == 1:
        return counts[:, 0].astype(float), mom
    return counts[:, 1:].sum(axis=1, dtype=float) / (spf - 1), mom


def _result(
    model: KmcModel,
    lattice: Lattice,
    acc: Accumulators,
    seed: int,
    wall: float,
    warnings: tuple[str, ...] = (),
) -> SimulationResult:
    cfg = model.config
    dim = lattice.dim
    names = model.state_names
    n = max(acc.pulses, 1)
    counts, mom = _frames(model, acc)
    all_mom = mom.sum(axis=1)
    ref = float(per_axis_variance(all_mom[:1], dim)[0])
    pops = {s: mom[:, i, engine.M_N] / n for i, s in enumerate(names)}
    msd = {s: msd_from_moments(mom[:, i], dim, ref) for i, s in enumerate(names)}
    msd["all"] = msd_from_moments(all_mom, dim, ref)
    em = weighted_moments(mom, model.krad_si)
    em_ref = float(per_axis_variance(em[:1], dim)[0])
    msd["emission"] = msd_from_moments(em, dim, em_ref)
    t = model.frame_times
    d_sim = {key: d_sim_from_msd(t, v) for key, v in msd.items()}
    n_eff = {s: mom[:, i, engine.M_N] for i, s in enumerate(names)}
    n_eff["all"] = all_mom[:, engine.M_N]
    n_eff["emission"] = effective_count(mom[:, :, engine.M_N], model.krad_si)
    var0 = {key: (em_ref if key == "emission" else ref) for key in msd}
    d_err = {key: d_sim_stderr(t, msd[key], var0[key], n_eff[key], dim) for key in msd}
    trac = {s: tracer_msd(mom[:, i], dim) for i, s in enumerate(names)}
    trac["all"] = tracer_msd(all_mom, dim)
    if cfg.output.mode == "expected":  # a density has no particle identities
        trac = {key: np.full(t.size, np.nan) for key in trac}
    energy = {}
    if lattice.energies.shape[0]:
        energy = {s: mean_energy(mom[:, i]) for i, s in enumerate(names)}
        energy["all"] = mean_energy(all_mom)
    st = acc.stats
    events = {
        "hops": int(st[engine.S_HOPS]),
        "conversions": int(st[engine.S_CONV]),
        "radiative_decays": int(st[engine.S_RAD]),
        "nonradiative_decays": int(st[engine.S_NONRAD]),
        "annihilations": int(st[engine.S_ANNIH]),
        "null": int(st[engine.S_NULL]),
    }
    ds = _dataset(model, counts, acc.pulses, seed, msd, d_sim, trac, pops, energy)
    return SimulationResult(
        name=cfg.name,
        seed=seed,
        pulses=acc.pulses,
        warmup_pulses=model.warmup,
        state_names=names,
        times=t,
        populations=pops,
        msd=msd,
        d_sim_values=d_sim,
        d_sim_stderr=d_err,
        tracer_msd=trac,
        mean_energy=energy,
        events=events,
        wall_time=wall,
        config=cfg.model_dump(),
        dataset=ds,
        warnings=warnings,
    )


def _dataset(
    model: KmcModel,
    counts: np.ndarray,
    pulses: int,
    seed: int,
    msd: dict,
    d_sim: dict,
    trac: dict,
    pops: dict,
    energy: dict,
) -> xr.Dataset:
    cfg = model.config
    oc = cfg.output
    emission = oc.signal == "emission"
    weights = model.krad_si if emission else model.absorption
    pix = float(model.roi_f[2])
    sig = microscope_signal(counts, weights, max(pulses, 1), psf_sigma_pixels=model.psf_sigma / pix)
    fi = float(model.frame_times[1] - model.frame_times[0])
    if model.irf_sigma > 0:
        sig = apply_irf(sig, model.irf_sigma / fi)
    units = "1/s" if emission else "counts"
    name = "expected emission rate per pulse" if emission else "excitons per pixel per pulse"
    if oc.photons is not None:
        rng = np.random.default_rng(_stream(seed, _NOISE))
        sig = poisson_counts(sig, oc.photons, rng)
        units, name = "counts", "photon counts"
    nx = int(model.roi_i[0])
    x = model.roi_f[0] + (np.arange(nx) + 0.5) * pix
    attrs = {
        "technique": "SIM",
        "simulated_technique": "TPLM" if emission else "TAM",
        "sample": f"kmc simulation: {cfg.name}",
        "pixel_size": f"{pix:.6g} m",
        "spot_fwhm": f"{model.spot_sigma * FWHM_PER_SIGMA:.6g} m",
        "seed": int(seed),
        "pulses": int(pulses),
        "warmup_pulses": int(model.warmup),
        "frames": oc.frames,
        "output_mode": oc.mode,
        "irf_fwhm": f"{model.irf_sigma * FWHM_PER_SIGMA:.6g} s",
        "psf_fwhm": f"{model.psf_sigma * FWHM_PER_SIGMA:.6g} m",
        "config": json.dumps(to_jsonable(cfg.model_dump()), sort_keys=True),
        "msd_convention": "per-axis",
    }
    if si(cfg.lattice.energy_sigma, "eV") > 0:
        attrs["temperature"] = str(cfg.lattice.temperature)
    if sig.shape[1] > 1:
        ds = make_dataset(
            sig.astype(np.float32),
            {"t": model.frame_times, "y": x, "x": x},
            signal_units=units,
            signal_name=name,
            attrs=attrs,
        )
    else:
        ds = make_dataset(
            sig[:, 0, :].astype(np.float32),
            {"t": model.frame_times, "x": x},
            signal_units=units,
            signal_name=name,
            attrs=attrs,
        )
    ds["signal"] = ds["signal"].astype(np.float32)
    for key, v in msd.items():
        ds[f"msd_{key}"] = ("t", v, {"units": "m**2", "long_name": f"exact per-axis MSD ({key})"})
    for key, v in d_sim.items():
        ds[f"d_sim_{key}"] = (
            "t",
            v,
            {
                "units": "m**2/s",
                "long_name": f"exact per-axis D_sim = [var(t) - var(0)] / 2t ({key})",
            },
        )
    for key, v in trac.items():
        ds[f"tracer_msd_{key}"] = (
            "t",
            v,
            {"units": "m**2", "long_name": f"per-axis tracer MSD ({key})"},
        )
    for key, v in pops.items():
        ds[f"population_{key}"] = ("t", v, {"units": "1", "long_name": "particles per pulse"})
    for key, v in energy.items():
        ds[f"mean_energy_{key}"] = ("t", v, {"units": "eV", "long_name": "mean site energy"})
    return ds


def write_outputs(result: SimulationResult, out_dir: str | Path) -> list[Path]:
    """Write simulation.nc, populations.csv, config.toml and results.json (atomically);
    ``result.write(out_dir, report=False)``."""
    return result.write(out_dir, report=False)
