"""``device``: single-carrier device transport (Li 2024); a face on nctransport.device.workflow.

* ``device sclc``: slope regimes, Mott-Gurney and drift-diffusion mobility, Arrhenius, J L^3.
* ``device tel``: transit time from transient EL, mu = d / (tau E) with built-in voltage/stack.
* ``device simulate``: drift-diffusion J-V (constant / Poole-Frenkel / EGDM mobility).
* ``device fit``: drift-diffusion fit (constant / Poole-Frenkel / EGDM) of J-V curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nctransport.commands.common import (
    Figures,
    JsonFlag,
    OutDir,
    default_out_dir,
    figure_formats,
)
from nctransport.errors import ConfigError

device_app = typer.Typer(
    name="device",
    help="Single-carrier devices: SCLC, transient EL, drift-diffusion simulation and fits.",
    no_args_is_help=True,
)

Files = Annotated[list[Path], typer.Argument(help="J-V files (kind jv: V [V], J [A/m2]).")]
EpsROpt = Annotated[float, typer.Option("--eps-r", help="Relative permittivity of the layer.")]
TemperaturesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--temperatures",
        "--temperature",
        help="Temperature per file, e.g. 250K (repeat, or comma-separated); "
        "default: each file's metadata (an option overrides it, with a warning).",
    ),
]
ThicknessOpt = Annotated[
    list[str] | None,
    typer.Option("--thickness", help="Layer thickness, e.g. 110nm (one, or one per file)."),
]
ReportOpt = Annotated[
    bool, typer.Option("--report/--no-report", help="Write figures and report.html.")
]


def parse_voltages(text: str):
    """``0:10:41`` (start:stop:count) or ``0,1,2.5`` (volts); see the workflow's parser."""
    from nctransport.device.workflow import parse_voltages as parse

    return parse(text)


def _check_out(out: Path | None, default: Path, inputs: list[Path]) -> Path:
    from nctransport.io.output import check_output_dir

    return check_output_dir(out if out is not None else default, inputs=inputs)


def _finish(result: Any, out_dir: Path, json: bool, report: bool, formats: tuple[str, ...]) -> None:
    result.write(out_dir, report=report, figure_formats=formats)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
        return
    typer.echo(result.summary())  # plain text: rich would re-wrap the table's long lines
    typer.echo(f"wrote {out_dir}")


def _stack(text: str | None) -> list[tuple[str, float]] | None:
    if not text:
        return None
    layers = []
    for part in text.split(","):
        d, sep, e = part.strip().partition(":")
        if not sep:
            raise ConfigError(
                f"--stack expects thickness:eps_r items, e.g. 25nm:3,qd:3; got {part!r}"
            )
        try:
            layers.append((d.strip(), float(e)))
        except ValueError:
            raise ConfigError(f"--stack: eps_r must be a number, got {e!r}") from None
    return layers


