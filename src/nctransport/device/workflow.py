"""Device workflows (Li 2024): ``sclc``, ``simulate_jv``, ``fit_jv`` and ``tel``.

Each takes paths (or xarray Datasets) and keyword settings with units (``"110nm"``, pint
quantities, or floats in SI) and returns a result with the project's result protocol
(:class:`nctransport.results.ResultProtocol`). Nothing here prints; the CLI
(``nctransport device ...``) only parses options, calls these and writes the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import ConfigError, InputError, NctransportError, UnitError
from nctransport.limits import MAX_TEMPERATURE_K
from nctransport.results import Estimate, ResultProtocol, provenance, to_jsonable

__all__ = [
    "SCLCResult",
    "JVSimulation",
    "JVFitResult",
    "TELResult",
    "sclc",
    "simulate_jv",
    "fit_jv",
    "tel",
    "parse_voltages",
    "stack_field",
]

#: Thickness scaling is called SCLC-like when the exponent's CI meets 3 +- this tolerance:
#: diffusion alone moves a trap-free device's exponent to ~2.99 (Li 2024 Fig. 2b).
L3_TOLERANCE = 0.1


# --------------------------------------------------------------------------- parsing


def _quantity(value: Any, unit: str, name: str) -> float:
    """A quantity in ``unit``: text with units, a pint Quantity, or a float taken as SI."""
    from nctransport.units import parse_quantity

    if value is None:
        raise ConfigError(f"{name} is required")
    if isinstance(value, bool):
        raise UnitError(f"{name}: expected a quantity in {unit}, got {value!r}")
    if isinstance(value, int | float | np.floating | np.integer):
        out = float(value)
    elif hasattr(value, "to") and hasattr(value, "magnitude"):
        out = parse_quantity(str(value), unit, name=name)
    else:
        try:
            out = parse_quantity(str(value), unit, name=name)
        except NctransportError:
            raise
        except Exception:  # pint can raise e.g. OverflowError on 'k103'
            raise UnitError(f"{name}: cannot read {value!r} as a quantity in {unit}") from None
    if not np.isfinite(out):
        raise UnitError(f"{name}: {value!r} is not finite")
    return out


#: Plausible ranges of device lengths and temperatures: beyond them the value is a unit
#: slip (1e308 m overflows d^3 in Mott-Gurney; 1e-300 K underflows kT) rather than a device.
_PLAUSIBLE = {"m": (0.0, 1.0), "K": (1e-3, MAX_TEMPERATURE_K)}


def _plausible(out: float, value: Any, unit: str, name: str, path: Any = None) -> float:
    lo, hi = _PLAUSIBLE.get(unit, (0.0, np.inf))
    if not lo <= out <= hi:
        raise InputError(
            f"{name} {value!r} is outside the plausible range ({lo:g} to {hi:g} {unit})", path
        )
    return out


def _positive(value: Any, unit: str, name: str) -> float:
    out = _quantity(value, unit, name)
    if not out > 0:
        raise InputError(f"{name} must be positive, got {value!r}")
    return _plausible(out, value, unit, name)


def _optional_positive(value: Any, unit: str, name: str) -> float | None:
    return None if value is None else _positive(value, unit, name)


def _energy(value: Any, name: str) -> float:
    return _quantity(value, "eV", name)


def _volts(text: Any, name: str) -> float:
    if isinstance(text, int | float):
        value = float(text)
    else:
        t = str(text).strip()
        try:
            value = float(t)
        except ValueError:
            value = _quantity(t, "V", name)
    if not np.isfinite(value):
        raise ConfigError(f"{name}: {text!r} is not a finite voltage")
    return value


def _eps_r(value: Any) -> float:
    try:
        eps = float(value)
    except (TypeError, ValueError):
        raise InputError(f"--eps-r must be a positive number, got {value!r}") from None
    if not (np.isfinite(eps) and eps > 0):
        raise InputError(f"--eps-r must be positive, got {value!r}")
    return eps


def _split(values: Any) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, str) or np.isscalar(values):
        values = [values]  # one number (thickness=110e-9) means one value for every file
    out: list[Any] = []
    for v in values:
        if isinstance(v, str):
            out.extend(p.strip() for p in v.split(",") if p.strip())
        else:
            out.append(v)
    return out


def _per_file(values: Any, n: int, unit: str, name: str) -> list[float | None]:
    """One value for all files, one per file, or none (None entries)."""
    items = _split(values)
    if not items:
        return [None] * n
    if len(items) == 1:
        return [_positive(items[0], unit, name)] * n
    if len(items) != n:
        raise ConfigError(f"{name}: give one value or one per file ({n}), got {len(items)}")
    return [_positive(t, unit, name) for t in items]


#: Largest allowed voltage magnitude (the solver's range) and number of voltages.
MAX_VOLTAGE_V = 1000.0
MAX_VOLTAGES = 10000
#: Drift-diffusion grid points per solve: 8 resolve nothing, and beyond 1e5 a solve (and a
#: fit, hundreds of solves) runs for hours while adding nothing to the current.
MIN_POINTS, MAX_POINTS = 8, 100_000


def _grid_points(points: Any, n_voltages: int) -> int:
    """Check ``--points`` (and its memory) before any solve; return it as an int."""
    from nctransport.errors import ResourceError
    from nctransport.limits import check_memory

    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < MIN_POINTS:
        raise InputError(f"--points must be an integer >= {MIN_POINTS}, got {points!r}")
    if points > MAX_POINTS:
        raise ResourceError(
            f"--points {points} is above the cap of {MAX_POINTS} grid points (each solve would "
            "take minutes and a fit hundreds of them); reduce --points"
        )
    # Profiles (5 arrays of n_V x points) and the banded Newton system (7 x 2 points).
    check_memory(
        8.0 * (6 * n_voltages * points + 30 * points),
        "the drift-diffusion grid",
        option="--points or --voltages",
    )
    return int(points)


def parse_voltages(text: Any) -> np.ndarray:
    """``0:10:41`` (start:stop:count) or ``0,1,2.5`` (volts; units optional), or numbers.

    >>> parse_voltages("0:1:3")
    array([0. , 0.5, 1. ])
    """
    if not isinstance(text, str):
        v = np.atleast_1d(np.asarray(text, dtype=float))
    else:
        text = text.strip()
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3:
                raise ConfigError(f"--voltages expects start:stop:count, got {text!r}")
            a, b = _volts(parts[0], "--voltages"), _volts(parts[1], "--voltages")
            try:
                n = int(parts[2])
            except ValueError:
                raise ConfigError(
                    f"--voltages count must be an integer, got {parts[2]!r}"
                ) from None
            if n < 1 or n > MAX_VOLTAGES:
                raise ConfigError(f"--voltages count must be within 1..{MAX_VOLTAGES}, got {n}")
            _check_voltage_range(a, b)
            v = np.linspace(a, b, n)
        else:
            vals = [_volts(p, "--voltages") for p in text.split(",") if p.strip()]
            if not vals:
                raise ConfigError("--voltages is empty")
            v = np.array(vals)
    if v.size == 0 or v.size > MAX_VOLTAGES:
        raise ConfigError(f"--voltages: give 1..{MAX_VOLTAGES} voltages, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise ConfigError("--voltages must be finite")
    _check_voltage_range(float(v.min()), float(v.max()))
    return v


def _check_voltage_range(a: float, b: float) -> None:
    # Checked before np.linspace, which overflows (RuntimeWarning) for |a|, |b| ~ 1e308.
    for x in (a, b):
        if abs(x) > MAX_VOLTAGE_V:
            raise ConfigError(
                f"--voltages: {x:g} V is outside [-{MAX_VOLTAGE_V:g}, {MAX_VOLTAGE_V:g}] V"
            )


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _JV:
    path: Path | None
    name: str
    sha256: str | None
    attrs: dict
    v: np.ndarray
    j: np.ndarray


def _load_jv(item: Any) -> _JV:
    """A J-V curve from a path or an xarray Dataset (kind jv: V [V], J [A/m^2])."""
    from nctransport.dataset import SIGNAL, kind_of
    from nctransport.units import conversion_factor

    path = None
    if isinstance(item, str | Path):
        from nctransport.io import load

        path = Path(item)
        ds = load(path)
    elif hasattr(item, "data_vars"):
        ds = item
    else:
        raise InputError(f"expected a J-V file path or an xarray Dataset, got {type(item)!r}")
    kind = kind_of(ds)
    if kind != "jv":
        raise InputError(f"expected a J-V curve (kind jv, axis V), got kind {kind!r}", path)
    v = np.asarray(ds["V"].values, dtype=float)
    j = np.asarray(ds[SIGNAL].values, dtype=float)
    unit = ds[SIGNAL].attrs.get("units", "A/m**2")
    j = j * conversion_factor(unit, "A/m**2", name="J")
    name = path.name if path else str(ds.attrs.get("name", "dataset"))
    return _JV(path, name, ds.attrs.get("source_sha256"), dict(ds.attrs), v, j)


def _meta_quantity(jv: _JV, key: str, unit: str) -> float | None:
    from nctransport.units import parse_quantity

    raw = jv.attrs.get(key)
    if raw is None:
        return None
    try:
        value = parse_quantity(str(raw), unit, name=key)
    except NctransportError as exc:
        raise InputError(f"metadata {key!r}: {exc.message}", jv.path) from None
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"metadata {key} must be positive, got {raw!r}", jv.path)
    return _plausible(value, raw, unit, f"metadata {key}", jv.path)


def _load_jvs(items: list, **given: list[float | None]) -> list[_JV]:
    """The J-V inputs; metadata that an option replaces for every file is not range-checked
    (a file's -5 K does not stop ``temperatures="297K"``)."""
    from nctransport.dataset import replacing_metadata

    replaced = [k for k, vals in given.items() if vals and all(v is not None for v in vals)]
    with replacing_metadata(*replaced):
        return [_load_jv(x) for x in items]


def _resolve(
    jvs: list[_JV], given: list[float | None], key: str, unit: str, option: str, warnings: list
) -> list[float | None]:
    """Option overrides metadata; each file whose own value differs is named in a warning."""
    out, overridden = [], []
    for jv, g in zip(jvs, given, strict=True):
        if g is None:
            out.append(_meta_quantity(jv, key, unit))
            continue
        try:
            meta = _meta_quantity(jv, key, unit)
        except InputError:  # the option replaces an invalid value: say so, naming the file
            overridden.append(f"{jv.name} (invalid: {jv.attrs.get(key)!s})")
            out.append(g)
            continue
        if meta is not None and not np.isclose(meta, g, rtol=1e-6):
            overridden.append(f"{jv.name} ({meta:g} {unit})")
        out.append(g)
    if overridden:
        warnings.append(f"{option} overrides the {key} in the metadata of " + ", ".join(overridden))
    return out


def _inputs(jvs: list[_JV]) -> list[dict]:
    return [{"path": None if j.path is None else str(j.path), "sha256": j.sha256} for j in jvs]


def _provenance(jvs: list[_JV], settings: dict) -> dict:
    first = jvs[0] if len(jvs) == 1 else None
    prov = provenance(first.path if first else None, first.sha256 if first else None, settings)
    if len(jvs) > 1:
        prov["input"] = {"files": _inputs(jvs)}
    prov["inputs"] = _inputs(jvs)
    return prov


def _ci_tuple(e: Estimate | None):
    return None if e is None or e.ci95 is None else [e.ci95[0], e.ci95[1]]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def _ci_text(ci) -> str:
    return "-" if ci is None else f"95% CI [{ci[0]:.3g}, {ci[1]:.3g}]"


# --------------------------------------------------------------------------- sclc


@dataclass(frozen=True, eq=False)
class SCLCResult(ResultProtocol):
    """Mott-Gurney SCLC analysis of one or many J-V curves (Li 2024 Eq. 1, Figs. 2, 5)."""

    files: tuple[dict, ...]
    curves: tuple[tuple, ...] = field(repr=False)  # (name, V, J, L, T, SCLCFit, JVFit | None)
    eps_r: float = 3.5
    arrhenius: Any = None
    thickness_series: Any = None
    settings: dict = field(default_factory=dict)
    prov: dict = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()

    workflow = "device sclc"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if len(self.files) == 1:
            out.update({k: v for k, v in self.files[0].items() if k != "path"})
        out["files"] = list(self.files)
        if self.arrhenius is not None:
            a = self.arrhenius
            out["arrhenius"] = {
                "activation_eV": a.activation_eV,
                "activation_ci95_eV": a.activation_ci95_eV,
                "mu_inf_m2_Vs": a.mu_inf_m2_Vs,
                "mu_inf_ci95_m2_Vs": a.mu_inf_ci95_m2_Vs,
                "reduced_chi2": a.reduced_chi2,
            }
        if self.thickness_series is not None:
            ts = to_jsonable(self.thickness_series)
            ts["l3_tolerance"] = L3_TOLERANCE
            ts["consistent_with_l3"] = self.l3_consistent
            out["thickness_series"] = ts
        out["warnings"] = list(self.warnings)
        out.update(self.prov)
        return to_jsonable(out)

    @property
    def l3_consistent(self) -> bool | None:
        ts = self.thickness_series
        if ts is None:
            return None
        lo, hi = ts.exponent_ci95
        return bool(hi >= 3.0 - L3_TOLERANCE and lo <= 3.0 + L3_TOLERANCE)

    def summary_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for f in self.files:
            tag = Path(f["path"]).name if f.get("path") else "curve"
            t = f.get("temperature_K")
            tag += f" ({t:g} K)" if t else ""
            rows.append(
                (
                    f"mu Mott-Gurney {tag}",
                    _fmt(f["mobility_m2_Vs"]) + " m2/Vs",
                    _ci_text(f["mobility_ci95_m2_Vs"]),
                )
            )
            dd = f.get("mobility_drift_diffusion")
            if dd:
                rows.append(
                    (
                        f"mu drift-diffusion {tag}",
                        _fmt(dd["value_m2_V_s"]) + " m2/Vs",
                        _ci_text(dd["ci95_m2_V_s"]) + " (diffusion included)",
                    )
                )
            af = f.get("at_field")
            if af:
                rows.append(
                    (
                        f"mu at {af['field_V_m']:.3g} V/m {tag}",
                        _fmt(af["mobility_m2_Vs"]) + " m2/Vs",
                        f"J/J_MG = {af['j_over_mott_gurney']:.3g} at {af['voltage_V']:.3g} V",
                    )
                )
        if self.arrhenius is not None:
            a = self.arrhenius
            rows.append(
                ("activation energy", f"{a.activation_eV:.3f} eV", _ci_text(a.activation_ci95_eV))
            )
            rows.append(("mu_inf", _fmt(a.mu_inf_m2_Vs) + " m2/Vs", _ci_text(a.mu_inf_ci95_m2_Vs)))
        if self.thickness_series is not None:
            ts = self.thickness_series
            rows.append(("J ~ L^-m, m", f"{ts.exponent:.3f}", _ci_text(ts.exponent_ci95)))
        return rows

    def _plot_default(self, ax):
        return self.plot_jv(ax)

    def plot_jv(self, ax=None):
        """J-V on log-log axes with the Mott-Gurney (+ leak) fits."""
        from nctransport.device.drift_diffusion import mott_gurney_current

        ax = _axes(ax)
        for name, v, j, L, t, fit, dd in self.curves:
            keep = (v > 0) & (j > 0)
            label = Path(name).stem + (f" ({t:.0f} K)" if t else "")
            line = ax.plot(*_thin(v[keep], j[keep]), "o", ms=3, label=label)[0]
            vv = np.geomspace(*fit.fit_range_V, 50)
            jm = mott_gurney_current(
                np.clip(vv - (fit.offset_V or 0.0), 0, None),
                thickness_m=L,
                eps_r=self.eps_r,
                mobility_m2_Vs=fit.mobility_m2_Vs,
            )
            if fit.leak_conductance_S_m2:
                jm = jm + fit.leak_conductance_S_m2 * vv
            ax.plot(vv, jm, "-", color=line.get_color())
            if dd is not None:
                ax.plot(
                    dd.model_voltages_V[0],
                    dd.model_current_density_A_m2[0],
                    ":",
                    color=line.get_color(),
                )
        _log_axes(ax, x=True, y=True)
        ax.set_xlabel("V (V)")
        ax.set_ylabel("J (A/m²)")
        ax.legend(fontsize=7)
        return ax

    def plot_slope(self, ax=None):
        """Local log-log slope d ln J / d ln V (1: ohmic, 2: SCLC)."""
        from nctransport.device.sclc import loglog_slope

        ax = _axes(ax)
        for name, v, j, *_ in self.curves:
            vs, m = loglog_slope(v, j)
            ax.plot(*_thin(vs, m), ".-", label=Path(name).stem)
        ax.axhline(1, color="0.6", lw=0.8, ls=":")
        ax.axhline(2, color="0.6", lw=0.8, ls="--")
        _log_axes(ax, x=True)
        ax.set_xlabel("V (V)")
        ax.set_ylabel("d ln J / d ln V")
        return ax

    def plot_arrhenius(self, ax=None):
        """Mott-Gurney mobility vs 1000/T with the Arrhenius fit (Li 2024 Fig. 5)."""
        from nctransport.device.arrhenius import arrhenius_mobility

        if self.arrhenius is None:
            raise TypeError("no Arrhenius fit (needs >= 3 temperatures)")
        ax = _axes(ax)
        arr = self.arrhenius
        t = np.array(arr.temperatures_K)
        ax.plot(1000 / t, arr.mobilities_m2_Vs, "o")
        tt = np.linspace(t.min() * 0.95, t.max() * 1.05, 50)
        ax.plot(
            1000 / tt,
            arrhenius_mobility(tt, mu_inf_m2_Vs=arr.mu_inf_m2_Vs, activation_eV=arr.activation_eV),
            "-",
            label=f"Δ = {arr.activation_eV:.3f} eV",
        )
        _log_axes(ax, y=True)
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("μ(0) (m²/Vs)")
        ax.legend()
        return ax

    def plot_thickness(self, ax=None):
        """J L^3 vs V: SCLC curves of all thicknesses collapse (Li 2024 Fig. 2b)."""
        if self.thickness_series is None:
            raise TypeError("no thickness series (needs >= 2 thicknesses)")
        ax = _axes(ax)
        for name, v, j, L, *_ in self.curves:
            keep = (v > 0) & (j > 0)
            vk, jk = _thin(v[keep], j[keep] * L**3)
            ax.plot(vk, jk, "o-", ms=3, label=f"{Path(name).stem} ({L * 1e9:.0f} nm)")
        _log_axes(ax, y=True)
        ax.set_xlabel("V (V)")
        ax.set_ylabel("J L³ (A m)")
        ax.set_title(f"J ∝ L^-{self.thickness_series.exponent:.2f}")
        ax.legend(fontsize=7)
        return ax

    #: The report's figures are drawn as SVG by nctransport itself: importing matplotlib
    #: and drawing was ~0.7 s of a single-curve sclc's ~1.9 s of CPU;
    #: ``figure_formats=("png",)`` draws them with matplotlib.
    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        fig, (ax, axs) = _new_figure(backend, 1, 2, figsize=(10, 4))
        self.plot_jv(ax)
        self.plot_slope(axs)
        figs = [
            (
                "sclc",
                "J-V with Mott-Gurney fits (dotted: drift-diffusion fit); local log-log slope",
                fig,
            )
        ]
        if self.arrhenius is not None:
            fig, ax = _new_figure(backend)
            self.plot_arrhenius(ax)
            figs.append(("arrhenius", "Arrhenius plot of the Mott-Gurney mobility", fig))
        if self.thickness_series is not None:
            fig, ax = _new_figure(backend)
            self.plot_thickness(ax)
            figs.append(("thickness_collapse", "J L^3 collapse of the thickness series", fig))
        return figs


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


#: Most markers drawn per curve; denser J-V curves are thinned for display only (every
#: point stays in results.json and the fits).
MAX_MARKERS = 200


def _thin(x: np.ndarray, y: np.ndarray, n_max: int = MAX_MARKERS) -> tuple[np.ndarray, ...]:
    """Every k-th point of a curve so that at most about ``n_max`` are drawn, both ends kept.

    Subsampling rather than averaging: a mean of log-spaced J-V points would not lie on the
    curve.

    >>> [a.tolist() for a in _thin(np.arange(10.0), np.arange(10.0), n_max=4)]
    [[0.0, 3.0, 6.0, 9.0], [0.0, 3.0, 6.0, 9.0]]
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.size <= n_max:
        return x, y
    idx = np.unique(np.linspace(0, x.size - 1, n_max).round().astype(int))
    return x[idx], y[idx]


def _log_axes(ax: Any, *, x: bool = False, y: bool = False) -> None:
    """Log scales by ``set_xscale``/``set_yscale`` (not ``loglog``/``semilogy``), which a
    matplotlib Axes and the report's SVG axes both take."""
    if x:
        ax.set_xscale("log")
    if y:
        ax.set_yscale("log")


def _new_figure(
    backend: str = "matplotlib",
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float] = (6.0, 4.0),
) -> tuple[Any, Any]:
    """``(figure, axes)`` of a report figure: an :class:`~nctransport.report.svg.SvgFigure`
    (no matplotlib import) for ``backend="svg"``, else a matplotlib Figure in the project
    style. ``axes`` is one Axes for a single panel, else a sequence of them.

    Parameters
    ----------
    backend
        ``"svg"`` or ``"matplotlib"``.
    nrows, ncols
        Grid of panels.
    figsize
        Width and height in inches.
    """
    if backend == "svg":
        from nctransport.report.svg import SvgFigure

        fig = SvgFigure(nrows, ncols, figsize=figsize)
        # room for y tick labels such as "1e-12" and the axis label beside them (matplotlib's
        # constrained layout finds this itself)
        fig.subplots_adjust(left=max(0.1, 85.0 / fig.width))
        return fig, (fig.axes[0] if nrows * ncols == 1 else fig.axes)
    if backend != "matplotlib":
        raise ValueError(f"backend must be 'svg' or 'matplotlib', not {backend!r}")
    from nctransport.plotting import new_figure

    return new_figure(nrows, ncols, figsize=figsize)


