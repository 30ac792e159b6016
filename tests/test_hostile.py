"""Hostile inputs and hostile environments (issue 16), one parametrised test per class.

Every refused request must end with exit status 2 and exactly one ``error:`` line on stderr
that names the file or option at fault, no traceback, no input changed (hashes before and
after), no temporary or partial output left, and - where it could explode - no more than
1 GB RSS or 30 s. The CLI runs in-process through :func:`nctransport.cli.main`, or in a
subprocess where signals, resource limits or blocking opens are involved.
"""

from __future__ import annotations

import hashlib
import math
import os
import socket
import stat
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nctransport.cli import COMMANDS, main
from nctransport.commands.common import parse_seed
from nctransport.errors import ConfigError, OutputError
from nctransport.io import atomic, output

PY = sys.executable

# A small (t, x) map with a Gaussian that spreads: analysable in well under a second.
_T = np.arange(12) * 0.1
_X = np.linspace(-2, 2, 41)


def _map_text(t_unit: str = "ns", t_values=_T, extra_header: str = "") -> str:
    sig2 = 0.1 + 0.5 * np.asarray(_T)
    rows = [extra_header + f"t [{t_unit}] \\ x [um]," + ",".join(f"{x:g}" for x in _X)]
    for tv, s2 in zip(t_values, sig2, strict=True):
        prof = np.exp(-(_X**2) / (2 * s2)) * np.exp(-_T[0])
        rows.append(f"{float(tv)!r}," + ",".join(f"{v:.6g}" for v in prof))
    return "\n".join(rows) + "\n"


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working folder (the current directory) holding ``map.csv``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "map.csv").write_text(_map_text())
    return tmp_path


