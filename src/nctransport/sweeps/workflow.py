"""``nct.sweep`` and ``nct.sweep_report``: parameter sweeps as Python functions.

A sweep simulates (and by default analyses) every point of a grid in-process through the
library, resumable to the bit; the report draws a number of the points against a parameter
-- by default Shcherbakov-Wu 2024's D_sim at 1 ns against the time between excitations --
with a single-exponential fit. Neither imports the CLI.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import ConfigError, FitError, InputError, OutputError
from nctransport.results import Estimate, ResultProtocol, SummaryRow, provenance, to_jsonable
from nctransport.sweeps.grid import GridAxis, parse_grid
from nctransport.sweeps.runner import (
    D_1NS_COLUMNS,
    METRIC_COLUMNS,
    SweepSpec,
    run_sweep,
    sweep_table,
)
from nctransport.sweeps.store import SweepStore

__all__ = ["SweepReportResult", "SweepResult", "sweep", "sweep_report"]

#: The report's x axis when the points are pulse trains (Shcherbakov-Wu 2024, Fig. 4E).
TBE = "time_between_excitations"
TBE_HOW = (
    "time between excitations of the centre NC, pulse period / alpha = 1/(f <N>) "
    "(Shcherbakov-Wu 2024)"
)
Y_CHOICES = ("auto", "diffusivity", *D_1NS_COLUMNS)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class SweepResult(ResultProtocol):
    """Outcome of :func:`sweep`: the table of finished points and what happened.

    ``rows`` are the rows of ``sweep.csv`` (parameters in SI, D per axis in cm^2/s; the
    column ``d_1ns_cm2_s`` is D_sim, the exact second-moment diffusivity at 1 ns).
    """

    directory: Path
    definition: dict[str, Any]
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    total: int
    skipped: int
    ran: int
    failed: int
    partial_removed: int
    failures: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    spec: SweepSpec | None = field(default=None, repr=False)

    workflow = "sweep"

    @property
    def csv(self) -> Path:
        return self.directory / "sweep.csv"

    def column(self, name: str) -> np.ndarray:
        """One column of the table as floats (NaN where empty)."""
        if name not in self.columns:
            raise ConfigError(f"no column {name!r}; columns: {', '.join(self.columns)}")
        return np.array([_float(r.get(name)) for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "directory": str(self.directory),
                "n_points": self.total,
                "skipped": self.skipped,
                "ran": self.ran,
                "failed": self.failed,
                "partial_removed": self.partial_removed,
                "failures": self.failures,
                "columns": list(self.columns),
                "points": list(self.rows),
                "warnings": list(self.warnings),
                **provenance(None, None, {"sweep": self.definition}),
            }
        )

    def summary_rows(self) -> list[SummaryRow]:
        rows = [
            ("points", str(self.total), f"{self.skipped} skipped (already done), {self.ran} run"),
            ("failed", str(self.failed), ""),
            ("table", str(self.csv), f"{len(self.rows)} finished point(s)"),
        ]
        if self.partial_removed:
            rows.append(("half-written removed", str(self.partial_removed), "from a killed run"))
        rows += [(f"failed {pid}", "", err) for pid, err in self.failures.items()]
        return rows

    def headline(self) -> str:
        return f"{self.total} points: {self.ran} run, {self.skipped} skipped, {self.failed} failed"

    def _write_data(self, out_dir: Path) -> list[Path]:
        if self.spec is None or Path(out_dir).resolve() == self.directory.resolve():
            return []  # the sweep directory already holds sweep.csv
        return [SweepStore(out_dir).write_csv(self.rows, list(self.columns))]


@dataclass(frozen=True, eq=False, repr=False)
class SweepReportResult(ResultProtocol):
    """A number of the sweep's points against a parameter, with a single-exponential fit
    ``y = offset + amplitude exp(-x / tau)`` (Shcherbakov-Wu 2024, Fig. 4A/4E)."""

    source: Path
    source_sha256: str | None
    x_name: str
    x_unit: str  # SI unit of x as a column suffix ("s", "1_per_s", "" ...)
    x_how: str
    y_name: str
    y_how: str
    x: np.ndarray
    y: np.ndarray
    y_err: np.ndarray | None
    fit: Any  # trends.ExponentialFit | None
    points: tuple[dict[str, Any], ...]
    definition: dict[str, Any]
    settings: dict[str, Any]
    warnings: tuple[str, ...] = ()

    workflow = "sweep-report"

    @property
    def tau(self) -> Estimate | None:
        """Fitted relaxation time with its 95 % CI (Student t), in the x axis' unit."""
        if self.fit is None:
            return None
        unit = "s" if self.x_unit == "s" else ""
        dof = max(self.fit.n_points - 3, 1)
        err = (self.fit.tau_ci95[1] - self.fit.tau) / _t975(dof)
        est = Estimate(self.fit.tau, err, tuple(self.fit.tau_ci95), unit, "t")
        return est.to("us") if unit == "s" else est

    def to_dict(self) -> dict[str, Any]:
        fit = None
        if self.fit is not None:
            fit = self.fit.to_dict("s" if self.x_unit == "s" else "x")
            fit["tau"] = self.tau.to_dict()
        return to_jsonable(
            {
                "x": {"name": self.x_name, "how": self.x_how},
                "y": self.y_name,
                "y_how": self.y_how,
                "exponential_fit": fit,
                "points": list(self.points),
                "warnings": list(self.warnings),
                **provenance(
                    self.source, self.source_sha256, {**self.settings, "sweep": self.definition}
                ),
            }
        )

    def summary_rows(self) -> list[SummaryRow]:
        rows = [
            ("points", str(len(self.points)), ""),
            ("x", self.x_name, self.x_how),
            ("y", self.y_name, self.y_how),
        ]
        if self.fit is not None:
            tau = self.tau
            ci = f"95% CI [{tau.ci95[0]:.4g}, {tau.ci95[1]:.4g}] {tau.unit}".rstrip()
            conv = "" if self.fit.converged else "; did not converge"
            rows.append(("tau", f"{tau.value:.4g} {tau.unit}".rstrip(), ci + conv))
            rows.append(("offset", f"{self.fit.offset:.4g}", f"+- {self.fit.offset_err:.2g}"))
            rows.append(
                ("amplitude", f"{self.fit.amplitude:.4g}", f"+- {self.fit.amplitude_err:.2g}")
            )
        return rows

    def headline(self) -> str:
        if self.fit is None:
            return f"{len(self.points)} points, no exponential fit"
        return f"tau = {self.tau}"

    def report_title(self) -> str:
        return f"Sweep report: {self.source.parent}"

    def plot_trend(self, ax: Any = None) -> Any:
        """y against x with 95 % error bars (when known) and the exponential fit."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        scale, xlabel = _x_display(self.x_name, self.x_unit)
        yerr = None if self.y_err is None else 1.959964 * self.y_err
        ax.errorbar(self.x * scale, self.y, yerr=yerr, fmt="o", capsize=3, label="sweep points")
        if self.fit is not None:
            xx = np.linspace(np.nanmin(self.x), np.nanmax(self.x), 200)
            ax.plot(
                xx * scale,
                self.fit.offset + self.fit.amplitude * np.exp(-xx / self.fit.tau),
                "--",
                label=f"exp fit, tau = {self.tau.value:.3g} {self.tau.unit}",
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{self.y_name.removesuffix('_cm2_s')} (cm$^2$/s, per axis)")
        ax.legend()
        return ax

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_trend(ax)

    def _figures(self) -> list[tuple[str, str, Any]]:
        from nctransport.plotting import new_figure

        fig, ax = new_figure()
        self.plot_trend(ax)
        return [("sweep_trend", f"{self.y_how} against {self.x_how}", fig)]


# ---------------------------------------------------------------------------------------------
# sweep
# ---------------------------------------------------------------------------------------------
def sweep(
    base_config_or_preset: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str],
    *,
    out_dir: str | Path,
    workers: int | None = 1,
    seed: int = 0,
    sets: Mapping[str, Any] | None = None,
    analyze: bool | Mapping[str, Any] | Any = True,
    resume: bool = True,
    cluster: Any = None,
    warmup: str | int = "auto",
    point_reports: bool = False,
    on_progress: Callable[[int, int, dict[str, Any] | None], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    **overrides: Any,
) -> SweepResult:
    """Simulate (and analyse) every point of a parameter grid; rerun to resume.

    Parameters
    ----------
    base_config_or_preset
        A preset name (``"memory"``, ``"random-walk"`` ...) or a TOML config path.
    grid
        ``{"pulse_period": ["1us", "2us"], ...}`` or ``["pulse_period=1us,2us", ...]``; the
        Cartesian product is run, last key fastest. Keys are the preset's short keys or
        dotted config paths; unknown keys are refused before any point runs.
    out_dir
        The sweep directory (``sweep.json``, ``points/``, ``sweep.csv``), locked while the
        sweep runs: a second sweep on it is refused at once.
    workers
        Local worker processes, each importing once and taking point after point
        (``None``: one per core, at most one per point).
    seed
        Base seed; each point's seed derives from it and the point's parameters only.
    sets, **overrides
        Values fixed for every point (units as text, pint quantities or SI floats).
    analyze
        ``True`` (default analysis settings), ``False`` (simulate only), or settings as a
        mapping (``{"profile": "moments", "window": "0ns:2ns"}``) or a settings object.
    resume
        Skip points that already finished in ``out_dir``; ``False`` refuses a directory that
        already holds a sweep.
    cluster
        A Dask scheduler address (``tcp://host:port``), ``distributed.Client`` or cluster.
    warmup
        ``"auto"``: memory-model chains discard their first ceil(5 tau_relax / period)
        pulses (the cold start, all NCs slow); or a number of pulses.
    point_reports
        Figures and report.html for every point's analysis (slow).
    on_progress, on_warning
        Callbacks ``(done, total, record)`` and ``(message)``.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import nctransport as nct
    >>> r = nct.sweep("random-walk", {"hop_rate": ["5e9/s", "1e10/s"]}, out_dir="sw",
    ...               particles=2000, duration="1ns")  # doctest: +SKIP
    >>> r.column("d_1ns_cm2_s")  # D = hop_rate a^2 = 0.005, 0.01  # doctest: +SKIP
    array([0.00526794, 0.01017245])
    """
    preset, config = _source(base_config_or_preset)
    spec = SweepSpec(
        grid=_grid(grid),
        seed=_seed(seed),
        preset=preset,
        config=config,
        sets=tuple((str(k), _text(v)) for k, v in {**(sets or {}), **overrides}.items()),
        analysis=_analysis(analyze),
        point_reports=bool(point_reports),
        warmup=warmup,
    )
    store = SweepStore(out_dir)
    if not resume and store.manifest.exists():
        raise OutputError("already holds a sweep; pass resume=True or another directory", out_dir)
    summary = run_sweep(
        spec,
        out_dir,
        workers=workers,
        scheduler=_scheduler(cluster),
        on_progress=on_progress,
        on_warning=on_warning,
    )
    columns, rows = sweep_table(spec, list(summary.records))
    return SweepResult(
        directory=Path(out_dir),
        definition=spec.definition(),
        columns=tuple(columns),
        rows=tuple(rows),
        total=summary.total,
        skipped=summary.skipped,
        ran=summary.ran,
        failed=summary.failed,
        partial_removed=summary.partial_removed,
        failures=summary.failures,
        warnings=summary.warnings,
        spec=spec,
    )


def _source(base: str | Path) -> tuple[str | None, str | None]:
    from nctransport.kmc.presets import PRESETS

    if isinstance(base, str) and base in PRESETS:
        return base, None
    p = Path(base)
    if isinstance(base, Path) or p.suffix == ".toml" or p.exists():
        from nctransport.io.output import check_input_path

        return None, str(check_input_path(p).resolve())
    raise ConfigError(
        f"{base!r} is neither a preset ({', '.join(PRESETS)}) nor a config file", "config"
    )


def _text(v: Any) -> str:
    """A grid or --set value as the text the config understands (units kept)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "magnitude") and hasattr(v, "units"):  # pint Quantity
        return f"{v.magnitude!r} {v.units:~C}"  # "1e10 1/s": the space keeps 1/s apart
    if isinstance(v, int | float | np.integer | np.floating):
        return repr(float(v)) if isinstance(v, float | np.floating) else str(int(v))
    return str(v)


