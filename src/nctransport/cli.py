"""Command-line interface (Typer + rich), registered lazily.

Each command lives in ``nctransport/commands/<topic>.py`` and exposes ``register(app)``.
:data:`COMMANDS` names every command, its module and its one-line help, so ``nctransport
--help`` lists them all without importing a single command module; a module is imported
only when one of its commands runs (or its own ``--help`` is asked for).
``nctransport --version`` does not even import Typer.

Errors raised on purpose (:mod:`nctransport.errors`) and usage errors become one line
``error: ...`` on stderr and exit status 2; warnings (NumPy's included) become one
``warning: ...`` line each, deduplicated; ``--debug`` (anywhere on the command line) shows
the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

#: Command name -> (module, one-line help), in the order ``--help`` lists them. Kept in step
#: with what each module's ``register(app)`` registers by tests/test_cli.py.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": (
        "nctransport.commands.data",
        "Show dims, shape, axis units and ranges, and metadata of FILE.",
    ),
    "convert": (
        "nctransport.commands.data",
        "Convert SRC to DST (NetCDF via h5netcdf), written atomically.",
    ),
    "analyze": (
        "nctransport.commands.analyze",
        "Per-frame profile fits -> MSD -> D with 95% CI, regimes, lifetime, D_avg, lengths.",
    ),
    "series": (
        "nctransport.commands.analyze",
        "Analyse each file and fit the trend of D, sigma and L with power/fluence/T/rep-rate.",
    ),
    "kinetics": (
        "nctransport.commands.kinetics",
        "Fit decays: exponentials with a fitted or measured IRF, power laws, global fits.",
    ),
    "excitation": (
        "nctransport.commands.photophysics",
        "Pulse energy, peak/mean fluence, <N> = j sigma, occupation, time between excitations.",
    ),
    "forster": (
        "nctransport.commands.photophysics",
        "Forster radius <-> hopping D on a 2D square lattice (Shcherbakov-Wu 2024) or spectra.",
    ),
    "cross-section": (
        "nctransport.commands.photophysics",
        "Absorption cross-section from signal vs fluence: S = A (1 - exp(-j sigma)) (Li 2023).",
    ),
    "einstein": (
        "nctransport.commands.photophysics",
        "Einstein relation mu = e D / (k_B T) (Liu 2021), either direction.",
    ),
    "bright-dark": (
        "nctransport.commands.photophysics",
        "Boltzmann bright/dark occupation (3-fold bright, Bornschlegl 2024), photon split.",
    ),
    "disorder": (
        "nctransport.commands.photophysics",
        "Disorder width <-> bleach red-shift, Delta E = -sigma^2/(2 k_B T) (Liu 2021).",
    ),
    "saha": (
        "nctransport.commands.photophysics",
        "Free-carrier vs exciton fraction from the Saha-Langmuir equation.",
    ),
    "simulate": (
        "nctransport.commands.simulate",
        "Kinetic Monte Carlo on a nanocrystal lattice; writes a microscope-like map and MSDs.",
    ),
    "device": (
        "nctransport.commands.device",
        "Single-carrier devices: SCLC, transient EL, drift-diffusion simulation, EGDM fits.",
    ),
    "spectra": (
        "nctransport.commands.spectra",
        "Per-frame peak energy, its red shift vs time, and sigma_inh = sqrt(-2 kT ΔE) (Liu 2021).",
    ),
    "temperature": (
        "nctransport.commands.spectra",
        "Fit D(T), τ(T) or L(T): Arrhenius, bright/dark fine structure (ΔE_BD), or both.",
    ),
    "sweep": (
        "nctransport.commands.sweep",
        "Simulate and analyse every point of a parameter grid; rerun the same command to resume.",
    ),
    "sweep-report": (
        "nctransport.commands.sweep",
        "Trends across a sweep: D vs the swept parameter with a single-exponential fit.",
    ),
    "fit-model": (
        "nctransport.commands.continuum",
        "Fit a reaction-diffusion model to every pixel and frame of FILE at once.",
    ),
    "demo": (
        "nctransport.commands.demo",
        "Run the whole loop on bundled example data and write OUT/index.html linking every report.",
    ),
    "reproduce": (
        "nctransport.commands.reproduce",
        "Rerun the analyses behind the source papers' figures and compare with their values.",
    ),
}

#: Modules a command imports as it starts, beyond its command module: main() imports them
#: first, with the garbage collector paused (see :func:`_import_work_modules`).
WORK_MODULES: dict[str, tuple[str, ...]] = {
    "analyze": (
        "nctransport.microscopy.workflow",
        "nctransport.microscopy.analysis",
        "nctransport.io.netcdf",
        "h5netcdf",
        "scipy.optimize",  # the regime fit's least_squares
    ),
    "series": ("nctransport.microscopy.workflow", "nctransport.microscopy.analysis"),
    "kinetics": ("nctransport.kinetics.workflow",),
    "simulate": ("nctransport.kmc.workflow",),
    "device": ("nctransport.device.workflow",),
    "sweep": ("nctransport.sweeps.workflow",),
    "spectra": ("nctransport.spectral.workflow",),
    "temperature": ("nctransport.spectral.workflow",),
    "fit-model": ("nctransport.continuum.workflow",),
    "info": ("xarray", "nctransport.io"),
    "convert": ("xarray", "nctransport.io"),
}

#: Command modules in ``--help`` order (each imported only when one of its commands runs).
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(m for m, _ in COMMANDS.values()))

HELP = "Exciton and charge transport in nanocrystal films: measure, simulate, model devices."
MAX_MEMORY_HELP = (
    "Memory cap for any one request, e.g. 16GiB (default 4 GiB, or $NCTRANSPORT_MAX_MEMORY); "
    "requests estimated above it are refused before allocating."
)

_APP: Any = None


def load_module_commands(module: str) -> dict[str, Any]:
    """Import ``module``, let its ``register(app)`` fill a Typer app, return its click commands.

    >>> sorted(load_module_commands("nctransport.commands.data"))
    ['convert', 'info']
    """
    import importlib

    import typer

    sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich")
    importlib.import_module(module).register(sub)
    return dict(typer.main.get_group(sub).commands)


def _build_app() -> Any:
    """The root Typer app with a lazily populated command group."""
    from collections.abc import MutableMapping

    import typer
    from typer.core import TyperCommand, TyperGroup

    class LazyCommands(MutableMapping):
        """Name -> click command; a command's module is imported on first lookup only."""

        def __init__(self, extra: dict[str, Any]) -> None:
            self._loaded: dict[str, Any] = dict(extra)

        def __getitem__(self, name: str) -> Any:
            if name not in self._loaded and name in COMMANDS:
                module = COMMANDS[name][0]
                try:
                    commands = load_module_commands(module)
                except ModuleNotFoundError as exc:
                    if exc.name != module:
                        raise
                    from nctransport.errors import ConfigError

                    raise ConfigError(
                        f"command {name!r} is not available in this installation "
                        f"({module} is missing)"
                    ) from None
                for cmd_name, cmd in commands.items():
                    self._loaded.setdefault(cmd_name, cmd)
            _imports_done()
            return self._loaded[name]

        def __setitem__(self, name: str, cmd: Any) -> None:
            self._loaded[name] = cmd

        def __delitem__(self, name: str) -> None:
            del self._loaded[name]

        def __iter__(self):
            yield from COMMANDS
            yield from (n for n in self._loaded if n not in COMMANDS)

        def __len__(self) -> int:
            return len(set(COMMANDS) | set(self._loaded))

        def __contains__(self, name: object) -> bool:
            return name in COMMANDS or name in self._loaded

        def is_loaded(self, name: str) -> bool:
            return name in self._loaded

    class LazyGroup(TyperGroup):
        """A Typer group whose ``--help`` lists :data:`COMMANDS` without importing them."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.commands = LazyCommands(dict(self.commands))
            self._listing = False

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            if self._listing and cmd_name in COMMANDS and not self.commands.is_loaded(cmd_name):
                line = COMMANDS[cmd_name][1]
                return TyperCommand(cmd_name, help=line, short_help=line, callback=None)
            try:
                return self.commands[cmd_name]
            except KeyError:
                return None

        def list_commands(self, ctx: Any) -> list[str]:
            return list(self.commands)  # names only: nothing imported

        def format_help(self, ctx: Any, formatter: Any) -> None:
            self._listing = True
            try:
                super().format_help(ctx, formatter)
            finally:
                self._listing = False

    app = typer.Typer(
        name="nctransport",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        cls=LazyGroup,
    )

    def _version_callback(value: bool) -> None:
        if value:
            typer.echo(_version_line())
            raise typer.Exit()

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
        max_memory: str | None = typer.Option(
            None, "--max-memory", metavar="SIZE", help=MAX_MEMORY_HELP
        ),
    ) -> None:
        """nctransport command line."""
        if max_memory is not None:
            from nctransport.limits import set_max_memory

            set_max_memory(max_memory)

    return app


_GC_PAUSED = False


def _import_work_modules(args: list[str]) -> None:
    """Import the command module and :data:`WORK_MODULES` of the command in ``args`` now,
    near the bottom of the call stack (main() calls this before Typer): imported from inside
    a Click command, CPython 3.11 allocated and freed its 16 KB frame-stack chunk thousands
    of times (frames oscillating around a chunk boundary in NumPy's and xarray's typing
    code), ~0.1 s of system time per analyze. Imported by ``__import__`` (the import
    statement's route), so that ``python -X importtime`` lists them like any import."""
    command = next((a for a in args if a in COMMANDS), None)  # after root options' values
    if command is None:
        return
    try:
        for module in (COMMANDS[command][0], *WORK_MODULES.get(command, ())):
            __import__(module)
    except Exception:  # the command meets it again and reports it
        pass


def _imports_done() -> None:
    """End the import phase main() began (called when the command is looked up): freeze what
    was imported out of later collections and let the collector run again."""
    global _GC_PAUSED
    if _GC_PAUSED:
        import gc

        _GC_PAUSED = False
        gc.freeze()
        gc.enable()


def get_app() -> Any:
    """The root Typer app (built once, on first use)."""
    global _APP
    if _APP is None:
        _APP = _build_app()
    return _APP


def __getattr__(name: str) -> Any:  # PEP 562: ``from nctransport.cli import app`` stays lazy
    if name == "app":
        return get_app()
    raise AttributeError(f"module 'nctransport.cli' has no attribute {name!r}")


def _version_line() -> str:
    from nctransport import __version__

    return f"nctransport {__version__}"


def _one_line(text: str) -> str:
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _error(text: str) -> None:
    sys.stderr.write(f"error: {_one_line(text)}\n")
    sys.stderr.flush()


def _is_stdout_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a failed write of results to standard output (``--json >
    /dev/full``, a full disk, ``ulimit -f``): raised where click and rich write, with no
    file named. A closed pipe (``| head``) is not one."""
    import errno
    import traceback

    if not isinstance(exc, OSError) or exc.filename is not None or exc.errno == errno.EPIPE:
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].name in {"echo", "_check_buffer", "_write_buffer"}


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null: text still buffered would fail again at interpreter exit and
    print Python's "Exception ignored" lines."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _stdout_error(exc: OSError) -> int:
    _silence_stdout()
    _error(f"standard output: cannot write: {exc.strerror or exc}")
    return 2


def _click_exception_classes() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(ClickException, Abort, NoArgsIsHelpError) classes of click and of Typer's vendored copy."""
    import typer

    errors: list[type] = []
    aborts: list[type] = []
    no_args: list[type] = []
    modules = []
    try:
        from typer._click import exceptions as vendored  # newer Typer ships its own click

        modules.append(vendored)
    except ImportError:
        pass
    if "click" in sys.modules or not modules:  # older Typer uses click itself
        import click.exceptions

        modules.append(click.exceptions)
    for mod in modules:
        errors.append(mod.ClickException)
        for name, found in (("Abort", aborts), ("NoArgsIsHelpError", no_args)):
            if hasattr(mod, name):
                found.append(getattr(mod, name))
    abort = getattr(typer.exceptions, "Abort", None)
    if abort is not None:
        aborts.append(abort)
    return tuple(errors), tuple(aborts), tuple(no_args)


def _usage_line(exc: Any) -> str:
    """``no such option: --bogus (try 'nctransport info --help')``."""
    message = _one_line(exc.format_message()).rstrip(".")
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "nctransport"
    return f"{message} (try '{path} --help')"


class _WarningLines:
    """Show each warning as one ``warning: ...`` line on stderr, each text once."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = _one_line(str(message))
        if category is not UserWarning:
            text = f"{text} ({category.__name__})"
        if text in self.seen:
            return
        self.seen.add(text)
        sys.stderr.write(f"warning: {text}\n")


def _ignore_sigxfsz() -> Any:
    """Ignore SIGXFSZ so a file-size limit (``ulimit -f``) gives EFBIG, not a dead process."""
    import signal

    if not hasattr(signal, "SIGXFSZ"):
        return None
    try:
        return signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except ValueError:  # not the main thread
        return None


#: Commands whose dense linear algebra is small (normal equations of a few parameters, SVDs
#: of 2000 x 7 Jacobians): OpenBLAS worker threads only spin there, ~0.5 s of CPU per run.
SMALL_BLAS_COMMANDS = {"analyze", "series"}


def _limit_blas_threads(args: list[str]) -> None:
    """One OpenBLAS thread and no huge-page advice for :data:`SMALL_BLAS_COMMANDS` (values
    the user sets in the environment win); only possible before NumPy is loaded."""
    import os

    command = next((a for a in args if not a.startswith("-")), None)
    if command in SMALL_BLAS_COMMANDS and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        # NumPy asks for transparent huge pages on every large array; where the kernel then
        # compacts memory on the first touch (THP defrag "madvise", Debian's default) a
        # 200 MB stack costs ~0.1 s more system time to read and fit, for no speed-up of
        # these streaming passes.
        os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


#: glibc's mallopt parameters (malloc.h) and the values a command process runs with.
_MALLOC_OPTIONS = {
    "MALLOC_TRIM_THRESHOLD_": (-1, 1 << 30),  # M_TRIM_THRESHOLD: keep freed heap memory
    "MALLOC_TOP_PAD_": (-2, 16 << 20),  # M_TOP_PAD: grow the heap 16 MiB at a time
    "MALLOC_MMAP_THRESHOLD_": (-3, 32 << 20),  # M_MMAP_THRESHOLD: own mappings from 32 MiB
}


def _keep_freed_memory() -> None:
    """Let this process reuse the memory it frees instead of giving it back to the system.

    By default glibc returns the top of the heap as soon as 128 KiB are free there, and maps
    each array of 128 KiB or more afresh (until the first free raises that limit): a fit's
    temporaries came back as new pages each time, ~25k page faults (~0.1 s of system time)
    of an analyze's ~68k. Arrays of 32 MiB and more (a stack's frames) are still mapped and
    given back. Only for a command process (not a session calling :func:`main`), only with
    glibc, and a user's own ``MALLOC_*`` settings win.
    """
    import os

    if any(name in os.environ for name in _MALLOC_OPTIONS):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError, TypeError):  # not glibc (macOS, Windows)
        return
    for param, value in _MALLOC_OPTIONS.values():
        mallopt(param, value)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: this process's); returns the exit status.

    The console script is :func:`console_main`; a session or a script calls this.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args = [a for a in args if a != "--debug"]
    if args == ["--version"]:  # answered without importing Typer
        sys.stdout.write(_version_line() + "\n")
        return 0
    _limit_blas_threads(args)
    if argv is None:  # the process is this command
        _keep_freed_memory()

    import errno
    import gc
    import warnings

    # A command first imports a few hundred thousand objects that live to the end (Typer,
    # the command, its work modules: xarray, SciPy ...): the collector only wastes time on
    # them, so it is paused until the command is looked up (_imports_done), which freezes
    # them out of later collections; only the outermost main() does (a nested one would
    # freeze its caller's garbage until the end). Numeric work makes little cyclic garbage:
    # a gen-0 threshold of 20000 instead of 700 spares it hundreds of passes over late imports.
    global _GC_PAUSED
    from nctransport.io import output

    outermost = not output._PROTECT_LOADED  # main() may run nested (a script's commands)
    gc_was_enabled = gc.isenabled()
    previous_gc = gc.get_threshold()
    gc.set_threshold(max(previous_gc[0], 20_000), *previous_gc[1:])
    if gc_was_enabled and outermost:
        gc.disable()
        _GC_PAUSED = True

    from nctransport import limits
    from nctransport.errors import NctransportError

    _import_work_modules(args)

    output.protect_loaded_inputs(True)  # no file this run reads may be overwritten
    previous_sigxfsz = _ignore_sigxfsz()
    previous_cap = limits._max_memory
    previous_showwarning = warnings.showwarning
    warnings.showwarning = _WarningLines()
    try:
        rc = _run(args, debug, NctransportError)
        try:  # what is still buffered fails now, not at interpreter exit
            sys.stdout.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                rc = _stdout_error(exc)
        return rc
    finally:
        gc.set_threshold(*previous_gc)
        _GC_PAUSED = False
        if outermost:
            gc.unfreeze()  # a library session (Jupyter, tests) collects them again
        if gc_was_enabled:
            gc.enable()
        warnings.showwarning = previous_showwarning
        limits._max_memory = previous_cap
        if outermost:
            output.protect_loaded_inputs(False)
            output.clear_protected_inputs()
        if previous_sigxfsz is not None:
            import signal

            signal.signal(signal.SIGXFSZ, previous_sigxfsz)


#: Commands whose finished parts are worth keeping after a failure (they resume).
RESUMABLE = {"sweep", "demo"}


def _rollback(args: list[str]) -> Any:
    """A failed command leaves no partial output: the files it created are removed."""
    import contextlib

    from nctransport.io.atomic import rollback_on_error

    command = next((a for a in args if a in COMMANDS), None)
    return contextlib.nullcontext() if command in RESUMABLE else rollback_on_error()


def _empty_argument(args: list[str]) -> str | None:
    """The message for an empty argument (``--out ''``), which Typer would read as ``.``."""
    for i, arg in enumerate(args):
        if arg.startswith("--") and arg.endswith("=") and len(arg) > 3:
            return f"{arg[:-1]}: empty value"
        if arg.strip() == "":
            before = args[i - 1] if i else ""
            if before.startswith("-") and "=" not in before:
                return f"{before}: empty value"
            return "empty argument (an empty file name?)"
    return None


def _run(args: list[str], debug: bool, nct_error: type) -> int:
    import typer

    empty = _empty_argument(args)
    if empty is not None:
        _error(empty)
        return 2

    click_errors, aborts, no_args = _click_exception_classes()
    try:
        # Without standalone mode click returns (not raises) the exit code of typer.Exit
        # and of an aborted (Ctrl-C) command.
        with _rollback(args):
            rc = get_app()(args=args, prog_name="nctransport", standalone_mode=False)
            if rc == 130:  # Typer turns Ctrl-C into a returned 130: roll back all the same
                raise KeyboardInterrupt
        if isinstance(rc, int):
            return rc
    except nct_error as exc:
        if debug:
            raise
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted (Ctrl-C)")
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except aborts:
        sys.stderr.write("aborted\n")
        return 130
    except no_args as exc:  # bare ``nctransport`` or a bare group: show its help
        exc.show()
        return 0
    except click_errors as exc:  # usage errors: bad or missing options, on one line
        if debug:
            raise
        _error(_usage_line(exc) if hasattr(exc, "ctx") else exc.format_message())
        return exc.exit_code
    except MemoryError:
        if debug:
            raise
        _error(
            "out of memory; ask for less, or check the sizes in the request "
            "(the cap is set with --max-memory)"
        )
        return 2
    except Exception as exc:
        if debug:
            raise
        if _is_stdout_error(exc):  # printing the results failed, not the command
            return _stdout_error(exc)
        _error(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
        return 1
    return 0


def console_main() -> NoReturn:
    """The ``nctransport`` console script and ``python -m nctransport``: :func:`main`, then
    the end of the process (:func:`_end_process`)."""
    _end_process(main())


def _end_process(rc: int) -> NoReturn:
    """End this command's process with status ``rc``, without the interpreter's teardown.

    The teardown collects and frees every object of every imported module one by one
    (NumPy, SciPy, xarray, Numba ...): 0.4-0.9 s of CPU after an analyze (a tenth to a
    quarter of the command, issue 17), for nothing a finished command needs. By now its
    outputs are written (each atomically) and closed; the exit handlers still run
    (:mod:`atexit`: logging, temporary directories, coverage) and both streams are flushed.
    Where other threads or child processes are alive (a worker pool), the normal exit joins
    them.
    """
    import threading

    mp = sys.modules.get("multiprocessing")
    if threading.active_count() > 1 or (mp is not None and mp.active_children()):
        sys.exit(rc)
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what the reader wanted it has
            pass
    os._exit(rc)


if __name__ == "__main__":  # pragma: no cover
    console_main()
