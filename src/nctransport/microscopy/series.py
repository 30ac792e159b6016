"""Trends across a series of measurements of one sample (``nctransport series``).

* power / fluence (Li 2023, Fig. 3f): the profile width at a common delay vs excitation
  density, with a weighted linear trend; D vs the same quantity.
* rep-rate / time between excitations (Shcherbakov-Wu 2024, Fig. 4A): D relaxes
  exponentially with the
  mean time between excitations of one NC, ``tau_exc = 1 / (f <N>)`` (docs/science.md), fitted
  as ``D = D_inf + dD exp(-tau_exc / tau_relax)``. Needs each file's ``rep_rate`` and its
  mean excitations per NC (metadata ``excitations_per_nc``); with ``--by rep-rate`` and no
  ``<N>`` the time between pulses ``1/f`` is used instead (Shcherbakov-Wu 2024, Fig. 4E inset).
* temperature (Bornschlegl 2024, Fig. 4): D, D_avg, tau_PL and L = sqrt(tau D_avg) vs T (tabulated
  and plotted; no model is imposed, the seed's curves are not monotonic).

Trend fits use the same 95% CI rule as the diffusivity: weighted by the points' errors,
covariance scaled by ``max(1, chi2_red)``, Student t quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

from nctransport.dataset import get_quantity
from nctransport.errors import ConfigError, FitError, InputError
from nctransport.results import ResultProtocol

__all__ = [
    "BY_UNITS",
    "SeriesPoint",
    "TrendFit",
    "SeriesResult",
    "linear_trend",
    "exponential_relaxation",
    "mean_time_between_excitations",
    "analyze_series",
    "series_results",
]

#: SI-ish unit each series quantity is held in, its metadata key and display unit/factor.
BY_UNITS = {"power": "W", "fluence": "uJ/cm**2", "temperature": "K", "rep-rate": "Hz"}
BY_META = {
    "power": "power",
    "fluence": "fluence",
    "temperature": "temperature",
    "rep-rate": "rep_rate",
}
BY_DISPLAY = {
    "power": ("nW", 1e9),
    "fluence": ("uJ/cm2", 1.0),
    "temperature": ("K", 1.0),
    "rep-rate": ("MHz", 1e-6),
}


@dataclass(frozen=True)
class TrendFit:
    """A fitted trend y(x): parameters, one-sigma errors and 95% intervals."""

    model: str
    params: dict[str, float]
    errors: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    n_points: int
    reduced_chi2: float
    converged: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "params": self.params,
            "errors": self.errors,
            "ci95": {k: list(v) for k, v in self.ci95.items()},
            "n_points": self.n_points,
            "reduced_chi2": self.reduced_chi2,
            "converged": self.converged,
        }


def _ci_rule(cov: np.ndarray, chi2: float, dof: int, weighted: bool) -> tuple[np.ndarray, float]:
    chi2_red = chi2 / dof if dof > 0 else math.nan
    if weighted:
        scale = max(1.0, chi2_red) if dof > 0 else 1.0
    else:
        scale = chi2_red if dof > 0 else math.nan
    return cov * scale, chi2_red


def _errors_ok(yerr: Any, n: int) -> np.ndarray | None:
    if yerr is None:
        return None
    e = np.asarray(yerr, dtype=float)
    return e if e.shape == (n,) and np.all(np.isfinite(e)) and np.all(e > 0) else None


def linear_trend(x: Any, y: Any, yerr: Any | None = None) -> TrendFit:
    """Weighted straight line ``y = intercept + slope x`` with 95% CIs.

    >>> tr = linear_trend([1, 2, 3, 4], [2.0, 4.1, 5.9, 8.0])
    >>> round(tr.params["slope"], 2)
    1.98
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    m = np.isfinite(x) & np.isfinite(y)
    e = _errors_ok(None if yerr is None else np.asarray(yerr, dtype=float)[m], int(m.sum()))
    x, y = x[m], y[m]
    n = x.size
    if n < 3:
        raise FitError(f"a linear trend needs at least 3 points, got {n}")
    w = np.ones(n) if e is None else 1.0 / e**2
    X = np.column_stack([np.ones(n), x])
    sw = np.sqrt(w)
    A = X * sw[:, None]
    beta, *_ = np.linalg.lstsq(A, y * sw, rcond=None)
    chi2 = float(np.sum((A @ beta - y * sw) ** 2))
    cov, chi2_red = _ci_rule(np.linalg.pinv(A.T @ A), chi2, n - 2, e is not None)
    q = float(special.stdtrit(n - 2, 0.975))
    err = np.sqrt(np.diag(cov))
    names = ("intercept", "slope")
    return TrendFit(
        model="linear y = intercept + slope x",
        params={k: float(v) for k, v in zip(names, beta, strict=True)},
        errors={k: float(v) for k, v in zip(names, err, strict=True)},
        ci95={
            k: (float(b - q * s), float(b + q * s))
            for k, b, s in zip(names, beta, err, strict=True)
        },
        n_points=n,
        reduced_chi2=chi2_red if e is not None else math.nan,
    )


