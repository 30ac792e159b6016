"""Command-line interface (Typer + rich).

Each command lives in ``nctransport/commands/<topic>.py`` and exposes ``register(app)``.
Errors raised on purpose (:mod:`nctransport.errors`) become one line on stderr and exit
status 2; ``--debug`` (anywhere on the command line) shows the traceback instead.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from nctransport import __version__
from nctransport.errors import NctransportError

app = typer.Typer(
    name="nctransport",
    help="Exciton and charge transport in nanocrystal films: measure, simulate, model devices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "nctransport.commands.data",
    "nctransport.commands.analyze",
    "nctransport.commands.kinetics",
    "nctransport.commands.photophysics",
    "nctransport.commands.simulate",
    "nctransport.commands.device",
    "nctransport.commands.spectra",
    "nctransport.commands.sweep",
    "nctransport.commands.continuum",
    "nctransport.commands.reproduce",
    "nctransport.commands.demo",
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _click_exception_classes() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(ClickException, Abort) classes of click and of the copy newer Typer vendors."""
    import click

    errors, aborts = [click.ClickException], [click.exceptions.Abort]
    try:
        from typer._click import exceptions as vendored  # newer Typer ships its own click
    except ImportError:
        vendored = None
    if vendored is not None:
        errors.append(vendored.ClickException)
    abort = getattr(typer.exceptions, "Abort", None)
    if abort is not None:
        aborts.append(abort)
    return tuple(errors), tuple(aborts)


_CLICK_ERRORS, _ABORT = _click_exception_classes()


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"nctransport {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """nctransport command line."""


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nctransport`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args = [a for a in args if a != "--debug"]
    try:
        # Without standalone mode click returns (not raises) the exit code of typer.Exit
        # and of an aborted (Ctrl-C) command.
        rc = app(args=args, prog_name="nctransport", standalone_mode=False)
        if isinstance(rc, int):
            return rc
    except NctransportError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except _ABORT:
        err_console.print("[yellow]aborted[/]")
        return 130
    except _CLICK_ERRORS as exc:  # usage errors: bad or missing options
        exc.show()
        return exc.exit_code
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))} "
            "(rerun with --debug for the traceback)",
            markup=True,
            highlight=False,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
