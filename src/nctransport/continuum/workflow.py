"""``nctransport.fit_model``: a reaction-diffusion model fitted to a whole map, as a result.

The workflow behind ``nctransport fit-model``: load the map (or stack), fit the model to every
pixel and frame at once (:func:`nctransport.continuum.fit.fit_continuum`), and say how far the
confidence intervals can be trusted.

Uncertainties. The fit's own covariance assumes independent (white) noise in every pixel.
That holds for a measured map (shot noise, detector noise) but not for a kinetic Monte Carlo
map: its noise is the sampling noise of a finite set of excitons, which follow their own paths
from frame to frame, so it is correlated across pixels and frames, and a white-noise CI is far
too narrow (Bornschlegl 2024 preset: D = 2.4e-8 m^2/s +- 7 % against a truth of ~2.5e-7).
Therefore:

- given independent repetitions (several files or datasets of the same experiment, e.g. KMC
  runs with different seeds, or a ``signal_repetitions`` variable with a leading
  ``repetition`` dimension), the model is fitted to their mean and the CI comes from a
  delete-one (or delete-group) jackknife over the repetitions (Efron & Tibshirani, *An
  Introduction to the Bootstrap*, 1993, ch. 11), which carries whatever correlation the noise
  has, with a Student t quantile on G - 1 degrees of freedom;
- a single simulated map (``technique = "SIM"``, as ``nctransport simulate`` writes) gets no
  CI (``ci_method = "none"``) and a warning that says why and how to get one;
- a single measured map keeps the fit's white-noise CI.

``ci=`` overrides the choice (``"repetitions"``, ``"residual"``, ``"none"``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings as warnings_module
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.continuum.fit import ContinuumFit, ParameterEstimate, fit_continuum
from nctransport.continuum.models import MODELS, in_range, parameter_range_text
from nctransport.dataset import SIGNAL, kind_of
from nctransport.errors import ConfigError, InputError, NctransportError, UnitError
from nctransport.results import ResultProtocol, SummaryRow, provenance

__all__ = ["FitModelResult", "fit_model", "CI_CHOICES", "REPETITION_DIM"]

#: How the CI is obtained: ``auto`` picks repetitions > none (simulated) > residual.
CI_CHOICES = ("auto", "repetitions", "residual", "none")
#: Leading dimension of the optional ``signal_repetitions`` variable of a dataset.
REPETITION_DIM = "repetition"
#: Jackknife groups at most (more repetitions are pooled into this many groups).
MAX_GROUPS = 20


@dataclasses.dataclass(frozen=True, eq=False)
class FitModelResult(ResultProtocol):
    """A continuum model fitted to a whole map (:func:`fit_model`).

    ``fit`` holds the parameters (SI) with their CIs; ``to_dict()`` is exactly what
    ``results.json`` holds. ``data`` is the map fitted (the mean of the repetitions when
    there are several).
    """

    fit: ContinuumFit
    data: xr.Dataset = dataclasses.field(repr=False)
    settings: dict[str, Any]
    inputs: tuple[dict[str, Any], ...] = ()
    uncertainty: dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    workflow = "fit_model"

    def to_dict(self) -> dict[str, Any]:
        first = self.inputs[0] if self.inputs else {}
        out = {
            **self.fit.to_dict(),
            "uncertainty": dict(self.uncertainty),
            "warnings": list(self.warnings),
            **provenance(first.get("path"), first.get("sha256"), self.settings),
        }
        if len(self.inputs) > 1:
            out["inputs"] = [dict(i) for i in self.inputs]
        return out

    def summary_rows(self) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        d = self.fit.diffusivity
        if d is not None:
            rows.append(("D (per axis)", f"{d.value:.4g} cm^2/s", _ci_text(d.ci95, d.ci_method)))
        shown_d = "D" if "D" in self.fit.params else "D_1ns"
        for k, p in self.fit.params.items():
            if k == shown_d and d is not None:
                continue  # shown above in cm^2/s
            note = "fixed" if p.fixed else _ci_text(p.ci95, p.estimate.ci_method)
            unit = "" if p.unit == "1" else f" {p.unit}"
            rows.append((k, f"{p.value:.4g}{unit}", note))
        if self.fit.noise == "estimated from residuals":
            # chi2 is then in signal units squared: its root is the residual scatter
            units = self.data[SIGNAL].attrs.get("units", "")
            rms = math.sqrt(max(self.fit.reduced_chi2, 0.0))
            rows.append(("residual rms", f"{rms:.4g} {units}".strip(), "noise estimated from it"))
        else:
            rows.append(
                ("reduced chi2", f"{self.fit.reduced_chi2:.4g}", f"noise: {self.fit.noise}")
            )
        rows.append(("CI from", self.uncertainty.get("method", ""), ""))
        return rows

    def headline(self) -> str:
        d = self.fit.diffusivity
        if d is None:
            return f"{self.fit.model} fit"
        return f"D = {d.value:.4g} cm^2/s ({_ci_text(d.ci95, d.ci_method)})"

    def report_title(self) -> str:
        names = ", ".join(Path(i["path"]).name for i in self.inputs if i.get("path"))
        return f"Continuum fit ({self.fit.model})" + (f": {names}" if names else "")

    def _report_inputs(self) -> list[dict[str, Any]]:
        meta = {k: v for k, v in self.data.attrs.items() if not k.startswith("source_")}
        return [{**i, **(meta if n == 0 else {})} for n, i in enumerate(self.inputs)]

    # -- files and figures ----------------------------------------------------------------
    def _model_dataset(self) -> xr.Dataset:
        sig = self.data[SIGNAL]
        model = xr.DataArray(self.fit.model_map, coords=sig.coords, dims=sig.dims)
        return xr.Dataset({"data": sig, "model": model, "residual": sig - model})

    def _write_data(self, out_dir: Path) -> list[Path]:
        from nctransport.io.netcdf import save_netcdf

        return [save_netcdf(self._model_dataset(), out_dir / "model.nc")]

    def _profiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x (nm), t (ns), data and model profiles (a stack is averaged over y)."""
        data = np.asarray(self.data[SIGNAL].values, float)
        model = np.asarray(self.fit.model_map, float)
        if data.ndim == 3:
            data, model = data.mean(axis=1), model.mean(axis=1)
        return self.data.x.values * 1e9, self.data.t.values * 1e9, data, model

    def _rows_shown(self, model: np.ndarray) -> np.ndarray:
        rows = np.nonzero(np.isfinite(model[:, 0]))[0]
        return rows[np.linspace(0, len(rows) - 1, min(5, len(rows))).astype(int)]

    def plot_profiles(self, ax: Any = None) -> Any:
        """Data (dots) and model (lines) at up to five frames; returns ``ax``."""
        ax = _axes(ax)
        x, t, data, model = self._profiles()
        for i in self._rows_shown(model):
            line = ax.plot(x, data[i], ".", ms=3, alpha=0.6)[0]
            ax.plot(x, model[i], "-", color=line.get_color(), label=f"t = {t[i]:.2f} ns")
        ax.set_xlabel("x (nm)")
        ax.set_ylabel(f"signal ({self.data[SIGNAL].attrs.get('units', 'arb')})")
        ax.legend(fontsize=8)
        return ax

    def plot_residuals(self, ax: Any = None) -> Any:
        """Data - model at the frames of :meth:`plot_profiles`; returns ``ax``."""
        ax = _axes(ax)
        x, _, data, model = self._profiles()
        for i in self._rows_shown(model):
            ax.plot(x, data[i] - model[i], ".", ms=2)
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("residual")
        return ax

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_profiles(ax)

    def _figures(self) -> list[tuple[str, str, Any]]:
        from nctransport.plotting import new_fit_figure

        fig, (ax, axr) = new_fit_figure(figsize=(6.5, 6.0))
        self.plot_profiles(ax)
        self.plot_residuals(axr)
        ax.set_xlabel("")
        what = "map" if self.data[SIGNAL].ndim == 2 else "stack (averaged over y)"
        caption = f"{self.fit.model} model (lines) against the {what} (dots), with residuals"
        return [("fit_model_profiles", caption, fig)]


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _ci_text(ci: tuple[float, float] | None, method: str) -> str:
    if ci is None:
        return "no CI (see warnings)" if method == "none" else "no CI"
    return f"95% CI [{ci[0]:.4g}, {ci[1]:.4g}] ({method})"


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


