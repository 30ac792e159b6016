"""``spectra`` (peak track, red shift, disorder width) and ``temperature`` (D/tau/L vs T).

The science lives in :mod:`nctransport.spectral.workflow`; these commands parse options,
check the output directory, call the workflow, print and write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nctransport.commands.common import (
    T0,
    Figures,
    JsonFlag,
    Meta,
    OutDir,
    TUnit,
    console,
    default_out_dir,
    figure_formats,
)


def _finish(result: Any, out_dir: Path, json: bool, title: str, formats: tuple[str, ...]) -> None:
    result.write(out_dir, figure_formats=formats)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
        return
    from rich.table import Table

    table = Table(title=title)
    for col in ("quantity", "value", "95% CI / note"):
        table.add_column(col)
    for row in result.summary_rows():
        table.add_row(*row)
    console.print(table)
    for w in result.result_warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"wrote {out_dir}")


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
    figures: Figures = "svg",
) -> None:
    """Per-frame peak energy, its red shift vs time, and sigma_inh = sqrt(-2 kT ΔE) (Liu 2021)."""
    from nctransport.io.output import check_output_dir
    from nctransport.spectral.workflow import spectra as run

    formats = figure_formats(figures)
    out_dir = check_output_dir(out or default_out_dir(file, "spectra"), inputs=[file])
    result = run(
        file,
        mode=mode,
        method=method,
        model=model,
        temperature=temperature,
        window=window,
        sign=sign,
        t_range=t_range,
        load_options=dict(t_unit=t_unit, t0=t0, meta=meta),
    )
    _finish(result, out_dir, json, f"spectra ({mode}, {method})", formats)


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
    figures: Figures = "svg",
) -> None:
    """Fit D(T), τ(T) or L(T): Arrhenius, bright/dark fine structure (ΔE_BD), or both."""
    from nctransport.io.output import check_output_dir
    from nctransport.spectral.workflow import temperature_fit

    formats = figure_formats(figures)
    out_dir = check_output_dir(
        out or default_out_dir(files[0], f"temperature-{quantity}"), inputs=files
    )
    result = temperature_fit(files, quantity=quantity, model=model, temperatures=temperatures)
    f = result.fit
    _finish(result, out_dir, json, f"{quantity}(T), {model} model ({f.n_points} points)", formats)


def register(app: typer.Typer) -> None:
    app.command()(spectra)
    app.command()(temperature)
