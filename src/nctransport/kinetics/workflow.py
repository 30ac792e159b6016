"""The decay-fitting workflow behind ``nctransport kinetics`` and ``nct.fit_decay``.

One call takes a decay, a map or a stack (a path, several paths, or an ``xarray.Dataset``),
picks the decay(s) to fit, chooses the statistics (Poisson MLE for counts, least squares
for analog signals), the IRF (fitted Gaussian, a Gaussian of known width, none, or a
measured IRF file) and the model (named, or chosen by BIC/AIC), and returns a result with
the shared result protocol: ``to_dict()`` is what ``results.json`` holds.

>>> import nctransport as nct                                    # doctest: +SKIP
>>> k = nct.fit_decay("decay.csv", model="exp2", irf="fit")     # doctest: +SKIP
>>> k.to_dict()["components"][0]["tau_ns"]                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import ConfigError, InputError
from nctransport.kinetics.fit import MODELS, NS, Z95, DecayFit
from nctransport.kinetics.inputs import as_quantity, load_data, naming
from nctransport.report.binning import group_edges, group_mean, group_mean_err, group_sum
from nctransport.results import Estimate, ResultProtocol, SummaryRow, provenance

COUNT_UNITS = {"counts", "count", "cts", "photons"}


# ------------------------------------------------------------------------------ inputs
def parse_window(window: Any) -> tuple[float, float] | None:
    """``"0ns:50ns"`` or ``("0ns", "50ns")`` -> (0, 5e-8) s; an open end is unbounded.

    >>> parse_window("2ns:")[0], parse_window(("0ns", "5ns"))[1]
    (2e-09, 5e-09)
    """
    if window is None:
        return None
    if isinstance(window, str):
        from nctransport.microscopy.window import parse_window as parse_fit_window

        w = parse_fit_window(window)
        start, end = w.start, w.end
    elif isinstance(window, Sequence) and len(window) == 2:
        start, end = (None if v is None else as_quantity(v, "s", name="window") for v in window)
        if start is not None and end is not None and not start < end:
            raise ConfigError(f"--window start must be before end; got {window!r}")
    else:
        raise ConfigError(f"--window expects START:END with units, e.g. 0ns:50ns; got {window!r}")
    return (-np.inf if start is None else start, np.inf if end is None else end)


def _nearest(axis: np.ndarray, value: float, name: str) -> int:
    if not (axis.min() - 1e-12 <= value <= axis.max() + 1e-12) and axis.size > 1:
        raise ConfigError(
            f"--position {name} = {value:g} m is outside the data "
            f"({axis.min():g} to {axis.max():g} m)"
        )
    return int(np.argmin(np.abs(axis - value)))


def extract_decays(
    ds: Any, *, position: str | None, per_pixel: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray] | None, str]:
    """Time axis (s), decays (rows), pixel coordinates for the rows, and a description."""
    from nctransport.dataset import SIGNAL, kind_of
    from nctransport.units import parse_quantity

    kind = kind_of(ds)
    sig = np.asarray(ds[SIGNAL].values, dtype=float)
    t = np.asarray(ds["t"].values, dtype=float) if "t" in ds.dims else None
    path = ds.attrs.get("source_file")
    if kind == "decay":
        if position is not None:
            raise ConfigError("--position needs a map or a stack, this file is a decay")
        return t, sig[None, :], None, "decay"
    if kind == "map":
        x = np.asarray(ds["x"].values, dtype=float)
        if position is not None:
            ix = _nearest(x, parse_quantity(position, "m", name="--position"), "x")
            return t, sig[:, ix][None, :], None, f"map column at x = {x[ix] * 1e6:.4g} um"
        if per_pixel:
            return t, sig.T, {"x": x}, f"map, {x.size} positions"
        return t, np.nansum(sig, axis=1)[None, :], None, "map integrated over x"
    if kind == "stack":
        x = np.asarray(ds["x"].values, dtype=float)
        y = np.asarray(ds["y"].values, dtype=float)
        if position is not None:
            parts = position.split(",")
            if len(parts) != 2:
                raise ConfigError("--position on a stack needs X,Y with units, e.g. 1um,2um")
            ix = _nearest(x, parse_quantity(parts[0].strip(), "m", name="--position x"), "x")
            iy = _nearest(y, parse_quantity(parts[1].strip(), "m", name="--position y"), "y")
            return t, sig[:, iy, ix][None, :], None, f"stack pixel ({x[ix]:.3g}, {y[iy]:.3g}) m"
        if per_pixel:
            rows = sig.reshape(sig.shape[0], -1).T
            return t, rows, {"y": y, "x": x}, f"stack, {y.size}x{x.size} pixels"
        return t, np.nansum(sig, axis=(1, 2))[None, :], None, "stack integrated over x, y"
    raise InputError(f"kinetics needs a decay, map or stack, got a {kind}", path)


def _uniform(t_s: np.ndarray, what: str) -> None:
    dt = np.diff(t_s)
    if dt.size == 0 or np.max(np.abs(dt - dt.mean())) > 1e-6 * abs(dt.mean()):
        raise InputError(f"{what} needs data on a uniform time grid")


def load_irf(
    path: str | Path, t_s: np.ndarray, *, load_options: Mapping[str, Any] | None = None
) -> np.ndarray:
    """A measured IRF, integrated over space if needed, baseline-subtracted, on ``t_s``.

    The baseline (dark counts) is the 10th percentile of the IRF; left in, it would be
    convolved with the decay and mimic a slow component.
    """
    ds = load_data(path, load_options=load_options, what="--irf")
    with naming(path):
        t_irf, rows, _, _ = extract_decays(ds, position=None, per_pixel=False)
        irf = np.nan_to_num(rows[0])
        irf = np.clip(irf - np.percentile(irf, 10), 0.0, None)
        if np.max(irf) <= 0:
            raise InputError("IRF has no positive values", path)
    _uniform(t_s, "a measured IRF")
    return np.interp(t_s, t_irf, irf, left=0.0, right=0.0)


def gaussian_irf_on(t_s: np.ndarray, fwhm_s: float) -> np.ndarray:
    """A Gaussian IRF of known FWHM centred at t = 0, used as a 'measured' IRF whose shift
    (time zero) is fitted."""
    from nctransport.kinetics.models import gaussian_irf

    _uniform(t_s, "a Gaussian IRF of fixed width (--irf gaussian:FWHM)")
    return gaussian_irf(np.asarray(t_s) / NS, 0.0, fwhm_s / NS)


def _is_counts(ds: Any) -> bool:
    from nctransport.dataset import SIGNAL

    return str(ds[SIGNAL].attrs.get("units", "")).strip().lower() in COUNT_UNITS


# ------------------------------------------------------------------------------ results
def _fmt(v: float | None, spec: str = ".4g") -> str:
    return "n/a" if v is None or not np.isfinite(v) else format(v, spec)


def _source_dict(sources: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict:
    if len(sources) == 1:
        return provenance(sources[0]["path"], sources[0]["sha256"], settings)
    prov = provenance(None, None, settings)
    prov["input"] = {
        "path": [s["path"] for s in sources],
        "sha256": [s["sha256"] for s in sources],
    }
    return prov


#: Most points drawn per decay curve. Longer decays (TCSPC: 4096 bins) are drawn as the
#: means of consecutive bins, for display only: every bin stays in decay_fit.csv, and the
#: figure costs the same for 100 or 10 000 bins (issue 17).
MAX_DECAY_POINTS = 600


def _draw_decay(
    ax: Any,
    t_s: np.ndarray,
    data: np.ndarray,
    fitted: np.ndarray,
    irf_curve: np.ndarray | None,
    title: str | None = None,
) -> Any:
    """Data, fit and scaled IRF on a log signal axis, on a matplotlib or an SVG Axes."""
    from nctransport.report.style import COLORS, label_axes

    data = np.asarray(data, dtype=float)
    edges = group_edges(data.size, MAX_DECAY_POINTS)
    tn = group_mean(np.asarray(t_s) / NS, edges)
    shown = group_mean(data, edges)
    pos = shown > 0
    label = "data" if edges is None else f"data (means of {data.size} bins in {tn.size} groups)"
    ax.plot(tn[pos], shown[pos], ".", ms=3, label=label, color="#000000")
    fit = group_mean(fitted, edges)
    ax.plot(tn, np.maximum(fit, 1e-12), "-", lw=1.5, label="fit", color=COLORS["fit"])
    if irf_curve is not None and np.max(irf_curve) > 0:
        scaled = group_mean(irf_curve, edges) / np.max(irf_curve) * np.max(data)
        ax.plot(
            tn, np.maximum(scaled, 1e-12), "--", lw=1, label="IRF (scaled)", color=COLORS["data"]
        )
    ax.set_yscale("log")
    if pos.any():
        lo = max(np.min(shown[pos]) * 0.5, 1e-3)
        ax.set_ylim(lo, np.max(data) * 2)
    label_axes(ax, x=("t", "ns"), y=("signal", None))
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def _draw_residuals(ax: Any, t_s: np.ndarray, resid: np.ndarray) -> Any:
    """Weighted residuals vs time (groups of bins for long decays, see :data:`MAX_DECAY_POINTS`)."""
    from nctransport.report.style import COLORS, label_axes

    edges = group_edges(np.asarray(resid).size, MAX_DECAY_POINTS)
    tn = group_mean(np.asarray(t_s) / NS, edges)
    # residual of a group: sum / sqrt(n), unit variance like a single bin's, so the panel
    # keeps its scale and a systematic misfit stands out
    shown = group_sum(resid, edges) / (1.0 if edges is None else np.sqrt(np.diff(edges)))
    ax.plot(tn, shown, ".", ms=2, color=COLORS["model"])
    ax.axhline(0, color="#000000", lw=0.8)
    label_axes(ax, x=("t", "ns"), y=("weighted resid.", None))
    return ax


def _decay_csv(t_s, data, fitted, resid) -> str:
    lines = ["t [ns],data,fit,weighted_residual"]
    lines += [
        f"{a:.9g},{b:.9g},{c:.9g},{d:.6g}"
        for a, b, c, d in zip(np.asarray(t_s) / NS, data, fitted, resid, strict=True)
    ]
    return "\n".join(lines) + "\n"


class _DecayPlots:
    """``plot()``, ``plot_decay``, ``plot_residuals`` shared by single and global results."""

    def _curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        raise NotImplementedError

    def _title(self) -> str:
        raise NotImplementedError

    def plot_decay(self, ax: Any = None) -> Any:
        """Data, fit (and IRF, scaled) on a log axis; returns ``ax``.

        ``ax``: a matplotlib Axes (a new one when None) or an
        :class:`nctransport.report.svg.SvgAxes`. Decays longer than
        :data:`MAX_DECAY_POINTS` bins are drawn as means of groups of consecutive bins.
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        t, data, fitted, irf, _ = self._curves()
        return _draw_decay(ax, t, data, fitted, irf, self._title())

    def plot_residuals(self, ax: Any = None) -> Any:
        """Weighted residuals vs time (of groups of bins, ``sum / sqrt(n)``, for long decays);
        returns ``ax``."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        t, _, _, _, resid = self._curves()
        return _draw_residuals(ax, t, resid)

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_decay(ax)

    def plot(self, ax: Any = None) -> Any:
        """Decay and fit on ``ax``; without ``ax``, a new pyplot figure with the residuals in a
        panel underneath. Returns the decay axes."""
        if ax is not None:
            return self.plot_decay(ax)
        import matplotlib.pyplot as plt

        _, (top, bottom) = plt.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]}, figsize=(6.5, 5.0)
        )
        self.plot_decay(top)
        self.plot_residuals(bottom)
        return top

    def _decay_figure(self, backend: str = "matplotlib") -> tuple[str, str, Any]:
        if backend == "svg":  # no matplotlib import (issue 17)
            from nctransport.report.svg import SvgFigure

            fig = SvgFigure(2, 1, figsize=(6.5, 5.0), sharex=True, height_ratios=[2.5, 1.0])
            fig.subplots_adjust(left=0.12, right=0.97, bottom=0.1, top=0.94, hspace=0.12)
            ax, axr = fig.axes
        elif backend == "matplotlib":
            from nctransport.plotting import new_fit_figure

            fig, (ax, axr) = new_fit_figure(figsize=(6.5, 5.0))
        else:
            raise ValueError(f"backend must be 'svg' or 'matplotlib', not {backend!r}")
        self.plot_decay(ax)
        self.plot_residuals(axr)
        ax.set_xlabel("")
        caption = "Decay, fit and weighted residuals"
        n = np.asarray(self._curves()[1]).size
        edges = group_edges(n, MAX_DECAY_POINTS)
        if edges is not None:
            caption += (
                f"; {n} bins drawn in {edges.size - 1} groups of consecutive bins (means; "
                "residual of a group: sum / √n), every bin is in decay_fit.csv"
            )
        return ("decay_fit", caption, fig)

    def _write_curves(self, out_dir: Path) -> list[Path]:
        from nctransport.io.atomic import write_text

        t, data, fitted, _, resid = self._curves()
        return [write_text(out_dir / "decay_fit.csv", _decay_csv(t, data, fitted, resid))]


def _component_rows(components: Sequence[Mapping[str, Any]]) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    for i, c in enumerate(components, start=1):
        note = [f"± {_fmt(c.get('tau_err_ns'), '.2g')} ns"]
        if c.get("amplitude_fraction") is not None:
            note.append(f"ampl. frac. {_fmt(c['amplitude_fraction'], '.3g')}")
        if c.get("photon_fraction") is not None:
            note.append(f"photon frac. {_fmt(c['photon_fraction'], '.3g')}")
        rows.append((f"tau{i}", f"{_fmt(c.get('tau_ns'))} ns", "; ".join(note)))
    return rows


def _fit_rows(d: Mapping[str, Any]) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    sel = d.get("selection")
    note = f"chosen by {sel['criterion'].upper()}" if sel else "as requested"
    rows.append(("model", f"{d['model']} ({d.get('method')})", note))
    rows += _component_rows(d["components"])
    if d.get("irf_fwhm_ns") is not None:
        rows.append(("IRF FWHM", f"{_fmt(d['irf_fwhm_ns'])} ns", ""))
    if d.get("irf_shift_ns") is not None:
        rows.append(("IRF shift", f"{_fmt(d['irf_shift_ns'])} ns", ""))
    if d.get("lifetime_1e_ns") is not None:
        rows.append(("1/e lifetime", f"{_fmt(d['lifetime_1e_ns'])} ns", ""))
    rows.append(("reduced chi2", _fmt(d.get("reduced_chi2")), ""))
    rows.append(("AIC / BIC", f"{_fmt(d.get('aic'))} / {_fmt(d.get('bic'))}", ""))
    rows.append(("converged", str(d["converged"]), "" if d["converged"] else d.get("message", "")))
    for r in (sel or {}).get("reasons", []):
        rows.append(("selection", "", r))
    return rows


def _lifetimes(components: Sequence[Mapping[str, Any]]) -> tuple[Estimate, ...]:
    out = []
    for c in components:
        v, e = c["tau_ns"], c["tau_err_ns"]
        if e is None or not np.isfinite(e):
            out.append(Estimate(v, None, None, "ns", "none"))
        else:  # the fit's rule: +-1.96 sd (normal approximation, see kinetics.fit)
            out.append(Estimate(v, e, (v - Z95 * e, v + Z95 * e), "ns", "normal"))
    return tuple(out)


@dataclass(frozen=True, repr=False, eq=False)
class DecayFitResult(_DecayPlots, ResultProtocol):
    """One decay fitted: components (tau with errors), IRF, model selection, convergence.

    ``to_dict()`` is exactly ``results.json`` of ``nctransport kinetics``.
    """

    fit: DecayFit
    selection: Any  # nctransport.kinetics.select.Selection | None
    settings: dict[str, Any]
    sources: tuple[dict[str, Any], ...]
    irf_curve: np.ndarray | None = field(default=None)
    title: str = ""
    warnings: tuple[str, ...] = ()

    workflow = "fit_decay"

    @property
    def model(self) -> str:
        return self.fit.model

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def lifetimes(self) -> tuple[Estimate, ...]:
        """Lifetimes (ns), shortest first, as Estimates with their 95 % intervals."""
        return _lifetimes([c.to_dict() for c in self.fit.components])

    def to_dict(self) -> dict[str, Any]:
        d = self.fit.to_dict()
        keys = [
            "model",
            "method",
            "components",
            "irf_fwhm_ns",
            "irf_shift_ns",
            "lifetime_1e_ns",
            "aic",
            "bic",
            "reduced_chi2",
            "converged",
        ]
        res = {k: d[k] for k in keys}
        res.update({k: v for k, v in d.items() if k not in res})  # parameters, window...
        if self.selection is not None:
            res["selection"] = self.selection.to_dict()
        res.update(_source_dict(self.sources, self.settings))
        return res

    def summary_rows(self) -> list[SummaryRow]:
        return _fit_rows(self.to_dict())

    def headline(self) -> str:
        taus = ", ".join(_fmt(e.value) for e in self.lifetimes) or "n/a"
        return f"tau = {taus} ns ({self.fit.model})"

    def _curves(self):
        f = self.fit
        return f.t_s, f.data, f.fitted, self.irf_curve, f.residuals

    def _title(self) -> str:
        return self.title

    def _report_results(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in ("input", "settings")}

    def _report_inputs(self) -> list[dict[str, Any]]:
        # the report's results table leaves "input" out, so name the files here
        return [dict(src) for src in self.sources if src.get("path")]

    def _write_data(self, out_dir: Path) -> list[Path]:
        return self._write_curves(out_dir)

    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        return [self._decay_figure(backend)]


@dataclass(frozen=True, repr=False, eq=False)
class GlobalDecayResult(_DecayPlots, ResultProtocol):
    """Decays fitted together with shared lifetimes; per-decay amplitudes as maps.

    ``amplitudes`` is an ``xarray.Dataset`` (``amplitude``, ``amplitude_err`` per component
    and pixel/decay), written as ``amplitudes.nc``.
    """

    fit: Any  # nctransport.kinetics.global_fit.GlobalFit
    selection: Any
    settings: dict[str, Any]
    sources: tuple[dict[str, Any], ...]
    coords: dict[str, np.ndarray] | None = None
    warnings: tuple[str, ...] = ()

    workflow = "fit_decay"

    @property
    def model(self) -> str:
        return self.fit.model

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def lifetimes(self) -> tuple[Estimate, ...]:
        return _lifetimes(self.fit.to_dict()["components"])

    @property
    def amplitudes(self) -> Any:
        ds = self.fit.amplitude_dataset(self.coords)
        ds.attrs["source_file"] = ", ".join(str(s["path"]) for s in self.sources)
        return ds

    def input_paths(self) -> list[Path]:
        return [Path(s["path"]) for s in self.sources if s.get("path")]

    def to_dict(self) -> dict[str, Any]:
        d = self.fit.to_dict()
        sp = d["shared_parameters"]
        res = {
            "model": d["model"],
            "method": d["method"],
            "components": d["components"],
            "irf_fwhm_ns": sp.get("irf_fwhm_ns", {}).get("value"),
            "irf_shift_ns": (sp.get("irf_t0_ns") or sp.get("irf_shift_ns") or {}).get("value"),
            "lifetime_1e_ns": None,
            "aic": d["aic"],
            "bic": d["bic"],
            "reduced_chi2": d["reduced_chi2"],
            "converged": d["converged"],
        }
        comps = d["components"]
        if comps and d["model"] in ("exp1", "exp2", "exp3"):
            from nctransport.kinetics.models import lifetime_1e

            res["lifetime_1e_ns"] = lifetime_1e(
                [c["amplitude"] for c in comps], [c["tau_ns"] for c in comps]
            )
        res.update({k: v for k, v in d.items() if k not in res})
        if self.selection is not None:
            res["selection"] = self.selection.to_dict() | {
                "reasons": list(self.selection.reasons)
                + [f"model chosen on the summed decay, then fitted globally as {self.model}"]
            }
        res["amplitudes_file"] = "amplitudes.nc"  # next to results.json
        res.update(_source_dict(self.sources, self.settings))
        return res

    def summary_rows(self) -> list[SummaryRow]:
        rows = _fit_rows(self.to_dict())
        rows.insert(1, ("decays", str(self.fit.amplitudes.shape[0]), "shared lifetimes"))
        return rows

    def headline(self) -> str:
        taus = ", ".join(_fmt(e.value) for e in self.lifetimes) or "n/a"
        return f"tau = {taus} ns (global {self.fit.model}, {self.fit.amplitudes.shape[0]} decays)"

    def _curves(self):
        g = self.fit
        data_sum = g.data.sum(axis=0)
        fit_sum = g.fitted.sum(axis=0)
        resid = (data_sum - fit_sum) / np.sqrt(np.maximum(fit_sum, 1e-12))
        return g.t_s, data_sum, fit_sum, None, resid

    def _title(self) -> str:
        return f"global {self.fit.model}: sum of {self.fit.amplitudes.shape[0]} decays"

    def plot_amplitudes(self, ax: Any = None) -> Any:
        """Amplitude of each component vs position (1D) or the first component's map (2D)."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        _draw_amplitudes([ax], self.amplitudes, first_only=True)
        return ax

    def _report_results(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in ("input", "settings")}

    def _report_inputs(self) -> list[dict[str, Any]]:
        # the report's results table leaves "input" out, so name the files here
        return [dict(src) for src in self.sources if src.get("path")]

    def _write_data(self, out_dir: Path) -> list[Path]:
        from nctransport.io.netcdf import save_netcdf

        amp = save_netcdf(self.amplitudes, out_dir / "amplitudes.nc")
        return [amp, *self._write_curves(out_dir)]

    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        decay = self._decay_figure(backend)  # checks the backend's name
        amp = self.amplitudes
        comps = [c for c in amp.component.values if c != "background"]
        dims = [d for d in amp.amplitude.dims if d != "component"]
        ncols = len(comps) if len(dims) == 2 else 1
        figsize = (4.0 * ncols, 3.6) if len(dims) == 2 else (6.0, 3.6)
        if backend == "svg":
            from nctransport.report.svg import SvgFigure

            fig = SvgFigure(1, ncols, figsize=figsize)
            if len(dims) == 2:  # room for the colour bars and the y labels
                fig.subplots_adjust(left=0.08, right=0.96, bottom=0.14, wspace=0.3)
            else:
                fig.subplots_adjust(left=0.13, bottom=0.14)
            axes = fig.axes
        else:
            from nctransport.plotting import new_figure

            fig, grid = new_figure(1, ncols, figsize=figsize, squeeze=False)
            axes = list(grid[0])
        _draw_amplitudes(axes, amp)
        return [decay, ("amplitudes", "Amplitude of each component (shared lifetimes)", fig)]


