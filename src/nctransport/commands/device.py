"""``device``: single-carrier device transport (Li 2024).

* ``device sclc``: log-log slope regimes, Mott-Gurney mobility (+ leak), Arrhenius over
  temperatures, J L^3 collapse over thicknesses.
* ``device tel``: transit time from transient electroluminescence, mu = L^2/(tau V).
* ``device simulate``: drift-diffusion J-V (constant / Poole-Frenkel / EGDM mobility).
* ``device fit``: EGDM fit (sigma, mu0, a) to J-V curves at several temperatures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import xarray as xr
from rich.console import Console
from rich.table import Table

from nctransport.commands.common import JsonFlag, OutDir, console, default_out_dir
from nctransport.dataset import SIGNAL, get_quantity, kind_of
from nctransport.errors import ConfigError, InputError, NctransportError, UnitError
from nctransport.io import load
from nctransport.io.atomic import write_text
from nctransport.results import dumps, provenance, to_jsonable, write_json
from nctransport.units import conversion_factor, parse_quantity

device_app = typer.Typer(
    name="device",
    help="Single-carrier devices: SCLC, transient EL, drift-diffusion simulation, EGDM fits.",
    no_args_is_help=True,
)
status_console = Console(stderr=True, highlight=False)

Files = Annotated[list[Path], typer.Argument(help="J-V files (kind jv: V [V], J [A/m2]).")]
ThicknessOpt = Annotated[
    list[str] | None,
    typer.Option("--thickness", help="Layer thickness, e.g. 110nm (one, or one per file)."),
]
EpsROpt = Annotated[float, typer.Option("--eps-r", help="Relative permittivity of the layer.")]
TemperaturesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--temperatures",
        "--temperature",
        help="Temperature per file, e.g. 250K (repeat, or comma-separated); "
        "default: each file's metadata.",
    ),
]


# --------------------------------------------------------------------------- helpers


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def _quantity(text: str, unit: str, name: str) -> float:
    try:
        return parse_quantity(text, unit, name=name)
    except NctransportError:
        raise
    except Exception:  # pint can raise e.g. OverflowError on 'k103'
        raise UnitError(f"{name}: cannot read {text!r} as a quantity in {unit}") from None


def _positive_quantity(text: str, unit: str, name: str) -> float:
    value = _quantity(text, unit, name)
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"{name} must be positive, got {text!r}")
    return value


def _per_file(values: list[str] | None, n: int, unit: str, name: str) -> list[float | None]:
    """One value for all files, one per file, or none (None entries)."""
    items = _split(values)
    if not items:
        return [None] * n
    if len(items) == 1:
        return [_positive_quantity(items[0], unit, name)] * n
    if len(items) != n:
        raise ConfigError(f"{name}: give one value or one per file ({n}), got {len(items)}")
    return [_positive_quantity(t, unit, name) for t in items]


def _eps_r(value: float) -> float:
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"--eps-r must be positive, got {value!r}")
    return float(value)


def load_jv(path: Path) -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
    """Load a J-V file: (dataset, V in volts, J in A/m^2)."""
    ds = load(path)
    kind = kind_of(ds)
    if kind != "jv":
        raise InputError(f"expected a J-V curve (kind jv, axis V), got kind {kind!r}", path)
    v = np.asarray(ds["V"].values, dtype=float)
    j = np.asarray(ds[SIGNAL].values, dtype=float)
    unit = ds[SIGNAL].attrs.get("units", "A/m**2")
    j = j * conversion_factor(unit, "A/m**2", name="J")
    return ds, v, j


def _input_entry(path: Path, ds: xr.Dataset) -> dict[str, Any]:
    return {"path": str(path), "sha256": ds.attrs.get("source_sha256"), **dict(ds.attrs)}


def _provenance_many(paths: list[Path], sha: list[str | None], settings: dict) -> dict:
    prov = provenance(
        paths[0] if len(paths) == 1 else None, sha[0] if len(sha) == 1 else None, settings
    )
    if len(paths) > 1:
        prov["input"] = {
            "files": [{"path": str(p), "sha256": s} for p, s in zip(paths, sha, strict=True)]
        }
    return prov


def _report(
    out_dir: Path, title: str, results: dict, figures: list[Path], inputs, settings, warnings
) -> None:
    from nctransport.report.html import write_report

    write_report(
        out_dir,
        title=title,
        results={k: v for k, v in results.items() if k not in ("input", "settings")},
        figures=[f for f in figures if f.suffix == ".png"],
        inputs=inputs,
        settings=settings,
        warnings=warnings,
    )


def _emit(results: dict, json: bool, table: Table, out_dir: Path, warnings: list[str]) -> None:
    if json:
        typer.echo(dumps(results), nl=False)
        return
    console.print(table)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"wrote {out_dir}")


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}"


def _ci(ci: Any) -> str:
    return "-" if ci is None else f"{ci[0]:.3g} .. {ci[1]:.3g}"


# --------------------------------------------------------------------------- sclc


@device_app.command("sclc")
def sclc(
    files: Files,
    thickness: ThicknessOpt = None,
    eps_r: EpsROpt = 3.5,
    temperatures: TemperaturesOpt = None,
    fit_range: Annotated[
        str | None, typer.Option("--fit-range", help="Mott-Gurney fit range, e.g. 0.2V:3V.")
    ] = None,
    no_leak: Annotated[bool, typer.Option("--no-leak", help="Fit without ohmic leak.")] = False,
    offset: Annotated[
        bool, typer.Option("--offset", help="Also fit an offset (built-in) voltage.")
    ] = False,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Mott-Gurney SCLC analysis of J-V FILES (slope regimes, mobility, Arrhenius, J L^3)."""
    from nctransport.device.arrhenius import fit_arrhenius
    from nctransport.device.sclc import fit_mott_gurney, slope_regimes, thickness_scaling

    eps = _eps_r(eps_r)
    rng = _parse_range(fit_range) if fit_range else None
    thick = _per_file(thickness, len(files), "m", "--thickness")
    temps = _per_file(temperatures, len(files), "K", "--temperatures")
    per_file, loaded, inputs, warnings = [], [], [], []
    for i, path in enumerate(files):
        ds, v, j = load_jv(path)
        L = thick[i] if thick[i] is not None else get_quantity(ds, "thickness", "m")
        if L is None:
            raise ConfigError("no thickness: give --thickness or a 'thickness' metadata line", path)
        if L <= 0:
            raise InputError(f"thickness must be positive, got {L!r} m", path)
        t = temps[i] if temps[i] is not None else get_quantity(ds, "temperature", "K")
        try:
            fit = fit_mott_gurney(
                v, j, thickness_m=L, eps_r=eps, leak=not no_leak, offset=offset, fit_range_V=rng
            )
        except NctransportError as exc:
            raise type(exc)(exc.message, path) from None
        regimes = slope_regimes(v, j)
        if not fit.success:
            warnings.append(f"{path.name}: Mott-Gurney fit did not converge ({fit.message})")
        entry = {
            "path": str(path),
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
        per_file.append(entry)
        loaded.append((path, ds, v, j, L, t, fit))
        inputs.append(_input_entry(path, ds))
    results: dict[str, Any] = {}
    if len(files) == 1:
        results.update({k: v for k, v in per_file[0].items() if k != "path"})
    results["files"] = per_file
    temps_known = [e["temperature_K"] for e in per_file if e["temperature_K"] is not None]
    arr = None
    if len(temps_known) == len(per_file) and len(set(temps_known)) >= 3:
        arr = fit_arrhenius(
            temps_known,
            [e["mobility_m2_Vs"] for e in per_file],
            [e["mobility_ci95_m2_Vs"] for e in per_file],
        )
        results["arrhenius"] = {
            "activation_eV": arr.activation_eV,
            "activation_ci95_eV": arr.activation_ci95_eV,
            "mu_inf_m2_Vs": arr.mu_inf_m2_Vs,
            "mu_inf_ci95_m2_Vs": arr.mu_inf_ci95_m2_Vs,
            "reduced_chi2": arr.reduced_chi2,
        }
    scaling = None
    if len({e["thickness_m"] for e in per_file}) >= 2:
        scaling = thickness_scaling([(e[4], e[2], e[3]) for e in loaded], fit_range_V=rng)
        results["thickness_series"] = to_jsonable(scaling)
        if not (scaling.exponent_ci95[0] <= 3.0 <= scaling.exponent_ci95[1]):
            warnings.append(
                f"J ~ L^-{scaling.exponent:.2f}: the thickness scaling is not the SCLC L^-3"
            )
    settings = {
        "thickness_m": thick,
        "eps_r": eps,
        "fit_range": fit_range,
        "leak": not no_leak,
        "offset": offset,
        "temperatures_K": temps,
    }
    results["warnings"] = warnings
    results.update(
        _provenance_many(
            list(files), [ds.attrs.get("source_sha256") for _, ds, *_ in loaded], settings
        )
    )
    out_dir = out or default_out_dir(files[0], "sclc")
    figures = _sclc_figures(out_dir, loaded, eps, arr, scaling)
    write_json(out_dir / "results.json", results)
    _report(
        out_dir,
        f"device sclc: {', '.join(p.name for p in files)}",
        results,
        figures,
        inputs,
        settings,
        warnings,
    )
    table = Table(title="Mott-Gurney SCLC")
    for c in ("file", "T (K)", "L (nm)", "mu (m2/Vs)", "95% CI", "fit range (V)"):
        table.add_column(c)
    for e in per_file:
        table.add_row(
            Path(e["path"]).name,
            _fmt(e["temperature_K"]),
            _fmt(e["thickness_m"] * 1e9),
            _fmt(e["mobility_m2_Vs"]),
            _ci(e["mobility_ci95_m2_Vs"]),
            _ci(e["fit_range_V"]),
        )
    if arr is not None:
        table.caption = (
            f"Arrhenius: Delta = {arr.activation_eV:.3f} eV "
            f"[{arr.activation_ci95_eV[0]:.3f}, {arr.activation_ci95_eV[1]:.3f}], "
            f"mu_inf = {arr.mu_inf_m2_Vs:.3g} m2/Vs"
        )
    _emit(results, json, table, out_dir, warnings)


def _parse_range(text: str) -> tuple[float, float]:
    parts = text.split(":")
    if len(parts) != 2:
        raise ConfigError(f"--fit-range expects start:stop, e.g. 0.2V:3V, got {text!r}")
    lo, hi = (_volts(p, "--fit-range") for p in parts)
    if not lo < hi:
        raise ConfigError(f"--fit-range must be increasing, got {text!r}")
    return lo, hi


def _volts(text: str, name: str) -> float:
    t = text.strip()
    try:
        value = float(t)
    except ValueError:
        value = _quantity(t, "V", name)
    if not np.isfinite(value):
        raise ConfigError(f"{name}: {text!r} is not a finite voltage")
    return value


def _sclc_figures(out_dir, loaded, eps, arr, scaling) -> list[Path]:
    from nctransport.device.drift_diffusion import mott_gurney_current
    from nctransport.device.sclc import loglog_slope
    from nctransport.plotting import new_figure, save_figure

    figs: list[Path] = []
    fig, (ax, axs) = new_figure(1, 2, figsize=(10, 4))
    for path, _, v, j, L, t, fit in loaded:
        keep = (v > 0) & (j > 0)
        label = path.stem + (f" ({t:.0f} K)" if t else "")
        line = ax.loglog(v[keep], j[keep], "o", ms=3, label=label)[0]
        vv = np.geomspace(*fit.fit_range_V, 50)
        jm = mott_gurney_current(
            np.clip(vv - (fit.offset_V or 0.0), 0, None),
            thickness_m=L,
            eps_r=eps,
            mobility_m2_Vs=fit.mobility_m2_Vs,
        )
        if fit.leak_conductance_S_m2:
            jm = jm + fit.leak_conductance_S_m2 * vv
        ax.loglog(vv, jm, "-", color=line.get_color())
        vs, m = loglog_slope(v, j)
        axs.semilogx(vs, m, ".-", color=line.get_color())
    ax.set_xlabel("V (V)")
    ax.set_ylabel("J (A/m²)")
    ax.legend(fontsize=7)
    axs.axhline(1, color="0.6", lw=0.8, ls=":")
    axs.axhline(2, color="0.6", lw=0.8, ls="--")
    axs.set_xlabel("V (V)")
    axs.set_ylabel("d ln J / d ln V")
    figs += save_figure(fig, out_dir, "sclc")
    if arr is not None:
        from nctransport.device.arrhenius import arrhenius_mobility

        fig, ax = new_figure()
        t = np.array(arr.temperatures_K)
        ax.semilogy(1000 / t, arr.mobilities_m2_Vs, "o")
        tt = np.linspace(t.min() * 0.95, t.max() * 1.05, 50)
        ax.semilogy(
            1000 / tt,
            arrhenius_mobility(tt, mu_inf_m2_Vs=arr.mu_inf_m2_Vs, activation_eV=arr.activation_eV),
            "-",
            label=f"Δ = {arr.activation_eV:.3f} eV",
        )
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("μ(0) (m²/Vs)")
        ax.legend()
        figs += save_figure(fig, out_dir, "arrhenius")
    if scaling is not None:
        fig, ax = new_figure()
        for path, _, v, j, L, _t, _ in loaded:
            keep = (v > 0) & (j > 0)
            ax.semilogy(
                v[keep], j[keep] * L**3, "o-", ms=3, label=f"{path.stem} ({L * 1e9:.0f} nm)"
            )
        ax.set_xlabel("V (V)")
        ax.set_ylabel("J L³ (A m)")
        ax.set_title(f"J ∝ L^-{scaling.exponent:.2f}")
        ax.legend(fontsize=7)
        figs += save_figure(fig, out_dir, "thickness_collapse")
    return figs


# --------------------------------------------------------------------------- tel


@device_app.command("tel")
def tel(
    files: Annotated[
        list[Path],
        typer.Argument(help="Integrated EL output vs pulse width (a decay-kind file: t = width)."),
    ],
    thickness: Annotated[str, typer.Option("--thickness", help="Layer thickness, e.g. 30nm.")],
    voltage: Annotated[
        list[str], typer.Option("--voltage", help="Pulse amplitude per file, e.g. 4V.")
    ],
    fit_from: Annotated[
        str | None, typer.Option("--fit-from", help="Use pulses at least this long, e.g. 10us.")
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Transit time (intercept of I_out vs pulse width) and mu = L^2/(tau V) for each FILE."""
    from nctransport.device.transit import fit_poole_frenkel, transit_mobility, transit_time

    L = _positive_quantity(thickness, "m", "--thickness")
    volts = [_volts(v, "--voltage") for v in _split(voltage)]
    if len(volts) == 1:
        volts = volts * len(files)
    if len(volts) != len(files):
        raise ConfigError(f"--voltage: give one value or one per file ({len(files)})")
    for v in volts:
        if not v > 0:
            raise InputError(f"--voltage must be positive, got {v:g} V")
    start = _positive_quantity(fit_from, "s", "--fit-from") if fit_from else None
    per_file, inputs, shas, warnings = [], [], [], []
    curves = []
    for path, v in zip(files, volts, strict=True):
        ds = load(path)
        if kind_of(ds) != "decay":
            raise InputError("expected integrated output vs pulse width (a t-axis curve)", path)
        w = np.asarray(ds["t"].values, dtype=float)
        y = np.asarray(ds[SIGNAL].values, dtype=float)
        fit = transit_time(w, y, fit_from_s=start)
        mu, mu_ci = transit_mobility(
            fit.transit_time_s,
            thickness_m=L,
            voltage_V=v,
            transit_time_ci95_s=fit.transit_time_ci95_s,
        )
        per_file.append(
            {
                "path": str(path),
                "voltage_V": v,
                "field_V_m": v / L,
                "transit_time_s": fit.transit_time_s,
                "transit_time_ci95_s": fit.transit_time_ci95_s,
                "mobility_m2_Vs": mu,
                "mobility_ci95_m2_Vs": mu_ci,
                "fit_from_s": fit.fit_from_s,
                "n_points": fit.n_points,
            }
        )
        curves.append((path, w, y, fit))
        inputs.append(_input_entry(path, ds))
        shas.append(ds.attrs.get("source_sha256"))
    results: dict[str, Any] = {}
    if len(files) == 1:
        results.update({k: v for k, v in per_file[0].items() if k != "path"})
    results["files"] = per_file
    if len({e["voltage_V"] for e in per_file}) >= 3:
        pf = fit_poole_frenkel(
            [e["field_V_m"] for e in per_file], [e["mobility_m2_Vs"] for e in per_file]
        )
        results["poole_frenkel"] = to_jsonable(pf)
    settings = {"thickness_m": L, "voltages_V": volts, "fit_from_s": start}
    results["warnings"] = warnings
    results.update(_provenance_many(list(files), shas, settings))
    out_dir = out or default_out_dir(files[0], "tel")
    from nctransport.plotting import new_figure, save_figure

    fig, ax = new_figure()
    for (path, w, y, fit), e in zip(curves, per_file, strict=True):
        line = ax.plot(w * 1e6, y, "o", ms=3, label=f"{path.stem} ({e['voltage_V']:g} V)")[0]
        ww = np.linspace(fit.transit_time_s, w.max(), 20)
        ax.plot(ww * 1e6, fit.slope * (ww - fit.transit_time_s), "-", color=line.get_color())
    ax.set_xlabel("pulse width (µs)")
    ax.set_ylabel("integrated output")
    ax.legend(fontsize=7)
    figures = save_figure(fig, out_dir, "tel")
    write_json(out_dir / "results.json", results)
    _report(
        out_dir,
        f"device tel: {', '.join(p.name for p in files)}",
        results,
        figures,
        inputs,
        settings,
        warnings,
    )
    table = Table(title="Transient EL transit time")
    for c in ("file", "V", "tau_d (s)", "95% CI", "mu (m2/Vs)"):
        table.add_column(c)
    for e in per_file:
        table.add_row(
            Path(e["path"]).name,
            _fmt(e["voltage_V"]),
            _fmt(e["transit_time_s"]),
            _ci(e["transit_time_ci95_s"]),
            _fmt(e["mobility_m2_Vs"]),
        )
    _emit(results, json, table, out_dir, warnings)


# --------------------------------------------------------------------------- simulate


def parse_voltages(text: str) -> np.ndarray:
    """``0:10:41`` (start:stop:count) or ``0,1,2.5`` (volts; units optional)."""
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ConfigError(f"--voltages expects start:stop:count, got {text!r}")
        a, b = _volts(parts[0], "--voltages"), _volts(parts[1], "--voltages")
        try:
            n = int(parts[2])
        except ValueError:
            raise ConfigError(f"--voltages count must be an integer, got {parts[2]!r}") from None
        if n < 1 or n > 10000:
            raise ConfigError(f"--voltages count must be within 1..10000, got {n}")
        return np.linspace(a, b, n)
    vals = [_volts(p, "--voltages") for p in text.split(",") if p.strip()]
    if not vals:
        raise ConfigError("--voltages is empty")
    return np.array(vals)


def _optional(text: str | None, unit: str, name: str) -> float | None:
    return None if text is None else _positive_quantity(text, unit, name)


def _gamma(text: str | None) -> float:
    if text is None:
        return 0.0
    try:
        return float(text)
    except ValueError:
        return _quantity(text, "m**0.5/V**0.5", "--gamma")


def _energy(text: str, name: str) -> float:
    try:
        return parse_quantity(text, "eV", name=name)
    except Exception:
        raise UnitError(f"{name}: expected an energy such as 0.2eV, got {text!r}") from None


@device_app.command("simulate")
def simulate(
    model: Annotated[str, typer.Option("--model", help="constant | poole-frenkel | egdm")] = "egdm",
    statistics: Annotated[
        str, typer.Option("--statistics", help="boltzmann | gauss-fermi")
    ] = "gauss-fermi",
    site_density: Annotated[
        str | None,
        typer.Option(
            "--site-density",
            help="Effective DOS / site density, e.g. 1e27m-3 "
            "(default 1/a^3 with --a, else 1e27 m^-3).",
        ),
    ] = None,
    mobility: Annotated[
        str | None, typer.Option("--mobility", help="Constant mobility, e.g. 4.4e-11m2/V/s.")
    ] = None,
    gamma: Annotated[
        str | None, typer.Option("--gamma", help="Poole-Frenkel factor in (m/V)^0.5.")
    ] = None,
    mu0: Annotated[
        str | None, typer.Option("--mu0", help="EGDM / Poole-Frenkel prefactor, e.g. 4.5e-7m2/V/s.")
    ] = None,
    sigma: Annotated[
        str | None, typer.Option("--sigma", help="Gaussian DOS width, e.g. 0.12eV.")
    ] = None,
    a: Annotated[str | None, typer.Option("--a", help="Site spacing, e.g. 2.8nm.")] = None,
    temperature: Annotated[str, typer.Option("--temperature", help="e.g. 297K.")] = "297K",
    thickness: Annotated[str, typer.Option("--thickness", help="e.g. 110nm.")] = "110nm",
    eps_r: EpsROpt = 3.5,
    voltages: Annotated[
        str, typer.Option("--voltages", help="start:stop:count (V) or a comma list.")
    ] = "0:10:41",
    barrier_anode: Annotated[
        str, typer.Option("--barrier-anode", help="Hole injection barrier at x = 0, e.g. 0eV.")
    ] = "0eV",
    barrier_cathode: Annotated[
        str, typer.Option("--barrier-cathode", help="Hole injection barrier at x = L.")
    ] = "0eV",
    image_force: Annotated[
        bool, typer.Option("--image-force", help="Image-force lowering of injection barriers.")
    ] = False,
    points: Annotated[int, typer.Option("--points", help="Grid points.")] = 200,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Drift-diffusion J-V of a single-carrier device; writes jv.csv, profiles.nc, a figure."""
    from nctransport.device.drift_diffusion import Device, Statistics, mott_gurney_current, solve_jv
    from nctransport.device.mobility import ConstantMobility, EGDMMobility, PooleFrenkelMobility

    if model not in ("constant", "poole-frenkel", "egdm"):
        raise ConfigError(f"--model must be constant, poole-frenkel or egdm, got {model!r}")
    if statistics not in ("boltzmann", "gauss-fermi"):
        raise ConfigError(f"--statistics must be boltzmann or gauss-fermi, got {statistics!r}")
    T = _positive_quantity(temperature, "K", "--temperature")
    L = _positive_quantity(thickness, "m", "--thickness")
    eps = _eps_r(eps_r)
    v = parse_voltages(voltages)
    sig = _optional(sigma, "eV", "--sigma")
    a_m = _optional(a, "m", "--a")
    if model == "constant":
        if mobility is None:
            raise ConfigError("--model constant needs --mobility")
        mob = ConstantMobility(_positive_quantity(mobility, "m**2/V/s", "--mobility"))
    elif model == "poole-frenkel":
        base = mu0 or mobility
        if base is None:
            raise ConfigError("--model poole-frenkel needs --mu0 (and --gamma)")
        mob = PooleFrenkelMobility(_positive_quantity(base, "m**2/V/s", "--mu0"), _gamma(gamma))
    else:
        if mu0 is None or sig is None or a_m is None:
            raise ConfigError("--model egdm needs --mu0, --sigma and --a")
        mob = EGDMMobility(_positive_quantity(mu0, "m**2/V/s", "--mu0"), sig, a_m, T)
    if site_density is not None:
        n_sites = _positive_quantity(site_density, "1/m**3", "--site-density")
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
    with (
        status_console.status(f"solving {v.size} voltages", spinner="dots") if not json else _null()
    ):
        sol = solve_jv(
            v, device=dev, mobility=mob, statistics=stats, n_points=points, keep_profiles=True
        )
    out_dir = out or Path("device-simulation")
    settings = {
        "model": model,
        "statistics": statistics,
        "site_density_m3": n_sites,
        "mobility": mobility,
        "gamma": gamma,
        "mu0": mu0,
        "sigma_eV": sig,
        "a_m": a_m,
        "temperature_K": T,
        "thickness_m": L,
        "eps_r": eps,
        "voltages": voltages,
        "barrier_anode_eV": dev.barrier_anode_eV,
        "barrier_cathode_eV": dev.barrier_cathode_eV,
        "image_force": image_force,
        "grid_points": points,
    }
    j = sol.current_density_A_m2
    lines = [
        f"# temperature: {T:g} K",
        f"# thickness: {L * 1e9:g} nm",
        "# technique: JV",
        f"# sample: simulated {model} / {statistics}",
        "V [V],J [A/m2]",
    ]
    lines += [f"{vi!r},{ji!r}" for vi, ji in zip(v.tolist(), j.tolist(), strict=True)]
    write_text(out_dir / "jv.csv", "\n".join(lines) + "\n")
    from nctransport.io.netcdf import save_netcdf

    order = np.argsort(v)
    prof = xr.Dataset(
        {
            "density": (("V", "x"), sol.density_m3[order], {"units": "m**-3"}),
            "field": (("V", "x"), sol.field_V_m[order], {"units": "V/m"}),
            "potential": (("V", "x"), sol.potential_V[order], {"units": "V"}),
            "quasi_fermi_level": (("V", "x"), sol.quasi_fermi_V[order], {"units": "V"}),
            "J": (("V",), j[order], {"units": "A/m**2"}),
        },
        coords={"V": ("V", v[order], {"units": "V"}), "x": ("x", sol.x_m, {"units": "m"})},
        attrs={"kind": "device_profiles", "temperature": f"{T} K"},
    )
    save_netcdf(prof, out_dir / "profiles.nc")
    # zero-density, zero-field mobility: the Mott-Gurney reference of the figure
    ref_mu = float(mob.evaluate(np.array([0.0]), np.array([0.0]))[0][0])
    v_top = float(np.max(v))
    ratio = None
    if v_top > 0 and model == "constant":
        ratio = float(
            j[int(np.argmax(v))]
            / mott_gurney_current(v_top, thickness_m=L, eps_r=eps, mobility_m2_Vs=ref_mu)
        )
    results = {
        "voltages_V": v,
        "current_density_A_m2": j,
        "max_continuity_error": float(np.max(sol.continuity_error[v != 0]))
        if np.any(v != 0)
        else 0.0,
        "newton_iterations": int(np.sum(sol.newton_iterations)),
        "built_in_V": dev.built_in_V,
        "j_over_mott_gurney_at_max_V": ratio,
        "outputs": {"jv": "jv.csv", "profiles": "profiles.nc"},
        "warnings": [],
        **provenance(None, None, settings),
    }
    figures = _simulate_figure(out_dir, v, j, sol, L, eps, ref_mu)
    write_json(out_dir / "results.json", results)
    _report(out_dir, f"device simulate: {model} / {statistics}", results, figures, [], settings, [])
    table = Table(title=f"J-V ({model}, {statistics})")
    table.add_column("V (V)")
    table.add_column("J (A/m2)")
    for vi, ji in list(zip(v, j, strict=True))[:: max(1, v.size // 10)]:
        table.add_row(f"{vi:.4g}", f"{ji:.4g}")
    _emit(results, json, table, out_dir, [])


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _simulate_figure(out_dir, v, j, sol, L, eps, ref_mu) -> list[Path]:
    from nctransport.device.drift_diffusion import mott_gurney_current
    from nctransport.plotting import new_figure, save_figure

    fig, (ax, axp) = new_figure(1, 2, figsize=(10, 4))
    keep = (v > 0) & (j > 0)
    ax.loglog(v[keep], j[keep], "o-", ms=3, label="drift-diffusion")
    ax.loglog(
        v[keep],
        mott_gurney_current(v[keep], thickness_m=L, eps_r=eps, mobility_m2_Vs=ref_mu),
        "--",
        label="Mott-Gurney, μ(p→0, E→0)",
    )
    ax.set_xlabel("V (V)")
    ax.set_ylabel("J (A/m²)")
    ax.legend(fontsize=8)
    idx = np.argsort(v)[np.linspace(0, v.size - 1, min(5, v.size)).astype(int)]
    for i in idx:
        axp.semilogy(sol.x_m * 1e9, sol.density_m3[i], label=f"{v[i]:.3g} V")
    axp.set_xlabel("x (nm)")
    axp.set_ylabel("p (m⁻³)")
    axp.legend(fontsize=7)
    return save_figure(fig, out_dir, "simulation")


# --------------------------------------------------------------------------- fit


@device_app.command("fit")
def fit(
    files: Files,
    model: Annotated[str, typer.Option("--model", help="egdm")] = "egdm",
    temperatures: TemperaturesOpt = None,
    thickness: Annotated[str | None, typer.Option("--thickness", help="e.g. 110nm.")] = None,
    eps_r: EpsROpt = 3.5,
    a: Annotated[
        str, typer.Option("--a", help="Site spacing (start value with --fit-a).")
    ] = "2.8nm",
    fit_a: Annotated[bool, typer.Option("--fit-a", help="Fit the site spacing a too.")] = False,
    sigma_init: Annotated[
        str, typer.Option("--sigma-init", help="Start value of sigma.")
    ] = "0.1eV",
    barrier_anode: Annotated[str, typer.Option("--barrier-anode")] = "0eV",
    barrier_cathode: Annotated[str, typer.Option("--barrier-cathode")] = "0eV",
    noise: Annotated[
        float | None, typer.Option("--noise", help="Relative noise of J (std of ln J).")
    ] = None,
    points: Annotated[int, typer.Option("--points", help="Grid points per solve.")] = 200,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Fit the EGDM (sigma, mu0 [, a]) to J-V FILES at one or several temperatures at once."""
    from nctransport.device.fit import JVCurve, fit_egdm

    if model != "egdm":
        raise ConfigError(f"--model must be egdm, got {model!r}")
    eps = _eps_r(eps_r)
    temps = _per_file(temperatures, len(files), "K", "--temperatures")
    curves, inputs, shas, thick_seen = [], [], [], []
    for i, path in enumerate(files):
        ds, v, j = load_jv(path)
        t = temps[i] if temps[i] is not None else get_quantity(ds, "temperature", "K")
        if t is None:
            raise ConfigError("no temperature: give --temperatures or a metadata line", path)
        thick_seen.append(get_quantity(ds, "thickness", "m"))
        curves.append(JVCurve(v, j, t, label=path.stem))
        inputs.append(_input_entry(path, ds))
        shas.append(ds.attrs.get("source_sha256"))
    if thickness is not None:
        L = _positive_quantity(thickness, "m", "--thickness")
    elif thick_seen[0] is not None:
        L = thick_seen[0]
    else:
        raise ConfigError("no thickness: give --thickness")
    a_m = _positive_quantity(a, "m", "--a")
    with status_console.status("fitting EGDM", spinner="dots") if not json else _null():
        res = fit_egdm(
            curves,
            thickness_m=L,
            eps_r=eps,
            a_m=a_m,
            fit_a=fit_a,
            sigma_init_eV=_positive_quantity(sigma_init, "eV", "--sigma-init"),
            barrier_anode_eV=_energy(barrier_anode, "--barrier-anode"),
            barrier_cathode_eV=_energy(barrier_cathode, "--barrier-cathode"),
            relative_noise=noise,
            n_points=points,
        )
    warnings = [] if res.success else [f"EGDM fit did not converge: {res.message}"]
    settings = {
        "model": model,
        "thickness_m": L,
        "eps_r": eps,
        "a_m": a_m,
        "fit_a": fit_a,
        "sigma_init": sigma_init,
        "barrier_anode": barrier_anode,
        "barrier_cathode": barrier_cathode,
        "noise": noise,
        "grid_points": points,
        "temperatures_K": [c.temperature_K for c in curves],
    }
    results = {
        "sigma_eV": res.sigma_eV,
        "sigma_ci95_eV": res.sigma_ci95_eV,
        "mu0_m2_Vs": res.mu0_m2_Vs,
        "mu0_ci95_m2_Vs": res.mu0_ci95_m2_Vs,
        "a_m": res.a_m,
        "a_ci95_m": res.a_ci95_m,
        "a_fitted": fit_a,
        "correlations": res.correlations,
        "reduced_chi2": res.reduced_chi2,
        "reduced_chi2_note": res.chi2_note,
        "residual_std_lnJ": res.residual_std_lnJ,
        "n_points": res.n_points,
        "converged": res.success,
        "files": [
            {"path": str(p), "temperature_K": c.temperature_K}
            for p, c in zip(files, curves, strict=True)
        ],
        "warnings": warnings,
        **_provenance_many(list(files), shas, settings),
    }
    out_dir = out or default_out_dir(files[0], "egdm-fit")
    from nctransport.plotting import new_figure, save_figure

    fig, ax = new_figure(figsize=(6, 4.5))
    for c, m in zip(curves, res.model_current_density_A_m2, strict=True):
        keep = (np.asarray(c.voltages_V) > 0) & (np.asarray(c.current_density_A_m2) > 0)
        line = ax.loglog(
            c.voltages_V[keep],
            c.current_density_A_m2[keep],
            "o",
            ms=4,
            mfc="none",
            label=f"{c.temperature_K:.0f} K",
        )[0]
        ax.loglog(c.voltages_V[keep], m, "-", color=line.get_color())
    ax.set_xlabel("V (V)")
    ax.set_ylabel("J (A/m²)")
    ax.set_title(f"EGDM: σ = {res.sigma_eV:.3f} eV, a = {res.a_m * 1e9:.2f} nm")
    ax.legend(fontsize=8)
    figures = save_figure(fig, out_dir, "egdm_fit")
    write_json(out_dir / "results.json", results)
    _report(
        out_dir,
        f"device fit (EGDM): {', '.join(p.name for p in files)}",
        results,
        figures,
        inputs,
        settings,
        warnings,
    )
    table = Table(title="EGDM fit")
    for col in ("parameter", "value", "95% CI"):
        table.add_column(col)
    table.add_row("sigma (eV)", _fmt(res.sigma_eV), _ci(res.sigma_ci95_eV))
    table.add_row("mu0 (m2/Vs)", _fmt(res.mu0_m2_Vs), _ci(res.mu0_ci95_m2_Vs))
    table.add_row("a (m)", _fmt(res.a_m), _ci(res.a_ci95_m) if fit_a else "fixed")
    table.caption = f"reduced chi2 {res.reduced_chi2:.3g} ({res.chi2_note})"
    _emit(results, json, table, out_dir, warnings)


def register(app: typer.Typer) -> None:
    app.add_typer(device_app, name="device")
