"""``spectra`` (peak track, red shift, disorder width) and ``temperature`` (D/tau/L vs T)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import xarray as xr
from rich.table import Table

from nctransport.commands.common import (
    T0,
    JsonFlag,
    Meta,
    OutDir,
    TUnit,
    console,
    default_out_dir,
    load_input,
)
from nctransport.dataset import SIGNAL, get_quantity, kind_of
from nctransport.errors import FitError, InputError, UnitError
from nctransport.results import dumps, provenance, to_jsonable, write_json
from nctransport.units import parse_quantity


def parse_spectral_window(text: str) -> tuple[float, float]:
    """``"850nm:950nm"`` or ``"1.3eV:1.45eV"`` -> (lo, hi) photon energies in eV.

    >>> [round(v, 4) for v in parse_spectral_window("1.3eV:1.45eV")]
    [1.3, 1.45]
    """
    from nctransport.spectral.axes import energy_eV_from_wavelength_m

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
            out.append(float(energy_eV_from_wavelength_m(lam)))
    if not all(np.isfinite(v) and v > 0 for v in out):
        raise InputError(f"--window {text!r}: wavelengths and energies must be positive")
    lo, hi = sorted(out)
    if not hi > lo:
        raise InputError(f"--window {text!r} is empty")
    return lo, hi


def parse_time_range(text: str) -> tuple[float, float]:
    """``"0ps:50ps"`` -> (0.0, 5e-11) seconds; each end needs its unit.

    >>> parse_time_range("0ps:50ps")
    (0.0, 5e-11)
    """
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InputError(f"--t-range expects A:B with units (0ps:50ps), got {text!r}")
    lo, hi = (parse_quantity(p, "s", name="--t-range") for p in parts)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"--t-range {text!r} is empty or not finite")
    return lo, hi


def _spectral_map_figure(energy, t_ps, signal, unit, peaks, shift, out_dir: Path) -> list[Path]:
    from nctransport.plotting import COLORS, label_axes, new_figure, save_figure

    fig, ax = new_figure(figsize=(6.4, 4.4))
    vmax = float(np.nanmax(np.abs(signal))) or 1.0
    mesh = ax.pcolormesh(
        energy, t_ps, signal, shading="nearest", cmap="RdBu_r", vmin=-vmax, vmax=vmax
    )
    mesh.set_rasterized(True)  # a vector quad per cell makes the SVG huge and slow
    fig.colorbar(mesh, ax=ax, label=f"signal ({unit})")
    v = peaks.valid
    ax.plot(peaks.energy_eV[v], t_ps[v], "o", ms=3, color="black", label="fitted peak")
    if shift is not None and shift.converged:
        tt = np.linspace(max(t_ps[v].min(), 0.0), t_ps[v].max(), 200)
        ax.plot(
            shift.predict(tt * 1e-12),
            tt,
            "-",
            color=COLORS["fit"],
            lw=2,
            label=f"{shift.model} fit",
        )
    label_axes(ax, x=("photon energy", "eV"), y=("time", "ps"))
    ax.legend(loc="upper right")
    return save_figure(fig, out_dir, "spectral_map")


def _peak_energy_figure(peaks, shift, out_dir: Path) -> list[Path]:
    from nctransport.plotting import COLORS, label_axes, new_figure, save_figure

    fig, ax = new_figure()
    v = peaks.valid
    t_ps = peaks.t_s * 1e12
    ax.errorbar(
        t_ps[v],
        peaks.energy_eV[v] * 1e3,
        yerr=peaks.energy_err_eV[v] * 1e3,
        fmt="o",
        ms=3,
        color=COLORS["data"],
        label="peak energy (±1σ)",
    )
    if shift is not None and shift.converged:
        tt = np.linspace(max(t_ps[v].min(), 0.0), t_ps[v].max(), 300)
        lab = f"{shift.model}: ΔE = {shift.delta_e_meV:.3g} meV, τ = {shift.tau_ps:.3g} ps"
        ax.plot(tt, shift.predict(tt * 1e-12) * 1e3, "-", color=COLORS["fit"], label=lab)
    label_axes(ax, x=("time", "ps"), y=("peak energy", "meV"))
    ax.legend()
    return save_figure(fig, out_dir, "peak_energy")


def analyze_spectra(
    ds: xr.Dataset,
    *,
    mode: str = "bleach",
    method: str = "gaussian",
    model: str = "exp",
    temperature_K: float | None = None,
    window_eV: tuple[float, float] | None = None,
    sign: int | None = None,
    t_range_s: tuple[float, float] | None = None,
) -> tuple[dict[str, Any], Any, Any, xr.Dataset, list[str]]:
    """Run the spectra pipeline on a dataset; returns (results, peaks, shift, ds_E, warnings)."""
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
                t[v],
                peaks.energy_eV[v],
                peaks.energy_err_eV[v],
                model=model,
                t_min_s=t_min,
                t_max_s=t_max,
            )
            if not shift.converged:
                warnings.append(f"peak-shift fit did not converge: {shift.message}")
        except FitError as exc:
            warnings.append(f"no peak-shift fit: {exc.message}")
    if temperature_K is None:
        temperature_K = get_quantity(ds, "temperature", "K")
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
    return results, peaks, shift, dse, warnings


def spectra(
    file: Annotated[Path, typer.Argument(help="Spectral map (t, wavelength|energy) or spectrum.")],
    mode: Annotated[
        str, typer.Option("--mode", help="Feature: bleach (negative), pl or pia (positive).")
    ] = "bleach",
    temperature: Annotated[
        str | None, typer.Option("--temperature", help="Sample temperature, e.g. 300K.")
    ] = None,
    t_range: Annotated[
        str | None,
        typer.Option(
            "--t-range", help="Times used for the shift fit, e.g. 0ps:50ps (default t>=0)."
        ),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="Spectral window A:B, e.g. 850nm:950nm or 1.3eV:1.45eV."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="Peak estimator: gaussian or centroid.")
    ] = "gaussian",
    model: Annotated[
        str, typer.Option("--model", help="Peak-shift model: exp, stretched or biexp.")
    ] = "exp",
    sign: Annotated[
        str, typer.Option("--sign", help="Feature sign: auto (from --mode), negative, positive.")
    ] = "auto",
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    t0: T0 = None,
    meta: Meta = None,
) -> None:
    """Per-frame peak energy, its red shift vs time, and sigma_inh = sqrt(-2 kT ΔE) (Liu 2021)."""
    from nctransport.report.html import write_report

    if mode not in ("bleach", "pl", "pia"):
        raise InputError(f"--mode must be bleach, pl or pia, got {mode!r}")
    from nctransport.spectral.shift import SHIFT_MODELS

    if model not in SHIFT_MODELS:
        raise InputError(f"--model must be one of {', '.join(SHIFT_MODELS)}, got {model!r}")
    if method not in ("gaussian", "centroid"):
        raise InputError(f"--method must be gaussian or centroid, got {method!r}")
    signs = {"auto": None, "negative": -1, "positive": 1}
    if sign not in signs:
        raise InputError(f"--sign must be auto, negative or positive, got {sign!r}")
    t_k = None if temperature is None else parse_quantity(temperature, "K", name="--temperature")
    if t_k is not None and not t_k > 0:
        raise InputError(f"--temperature must be positive, got {temperature!r}")
    win = None if window is None else parse_spectral_window(window)
    t_rng = None if t_range is None else parse_time_range(t_range)
    ds = load_input(file, t_unit=t_unit, t0=t0, meta=meta)
    results, peaks, shift, dse, warnings = analyze_spectra(
        ds,
        mode=mode,
        method=method,
        model=model,
        temperature_K=t_k,
        window_eV=win,
        sign=signs[sign],
        t_range_s=t_rng,
    )
    settings = {
        "mode": mode,
        "method": method,
        "model": model,
        "window": window,
        "t_range": t_range,
        "temperature": temperature,
        "sign": sign,
        "t_unit": t_unit,
        "t0": t0,
        "meta": meta,
    }
    results.update(provenance(ds.attrs.get("source_file"), ds.attrs.get("source_sha256"), settings))
    out_dir = out or default_out_dir(file, "spectra")
    write_json(out_dir / "results.json", results)
    figs: list[tuple[Path, str]] = []
    t_ps = peaks.t_s * 1e12
    energy = np.asarray(dse["energy"].values, dtype=float)
    sig = np.asarray(dse[SIGNAL].values, dtype=float)
    if sig.ndim == 2 and sig.shape[0] > 1:
        unit = str(dse[SIGNAL].attrs.get("units", "arb"))
        png = _spectral_map_figure(energy, t_ps, sig, unit, peaks, shift, out_dir)[0]
        figs.append((png, f"Spectral map ({mode}) with the fitted peak energy of each frame"))
        png = _peak_energy_figure(peaks, shift, out_dir)[0]
        figs.append((png, "Peak energy vs time with the relaxation fit (Liu 2021, Fig. 2e)"))
    summary = {
        k: results[k]
        for k in (
            "peak_shift",
            "sigma_inh_meV",
            "temperature_K",
            "n_frames",
            "n_valid_frames",
            "spectral_axis",
        )
    }
    meta_in = {k: v for k, v in ds.attrs.items() if k not in ("kind",)}
    write_report(
        out_dir,
        title=f"Spectral dynamics: {file.name}",
        results=summary,
        figures=figs,
        inputs=[{"path": str(file), **meta_in}],
        settings=settings,
        warnings=warnings,
    )
    if json:
        typer.echo(dumps(results), nl=False)
        return
    _print_spectra(results, out_dir)


def _fmt_ci(ci) -> str:
    if ci is None or any(v is None for v in to_jsonable(list(ci))):
        return "n/a"
    return f"[{ci[0]:.4g}, {ci[1]:.4g}]"


def _print_spectra(results: dict, out_dir: Path) -> None:
    table = Table(title=f"spectra ({results['mode']}, {results['method']})")
    for col in ("quantity", "value", "95% CI"):
        table.add_column(col)
    ps = results["peak_shift"]
    if ps is not None:
        table.add_row("ΔE (meV)", f"{ps['delta_e_meV']:.4g}", _fmt_ci(ps["delta_e_ci95_meV"]))
        table.add_row("τ (ps)", f"{ps['tau_ps']:.4g}", _fmt_ci(ps["tau_ci95_ps"]))
        table.add_row("E0 (eV)", f"{ps['e0_eV']:.6g}", _fmt_ci(ps["e0_ci95_eV"]))
    si = results["sigma_inh_meV"]
    if si is not None:
        table.add_row("σ_inh (meV)", f"{si['value']:.4g}", _fmt_ci(si["ci95"]))
    if results["n_frames"] == 1:
        pk = results["peaks"]
        e, de = pk["energy_eV"][0], pk["energy_err_eV"][0]
        w, dw = pk["width_meV"][0], pk["width_err_meV"][0]
        if e is not None and de is not None:
            table.add_row("peak energy (eV)", f"{e:.6g}", f"± {1.96 * de:.2g}")
        if w is not None and dw is not None:
            table.add_row("width σ (meV)", f"{w:.4g}", f"± {1.96 * dw:.2g}")
    table.add_row("valid frames", f"{results['n_valid_frames']}/{results['n_frames']}", "")
    console.print(table)
    for w in results["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"wrote {out_dir}")


def _temperature_figure(fit, out_dir: Path) -> list[Path]:
    from nctransport.plotting import COLORS, label_axes, new_figure, save_figure

    fig, (ax1, ax2) = new_figure(1, 2, figsize=(9.0, 3.8))
    t, y = fit.temperature_K, fit.values
    yerr = fit.errors
    tt = np.linspace(t.min() * 0.9, t.max() * 1.05, 300)
    name = {"D": "D", "tau": "τ", "L": "L"}[fit.quantity]
    ax1.errorbar(t, y, yerr=yerr, fmt="o", ms=4, color=COLORS["data"], label="data")
    ax1.plot(tt, fit.predict(tt), "-", color=COLORS["fit"], label=f"{fit.model} fit")
    ax1.set_yscale("log")
    label_axes(ax1, x=("temperature", "K"), y=(name, fit.unit))
    ax1.legend()
    ax2.errorbar(1e3 / t, y, yerr=yerr, fmt="o", ms=4, color=COLORS["data"])
    ax2.plot(1e3 / tt, fit.predict(tt), "-", color=COLORS["fit"])
    ax2.set_yscale("log")
    label_axes(ax2, x=("1000 / T", "1/K"), y=(name, fit.unit))
    return save_figure(fig, out_dir, f"temperature_{fit.quantity}")


def temperature(
    files: Annotated[
        list[Path],
        typer.Argument(help="results.json of analyze/kinetics, or a CSV T [K],D [cm2/s],err."),
    ],
    quantity: Annotated[str, typer.Option("--quantity", help="D, tau or L.")] = "D",
    model: Annotated[
        str, typer.Option("--model", help="arrhenius, bright-dark (Bornschlegl 2024) or combined.")
    ] = "arrhenius",
    temperatures: Annotated[
        str | None,
        typer.Option("--temperatures", help="One temperature per results.json, e.g. 10K,50K."),
    ] = None,
    out: OutDir = None,
    json: JsonFlag = False,
) -> None:
    """Fit D(T), τ(T) or L(T): Arrhenius, bright/dark fine structure (ΔE_BD), or both."""
    from nctransport.report.html import write_report
    from nctransport.spectral.series import parse_temperature_list, read_temperature_series
    from nctransport.spectral.temperature import MODELS, fit_temperature

    if quantity not in ("D", "tau", "L"):
        raise InputError(f"--quantity must be D, tau or L, got {quantity!r}")
    if model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    temps = None if temperatures is None else parse_temperature_list(temperatures)
    series = read_temperature_series(files, quantity, temperatures=temps)
    fit = fit_temperature(
        series.temperature_K, series.values, series.errors, quantity=quantity, model=model
    )
    settings = {"quantity": quantity, "model": model, "temperatures": temperatures}
    warnings = [] if fit.converged else [f"fit not converged: {fit.message}"]
    results = {
        "fit": fit.to_dict(),
        "inputs": list(series.sources),
        "warnings": warnings,
        **provenance(
            files[0] if len(files) == 1 else None,
            series.sources[0]["sha256"] if len(files) == 1 else None,
            settings,
        ),
    }
    out_dir = out or default_out_dir(files[0], f"temperature-{quantity}")
    write_json(out_dir / "results.json", results)
    png = _temperature_figure(fit, out_dir)[0]
    figs = [(png, f"{quantity} vs T and vs 1000/T with the {model} fit")]
    summary = {
        "model": model,
        "quantity": quantity,
        "unit": fit.unit,
        "parameters": fit.parameters,
        "n_points": fit.n_points,
        "reduced_chi2": fit.reduced_chi2,
        "converged": fit.converged,
    }
    write_report(
        out_dir,
        title=f"Temperature dependence of {quantity}",
        results=summary,
        figures=figs,
        inputs=list(series.sources),
        settings=settings,
        warnings=warnings,
    )
    if json:
        typer.echo(dumps(results), nl=False)
        return
    table = Table(title=f"{quantity}(T), {model} model ({fit.n_points} points)")
    for col in ("parameter", "value", "95% CI", "unit"):
        table.add_column(col)
    for name, p in fit.parameters.items():
        table.add_row(name, f"{p['value']:.4g}", _fmt_ci(p["ci95"]), p["unit"])
    console.print(table)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"wrote {out_dir}")


def register(app: typer.Typer) -> None:
    app.command()(spectra)
    app.command()(temperature)