def _digest(folder: Path) -> dict[str, str]:
    """Content hash of every regular file under ``folder`` (FIFOs etc. by kind only)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st_ = os.lstat(p)
        if stat.S_ISREG(st_.st_mode):
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif not stat.S_ISDIR(st_.st_mode):
            out[str(p.relative_to(folder))] = f"special {stat.S_IFMT(st_.st_mode)}"
    return out


def _leftovers(folder: Path, before: dict[str, str]) -> list[str]:
    """Files that appeared (temporaries, partial outputs)."""
    return sorted(set(_digest(folder)) - set(before))


def assert_refused(rc: int, err: str, needle: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, (rc, err)
    assert "Traceback" not in err, err
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and len(lines) == 1, err
    assert needle in errors[0], (needle, err)


def refused_in_process(capsys, folder: Path, argv: list[str], needle: str) -> str:
    before = _digest(folder)
    rc = main(argv)
    err = capsys.readouterr().err
    assert_refused(rc, err, needle)
    after = _digest(folder)
    assert {k: after.get(k) for k in before} == before, "an input changed"
    assert _leftovers(folder, before) == [], "temporary or partial output left"
    return err


def run_cli(argv: list[str], *, cwd: Path, limit: str = "", timeout: float = 60):
    """The CLI in a child process (optionally under ``ulimit``); (rc, stderr, max RSS kB)."""
    code = (
        "import resource, sys\n"
        "from nctransport.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "sys.stdout.write('\\nMAXRSS=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "sys.exit(rc)\n"
    )
    prefix = f"{limit}; " if limit else ""
    cmd = prefix + 'exec "$0" -c "$1" "${@:2}"'
    proc = subprocess.run(
        ["bash", "-c", cmd, PY, code, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, MPLBACKEND="Agg"),
    )
    rss = int(proc.stdout.rsplit("MAXRSS=", 1)[1]) if "MAXRSS=" in proc.stdout else 0
    return proc.returncode, proc.stderr, rss


# --- class 1 and 6: full disk, file-size limit, bad output targets ---------------------


@pytest.mark.parametrize("target", ["sub/out.nc", "out.csv"])
def test_file_size_limit_is_one_clean_error(work, target):
    # ulimit -f: SIGXFSZ is ignored by the CLI, the write fails with EFBIG, HDF5 never
    # touches the disk (serialised in memory), and nothing is left behind.
    (work / "map.csv").write_text(_map_text() * 1)
    big = np.random.default_rng(1).random((400, 300))
    np.savez(work / "big.npz", signal=big, t=np.arange(400.0), x=np.arange(300.0),
             t_unit="ns", x_unit="um")  # fmt: skip
    before = _digest(work)
    rc, err, _ = run_cli(["convert", "big.npz", target], cwd=work, limit="ulimit -f 20")
    assert_refused(rc, err, target)
    assert "file too large" in err
    assert _leftovers(work, before) == []
    assert _digest(work) == before


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 kB tmpfs (root only); skipped where it cannot be mounted."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.mark.parametrize("target", ["x.nc", "deep/er/x.csv"])
def test_full_disk_is_one_clean_error(work, small_tmpfs, target):
    rng = np.random.default_rng(2)
    np.savez(work / "big.npz", signal=rng.random((200, 200)), t=np.arange(200.0),
             x=np.arange(200.0), t_unit="ns", x_unit="um")  # fmt: skip
    rc, err, _ = run_cli(["convert", "big.npz", str(small_tmpfs / target)], cwd=work)
    assert_refused(rc, err, "x.")
    assert "no space left" in err
    assert list(small_tmpfs.iterdir()) == [], "temporary or partial output left"


def test_atomic_write_errors_name_the_path_and_leave_nothing(tmp_path, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="no space left") as info:
        atomic.write_text(tmp_path / "a.txt", "x")
    assert str(tmp_path / "a.txt") in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["convert", "map.csv", "map.csv"], "map.csv"),  # onto its own input
        (["convert", "map.csv", "./map.csv"], "map.csv"),
        (["convert", "map.csv", "link.csv"], "link.csv"),  # a symlink to the input
        (["convert", "map.csv", "hard.csv"], "hard.csv"),  # a hard link to the input
        (["convert", "map.csv", "fifo.nc"], "fifo.nc"),  # never replaced by a file
        (["convert", "map.csv", "/dev/null"], "/dev/null"),
        (["convert", "map.csv", "/dev/full"], "/dev/full"),
        (["convert", "map.csv", "adir"], "adir"),
        (["convert", "map.csv", "afile.txt/x.nc"], "afile.txt"),  # parent is a file
        (["convert", "map.csv", ""], "empty"),
        (["convert", "map.csv", "x.xlsx"], "x.xlsx"),
        (["info", "map.csv", "--t-unit="], "--t-unit"),
    ],
)
def test_bad_output_targets_are_refused_first(work, capsys, monkeypatch, argv, needle):
    os.symlink(work / "map.csv", work / "link.csv")
    os.link(work / "map.csv", work / "hard.csv")
    os.mkfifo(work / "fifo.nc")
    (work / "adir").mkdir()
    (work / "afile.txt").write_text("not a folder")
    loads = []
    monkeypatch.setattr("nctransport.io.load", lambda *a, **k: loads.append(a))
    refused_in_process(capsys, work, argv, needle)
    assert loads == [], "the input was read before the target was checked"
    assert stat.S_ISFIFO(os.lstat(work / "fifo.nc").st_mode)


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        ("", "--out"),
        ("map.csv", "map.csv"),  # an existing file
        ("/dev/full", "/dev/full"),
        ("fifo", "fifo"),
        ("afile/sub", "afile"),
    ],
)
def test_check_output_dir(work, out, needle):
    os.mkfifo(work / "fifo")
    (work / "afile").write_text("x")
    with pytest.raises(OutputError, match=needle.replace("-", r"\-")):
        output.check_output_dir(out, inputs=[work / "map.csv"])


def test_output_dir_that_is_an_input_or_would_overwrite_one(work):
    (work / "d").mkdir()
    (work / "d" / "config.toml").write_text("x = 1\n")
    with pytest.raises(OutputError, match="is an input"):
        output.check_output_dir(work / "d", inputs=[work / "d"])
    with pytest.raises(OutputError, match="would overwrite the input"):
        output.check_output_dir(
            work / "d", inputs=[work / "d" / "config.toml"], writes=["config.toml"]
        )


def test_inputs_are_never_overwritten_by_any_write(work):
    # The backstop: whatever a command writes, an input of the job is never replaced.
    src = work / "map.csv"
    before = src.read_bytes()
    output.check_output_dir(work, inputs=[src])
    try:
        with pytest.raises(OutputError, match="input"):
            atomic.write_text(src, "overwritten")
    finally:
        output.clear_protected_inputs()
    assert src.read_bytes() == before
    atomic.write_text(src, "now allowed")  # no longer an input of a running job


def test_analyze_output_folder_holding_its_input(work, capsys):
    # `analyze D/profiles.nc --out D`: the result's own profiles.nc would replace the input.
    d = work / "D"
    d.mkdir()
    assert main(["convert", "map.csv", "D/profiles.nc"]) == 0
    capsys.readouterr()
    refused_in_process(capsys, work, ["analyze", "D/profiles.nc", "--out", "D"], "profiles.nc")


def test_read_only_file_system(work):
    ro = work / "ro"
    ro.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with pytest.raises(OutputError, match="read-only"):
            output.check_output_dir(ro / "out")
        with pytest.raises(OutputError, match="read-only"):
            output.check_output_file(ro / "x.nc")
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def test_failed_command_leaves_no_partial_output(work, capsys, monkeypatch):
    def fail_late(ds, path):
        atomic.write_text(Path(path).with_suffix(".partial"), "half a result")
        raise OutputError("cannot write: disk full", path)

    monkeypatch.setattr("nctransport.io.save", fail_late)
    refused_in_process(capsys, work, ["convert", "map.csv", "new/dir/x.nc"], "x.nc")
    assert not (work / "new").exists()


# --- class 3: inputs that are not regular files ------------------------------------------


def _special_input(work: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(work / "in.csv")
        return "in.csv"
    if kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(work / "in.sock"))
        return "in.sock"
    if kind == "dir":
        (work / "in.d").mkdir()
        return "in.d"
    return kind


@pytest.mark.parametrize(
    ("kind", "command"),
    [("fifo", ["info"]), ("fifo", ["convert"]), ("fifo", ["analyze"]), ("/dev/zero", ["info"]),
     ("/dev/zero", ["convert"])],
)  # fmt: skip
def test_blocking_inputs_are_refused_at_once(work, kind, command):
    # A regression would block in open() (or read forever): in a child with a timeout.
    name = _special_input(work, kind)
    argv = [*command, name] + (["out.nc"] if command == ["convert"] else [])
    before = _digest(work)
    rc, err, _ = run_cli(argv, cwd=work, timeout=30)
    assert_refused(rc, err, name)
    assert _leftovers(work, before) == []


@pytest.mark.parametrize("kind", ["socket", "/dev/null", "dir"])
@pytest.mark.parametrize("command", [["info"], ["convert"], ["analyze"]])
def test_non_regular_inputs_are_refused(work, capsys, kind, command):
    name = _special_input(work, kind)
    argv = [*command, name] + (["out.nc"] if command == ["convert"] else [])
    refused_in_process(capsys, work, argv, name)


def test_check_input_path_refuses_a_fifo_without_blocking(tmp_path):
    from nctransport.errors import InputError
    from nctransport.io import load

    os.mkfifo(tmp_path / "f.csv")
    with pytest.raises(InputError, match="FIFO"):
        load(tmp_path / "f.csv")
    for reader in ("csv:read_csv", "npz:read_npz", "tiff:read_tiff", "picoquant:read_picoquant"):
        module, func = reader.split(":")
        fn = getattr(__import__(f"nctransport.io.{module}", fromlist=[func]), func)
        with pytest.raises(InputError, match="FIFO"):
            fn(tmp_path / "f.csv", __import__("nctransport.io").io.ReadOptions())
    from nctransport.io.netcdf import read_netcdf

    with pytest.raises(InputError, match="FIFO"):
        read_netcdf(tmp_path / "f.csv")


# --- class 4: memory guards before inflating -------------------------------------------


def _npz_bomb(path: Path, shape: tuple[int, ...], *, body_bytes: int | None = None) -> Path:
    """An .npz whose ``signal`` is zeros of ``shape`` (streamed: never in memory here).

    With ``body_bytes`` the header claims ``shape`` but only that many bytes follow (a lying
    header, which numpy would allocate for before noticing).
    """
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    n = math.prod(shape) * 8 if body_bytes is None else body_bytes
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("signal.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_2_0(fh, header)
            while n > 0:
                fh.write(chunk[: min(n, len(chunk))])
                n -= len(chunk)
        for name, size in zip(("t", "x"), shape, strict=False):
            with zf.open(f"{name}.npy", "w") as fh:
                np.save(fh, np.arange(float(size)))
        for name in ("t_unit", "x_unit"):
            with zf.open(f"{name}.npy", "w") as fh:
                np.save(fh, np.array("ns" if name == "t_unit" else "um"))
    return path


@pytest.mark.parametrize(
    ("shape", "body", "cap"),
    [
        ((5000, 6000), None, "500MB"),  # 240 MB of zeros in a ~250 kB archive
        ((100000, 100000), 1000, None),  # a header claiming 80 GB over 1 kB of data
    ],
)
def test_npz_bomb_is_refused_before_inflating(work, shape, body, cap):
    bomb = _npz_bomb(work / "bomb.npz", shape, body_bytes=body)
    assert bomb.stat().st_size < 2_000_000
    argv = (["--max-memory", cap] if cap else []) + ["info", "bomb.npz"]
    rc, err, rss_kb = run_cli(argv, cwd=work, timeout=30)
    assert_refused(rc, err, "bomb.npz")
    assert "--max-memory" in err
    assert rss_kb < 1_000_000, f"{rss_kb} kB peak RSS for a refused request"


@pytest.mark.parametrize("shape", [(200_000, 20_000), (3_000, 4_000)])
def test_netcdf_bomb_is_refused_before_inflating(work, shape):
    # compressed zeros declaring 32 GB were read as "not readable (MemoryError)", and a
    # smaller one inflated fully before any check
    h5py = pytest.importorskip("h5py")
    with h5py.File(work / "bomb.nc", "w") as f:
        f.create_dataset("signal", shape=shape, dtype="f8", chunks=(1000, 1000), compression="gzip")
        f["t"] = np.arange(shape[0]) * 1e-12
        f["x"] = np.arange(shape[1]) * 1e-9
    assert (work / "bomb.nc").stat().st_size < 3_000_000
    rc, err, rss_kb = run_cli(["--max-memory", "100MB", "info", "bomb.nc"], cwd=work, timeout=30)
    assert_refused(rc, err, "bomb.nc")
    assert "--max-memory" in err
    assert rss_kb < 1_000_000, f"{rss_kb} kB peak RSS for a refused request"


def test_max_memory_raises_the_cap(work, capsys):
    _npz_bomb(work / "b.npz", (200, 300))
    assert main(["--max-memory", "1MB", "info", "b.npz"]) == 2
    assert "--max-memory" in capsys.readouterr().err
    assert main(["--max-memory", "1GiB", "info", "--json", "b.npz"]) == 0


def test_tiff_bomb_is_refused_before_decoding(work, capsys):
    tifffile = pytest.importorskip("tifffile")
    data = np.zeros((40, 512, 512), dtype=np.uint8)
    tifffile.imwrite(work / "z.tif", data, compression="zlib")
    refused_in_process(
        capsys, work, ["--max-memory", "50MB", "info", "z.tif", "--times", "0ns:1ns",
                       "--pixel", "50nm"], "z.tif"
    )  # fmt: skip


# --- class 7 and 9: values validated at the boundary -----------------------------------


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("# temperature: -5 K\n", "temperature"),
        ("# temperature: 0 K\n", "temperature"),
        ("# temperature: -300 degC\n", "temperature"),
        ("# wavelength: -400 nm\n", "wavelength"),
        ("# fluence: -1 uJ/cm2\n", "fluence"),
        ("# rep_rate: 0 Hz\n", "rep_rate"),
        ("# temperature: 1e30 K\n", "temperature"),
    ],
)
def test_metadata_out_of_range_is_refused_naming_the_file(work, capsys, header, needle):
    (work / "bad.csv").write_text(_map_text(extra_header=header))
    err = refused_in_process(capsys, work, ["info", "bad.csv"], "bad.csv")
    assert needle in err


@pytest.mark.parametrize("value", ["-5K", "0K", "nanK", "1e6K"])
def test_metadata_override_out_of_range(work, capsys, value):
    refused_in_process(
        capsys, work, ["info", "map.csv", "--meta", f"temperature={value}"], "temperature"
    )


@pytest.mark.parametrize("value", ["1e308K", "2e5K"])
@pytest.mark.parametrize("command", ["analyze", "spectra"])
def test_temperature_option_above_the_plausible_range(work, capsys, value, command):
    # 1e308 K used to give a mobility of ~0 and exit 0; the cap is shared (limits.py)
    refused_in_process(capsys, work, [command, "map.csv", "--temperature", value], "--temperature")


@pytest.mark.parametrize(
    "t_values",
    [
        _T * 1e300,  # a time axis scaled by 1e300
        np.where(np.arange(_T.size) == 3, np.nan, _T),
        np.where(np.arange(_T.size) == 3, np.inf, _T),
        np.r_[_T[:6], _T[:6]],  # not monotonic
    ],
)
def test_implausible_axes_are_one_line(work, capsys, t_values):
    (work / "bad.csv").write_text(_map_text(t_values=t_values))
    refused_in_process(capsys, work, ["info", "bad.csv"], "bad.csv")


@pytest.mark.parametrize("t0", ["1e308s", "-1e300ns", "1e10s"])
@pytest.mark.parametrize("command", ["info", "analyze"])
def test_absurd_t0_is_refused_not_a_collapsed_axis(work, capsys, t0, command):
    # t - 1e10 s rounds every frame to one time: the shifted axis is checked like a read one
    refused_in_process(capsys, work, [command, "map.csv", "--t0", t0], "t0")


@pytest.mark.parametrize(
    ("times", "needle"),
    [
        ("0ns:-0.1ns", "--times"),
        ("0ns:0ns", "--times"),
        ("1ns:0ns:5", "--times"),
        ("0ns:1e308s", "--times"),
        ("nan:1ns", "--times"),
    ],
)
def test_tiff_times_ordered_and_positive(work, capsys, times, needle):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(work / "s.tif", np.ones((5, 4, 4), dtype=np.float32), photometric="minisblack")
    refused_in_process(capsys, work, ["info", "s.tif", "--times", times, "--pixel", "50nm"], needle)


@pytest.mark.parametrize("pixel", ["1e308m", "1e40m", "1e30km"])
def test_tiff_absurd_pixel_size_is_one_line(work, capsys, pixel):
    # 1e308 m pixels overflowed the axes: a RuntimeWarning line, then an error naming no option
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(work / "s.tif", np.ones((5, 4, 4), dtype=np.float32), photometric="minisblack")
    argv = ["info", "s.tif", "--times", "0ns:1ns", "--pixel", pixel]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        refused_in_process(capsys, work, argv, "--pixel")


@pytest.mark.parametrize("seed", ["-1", "2**63", str(2**63), "12345678901234567890", "1.5",
                                  "abc", "", "nan", "1e30"])  # fmt: skip
def test_parse_seed_refuses_out_of_range(seed):
    with pytest.raises(ConfigError, match="--seed"):
        parse_seed(seed)


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_parse_seed_accepts_the_whole_range(seed):
    assert parse_seed(str(seed)) == seed == parse_seed(seed)


# --- class 8: one line for every usage error -------------------------------------------


def _command_paths() -> list[list[str]]:
    import importlib.util

    paths = []
    for name, (module, _) in COMMANDS.items():
        if importlib.util.find_spec(module) is None:
            continue
        paths.append([name])
    paths += [["device", sub] for sub in ("sclc", "tel", "simulate", "fit")]
    return paths


@pytest.mark.parametrize("command", _command_paths(), ids=" ".join)
def test_unknown_option_is_one_line_exit_2(capsys, command):
    assert_refused(main([*command, "--bogus-option"]), capsys.readouterr().err, "--bogus-option")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["no-such-command"], "no-such-command"),
        (["--max-memory", "-1GB", "info", "x"], "--max-memory"),
        (["--max-memory", "lots", "info", "x"], "--max-memory"),
        (["info", "map.csv", "--json", "--json=3"], "--json"),
        (["convert", "map.csv"], "dst"),
        (["info", "--out", ""], "--out"),
    ],
)
def test_usage_errors_name_the_option(work, capsys, argv, needle):
    refused_in_process(capsys, work, argv, needle)


def test_no_raw_runtime_warning_reaches_the_terminal(work):
    # A map with a dead (all-zero) column: whatever numpy warns becomes a `warning:` line.
    rc, err, _ = run_cli(["info", "map.csv"], cwd=work)
    assert rc == 0 and "RuntimeWarning:" not in err and "Traceback" not in err


def test_ctrl_c_mid_write_rolls_back_and_says_so_once(work, capsys, monkeypatch):
    # Typer returns 130 for Ctrl-C instead of raising: the files already written
    # (profiles.nc, results.json, msd.csv) were left behind, with nothing on stderr
    import matplotlib.figure

    from nctransport.report.svg import SvgFigure

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # the report's figures: SVG drawn by nctransport, PNG/PDF by matplotlib
    monkeypatch.setattr(SvgFigure, "to_svg", interrupted)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    before = _digest(work)
    assert main(["analyze", "map.csv", "--out", "o"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "error: interrupted (Ctrl-C)", err
    assert not (work / "o").exists()
    assert _digest(work) == before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [["info", "map.csv"], ["info", "map.csv", "--json"],
     ["analyze", "map.csv", "--json", "--no-report", "--out", "o"]],
)  # fmt: skip
def test_results_to_a_full_stdout_are_one_error_line(work, argv):
    # "unexpected OSError", exit 1, and analyze's outputs kept although the run failed
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [PY, "-c", "import sys; from nctransport.cli import main; sys.exit(main())", *argv],
            cwd=work, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
            env=dict(os.environ, MPLBACKEND="Agg"),
        )  # fmt: skip
    assert_refused(proc.returncode, proc.stderr, "standard output")
    assert not (work / "o").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["kinetics", "map.csv", "SAME", "--global"],
        ["fit-model", "map.csv", "SAME", "map2.csv"],
        ["series", "map.csv", "SAME", "--by", "power", "--values", "1nW,2nW"],
        ["temperature", "map.csv", "SAME"],
    ],
)
@pytest.mark.parametrize("same", ["map.csv", "./map.csv", "link.csv"])
def test_the_same_input_twice_is_refused(work, capsys, argv, same):
    # kinetics --global and fit-model repetitions counted one file twice (CIs falsely
    # narrow), exit 0
    (work / "link.csv").symlink_to("map.csv")
    (work / "map2.csv").write_text(_map_text())
    argv = [same if a == "SAME" else a for a in argv] + ["--out", "o"]
    err = refused_in_process(capsys, work, argv, "given twice")
    assert same in err or "map.csv" in err