def exponential_relaxation(x: Any, y: Any, yerr: Any | None = None) -> TrendFit:
    """Shcherbakov-Wu 2024 Fig. 4A: ``y = y_inf + dy exp(-x / tau)``.

    ``tau`` is in the unit of ``x``. Needs at least 4 points.

    >>> x = np.array([0.5, 1, 2, 4, 8, 16]) * 1e-6
    >>> y = 0.01 + 0.14 * np.exp(-x / 6e-6)
    >>> round(exponential_relaxation(x, y).params["tau"] * 1e6, 3)
    6.0
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    m = np.isfinite(x) & np.isfinite(y)
    e = _errors_ok(None if yerr is None else np.asarray(yerr, dtype=float)[m], int(m.sum()))
    x, y = x[m], y[m]
    n = x.size
    if n < 4:
        raise FitError(f"an exponential trend needs at least 4 points, got {n}")
    xs = float(np.max(np.abs(x))) or 1.0
    ys = float(np.max(np.abs(y))) or 1.0
    u, v = x / xs, y / ys
    es = None if e is None else e / ys
    order = np.argsort(u)

    def f(uu: np.ndarray, yinf: float, dy: float, tau: float) -> np.ndarray:
        return yinf + dy * np.exp(-uu / tau)

    p0 = (float(v[order[-1]]), float(v[order[0]] - v[order[-1]]), float(np.median(u)) or 0.5)
    try:
        from scipy import optimize

        popt, pcov = optimize.curve_fit(
            f,
            u,
            v,
            p0=p0,
            sigma=es,
            absolute_sigma=es is not None,
            bounds=([-np.inf, -np.inf, 1e-6], [np.inf, np.inf, 1e3]),
            maxfev=20000,
        )
        converged = bool(np.all(np.isfinite(pcov)))
    except (RuntimeError, ValueError) as exc:
        raise FitError(f"exponential trend did not converge: {exc}") from None
    res = (v - f(u, *popt)) / (1.0 if es is None else es)
    chi2 = float(res @ res)
    dof = n - 3
    if es is None:
        cov = pcov  # curve_fit already scaled by the residual variance
        chi2_red = math.nan
    else:
        cov, chi2_red = _ci_rule(pcov, chi2, dof, True)
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    unit = np.array([ys, ys, xs])
    popt, err = popt * unit, err * unit
    q = float(special.stdtrit(max(dof, 1), 0.975))
    names = ("y_inf", "dy", "tau")
    return TrendFit(
        model="exponential relaxation y = y_inf + dy exp(-x / tau) (Shcherbakov-Wu 2024 Fig. 4A)",
        params={k: float(p) for k, p in zip(names, popt, strict=True)},
        errors={k: float(s) for k, s in zip(names, err, strict=True)},
        ci95={
            k: (float(p - q * s), float(p + q * s))
            for k, p, s in zip(names, popt, err, strict=True)
        },
        n_points=n,
        reduced_chi2=chi2_red,
        converged=converged,
    )


def mean_time_between_excitations(rep_rate: float, n_per_nc: float) -> float:
    """Shcherbakov-Wu 2024 / docs/science.md: 1 / (f <N>) [s] at the spot centre.

    >>> mean_time_between_excitations(2.5e6, 0.08)
    5e-06
    """
    if not (rep_rate > 0 and n_per_nc > 0):
        raise ConfigError("rep_rate and excitations per NC must be > 0")
    return 1.0 / (rep_rate * n_per_nc)


@dataclass(frozen=True)
class SeriesPoint:
    """One file of a series (SI units)."""

    path: str
    sha256: str | None
    value: float  # the series quantity in BY_UNITS[by]
    d: float
    d_err: float
    d_ci95: tuple[float, float]
    d_avg: float
    d_avg_err: float
    sigma0: float
    sigma0_err: float
    lifetime: float
    length_tau_d: float
    length_tau_d_err: float
    t_max: float
    window_end: float
    time_between_excitations: float
    msd_t: np.ndarray = field(repr=False)
    msd_sigma: np.ndarray = field(repr=False)
    msd_sigma_err: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()

    def sigma_at(self, t: float) -> tuple[float, float]:
        """Measured width [m] (and error) at delay ``t`` [s], interpolated between frames."""
        if not (self.msd_t.min() <= t <= self.msd_t.max()):
            return math.nan, math.nan
        return (
            float(np.interp(t, self.msd_t, self.msd_sigma)),
            float(np.interp(t, self.msd_t, self.msd_sigma_err)),
        )


@dataclass(frozen=True)
class SeriesResult(ResultProtocol):
    """A series of analyses of one sample and the trends fitted across it (SI inside).

    :meth:`to_dict` is exactly results.json; :meth:`write` adds series.csv, the series figure
    and report.html.
    """

    workflow = "series"

    by: str
    points: tuple[SeriesPoint, ...]
    sigma_delay: float  # common delay at which widths are compared [s]
    trends: dict[str, TrendFit | None]
    warnings: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    #: One entry per input: path, sha256 and the file's scalar metadata (for the report).
    inputs: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Exactly what results.json holds."""
        from nctransport.results import provenance, to_jsonable

        res = series_results(self)
        prov = provenance(None, None, self.settings)
        res["inputs"] = [{"path": p.path, "sha256": p.sha256} for p in self.points]
        res["settings"] = prov["settings"]
        res["nctransport_version"] = prov["nctransport_version"]
        return to_jsonable(res)

    def summary_rows(self) -> list[tuple[str, str, str]]:
        """One row per file (D with CI, D_avg, sigma0, L, tau) and one per fitted trend."""
        unit, fac = BY_DISPLAY[self.by]
        rows = []
        for p in self.points:
            rows.append(
                (
                    f"{self.by} = {_fmt(p.value * fac)} {unit}",
                    f"D = {_fmt(p.d * 1e4)} cm2/s",
                    f"95% CI [{_fmt(p.d_ci95[0] * 1e4)}, {_fmt(p.d_ci95[1] * 1e4)}]; "
                    f"D_avg {_fmt(p.d_avg * 1e4)} cm2/s; sigma0 {_fmt(p.sigma0 * 1e9)} nm; "
                    f"L=sqrt(tau D_avg) {_fmt(p.length_tau_d * 1e9)} nm; "
                    f"tau {_fmt(p.lifetime * 1e9)} ns",
                )
            )
        for name, tr in self.trends.items():
            if tr is not None:
                rows.append(
                    (
                        f"trend {name}",
                        tr.model,
                        ", ".join(f"{k} = {_fmt(v)}" for k, v in tr.params.items()),
                    )
                )
        return rows

    def headline(self) -> str:
        return f"series of {len(self.points)} files by {self.by}"

    def input_paths(self) -> list[Path]:
        return [Path(p.path) for p in self.points]

    def write(self, out_dir: Any, **kwargs: Any) -> list[Path]:
        """Write results.json, series.csv and (``report=True``) the figure and report.html;
        refuses a folder where one of these names is an input."""
        from nctransport.microscopy.workflow import SERIES_FILES, check_not_overwriting_inputs

        check_not_overwriting_inputs(out_dir, self.input_paths(), SERIES_FILES)
        return super().write(out_dir, **kwargs)

    def _report_results(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k != "inputs"}

    def _write_data(self, out_dir: Path) -> list[Path]:
        from nctransport.io.atomic import write_text

        return [write_text(Path(out_dir) / "series.csv", series_csv(series_results(self)))]

    def _figures(self) -> list[tuple[str, str, Any]]:
        return [("series", f"D, lengths and lifetime across the series by {self.by}.",
                 series_figure(self))]  # fmt: skip

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_d(ax)

    def plot_d(self, ax: Any = None) -> Any:
        """D (sigma0 free, with errors) and D_avg against the series quantity."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        res = series_results(self)
        x = np.array([p["value"] for p in res["points"]])
        d = np.array([p["d_cm2_s"] for p in res["points"]])
        de = np.array([p["d_err_cm2_s"] for p in res["points"]])
        ax.errorbar(x, d, yerr=de, fmt="o", label="D (sigma0 free)")
        ax.plot(x, [p["d_avg_cm2_s"] for p in res["points"]], "s", label="D_avg (Eq. 2)")
        ax.set_xlabel(res["quantity_label"])
        ax.set_ylabel("D [cm2/s]")
        ax.legend(fontsize=8)
        return ax


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}"


def _time_between(ds: xr.Dataset, by: str) -> float:
    f = get_quantity(ds, "rep_rate", "Hz")
    n = ds.attrs.get("excitations_per_nc")
    if f is not None and n is not None:
        try:
            return mean_time_between_excitations(f, float(n))
        except (TypeError, ValueError):
            pass
    if by == "rep-rate" and f is not None:
        return 1.0 / f
    return math.nan


def analyze_series(
    datasets: Sequence[xr.Dataset],
    by: str,
    settings: Any = None,
    *,
    values: Sequence[float] | None = None,
    paths: Sequence[str | Path] | None = None,
) -> SeriesResult:
    """Analyse every dataset with :func:`~nctransport.microscopy.analysis.analyze_map` and
    fit the trends of the module docstring.

    Parameters
    ----------
    datasets
        Maps or stacks of one sample.
    by
        ``power`` | ``fluence`` | ``temperature`` | ``rep-rate``.
    settings
        :class:`~nctransport.microscopy.analysis.AnalysisSettings` used for every file.
    values
        The series quantity per file in ``BY_UNITS[by]``; default: each file's metadata.
    """
    from nctransport.microscopy.analysis import AnalysisSettings, analyze_map
    from nctransport.microscopy.workflow import named_errors

    if by not in BY_UNITS:
        raise ConfigError(f"unknown series quantity {by!r}; expected one of {sorted(BY_UNITS)}")
    settings = settings or AnalysisSettings()
    if values is not None and len(values) != len(datasets):
        raise ConfigError("one value per file is needed")
    points: list[SeriesPoint] = []
    warnings: list[str] = []
    # Every file's value first, checked before any analysis: a negative power or one value
    # for all files gives no trend (both used to run to exit 0).
    names = [
        str(paths[i]) if paths is not None else str(ds.attrs.get("source_file", i))
        for i, ds in enumerate(datasets)
    ]
    vals: list[float] = []
    for i, (ds, path) in enumerate(zip(datasets, names, strict=True)):
        if values is not None:
            val = float(values[i])
            if not (math.isfinite(val) and val > 0):
                raise ConfigError(f"--values must be > 0 {BY_UNITS[by]}, got {values[i]!r}")
        else:
            val = get_quantity(ds, BY_META[by], BY_UNITS[by])
            if val is None:
                raise InputError(
                    f"no {BY_META[by]} in the metadata; give --values or --meta {BY_META[by]}=...",
                    path,
                )
            if not val > 0:
                raise InputError(f"metadata {BY_META[by]} must be > 0 for a series", path)
        vals.append(val)
    if len(set(vals)) < 2:
        src = "--values" if values is not None else f"the {BY_META[by]} metadata"
        raise ConfigError(f"every file has the same {by} ({src}); a trend needs two or more values")
    for ds, path, val in zip(datasets, names, vals, strict=True):
        st = settings
        if by == "temperature" and settings.temperature is None:
            st = AnalysisSettings(**{**settings.__dict__, "temperature": val})
        with named_errors(path):
            r = analyze_map(ds, st)
        d = r.diffusivity
        points.append(
            SeriesPoint(
                path=path,
                sha256=ds.attrs.get("source_sha256"),
                value=val,
                d=d.value,
                d_err=d.stderr,
                d_ci95=d.ci95,
                d_avg=math.nan if r.d_avg is None else r.d_avg.value,
                d_avg_err=math.nan if r.d_avg is None else r.d_avg.err,
                sigma0=d.sigma0,
                sigma0_err=d.sigma0_err,
                lifetime=r.lifetime.value if r.lifetime is not None else math.nan,
                length_tau_d=r.length_tau_d[0],
                length_tau_d_err=r.length_tau_d[1],
                t_max=math.nan if r.t_max is None else r.t_max.value,
                window_end=d.t_end,
                time_between_excitations=_time_between(ds, by),
                msd_t=r.msd.t,
                msd_sigma=r.msd.sigma,
                msd_sigma_err=r.msd.sigma_err,
                warnings=r.warnings,
            )
        )
        warnings.extend(f"{Path(path).name}: {w}" for w in r.warnings)
    points.sort(key=lambda p: p.value)
    x = np.array([p.value for p in points])
    trends: dict[str, TrendFit | None] = {}
    # Common delay for widths (Li 2023 compares sigma at one delay): the shortest window end.
    delay = float(min(p.window_end for p in points))
    sig = np.array([p.sigma_at(delay) for p in points])

    def attempt(name: str, fn: Any, *args: Any) -> None:
        try:
            trends[name] = fn(*args)
        except FitError as exc:
            trends[name] = None
            warnings.append(f"trend {name} not fitted: {exc.message}")

    if by in ("power", "fluence"):
        attempt("sigma_vs_" + by, linear_trend, x, sig[:, 0], sig[:, 1])
        attempt("d_vs_" + by, linear_trend, x, [p.d for p in points], [p.d_err for p in points])
    tbe = np.array([p.time_between_excitations for p in points])
    if np.all(np.isfinite(tbe)):
        attempt(
            "d_vs_time_between_excitations",
            exponential_relaxation,
            tbe,
            [p.d for p in points],
            [p.d_err for p in points],
        )
    elif by == "rep-rate":
        warnings.append("no rep_rate metadata: D vs time between excitations not fitted")
    inputs = []
    for ds, p in zip(datasets, paths if paths is not None else [None] * len(datasets),
                     strict=True):  # fmt: skip
        attrs = ds.attrs
        extra = {
            k: v
            for k, v in attrs.items()
            if k not in ("source_file", "source_sha256") and isinstance(v, str | int | float)
        }
        path = str(p) if p is not None else str(attrs.get("source_file"))
        inputs.append({"path": path, "sha256": attrs.get("source_sha256"), **extra})
    return SeriesResult(
        by,
        tuple(points),
        delay,
        trends,
        tuple(warnings),
        {"by": by, **settings.to_dict()},
        inputs=tuple(inputs),
    )


def series_results(result: SeriesResult) -> dict[str, Any]:
    """results.json layout of a series (display units in the key names)."""
    unit, fac = BY_DISPLAY[result.by]
    pts = []
    for p in result.points:
        s, se = p.sigma_at(result.sigma_delay)
        pts.append(
            {
                "path": p.path,
                "sha256": p.sha256,
                "value": p.value * fac,
                "d_cm2_s": p.d * 1e4,
                "d_err_cm2_s": p.d_err * 1e4,
                "ci95_cm2_s": [p.d_ci95[0] * 1e4, p.d_ci95[1] * 1e4],
                "d_avg_cm2_s": p.d_avg * 1e4,
                "d_avg_err_cm2_s": p.d_avg_err * 1e4,
                "sigma0_nm": p.sigma0 * 1e9,
                "sigma0_err_nm": p.sigma0_err * 1e9,
                "sigma_at_delay_nm": s * 1e9,
                "sigma_at_delay_err_nm": se * 1e9,
                "lifetime_1e_ns": p.lifetime * 1e9,
                "l_tau_d_avg_nm": p.length_tau_d * 1e9,
                "l_tau_d_avg_err_nm": p.length_tau_d_err * 1e9,
                "t_max_ns": p.t_max * 1e9,
                "time_between_excitations_us": p.time_between_excitations * 1e6,
            }
        )
    return {
        "by": result.by,
        "quantity_label": f"{result.by} [{unit}]",
        "sigma_delay_ns": result.sigma_delay * 1e9,
        "points": pts,
        "trends": {k: None if v is None else v.to_dict() for k, v in result.trends.items()},
        "trend_units": "SI: x in " + BY_UNITS[result.by] + " (tau of the exponential in s), "
        "D in m^2/s, sigma in m",
        "warnings": list(result.warnings),
    }


_CSV_COLUMNS = (
    ("value", None),
    ("d_cm2_s", "D [cm2/s]"),
    ("d_err_cm2_s", "D err [cm2/s]"),
    ("d_avg_cm2_s", "D_avg [cm2/s]"),
    ("d_avg_err_cm2_s", "D_avg err [cm2/s]"),
    ("sigma0_nm", "sigma0 [nm]"),
    ("sigma_at_delay_nm", None),
    ("sigma_at_delay_err_nm", "sigma err [nm]"),
    ("lifetime_1e_ns", "lifetime [ns]"),
    ("l_tau_d_avg_nm", "L sqrt(tau D_avg) [nm]"),
    ("t_max_ns", "t_max [ns]"),
    ("time_between_excitations_us", "time between excitations [us]"),
)


def series_csv(res: dict[str, Any]) -> str:
    """series.csv text from the results.json layout (one row per file, display units)."""
    head = [
        res["quantity_label"] if k == "value"
        else f"sigma at {res['sigma_delay_ns']:.4g} ns [nm]" if k == "sigma_at_delay_nm"
        else name
        for k, name in _CSV_COLUMNS
    ]  # fmt: skip
    lines = [",".join(head)]
    for p in res["points"]:
        lines.append(
            ",".join("" if not np.isfinite(p[c]) else repr(float(p[c])) for c, _ in _CSV_COLUMNS)
        )
    return "\n".join(lines) + "\n"


def series_figure(result: SeriesResult) -> Any:
    """D, lengths and lifetime (or D vs time between excitations) across the series."""
    from nctransport.plotting import new_figure

    res = series_results(result)
    fig, axes = new_figure(1, 3, figsize=(13.0, 4.0))
    x = np.array([p["value"] for p in res["points"]])
    d = np.array([p["d_cm2_s"] for p in res["points"]])
    de = np.array([p["d_err_cm2_s"] for p in res["points"]])
    result.plot_d(axes[0])
    axes[1].errorbar(
        x,
        [p["sigma_at_delay_nm"] for p in res["points"]],
        yerr=[p["sigma_at_delay_err_nm"] for p in res["points"]],
        fmt="o",
        label=f"sigma at {res['sigma_delay_ns']:.3g} ns",
    )
    axes[1].plot(x, [p["sigma0_nm"] for p in res["points"]], "s", label="sigma0")
    axes[1].plot(x, [p["l_tau_d_avg_nm"] for p in res["points"]], "^", label="L = sqrt(tau D_avg)")
    axes[1].set_xlabel(res["quantity_label"])
    axes[1].set_ylabel("length [nm]")
    axes[1].legend(fontsize=8)
    tbe = np.array([p["time_between_excitations_us"] for p in res["points"]])
    tr = result.trends.get("d_vs_time_between_excitations")
    if np.all(np.isfinite(tbe)):
        axes[2].errorbar(tbe, d, yerr=de, fmt="o")
        if tr is not None:
            xx = np.linspace(tbe.min(), tbe.max(), 100) * 1e-6
            pr = tr.params
            axes[2].plot(
                xx * 1e6,
                (pr["y_inf"] + pr["dy"] * np.exp(-xx / pr["tau"])) * 1e4,
                "-",
                label=f"tau = {pr['tau'] * 1e6:.3g} us",
            )
            axes[2].legend(fontsize=8)
        axes[2].set_xlabel("time between excitations [us]")
        axes[2].set_ylabel("D [cm2/s]")
    else:
        axes[2].plot(x, [p["lifetime_1e_ns"] for p in res["points"]], "o")
        axes[2].set_xlabel(res["quantity_label"])
        axes[2].set_ylabel("lifetime (1/e) [ns]")
    return fig