def sclc(
    files,
    *,
    thickness=None,
    eps_r: float = 3.5,
    temperatures=None,
    fit_range=None,
    leak: bool = True,
    offset: bool = False,
    drift_diffusion: bool = True,
    site_density="1e27/m^3",
    at_field=None,
    n_points: int = 120,
) -> SCLCResult:
    """Mott-Gurney SCLC analysis of one or many J-V curves (Li 2024).

    Per curve: log-log slope regimes, the Mott-Gurney mobility (with an ohmic leak), and next
    to it the diffusion-corrected mobility of a constant-mobility drift-diffusion fit over the
    same range (a warning when the two differ by more than their CIs). With >= 3 temperatures
    an Arrhenius fit (Li 2024 Eq. 4), with >= 2 thicknesses the J ~ L^-m scaling (warned when
    its CI misses 3 +- 0.1). ``at_field`` (V/m) also gives the SCLC mobility at that field,
    mu(E) = mu_MG J(V) / J_MG(V) with V = E L (Li 2024, the comparison with transient EL).

    Parameters
    ----------
    files
        A path, a list of paths, or xarray Dataset(s) of kind jv.
    thickness, temperatures
        One value or one per file; default each file's metadata. An option overrides the
        metadata (with a warning naming each file whose own value differs).
    eps_r
        Relative permittivity.
    fit_range
        ``(V_min, V_max)`` or ``"0.2V:3V"``; default the first slope-2 regime.
    leak, offset
        Fit an ohmic leak and/or an offset voltage with the Mott-Gurney law.
    drift_diffusion
        Also fit the constant-mobility drift-diffusion model (Boltzmann, Ohmic contacts,
        ``site_density``).

    Examples
    --------
    >>> import nctransport as nct  # doctest: +SKIP
    >>> r = nct.sclc(["jv_220K.csv", "jv_297K.csv"], thickness="110nm", eps_r=3.5)  # doctest: +SKIP
    >>> r.to_dict()["files"][0]["mobility_m2_Vs"]  # doctest: +SKIP
    """
    from nctransport.device.arrhenius import fit_arrhenius
    from nctransport.device.sclc import fit_mott_gurney, slope_regimes, thickness_scaling

    items = _as_list(files)
    eps = _eps_r(eps_r)
    rng = _parse_range(fit_range) if fit_range is not None else None
    thick = _per_file(thickness, len(items), "m", "--thickness")
    temps = _per_file(temperatures, len(items), "K", "--temperatures")
    n_sites = _positive(site_density, "1/m**3", "--site-density")
    field_at = _optional_positive(at_field, "V/m", "--at-field")
    jvs = _load_jvs(items, thickness=thick, temperature=temps)
    warnings: list[str] = []
    thick = _resolve(jvs, thick, "thickness", "m", "--thickness", warnings)
    temps = _resolve(jvs, temps, "temperature", "K", "--temperatures", warnings)
    per_file, curves = [], []
    for jv, L, t in zip(jvs, thick, temps, strict=True):
        if L is None:
            raise ConfigError(
                "no thickness: give --thickness or a 'thickness' metadata line", jv.path
            )
        try:
            fit = fit_mott_gurney(
                jv.v, jv.j, thickness_m=L, eps_r=eps, leak=leak, offset=offset, fit_range_V=rng
            )
            regimes = slope_regimes(jv.v, jv.j)
        except NctransportError as exc:
            raise type(exc)(exc.message, jv.path) from None
        if not fit.success:
            warnings.append(f"{jv.name}: Mott-Gurney fit did not converge ({fit.message})")
        entry = {
            "path": None if jv.path is None else str(jv.path),
            "temperature_K": t,
            "thickness_m": L,
            "mobility_m2_Vs": fit.mobility_m2_Vs,
            "mobility_ci95_m2_Vs": fit.mobility_ci95_m2_Vs,
            "mobility_cm2_Vs": fit.mobility_m2_Vs * 1e4,
            "slope_regimes": [
                {"v_start": r.v_start, "v_end": r.v_end, "slope": r.slope, "kind": r.kind}
                for r in regimes
            ],
            "fit_range_V": fit.fit_range_V,
            "leak_conductance_S_m2": fit.leak_conductance_S_m2,
            "leak_conductance_ci95_S_m2": fit.leak_conductance_ci95_S_m2,
            "offset_V": fit.offset_V,
            "offset_ci95_V": fit.offset_ci95_V,
            "residual_std_lnJ": fit.residual_std_lnJ,
            "n_points": fit.n_points,
            "converged": fit.success,
        }
        dd = None
        if drift_diffusion:
            dd, msg = _dd_mobility(jv, L, t, eps, fit, n_sites, n_points)
            if msg:
                warnings.append(msg)
            if dd is not None:
                e = dd.parameters["mobility_m2_Vs"]
                entry["mobility_drift_diffusion"] = e.to_dict()
                lo, hi = fit.mobility_ci95_m2_Vs
                if e.ci95[1] < lo or e.ci95[0] > hi:
                    warnings.append(
                        f"{jv.name}: the Mott-Gurney mobility {fit.mobility_m2_Vs:.3g} m2/Vs "
                        f"and the drift-diffusion one {e.value:.3g} m2/Vs differ by more than "
                        "their CIs (Mott-Gurney neglects diffusion; the drift-diffusion value "
                        "is the better estimate of a constant mobility)"
                    )
        if field_at is not None:
            entry["at_field"] = _mobility_at_field(jv, L, eps, fit, field_at)
        per_file.append(entry)
        curves.append((jv.name, jv.v, jv.j, L, t, fit, dd))
    known = [e["temperature_K"] for e in per_file if e["temperature_K"] is not None]
    arr = None
    if len(known) == len(per_file) and len(set(known)) >= 3:
        arr = fit_arrhenius(
            known,
            [e["mobility_m2_Vs"] for e in per_file],
            [e["mobility_ci95_m2_Vs"] for e in per_file],
        )
    scaling = None
    if len({e["thickness_m"] for e in per_file}) >= 2:
        # Compare the devices inside their common SCLC (Mott-Gurney) range unless told.
        common = rng
        if common is None:
            lo = max(c[5].fit_range_V[0] for c in curves)
            hi = min(c[5].fit_range_V[1] for c in curves)
            common = (lo, hi) if lo < hi else None
        scaling = thickness_scaling([(c[3], c[1], c[2]) for c in curves], fit_range_V=common)
        lo, hi = scaling.exponent_ci95
        if not (hi >= 3.0 - L3_TOLERANCE and lo <= 3.0 + L3_TOLERANCE):
            warnings.append(
                f"J ~ L^-{scaling.exponent:.2f} [{lo:.2f}, {hi:.2f}]: the thickness scaling is "
                f"not the SCLC L^-3 (within +-{L3_TOLERANCE:g})"
            )
    settings = {
        "thickness_m": thick,
        "eps_r": eps,
        "fit_range": None if rng is None else list(rng),
        "leak": leak,
        "offset": offset,
        "temperatures_K": temps,
        "drift_diffusion": drift_diffusion,
        "site_density_m3": n_sites,
        "at_field_V_m": field_at,
        "grid_points": n_points,
    }
    return SCLCResult(
        files=tuple(per_file),
        curves=tuple(curves),
        eps_r=eps,
        arrhenius=arr,
        thickness_series=scaling,
        settings=settings,
        prov=_provenance(jvs, settings),
        warnings=tuple(warnings),
    )