def _grid(grid: Mapping[str, Sequence[Any]] | Sequence[str]) -> tuple[GridAxis, ...]:
    if isinstance(grid, Mapping):
        return tuple(
            parse_grid(f"{k}={','.join(_text(v) for v in _as_list(vals))}")
            for k, vals in grid.items()
        )
    if isinstance(grid, str):
        grid = [grid]
    return tuple(parse_grid(g) for g in grid)


def _as_list(vals: Any) -> list[Any]:
    if isinstance(vals, str) or not isinstance(vals, Sequence | np.ndarray):
        return [vals]
    return list(vals)


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise ConfigError(f"seed must be an integer in [0, 2^63), got {seed!r}", "--seed")
    return int(seed)


def _analysis(analyze: Any) -> tuple[tuple[str, Any], ...] | None:
    if analyze is False or analyze is None:
        return None
    if analyze is True:
        return ()
    if dataclasses.is_dataclass(analyze) and not isinstance(analyze, type):
        data = dataclasses.asdict(analyze)
        defaults = dataclasses.asdict(type(analyze)())
        return tuple((k, v) for k, v in data.items() if v != defaults.get(k))
    if isinstance(analyze, Mapping):
        return tuple((str(k), v) for k, v in analyze.items() if v is not None)
    raise ConfigError(f"analyze must be True, False or settings, got {analyze!r}")