def _to_si(values: Mapping[str, Any] | None, model: str, option: str) -> dict[str, float]:
    """``{"D": "0.01cm2/s"}`` (text with units, pint quantities or SI floats) -> SI floats."""
    units = MODELS[model].units
    out: dict[str, float] = {}
    for k, v in (values or {}).items():
        if k not in units:
            raise ConfigError(
                f"{option}: model {model!r} has no parameter {k!r} ({', '.join(units)})"
            )
        if units[k] == "1":
            try:
                out[k] = float(getattr(v, "magnitude", v))
            except (TypeError, ValueError):
                raise ConfigError(f"{option} {k}={v!r} is not a number") from None
        elif isinstance(v, int | float):
            out[k] = float(v)  # floats are SI
        else:
            from nctransport.units import parse_quantity

            text = f"{v:~}" if hasattr(v, "magnitude") else str(v)
            try:
                out[k] = parse_quantity(text, units[k].replace("^", "**"), name=f"{option} {k}")
            except UnitError as exc:
                raise ConfigError(exc.message) from None
        if not math.isfinite(out[k]):
            raise ConfigError(f"{option} {k}={v} is not finite")
        fitted = option == "--init" and k in MODELS[model].fitted
        if not in_range(k, out[k], fitted=fitted):
            rule = (
                f"{k} > 0: it is fitted in log coordinates"
                if fitted and in_range(k, out[k])
                else parameter_range_text(k)
            )
            raise ConfigError(f"{option} {k}={v} is outside the physical range ({rule})")
    return out