@device_app.command("sclc")
def sclc(
    files: Files,
    thickness: ThicknessOpt = None,
    eps_r: EpsROpt = 3.5,
    temperatures: TemperaturesOpt = None,
    fit_range: Annotated[
        str | None, typer.Option("--fit-range", help="Mott-Gurney fit range, e.g. 0.2V:3V.")
    ] = None,
    no_leak: Annotated[bool, typer.Option("--no-leak", help="Fit without ohmic leak.")] = False,
    offset: Annotated[
        bool, typer.Option("--offset", help="Also fit an offset (built-in) voltage.")
    ] = False,
    drift_diffusion: Annotated[
        bool,
        typer.Option(
            "--drift-diffusion/--no-drift-diffusion",
            help="Also give the diffusion-corrected mobility (constant-mobility drift-diffusion).",
        ),
    ] = True,
    site_density: Annotated[
        str, typer.Option("--site-density", help="Effective DOS of the drift-diffusion fit.")
    ] = "1e27m-3",
    at_field: Annotated[
        str | None,
        typer.Option("--at-field", help="Also the SCLC mobility at this field, e.g. 2.1e7V/m."),
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
    report: ReportOpt = True,
    figures: Figures = "svg",
) -> None:
    """Mott-Gurney SCLC analysis of J-V FILES (slope regimes, mobility, Arrhenius, J L^3)."""
    from nctransport.device.workflow import sclc as run

    formats = figure_formats(figures)
    out_dir = _check_out(out, default_out_dir(files[0], "sclc"), files)
    result = run(
        list(files),
        thickness=thickness,
        eps_r=eps_r,
        temperatures=temperatures,
        fit_range=fit_range,
        leak=not no_leak,
        offset=offset,
        drift_diffusion=drift_diffusion,
        site_density=site_density,
        at_field=at_field,
    )
    _finish(result, out_dir, json, report, formats)


@device_app.command("tel")
def tel(
    files: Annotated[
        list[Path],
        typer.Argument(help="Integrated EL output vs pulse width (a decay-kind file: t = width)."),
    ],
    thickness: Annotated[
        str, typer.Option("--thickness", help="Transport (QD) layer thickness, e.g. 30nm.")
    ],
    voltage: Annotated[
        list[str], typer.Option("--voltage", help="Pulse amplitude per file, e.g. 4V.")
    ],
    built_in: Annotated[
        str, typer.Option("--built-in", help="Built-in voltage: E = (V - V_bi) / d.")
    ] = "0V",
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            help="Layer stack thickness:eps_r, the transport layer as qd:eps_r, "
            "e.g. 25nm:3,25nm:3,qd:3,40nm:3 (field in the QD layer).",
        ),
    ] = None,
    fit_from: Annotated[
        str | None, typer.Option("--fit-from", help="Use pulses at least this long, e.g. 10us.")
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
    report: ReportOpt = True,
    figures: Figures = "svg",
) -> None:
    """Transit time (intercept of I_out vs pulse width) and mu = d/(tau E) for each FILE."""
    from nctransport.device.workflow import tel as run

    formats = figure_formats(figures)
    out_dir = _check_out(out, default_out_dir(files[0], "tel"), files)
    result = run(
        list(files),
        thickness=thickness,
        voltage=voltage,
        built_in=built_in,
        stack=_stack(stack),
        fit_from=fit_from,
    )
    _finish(result, out_dir, json, report, formats)


@device_app.command("simulate")
def simulate(
    model: Annotated[str, typer.Option("--model", help="constant | poole-frenkel | egdm")] = "egdm",
    statistics: Annotated[
        str | None,
        typer.Option(
            "--statistics",
            help="boltzmann | gauss-fermi (default: gauss-fermi for egdm, else boltzmann)",
        ),
    ] = None,  # the workflow's default, as its help says (nct.simulate_jv)
    site_density: Annotated[
        str | None,
        typer.Option(
            "--site-density",
            help="Effective DOS / site density, e.g. 1e27m-3 "
            "(default 1/a^3 with --a, else 1e27 m^-3).",
        ),
    ] = None,
    mobility: Annotated[
        str | None, typer.Option("--mobility", help="Constant mobility, e.g. 4.4e-11m2/V/s.")
    ] = None,
    gamma: Annotated[
        str | None, typer.Option("--gamma", help="Poole-Frenkel factor in (m/V)^0.5.")
    ] = None,
    mu0: Annotated[
        str | None, typer.Option("--mu0", help="EGDM / Poole-Frenkel prefactor, e.g. 2e-8m2/V/s.")
    ] = None,
    sigma: Annotated[
        str | None, typer.Option("--sigma", help="Gaussian DOS width, e.g. 0.12eV.")
    ] = None,
    a: Annotated[str | None, typer.Option("--a", help="Site spacing, e.g. 2.8nm.")] = None,
    temperature: Annotated[str, typer.Option("--temperature", help="e.g. 297K.")] = "297K",
    thickness: Annotated[str, typer.Option("--thickness", help="e.g. 110nm.")] = "110nm",
    eps_r: EpsROpt = 3.5,
    voltages: Annotated[
        str, typer.Option("--voltages", help="start:stop:count (V) or a comma list.")
    ] = "0:10:41",
    barrier_anode: Annotated[
        str, typer.Option("--barrier-anode", help="Hole injection barrier at x = 0, e.g. 0eV.")
    ] = "0eV",
    barrier_cathode: Annotated[
        str, typer.Option("--barrier-cathode", help="Hole injection barrier at x = L.")
    ] = "0eV",
    image_force: Annotated[
        bool, typer.Option("--image-force", help="Image-force lowering of injection barriers.")
    ] = False,
    points: Annotated[int, typer.Option("--points", help="Grid points.")] = 200,
    json: JsonFlag = False,
    out: OutDir = None,
    report: ReportOpt = True,
    figures: Figures = "svg",
) -> None:
    """Drift-diffusion J-V of a single-carrier device; writes jv.csv, profiles.nc, a figure."""
    from nctransport.device.workflow import simulate_jv

    formats = figure_formats(figures)
    out_dir = _check_out(out, Path("device-simulation"), [])
    result = simulate_jv(
        model=model,
        statistics=statistics,
        site_density=site_density,
        mobility=mobility,
        gamma=gamma,
        mu0=mu0,
        sigma=sigma,
        a=a,
        temperature=temperature,
        thickness=thickness,
        eps_r=eps_r,
        voltages=voltages,
        barrier_anode=barrier_anode,
        barrier_cathode=barrier_cathode,
        image_force=image_force,
        points=points,
    )
    _finish(result, out_dir, json, report, formats)


