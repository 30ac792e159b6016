"""The spectra and temperature workflows behind ``nctransport spectra`` / ``temperature``.

:func:`spectra`: per-frame peak energy of a spectral map (or one spectrum), the red shift
of the peak vs time fitted by a relaxation model, and the disorder width
``sigma_inh = sqrt(-2 k_B T Delta E)`` with its 95 % interval (Liu 2021).
:func:`temperature_fit`: D(T), tau(T) or L(T) fitted by Arrhenius, the bright/dark
fine-structure model (Bornschlegl 2024) or both.

>>> import nctransport as nct                  # doctest: +SKIP
>>> s = nct.spectra("ta_map.csv")              # doctest: +SKIP
>>> s.to_dict()["sigma_inh_meV"]["value"]      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.dataset import replacing_metadata
from nctransport.errors import FitError, InputError, UnitError
from nctransport.kinetics.inputs import as_quantity, load_data, naming
from nctransport.limits import MAX_TEMPERATURE_K
from nctransport.results import ResultProtocol, SummaryRow, provenance, to_jsonable

MODES = ("bleach", "pl", "pia")
METHODS = ("gaussian", "centroid")
SIGNS = {"auto": None, "negative": -1, "positive": 1}


# ------------------------------------------------------------------------------ parsing
def parse_spectral_window(text: Any) -> tuple[float, float]:
    """``"850nm:950nm"`` or ``"1.3eV:1.45eV"`` (or a pair) -> (lo, hi) photon energies in eV.

    >>> [round(v, 4) for v in parse_spectral_window("1.3eV:1.45eV")]
    [1.3, 1.45]
    """
    from nctransport.spectral.axes import energy_eV_from_wavelength_m
    from nctransport.units import parse_quantity

    if isinstance(text, Sequence) and not isinstance(text, str) and len(text) == 2:
        if all(isinstance(v, int | float) for v in text):  # numbers: photon energies in eV
            text = f"{text[0]}eV:{text[1]}eV"
        else:
            text = ":".join(str(v) for v in text)
    if not isinstance(text, str):
        raise InputError(f"--window expects A:B with units (850nm:950nm), got {text!r}")
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InputError(
            f"--window expects A:B with units (850nm:950nm or 1.3eV:1.45eV), got {text!r}"
        )
    out = []
    for p in parts:
        try:
            out.append(parse_quantity(p, "eV", name="--window"))
        except UnitError:
            try:
                lam = parse_quantity(p, "m", name="--window")
            except UnitError:
                raise UnitError(
                    f"--window: {p.strip()!r} is neither a wavelength nor a photon energy"
                ) from None
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                out.append(float(energy_eV_from_wavelength_m(lam)))
    if not all(np.isfinite(v) and v > 0 for v in out):
        raise InputError(f"--window {text!r}: wavelengths and energies must be positive")
    lo, hi = sorted(out)
    if not hi > lo:
        raise InputError(f"--window {text!r} is empty")
    return lo, hi


def parse_time_range(text: Any) -> tuple[float, float]:
    """``"0ps:50ps"`` (or a pair) -> (0.0, 5e-11) seconds; each end needs its unit.

    >>> parse_time_range("0ps:50ps")
    (0.0, 5e-11)
    """
    if isinstance(text, Sequence) and not isinstance(text, str) and len(text) == 2:
        lo, hi = (as_quantity(v, "s", name="--t-range") for v in text)
    else:
        parts = str(text).split(":")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise InputError(f"--t-range expects A:B with units (0ps:50ps), got {text!r}")
        lo, hi = (as_quantity(p, "s", name="--t-range") for p in parts)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"--t-range {text!r} is empty or not finite")
    return lo, hi


def _positive_temperature(value: Any, name: str) -> float:
    t_k = as_quantity(value, "K", name=name)
    if not (np.isfinite(t_k) and t_k > 0):
        raise InputError(f"{name} must be > 0 K, got {value!r}")
    if t_k > MAX_TEMPERATURE_K:
        raise InputError(f"{name} must be <= {MAX_TEMPERATURE_K:g} K, got {value!r}")
    return t_k


# ------------------------------------------------------------------------------ spectra
def _fmt_ci(ci) -> str:
    if ci is None or any(v is None for v in to_jsonable(list(ci))):
        return "n/a"
    return f"[{ci[0]:.4g}, {ci[1]:.4g}]"


@dataclass(frozen=True, repr=False, eq=False)
class SpectraResult(ResultProtocol):
    """Per-frame peaks, the peak-shift fit and the disorder width of a spectral map.

    ``to_dict()`` is exactly ``results.json`` of ``nctransport spectra``.
    """

    results: dict[str, Any]
    peaks: Any  # nctransport.spectral.peaks.FramePeaks
    shift: Any  # nctransport.spectral.shift.PeakShift | None
    sigma_inh: Any  # nctransport.spectral.disorder.DisorderWidth | None
    energy_eV: np.ndarray
    signal: np.ndarray  # (frames, energy) on the energy axis
    signal_unit: str
    settings: dict[str, Any]
    source: dict[str, Any]
    warnings: tuple[str, ...] = ()

    workflow = "spectra"

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.results)
        out.update(provenance(self.source.get("path"), self.source.get("sha256"), self.settings))
        return out

    def summary_rows(self) -> list[SummaryRow]:
        res = self.results
        rows: list[SummaryRow] = []
        ps = res["peak_shift"]
        if ps is not None:
            rows.append(("ΔE", f"{ps['delta_e_meV']:.4g} meV", _fmt_ci(ps["delta_e_ci95_meV"])))
            rows.append(("τ", f"{ps['tau_ps']:.4g} ps", _fmt_ci(ps["tau_ci95_ps"])))
            rows.append(("E0", f"{ps['e0_eV']:.6g} eV", _fmt_ci(ps["e0_ci95_eV"])))
        si = res["sigma_inh_meV"]
        if si is not None:
            rows.append(("σ_inh", f"{si['value']:.4g} meV", _fmt_ci(si["ci95"])))
        if res["n_frames"] == 1:
            pk = to_jsonable(res["peaks"])
            e, de = pk["energy_eV"][0], pk["energy_err_eV"][0]
            w, dw = pk["width_meV"][0], pk["width_err_meV"][0]
            if e is not None and de is not None:
                rows.append(("peak energy", f"{e:.6g} eV", f"± {1.96 * de:.2g}"))
            if w is not None and dw is not None:
                rows.append(("width σ", f"{w:.4g} meV", f"± {1.96 * dw:.2g}"))
        rows.append(("valid frames", f"{res['n_valid_frames']}/{res['n_frames']}", ""))
        return rows

    def report_title(self) -> str:
        name = Path(str(self.source.get("path") or "data")).name
        return f"Spectral dynamics: {name}"

    def _report_results(self) -> dict[str, Any]:
        keys = ("peak_shift", "sigma_inh_meV", "temperature_K", "n_frames", "n_valid_frames")
        return {k: self.results[k] for k in (*keys, "spectral_axis")}

    def _report_inputs(self) -> list[dict[str, Any]]:
        # the report's results table leaves "input" out, so name the file here
        return [dict(self.source)] if self.source.get("path") else []

    @property
    def is_map(self) -> bool:
        return self.signal.ndim == 2 and self.signal.shape[0] > 1

    def plot_map(self, ax: Any = None) -> Any:
        """Spectral map (energy x time) with the fitted peak of each frame and the shift fit.

        ``ax``: a matplotlib Axes (a new one when None) or an
        :class:`nctransport.report.svg.SvgAxes`.
        """
        from nctransport.report.style import COLORS, label_axes

        ax = _axes(ax)
        t_ps = self.peaks.t_s * 1e12
        vmax = float(np.nanmax(np.abs(self.signal))) or 1.0
        rows_t, rows = _binned_rows(t_ps, np.atleast_2d(self.signal))
        mesh = ax.pcolormesh(
            self.energy_eV, rows_t, rows, shading="nearest", cmap="RdBu_r",
            vmin=-vmax, vmax=vmax,
        )  # fmt: skip
        mesh.set_rasterized(True)  # a vector quad per cell makes the SVG huge and slow
        ax.figure.colorbar(mesh, ax=ax, label=f"signal ({self.signal_unit})")
        v = self.peaks.valid
        tb, eb, _ = _binned(t_ps[v], self.peaks.energy_eV[v])
        ax.plot(eb, tb, "o", ms=3, color="black", label="fitted peak")
        shift = self.shift
        if shift is not None and shift.converged and v.any():
            tt = np.linspace(max(t_ps[v].min(), 0.0), t_ps[v].max(), 200)
            ax.plot(
                shift.predict(tt * 1e-12), tt, "-", color=COLORS["fit"], lw=2,
                label=f"{shift.model} fit",
            )  # fmt: skip
        label_axes(ax, x=("photon energy", "eV"), y=("time", "ps"))
        ax.legend(loc="upper right")
        return ax

    def plot_peak_energy(self, ax: Any = None) -> Any:
        """Peak energy vs time (±1σ) with the relaxation fit (Liu 2021, Fig. 2e), on a
        matplotlib Axes (a new one when None) or an SVG Axes."""
        from nctransport.report.style import COLORS, label_axes

        ax = _axes(ax)
        peaks, shift = self.peaks, self.shift
        v = peaks.valid
        t_ps = peaks.t_s * 1e12
        tb, eb, errb = _binned(t_ps[v], peaks.energy_eV[v] * 1e3, peaks.energy_err_eV[v] * 1e3)
        label = "peak energy (±1σ)" + (
            f", means of {int(v.sum())} frames in {tb.size} groups" if tb.size < v.sum() else ""
        )
        ax.errorbar(tb, eb, yerr=errb, fmt="o", ms=3, color=COLORS["data"], label=label)
        if shift is not None and shift.converged and v.any():
            tt = np.linspace(max(t_ps[v].min(), 0.0), t_ps[v].max(), 300)
            lab = f"{shift.model}: ΔE = {shift.delta_e_meV:.3g} meV, τ = {shift.tau_ps:.3g} ps"
            ax.plot(tt, shift.predict(tt * 1e-12) * 1e3, "-", color=COLORS["fit"], label=lab)
        label_axes(ax, x=("time", "ps"), y=("peak energy", "meV"))
        ax.legend()
        return ax

    def plot_spectrum(self, ax: Any = None, frame: int = 0) -> Any:
        """One frame's spectrum on the energy axis with its fitted peak energy marked."""
        from nctransport.report.style import COLORS, label_axes

        ax = _axes(ax)
        sig = np.atleast_2d(self.signal)[frame]
        ax.plot(self.energy_eV, sig, "-", color=COLORS["data"], label="spectrum")
        if self.peaks.valid[frame]:
            ax.axvline(self.peaks.energy_eV[frame], color=COLORS["fit"], label="fitted peak")
        label_axes(ax, x=("photon energy", "eV"), y=("signal", self.signal_unit))
        ax.legend()
        return ax

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_peak_energy(ax) if self.is_map else self.plot_spectrum(ax)

    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        if not self.is_map:
            return []
        new_figure = _figure_factory(backend)
        fig_map, ax = new_figure(figsize=(6.4, 4.4))
        if backend == "svg":  # room for the colour bar's label on the right
            fig_map.subplots_adjust(left=0.12, right=0.9, bottom=0.12, top=0.95)
        self.plot_map(ax)
        fig_pk, ax2 = new_figure(figsize=(6.0, 4.0))
        if backend == "svg":
            fig_pk.subplots_adjust(left=0.13, bottom=0.12, top=0.95)
        self.plot_peak_energy(ax2)
        mode = self.results["mode"]
        return [
            ("spectral_map", f"Spectral map ({mode}) with the fitted peak energy of each frame",
             fig_map),
            ("peak_energy", "Peak energy vs time with the relaxation fit (Liu 2021, Fig. 2e)",
             fig_pk),
        ]  # fmt: skip


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _figure_factory(backend: str) -> Any:
    """``new_figure(nrows, ncols, figsize=...) -> (fig, ax or axes)`` of a report backend:
    nctransport's own SVG figures (no matplotlib import, issue 17) or matplotlib's."""
    if backend == "matplotlib":
        from nctransport.plotting import new_figure

        return new_figure
    if backend != "svg":
        raise ValueError(f"backend must be 'svg' or 'matplotlib', not {backend!r}")
    from nctransport.report.svg import SvgFigure

    def new_svg_figure(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
        fig = SvgFigure(nrows, ncols, **kw)
        return fig, (fig.axes[0] if len(fig.axes) == 1 else fig.axes)

    return new_svg_figure


#: Most time rows drawn in a map image; longer maps are drawn as means of consecutive frames
#: (display only), so the image (and the report) stays small however many delays there are.
MAX_MAP_ROWS = 400


def _binned_rows(t: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most :data:`MAX_MAP_ROWS` rows: means of consecutive frames and of their times."""
    if t.size <= MAX_MAP_ROWS:
        return t, rows
    edges = np.linspace(0, t.size, MAX_MAP_ROWS + 1).round().astype(int)
    n = np.diff(edges)
    means = np.add.reduceat(rows, edges[:-1], axis=0) / n[:, None]
    return np.add.reduceat(t, edges[:-1]) / n, means


#: Most frames drawn as markers; longer series are drawn as means of consecutive frames
#: (display only: every frame stays in results.json).
MAX_FRAMES_SHOWN = 300


def _binned(
    t: np.ndarray, y: np.ndarray, err: np.ndarray | None = None, n_max: int = MAX_FRAMES_SHOWN
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Means of at most ``n_max`` groups of consecutive points (error of a mean:
    ``sqrt(sum err^2) / n``); short series come back unchanged."""
    from nctransport.report.binning import bin_series

    return bin_series(t, y, err, n_max=n_max)


def spectra(
    data: Any,
    *,
    mode: str = "bleach",
    method: str = "gaussian",
    model: str = "exp",
    temperature: Any = None,
    window: Any = None,
    sign: str = "auto",
    t_range: Any = None,
    load_options: Mapping[str, Any] | None = None,
) -> SpectraResult:
    """Per-frame peak energy, its red shift vs time, and sigma_inh (Liu 2021).

    Parameters
    ----------
    data
        Spectral map (t, wavelength|energy) or one spectrum: a path or an xarray.Dataset.
    mode
        ``bleach`` (negative feature), ``pl`` or ``pia`` (positive). PL is a spectral density
        (the wavelength->energy Jacobian applies); bleach/PIA are ratios (relabelled only).
    method
        Peak estimator: ``gaussian`` or ``centroid``.
    model
        Peak-shift model: ``exp``, ``stretched`` or ``biexp``.
    temperature
        Sample temperature (``"300K"``); default the file's ``temperature`` metadata.
        Without one, sigma_inh is not computed (a warning says so).
    window
        Spectral window ``"850nm:950nm"`` or ``"1.3eV:1.45eV"``.
    sign
        ``auto`` (from ``mode``), ``negative`` or ``positive``.
    t_range
        Times used for the shift fit, ``"0ps:50ps"`` (default t >= 0).
    load_options
        Reader overrides for :func:`nctransport.io.load` (``t_unit``, ``t0``, ``meta``).

    Returns
    -------
    SpectraResult

    Examples
    --------
    >>> import nctransport as nct                      # doctest: +SKIP
    >>> s = nct.spectra("ta_map.csv", temperature="300K")   # doctest: +SKIP
    >>> s.to_dict()["peak_shift"]["delta_e_meV"]       # doctest: +SKIP
    """
    from nctransport.spectral.shift import SHIFT_MODELS

    if mode not in MODES:
        raise InputError(f"--mode must be bleach, pl or pia, got {mode!r}")
    if model not in SHIFT_MODELS:
        raise InputError(f"--model must be one of {', '.join(SHIFT_MODELS)}, got {model!r}")
    if method not in METHODS:
        raise InputError(f"--method must be gaussian or centroid, got {method!r}")
    if sign not in SIGNS:
        raise InputError(f"--sign must be auto, negative or positive, got {sign!r}")
    t_k = None if temperature is None else _positive_temperature(temperature, "--temperature")
    win = None if window is None else parse_spectral_window(window)
    t_rng = None if t_range is None else parse_time_range(t_range)
    # --temperature replaces the file's temperature, even one that is out of range
    replaced = ("temperature",) if t_k is not None else ()
    with replacing_metadata(*replaced):
        ds = load_data(data, load_options=load_options)
        path = ds.attrs.get("source_file")
        with naming(path):
            res, peaks, shift, sigma, dse, warnings = _analyze(
                ds, mode=mode, method=method, model=model, temperature_K=t_k, window_eV=win,
                sign=SIGNS[sign], t_range_s=t_rng,
            )  # fmt: skip
    lo = dict(load_options or {})
    settings = {
        "mode": mode,
        "method": method,
        "model": model,
        "window": window if window is None or isinstance(window, str) else str(window),
        "t_range": t_range if t_range is None or isinstance(t_range, str) else str(t_range),
        "temperature": temperature if temperature is None else str(temperature),
        "sign": sign,
        "t_unit": lo.get("t_unit"),
        "t0": lo.get("t0"),
        "meta": lo.get("meta"),
    }
    from nctransport.dataset import SIGNAL

    return SpectraResult(
        results=res,
        peaks=peaks,
        shift=shift,
        sigma_inh=sigma,
        energy_eV=np.asarray(dse["energy"].values, dtype=float),
        signal=np.asarray(dse[SIGNAL].values, dtype=float),
        signal_unit=str(dse[SIGNAL].attrs.get("units", "arb")),
        settings=settings,
        source={"path": path, "sha256": ds.attrs.get("source_sha256")},
        warnings=tuple(warnings),
    )


def _analyze(
    ds: Any,
    *,
    mode: str,
    method: str,
    model: str,
    temperature_K: float | None,
    window_eV: tuple[float, float] | None,
    sign: int | None,
    t_range_s: tuple[float, float] | None,
):
    """The spectra pipeline on a dataset: (results, peaks, shift, sigma, ds in energy, warnings)."""
    from nctransport.dataset import SIGNAL, get_quantity, kind_of
    from nctransport.spectral.axes import to_energy
    from nctransport.spectral.disorder import disorder_width
    from nctransport.spectral.peaks import fit_peaks
    from nctransport.spectral.shift import fit_peak_shift

    path = ds.attrs.get("source_file")
    kind = kind_of(ds)
    if kind not in ("spectral", "spectrum"):
        raise InputError(f"expected spectral data (t, wavelength|energy), got kind {kind!r}", path)
    warnings: list[str] = []
    # PL is a spectral density (Jacobian applies); bleach/PIA are ratios (relabel only).
    dse = to_energy(ds, density=(mode == "pl"))
    energy = np.asarray(dse["energy"].values, dtype=float)
    sig = np.asarray(dse[SIGNAL].values, dtype=float)
    t = np.asarray(dse["t"].values, dtype=float) if kind == "spectral" else np.zeros(1)
    if sig.ndim == 1:
        sig = sig[None, :]
    peaks = fit_peaks(energy, sig, t, mode=mode, method=method, sign=sign, window_eV=window_eV)
    n_bad = int(np.sum(~peaks.valid & (t >= 0)))
    if n_bad:
        warnings.append(f"{n_bad} frame(s) at t >= 0 without a valid peak (fit failed or SNR < 3)")
    shift = None
    if kind == "spectral":
        v = peaks.valid
        try:
            t_min, t_max = (0.0, None) if t_range_s is None else t_range_s
            shift = fit_peak_shift(
                t[v], peaks.energy_eV[v], peaks.energy_err_eV[v], model=model,
                t_min_s=t_min, t_max_s=t_max,
            )  # fmt: skip
            if not shift.converged:
                warnings.append(f"peak-shift fit did not converge: {shift.message}")
        except FitError as exc:
            warnings.append(f"no peak-shift fit: {exc.message}")
    t_meta = get_quantity(ds, "temperature", "K")
    if t_meta is not None and not (np.isfinite(t_meta) and t_meta > 0):
        if temperature_K is None:
            raise InputError(
                f"metadata temperature must be > 0 K, got {t_meta:g} K "
                "(give the sample temperature with --temperature)",
                path,
            )
        t_meta = None  # replaced by --temperature anyway
    if temperature_K is None:
        temperature_K = t_meta
    elif t_meta is not None and not np.isclose(t_meta, temperature_K):
        name = Path(str(path)).name if path else "the data"
        warnings.append(
            f"--temperature {temperature_K:g} K overrides the temperature of {name} ({t_meta:g} K)"
        )
    sigma = None
    if shift is None or not shift.converged:
        pass
    elif temperature_K is None:
        warnings.append("no temperature (metadata or --temperature): sigma_inh not computed")
    else:
        try:
            sigma = disorder_width(shift.delta_e_meV, temperature_K, shift.delta_e_ci95_meV)
        except FitError as exc:
            warnings.append(exc.message)
    results = {
        "mode": mode,
        "method": method,
        "peak_shift": None if shift is None else shift.to_dict(),
        "sigma_inh_meV": None if sigma is None else sigma.to_dict(),
        "temperature_K": temperature_K,
        "n_frames": int(sig.shape[0]),
        "n_valid_frames": int(np.sum(peaks.valid)),
        "peaks": peaks.to_dict(),
        "spectral_axis": dse.attrs.get("spectral_conversion", "energy (as recorded)"),
        "warnings": warnings,
    }
    return results, peaks, shift, sigma, dse, warnings


# ------------------------------------------------------------------------------ temperature
@dataclass(frozen=True, repr=False, eq=False)
class TemperatureFitResult(ResultProtocol):
    """D(T), tau(T) or L(T) with its fitted model; ``to_dict()`` is ``results.json`` of
    ``nctransport temperature``."""

    fit: Any  # nctransport.spectral.temperature.TemperatureFit
    sources: tuple[dict[str, Any], ...]
    settings: dict[str, Any]
    single_input: bool
    warnings: tuple[str, ...] = ()

    workflow = "temperature"

    def to_dict(self) -> dict[str, Any]:
        first = self.sources[0] if self.single_input else {}
        return {
            "fit": self.fit.to_dict(),
            "inputs": list(self.sources),
            "warnings": list(self.warnings),
            **provenance(first.get("path"), first.get("sha256"), self.settings),
        }

    def summary_rows(self) -> list[SummaryRow]:
        return [
            (name, f"{p['value']:.4g} {p['unit']}".rstrip(), f"95% CI {_fmt_ci(p['ci95'])}")
            for name, p in self.fit.parameters.items()
        ] + [("points", str(self.fit.n_points), f"{self.fit.model} model")]

    def report_title(self) -> str:
        return f"Temperature dependence of {self.fit.quantity}"

    def _report_inputs(self) -> list[dict[str, Any]]:
        return [dict(src) for src in self.sources if src.get("path")]

    def _report_results(self) -> dict[str, Any]:
        f = self.fit
        return {
            "model": f.model,
            "quantity": f.quantity,
            "unit": f.unit,
            "parameters": f.parameters,
            "n_points": f.n_points,
            "reduced_chi2": f.reduced_chi2,
            "converged": f.converged,
        }

    def plot_vs_temperature(self, ax: Any = None) -> Any:
        """The quantity vs T (log scale) with the fitted model."""
        return self._draw(_axes(ax), inverse=False)

    def plot_arrhenius(self, ax: Any = None) -> Any:
        """The quantity vs 1000/T (log scale) with the fitted model."""
        return self._draw(_axes(ax), inverse=True)

    def _draw(self, ax: Any, *, inverse: bool) -> Any:
        from nctransport.report.style import COLORS, label_axes

        fit = self.fit
        t, y = fit.temperature_K, fit.values
        tt = np.linspace(t.min() * 0.9, t.max() * 1.05, 300)
        name = {"D": "D", "tau": "τ", "L": "L"}[fit.quantity]
        xs, xx = (1e3 / t, 1e3 / tt) if inverse else (t, tt)
        ax.errorbar(xs, y, yerr=fit.errors, fmt="o", ms=4, color=COLORS["data"], label="data")
        ax.plot(xx, fit.predict(tt), "-", color=COLORS["fit"], label=f"{fit.model} fit")
        ax.set_yscale("log")
        x = ("1000 / T", "1/K") if inverse else ("temperature", "K")
        label_axes(ax, x=x, y=(name, fit.unit))
        if not inverse:
            ax.legend()
        return ax

    def _plot_default(self, ax: Any) -> Any:
        return self.plot_vs_temperature(ax)

    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        fig, (ax1, ax2) = _figure_factory(backend)(1, 2, figsize=(9.0, 3.8))
        if backend == "svg":
            fig.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.95, wspace=0.3)
        self.plot_vs_temperature(ax1)
        self.plot_arrhenius(ax2)
        q, m = self.fit.quantity, self.fit.model
        return [(f"temperature_{q}", f"{q} vs T and vs 1000/T with the {m} fit", fig)]


def temperature_fit(
    files: Any,
    *,
    quantity: str = "D",
    model: str = "arrhenius",
    temperatures: Any = None,
) -> TemperatureFitResult:
    """Fit D(T), tau(T) or L(T): Arrhenius, bright/dark fine structure, or both.

    Parameters
    ----------
    files
        ``results.json`` files of analyze/kinetics and/or CSV tables ``T [K],D [cm2/s],err``.
    quantity
        ``D``, ``tau`` or ``L``.
    model
        ``arrhenius``, ``bright-dark`` (Bornschlegl 2024) or ``combined``.
    temperatures
        One temperature per results.json: ``"10K,50K"`` or a list (``["10K", "50K"]`` or
        numbers in K). They replace temperatures stored in the files (a warning names them).

    Examples
    --------
    >>> import nctransport as nct                                          # doctest: +SKIP
    >>> nct.temperature_fit("d_vs_t.csv", model="bright-dark").to_dict()  # doctest: +SKIP
    """
    from nctransport.spectral.series import parse_temperature_list, read_temperature_series
    from nctransport.spectral.temperature import MODELS, fit_temperature

    if quantity not in ("D", "tau", "L"):
        raise InputError(f"--quantity must be D, tau or L, got {quantity!r}")
    if model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    paths = [files] if isinstance(files, str | Path) else list(files)
    if not paths:
        raise InputError("no input files given")
    temps = None
    if isinstance(temperatures, str):
        temps = parse_temperature_list(temperatures)
    elif temperatures is not None:
        temps = [_positive_temperature(v, "--temperatures") for v in temperatures]
    series = read_temperature_series(paths, quantity, temperatures=temps)
    where = paths[0] if len(paths) == 1 else ", ".join(str(p) for p in paths)
    if np.unique(series.temperature_K).size < 2:  # a fit of one temperature ran to exit 0
        raise InputError(
            f"every point is at {series.temperature_K[0]:g} K; a fit vs temperature needs two "
            "or more temperatures",
            where,
        )
    with naming(where):
        fit = fit_temperature(
            series.temperature_K, series.values, series.errors, quantity=quantity, model=model
        )
    settings = {
        "quantity": quantity,
        "model": model,
        "temperatures": temperatures
        if temperatures is None or isinstance(temperatures, str)
        else str(temperatures),
    }
    warnings = list(series.notes)
    if not fit.converged:
        warnings.append(f"fit not converged: {fit.message}")
    return TemperatureFitResult(
        fit=fit,
        sources=tuple(series.sources),
        settings=settings,
        single_input=len(paths) == 1,
        warnings=tuple(warnings),
    )
