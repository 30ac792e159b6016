"""The demo: measure -> simulate -> model on the bundled example data, as a library call.

:func:`run_demo` runs nine steps in-process with the public workflows (``nct.analyze``,
``nct.fit_decay``, ``nct.simulate``, ``nct.sclc``, ``nct.fit_jv``, ``nct.spectra``), writes
each step's result with ``result.write(out_dir / step)``, and writes ``out_dir/index.html``
linking every report, with the Python call and the equivalent ``nctransport`` command of each
step under "Reproduce". The ``nctransport demo`` command is a thin face on it.

* A step that fails is listed with its error line (its folder holds ``log.txt`` with the
  traceback); steps that need its output are skipped; the others still run.
* Ctrl-C stops the running step: it is listed as ``interrupted``, its partial output is
  removed, later steps are ``skipped``, and the index of what finished is still written.
* Where the example data state a truth (``# truth_...`` lines, made by
  ``examples/make_data.py``), the step checks that the fitted 95 % CI covers it.

>>> import nctransport.demo as demo
>>> [s.name for s in demo.demo_steps()][:2]
['01-analyze-map', '02-kinetics-map']
>>> print(demo.demo_steps()[0].python_call(Path("demo-output")))
nct.analyze('demo-output/data/tplm_map.csv').write('demo-output/01-analyze-map')
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import shutil
import signal
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError
from nctransport.results import ResultProtocol, SummaryRow, to_jsonable

__all__ = [
    "BUNDLED_DATA",
    "EXAMPLE_FILES",
    "DemoResult",
    "DemoStep",
    "StepOutcome",
    "Truth",
    "TruthCheck",
    "demo_steps",
    "find_data",
    "run_demo",
]

#: Where the bundled example data live in a source checkout (``examples/data``).
BUNDLED_DATA = Path(__file__).resolve().parents[2] / "examples" / "data"
EXAMPLE_FILES = ("tplm_map.csv", "jv_220K.csv", "jv_260K.csv", "jv_297K.csv", "ta_spectra.csv")
JV_FILES = tuple(f for f in EXAMPLE_FILES if f.startswith("jv_"))

#: Step statuses, as the index shows them.
STATUSES = ("ok", "failed", "interrupted", "skipped")


# ----------------------------------------------------------------------------- the steps


@dataclasses.dataclass(frozen=True)
class Rel:
    """A path relative to the demo's output folder (``data/tplm_map.csv``)."""

    path: str

    def under(self, out: Path) -> str:
        return str(out / self.path)


@dataclasses.dataclass(frozen=True)
class Truth:
    """A number the example data were made with, and where the result holds its estimate.

    Attributes
    ----------
    quantity
        Its name as shown (``"D"``).
    value
        The truth, in ``unit``.
    unit
        Unit of ``value`` and of the result's keys.
    value_key, ci_key
        Dotted paths into the result's ``to_dict()`` (``"diffusivity.value_cm2_s"``).
    """

    quantity: str
    value: float
    unit: str
    value_key: str
    ci_key: str


@dataclasses.dataclass(frozen=True)
class TruthCheck:
    """A :class:`Truth` against the step's estimate: whether its 95 % CI covers the truth."""

    truth: Truth
    estimate: float | None
    ci95: tuple[float, float] | None

    @property
    def covered(self) -> bool | None:
        """True/False when the estimate has a CI, None when it has none."""
        if self.ci95 is None:
            return None
        return self.ci95[0] <= self.truth.value <= self.ci95[1]

    def __str__(self) -> str:
        t = self.truth
        if self.estimate is None:
            return f"{t.quantity}: no estimate (truth {t.value:g} {t.unit})"
        mark = {True: "✓ in", False: "✗ outside", None: "no"}[self.covered]
        return f"{t.quantity} truth {t.value:g} {t.unit} {mark} 95% CI"

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.truth.quantity,
            "truth": self.truth.value,
            "unit": self.truth.unit,
            "estimate": self.estimate,
            "ci95": None if self.ci95 is None else list(self.ci95),
            "covered": self.covered,
        }


@dataclasses.dataclass(frozen=True)
class DemoStep:
    """One step of the demo: a workflow call and the command line that does the same.

    Attributes
    ----------
    name
        Output sub-folder, also the step's id for ``needs`` and ``run_demo(steps=...)``.
    title
        What it shows, for the index.
    workflow
        Name of the public workflow in :mod:`nctransport` (``"analyze"``).
    args, kwargs
        Its arguments; :class:`Rel` items (or lists of them) are paths under the output folder.
    argv
        The same call as ``nctransport`` arguments (without ``--out``), :class:`Rel` likewise.
    needs
        Names of steps whose output this one reads.
    truth
        What the example data were made with (examples/make_data.py), shown in the index.
    truths
        The numbers of ``truth`` that the result estimates with a 95 % CI.
    """

    name: str
    title: str
    workflow: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    argv: tuple[Any, ...] = ()
    needs: tuple[str, ...] = ()
    truth: str = ""
    truths: tuple[Truth, ...] = ()

    def call_args(self, out: Path) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments of the workflow for output folder ``out``."""

        def resolve(v: Any) -> Any:
            if isinstance(v, Rel):
                return v.under(out)
            if isinstance(v, list | tuple):
                return [resolve(x) for x in v]
            return v

        return [resolve(a) for a in self.args], {k: resolve(v) for k, v in self.kwargs.items()}

    def python_call(self, out: Path) -> str:
        """The Python expression that makes the step folder: ``nct.<workflow>(...).write(...)``."""
        args, kwargs = self.call_args(out)
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        return f"nct.{self.workflow}({', '.join(parts)}).write({str(out / self.name)!r})"

    def command(self, out: Path) -> list[str]:
        """``nctransport`` arguments (without the program name) that make the same folder."""
        argv = [a.under(out) if isinstance(a, Rel) else str(a) for a in self.argv]
        return [*argv, "--out", str(out / self.name)]

    def command_line(self, out: Path) -> str:
        """The shell command line of :meth:`command`."""
        return shlex.join(["nctransport", *self.command(out)])


def _files(*names: str) -> list[Rel]:
    return [Rel(f"data/{n}") for n in names]


# Demo-size overrides of the KMC presets: small lattices and few repetitions, so that a
# simulation takes seconds while each preset keeps its physics (rates, lattice spacing).
MEMORY_DEMO_SET = {"pulses": 30, "size": 200}  # Shcherbakov-Wu 2024: 1000 pulses, 1000^2 sites
BRIGHT_DARK_DEMO_SET = {"lattice.size": 80}  # Bornschlegl 2024: 150 x 150 sites
#: Device of the example J-V files (examples/make_data.py, Li 2024's hole-only diode).
DEVICE = {"thickness": "110nm", "eps_r": 3.5}
DEVICE_ARGV = ("--thickness", "110nm", "--eps-r", "3.5")

# Truths of the example data (examples/make_data.py; tests/test_demo.py checks them against
# the files' own ``# truth_...`` lines).
MAP_D_CM2_S = 0.05
MAP_LIFETIME_NS = 2.5
JV_SIGMA_EV = 0.12
JV_MU0_M2_VS = 2.1e-8
TA_SIGMA_INH_MEV = 50.0


def _sets(overrides: Mapping[str, Any]) -> list[str]:
    return [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]


def demo_steps() -> list[DemoStep]:
    """The demo's steps, in order (paths relative to the output folder)."""
    map_csv = Rel("data/tplm_map.csv")
    jv = _files(*JV_FILES)
    return [
        DemoStep(
            "01-analyze-map",
            "analyze: TPLM map -> D with 95% CI, regimes, diffusion length",
            "analyze",
            (map_csv,),
            argv=("analyze", map_csv),
            truth="D = 0.05 cm²/s per axis, σ0 = 110 nm, τ = 2.5 ns",
            truths=(
                Truth(
                    "D",
                    MAP_D_CM2_S,
                    "cm²/s",
                    "diffusivity.value_cm2_s",
                    "diffusivity.ci95_cm2_s",
                ),
            ),
        ),
        DemoStep(
            "02-kinetics-map",
            "kinetics: space-integrated decay of the same map",
            "fit_decay",
            (map_csv,),
            {"model": "auto"},
            argv=("kinetics", map_csv, "--model", "auto"),
            truth="τ = 2.5 ns, Gaussian IRF FWHM 0.118 ns",
            truths=(
                Truth(
                    "τ",
                    MAP_LIFETIME_NS,
                    "ns",
                    "components.0.tau_ns",
                    "components.0.tau_ci95_ns",
                ),
            ),
        ),
        DemoStep(
            "03-simulate-memory",
            "simulate: Shcherbakov-Wu 2024 memory model (demo size)",
            "simulate",
            ("memory",),
            {"seed": 1, **MEMORY_DEMO_SET},
            argv=("simulate", "--preset", "memory", *_sets(MEMORY_DEMO_SET), "--seed", "1"),
        ),
        DemoStep(
            "04-simulate-bright-dark",
            "simulate: Bornschlegl 2024 bright/dark/trap model (demo size)",
            "simulate",
            ("bright-dark",),
            # ``a__b`` is the dotted key ``a.b`` (a keyword argument cannot hold a dot)
            {"seed": 1, **{k.replace(".", "__"): v for k, v in BRIGHT_DARK_DEMO_SET.items()}},
            argv=(
                "simulate",
                "--preset",
                "bright-dark",
                *_sets(BRIGHT_DARK_DEMO_SET),
                "--seed",
                "1",
            ),
        ),
        DemoStep(
            "05-analyze-memory",
            "analyze the memory simulation like a measurement",
            "analyze",
            (Rel("03-simulate-memory/simulation.nc"),),
            argv=("analyze", Rel("03-simulate-memory/simulation.nc")),
            needs=("03-simulate-memory",),
        ),
        DemoStep(
            "06-analyze-bright-dark",
            "analyze the bright/dark simulation (negative diffusion)",
            "analyze",
            (Rel("04-simulate-bright-dark/simulation.nc"),),
            argv=("analyze", Rel("04-simulate-bright-dark/simulation.nc")),
            needs=("04-simulate-bright-dark",),
        ),
        DemoStep(
            "07-device-sclc",
            "device sclc: Mott-Gurney mobility at 3 temperatures + Arrhenius",
            "sclc",
            (jv,),
            dict(DEVICE),
            argv=("device", "sclc", *jv, *DEVICE_ARGV),
            truth=(
                "EGDM device whose μ0 was chosen so that the Mott-Gurney μ(297 K) is "
                "Li 2024's 4.4×10⁻¹¹ m²/(V·s); SCLC mobilities are effective values"
            ),
        ),
        DemoStep(
            "08-device-fit",
            "device fit: EGDM drift-diffusion fit of all three J-V curves",
            "fit_jv",
            (jv,),
            # noise: the files' known 2 % multiplicative noise, so that chi2 means something
            {"model": "egdm", **DEVICE, "a": "2.8nm", "noise": 0.02},
            argv=(
                "device",
                "fit",
                *jv,
                "--model",
                "egdm",
                *DEVICE_ARGV,
                "--a",
                "2.8nm",
                "--noise",
                "0.02",
            ),
            truth="σ = 0.12 eV, μ0 = 2.1×10⁻⁸ m²/(V·s), a = 2.8 nm",
            truths=(
                Truth("σ", JV_SIGMA_EV, "eV", "sigma_eV", "sigma_ci95_eV"),
                Truth("μ0", JV_MU0_M2_VS, "m²/(V·s)", "mu0_m2_Vs", "mu0_ci95_m2_Vs"),
            ),
        ),
        DemoStep(
            "09-spectra",
            "spectra: bleach red shift -> disorder width (Liu 2021)",
            "spectra",
            (Rel("data/ta_spectra.csv"),),
            argv=("spectra", Rel("data/ta_spectra.csv")),
            truth="σ_inh = 50 meV at 300 K (ΔE = -48.35 meV, 2 ps)",
            truths=(
                Truth(
                    "σ_inh",
                    TA_SIGMA_INH_MEV,
                    "meV",
                    "sigma_inh_meV.value",
                    "sigma_inh_meV.ci95",
                ),
            ),
        ),
    ]