@device_app.command("fit")
def fit(
    files: Files,
    model: Annotated[str, typer.Option("--model", help="constant | poole-frenkel | egdm")] = "egdm",
    statistics: Annotated[
        str | None,
        typer.Option(
            "--statistics",
            help="boltzmann | gauss-fermi (default: gauss-fermi for egdm, else boltzmann)",
        ),
    ] = None,
    temperatures: TemperaturesOpt = None,
    thickness: ThicknessOpt = None,
    eps_r: EpsROpt = 3.5,
    a: Annotated[
        str, typer.Option("--a", help="Site spacing (start value with --fit-a).")
    ] = "2.8nm",
    fit_a: Annotated[bool, typer.Option("--fit-a", help="Fit the site spacing a too.")] = False,
    sigma_init: Annotated[
        str, typer.Option("--sigma-init", help="Start value of sigma.")
    ] = "0.1eV",
    site_density: Annotated[
        str | None, typer.Option("--site-density", help="DOS (default 1e27 m^-3, EGDM 1/a^3).")
    ] = None,
    barrier_anode: Annotated[str, typer.Option("--barrier-anode")] = "0eV",
    barrier_cathode: Annotated[str, typer.Option("--barrier-cathode")] = "0eV",
    built_in: Annotated[
        str, typer.Option("--built-in", help="Built-in voltage (fixed), e.g. 0.2V.")
    ] = "0V",
    fit_built_in: Annotated[
        bool, typer.Option("--fit-built-in", help="Fit the built-in voltage.")
    ] = False,
    leak: Annotated[bool, typer.Option("--leak", help="Also fit an ohmic leak G V.")] = False,
    series_resistance: Annotated[
        bool, typer.Option("--series-resistance", help="Also fit a series resistance.")
    ] = False,
    noise: Annotated[
        float | None, typer.Option("--noise", help="Relative noise of J (std of ln J), > 0.")
    ] = None,
    fit_range: Annotated[
        str | None, typer.Option("--fit-range", help="Fit only V in this range, e.g. 0.2V:8V.")
    ] = None,
    ci: Annotated[
        str, typer.Option("--ci", help="auto | curvature | profile (likelihood) intervals.")
    ] = "auto",
    points: Annotated[int, typer.Option("--points", help="Grid points per solve.")] = 200,
    json: JsonFlag = False,
    out: OutDir = None,
    report: ReportOpt = True,
    figures: Figures = "svg",
) -> None:
    """Drift-diffusion fit (constant / Poole-Frenkel / EGDM) to J-V FILES at once."""
    from nctransport.device.workflow import fit_jv

    suffix = "egdm-fit" if model == "egdm" else f"{model}-fit"
    formats = figure_formats(figures)
    out_dir = _check_out(out, default_out_dir(files[0], suffix), files)
    result = fit_jv(
        list(files),
        model=model,
        statistics=statistics,
        temperatures=temperatures,
        thickness=thickness,
        eps_r=eps_r,
        a=a,
        fit_a=fit_a,
        sigma_init=sigma_init,
        site_density=site_density,
        barrier_anode=barrier_anode,
        barrier_cathode=barrier_cathode,
        built_in=built_in,
        fit_built_in=fit_built_in,
        leak=leak,
        series_resistance=series_resistance,
        noise=noise,
        fit_range=fit_range,
        ci=ci,
        points=points,
    )
    _finish(result, out_dir, json, report, formats)


def register(app: typer.Typer) -> None:
    app.add_typer(device_app, name="device")
