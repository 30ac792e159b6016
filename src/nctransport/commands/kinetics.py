"""``kinetics``: fit decays (single, auto-selected, or global over pixels/files).

The science lives in :func:`nctransport.kinetics.workflow.fit_decay`; this module parses
options, checks the output directory, calls it, prints and writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def parse_window(text: str | None) -> tuple[float, float] | None:
    """Kept for ``commands/continuum.py``, which imports it from here; the parser lives in
    :func:`nctransport.kinetics.workflow.parse_window` (imported only when called)."""
    from nctransport.kinetics.workflow import parse_window as parse

    return parse(text)


def kinetics(
    files: Annotated[list[Path], typer.Argument(help="Decay, map or stack file(s).")],
    model: Annotated[
        str, typer.Option("--model", help="exp1|exp2|exp3|stretched|powerlaw|exp+powerlaw|auto")
    ] = "auto",
    irf: Annotated[
        str,
        typer.Option(
            "--irf",
            help="fit (Gaussian, width+shift fitted) | gaussian:FWHM (e.g. gaussian:80ps) "
            "| none | IRF_FILE",
        ),
    ] = "fit",
    window: Annotated[
        str | None, typer.Option("--window", help="Fit window START:STOP, e.g. 0ns:50ns.")
    ] = None,
    position: Annotated[
        str | None, typer.Option("--position", help="Take the decay at x (map) or x,y (stack).")
    ] = None,
    rep_rate: Annotated[
        str | None,
        typer.Option("--rep-rate", help="Laser repetition rate for pile-up, e.g. 80MHz."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option("--method", help="mle|neyman|lsq (default: mle for counts, else lsq)."),
    ] = None,
    criterion: Annotated[str, typer.Option("--criterion", help="auto: bic|aic.")] = "bic",
    global_: Annotated[
        bool,
        typer.Option("--global", help="Shared lifetimes over every pixel (or several files)."),
    ] = False,
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
    figures: Figures = "svg",
) -> None:
    """Fit decays: exponentials with a fitted or measured IRF, power laws, global fits."""
    from nctransport.io.output import check_output_dir
    from nctransport.kinetics.workflow import fit_decay

    formats = figure_formats(figures)
    out_dir = check_output_dir(out or default_out_dir(files[0], "kinetics"), inputs=files)
    kwargs = dict(
        model=model,
        irf=irf,
        window=window,
        global_fit=global_,
        position=position,
        rep_rate=rep_rate,
        method=method,
        criterion=criterion,
        load_options=dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta),
    )
    if global_:
        from rich.console import Console

        with Console(stderr=True).status("global fit (Ctrl-C stops, nothing written)"):
            result = fit_decay(files, **kwargs)
    else:
        result = fit_decay(files, **kwargs)
    result.write(out_dir, figure_formats=formats)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
    else:
        from rich.table import Table

        table = Table(title=f"kinetics: {result.headline()}")
        for col in ("quantity", "value", "uncertainty / note"):
            table.add_column(col)
        for row in result.summary_rows():
            table.add_row(*row)
        console.print(table)
        for w in result.result_warnings:
            console.print(f"[yellow]warning:[/] {w}")
        console.print(f"wrote {out_dir / 'results.json'}")


def register(app: typer.Typer) -> None:
    app.command()(kinetics)