# ----------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class StepOutcome:
    """What one step did.

    Attributes
    ----------
    step
        The step.
    status
        ``"running"`` (only as passed to ``progress`` before the step starts), ``"ok"``,
        ``"failed"``, ``"interrupted"`` or ``"skipped"``.
    error
        Why it failed, was interrupted or skipped.
    seconds
        Wall time of the step (0 when it did not run).
    summary
        One line with its headline numbers.
    report
        Its ``report.html`` (or ``log.txt`` when it failed); None when it wrote nothing.
    python, command
        The Python call and the ``nctransport`` command that reproduce it.
    truths
        Its :class:`TruthCheck` results.
    result
        The workflow's result object (None unless the step succeeded).
    """

    step: DemoStep
    status: str
    error: str | None = None
    seconds: float = 0.0
    summary: str = ""
    report: Path | None = None
    python: str = ""
    command: str = ""
    truths: tuple[TruthCheck, ...] = ()
    result: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.step.name

    def line(self) -> str:
        """``✓ 01-analyze-map (4.6 s) D = ...`` -- what the command prints per step."""
        mark = {"ok": "✓", "skipped": "–"}.get(self.status, "✗")
        took = "" if self.status == "skipped" else f" ({self.seconds:.1f} s)"
        text = f"{mark} {self.name}{took} {self.summary}".rstrip()
        if self.error:
            text += f"  [{self.status}: {self.error}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.step.title,
            "status": self.status,
            "error": self.error,
            "seconds": self.seconds,
            "summary": self.summary,
            "report": None if self.report is None else str(self.report),
            "python": self.python,
            "command": self.command,
            "truth": self.step.truth,
            "truth_checks": [c.to_dict() for c in self.truths],
        }


@dataclasses.dataclass(frozen=True)
class DemoResult(ResultProtocol):
    """The demo's outcome: one :class:`StepOutcome` per step and the index that links them.

    ``steps[i].result`` is the workflow's own result object; ``exit_code`` is what the
    command exits with (0 all ok, 1 a step failed, 130 interrupted).
    """

    out_dir: Path
    index: Path
    data_dir: Path
    steps: tuple[StepOutcome, ...]
    seconds: float

    workflow = "demo"

    def __getitem__(self, name: str) -> StepOutcome:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def interrupted(self) -> bool:
        return any(s.status == "interrupted" for s in self.steps)

    @property
    def n_ok(self) -> int:
        return sum(s.status == "ok" for s in self.steps)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.n_ok == len(self.steps) else 1

    @property
    def truth_checks(self) -> tuple[TruthCheck, ...]:
        return tuple(c for s in self.steps for c in s.truths)

    @property
    def result_warnings(self) -> tuple[str, ...]:
        bad = [f"{s.name}: {s.status}" + (f" ({s.error})" if s.error else "") for s in self.steps]
        bad = [b for b, s in zip(bad, self.steps, strict=True) if s.status != "ok"]
        missed = [f"{s.name}: {c}" for s in self.steps for c in s.truths if c.covered is False]
        return tuple(bad + missed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "index": str(self.index),
            "data_dir": str(self.data_dir),
            "n_steps": len(self.steps),
            "n_ok": self.n_ok,
            "exit_code": self.exit_code,
            "seconds": self.seconds,
            "steps": [s.to_dict() for s in self.steps],
        }

    def summary_rows(self) -> list[SummaryRow]:
        return [(s.name, s.status, s.summary or (s.error or "")) for s in self.steps]

    def headline(self) -> str:
        return f"{self.n_ok} of {len(self.steps)} demo steps ok ({self.seconds:.1f} s)"

    def summary(self) -> str:
        """One line per step (as the command prints them) and the index."""
        lines = [s.line() for s in self.steps]
        lines += [f"{s.name}: {c}" for s in self.steps for c in s.truths]
        return "\n".join([*lines, f"index: {self.index}"])

    def _plot_default(self, ax: Any) -> Any:
        colors = {"ok": "tab:green", "skipped": "tab:gray"}
        names = [s.name for s in self.steps]
        ax.barh(
            names,
            [s.seconds for s in self.steps],
            color=[colors.get(s.status, "tab:red") for s in self.steps],
        )
        ax.invert_yaxis()
        ax.set_xlabel("wall time (s)")
        ax.set_title(self.headline())
        return ax

    def write(self, out_dir: str | Path, **kwargs: Any) -> list[Path]:
        """Write ``results.json`` (this dict) and ``index.html`` (linking the steps' reports)."""
        from nctransport.io.atomic import write_text
        from nctransport.io.output import prepare_output_dir
        from nctransport.results import dumps

        out = prepare_output_dir(out_dir, inputs=[])
        return [write_text(out / "results.json", dumps(self.to_dict())), _write_index(out, self)]


# ----------------------------------------------------------------------------- running


