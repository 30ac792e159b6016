"""``analyze`` (one map or stack -> transport numbers) and ``series`` (trends across files)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
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
)
from nctransport.errors import ConfigError
from nctransport.io.atomic import write_text
from nctransport.results import dumps, write_json
from nctransport.units import parse_quantity

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


def _temperature(text: str | None) -> float | None:
    return None if text is None else parse_quantity(text, "K", name="--temperature")


def _settings(
    profile: str, window: str | None, background: str, temperature: str | None, snr: float
):
    from nctransport.microscopy.analysis import AnalysisSettings

    if not snr > 0:
        raise ConfigError(f"--snr must be > 0, got {snr!r}")
    return AnalysisSettings(
        profile=profile,
        window=window,
        background=background,
        temperature=_temperature(temperature),
        snr_min=snr,
    )


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}"


def _summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    d, o = res["diffusivity"], res["diffusivity_origin_fit"]
    rows = [
        (
            "D (sigma0 free) [cm2/s]",
            _fmt(d["value_cm2_s"]),
            f"95% CI [{_fmt(d['ci95_cm2_s'][0])}, {_fmt(d['ci95_cm2_s'][1])}], "
            f"{_fmt(d['t_start_ns'])}-{_fmt(d['t_end_ns'])} ns",
        )
    ]
    if o is not None:
        rows.append(
            (
                "D (through origin, Shcherbakov-Wu 2024) [cm2/s]",
                _fmt(o["value_cm2_s"]),
                f"95% CI [{_fmt(o['ci95_cm2_s'][0])}, {_fmt(o['ci95_cm2_s'][1])}]",
            )
        )
    L = res["diffusion_length_nm"]
    rows += [
        ("sigma0 [nm]", _fmt(res["sigma0_nm"]), f"+/- {_fmt(res['sigma0_err_nm'], 2)}"),
        (
            "D_avg (Bornschlegl 2024 Eq. 2) [cm2/s]",
            _fmt(res["d_avg_cm2_s"]),
            f"+/- {_fmt(res['d_avg_err_cm2_s'], 2)}",
        ),
        ("lifetime (1/e) [ns]", _fmt(res["lifetime_1e_ns"]), ""),
        (
            "L = sqrt(MSD(tau)) [nm]",
            _fmt(L["sqrt_msd_at_lifetime"]),
            f"+/- {_fmt(L['sqrt_msd_at_lifetime_err'], 2)}",
        ),
        (
            "L = sqrt(tau D_avg) [nm]",
            _fmt(L["sqrt_lifetime_times_d_avg"]),
            f"+/- {_fmt(L['sqrt_lifetime_times_d_avg_err'], 2)}",
        ),
        (
            "t_max [ns]",
            _fmt(res["t_max_ns"]),
            "MSD never contracts"
            if res["t_max_ns"] is None
            else f"+/- {_fmt(res['t_max_err_ns'], 2)}",
        ),
        (
            "mobility (Einstein) [cm2/Vs]",
            _fmt(res["mobility_cm2_Vs"]),
            res.get("mobility_reason", f"T = {_fmt(res['temperature_K'])} K"),
        ),
    ]
    for r in res["regimes"]:
        rows.append(
            (
                f"regime {_fmt(r['t_start_ns'], 3)}-{_fmt(r['t_end_ns'], 3)} ns",
                f"alpha {_fmt(r['alpha'], 3)}",
                f"+/- {_fmt(r['alpha_err'], 2)} ({r['kind']})",
            )
        )
    return rows


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


def _msd_csv(res: dict[str, Any]) -> str:
    m = res["msd"]
    lines = ["t [ns],msd [nm2],err [nm2]"]
    for t, y, e in zip(m["t_ns"], m["msd_nm2"], m["err_nm2"], strict=True):
        lines.append(f"{t!r},{y!r},{'' if e is None else repr(e)}")
    return "\n".join(lines) + "\n"


def _input_entry(ds, path: Path) -> dict[str, Any]:
    meta = {
        k: v
        for k, v in ds.attrs.items()
        if k not in ("source_file", "source_sha256") and isinstance(v, str | int | float)
    }
    return {"path": str(path), "sha256": ds.attrs.get("source_sha256"), **meta}


def run_analysis(
    ds,
    settings,
    out_dir: Path,
    *,
    path: Path,
    load_options: dict[str, Any] | None = None,
    report: bool = True,
) -> dict[str, Any]:
    """Analyse ``ds`` and write results.json, msd.csv, profiles.nc, figures and report.html.

    ``load_options`` (the loader overrides: units, --t0, --meta ...) are stored in
    ``settings.load`` so the numbers can be reproduced. ``report=False`` skips the
    figures and report.html (sweeps analyse thousands of points).
    """
    from nctransport.io.netcdf import save_netcdf
    from nctransport.microscopy.analysis import analyze_map
    from nctransport.microscopy.analysis_figures import analysis_figures
    from nctransport.report.html import write_report

    with status_console.status(f"analysing {path.name} ..."):
        result = analyze_map(ds, settings)
        res = result.to_results()
        res["settings"]["load"] = {k: v for k, v in (load_options or {}).items() if v}
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(out_dir / "results.json", res)
        write_text(out_dir / "msd.csv", _msd_csv(res))
        save_netcdf(result.fits.to_dataset(), out_dir / "profiles.nc")
        if not report:
            return res
        figs = analysis_figures(ds, result, out_dir)
        report_results = {
            k: v
            for k, v in res.items()
            if k
            not in (
                "msd",
                "time_dependent_diffusivity",
                "failed_frames",
                "warnings",
                "settings",
                "input",
                "regime_fit",
            )
        }
        write_report(
            out_dir,
            title=f"nctransport analyze: {path.name}",
            results=report_results,
            figures=[f for f in figs if f.suffix == ".png"],
            inputs=[_input_entry(ds, path)],
            settings=res["settings"],
            warnings=res["warnings"],
        )
    return res


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
) -> None:
    """Per-frame profile fits -> MSD -> D with 95% CI, regimes, lifetime, D_avg, lengths."""
    settings = _settings(profile, window, background, temperature, snr)  # bad options first
    ds = load_input(file, t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    out_dir = out or default_out_dir(file, "analysis")
    load_options = dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    res = run_analysis(ds, settings, out_dir, path=file, load_options=load_options, report=report)
    if json:
        typer.echo(dumps(res), nl=False)
        return
    _print_table(f"{file.name}  ->  {out_dir}", _summary_rows(res), res["warnings"])


BY_CHOICES = ("power", "fluence", "temperature", "rep-rate")


def _parse_values(text: str | None, n: int, by: str) -> list[float] | None:
    if text is None:
        return None
    from nctransport.microscopy.series import BY_UNITS

    items = [s for s in (p.strip() for p in text.split(",")) if s]
    if len(items) != n:
        raise ConfigError(f"--values has {len(items)} value(s) for {n} file(s)")
    return [parse_quantity(s, BY_UNITS[by], name="--values") for s in items]


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
    from nctransport.microscopy.series import analyze_series, write_series

    if by not in BY_CHOICES:
        raise ConfigError(f"--by must be one of {', '.join(BY_CHOICES)}; got {by!r}")
    if len(files) < 2:
        raise ConfigError("series needs at least two files")
    settings = _settings(profile, window, background, None, snr)
    vals = _parse_values(values, len(files), by)
    datasets = []
    for f in files:
        datasets.append(load_input(f, t_unit=t_unit, x_unit=x_unit, t0=t0, meta=meta))
    out_dir = out or default_out_dir(files[0], "series")
    with status_console.status("analysing series ..."):
        result = analyze_series(datasets, by, settings, values=vals, paths=files)
        res = write_series(result, datasets, out_dir)
    if json:
        typer.echo(dumps(res), nl=False)
        return
    table = Table(title=f"series by {by}  ->  {out_dir}")
    for col in (
        res["quantity_label"],
        "D [cm2/s]",
        "95% CI",
        "D_avg [cm2/s]",
        "sigma0 [nm]",
        "L=sqrt(tau D_avg) [nm]",
        "tau [ns]",
    ):
        table.add_column(escape(col))
    for p in res["points"]:
        ci = p["ci95_cm2_s"]
        table.add_row(
            _fmt(p["value"]),
            _fmt(p["d_cm2_s"]),
            escape(f"[{_fmt(ci[0])}, {_fmt(ci[1])}]"),
            _fmt(p["d_avg_cm2_s"]),
            _fmt(p["sigma0_nm"]),
            _fmt(p["l_tau_d_avg_nm"]),
            _fmt(p["lifetime_1e_ns"]),
        )
    console.print(table)
    for name, tr in res["trends"].items():
        if tr is not None:
            text = f"{name}: {tr['model']}: " + ", ".join(
                f"{k} = {_fmt(v)}" for k, v in tr["params"].items()
            )
            console.print(text, markup=False)
    for w in res["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}", markup=True, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command()(series)
