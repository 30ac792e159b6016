"""``fit-model``: a reaction-diffusion model fitted to a whole map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
import xarray as xr
from rich.table import Table

from nctransport.commands.common import (
    T0,
    JsonFlag,
    Meta,
    OutDir,
    Pixel,
    Times,
    TUnit,
    XUnit,
    console,
    default_out_dir,
    load_input,
    parse_key_values,
)
from nctransport.commands.kinetics import parse_window
from nctransport.continuum import MODELS, fit_continuum
from nctransport.dataset import SIGNAL
from nctransport.errors import ConfigError
from nctransport.io.netcdf import save_netcdf
from nctransport.results import dumps, provenance, write_json
from nctransport.units import parse_quantity


def _si(values: dict[str, str], model: str) -> dict[str, float]:
    units = MODELS[model].units
    out = {}
    for k, v in values.items():
        if k not in units:
            raise ConfigError(f"model {model!r} has no parameter {k!r} ({', '.join(units)})")
        unit = "dimensionless" if units[k] == "1" else units[k].replace("^", "**")
        out[k] = parse_quantity(v, unit, name=k) if unit != "dimensionless" else float(v)
    return out


def fit_model(
    file: Annotated[Path, typer.Argument(help="A map (t, x) or stack (t, y, x).")],
    model: Annotated[
        str, typer.Option("--model", help=f"One of: {', '.join(MODELS)}.")
    ] = "diffusion",
    fix: Annotated[
        list[str] | None, typer.Option("--fix", help="Hold a parameter, e.g. k_BD=6e9/s.")
    ] = None,
    init: Annotated[
        list[str] | None, typer.Option("--init", help="Start value, e.g. D=0.01cm2/s.")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="Frames fitted, e.g. 0ns:5ns.")
    ] = None,
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
) -> None:
    """Fit a reaction-diffusion model to every pixel and frame of FILE at once."""
    from nctransport.plotting import new_figure, save_figure
    from nctransport.report.html import write_report

    if model not in MODELS:
        raise ConfigError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    ds = load_input(file, t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    fixed = _si(parse_key_values(fix, "--fix"), model)
    start = _si(parse_key_values(init, "--init"), model)
    win = parse_window(window) if window else None
    fit = fit_continuum(ds, model, fix=fixed, init=start, window=win)
    out_dir = out or default_out_dir(file, "fit-model")
    settings = {"model": model, "fix": fix or [], "init": init or [], "window": window}
    warnings = []
    if not fit.converged:
        warnings.append(f"fit did not converge: {fit.message}")
    if fit.edge_fraction > 0.05:
        warnings.append(
            f"the t0 frame has {fit.edge_fraction:.0%} of its peak at the edges; the model "
            "treats the window as periodic, so widen the field of view"
        )
    results = {
        **fit.to_dict(),
        "warnings": warnings,
        **provenance(file, ds.attrs.get("source_sha256"), settings),
    }
    write_json(out_dir / "results.json", results)
    model_da = xr.DataArray(fit.model_map, coords=ds[SIGNAL].coords, dims=ds[SIGNAL].dims)
    save_netcdf(
        xr.Dataset({"data": ds[SIGNAL], "model": model_da, "residual": ds[SIGNAL] - model_da}),
        out_dir / "model.nc",
    )
    figures = []
    if ds.attrs.get("kind") == "map":
        x_nm = ds.x.values * 1e9
        fig, (ax, axr) = new_figure(
            2, 1, figsize=(6.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
        rows = np.nonzero(np.isfinite(fit.model_map[:, 0]))[0]
        for i in rows[np.linspace(0, len(rows) - 1, min(5, len(rows))).astype(int)]:
            line = ax.plot(x_nm, ds[SIGNAL].values[i], ".", ms=3, alpha=0.6)[0]
            ax.plot(
                x_nm,
                fit.model_map[i],
                "-",
                color=line.get_color(),
                label=f"t = {ds.t.values[i] * 1e9:.2f} ns",
            )
            axr.plot(
                x_nm, ds[SIGNAL].values[i] - fit.model_map[i], ".", ms=2, color=line.get_color()
            )
        ax.set_ylabel(f"signal ({ds[SIGNAL].attrs.get('units', 'arb')})")
        ax.legend(fontsize=8)
        axr.set_xlabel("x (nm)")
        axr.set_ylabel("residual")
        figures += save_figure(fig, out_dir, "fit_model_profiles")
    write_report(
        out_dir,
        title=f"Continuum fit ({model}): {file.name}",
        results=fit.to_dict(),
        figures=[f for f in figures if f.suffix == ".png"],
        inputs=[{"path": str(file), **{k: v for k, v in ds.attrs.items()}}],
        settings=settings,
        warnings=warnings,
    )
    if json:
        typer.echo(dumps(results), nl=False)
        return
    table = Table(title=f"{model} fit of {file.name} ({fit.noise} noise)")
    for c in ("parameter", "value", "95% CI", "unit"):
        table.add_column(c)
    for k, p in fit.params.items():
        ci = "fixed" if p.ci95 is None else f"{p.ci95[0]:.4g} .. {p.ci95[1]:.4g}"
        table.add_row(k, f"{p.value:.4g}", ci, p.unit)
    console.print(table)
    console.print(
        f"reduced chi2 {fit.reduced_chi2:.3f}; converged {fit.converged}; wrote {out_dir}"
    )
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")


def register(app: typer.Typer) -> None:
    app.command("fit-model")(fit_model)