def _draw_amplitudes(axes: list[Any], amp_ds: Any, *, first_only: bool = False) -> None:
    """Amplitude maps (one panel per component) or amplitude vs position, on matplotlib or
    SVG Axes."""
    from nctransport.report.style import label_axes

    comps = [c for c in amp_ds.component.values if c != "background"]
    dims = [d for d in amp_ds.amplitude.dims if d != "component"]
    if len(dims) == 2:
        for ax, c in zip(axes, comps[:1] if first_only else comps, strict=False):
            a = amp_ds.amplitude.sel(component=c)
            x, y = amp_ds.x.values * 1e6, amp_ds.y.values * 1e6
            im = ax.pcolormesh(x, y, a.values, shading="nearest")
            ax.figure.colorbar(im, ax=ax)
            tau = float(amp_ds.tau.sel(component=c)) / NS
            label_axes(ax, x=("x", "um"), y=("y", "um"), title=f"tau = {tau:.3g} ns")
        return
    ax = axes[0]
    d = dims[0]
    xv = amp_ds[d].values * (1e6 if d in ("x", "y") else 1)
    edges = group_edges(xv.size, MAX_DECAY_POINTS // 2)  # display only: all in amplitudes.nc
    for c in comps:
        a = np.asarray(amp_ds.amplitude.sel(component=c).values, dtype=float)
        e = np.asarray(amp_ds.amplitude_err.sel(component=c).values, dtype=float)
        e = group_mean_err(e, edges)
        tau = float(amp_ds.tau.sel(component=c)) / NS
        ax.errorbar(
            group_mean(xv, edges), group_mean(a, edges), yerr=e, fmt=".-", ms=3,
            label=f"tau = {tau:.3g} ns",
        )  # fmt: skip
    label_axes(ax, x=(d, "um") if d in ("x", "y") else d, y=("amplitude", "counts/bin"))
    ax.legend()


# ------------------------------------------------------------------------------ workflow
def _as_list(data: Any) -> list[Any]:
    import xarray as xr

    if isinstance(data, str | Path | xr.Dataset):
        return [data]
    if isinstance(data, Sequence) and data:
        return list(data)
    raise ConfigError(
        f"data must be a path, a list of paths or an xarray.Dataset, got {type(data).__name__}"
    )


def fit_decay(
    data: Any,
    *,
    model: str = "auto",
    irf: str | Path = "fit",
    window: Any = None,
    global_fit: bool | None = None,
    position: str | None = None,
    rep_rate: Any = None,
    method: str | None = None,
    criterion: str = "bic",
    load_options: Mapping[str, Any] | None = None,
) -> DecayFitResult | GlobalDecayResult:
    """Fit decay(s): exponentials with an IRF, stretched, power laws, or global fits.

    Parameters
    ----------
    data
        A decay, map or stack: a path, an ``xarray.Dataset``, or a list of them (several
        decays fitted with shared lifetimes).
    model
        ``auto`` (exp1/exp2/exp3 chosen by ``criterion``) or one of ``exp1``, ``exp2``,
        ``exp3``, ``stretched``, ``powerlaw``, ``exp+powerlaw``.
    irf
        ``"fit"`` (Gaussian, centre and FWHM fitted), ``"gaussian:<FWHM>"`` (a Gaussian of
        known width, e.g. ``"gaussian:80ps"``; its time zero is fitted), ``"none"``, or the
        path of a measured IRF (its sub-bin shift is fitted).
    window
        Fit window ``"0ns:50ns"`` or ``("0ns", "50ns")``; an open end (``"2ns:"``) is allowed.
    global_fit
        Shared lifetimes over every pixel of a map/stack, or over several inputs. Default:
        on for a list of inputs, off otherwise.
    position
        Fit the decay at ``x`` (map, ``"1um"``) or ``x,y`` (stack, ``"1um,2um"``).
    rep_rate
        Laser repetition rate (``"80MHz"``) for pile-up; default the file's ``rep_rate``.
    method
        ``mle`` (Poisson, default for counts), ``neyman`` or ``lsq`` (default otherwise).
    criterion
        ``bic`` or ``aic`` for ``model="auto"``.
    load_options
        Reader overrides passed to :func:`nctransport.io.load` (``t_unit``, ``x_unit``,
        ``t0``, ``times``, ``pixel``, and ``meta`` with metadata overrides).

    Returns
    -------
    DecayFitResult or GlobalDecayResult

    Examples
    --------
    >>> import nctransport as nct                                   # doctest: +SKIP
    >>> k = nct.fit_decay("decay.csv", model="exp2", irf="fit")    # doctest: +SKIP
    >>> k.lifetimes[0], k.plot(), k.write("out/")                  # doctest: +SKIP
    """
    from nctransport.dataset import get_quantity

    if model != "auto" and model not in MODELS:
        raise ConfigError(f"unknown --model {model!r}; choose auto or one of {', '.join(MODELS)}")
    items = _as_list(data)
    if global_fit is None:
        global_fit = len(items) > 1
    if len(items) > 1 and not global_fit:
        raise ConfigError("several files are fitted together only with --global (global_fit)")
    win = parse_window(window)
    datasets = [load_data(d, load_options=load_options) for d in items]
    names = [d.attrs.get("source_file") for d in datasets]
    first_name = names[0]

    t_s = None
    rows: list[np.ndarray] = []
    coords = None
    described = []
    for ds, name in zip(datasets, names, strict=True):
        with naming(name):
            tt, r, c, what = extract_decays(
                ds, position=position, per_pixel=global_fit and len(items) == 1
            )
        if t_s is None:
            t_s = tt
        elif tt.shape != t_s.shape or not np.allclose(tt, t_s, rtol=1e-9, atol=1e-15):
            raise InputError("time axis differs from the first file's; cannot fit globally", name)
        rows.append(r)
        coords = c
        described.append(what)
    decays = np.concatenate(rows, axis=0)
    if len(items) > 1:
        coords = {"decay": np.arange(len(items))}

    counts = all(_is_counts(ds) for ds in datasets)
    if method is None:
        method = "mle" if counts else "lsq"
    irf_arg: str | np.ndarray
    irf_text = str(irf)
    irf_setting = irf_text
    if irf_text in ("fit", "gaussian"):
        irf_arg = "gaussian"
    elif irf_text == "none":
        irf_arg = "none"
    elif irf_text.startswith("gaussian:"):
        fwhm = as_quantity(irf_text.partition(":")[2].strip(), "s", name="--irf gaussian FWHM")
        if not fwhm > 0:
            raise ConfigError(f"--irf gaussian FWHM must be positive, got {irf_text!r}")
        with naming(first_name):
            irf_arg = gaussian_irf_on(t_s, fwhm)
    else:
        irf_path = Path(irf_text)
        if not irf_path.exists():
            raise ConfigError(
                f"--irf must be fit, none, gaussian:FWHM or an existing IRF file; got {irf_text!r}"
            )
        with naming(first_name):
            irf_arg = load_irf(irf_path, t_s, load_options=load_options)
        irf_setting = str(irf_path)

    period = None
    period_source = None
    if rep_rate is not None:
        f_hz = as_quantity(rep_rate, "Hz", name="--rep-rate")
        if not f_hz > 0:
            raise ConfigError("--rep-rate must be positive")
        period, period_source = 1.0 / f_hz, "--rep-rate"
    else:
        with naming(first_name):
            f_meta = get_quantity(datasets[0], "rep_rate", "Hz")
        if f_meta is not None and not f_meta > 0:
            raise InputError(
                f"metadata rep_rate must be positive, got {f_meta:g} Hz (override with --rep-rate)",
                first_name,
            )
        if f_meta:
            period, period_source = 1.0 / f_meta, "file metadata rep_rate"

    settings = {
        "model": model,
        "irf": irf_setting,
        "window": window if window is None or isinstance(window, str) else str(window),
        "position": position,
        "rep_period_s": period,
        "rep_period_source": period_source,
        "method": method,
        "criterion": criterion,
        "global": bool(global_fit),
        "decays": described,
    }
    sources = tuple(
        {"path": d.attrs.get("source_file"), "sha256": d.attrs.get("source_sha256")}
        for d in datasets
    )
    fit_kw = dict(irf=irf_arg, window_s=win, period_s=period, method=method)
    where = first_name if len(items) == 1 else ", ".join(str(n) for n in names)
    if global_fit:
        return _fit_global(t_s, decays, model, criterion, fit_kw, settings, sources, coords, where)
    return _fit_single(t_s, decays[0], model, criterion, fit_kw, settings, sources, where, irf_arg)


def _warnings(converged: bool, message: str, red: float | None) -> tuple[str, ...]:
    out = []
    if not converged:
        out.append(f"fit did not converge: {message}")
    if red is not None and red > 2:
        out.append(f"reduced chi2 = {red:.3g}: the model misses structure")
    return tuple(out)


def _fit_single(t_s, decay, model, criterion, fit_kw, settings, sources, where, irf_arg):
    from nctransport.kinetics.fit import fit_decay as fit_one
    from nctransport.kinetics.select import select_model

    selection = None
    with naming(where):
        if model == "auto":
            selection = select_model(t_s, decay, criterion=criterion, **fit_kw)
            fit = selection.best
        else:
            fit = fit_one(t_s, decay, model=model, **fit_kw)
    irf_curve = fit.irf_curve
    if isinstance(irf_arg, np.ndarray):
        win_mask = np.isin(t_s, fit.t_s)
        irf_curve = irf_arg[win_mask] if win_mask.sum() == fit.t_s.size else None
    name = Path(str(sources[0]["path"])).name if sources[0]["path"] else "data"
    return DecayFitResult(
        fit=fit,
        selection=selection,
        settings=settings,
        sources=sources,
        irf_curve=irf_curve,
        title=f"{name}: {fit.model}",
        warnings=_warnings(fit.converged, fit.message, fit.reduced_chi2),
    )


def _fit_global(t_s, decays, model, criterion, fit_kw, settings, sources, coords, where):
    from nctransport.kinetics.global_fit import global_fit
    from nctransport.kinetics.select import select_model

    selection = None
    chosen = model
    with naming(where):
        if model == "auto":
            selection = select_model(t_s, np.nansum(decays, axis=0), criterion=criterion, **fit_kw)
            chosen = selection.chosen
        gfit = global_fit(t_s, np.nan_to_num(decays), model=chosen, **fit_kw)
    return GlobalDecayResult(
        fit=gfit,
        selection=selection,
        settings=settings,
        sources=sources,
        coords=coords,
        warnings=_warnings(gfit.converged, gfit.message, gfit.reduced_chi2),
    )
