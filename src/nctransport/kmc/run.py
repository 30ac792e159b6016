"""Run a simulation (pulses in parallel, bit-reproducible) and write its outputs.

Random streams are keyed by what they are for and by pulse index, never by worker:
``SeedSequence(seed, spawn_key=(purpose, pulse))``. Pulses are grouped into fixed work
units (independent of the number of workers) whose sums are combined in unit order, so
the output bytes do not depend on ``workers``. With site memory (Shcherbakov-Wu 2024) the pulses of
one chain run in order on one lattice: memory carries from pulse to pulse.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.io.atomic import write_text
from nctransport.io.netcdf import save_netcdf
from nctransport.kmc import engine
from nctransport.kmc.config import SimulationConfig, to_toml
from nctransport.kmc.excitation import (
    bernoulli_pulse,
    gaussian_particles,
    initial_states,
    poisson_pulse,
)
from nctransport.kmc.lattice import Lattice
from nctransport.kmc.model import KmcModel, build_model
from nctransport.kmc.observe import (
    mean_energy,
    microscope_signal,
    msd_from_moments,
    per_axis_variance,
    poisson_counts,
    tracer_msd,
    weighted_moments,
)
from nctransport.results import provenance, to_jsonable, write_json

# purposes of the random streams
_LATTICE, _EXCITE, _KERNEL, _RELAX, _NOISE = 0, 1, 2, 3, 4
#: Non-memory runs are cut into at most this many work units.
MAX_UNITS = 64

Progress = Callable[[int, int], None]


def _stream(seed: int, purpose: int, index: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(purpose, index))


def _kernel_seed(seed: int, purpose: int, index: int) -> int:
    return int(_stream(seed, purpose, index).generate_state(1, np.uint32)[0])


@dataclass
class Accumulators:
    """Sums over pulses: ROI counts, moments, event counts."""

    counts: np.ndarray
    mom: np.ndarray
    stats: np.ndarray
    pulses: int = 0

    @classmethod
    def empty(cls, model: KmcModel) -> Accumulators:
        return cls(
            np.zeros(model.counts_shape(), dtype=np.int64),
            np.zeros((model.frame_times.size, model.n_states, engine.N_MOMENTS)),
            np.zeros(engine.N_STATS, dtype=np.int64),
        )

    def add(self, other: Accumulators) -> None:
        self.counts += other.counts
        self.mom += other.mom
        self.stats += other.stats
        self.pulses += other.pulses


def work_units(model: KmcModel) -> list[tuple[int, int]]:
    """Contiguous pulse ranges ``[start, stop)``; chains with memory, chunks otherwise."""
    ex = model.config.excitation
    n_units = ex.chains if model.memory else min(ex.pulses, MAX_UNITS)
    edges = np.linspace(0, ex.pulses, n_units + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _excite(model: KmcModel, lattice: Lattice, rng: np.random.Generator) -> np.ndarray:
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
        return bernoulli_pulse(lattice, ex.alpha, model.spot_sigma, rng)
    sites = poisson_pulse(lattice, ex.alpha, model.spot_sigma, rng)
    if model.occupancy != engine.OCC_MULTIPLE:
        sites = np.unique(sites)  # at most one exciton survives on a site
    return sites


def run_pulses(
    model: KmcModel,
    lattice: Lattice,
    seed: int,
    start: int,
    stop: int,
    progress: Callable[[], None] | None = None,
) -> Accumulators:
    """Run pulses ``start..stop-1`` in order on ``lattice`` (one chain when memory is on)."""
    acc = Accumulators.empty(model)
    lat_i, lat_f = lattice.kernel_arrays()
    site_state = np.zeros(lattice.n_sites, dtype=np.int8)
    stepping = model.stepping_kernel
    cum_w = np.zeros((0, 0))
    if model.homogeneous or stepping:
        cum_w = model.cumulative_hop_probabilities()
    if stepping:
        occ_grid = np.full(lattice.n_sites, -1, dtype=np.int32)
    for i in range(start, stop):
        if model.memory and i > start:
            engine.relax_memory(
                site_state, model.tau_relax, model.period, _kernel_seed(seed, _RELAX, i)
            )
        rng = np.random.default_rng(_stream(seed, _EXCITE, i))
        sites = _excite(model, lattice, rng).astype(np.int64)
        states = initial_states(sites.size, model.initial, rng)
        args_common = (
            lat_i,
            lat_f,
            lattice.jitter,
            lattice.vacancies,
            lattice.energies,
            site_state,
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
        kseed = _kernel_seed(seed, _KERNEL, i)
        if stepping:
            engine.run_stepping(
                lat_i,
                lat_f,
                lattice.vacancies,
                site_state,
                occ_grid,
                model.offsets,
                cum_w,
                model.site_scale,
                model.conv,
                model.krad,
                model.knr,
                model.mode,
                model.occupancy,
                model.memory,
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
        elif model.interacting:
            engine.run_interacting(
                *args_common,
                model.occupancy,
                model.memory,
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
                cum_w,
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
        acc.pulses += 1
        if progress is not None:
            progress()
    return acc


_WORKER_CACHE: dict[str, tuple[KmcModel, Lattice]] = {}


def _prepare(config: SimulationConfig, seed: int) -> tuple[KmcModel, Lattice]:
    key = json.dumps([config.model_dump(), seed], sort_keys=True, default=str)
    if key not in _WORKER_CACHE:
        model = build_model(config)
        lattice = model.build_lattice(np.random.default_rng(_stream(seed, _LATTICE)))
        _WORKER_CACHE.clear()
        _WORKER_CACHE[key] = (model, lattice)
    return _WORKER_CACHE[key]


def _unit_task(config_data: dict, seed: int, start: int, stop: int) -> Accumulators:
    config = SimulationConfig.model_validate(config_data)
    model, lattice = _prepare(config, seed)
    return run_pulses(model, lattice, seed, start, stop)


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`. Lengths in m, times in s, MSD per axis in m^2."""

    name: str
    seed: int
    pulses: int
    state_names: tuple[str, ...]
    times: np.ndarray
    populations: dict[str, np.ndarray]
    msd: dict[str, np.ndarray]
    tracer_msd: dict[str, np.ndarray]
    mean_energy: dict[str, np.ndarray]
    events: dict[str, int]
    wall_time: float
    config: dict[str, Any] = field(repr=False)
    dataset: xr.Dataset = field(repr=False, compare=False)

    @property
    def total_events(self) -> int:
        return int(sum(v for k, v in self.events.items() if k != "null"))

    @property
    def events_per_second(self) -> float:
        return self.total_events / self.wall_time if self.wall_time > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "pulses": self.pulses,
            "states": list(self.state_names),
            "t_s": self.times,
            "population_per_pulse": self.populations,
            "msd_per_axis_m2": self.msd,
            "tracer_msd_per_axis_m2": self.tracer_msd,
            "mean_energy_eV": self.mean_energy,
            "events": self.events,
            "total_events": self.total_events,
            "wall_time_s": self.wall_time,
            "events_per_second": self.events_per_second,
            "msd_convention": "per-axis: variance along one axis minus that of all particles "
            "at t = 0, averaged over the lattice axes (MSD = 2 D t)",
        }


