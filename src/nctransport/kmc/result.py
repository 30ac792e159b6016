"""The result of a KMC simulation: numbers, the microscope map, files and figures.

Lengths in m, times in s, MSD per axis in m^2, D per axis in m^2/s (MSD = 2 D t).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.results import ResultProtocol, SummaryRow, provenance

#: What ``results.json`` says about the MSD and D_sim it holds.
MSD_CONVENTION = (
    "per-axis: variance along one axis minus that of all particles at t = 0 (emission: its own "
    "variance at t = 0), averaged over the lattice axes (MSD = 2 D t); D_sim(t) = MSD(t) / 2t"
)


@dataclass(frozen=True, repr=False)
class SimulationResult(ResultProtocol):
    """Outcome of :func:`nctransport.simulate`.

    ``dataset`` is the microscope-like map (``signal`` over ``t``, ``x`` [, ``y``]) that
    :func:`nctransport.analyze` reads like a measurement, with the exact per-axis moments
    beside it (``msd_<state>``, ``msd_emission``, ``d_sim_<state>``, ``population_<state>``).

    >>> import nctransport as nct
    >>> s = nct.simulate("random-walk", seed=3, particles=200, duration="0.3ns")
    >>> s.dataset.signal.dims
    ('t', 'x')
    >>> round(s.d_sim("0.3ns", "all") * 1e4, 2)  # cm^2/s: hop_rate x spacing^2 = 0.01
    0.01
    """

    workflow = "simulate"

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
    d_sim_values: dict[str, np.ndarray] = field(default_factory=dict)
    d_sim_stderr: dict[str, np.ndarray] = field(default_factory=dict)
    warmup_pulses: int = 0
    warnings: tuple[str, ...] = ()
    config_path: str | None = None
    config_sha256: str | None = None

    # -- numbers ------------------------------------------------------------------------------
    @property
    def total_events(self) -> int:
        return int(sum(v for k, v in self.events.items() if k != "null"))

    @property
    def events_per_second(self) -> float:
        return self.total_events / self.wall_time if self.wall_time > 0 else float("nan")

    def d_sim(self, t: float | str, which: str = "emission") -> float:
        """Exact per-axis D_sim(t) = [var(t) - var(0)] / 2t in m^2/s of ``which`` ("emission",
        "all" or a state), interpolated linearly in MSD between frames; ``t`` in s or
        with a unit ("1ns")."""
        from nctransport.errors import ConfigError
        from nctransport.units import parse_quantity

        ts = parse_quantity(t, "s", name="t") if isinstance(t, str) else float(t)
        if which not in self.msd:
            raise ConfigError(f"d_sim: unknown signal {which!r}; choose from {list(self.msd)}")
        if not (0 < ts <= self.times[-1]):
            raise ConfigError(f"d_sim: t = {ts:g} s is outside (0, {self.times[-1]:g}] s")
        return float(np.interp(ts, self.times, self.msd[which]) / (2.0 * ts))

    def headline_time(self) -> float:
        """The time at which the summary quotes D_sim: 1 ns if simulated, else the last frame."""
        return 1e-9 if self.times[-1] >= 1e-9 else float(self.times[-1])

    # -- protocol -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        t_h = self.headline_time()
        k = int(np.argmin(np.abs(self.times - t_h)))
        d_at = {
            key: {
                "t_s": float(self.times[k]),
                "value_cm2_s": float(v[k] * 1e4),
                "stderr_cm2_s": float(self.d_sim_stderr.get(key, v * np.nan)[k] * 1e4),
            }
            for key, v in self.d_sim_values.items()
        }
        body = {
            "name": self.name,
            "seed": self.seed,
            "pulses": self.pulses,
            "warmup_pulses": self.warmup_pulses,
            "states": list(self.state_names),
            "t_s": self.times,
            "population_per_pulse": self.populations,
            "msd_per_axis_m2": self.msd,
            "d_sim_per_axis_m2_s": self.d_sim_values,
            "d_sim_headline": d_at,
            "tracer_msd_per_axis_m2": self.tracer_msd,
            "mean_energy_eV": self.mean_energy,
            "events": self.events,
            "total_events": self.total_events,
            "wall_time_s": self.wall_time,
            "events_per_second": self.events_per_second,
            "msd_convention": MSD_CONVENTION,
            "warnings": list(self.warnings),
        }
        body.update(
            provenance(
                self.config_path, self.config_sha256, {"seed": self.seed, "config": self.config}
            )
        )
        return body

    def summary_rows(self) -> list[SummaryRow]:
        t_h = self.headline_time()
        k = int(np.argmin(np.abs(self.times - t_h)))
        rows: list[SummaryRow] = []
        keys = (
            ("emission", "all", *self.state_names) if len(self.state_names) > 1 else ("emission",)
        )
        for key in keys:
            if key not in self.d_sim_values:
                continue
            v = self.d_sim_values[key][k] * 1e4
            e = self.d_sim_stderr.get(key, np.full(k + 1, np.nan))[k] * 1e4
            note = f"+/- {e:.2g} (sampling, approx.)" if np.isfinite(e) else ""
            rows.append((f"D_sim({self.times[k] * 1e9:.3g} ns, {key}) [cm2/s]", f"{v:.4g}", note))
        for key, pop in self.populations.items():
            rows.append((f"{key} per pulse at t = 0, end", f"{pop[0]:.4g}", f"{pop[-1]:.4g}"))
        for key, msd in self.msd.items():
            rows.append((f"MSD at end ({key}) [nm2, per axis]", f"{msd[-1] * 1e18:.4g}", ""))
        rows.append(
            (
                "pulses (warm-up)",
                f"{self.pulses}",
                f"{self.warmup_pulses} warm-up pulses per chain, not recorded",
            )
        )
        rows.append(
            (
                "events",
                f"{self.total_events}",
                f"{self.wall_time:.3g} s, {self.events_per_second:.3g} events/s",
            )
        )
        return rows

    def headline(self) -> str:
        rows = self.summary_rows()
        return f"{self.name}: {rows[0][0]} = {rows[0][1]}" if rows else self.name

    def report_title(self) -> str:
        return f"nctransport simulate: {self.name}"

    def _report_results(self) -> dict[str, Any]:
        d = self.to_dict()
        return {k: v for k, v in d.items() if k not in ("t_s", "settings")}

    def write(
        self,
        out_dir: str | Path,
        *,
        report: bool = True,
        figure_formats: tuple[str, ...] | None = None,
    ) -> list[Path]:
        """Write results.json, simulation.nc, populations.csv, config.toml (and with
        ``report`` the figure and report.html); the input config is never overwritten.

        The figure is ``simulation.svg``, drawn without matplotlib;
        ``figure_formats=("png",)`` draws ``simulation.png`` with matplotlib instead."""
        check_output(out_dir, self.config_path)
        return super().write(out_dir, report=report, figure_formats=figure_formats)

    def _write_data(self, out_dir: Path) -> list[Path]:
        from nctransport.io.atomic import write_text
        from nctransport.io.netcdf import save_netcdf
        from nctransport.kmc.config import SimulationConfig, to_toml

        cfg = SimulationConfig.model_validate(self.config)
        paths = [save_netcdf(self.dataset, out_dir / "simulation.nc")]
        header = "t [s]," + ",".join(f"{s} [per pulse]" for s in self.state_names)
        rows = [header] + [
            ",".join([f"{t:.9g}"] + [f"{self.populations[s][k]:.9g}" for s in self.state_names])
            for k, t in enumerate(self.times)
        ]
        paths.append(write_text(out_dir / "populations.csv", "\n".join(rows) + "\n"))
        toml_text = f"# resolved config; run with seed = {self.seed}\n" + to_toml(
            cfg.model_copy(update={"seed": self.seed})
        )
        paths.append(write_text(out_dir / "config.toml", toml_text))
        return paths

    # -- figures ------------------------------------------------------------------------------
    #: The report figure is drawn as SVG by nctransport itself, without importing matplotlib
    #: and rasterising a PNG (~0.65 s of CPU); ``figure_formats=("png",)`` draws it with
    #: matplotlib.
    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        if backend == "svg":
            from nctransport.report.svg import SvgFigure

            fig: Any = SvgFigure(1, 3, figsize=(14.0, 4.0))
            # fixed margins: the map's colour bar sits inside its panel's right edge
            fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.95, wspace=0.3)
            ax1, ax2, ax3 = fig.axes
        elif backend == "matplotlib":
            from nctransport.plotting import new_figure

            fig, (ax1, ax2, ax3) = new_figure(1, 3, figsize=(14.0, 4.0))
        else:
            raise ValueError(f"backend must be 'svg' or 'matplotlib', not {backend!r}")
        self.plot_map(ax1)
        self.plot_msd(ax2)
        self.plot_populations(ax3)
        return [
            (
                "simulation",
                "Simulated map (left), exact per-axis MSD (middle) and particles per pulse "
                "(right).",
                fig,
            )
        ]

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_msd(ax)

    def plot_msd(self, ax: Any = None) -> Any:
        """Exact per-axis MSD (nm^2) of each state, all particles and the emission."""
        from nctransport.report.binning import bin_series

        ax = _axes(ax)
        t_ns = self.times * 1e9
        for key, msd in self.msd.items():
            if np.all(~np.isfinite(msd)):
                continue
            ax.plot(*bin_series(t_ns, msd * 1e18, n_max=MAX_LINE_POINTS)[:2], label=key)
        ax.set_xlabel("t (ns)")
        ax.set_ylabel("per-axis MSD (nm²)")
        ax.legend()
        return ax

    def plot_populations(self, ax: Any = None) -> Any:
        """Particles per pulse of each state."""
        from nctransport.report.binning import bin_series

        ax = _axes(ax)
        for key, pop in self.populations.items():
            ax.plot(*bin_series(self.times * 1e9, pop, n_max=MAX_LINE_POINTS)[:2], label=key)
        ax.set_xlabel("t (ns)")
        ax.set_ylabel("particles per pulse")
        ax.legend()
        return ax

    def plot_map(self, ax: Any = None) -> Any:
        """The simulated microscope map: signal over x (µm) and t (ns) with a colour bar; a
        stack is summed over y. More than :data:`MAX_MAP_ROWS` frames or columns are averaged
        in consecutive blocks for display (simulation.nc holds every one)."""
        ax = _axes(ax)
        sig = self.dataset.signal
        if "y" in sig.dims:
            sig = sig.sum("y")
        img = np.asarray(sig.transpose("t", "x").values, float)
        t_ns, img = _block_mean(self.times * 1e9, img, axis=0)
        x_um, img = _block_mean(self.dataset.x.values * 1e6, img, axis=1)
        mesh = ax.pcolormesh(x_um, t_ns, img, shading="nearest", rasterized=True)
        cb = ax.figure.colorbar(mesh, ax=ax, pad=0.01)
        units = self.dataset.signal.attrs.get("units", "arb")  # sum() drops attrs
        cb.set_label(f"signal ({units})")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("t (ns)")
        return ax


#: Files :meth:`SimulationResult.write` puts in the output directory.
OUTPUT_FILES = (
    "results.json",
    "simulation.nc",
    "populations.csv",
    "config.toml",
    "report.html",
    "simulation.svg",
    "simulation.png",
)

#: Most points drawn per MSD or population curve (consecutive frames averaged beyond).
MAX_LINE_POINTS = 400
#: Most time rows and x columns drawn in the map image (consecutive ones averaged beyond).
MAX_MAP_ROWS = 400


def _block_mean(
    coord: np.ndarray, img: np.ndarray, axis: int, n_max: int = MAX_MAP_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """``coord`` and ``img`` along ``axis`` averaged in at most ``n_max`` consecutive blocks,
    for display only (a 5000-frame map drawn cell by cell costs seconds).

    >>> c, m = _block_mean(np.arange(6.0), np.ones((2, 6)), axis=1, n_max=3)
    >>> c.tolist(), m.shape
    ([0.5, 2.5, 4.5], (2, 3))
    """
    from nctransport.report.binning import group_edges, group_mean

    edges = group_edges(np.asarray(coord).size, n_max)
    if edges is None:
        return np.asarray(coord, dtype=float), img
    return group_mean(coord, edges), group_mean(img, edges, axis=axis)


def check_output(out_dir: str | Path, config_path: str | Path | None = None) -> Path:
    """Refuse an output directory that cannot hold a simulation's files, or where writing them
    would replace the input config (``simulate D/config.toml --out D``); nothing is created.
    """
    from nctransport.errors import OutputError
    from nctransport.io.output import _same_file, check_output_dir

    inputs = [] if config_path is None else [config_path]
    out = check_output_dir(out_dir, inputs=inputs)
    if config_path is not None:
        for name in OUTPUT_FILES:
            if _same_file(Path(config_path), out / name):
                raise OutputError(
                    f"writing {name} there would replace the input config; "
                    "choose another output directory",
                    out,
                )
    return out


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax
