"""The output layer: where results may be written, checked before any computation.

Every command and every ``Result.write()`` goes through :func:`prepare_output_dir`, so a bad
target (an existing file, an unwritable folder, an empty name) fails at once with one line
naming the path, and an input file is never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from nctransport.errors import InputError, OutputError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_dir(out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse an output directory that cannot hold results; return it as a Path.

    Nothing is created. Refused: an empty name, an existing non-directory, a directory (or
    the nearest existing parent) that is not writable, and a directory that *is* one of the
    inputs.
    """
    if out_dir is None or str(out_dir).strip() == "":
        raise OutputError("the output directory name is empty", "--out")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("exists and is not a directory", out)
    for inp in inputs:
        if _same_file(Path(inp), out):
            raise OutputError("is an input; choose another output directory", out)
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError("is not writable", probe)
    return out


def prepare_output_dir(out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """:func:`check_output_dir`, then create the directory."""
    out = check_output_dir(out_dir, inputs=inputs)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create directory ({exc.strerror})", out) from None
    return out


def check_input_path(path: str | Path, *, allow_dir: bool = False) -> Path:
    """Refuse an input that is missing, unreadable, or not a regular file (a FIFO, a device or
    a socket would block or stream forever); directories only where ``allow_dir``.

    >>> check_input_path("/dev/null")
    Traceback (most recent call last):
    ...
    nctransport.errors.InputError: /dev/null: not a regular file (a character device)
    """
    import stat

    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("no such file", p) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", p) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        if allow_dir:
            return p
        raise InputError("is a directory, not a file", p)
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode)
            else "a special file"
        )  # fmt: skip
        raise InputError(f"not a regular file ({kind})", p)
    if not os.access(p, os.R_OK):
        raise InputError("is not readable (permission denied)", p)
    return p