def simulate(
    config: SimulationConfig,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run ``config`` and return its result (with the microscope dataset).

    Parameters
    ----------
    config
        Validated configuration.
    seed
        Random seed (default: ``config.seed``). Same seed, same bytes, any ``workers``.
    workers
        Worker processes (1 runs in this process).
    progress
        Called as ``progress(done, total)`` in pulses.
    """
    seed = config.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    model, lattice = _prepare(config, seed)
    units = work_units(model)
    total = config.excitation.pulses
    acc = Accumulators.empty(model)
    done = 0
    if config.shrinking is not None:
        acc = _run_shrinking(model, seed, progress)
    elif workers <= 1 or len(units) == 1:
        for a, b in units:

            def tick() -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(done, total)

            acc.add(run_pulses(model, lattice, seed, a, b, tick))
    else:
        import multiprocessing as mp

        data = config.model_dump()
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_unit_task, data, seed, a, b) for a, b in units]
            try:
                for fut, (a, b) in zip(futures, units, strict=True):
                    acc.add(fut.result())  # combined in unit order: worker-independent bytes
                    done += b - a
                    if progress is not None:
                        progress(done, total)
            except BaseException:
                for f in futures:
                    f.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    wall = time.perf_counter() - t0
    return _result(model, lattice, acc, seed, wall)


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
            model.frame_times,
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


def _result(
    model: KmcModel, lattice: Lattice, acc: Accumulators, seed: int, wall: float
) -> SimulationResult:
    cfg = model.config
    dim = lattice.dim
    names = model.state_names
    n = max(acc.pulses, 1)
    all_mom = acc.mom.sum(axis=1)
    ref = float(per_axis_variance(all_mom[:1], dim)[0])
    pops = {s: acc.mom[:, i, engine.M_N] / n for i, s in enumerate(names)}
    msd = {s: msd_from_moments(acc.mom[:, i], dim, ref) for i, s in enumerate(names)}
    msd["all"] = msd_from_moments(all_mom, dim, ref)
    em = weighted_moments(acc.mom, model.krad_si)
    em_ref = float(per_axis_variance(em[:1], dim)[0])
    msd["emission"] = msd_from_moments(em, dim, em_ref)
    trac = {s: tracer_msd(acc.mom[:, i], dim) for i, s in enumerate(names)}
    trac["all"] = tracer_msd(all_mom, dim)
    energy = {}
    if lattice.energies.shape[0]:
        energy = {s: mean_energy(acc.mom[:, i]) for i, s in enumerate(names)}
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
    ds = _dataset(model, lattice, acc, seed, msd, trac, pops, energy)
    return SimulationResult(
        name=cfg.name,
        seed=seed,
        pulses=acc.pulses,
        state_names=names,
        times=model.frame_times,
        populations=pops,
        msd=msd,
        tracer_msd=trac,
        mean_energy=energy,
        events=events,
        wall_time=wall,
        config=cfg.model_dump(),
        dataset=ds,
    )


def _dataset(
    model: KmcModel,
    lattice: Lattice,
    acc: Accumulators,
    seed: int,
    msd: dict,
    trac: dict,
    pops: dict,
    energy: dict,
) -> xr.Dataset:
    cfg = model.config
    oc = cfg.output
    emission = oc.signal == "emission"
    weights = model.krad_si if emission else model.absorption
    pix = float(model.roi_f[2])
    psf = 0.0
    if oc.psf_sigma:
        from nctransport.kmc.config import si

        psf = si(oc.psf_sigma, "m") / pix
    sig = microscope_signal(acc.counts, weights, max(acc.pulses, 1), psf_sigma_pixels=psf)
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
        "spot_fwhm": f"{model.spot_sigma * 2.0 * math.sqrt(2.0 * math.log(2.0)):.6g} m",
        "seed": int(seed),
        "pulses": int(acc.pulses),
        "config": json.dumps(to_jsonable(cfg.model_dump()), sort_keys=True),
        "msd_convention": "per-axis",
    }
    if lattice.energies.shape[0]:
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
    """Write simulation.nc, populations.csv, config.toml and results.json (atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from nctransport.kmc.config import SimulationConfig

    cfg = SimulationConfig.model_validate(result.config)
    paths = [save_netcdf(result.dataset, out / "simulation.nc")]
    header = "t [s]," + ",".join(f"{s} [per pulse]" for s in result.state_names)
    rows = [header] + [
        ",".join([f"{t:.9g}"] + [f"{result.populations[s][k]:.9g}" for s in result.state_names])
        for k, t in enumerate(result.times)
    ]
    paths.append(write_text(out / "populations.csv", "\n".join(rows) + "\n"))
    toml_text = f"# resolved config; run with seed = {result.seed}\n" + to_toml(
        cfg.model_copy(update={"seed": result.seed})
    )
    paths.append(write_text(out / "config.toml", toml_text))
    body = result.to_dict()
    body.update(provenance(None, None, {"seed": result.seed, "config": result.config}))
    paths.append(write_json(out / "results.json", body))
    return paths
