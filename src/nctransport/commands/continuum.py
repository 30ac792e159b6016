"""``fit-model``: a reaction-diffusion model fitted to a whole map (see
:func:`nctransport.continuum.workflow.fit_model`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nctransport.commands.common import (
    T0,
    JsonFlag,
    Meta,
    OutDir,
    Pixel,
    Times,
    TUnit,
    XUnit,
    default_out_dir,
    parse_key_values,
)

_MODELS = "diffusion, power-law, bright-dark-trap"


def fit_model(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="A map (t, x) or stack (t, y, x); several files are independent repetitions "
            "(e.g. KMC runs with different seeds), fitted as their mean with a jackknife CI."
        ),
    ],
    model: Annotated[str, typer.Option("--model", help=f"One of: {_MODELS}.")] = "diffusion",
    fix: Annotated[
        list[str] | None, typer.Option("--fix", help="Hold a parameter, e.g. k_BD=6e9/s.")
    ] = None,
    init: Annotated[
        list[str] | None, typer.Option("--init", help="Start value, e.g. D=0.01cm2/s.")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="Frames fitted, e.g. 0ns:5ns.")
    ] = None,
    ci: Annotated[
        str,
        typer.Option(
            "--ci",
            help="CI from: auto (repetitions if given; none for one simulated map; else the "
            "fit's white-noise covariance), repetitions, residual, none.",
        ),
    ] = "auto",
    out: OutDir = None,
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
) -> None:
    """Fit a reaction-diffusion model to every pixel and frame of FILES at once."""
    from nctransport.continuum.workflow import fit_model as run
    from nctransport.io.output import check_output_dir
    from nctransport.results import dumps

    out_dir = check_output_dir(out or default_out_dir(files[0], "fit-model"), inputs=files)
    result = run(
        files if len(files) > 1 else files[0],
        model=model,
        fix=parse_key_values(fix, "--fix"),
        init=parse_key_values(init, "--init"),
        window=window,
        ci=ci,
        t_unit=t_unit,
        x_unit=x_unit,
        t0=t0,
        times=times,
        pixel=pixel,
        meta=parse_key_values(meta),
    )
    result.write(out_dir)
    if json:
        typer.echo(dumps(result.to_dict()), nl=False)
        return
    typer.echo(result.summary())  # not through rich: no wrapping at the terminal width
    typer.echo(f"wrote {out_dir}")


def register(app: typer.Typer) -> None:
    app.command("fit-model")(fit_model)
