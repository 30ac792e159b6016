"""``demo``: a thin face on :func:`nctransport.demo.run_demo`.

Parses the options, shows progress (one line per finished step, with its headline numbers),
prints where the index is and exits with the demo's status: 0 all ok, 1 a step failed, 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nctransport.demo import BUNDLED_DATA, EXAMPLE_FILES, demo_steps  # noqa: F401 (re-exported)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("demo-output"),
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder with the example files (default: bundled)."),
    ] = None,
    step: Annotated[
        list[str] | None,
        typer.Option("--step", help="Run only this step (repeatable), e.g. 01-analyze-map."),
    ] = None,
) -> None:
    """Run the whole loop on bundled example data and write OUT/index.html linking every report.

    TPLM map -> analyze -> kinetics; simulate the memory and bright-dark presets -> analyze
    them; device sclc and EGDM fit of J-V at three temperatures; spectra of a TA map.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nctransport.demo import StepOutcome, run_demo

    console = Console(file=sys.stderr, highlight=False, soft_wrap=True)  # paths stay whole
    n_steps = len(set(step)) if step else len(demo_steps())
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("demo", total=n_steps)
    colour = {"ok": "green", "skipped": "yellow"}

    def show(outcome: StepOutcome) -> None:
        if outcome.status == "running":
            bar.update(task, description=outcome.step.title)
            return
        line = outcome.line()  # "✓ 01-analyze-map (4.6 s) ...": only the mark is coloured
        bar.console.print(f"[{colour.get(outcome.status, 'red')}]{line[0]}[/]{escape(line[1:])}")
        bar.advance(task)

    with bar:
        result = run_demo(out, steps=step, data_dir=data, progress=show)
    checks = result.truth_checks
    for check in checks:
        if check.covered is False:
            console.print(f"[yellow]warning:[/] {escape(str(check))}")
    if checks:
        n_in = sum(bool(c.covered) for c in checks)
        console.print(f"truths of the example data inside the 95% CI: {n_in} of {len(checks)}")
    console.print(f"index: {result.index}")
    n_bad = len(result.steps) - result.n_ok
    if result.exit_code == 1:
        console.print(f"[red]{n_bad} of {len(result.steps)} demo steps did not succeed[/]")
    if result.exit_code:
        raise SystemExit(result.exit_code)  # typer.Exit(n) is turned into 0 by cli.main


def register(app: typer.Typer) -> None:
    app.command()(demo)