def _scheduler(cluster: Any) -> str | None:
    if cluster is None or isinstance(cluster, str):
        return cluster
    for attr in ("scheduler_address",):
        if isinstance(getattr(cluster, attr, None), str):
            return getattr(cluster, attr)
    sched = getattr(cluster, "scheduler", None)
    if isinstance(getattr(sched, "address", None), str):
        return sched.address
    raise ConfigError(f"cluster must be a Dask scheduler address or client, got {cluster!r}")


# ---------------------------------------------------------------------------------------------
# sweep report
# ---------------------------------------------------------------------------------------------
def sweep_report(
    sweep_dir_or_result: str | Path | SweepResult,
    *,
    x: str | None = None,
    y: str = "auto",
) -> SweepReportResult:
    """Trend across a sweep: y against x with a single-exponential fit and its CI.

    Parameters
    ----------
    sweep_dir_or_result
        A sweep directory (its ``sweep.csv`` is read) or the :class:`SweepResult` of
        :func:`sweep` (its rows are used as they are).
    x
        ``None``: the time between excitations of the centre NC, period / alpha (Shcherbakov-
        Wu 2024's axis), when the points are pulse trains that differ in it, else the first
        grid key; or ``"time_between_excitations"`` or any numeric grid key.
    y
        ``"auto"``: ``d_1ns`` on the time-between-excitations axis, else ``diffusivity``.
        ``diffusivity`` (the analysis' fit, weighted by its CI), ``d_1ns`` (D_sim: the exact
        second moment of all excitons, [sigma^2(1 ns) - sigma^2(0)] / 2 ns per axis),
        ``d_1ns_map`` (second moments of the simulated map) or ``d_1ns_analysis`` (MSD of
        the analysis' profile widths: Gaussian by default, biased on flat-topped profiles).

    Examples
    --------
    >>> rep = nct.sweep_report("sweep-memory")  # doctest: +SKIP
    >>> print(rep.tau)  # doctest: +SKIP
    4.318 ± 0.3 us (95% CI [3.353, 5.283])
    """
    from nctransport.sweeps.trends import fit_exponential

    if y not in Y_CHOICES:
        raise ConfigError(f"y must be one of {', '.join(Y_CHOICES)}, got {y!r}", "--y")
    if isinstance(sweep_dir_or_result, SweepResult):
        res = sweep_dir_or_result
        source, definition, sha = res.csv, res.definition, None
        columns, rows = list(res.columns), [dict(r) for r in res.rows]
    else:
        from nctransport.io import sha256_of
        from nctransport.sweeps.trends import read_sweep_csv

        store = SweepStore(sweep_dir_or_result)
        definition = store.definition()
        source = store.csv
        columns, raw = read_sweep_csv(store.csv)
        sha = sha256_of(store.csv)
        rows = [{k: _cell(k, v) for k, v in r.items()} for r in raw]
    if not rows:
        raise InputError("the sweep has no finished points yet", source)

    def col(name: str) -> np.ndarray:
        return np.array([_float(r.get(name)) for r in rows])

    xs, x_name, x_unit, x_how = _x_axis(definition, columns, col, x)
    if y == "auto":
        y = "d_1ns" if x_name == f"{TBE}_s" else "diffusivity"
    warnings: list[str] = []
    yerr = None
    if y == "diffusivity":
        ys, y_name = col("diffusivity_cm2_s"), "diffusivity_cm2_s"
        lo, hi = col("diffusivity_ci95_lo_cm2_s"), col("diffusivity_ci95_hi_cm2_s")
        yerr = (hi - lo) / (2 * 1.959964)
        y_how = "D of the analysis' MSD fit (95% CI from the fit)"
    else:
        y_name, y_how = D_1NS_COLUMNS[y]
        ys = col(y_name)
        y_how = f"D(1 ns) per axis from the {y_how}"
    if not np.isfinite(ys).any():
        warnings.append(f"no point has a value of {y_name}")
    try:
        fit = fit_exponential(xs, ys, yerr)
        if not fit.converged:
            warnings.append("exponential fit did not converge")
        elif not 1e-3 * np.ptp(xs[np.isfinite(xs)]) < fit.tau < 1e2 * np.ptp(xs[np.isfinite(xs)]):
            warnings.append(
                "the fitted tau lies far outside the range of x: the points show no "
                "exponential relaxation, and its CI means nothing"
            )
    except FitError as exc:
        fit = None
        warnings.append(f"no exponential fit: {exc.message}")
    points = []
    for i, r in enumerate(rows):
        p = {x_name: float(xs[i]), y_name: float(ys[i])}
        p.update({c: r.get(c) for c in columns if c != "seed"})
        points.append(p)
    return SweepReportResult(
        source=Path(source),
        source_sha256=sha,
        x_name=x_name,
        x_unit=x_unit,
        x_how=x_how,
        y_name=y_name,
        y_how=y_how,
        x=xs,
        y=ys,
        y_err=yerr,
        fit=fit,
        points=tuple(points),
        definition=definition,
        settings={"x": x, "y": y},
        warnings=tuple(warnings),
    )