def _setting_items(values: Mapping[str, Any] | None) -> list[str]:
    return [f"{k}={v}" for k, v in (values or {}).items()]


def _load_one(item: Any, overrides: Mapping[str, Any]) -> tuple[xr.Dataset, dict[str, Any]]:
    if isinstance(item, xr.Dataset):
        return item, {
            "path": item.attrs.get("source_file"),
            "sha256": item.attrs.get("source_sha256"),
        }
    from nctransport.io import load
    from nctransport.io.output import check_input_path

    path = check_input_path(item)
    ds = load(path, **dict(overrides))
    return ds, {"path": str(path), "sha256": ds.attrs.get("source_sha256")}


def _where(info: Mapping[str, Any]) -> str | None:
    return info.get("path")


def _repetitions(
    datasets: list[xr.Dataset], infos: list[dict[str, Any]]
) -> tuple[xr.Dataset, np.ndarray | None]:
    """The map to fit and, when there are independent repetitions, their signals."""
    first = datasets[0]
    if len(datasets) == 1:
        reps = first.get("signal_repetitions")
        if reps is None:
            return first, None
        if reps.dims[:1] != (REPETITION_DIM,) or reps.dims[1:] != first[SIGNAL].dims:
            raise InputError(
                f"signal_repetitions must have dims ({REPETITION_DIM!r}, *{first[SIGNAL].dims}),"
                f" got {reps.dims}",
                _where(infos[0]),
            )
        arr = np.asarray(reps.values, float)
        mean = first.copy()
        mean[SIGNAL] = first[SIGNAL].copy(data=_nanmean(arr))
        return mean, arr
    kind = kind_of(first)
    for ds, info in zip(datasets[1:], infos[1:], strict=True):
        if kind_of(ds) != kind or ds[SIGNAL].shape != first[SIGNAL].shape:
            raise InputError(
                f"is not a repetition of {Path(str(_where(infos[0]))).name}: "
                f"{kind_of(ds)} {ds[SIGNAL].shape} vs {kind} {first[SIGNAL].shape}",
                _where(info),
            )
        for dim in first[SIGNAL].dims:
            a, b = np.asarray(first[dim].values, float), np.asarray(ds[dim].values, float)
            if not np.allclose(a, b, rtol=1e-6, atol=0.0):
                raise InputError(f"axis {dim!r} differs from the first file's", _where(info))
        if ds[SIGNAL].attrs.get("units") != first[SIGNAL].attrs.get("units"):
            raise InputError("signal units differ from the first file's", _where(info))
    arr = np.stack([np.asarray(ds[SIGNAL].values, float) for ds in datasets])
    mean = first.copy()
    mean[SIGNAL] = first[SIGNAL].copy(data=_nanmean(arr))
    return mean, arr


def _is_simulated(ds: xr.Dataset) -> bool:
    """Written by the KMC (``nctransport simulate``): technique SIM / a simulated technique."""
    return str(ds.attrs.get("technique", "")).upper() == "SIM" or "simulated_technique" in ds.attrs


# ---------------------------------------------------------------------------------------------
# the workflow
# ---------------------------------------------------------------------------------------------


