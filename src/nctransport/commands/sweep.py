"""``sweep`` and ``sweep-report``: parameter sweeps of simulate + analyze, and their trends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nctransport.commands.common import JsonFlag, console, parse_key_values
from nctransport.errors import ConfigError, FitError
from nctransport.results import dumps, provenance, write_json
from nctransport.sweeps.grid import parse_grid, si_value
from nctransport.sweeps.runner import METRIC_COLUMNS, SweepSpec, run_sweep
from nctransport.sweeps.store import SweepStore
from nctransport.sweeps.trends import column, fit_exponential, read_sweep_csv


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
        int | None, typer.Option("--workers", help="Local worker processes (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="analyze --window, e.g. 0ns:3ns.")
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="analyze --profile.")] = None,
    point_reports: Annotated[
        bool,
        typer.Option(
            "--point-reports/--no-point-reports",
            help="Figures and report.html for every point (slow).",
        ),
    ] = False,
) -> None:
    """Simulate and analyse every point of a parameter grid; rerun the same command to resume."""
    if config is not None and not config.exists():
        raise ConfigError("no such file", config)
    analyze_args: list[str] = []
    if window:
        analyze_args += ["--window", window]
    if profile:
        analyze_args += ["--profile", profile]
    spec = SweepSpec(
        grid=tuple(parse_grid(g) for g in grid or []),
        seed=seed,
        preset=preset,
        config=None if config is None else str(config.resolve()),
        sets=tuple(parse_key_values(set_, "--set").items()),
        analyze_args=tuple(analyze_args),
        point_reports=point_reports,
    )
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if n_workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {n_workers}")
    with Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_progress(done, total, record):
            if record is None and done:
                console.print(f"resuming: {done} of {total} points already finished, skipped")
            desc = "" if record is None else f"{record['point_id']} {record['status']}"
            progress.update(task, completed=done, total=total, description=desc)

        result = run_sweep(
            spec, out, workers=n_workers, scheduler=scheduler, on_progress=on_progress
        )
    console.print(
        f"{result.total} points: {result.skipped} skipped (already done), {result.ran} run, "
        f"{result.failed} failed; removed {result.partial_removed} half-written; wrote {result.csv}"
    )
    for pid, err in result.failures.items():
        console.print(f"[red]failed[/] {pid}: {err}")
    if result.failed:
        raise typer.Exit(1)


def _x_axis(definition: dict, columns: list[str], rows, x: str | None):
    """The trend's x values, their name (with SI unit suffix) and how they were made."""
    grid = {g["key"]: g["values"] for g in definition["grid"]}
    sets = dict(definition["sets"])
    if (
        x in (None, "time_between_excitations")
        and "pulse_period" in grid
        and ("alpha_pulse" in grid or "alpha_pulse" in sets)
    ):
        # Shcherbakov-Wu 2024: mean time between excitations of the centre NC = 1/(f <N>), with
        # f = 1/pulse_period and <N> = alpha_pulse (excitation probability at the centre).
        period = column(rows, "pulse_period_s")
        if "alpha_pulse" in grid:
            alpha = column(rows, "alpha_pulse")
        else:
            alpha = np.full(len(rows), si_value(sets["alpha_pulse"])[0] or np.nan)
        return period / alpha, "time_between_excitations_s", "pulse_period / alpha_pulse"
    if x is None:
        x = definition["grid"][0]["key"]
    matches = [c for c in columns if c == x or c.startswith(f"{x}_")]
    numeric = [c for c in matches if c not in METRIC_COLUMNS]
    if not numeric:
        raise ConfigError(f"--x {x!r} is not a numeric sweep parameter (columns: {columns})")
    return column(rows, numeric[0]), numeric[0], "grid parameter"


