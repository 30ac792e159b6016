"""``sweep`` and ``sweep-report``: thin faces of :func:`nctransport.sweeps.workflow.sweep` and
:func:`~nctransport.sweeps.workflow.sweep_report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nctransport.commands.common import JsonFlag, console, parse_key_values
from nctransport.errors import ConfigError


def _warmup(text: str) -> str | int:
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--warmup must be 'auto' or a number of pulses, got {text!r}") from None


def sweep(
    config: Annotated[Path | None, typer.Argument(help="Simulation config (TOML).")] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="Preset name instead of CONFIG.")
    ] = None,
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="key=v1,v2,... (repeatable; Cartesian product)."),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Fixed key=value (repeatable).")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Base seed; per-point seeds derive from it.")
    ] = 0,
    out: Annotated[Path, typer.Option("--out", help="Sweep directory (resumable).")] = Path(
        "sweep"
    ),
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Local worker processes (default: all cores)."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="Analysis D-fit window, e.g. 0ns:3ns.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Analysis profile (auto, moments, ...).")
    ] = None,
    analyze: Annotated[
        bool,
        typer.Option("--analyze/--no-analyze", help="Analyse each point's simulated map."),
    ] = True,
    warmup: Annotated[
        str,
        typer.Option(
            "--warmup",
            help="Pulses discarded at the start of each memory-model chain "
            "(auto: ceil(5 tau_relax / period)).",
        ),
    ] = "auto",
    point_reports: Annotated[
        bool,
        typer.Option(
            "--point-reports/--no-point-reports",
            help="Figures and report.html for every point (slow).",
        ),
    ] = False,
    json: JsonFlag = False,
) -> None:
    """Simulate and analyse every point of a parameter grid; rerun the same command to resume."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from nctransport.results import dumps
    from nctransport.sweeps.workflow import sweep as run

    if (config is None) == (preset is None):
        raise ConfigError("give a CONFIG file or --preset NAME (not both)")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    settings = {"window": window, "profile": profile}
    with Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
        disable=json,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_progress(done, total, record):
            if record is None and done:
                progress.console.print(f"resuming: {done} of {total} points already finished")
            desc = "" if record is None else f"{record['point_id']} {record['status']}"
            progress.update(task, completed=done, total=total, description=desc)

        result = run(
            config if config is not None else preset,
            grid or [],
            out_dir=out,
            workers=workers,
            seed=seed,
            sets=parse_key_values(set_, "--set"),
            analyze=settings if analyze else False,
            cluster=scheduler,
            warmup=_warmup(warmup),
            point_reports=point_reports,
            on_progress=on_progress,
            on_warning=lambda msg: progress.console.print(f"[yellow]warning:[/] {msg}"),
        )
    # The workflow itself wrote the sweep directory (it must, to be resumable); its
    # results.json is left to sweep-report.
    if json:
        typer.echo(dumps(result.to_dict()), nl=False)
    else:
        console.print(result.summary())
    if result.failed:
        first = next(iter(result.failures.items()))
        typer.echo(
            f"error: {result.failed} of {result.total} points failed (first: {first[0]}: "
            f"{first[1]}); fix and rerun the same command to redo them",
            err=True,
        )
        raise typer.Exit(1)


def sweep_report(
    directory: Annotated[Path, typer.Argument(help="A sweep directory.")],
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="Parameter on the x axis (default: time between excitations, pulse period / "
            "alpha, for pulse trains; else the first grid key).",
        ),
    ] = None,
    y: Annotated[
        str,
        typer.Option(
            "--y",
            help="auto | diffusivity | d_1ns (D_sim, exact second moment, Shcherbakov-Wu 2024) "
            "| d_1ns_map | d_1ns_analysis.",
        ),
    ] = "auto",
    json: JsonFlag = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output dir (default: DIRECTORY).")
    ] = None,
) -> None:
    """Trends across a sweep: D vs the swept parameter with a single-exponential fit."""
    from nctransport.io.output import check_output_dir
    from nctransport.results import dumps
    from nctransport.sweeps.workflow import sweep_report as report

    out_dir = out or directory
    check_output_dir(out_dir)
    result = report(directory, x=x, y=y)
    result.write(out_dir, report=True)
    if json:
        typer.echo(dumps(result.to_dict()), nl=False)
        return
    console.print(result.summary())
    console.print(f"wrote {Path(out_dir) / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command()(sweep)
    app.command("sweep-report")(sweep_report)