def _dd_mobility(jv: _JV, L, t, eps, fit, n_sites, n_points):
    """Constant-mobility drift-diffusion fit over the Mott-Gurney range, or (None, why)."""
    from nctransport.device.fit import JVCurve, fit_drift_diffusion

    try:
        dd = fit_drift_diffusion(
            [JVCurve(jv.v, jv.j, t or 297.0, label=jv.name, thickness_m=L)],
            model="constant",
            eps_r=eps,
            site_density_m3=n_sites,
            mobility_init_m2_Vs=fit.mobility_m2_Vs,
            fit_range_V=fit.fit_range_V,
            ci="curvature",
            n_points=n_points,
        )
    except NctransportError as exc:
        return None, f"{jv.name}: no drift-diffusion mobility ({exc.message})"
    if t is None:
        return dd, f"{jv.name}: no temperature; the drift-diffusion fit assumed 297 K"
    return dd, None


def _mobility_at_field(jv: _JV, L, eps, fit, field_V_m) -> dict:
    """Li 2024: at the TEL field the current is J/J_MG times Mott-Gurney, so mu(E) = that x mu."""
    from nctransport.device.drift_diffusion import mott_gurney_current

    v_at = field_V_m * L
    keep = (jv.v > 0) & (jv.j > 0)
    v, j = jv.v[keep], jv.j[keep]
    order = np.argsort(v)
    v, j = v[order], j[order]
    if not v[0] <= v_at <= v[-1]:
        raise InputError(
            f"--at-field: {field_V_m:.3g} V/m is V = {v_at:.3g} V, outside the data "
            f"({v[0]:.3g}..{v[-1]:.3g} V)",
            jv.path,
        )
    j_at = float(np.exp(np.interp(np.log(v_at), np.log(v), np.log(j))))
    j_mg = float(
        mott_gurney_current(v_at, thickness_m=L, eps_r=eps, mobility_m2_Vs=fit.mobility_m2_Vs)
    )
    ratio = j_at / j_mg
    return {
        "field_V_m": field_V_m,
        "voltage_V": v_at,
        "j_over_mott_gurney": ratio,
        "mobility_m2_Vs": ratio * fit.mobility_m2_Vs,
    }