def find_data(data_dir: str | Path | None = None) -> Path:
    """The folder holding the example files (``data_dir`` or the bundled ``examples/data``).

    Raises
    ------
    ConfigError
        When a file is missing (names it and how to make them).
    """
    folder = Path(data_dir) if data_dir is not None else BUNDLED_DATA
    missing = [f for f in EXAMPLE_FILES if not (folder / f).is_file()]
    if missing:
        raise ConfigError(
            f"example data missing ({', '.join(missing)}); run `python examples/make_data.py` "
            "in a source checkout or pass --data DIR",
            folder,
        )
    return folder


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, Mapping) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list | tuple) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def check_truths(step: DemoStep, data: Mapping[str, Any]) -> tuple[TruthCheck, ...]:
    """Each of ``step.truths`` against the step's ``to_dict()`` (JSON-ready)."""
    checks = []
    for t in step.truths:
        value, ci = _get(data, t.value_key), _get(data, t.ci_key)
        ci = (float(ci[0]), float(ci[1])) if isinstance(ci, list) and None not in ci else None
        checks.append(TruthCheck(t, None if value is None else float(value), ci))
    return tuple(checks)


class _Sigint:
    """Notes whether SIGINT arrived (and raises KeyboardInterrupt, as Python's default does).

    A workflow that turns KeyboardInterrupt into another error (or swallows it in a worker
    pool) still stops the demo: the flag says a Ctrl-C happened during the step.
    """

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt


@contextlib.contextmanager
def _watch_sigint() -> Iterator[_Sigint]:
    watch = _Sigint()
    try:
        previous = signal.signal(signal.SIGINT, watch)
    except ValueError:  # not the main thread: cannot watch, run as is
        yield watch
        return
    try:
        yield watch
    finally:
        signal.signal(signal.SIGINT, previous)


def _error_line(exc: BaseException) -> str:
    from nctransport.errors import NctransportError

    text = "; ".join(p.strip() for p in str(exc).splitlines() if p.strip())
    if isinstance(exc, NctransportError):
        return f"error: {text}"
    return f"error: unexpected {type(exc).__name__}: {text}"


def _run_step(step: DemoStep, out: Path, sigint: _Sigint) -> StepOutcome:
    """Run one step into a temporary folder and move it to ``out/<step>`` when it succeeded."""
    import nctransport
    from nctransport.io.atomic import write_text
    from nctransport.report.html import reproduce_command
    from nctransport.report.summary import summarize

    python, command = step.python_call(out), step.command_line(out)
    final = out / step.name
    # An earlier run's folder is replaced only by a finished step; a failed or interrupted
    # step leaves no partial output (the temporary folder goes).
    work = out / f".{step.name}.partial"
    if work.is_dir() and not work.is_symlink():  # left by a run that was killed
        shutil.rmtree(work)
    work.mkdir()
    start = time.perf_counter()
    sigint.seen = False
    status, error, result, data = "ok", None, None, None
    try:
        args, kwargs = step.call_args(out)
        result = getattr(nctransport, step.workflow)(*args, **kwargs)
        with reproduce_command(command):  # its report's "Reproduce" shows the step's command
            result.write(work)
        data = to_jsonable(result.to_dict())
    except KeyboardInterrupt:
        status, error = "interrupted", "Ctrl-C"
    except Exception as exc:  # one step's failure must not hide the others
        status, error = "failed", _error_line(exc)
        log = f"$ {command}\n>>> {python}\n\n{''.join(traceback.format_exception(exc))}"
    if sigint.seen:  # a Ctrl-C whatever the workflow made of it
        status, error = "interrupted", "Ctrl-C"
    seconds = time.perf_counter() - start
    if status == "ok":
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        work.rename(final)
        return StepOutcome(
            step,
            "ok",
            seconds=seconds,
            summary=summarize(data),
            report=final / "report.html",
            python=python,
            command=command,
            truths=check_truths(step, data),
            result=result,
        )
    shutil.rmtree(work, ignore_errors=True)
    report = None
    if status == "failed":  # its folder holds the log only (not an earlier run's report)
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        report = write_text(final / "log.txt", log)
    return StepOutcome(step, status, error, seconds, report=report, python=python, command=command)


def _index_summary(s: StepOutcome) -> str:
    parts = [s.summary] if s.summary else []
    if s.step.truth:
        parts.append(f"truth: {s.step.truth}")
    parts += [str(c) for c in s.truths]
    return " — ".join(parts)


