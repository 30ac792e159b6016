"""The command line: exit codes (errors 2, Ctrl-C 130, explicit exits pass through), lazy
command loading, and how a command process is tuned (imports, collector, memory)."""

import numpy as np
import pytest
import typer

from nctransport import __version__
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.io import save


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "m.nc"
    save(make_dataset(np.ones((3, 4)), {"t": [0, 1e-9, 2e-9], "x": np.arange(4) * 1e-7}), path)
    return path


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nctransport {__version__}"


@pytest.mark.parametrize(
    ("exc", "code"), [(KeyboardInterrupt(), 130), (typer.Exit(3), 3), (RuntimeError("x"), 1)]
)
def test_interrupts_and_exits_reach_the_shell(monkeypatch, small_file, exc, code, capsys):
    def fail(ds):
        raise exc

    monkeypatch.setattr("nctransport.commands.data.describe", fail)
    assert main(["info", str(small_file)]) == code
    if code == 1:  # an unexpected error is one line, never a traceback
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_usage_error_is_exit_2(capsys):
    assert main(["info"]) == 2


def _registered(module):
    from nctransport.cli import load_module_commands

    try:
        return load_module_commands(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:  # a module another branch adds (commands.reproduce)
            pytest.skip(f"{module} is not in this tree")
        raise


@pytest.mark.parametrize("module", __import__("nctransport.cli").cli.COMMAND_MODULES)
def test_static_command_table_matches_register(module):
    # cli.COMMANDS lists commands without importing their modules; it must not drift from
    # what each module's register(app) actually registers.
    from nctransport.cli import COMMANDS

    listed = {name for name, (mod, _) in COMMANDS.items() if mod == module}
    assert set(_registered(module)) == listed


def test_help_lists_every_command_without_importing_them(capsys):
    import sys

    from nctransport.cli import COMMAND_MODULES, COMMANDS

    before = {m for m in COMMAND_MODULES if m in sys.modules}
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out
    assert {m for m in COMMAND_MODULES if m in sys.modules} == before


def test_command_help_shows_its_options(capsys):
    assert main(["convert", "--help"]) == 0
    assert "--t-unit" in capsys.readouterr().out
    assert main(["device", "simulate", "--help"]) == 0
    assert "--points" in capsys.readouterr().out


def test_version_is_the_installed_distributions():
    # nctransport/_version.py is the one source; pyproject.toml reads it at build time.
    from importlib.metadata import version

    assert version("nctransport") == __version__


def test_version_without_typer():
    import subprocess
    import sys

    code = (
        "import sys; from nctransport.cli import main; rc = main(['--version']); "
        "assert 'typer' not in sys.modules and 'pint' not in sys.modules, sorted(sys.modules); "
        "sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("nctransport ")


def test_import_is_light():
    import subprocess
    import sys

    heavy = ("numpy", "scipy", "xarray", "matplotlib", "pint", "typer", "rich", "numba")
    code = f"import sys, nctransport; print([m for m in {heavy!r} if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["info", "--bogus"], "--bogus"),
        (["info"], "file"),
        (["bogus-command"], "bogus-command"),
        (["--max-memory", "lots", "info", "x"], "--max-memory"),
    ],
)
def test_usage_errors_are_one_line(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err, err


def test_max_memory_is_applied_and_restored(monkeypatch, small_file):
    from nctransport import limits

    seen = []
    monkeypatch.setattr(
        "nctransport.commands.data.describe", lambda ds: seen.append(limits.max_memory()) or {}
    )
    main(["--max-memory", "1GiB", "info", "--json", str(small_file)])
    assert seen == [1024**3]
    assert limits.max_memory() == limits.DEFAULT_MAX_MEMORY


def test_numpy_warnings_become_one_warning_line(monkeypatch, small_file, capsys):
    def noisy(ds):
        np.log(np.zeros(3))
        np.log(np.zeros(3))
        return {}

    monkeypatch.setattr("nctransport.commands.data.describe", noisy)
    assert main(["info", "--json", str(small_file)]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: divide by zero"), err


def test_analyze_runs_numpy_without_blas_threads_or_huge_pages(tmp_path):
    # Set before NumPy loads (a fresh process); the user's own environment wins.
    import os
    import subprocess
    import sys

    code = (
        "import os, sys; from nctransport.cli import _limit_blas_threads; "
        "_limit_blas_threads(['analyze', 'x.csv']); "
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['NUMPY_MADVISE_HUGEPAGE'])"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "NUMPY_MADVISE_HUGEPAGE")}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["1", "0"], out.stderr
    env["NUMPY_MADVISE_HUGEPAGE"] = "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["1", "1"], out.stderr


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_runs_during_the_work_and_is_restored(monkeypatch, small_file, enabled):
    # Paused while the command's modules import, running (and the imports frozen) while it
    # works; afterwards the caller's state, nothing left frozen. A caller's disabled
    # collector stays disabled throughout.
    import gc

    seen = []
    monkeypatch.setattr(
        "nctransport.commands.data.describe",
        lambda ds: seen.append((gc.isenabled(), gc.get_freeze_count() > 0)) or {},
    )
    before = gc.get_threshold()
    if not enabled:
        gc.disable()
    try:
        assert main(["info", "--json", str(small_file)]) == 0
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [(enabled, enabled)]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_work_modules_of_the_command_line_are_imported_by_name():
    import subprocess
    import sys

    from nctransport.cli import COMMANDS, WORK_MODULES

    assert set(WORK_MODULES) <= set(COMMANDS)
    code = (
        "import sys; from nctransport.cli import WORK_MODULES, _import_work_modules; "
        "_import_work_modules(['--max-memory', '16GiB', 'analyze', 'x.csv']); "
        "print(all(m in sys.modules for m in WORK_MODULES['analyze']), "
        "'nctransport.commands.analyze' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True"], out.stderr
    for modules in WORK_MODULES.values():  # every name is importable
        for module in modules:
            __import__(module)


def test_freed_memory_is_kept_only_by_a_command_process(monkeypatch, small_file):
    import sys

    from nctransport import cli

    calls = []
    monkeypatch.setattr(cli, "_keep_freed_memory", lambda: calls.append(1))
    assert main(["info", "--json", str(small_file)]) == 0  # a session calling main()
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["nctransport", "info", "--json", str(small_file)])
    assert main() == 0  # the console script
    assert calls == [1]


def test_keep_freed_memory_sets_glibc_options_unless_the_user_did(monkeypatch):
    import ctypes

    from nctransport import cli

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    for name in cli._MALLOC_OPTIONS:
        monkeypatch.delenv(name, raising=False)
    cli._keep_freed_memory()
    # M_TRIM_THRESHOLD 1 GiB, M_TOP_PAD 16 MiB, M_MMAP_THRESHOLD 32 MiB (glibc malloc.h)
    assert calls == [(-1, 2**30), (-2, 2**24), (-3, 2**25)]
    calls.clear()
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    cli._keep_freed_memory()
    assert calls == []


def test_nested_main_neither_freezes_nor_unfreezes(monkeypatch, small_file):
    import gc

    counts = []

    def describe(ds):
        if not counts:  # the outer command runs an inner one
            counts.append(gc.get_freeze_count())
            assert main(["info", "--json", str(small_file)]) == 0
            counts.append(gc.get_freeze_count())
            assert gc.isenabled()
        return {}

    monkeypatch.setattr("nctransport.commands.data.describe", describe)
    assert main(["info", "--json", str(small_file)]) == 0
    # the outer freeze untouched: neither unfrozen (0) nor grown by the inner command's
    # objects (frozen objects that are freed leave the count, so it may only shrink)
    assert counts[0] > 0 and 0 < counts[1] <= counts[0]
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_console_script_skips_the_teardown_but_runs_exit_handlers_and_flushes(small_file):
    # A fresh process, as the console script runs: the exit status of the command, all of
    # its (block-buffered, piped) output, the atexit handlers run; objects' finalizers are
    # not run at the end (the teardown that is skipped), which a normal exit would run
    import subprocess
    import sys

    code = (
        "import atexit, sys; from nctransport import cli\n"
        "atexit.register(lambda: print('exit handler ran'))\n"
        "class Teardown:\n"
        "    def __del__(self): print('teardown ran')\n"
        "keep = Teardown()\n"
        "sys.argv = ['nctransport', *sys.argv[1:]]\n"
        "cli.console_main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "info", str(small_file)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert str(small_file.name) in proc.stdout and proc.stdout.rstrip().endswith("exit handler ran")
    assert "teardown ran" not in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-c", code, "info", str(small_file.with_name("missing.nc"))],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "missing.nc" in proc.stderr
    assert "exit handler ran" in proc.stdout


def test_console_script_exits_normally_while_other_threads_run(monkeypatch):
    # a worker pool's threads (or processes) are joined by the interpreter's normal exit
    import threading

    from nctransport import cli

    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr("os._exit", lambda rc: pytest.fail("fast exit with a thread alive"))
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        with pytest.raises(SystemExit) as info:
            cli.console_main()
        assert info.value.code == 3
    finally:
        stop.set()
        worker.join()
