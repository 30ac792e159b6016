"""``reproduce``: rerun the source papers' figures and compare their numbers with ours."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nctransport.commands.common import JsonFlag, console


def reproduce(
    name: Annotated[
        str,
        typer.Argument(help="memory | bright-dark | shrinking-hop | disorder | qled | all"),
    ],
    quick: Annotated[
        bool, typer.Option("--quick", help="Reduced runs (seconds each; wide CIs).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (one subdirectory per reproduction)."),
    ] = None,
    doc: Annotated[
        Path | None,
        typer.Option(
            "--doc", help="Also regenerate this markdown table (e.g. docs/reproductions.md)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Base seed.")] = 1,
    report_: Annotated[
        bool, typer.Option("--report/--no-report", help="Write figures and report.html.")
    ] = True,
    json: JsonFlag = False,
) -> None:
    """Reproduce a paper figure: Shcherbakov-Wu 2024 Fig. 4E (memory), Bornschlegl 2024
    (bright-dark), Li 2023 (shrinking-hop), disorder relaxation (disorder), the QLED J-V
    fits (qled), or all.

    Each writes results.json, a figure with the paper's values beside ours and report.html
    to OUT/NAME; --doc writes the comparison table (paper value, ours with CI, command, why
    they differ).
    """
    from nctransport.commands.common import parse_seed
    from nctransport.errors import ConfigError
    from nctransport.io.output import check_output_dir
    from nctransport.reproduce import REGISTRY, reproduce, write_doc
    from nctransport.results import dumps

    seed = parse_seed(seed)  # before any output is checked or anything runs
    names = list(REGISTRY) if name == "all" else [name]
    if name != "all" and name not in REGISTRY:
        raise ConfigError(
            f"unknown reproduction {name!r}; expected one of {', '.join(REGISTRY)} or all"
        )
    out_dir = out if out is not None else Path("reproductions")
    check_output_dir(out_dir)
    if doc is not None:
        _check_doc(doc)
    results = []
    for n in names:
        r = reproduce(n, quick=quick, seed=seed)
        r.write(out_dir / n, report=report_)
        results.append(r)
        if not json:
            console.print(f"[bold]{r.paper}[/] ({n})")
            console.print(r.summary())
    if doc is not None:
        write_doc(results, doc)
    if json:
        typer.echo(dumps([r.to_dict() for r in results]), nl=False)
    else:
        console.print(f"wrote {out_dir}" + (f" and {doc}" if doc is not None else ""))


def _check_doc(doc: Path) -> None:
    """``--doc`` before any computation: a file target (not a device, FIFO or folder) that,
    if it exists, is a table this command wrote; any other file (a data file, a README) is
    never replaced."""
    from nctransport.errors import ConfigError
    from nctransport.io.output import check_output_file
    from nctransport.reproduce import DOC_HEADER

    check_output_file(doc, option="--doc")
    if doc.exists():
        first = DOC_HEADER.splitlines()[0].encode()
        try:
            with open(doc, "rb") as fh:
                head = fh.read(len(first))
        except OSError as exc:
            raise ConfigError(f"cannot be read ({exc.strerror})", doc) from None
        if head != first:
            raise ConfigError(
                "exists and is not a reproductions table written by --doc; it is never "
                "replaced (give a new .md path)",
                doc,
            )


def register(app: typer.Typer) -> None:
    app.command("reproduce")(reproduce)