def _parse_range(value) -> tuple[float, float]:
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) != 2:
            raise ConfigError(f"--fit-range expects start:stop, e.g. 0.2V:3V, got {value!r}")
        lo, hi = (_volts(p, "--fit-range") for p in parts)
    else:
        try:
            lo, hi = (_volts(p, "--fit-range") for p in value)
        except (TypeError, ValueError):
            raise ConfigError(f"--fit-range expects (start, stop), got {value!r}") from None
    if not lo < hi:
        raise ConfigError(f"--fit-range must be increasing, got {value!r}")
    return lo, hi


def _as_list(files) -> list:
    if isinstance(files, str | Path) or hasattr(files, "data_vars"):
        return [files]
    items = list(files)
    if not items:
        raise InputError("no J-V files given")
    return items


# --------------------------------------------------------------------------- simulate


@dataclass(frozen=True, eq=False)
class JVSimulation(ResultProtocol):
    """A drift-diffusion J-V (and profiles) of a single-carrier device."""

    voltages_V: np.ndarray
    current_density_A_m2: np.ndarray
    x_m: np.ndarray = field(repr=False)
    density_m3: np.ndarray = field(repr=False)
    field_V_m: np.ndarray = field(repr=False)
    potential_V: np.ndarray = field(repr=False)
    quasi_fermi_V: np.ndarray = field(repr=False)
    max_continuity_error: float = 0.0
    newton_iterations: int = 0
    built_in_V: float = 0.0
    reference_mobility_m2_Vs: float = 0.0
    j_over_mott_gurney_at_max_V: float | None = None
    settings: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    workflow = "device simulate"

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "voltages_V": self.voltages_V,
                "current_density_A_m2": self.current_density_A_m2,
                "max_continuity_error": self.max_continuity_error,
                "newton_iterations": self.newton_iterations,
                "built_in_V": self.built_in_V,
                "j_over_mott_gurney_at_max_V": self.j_over_mott_gurney_at_max_V,
                "outputs": {"jv": "jv.csv", "profiles": "profiles.nc"},
                "warnings": list(self.warnings),
                **provenance(None, None, self.settings),
            }
        )

    def _report_results(self) -> dict[str, Any]:
        d = self.to_dict()
        d.pop("voltages_V")
        d.pop("current_density_A_m2")
        return d

    def summary_rows(self) -> list[tuple[str, str, str]]:
        v, j = self.voltages_V, self.current_density_A_m2
        rows = [
            (f"J({vi:.4g} V)", f"{ji:.4g} A/m2", "")
            for vi, ji in list(zip(v, j, strict=True))[:: max(1, v.size // 10)]
        ]
        if self.j_over_mott_gurney_at_max_V is not None:
            rows.append(
                (
                    "J / J_Mott-Gurney at max V",
                    f"{self.j_over_mott_gurney_at_max_V:.4g}",
                    "diffusion and contacts",
                )
            )
        rows.append(("max continuity error", f"{self.max_continuity_error:.2g}", "relative"))
        return rows

    def headline(self) -> str:
        i = int(np.argmax(self.voltages_V))
        return f"J({self.voltages_V[i]:.4g} V) = {self.current_density_A_m2[i]:.4g} A/m2"

    def jv_csv(self) -> str:
        s = self.settings
        lines = [
            f"# temperature: {s['temperature_K']:g} K",
            f"# thickness: {s['thickness_m'] * 1e9:g} nm",
            "# technique: JV",
            f"# sample: simulated {s['model']} / {s['statistics']}",
            "V [V],J [A/m2]",
        ]
        lines += [
            f"{vi!r},{ji!r}"
            for vi, ji in zip(
                self.voltages_V.tolist(), self.current_density_A_m2.tolist(), strict=True
            )
        ]
        return "\n".join(lines) + "\n"

    def _profiles(self) -> tuple[dict, dict, dict]:
        """``(data_vars, coords, attrs)`` of the profiles, sorted by voltage."""
        v = self.voltages_V
        order = np.argsort(v)
        data_vars = {
            "density": (("V", "x"), self.density_m3[order], {"units": "m**-3"}),
            "field": (("V", "x"), self.field_V_m[order], {"units": "V/m"}),
            "potential": (("V", "x"), self.potential_V[order], {"units": "V"}),
            "quasi_fermi_level": (("V", "x"), self.quasi_fermi_V[order], {"units": "V"}),
            "J": (("V",), self.current_density_A_m2[order], {"units": "A/m**2"}),
        }
        coords = {
            "V": (("V",), v[order], {"units": "V"}),
            "x": (("x",), self.x_m, {"units": "m"}),
        }
        attrs = {"kind": "device_profiles", "temperature": f"{self.settings['temperature_K']} K"}
        return data_vars, coords, attrs

    def profiles_dataset(self):
        """Density, field, potential and quasi-Fermi level vs (V, x) as an xarray Dataset."""
        import xarray as xr

        from nctransport import _xarray_compat

        _xarray_compat.install()
        data_vars, coords, attrs = self._profiles()
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def _write_data(self, out_dir: Path) -> list[Path]:
        from nctransport.io.atomic import write_text
        from nctransport.io.netcdf_arrays import save_netcdf_arrays

        paths = [write_text(out_dir / "jv.csv", self.jv_csv())]
        # What save_netcdf(self.profiles_dataset(), ...) writes, without importing xarray.
        data_vars, coords, attrs = self._profiles()
        paths.append(save_netcdf_arrays(out_dir / "profiles.nc", data_vars, coords, attrs))
        return [Path(p) for p in paths]

    def _plot_default(self, ax):
        return self.plot_jv(ax)

    def plot_jv(self, ax=None):
        """J-V (log-log) with the Mott-Gurney law of the zero-density, zero-field mobility."""
        from nctransport.device.drift_diffusion import mott_gurney_current

        ax = _axes(ax)
        v, j = self.voltages_V, self.current_density_A_m2
        keep = (v > 0) & (j > 0)
        ax.plot(v[keep], j[keep], "o-", ms=3, label="drift-diffusion")
        ax.plot(
            v[keep],
            mott_gurney_current(
                v[keep],
                thickness_m=self.settings["thickness_m"],
                eps_r=self.settings["eps_r"],
                mobility_m2_Vs=self.reference_mobility_m2_Vs,
            ),
            "--",
            label="Mott-Gurney, μ(p→0, E→0)",
        )
        ax.set_xscale("log")  # not loglog(): the report's SVG axes take these calls too
        ax.set_yscale("log")
        ax.set_xlabel("V (V)")
        ax.set_ylabel("J (A/m²)")
        ax.legend(fontsize=8)
        return ax

    def plot_density(self, ax=None):
        """Hole density profiles at up to 5 voltages."""
        ax = _axes(ax)
        v = self.voltages_V
        idx = np.argsort(v)[np.linspace(0, v.size - 1, min(5, v.size)).astype(int)]
        for i in idx:
            ax.plot(self.x_m * 1e9, self.density_m3[i], label=f"{v[i]:.3g} V")
        _log_axes(ax, y=True)
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("p (m⁻³)")
        ax.legend(fontsize=7)
        return ax

    #: The report's J-V is drawn as SVG by nctransport itself (no matplotlib import: ~0.5 s
    #: of a 41-point simulation's ~1 s); ``figure_formats=("png",)`` draws it with matplotlib.
    draws_svg = True

    def _figures(self, backend: str = "matplotlib"):
        # One small panel: the figure is most of a simulation's cost (profiles: plot_density).
        fig, ax = _new_figure(backend, figsize=(5, 3.6))
        self.plot_jv(ax)
        return [("simulation", "J-V with the Mott-Gurney law of the low-field mobility", fig)]


def simulate_jv(
    *,
    model: str = "egdm",
    statistics: str | None = None,
    mobility=None,
    mu0=None,
    gamma=None,
    sigma=None,
    a=None,
    site_density=None,
    temperature="297K",
    thickness="110nm",
    eps_r: float = 3.5,
    voltages="0:10:41",
    barrier_anode="0eV",
    barrier_cathode="0eV",
    image_force: bool = False,
    points: int = 200,
) -> JVSimulation:
    """Drift-diffusion J-V of a single-carrier device (constant / Poole-Frenkel / EGDM).

    Quantities take text with units, pint quantities or floats in SI. ``statistics`` defaults
    to ``gauss-fermi`` for the EGDM (site density 1/a^3) and ``boltzmann`` otherwise
    (1e27 m^-3).

    Examples
    --------
    >>> r = simulate_jv(model="constant", mobility="4.4e-11 m^2/V/s", thickness="110nm",
    ...                 eps_r=3.5, temperature="297K", voltages="0:10:11", points=60)
    >>> round(r.j_over_mott_gurney_at_max_V, 1)
    1.2
    """
    from nctransport.device.drift_diffusion import (
        Device,
        Statistics,
        mott_gurney_current,
        solve_jv,
    )
    from nctransport.device.mobility import ConstantMobility, EGDMMobility, PooleFrenkelMobility

    if model not in ("constant", "poole-frenkel", "egdm"):
        raise ConfigError(f"--model must be constant, poole-frenkel or egdm, got {model!r}")
    statistics = statistics or ("gauss-fermi" if model == "egdm" else "boltzmann")
    if statistics not in ("boltzmann", "gauss-fermi"):
        raise ConfigError(f"--statistics must be boltzmann or gauss-fermi, got {statistics!r}")
    T = _positive(temperature, "K", "--temperature")
    L = _positive(thickness, "m", "--thickness")
    eps = _eps_r(eps_r)
    v = parse_voltages(voltages)
    points = _grid_points(points, v.size)
    sig = _optional_positive(sigma, "eV", "--sigma")
    a_m = _optional_positive(a, "m", "--a")
    if model == "constant":
        if mobility is None:
            raise ConfigError("--model constant needs --mobility")
        mob = ConstantMobility(_positive(mobility, "m**2/V/s", "--mobility"))
    elif model == "poole-frenkel":
        base = mu0 if mu0 is not None else mobility
        if base is None:
            raise ConfigError("--model poole-frenkel needs --mu0 (and --gamma)")
        g = 0.0 if gamma is None else _gamma(gamma)
        mob = PooleFrenkelMobility(_positive(base, "m**2/V/s", "--mu0"), g)
    else:
        if mu0 is None or sig is None or a_m is None:
            raise ConfigError("--model egdm needs --mu0, --sigma and --a")
        mob = EGDMMobility(_positive(mu0, "m**2/V/s", "--mu0"), sig, a_m, T)
    if site_density is not None:
        n_sites = _positive(site_density, "1/m**3", "--site-density")
    elif a_m is not None:
        n_sites = 1.0 / a_m**3
    else:
        n_sites = 1e27
    if statistics == "gauss-fermi" and sig is None:
        raise ConfigError("--statistics gauss-fermi needs --sigma (and --a for the site density)")
    stats = Statistics(statistics, n_sites, sig if statistics == "gauss-fermi" else None)
    dev = Device(
        L,
        eps,
        temperature_K=T,
        barrier_anode_eV=_energy(barrier_anode, "--barrier-anode"),
        barrier_cathode_eV=_energy(barrier_cathode, "--barrier-cathode"),
        image_force=image_force,
    )
    sol = solve_jv(
        v, device=dev, mobility=mob, statistics=stats, n_points=int(points), keep_profiles=True
    )
    j = sol.current_density_A_m2
    ref_mu = float(mob.evaluate(np.array([0.0]), np.array([0.0]))[0][0])
    ratio = None
    v_top = float(np.max(v))
    if v_top > 0 and model == "constant":
        ratio = float(
            j[int(np.argmax(v))]
            / mott_gurney_current(v_top, thickness_m=L, eps_r=eps, mobility_m2_Vs=ref_mu)
        )
    settings = {
        "model": model,
        "statistics": statistics,
        "site_density_m3": n_sites,
        "mobility": None if mobility is None else str(mobility),
        "gamma": None if gamma is None else str(gamma),
        "mu0": None if mu0 is None else str(mu0),
        "sigma_eV": sig,
        "a_m": a_m,
        "temperature_K": T,
        "thickness_m": L,
        "eps_r": eps,
        "voltages": voltages if isinstance(voltages, str) else list(map(float, v)),
        "barrier_anode_eV": dev.barrier_anode_eV,
        "barrier_cathode_eV": dev.barrier_cathode_eV,
        "image_force": image_force,
        "grid_points": int(points),
    }
    nz = v != 0
    return JVSimulation(
        voltages_V=v,
        current_density_A_m2=j,
        x_m=sol.x_m,
        density_m3=sol.density_m3,
        field_V_m=sol.field_V_m,
        potential_V=sol.potential_V,
        quasi_fermi_V=sol.quasi_fermi_V,
        max_continuity_error=float(np.max(sol.continuity_error[nz])) if np.any(nz) else 0.0,
        newton_iterations=int(np.sum(sol.newton_iterations)),
        built_in_V=dev.built_in_V,
        reference_mobility_m2_Vs=ref_mu,
        j_over_mott_gurney_at_max_V=ratio,
        settings=settings,
    )


def _gamma(value) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return _quantity(value, "m**0.5/V**0.5", "--gamma")


# --------------------------------------------------------------------------- fit


#: results.json keys of each parameter's value and CI (kept from the EGDM-only fit).
_FLAT = {
    "mobility_m2_Vs": ("mobility_m2_Vs", "mobility_ci95_m2_Vs"),
    "mu0_m2_Vs": ("mu0_m2_Vs", "mu0_ci95_m2_Vs"),
    "gamma_sqrt_m_V": ("gamma_sqrt_m_V", "gamma_ci95_sqrt_m_V"),
    "sigma_eV": ("sigma_eV", "sigma_ci95_eV"),
    "a_m": ("a_m", "a_ci95_m"),
    "built_in_V": ("built_in_V", "built_in_ci95_V"),
    "leak_S_m2": ("leak_S_m2", "leak_ci95_S_m2"),
    "series_resistance_ohm_m2": ("series_resistance_ohm_m2", "series_resistance_ci95_ohm_m2"),
}


@dataclass(frozen=True, eq=False)
class JVFitResult(ResultProtocol):
    """A drift-diffusion fit of J-V curves (see :func:`fit_jv`)."""

    fit: Any  # nctransport.device.fit.JVFit
    curves: tuple[tuple, ...] = field(repr=False)  # (name, V, J, T, L)
    settings: dict = field(default_factory=dict)
    prov: dict = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()

    workflow = "device fit"

    @property
    def parameters(self) -> dict[str, Estimate]:
        return self.fit.parameters

    def to_dict(self) -> dict[str, Any]:
        f = self.fit
        out: dict[str, Any] = {"model": f.model, "statistics": f.statistics}
        for name in _FLAT:
            if name in f.parameters:
                e = f.parameters[name]
                k, kc = _FLAT[name]
                out[k], out[kc] = e.value, list(e.ci95)
            elif name in f.fixed:
                out[_FLAT[name][0]] = f.fixed[name]
        if f.model == "egdm":
            out["a_fitted"] = "a_m" in f.parameters
        out["parameters"] = {k: e.to_dict() for k, e in f.parameters.items()}
        out["fixed"] = dict(f.fixed)
        out.update(
            {
                "correlations": f.correlations,
                "reduced_chi2": f.reduced_chi2,
                "reduced_chi2_note": f.chi2_note,
                "residual_std_lnJ": f.residual_std_lnJ,
                "n_points": f.n_points,
                "converged": f.success,
                "files": [
                    {"path": p.get("path"), "temperature_K": c[3], "thickness_m": c[4]}
                    for p, c in zip(self.prov.get("inputs", []), self.curves, strict=False)
                ],
                "warnings": list(self.warnings),
            }
        )
        out.update(self.prov)
        return to_jsonable(out)

    def summary_rows(self) -> list[tuple[str, str, str]]:
        rows = [
            (name, f"{e.value:.4g} {e.unit}", f"{_ci_text(e.ci95)} ({e.ci_method})")
            for name, e in self.fit.parameters.items()
        ]
        rows += [(name, f"{v:.4g}", "fixed") for name, v in self.fit.fixed.items()]
        rows.append(("reduced chi2", f"{self.fit.reduced_chi2:.3g}", self.fit.chi2_note))
        return rows

    def _plot_default(self, ax):
        return self.plot_fit(ax)

    def plot_fit(self, ax=None):
        """Data (circles) and the fitted drift-diffusion curves (lines)."""
        ax = _axes(ax)
        f = self.fit
        for (_name, v, j, t, L), vm, jm in zip(
            self.curves, f.model_voltages_V, f.model_current_density_A_m2, strict=True
        ):
            keep = (v > 0) & (j > 0)
            # open circles in matplotlib; the SVG axes draws filled ones (it has no mfc)
            line = ax.plot(
                *_thin(v[keep], j[keep]),
                "o",
                ms=4,
                mfc="none",
                label=f"{t:.0f} K, {L * 1e9:.0f} nm",
            )[0]
            ax.plot(vm, jm, "-", color=line.get_color())
        _log_axes(ax, x=True, y=True)
        ax.set_xlabel("V (V)")
        ax.set_ylabel("J (A/m²)")
        ax.set_title(f"drift-diffusion fit: {f.model}")
        ax.legend(fontsize=8)
        return ax

    #: SVG report figure without matplotlib (see :attr:`SCLCResult.draws_svg`).
    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        fig, ax = _new_figure(backend, figsize=(6, 4.5))
        self.plot_fit(ax)
        name = "egdm_fit" if self.fit.model == "egdm" else "jv_fit"
        return [(name, f"{self.fit.model} drift-diffusion fit", fig)]


def fit_jv(
    files,
    *,
    model: str = "egdm",
    statistics: str | None = None,
    temperatures=None,
    thickness=None,
    eps_r: float = 3.5,
    a="2.8nm",
    fit_a: bool = False,
    mobility_init=None,
    sigma_init="0.1eV",
    gamma_init="3e-4",
    site_density=None,
    barrier_anode="0eV",
    barrier_cathode="0eV",
    built_in="0V",
    fit_built_in: bool = False,
    leak: bool = False,
    series_resistance: bool = False,
    noise: float | None = None,
    fit_range=None,
    ci: str = "auto",
    points: int = 200,
) -> JVFitResult:
    """Drift-diffusion fit of one or many J-V curves (several temperatures and thicknesses).

    ``model`` is ``constant`` (mu), ``poole-frenkel`` (mu0, gamma) or ``egdm`` (mu0, sigma,
    optionally a; Li 2024 Eq. 5). Temperatures and thicknesses come from each file's
    metadata unless given (an option overrides metadata, with a warning naming the files).
    CIs are Student t on well-scaled coordinates, or profile likelihood where the curvature
    is a poor guide; each parameter's ``ci_method`` says which.

    Examples
    --------
    >>> import nctransport as nct  # doctest: +SKIP
    >>> r = nct.fit_jv(["jv_220K.csv", "jv_297K.csv"], model="egdm")  # doctest: +SKIP
    >>> r.parameters["sigma_eV"]  # doctest: +SKIP
    """
    from nctransport.device.fit import JVCurve, fit_drift_diffusion

    items = _as_list(files)
    eps = _eps_r(eps_r)
    points = _grid_points(points, 1)  # before loading anything: a fit runs hundreds of solves
    if noise is not None:
        try:
            noise = float(noise)
        except (TypeError, ValueError):
            raise InputError(f"--noise must be a positive number, got {noise!r}") from None
        if not (np.isfinite(noise) and noise > 0):
            raise InputError(f"--noise must be positive (the std of ln J), got {noise!r}")
    temps = _per_file(temperatures, len(items), "K", "--temperatures")
    thick = _per_file(thickness, len(items), "m", "--thickness")
    a_m = _positive(a, "m", "--a")
    jvs = _load_jvs(items, temperature=temps)
    warnings: list[str] = []
    temps = _resolve(jvs, temps, "temperature", "K", "--temperatures", warnings)
    thick = _resolve(jvs, thick, "thickness", "m", "--thickness", warnings)
    curves = []
    for jv, t, L in zip(jvs, temps, thick, strict=True):
        if t is None:
            raise ConfigError("no temperature: give --temperatures or a metadata line", jv.path)
        if L is None:
            raise ConfigError("no thickness: give --thickness or a metadata line", jv.path)
        curves.append(JVCurve(jv.v, jv.j, t, label=jv.name, thickness_m=L))
    rng = _parse_range(fit_range) if fit_range is not None else None
    try:
        res = fit_drift_diffusion(
            curves,
            model=model,
            eps_r=eps,
            statistics=statistics,
            site_density_m3=_optional_positive(site_density, "1/m**3", "--site-density"),
            mobility_init_m2_Vs=_optional_positive(mobility_init, "m**2/V/s", "--mobility-init"),
            gamma_init_sqrt_m_V=_gamma(gamma_init),
            sigma_init_eV=_positive(sigma_init, "eV", "--sigma-init"),
            a_m=a_m,
            fit_a=fit_a,
            barrier_anode_eV=_energy(barrier_anode, "--barrier-anode"),
            barrier_cathode_eV=_energy(barrier_cathode, "--barrier-cathode"),
            built_in_V=None if fit_built_in else _quantity(built_in, "V", "--built-in"),
            leak=leak,
            series_resistance=series_resistance,
            relative_noise=noise,
            fit_range_V=rng,
            ci=ci,
            n_points=points,
        )
    except NctransportError as exc:
        if len(jvs) == 1 and jvs[0].path is not None and exc.path is None:
            raise type(exc)(exc.message, jvs[0].path) from None
        raise
    if not res.success:
        warnings.append(f"{model} fit did not converge: {res.message}")
    settings = {
        "model": model,
        "statistics": res.statistics,
        "thickness_m": list(res.thicknesses_m),
        "temperatures_K": list(res.temperatures_K),
        "eps_r": eps,
        "a_m": a_m,
        "fit_a": fit_a,
        "sigma_init": str(sigma_init),
        "barrier_anode": str(barrier_anode),
        "barrier_cathode": str(barrier_cathode),
        "built_in": None if fit_built_in else str(built_in),
        "leak": leak,
        "series_resistance": series_resistance,
        "noise": noise,
        "ci": ci,
        "grid_points": points,
    }
    return JVFitResult(
        fit=res,
        curves=tuple(
            (
                c.label,
                np.asarray(c.voltages_V),
                np.asarray(c.current_density_A_m2),
                c.temperature_K,
                c.thickness_m,
            )
            for c in curves
        ),
        settings=settings,
        prov=_provenance(jvs, settings),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- tel


def stack_field(
    voltage_V: float,
    *,
    built_in_V: float = 0.0,
    layers: list[tuple[float, float]] | None = None,
    index: int = 0,
) -> float:
    """Field (V/m) in layer ``index`` of a stack of (thickness_m, eps_r) layers.

    Without space charge the layers are capacitors in series: D = eps_i E_i is the same in
    each, so E_i = (V - V_bi) / (eps_i sum_k d_k / eps_k); with equal permittivities
    E = (V - V_bi) / d_total.

    >>> round(stack_field(4.0, built_in_V=1.0, layers=[(30e-9, 3.5), (30e-9, 3.5)]) / 1e7, 3)
    5.0
    """
    if not layers:
        raise ConfigError("a layer stack needs at least one (thickness, eps_r) layer")
    d = np.array([float(x[0]) for x in layers])
    e = np.array([float(x[1]) for x in layers])
    if np.any(~(d > 0)) or np.any(~(e > 0)):
        raise InputError("layer thicknesses and permittivities must be positive")
    if not 0 <= index < d.size:
        raise ConfigError(f"layer index {index} is outside the stack of {d.size} layers")
    return float((voltage_V - built_in_V) / (e[index] * np.sum(d / e)))


@dataclass(frozen=True, eq=False)
class TELResult(ResultProtocol):
    """Transit times from transient EL and mu = d / (tau E) (Li 2024 Eq. 3, Fig. 4)."""

    files: tuple[dict, ...]
    curves: tuple[tuple, ...] = field(repr=False)  # (name, widths, output, TransitTimeFit, V)
    poole_frenkel: Any = None
    settings: dict = field(default_factory=dict)
    prov: dict = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()

    workflow = "device tel"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if len(self.files) == 1:
            out.update({k: v for k, v in self.files[0].items() if k != "path"})
        out["files"] = list(self.files)
        if self.poole_frenkel is not None:
            out["poole_frenkel"] = to_jsonable(self.poole_frenkel)
        out["warnings"] = list(self.warnings)
        out.update(self.prov)
        return to_jsonable(out)

    def summary_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for f in self.files:
            tag = Path(f["path"]).name if f.get("path") else "curve"
            rows.append(
                (
                    f"tau_d {tag} ({f['voltage_V']:g} V)",
                    _fmt(f["transit_time_s"]) + " s",
                    _ci_text(f["transit_time_ci95_s"]),
                )
            )
            rows.append(
                (
                    f"mu {tag}",
                    _fmt(f["mobility_m2_Vs"]) + " m2/Vs",
                    f"E^0.5 = {f['sqrt_field_sqrt_V_cm']:.4g} (V/cm)^0.5",
                )
            )
        if self.poole_frenkel is not None:
            pf = self.poole_frenkel
            rows.append(
                (
                    "Poole-Frenkel gamma",
                    f"{pf.gamma_sqrt_m_V:.4g} (m/V)^0.5",
                    _ci_text(pf.gamma_ci95_sqrt_m_V),
                )
            )
        return rows

    def _plot_default(self, ax):
        return self.plot_transit(ax)

    def plot_transit(self, ax=None):
        """Integrated EL vs pulse width and the straight lines whose intercepts are tau_d."""
        ax = _axes(ax)
        for name, w, y, fit, v in self.curves:
            line = ax.plot(*_thin(w * 1e6, y), "o", ms=3, label=f"{Path(name).stem} ({v:g} V)")[0]
            ww = np.linspace(fit.transit_time_s, w.max(), 20)
            ax.plot(ww * 1e6, fit.slope * (ww - fit.transit_time_s), "-", color=line.get_color())
        ax.set_xlabel("pulse width (µs)")
        ax.set_ylabel("integrated output")
        ax.legend(fontsize=7)
        return ax

    #: SVG report figure without matplotlib (see :attr:`SCLCResult.draws_svg`).
    draws_svg = True

    def _figures(self, backend: str = "matplotlib") -> list[tuple[str, str, Any]]:
        fig, ax = _new_figure(backend)
        self.plot_transit(ax)
        return [("tel", "integrated EL vs pulse width; intercepts = transit times", fig)]


def tel(
    files,
    *,
    thickness,
    voltage,
    built_in="0V",
    stack=None,
    fit_from=None,
) -> TELResult:
    """Transit time from transient EL and the transit mobility (Li 2024 Eq. 3, Fig. 4).

    Parameters
    ----------
    files
        Integrated EL output vs pulse width (decay-kind files/Datasets: t = pulse width).
    thickness
        Thickness of the transport (QD) layer, e.g. ``"30nm"``.
    voltage
        Pulse amplitude, one or one per file.
    built_in
        Built-in voltage of the device: the field is (V - V_bi) / d.
    stack
        Other layers of the device as ``[(thickness, eps_r), ...]`` with the transport layer
        given as ``("qd", eps_r)`` or, if absent, first with eps_r of the others' first
        (e.g. ``[("25nm", 3), ("25nm", 3), ("qd", 3), ("40nm", 3)]``); the field is the QD
        layer's (series capacitors) and mu = d_QD / (tau E_QD).

    Examples
    --------
    >>> import nctransport as nct  # doctest: +SKIP
    >>> r = nct.tel("tel_4V.csv", thickness="30nm", voltage="4V", built_in="1.5V")  # doctest: +SKIP
    """
    from nctransport.dataset import SIGNAL, kind_of
    from nctransport.device.transit import fit_poole_frenkel, transit_time

    items = _as_list(files)
    L = _positive(thickness, "m", "--thickness")
    volts = [_volts(v, "--voltage") for v in _split(voltage)]
    if len(volts) == 1:
        volts = volts * len(items)
    if len(volts) != len(items):
        raise ConfigError(f"--voltage: give one value or one per file ({len(items)})")
    vbi = _quantity(built_in, "V", "--built-in")
    for v in volts:
        if not v > vbi:
            raise InputError(f"--voltage must exceed the built-in voltage {vbi:g} V, got {v:g} V")
    layers, index = _parse_stack(stack, L)
    start = _optional_positive(fit_from, "s", "--fit-from")
    per_file, curves, infos = [], [], []
    for item, v in zip(items, volts, strict=True):
        path = None
        if isinstance(item, str | Path):
            from nctransport.io import load

            path = Path(item)
            ds = load(path)
        else:
            ds = item
        if kind_of(ds) != "decay":
            raise InputError("expected integrated output vs pulse width (a t-axis curve)", path)
        w = np.asarray(ds["t"].values, dtype=float)
        y = np.asarray(ds[SIGNAL].values, dtype=float)
        try:
            fit = transit_time(w, y, fit_from_s=start)
        except NctransportError as exc:
            raise type(exc)(exc.message, path) from None
        e_field = stack_field(v, built_in_V=vbi, layers=layers, index=index)
        tau, tci = fit.transit_time_s, fit.transit_time_ci95_s
        mu = L / (tau * e_field)  # Li 2024 Eq. 3 with the field in the transport layer
        mu_ci = (L / (tci[1] * e_field), L / (tci[0] * e_field)) if tci[0] > 0 else (mu, None)
        per_file.append(
            {
                "path": None if path is None else str(path),
                "voltage_V": v,
                "field_V_m": e_field,
                "sqrt_field_sqrt_V_cm": float(np.sqrt(e_field / 100.0)),
                "transit_time_s": tau,
                "transit_time_ci95_s": tci,
                "mobility_m2_Vs": mu,
                "mobility_ci95_m2_Vs": mu_ci if mu_ci[1] is not None else None,
                "fit_from_s": fit.fit_from_s,
                "n_points": fit.n_points,
            }
        )
        curves.append((path.name if path else "dataset", w, y, fit, v))
        infos.append(
            {"path": None if path is None else str(path), "sha256": ds.attrs.get("source_sha256")}
        )
    pf = None
    if len({e["voltage_V"] for e in per_file}) >= 3:
        pf = fit_poole_frenkel(
            [e["field_V_m"] for e in per_file], [e["mobility_m2_Vs"] for e in per_file]
        )
    settings = {
        "thickness_m": L,
        "voltages_V": volts,
        "built_in_V": vbi,
        "stack": [[d, e] for d, e in layers],
        "transport_layer_index": index,
        "fit_from_s": start,
    }
    prov = provenance(
        infos[0]["path"] if len(infos) == 1 else None,
        infos[0]["sha256"] if len(infos) == 1 else None,
        settings,
    )
    if len(infos) > 1:
        prov["input"] = {"files": infos}
    prov["inputs"] = infos
    return TELResult(
        files=tuple(per_file),
        curves=tuple(curves),
        poole_frenkel=pf,
        settings=settings,
        prov=prov,
    )


def _parse_stack(stack, L: float) -> tuple[list[tuple[float, float]], int]:
    """Layers [(d, eps_r)] and the transport layer's index; default: the layer alone."""
    if not stack:
        return [(L, 1.0)], 0
    layers, index = [], None
    for k, item in enumerate(stack):
        try:
            d, e = item
        except (TypeError, ValueError):
            raise ConfigError(f"--stack: each layer is (thickness, eps_r), got {item!r}") from None
        eps = _eps_r(e)
        if isinstance(d, str) and d.strip().lower() in ("qd", "transport", "*"):
            if index is not None:
                raise ConfigError("--stack names the transport layer more than once")
            index = k
            layers.append((L, eps))
        else:
            layers.append((_positive(d, "m", "--stack"), eps))
    if index is None:
        raise ConfigError("--stack must mark the transport layer as ('qd', eps_r)")
    return layers, index
