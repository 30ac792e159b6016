"""``analyze`` (one map or stack -> transport numbers) and ``series`` (trends across files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nctransport.commands.common import (
    T0,
    Figures,
    JsonFlag,
    Meta,
    OutDir,
    Pixel,
    Times,
    TUnit,
    XUnit,
    console,
    default_out_dir,
    figure_formats,
)

status_console = Console(stderr=True, highlight=False)

ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile",
        help="gaussian | gaussian2d | gaussian2d-aniso | voigt | moments "
        "(default: gaussian for (t,x), gaussian2d for (t,y,x)).",
    ),
]
WindowOpt = Annotated[
    str | None,
    typer.Option(
        "--window",
        help="D fit window with units, e.g. 0ns:3ns (default: t0 to where the smoothed "
        "amplitude SNR falls below --snr).",
    ),
]
BackgroundOpt = Annotated[
    str, typer.Option("--background", help="auto | none | pre-pulse baseline.")
]
SnrOpt = Annotated[
    float, typer.Option("--snr", help="Amplitude SNR that ends the automatic window.")
]
TemperatureOpt = Annotated[
    str | None,
    typer.Option("--temperature", help="Temperature with unit for the mobility, e.g. 300K."),
]


def _print_table(title: str, rows: list[tuple[str, str, str]], warnings: list[str]) -> None:
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("uncertainty / note")
    for r in rows:
        table.add_row(*(escape(c) for c in r))  # "[cm2/s]" is text, not rich markup
    console.print(table)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", markup=True, highlight=False)


def _check_out(out_dir: Path, inputs: list[Path], names: tuple[str, ...]) -> None:
    """Refuse a bad output directory before any computation."""
    from nctransport.io.output import check_output_dir
    from nctransport.microscopy.workflow import check_not_overwriting_inputs

    check_output_dir(out_dir, inputs=inputs)
    check_not_overwriting_inputs(out_dir, inputs, names)


def analyze(
    file: Annotated[
        Path, typer.Argument(help="Map (t, x) or stack (t, y, x) in any readable format.")
    ],
    profile: ProfileOpt = "auto",
    window: WindowOpt = None,
    t0: T0 = None,
    background: BackgroundOpt = "auto",
    temperature: TemperatureOpt = None,
    snr: SnrOpt = 10.0,
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write figures and report.html.")
    ] = True,
    figures: Figures = "svg",
) -> None:
    """Per-frame profile fits -> MSD -> D with 95% CI, regimes, lifetime, D_avg, lengths."""
    from nctransport.microscopy.workflow import ANALYZE_FILES, analysis_settings
    from nctransport.microscopy.workflow import analyze as analyze_workflow

    analysis_settings(
        profile=profile, window=window, background=background, temperature=temperature, snr=snr
    )  # bad options fail first
    formats = figure_formats(figures)
    out_dir = out if out is not None else default_out_dir(file, "analysis")
    _check_out(out_dir, [file], ANALYZE_FILES)
    with status_console.status(f"analysing {file.name} ..."):
        result = analyze_workflow(
            file,
            profile=profile,
            window=window,
            t0=t0,
            background=background,
            temperature=temperature,
            snr=snr,
            t_unit=t_unit,
            x_unit=x_unit,
            times=times,
            pixel=pixel,
            meta=meta,
        )
        result.write(out_dir, report=report, figure_formats=formats)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
        return
    _print_table(f"{file.name}  ->  {out_dir}", result.summary_rows(), list(result.warnings))


def series(
    files: Annotated[list[Path], typer.Argument(help="Two or more maps/stacks of one sample.")],
    by: Annotated[str, typer.Option("--by", help="power | fluence | temperature | rep-rate.")],
    values: Annotated[
        str | None,
        typer.Option(
            "--values",
            help="Comma-separated values with units, one per file "
            "(default: each file's metadata), e.g. 10K,50K,300K.",
        ),
    ] = None,
    profile: ProfileOpt = "auto",
    window: WindowOpt = None,
    background: BackgroundOpt = "auto",
    snr: SnrOpt = 10.0,
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    meta: Meta = None,
) -> None:
    """Analyse each file and fit the trend of D, sigma and L with power/fluence/T/rep-rate."""
    from nctransport.microscopy.workflow import SERIES_FILES
    from nctransport.microscopy.workflow import series as series_workflow

    out_dir = out if out is not None else default_out_dir(files[0], "series")
    if files:
        _check_out(out_dir, list(files), SERIES_FILES)
    with status_console.status("analysing series ..."):
        result = series_workflow(
            files,
            by=by,
            values=values,
            profile=profile,
            window=window,
            background=background,
            snr=snr,
            t0=t0,
            t_unit=t_unit,
            x_unit=x_unit,
            meta=meta,
        )
        result.write(out_dir)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
        return
    _print_table(f"series by {by}  ->  {out_dir}", result.summary_rows(), list(result.warnings))


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command()(series)