def _x_axis(
    definition: dict[str, Any], columns: list[str], col: Callable[[str], np.ndarray], x: str | None
) -> tuple[np.ndarray, str, str, str]:
    """The trend's x values, their column name, its SI unit suffix and how they were made."""
    tbe_col = f"{TBE}_s"
    if x in (TBE, tbe_col) or x is None:
        tbe = col(tbe_col) if tbe_col in columns else np.full(1, np.nan)
        usable = np.isfinite(tbe).all() and np.unique(tbe).size > 1
        if usable:
            return tbe, tbe_col, "s", TBE_HOW
        if x is not None:
            raise ConfigError(
                "the points are not pulse trains that differ in their time between "
                "excitations (needs excitation kind bernoulli/poisson with alpha > 0)",
                "--x",
            )
    keys = [g["key"] for g in definition["grid"]]
    name = x if x is not None else keys[0]
    matches = [c for c in columns if c == name or (name in keys and c.startswith(f"{name}_"))]
    numeric = [c for c in matches if c not in METRIC_COLUMNS and np.isfinite(col(c)).any()]
    if not numeric:
        raise ConfigError(
            f"{name!r} is not a numeric sweep parameter (grid keys: {', '.join(keys)}; or {TBE})",
            "--x",
        )
    chosen = numeric[0]
    unit = chosen[len(name) + 1 :] if chosen.startswith(f"{name}_") and name in keys else ""
    return col(chosen), chosen, unit, f"grid parameter {name}"


def _x_display(name: str, unit: str) -> tuple[float, str]:
    if unit == "s":
        return 1e6, f"{name.removesuffix('_s').replace('_', ' ')} (us)"
    return 1.0, name.replace("_", " ")


def _cell(name: str, v: str | None) -> Any:
    if v in (None, ""):
        return None
    if name == "point_id":
        return v
    try:
        return float(v)
    except ValueError:
        return v


def _float(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _t975(dof: int) -> float:
    from scipy import special  # t.ppf(q, dof) without scipy.stats' ~0.5 s import

    return float(special.stdtrit(dof, 0.975))