def fit_model(
    data: str | Path | xr.Dataset | Sequence[str | Path | xr.Dataset],
    *,
    model: str = "diffusion",
    fix: Mapping[str, Any] | None = None,
    init: Mapping[str, Any] | None = None,
    window: str | tuple[float, float] | None = None,
    ci: str = "auto",
    t_unit: str | None = None,
    x_unit: str | None = None,
    t0: str | float | None = None,
    times: str | None = None,
    pixel: str | None = None,
    meta: Mapping[str, str] | None = None,
) -> FitModelResult:
    """Fit a reaction-diffusion model to every pixel and frame of a map (or stack) at once.

    Parameters
    ----------
    data
        A file, an :class:`xarray.Dataset`, or several of them: independent repetitions of
        one experiment (same axes), fitted as their mean with a jackknife CI.
    model
        ``"diffusion"``, ``"power-law"`` or ``"bright-dark-trap"``
        (:data:`nctransport.continuum.models.MODELS`).
    fix, init
        Parameters held fixed / start values: text with units (``"6e9/s"``), pint
        quantities, or floats in SI. Values outside the physical range are refused.
    window
        Frames fitted after t0, ``"0ns:5ns"`` or (start, end) in s.
    ci
        ``"auto"`` (repetitions when given; none for a single simulated map; else the fit's
        white-noise CI), ``"repetitions"``, ``"residual"`` or ``"none"``.
    t_unit, x_unit, t0, times, pixel, meta
        Reader overrides for files, as on the command line.

    Returns
    -------
    FitModelResult
        ``to_dict()`` is what ``nctransport fit-model`` writes to results.json.

    Examples
    --------
    >>> import nctransport as nct
    >>> r = nct.fit_model("map.csv", model="diffusion", window="0ns:3ns")  # doctest: +SKIP
    >>> r.to_dict()["diffusivity"]["value_cm2_s"]  # doctest: +SKIP
    """
    if model not in MODELS:
        raise ConfigError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    if ci not in CI_CHOICES:
        raise ConfigError(f"--ci must be one of {', '.join(CI_CHOICES)}, got {ci!r}")
    fixed = _to_si(fix, model, "--fix")
    start = _to_si(init, model, "--init")
    if isinstance(window, str):
        from nctransport.microscopy.window import parse_window

        w = parse_window(window)
        win = (-np.inf if w.start is None else w.start, np.inf if w.end is None else w.end)
        if win[1] <= win[0]:
            raise ConfigError(f"--window {window!r} ends before it starts")
    else:
        win = None if window is None else (float(window[0]), float(window[1]))
    overrides = {
        k: v
        for k, v in dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel).items()
        if v is not None
    }
    overrides.update(dict(meta or {}))
    items = list(data) if isinstance(data, list | tuple) else [data]
    if not items:
        raise InputError("no input given")
    loaded = [_load_one(item, overrides) for item in items]
    datasets = [d for d, _ in loaded]
    infos = [i for _, i in loaded]
    where = _where(infos[0])
    ds, reps = _repetitions(datasets, infos)
    simulated = any(_is_simulated(d) for d in datasets)

    def run(target: xr.Dataset, start_values: dict[str, float]) -> ContinuumFit:
        try:
            return fit_continuum(target, model, fix=fixed, init=start_values, window=win)
        except NctransportError as exc:
            if exc.path is None and not isinstance(exc, ConfigError):
                raise type(exc)(exc.message, where) from None
            raise

    fit = run(ds, start)
    warnings: list[str] = []
    n_reps = 0 if reps is None else reps.shape[0]
    method = ci
    if ci == "auto":
        method = "repetitions" if n_reps >= 2 else "none" if simulated else "residual"
    if method == "repetitions":
        if n_reps < 3:
            raise ConfigError(
                f"--ci repetitions needs at least 3 independent repetitions, got {n_reps}"
            )
        fit, groups, problem = _jackknife(fit, reps, ds, run)
        if problem:
            warnings.append(problem)
        uncertainty = {
            "method": f"jackknife over {n_reps} repetitions ({groups} groups)",
            "repetitions": n_reps,
            "groups": groups,
        }
    elif method == "none":
        fit = _without_ci(fit)
        uncertainty = {"method": "none", "repetitions": n_reps or None}
        if simulated and ci == "auto":
            warnings.append(
                "simulated (KMC) map: its noise is the sampling noise of a finite set of "
                "excitons, correlated across pixels and frames, not the white noise the fit's "
                "covariance assumes, so no CI is reported; fit at least 3 runs with different "
                "seeds together (fit-model run1.nc run2.nc run3.nc ...) for a jackknife CI"
            )
    else:
        uncertainty = {"method": "white-noise fit covariance", "repetitions": n_reps or None}
        if simulated:
            warnings.append(
                "simulated (KMC) map with a white-noise CI (--ci residual): KMC sampling noise "
                "is correlated across pixels and frames, so this CI is too narrow"
            )
    if not fit.converged:
        warnings.append(f"fit did not converge: {fit.message}")
    if fit.edge_fraction > 0.05:
        warnings.append(
            f"the t0 frame has {fit.edge_fraction:.0%} of its peak at the edges; the model "
            "treats the window as periodic, so widen the field of view"
        )
    settings = {
        "model": model,
        "fix": _setting_items(fix),
        "init": _setting_items(init),
        "window": window if window is None or isinstance(window, str) else list(win or ()),
        "ci": ci,
    }
    return FitModelResult(
        fit=fit,
        data=ds,
        settings=settings,
        inputs=tuple(infos),
        uncertainty=uncertainty,
        warnings=tuple(warnings),
    )


