"""``simulate``: run a kinetic Monte Carlo config or preset and write what a microscope sees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from nctransport.commands.common import JsonFlag, OutDir, console, parse_key_values
from nctransport.errors import ConfigError
from nctransport.results import dumps

status_console = Console(stderr=True, highlight=False)


def _figures(result, out_dir: Path) -> list:
    from nctransport.plotting import new_figure, save_figure

    fig, (ax1, ax2) = new_figure(1, 2, figsize=(10.0, 4.0))
    t_ns = result.times * 1e9
    for key, msd in result.msd.items():
        if np.all(~np.isfinite(msd)):
            continue
        ax1.plot(t_ns, msd * 1e12, label=key)
    ax1.set_xlabel("t (ns)")
    ax1.set_ylabel("per-axis MSD (um^2)")
    ax1.legend()
    for key, pop in result.populations.items():
        ax2.plot(t_ns, pop, label=key)
    ax2.set_xlabel("t (ns)")
    ax2.set_ylabel("particles per pulse")
    ax2.legend()
    return save_figure(fig, out_dir, "simulation")


def simulate(
    config: Annotated[Path | None, typer.Argument(help="TOML config file.")] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="random-walk | memory | bright-dark | bright-dark-fitted | traps | "
            "shrinking-hop | disorder",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override key=value (preset short key or dotted path)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    out: OutDir = None,
    json: JsonFlag = False,
    report_: Annotated[
        bool, typer.Option("--report/--no-report", help="Write a figure and report.html.")
    ] = True,
) -> None:
    """Kinetic Monte Carlo on a nanocrystal lattice; writes a microscope-like map and MSDs.

    Outputs: simulation.nc, populations.csv, config.toml, results.json and report.html.
    """
    from nctransport.kmc import load_config, load_preset
    from nctransport.kmc import simulate as run_simulation
    from nctransport.kmc.run import write_outputs

    if (config is None) == (preset is None):
        raise ConfigError("give a CONFIG file or --preset NAME (not both)")
    if workers < 1:
        raise ConfigError("--workers must be >= 1")
    if seed is not None and seed < 0:
        raise ConfigError("--seed must be >= 0")
    overrides = parse_key_values(set_, "--set")
    cfg = load_preset(preset, overrides) if preset else load_config(config, overrides)
    out_dir = out if out is not None else Path(f"sim-{cfg.name}")
    total = cfg.excitation.pulses
    with Progress(
        TextColumn(f"[bold]simulate {cfg.name}[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} pulses"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=status_console,
        transient=True,
        disable=json,
    ) as bar:
        task = bar.add_task("pulses", total=total)
        result = run_simulation(
            cfg,
            seed=seed,
            workers=workers,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    # outputs are written only after the run finished: Ctrl-C leaves nothing half-written
    paths = write_outputs(result, out_dir)
    from nctransport.report.html import write_report

    summary = {k: v for k, v in result.to_dict().items() if k not in ("t_s",)}
    if not report_:
        if json:
            summary["outputs"] = [str(p) for p in paths]
            typer.echo(dumps(summary), nl=False)
        return
    figures = _figures(result, out_dir)
    report = write_report(
        out_dir,
        title=f"simulate: {cfg.name}",
        results={
            "events": result.events,
            "total_events": result.total_events,
            "wall_time_s": result.wall_time,
            "events_per_second": result.events_per_second,
            "pulses": result.pulses,
            "seed": result.seed,
        },
        figures=figures,
        settings={"config": result.config},
        inputs=[] if config is None else [{"path": str(config)}],
    )
    if json:
        summary["outputs"] = [str(p) for p in [*paths, report]]
        typer.echo(dumps(summary), nl=False)
        return
    table = Table(title=f"simulate {cfg.name} (seed {result.seed}, {result.pulses} pulses)")
    table.add_column("state")
    table.add_column("particles at end / pulse")
    table.add_column("MSD at end (nm^2, per axis)")
    for key, msd in result.msd.items():
        pop = result.populations.get(key)
        table.add_row(key, "" if pop is None else f"{pop[-1]:.4g}", f"{msd[-1] * 1e18:.4g}")
    console.print(table)
    console.print(
        f"{result.total_events} events in {result.wall_time:.3g} s "
        f"({result.events_per_second:.3g} events/s); wrote {out_dir}"
    )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