def sweep_report(
    directory: Annotated[Path, typer.Argument(help="A sweep directory.")],
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="Parameter on the x axis (default: time between excitations "
            "when pulse_period and alpha_pulse are known, else the first grid key).",
        ),
    ] = None,
    y: Annotated[
        str, typer.Option("--y", help="diffusivity (fit, CI) or d_1ns (Shcherbakov-Wu 2024).")
    ] = "diffusivity",
    json: JsonFlag = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output dir (default: DIRECTORY).")
    ] = None,
) -> None:
    """Trends across a sweep: D vs the swept parameter with a single-exponential fit."""
    from nctransport.plotting import new_figure, save_figure
    from nctransport.report.html import write_report

    store = SweepStore(directory)
    definition = store.definition()
    columns, rows = read_sweep_csv(store.csv)
    if not rows:
        raise ConfigError("the sweep has no finished points yet", store.csv)
    xs, x_name, x_how = _x_axis(definition, columns, rows, x)
    if y == "diffusivity":
        ys = column(rows, "diffusivity_cm2_s")
        lo, hi = (
            column(rows, "diffusivity_ci95_lo_cm2_s"),
            column(rows, "diffusivity_ci95_hi_cm2_s"),
        )
        yerr = (hi - lo) / (2 * 1.959964)
        y_name = "diffusivity_cm2_s"
    elif y == "d_1ns":
        ys, yerr, y_name = column(rows, "d_1ns_cm2_s"), None, "d_1ns_cm2_s"
    else:
        raise ConfigError(f"--y must be 'diffusivity' or 'd_1ns', got {y!r}")
    warnings = []
    try:
        fit = fit_exponential(xs, ys, yerr)
        fit_dict = fit.to_dict("s" if x_name.endswith("_s") else "x")
        if not fit.converged:
            warnings.append("exponential fit did not converge")
    except FitError as exc:
        fit, fit_dict = None, None
        warnings.append(f"no exponential fit: {exc.message}")
    points = []
    for i, r in enumerate(rows):
        p = {x_name: float(xs[i]), y_name: float(ys[i])}
        p.update(
            {
                c: (float(r[c]) if r[c] not in ("",) and c != "point_id" else r[c])
                for c in columns
                if c not in ("seed",)
            }
        )
        points.append(p)
    out_dir = out or directory
    fig, ax = new_figure()
    ax.errorbar(
        xs,
        ys,
        yerr=None if yerr is None else 1.959964 * yerr,
        fmt="o",
        capsize=3,
        label="sweep points (95% CI)",
    )
    if fit is not None:
        xx = np.linspace(np.nanmin(xs), np.nanmax(xs), 200)
        ax.plot(
            xx,
            fit.offset + fit.amplitude * np.exp(-xx / fit.tau),
            "--",
            label=f"exp fit, tau = {fit.tau:.3g}",
        )
    ax.set_xlabel(x_name.replace("_", " "))
    ax.set_ylabel(f"{y_name.split('_cm2_s')[0]} (cm$^2$/s, per axis)")
    ax.legend()
    figs = save_figure(fig, out_dir, "sweep_trend")
    results = {
        "x": {"name": x_name, "how": x_how},
        "y": y_name,
        "exponential_fit": fit_dict,
        "points": points,
        "warnings": warnings,
        **provenance(store.csv, None, {"x": x, "y": y, "sweep": definition}),
    }
    write_json(Path(out_dir) / "results.json", results)
    write_report(
        out_dir,
        title=f"Sweep report: {directory}",
        results={
            "exponential_fit": fit_dict or {},
            "n_points": len(points),
            "x": x_name,
            "y": y_name,
        },
        figures=[figs[0]],
        inputs=[{"path": str(store.csv)}],
        settings=definition,
        warnings=warnings,
    )
    if json:
        typer.echo(dumps(results), nl=False)
    else:
        console.print(f"{len(points)} points; x = {x_name} ({x_how}); y = {y_name}")
        if fit is not None:
            console.print(
                f"exponential fit: tau = {fit.tau:.4g} (95% CI {fit.tau_ci95[0]:.4g} .. "
                f"{fit.tau_ci95[1]:.4g}), amplitude {fit.amplitude:.4g}, offset {fit.offset:.4g}"
            )
        console.print(f"wrote {Path(out_dir) / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command()(sweep)
    app.command("sweep-report")(sweep_report)