def _write_index(out: Path, result: DemoResult) -> Path:
    from nctransport.report.index import IndexEntry, write_index

    entries = [
        IndexEntry(
            title=f"{s.name}: {s.step.title}",
            report=s.report,
            summary=_index_summary(s),
            status=s.status,
            error=s.error,
            seconds=s.seconds if s.status not in ("skipped",) else None,
            command=s.command or None,
            python=s.python or None,
        )
        for s in result.steps
    ]
    return write_index(
        out,
        entries,
        title="nctransport demo",
        description=(
            "Measure -> simulate -> model on the bundled example data "
            "(examples/make_data.py states the truth of each file). Every step is a call of "
            "the Python API, shown with the equivalent nctransport command under Reproduce; "
            "in Python: import nctransport as nct."
        ),
        total_seconds=result.seconds,
    )


def run_demo(
    out_dir: str | Path,
    *,
    steps: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    progress: Callable[[StepOutcome], None] | None = None,
) -> DemoResult:
    """Run the demo into ``out_dir`` and write ``out_dir/index.html``.

    Parameters
    ----------
    out_dir
        Output folder (created). The example inputs are copied to ``out_dir/data`` so the
        folder is self-contained; each step writes ``out_dir/<step>``.
    steps
        Names of the steps to run (default all, see :func:`demo_steps`).
    data_dir
        Folder with the example files; default the bundled ``examples/data``.
    progress
        Called with a :class:`StepOutcome` of status ``"running"`` before each step runs and
        with its final outcome after it (or when it is skipped).

    Returns
    -------
    DemoResult
        Every step's outcome and workflow result, the index path and ``exit_code``.

    Raises
    ------
    ConfigError
        Missing example data or an unknown step name (before anything is run).

    Notes
    -----
    Ctrl-C (SIGINT) during a step does not raise: the step is ``interrupted``, later steps
    are ``skipped``, the index is written and ``exit_code`` is 130. The previous SIGINT
    handler is restored on return.
    """
    from nctransport.io.atomic import make_dirs, write_bytes
    from nctransport.io.output import prepare_output_dir

    src = find_data(data_dir)
    plan = demo_steps()
    if steps:
        unknown = sorted(set(steps) - {s.name for s in plan})
        if unknown:
            raise ConfigError(f"unknown demo step(s): {', '.join(unknown)}")
        plan = [s for s in plan if s.name in steps]
    # a bad target fails before anything runs; the example files are never overwritten
    out = prepare_output_dir(out_dir, inputs=[src / f for f in EXAMPLE_FILES])
    if (out / "data").resolve() != src.resolve():  # not already the demo's own copy
        make_dirs(out / "data")
        for f in EXAMPLE_FILES:
            write_bytes(out / "data" / f, (src / f).read_bytes())

    def tell(outcome: StepOutcome) -> None:
        if progress is not None:
            progress(outcome)

    outcomes: dict[str, StepOutcome] = {}
    start = time.perf_counter()
    stop: str | None = None  # why the remaining steps are skipped
    with _watch_sigint() as sigint:
        try:
            for step in plan:
                if stop is not None:
                    outcome = StepOutcome(step, "skipped", stop)
                elif any(n not in outcomes or outcomes[n].status != "ok" for n in step.needs):
                    outcome = StepOutcome(step, "skipped", f"needs {', '.join(step.needs)}")
                else:
                    tell(StepOutcome(step, "running"))
                    outcome = _run_step(step, out, sigint)
                    if outcome.status == "interrupted":
                        stop = "demo interrupted"
                outcomes[step.name] = outcome
                tell(outcome)
        except KeyboardInterrupt:  # Ctrl-C between steps (e.g. in ``progress``)
            stop = "demo interrupted"
        finally:
            ordered = tuple(
                outcomes.get(s.name) or StepOutcome(s, "skipped", stop or "not run") for s in plan
            )
            if stop is not None and not any(o.status == "interrupted" for o in ordered):
                # interrupted between steps: the first step that did not run says so
                first = next((i for i, o in enumerate(ordered) if o.name not in outcomes), -1)
                ordered = tuple(
                    dataclasses.replace(o, status="interrupted") if i == first else o
                    for i, o in enumerate(ordered)
                )
            result = DemoResult(
                out_dir=out,
                index=out / "index.html",
                data_dir=src,
                steps=ordered,
                seconds=time.perf_counter() - start,
            )
            _write_index(out, result)
    return result