def _without_ci(fit: ContinuumFit) -> ContinuumFit:
    params = {
        k: p if p.fixed else dataclasses.replace(p, stderr=None, ci95=None, ci_method="none")
        for k, p in fit.params.items()
    }
    return dataclasses.replace(fit, params=params, correlations={})


def _nanmean(arr: np.ndarray) -> np.ndarray:
    # a pixel that is NaN in every repetition stays NaN (the fit masks it), silently
    with np.errstate(all="ignore"), warnings_module.catch_warnings():
        warnings_module.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(arr, axis=0)


#: A jackknife interval wider than this factor either way is not reported: the repetitions'
#: fits then disagree by orders of magnitude and no interval would mean anything.
MAX_CI_FACTOR = 1e6


def _jackknife(
    fit: ContinuumFit, reps: np.ndarray, ds: xr.Dataset, run: Any
) -> tuple[ContinuumFit, int, str | None]:
    """Delete-a-group jackknife over independent repetitions, in log parameters.

    With G groups, theta_(g) fitted to the mean of all repetitions but group g:
    var = (G - 1) / G * sum_g (theta_(g) - mean)^2 (Efron & Tibshirani 1993, eq. 11.5);
    the interval v exp(+-t_{G-1} s) keeps positive parameters positive, as the fit's own.
    Returns the fit with these intervals, G, and a warning when no interval can be given.
    """
    from scipy import special

    n = reps.shape[0]
    groups = min(n, MAX_GROUPS)
    label = np.arange(n) % groups
    free = [k for k, p in fit.params.items() if not p.fixed]
    start = {k: fit.params[k].value for k in free}
    logs = np.empty((groups, len(free)))
    for g in range(groups):
        sub = ds.copy()
        sub[SIGNAL] = ds[SIGNAL].copy(data=_nanmean(reps[label != g]))
        try:
            f = run(sub, start)
        except NctransportError as exc:
            why = f"the fit without repetition group {g + 1} failed ({exc.message})"
            return _without_ci(fit), groups, f"no CI: {why}"
        logs[g] = [math.log(max(f.params[k].value, 1e-300)) for k in free]
    s_log = np.sqrt((groups - 1) / groups * np.sum((logs - logs.mean(axis=0)) ** 2, axis=0))
    q = float(special.stdtrit(groups - 1, 0.975))
    if not np.all(np.isfinite(s_log)) or np.any(q * s_log > math.log(MAX_CI_FACTOR)):
        worst = free[int(np.argmax(np.nan_to_num(s_log, nan=np.inf)))]
        return (
            _without_ci(fit),
            groups,
            f"no CI: the fits of the repetitions disagree on {worst} by more than a factor "
            f"{MAX_CI_FACTOR:g}; the data do not constrain it",
        )
    params: dict[str, ParameterEstimate] = dict(fit.params)
    for i, k in enumerate(free):
        v = fit.params[k].value
        s = float(s_log[i])
        params[k] = dataclasses.replace(
            fit.params[k],
            stderr=v * s,
            ci95=(v * math.exp(-q * s), v * math.exp(q * s)),
            ci_method="t",
        )
    with np.errstate(all="ignore"):
        corr = np.corrcoef(logs.T) if len(free) > 1 else np.ones((1, 1))
    correlations = {
        f"{a}~{free[j]}": float(corr[i, j])
        for i, a in enumerate(free)
        for j in range(i + 1, len(free))
    }
    return dataclasses.replace(fit, params=params, correlations=correlations), groups, None
