"""``simulate``: run a kinetic Monte Carlo config or preset and write what a microscope sees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nctransport.commands.common import (
    Figures,
    JsonFlag,
    OutDir,
    console,
    figure_formats,
    parse_key_values,
)
from nctransport.errors import ConfigError


def simulate(
    config: Annotated[
        Path | None,
        typer.Argument(help="TOML config file, or a preset name (same as --preset NAME)."),
    ] = None,
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
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed, 0 <= seed < 2**63.")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    out: OutDir = None,
    json: JsonFlag = False,
    report_: Annotated[
        bool, typer.Option("--report/--no-report", help="Write a figure and report.html.")
    ] = True,
    figures: Figures = "svg",
) -> None:
    """Kinetic Monte Carlo on a nanocrystal lattice; writes a microscope-like map and MSDs.

    Outputs: simulation.nc, populations.csv, config.toml, results.json and report.html.
    """
    from nctransport.kmc.config import check_seed
    from nctransport.kmc.presets import PRESETS
    from nctransport.kmc.result import check_output
    from nctransport.kmc.workflow import resolve_config
    from nctransport.kmc.workflow import simulate as run
    from nctransport.results import dumps

    if (config is None) == (preset is None):
        raise ConfigError("give a CONFIG file or --preset NAME (not both)")
    if config is not None and str(config) in PRESETS and not config.exists():
        # `nctransport simulate memory`: a bare preset name where no such file exists
        config, preset = None, str(config)
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"--preset: unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if workers < 1:
        raise ConfigError("--workers must be >= 1")
    if seed is not None:
        check_seed(seed, "--seed")
    overrides = parse_key_values(set_, "--set")
    formats = figure_formats(figures)
    source = preset if preset is not None else config
    # everything is checked before the simulation: the config, then the output directory
    # (it must not replace the input config: simulate D/config.toml --out D)
    cfg, path = resolve_config(source, overrides)
    out_dir = check_output(out if out is not None else Path(f"sim-{cfg.name}"), path)
    result = run(source, seed=seed, workers=workers, progress=not json, **overrides)
    # outputs are written only after the run finished: Ctrl-C leaves nothing half-written
    result.write(out_dir, report=report_, figure_formats=formats)
    if json:
        typer.echo(dumps(result.to_dict()), nl=False)
        return
    console.print(result.summary())
    console.print(f"wrote {out_dir}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
