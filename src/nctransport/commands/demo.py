"""``demo``: the whole loop on small bundled example data, with an index of every report.

Measure -> simulate -> model, exactly as a user would type it: every step is a real
``nctransport`` command run in-process through :func:`nctransport.cli.main`, so the demo
exercises the same code paths, options and error handling as the command line. A step that
fails is listed in ``index.html`` with its error line and makes the demo exit non-zero at
the end; steps that need its output are skipped. Ctrl-C stops after the running step has
been interrupted and still writes the index of what finished.
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from nctransport.errors import ConfigError
from nctransport.io.atomic import write_text
from nctransport.report.index import IndexEntry, write_index
from nctransport.report.summary import summarize

#: Where the bundled example data live in a source checkout (``examples/data``).
BUNDLED_DATA = Path(__file__).resolve().parents[3] / "examples" / "data"
EXAMPLE_FILES = ("tplm_map.csv", "jv_220K.csv", "jv_260K.csv", "jv_297K.csv", "ta_spectra.csv")

#: Demo-size overrides for the KMC presets: small lattices and few repetitions so that a
#: simulation takes seconds, while keeping each seed's physics (rates, lattice spacing).
MEMORY_DEMO_SET = ("pulses=30", "size=200")  # published: 1000 pulses on 1000 x 1000 sites
BRIGHT_DARK_DEMO_SET = ("lattice.size=80",)  # published: 150 x 150 sites

# Device parameters of the example J-V files (see examples/make_data.py).
DEVICE_ARGS = ("--thickness", "110nm", "--eps-r", "3.5")


@dataclass(frozen=True)
class Step:
    """One command of the demo.

    Attributes
    ----------
    name
        Output sub-folder (also the step's id for ``needs``).
    title
        What it shows, for the index.
    argv
        Arguments of ``nctransport`` (without the program name).
    needs
        Names of steps whose output this one reads.
    truth
        What the example data were made with (examples/make_data.py), shown in the index.
    """

    name: str
    title: str
    argv: tuple[str, ...]
    needs: tuple[str, ...] = ()
    truth: str = ""


@dataclass
class StepResult:
    step: Step
    status: str = "ok"
    error: str | None = None
    seconds: float = 0.0
    summary: str = ""
    report: Path | None = None
    log: list[str] = field(default_factory=list)


def demo_steps(data: Path, out: Path) -> list[Step]:
    """The demo's commands, reading ``data`` and writing under ``out``."""

    def d(name: str) -> str:
        return str(data / name)

    def o(name: str) -> str:
        return str(out / name)

    jv = [d(f) for f in EXAMPLE_FILES if f.startswith("jv_")]
    sets_memory = [a for kv in MEMORY_DEMO_SET for a in ("--set", kv)]
    sets_bd = [a for kv in BRIGHT_DARK_DEMO_SET for a in ("--set", kv)]
    return [
        Step(
            "01-analyze-map",
            "analyze: TPLM map -> D with 95% CI, regimes, diffusion length",
            ("analyze", d("tplm_map.csv"), "--out", o("01-analyze-map")),
            truth="D = 0.05 cm²/s per axis, σ0 = 110 nm, τ = 2.5 ns",
        ),
        Step(
            "02-kinetics-map",
            "kinetics: space-integrated decay of the same map",
            ("kinetics", d("tplm_map.csv"), "--model", "auto", "--out", o("02-kinetics-map")),
            truth="τ = 2.5 ns, Gaussian IRF FWHM 0.118 ns",
        ),
        Step(
            "03-simulate-memory",
            "simulate: Shcherbakov-Wu 2024 memory model (demo size)",
            (
                "simulate",
                "--preset",
                "memory",
                *sets_memory,
                "--seed",
                "1",
                "--out",
                o("03-simulate-memory"),
            ),
        ),
        Step(
            "04-simulate-bright-dark",
            "simulate: Bornschlegl 2024 bright/dark/trap model (demo size)",
            (
                "simulate",
                "--preset",
                "bright-dark",
                *sets_bd,
                "--seed",
                "1",
                "--out",
                o("04-simulate-bright-dark"),
            ),
        ),
        Step(
            "05-analyze-memory",
            "analyze the memory simulation like a measurement",
            (
                "analyze",
                o("03-simulate-memory/simulation.nc"),
                "--out",
                o("05-analyze-memory"),
            ),
            needs=("03-simulate-memory",),
        ),
        Step(
            "06-analyze-bright-dark",
            "analyze the bright/dark simulation (negative diffusion)",
            (
                "analyze",
                o("04-simulate-bright-dark/simulation.nc"),
                "--out",
                o("06-analyze-bright-dark"),
            ),
            needs=("04-simulate-bright-dark",),
        ),
        Step(
            "07-device-sclc",
            "device sclc: Mott-Gurney mobility at 3 temperatures + Arrhenius",
            ("device", "sclc", *jv, *DEVICE_ARGS, "--out", o("07-device-sclc")),
            truth="EGDM device: μ(297 K, p→0, E→0) = 4.4×10⁻¹¹ m²/(V·s); SCLC μ is effective",
        ),
        Step(
            "08-device-fit",
            "device fit: EGDM drift-diffusion fit of all three J-V curves",
            (
                "device",
                "fit",
                *jv,
                "--model",
                "egdm",
                *DEVICE_ARGS,
                "--a",
                "2.8nm",
                "--noise",
                "0.02",  # the files' known 2 % multiplicative noise: chi2 becomes meaningful
                "--out",
                o("08-device-fit"),
            ),
            truth="σ = 0.12 eV, μ0 = 4.50×10⁻⁷ m²/(V·s), a = 2.8 nm",
        ),
        Step(
            "09-spectra",
            "spectra: bleach red shift -> disorder width (Liu 2021)",
            ("spectra", d("ta_spectra.csv"), "--out", o("09-spectra")),
            truth="σ_inh = 50 meV at 300 K (ΔE = -48.35 meV, 2 ps)",
        ),
    ]


# ----------------------------------------------------------------------------- running


def _error_line(stderr: str, rc: int) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith(("error", "usage error", "interrupted", "aborted")):
            return ln
    return lines[-1] if lines else f"exit status {rc}"


@contextlib.contextmanager
def _sigint_seen():
    """Note whether SIGINT arrives (then raise KeyboardInterrupt as Python does by default)."""
    state = {"seen": False}

    def handler(signum, frame):
        state["seen"] = True
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: cannot watch, run as is
        yield state
        return
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def run_step(step: Step, out: Path, cli_main: Callable[[list[str]], int]) -> StepResult:
    """Run one step in-process; capture its output into ``out/<step>/log.txt``.

    Parameters
    ----------
    step
        The command to run.
    out
        The demo's output folder (the step writes to ``out/<step.name>``).
    cli_main
        :func:`nctransport.cli.main` (passed in so the demo uses exactly the user's CLI).

    Returns
    -------
    StepResult
        Status (``ok``/``failed``/``interrupted``), error line, wall time, headline summary
        and the report (or, when there is none, the log) to link from the index.
    """
    res = StepResult(step)
    stdout, stderr = io.StringIO(), io.StringIO()
    argv0 = sys.argv
    sys.argv = ["nctransport", *step.argv]  # so its report's "Reproduce" shows this step
    start = time.perf_counter()
    with _sigint_seen() as sigint:
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                rc = cli_main(list(step.argv))
        except KeyboardInterrupt:
            rc = 130
        except Exception as exc:  # a crash in one step must not hide the others
            rc = 1
            stderr.write(f"error: unexpected {type(exc).__name__}: {exc}\n")
        finally:
            sys.argv = argv0
            res.seconds = time.perf_counter() - start
    if sigint["seen"]:
        # Ctrl-C during the step, whatever exit status the CLI layers made of it.
        rc = 130
    step_dir = out / step.name
    step_dir.mkdir(parents=True, exist_ok=True)
    log = f"$ {shlex.join(['nctransport', *step.argv])}\n{stdout.getvalue()}{stderr.getvalue()}"
    write_text(step_dir / "log.txt", log)
    if rc != 0:
        res.status = "interrupted" if rc == 130 else "failed"
        res.error = "interrupted (Ctrl-C)" if rc == 130 else _error_line(stderr.getvalue(), rc)
    report = step_dir / "report.html"
    res.report = report if report.exists() else step_dir / "log.txt"
    results = step_dir / "results.json"
    if rc == 0 and results.exists():
        try:
            res.summary = summarize(json.loads(results.read_text(encoding="utf-8")))
        except (ValueError, OSError) as exc:
            res.summary = f"(results.json unreadable: {exc})"
    if rc == 0 and not report.exists():
        res.status = "failed"
        res.error = "the command succeeded but wrote no report.html"
    return res


def find_data(data: Path | None) -> Path:
    """The folder holding the example files (``--data`` or the bundled ``examples/data``)."""
    if data is not None:
        folder = data
    else:
        folder = BUNDLED_DATA
    missing = [f for f in EXAMPLE_FILES if not (folder / f).is_file()]
    if missing:
        raise ConfigError(
            f"example data missing ({', '.join(missing)}); run `python examples/make_data.py` "
            "in a source checkout or pass --data DIR",
            folder,
        )
    return folder


def run_demo(
    out: Path,
    *,
    data: Path | None = None,
    steps: Sequence[str] | None = None,
    console: Console | None = None,
) -> tuple[list[StepResult], Path]:
    """Run the demo into ``out``; return the step results and the index path.

    Parameters
    ----------
    out
        Output folder (created). The example inputs are copied to ``out/data``.
    data
        Folder with the example files; default: the bundled ``examples/data``.
    steps
        Names of the steps to run (default: all).
    console
        Where progress goes (default: stderr).
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nctransport.cli import main as cli_main

    console = console or Console(file=sys.stderr, highlight=False)
    src = find_data(data)
    out.mkdir(parents=True, exist_ok=True)
    local = out / "data"
    local.mkdir(exist_ok=True)
    for f in EXAMPLE_FILES:
        shutil.copyfile(src / f, local / f)
    plan = demo_steps(local, out)
    if steps:
        unknown = sorted(set(steps) - {s.name for s in plan})
        if unknown:
            raise ConfigError(f"unknown demo step(s): {', '.join(unknown)}")
        plan = [s for s in plan if s.name in steps]

    results: list[StepResult] = []
    by_name: dict[str, StepResult] = {}
    interrupted = False
    start = time.perf_counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    try:
        with progress:
            task = progress.add_task("demo", total=len(plan))
            for step in plan:
                if interrupted:
                    res = StepResult(step, status="skipped", error="demo interrupted")
                elif any(by_name.get(n) is None or by_name[n].status != "ok" for n in step.needs):
                    res = StepResult(step, status="skipped", error=f"needs {', '.join(step.needs)}")
                else:
                    progress.update(task, description=step.title)
                    res = run_step(step, out, cli_main)
                    interrupted = res.status == "interrupted"
                results.append(res)
                by_name[step.name] = res
                mark = {"ok": "[green]✓[/]", "skipped": "[yellow]–[/]"}.get(res.status, "[red]✗[/]")
                line = f"{mark} {step.name} ({res.seconds:.1f} s) {escape(res.summary)}"
                if res.error:
                    line += f"  [red]{escape(res.error)}[/]"
                progress.console.print(line, markup=True, highlight=False, soft_wrap=True)
                progress.advance(task)
    except KeyboardInterrupt:  # Ctrl-C between steps: keep what finished
        interrupted = True
    finally:
        done = {r.step.name for r in results}
        for step in plan:
            if step.name not in done:
                results.append(StepResult(step, status="interrupted", error="demo interrupted"))
        index = write_index(
            out,
            [
                IndexEntry(
                    title=f"{r.step.name}: {r.step.title}",
                    report=r.report,
                    summary=r.summary + (f" — truth: {r.step.truth}" if r.step.truth else ""),
                    status=r.status,
                    error=r.error,
                    seconds=r.seconds if r.status != "skipped" else None,
                    command=shlex.join(["nctransport", *r.step.argv]),
                )
                for r in results
            ],
            title="nctransport demo",
            description=(
                "Measure -> simulate -> model on the bundled example data "
                "(examples/make_data.py states the truth of each file). "
                "Every step is the nctransport command shown under its name."
            ),
            total_seconds=time.perf_counter() - start,
        )
    return results, index


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
    console = Console(file=sys.stderr, highlight=False)
    results, index = run_demo(out, data=data, steps=step, console=console)
    n_bad = sum(r.status != "ok" for r in results)
    console.print(f"index: {index}")
    if any(r.status == "interrupted" for r in results):
        raise SystemExit(130)  # typer.Exit(n) is turned into 0 by cli.main today
    if n_bad:
        console.print(f"[red]{n_bad} of {len(results)} demo steps did not succeed[/]")
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    app.command()(demo)
