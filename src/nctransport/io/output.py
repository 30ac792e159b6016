"""The output layer: where results may be written, checked before any computation.

Every command checks its target first (:func:`check_output_dir` for a folder,
:func:`check_output_file` for a single file) and every ``Result.write()`` goes through
:func:`prepare_output_dir`, so a bad target (an empty name, an existing file where a folder
is wanted, a device or FIFO, an unwritable or read-only folder, an input) fails at once with
one line naming the path, before anything is computed. Writes themselves go through
:mod:`nctransport.io.atomic` (temporary file in the target folder, then rename).

Inputs are never overwritten: the inputs a check is given are remembered for the rest of the
job (:func:`protect_inputs`), and the atomic layer refuses to replace any of them, so an
output folder that holds an input (``analyze D/profiles.nc --out D``) can never clobber it.
On the command line every file read through :func:`nctransport.io.load` is protected too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from nctransport.errors import InputError, OutputError

#: (path, st_dev, st_ino) of the inputs of the running job(s).
_PROTECTED: set[tuple[str, int, int]] = set()
#: Whether every file read through ``nctransport.io.load`` is protected (the CLI sets it).
_PROTECT_LOADED = False


def file_kind(mode: int) -> str:
    """``"regular"``, ``"a directory"``, ``"a FIFO"``, ... for an ``st_mode``."""
    if stat.S_ISREG(mode):
        return "regular"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "a special file"


def protect_inputs(paths: Iterable[str | Path]) -> None:
    """Remember ``paths`` as inputs: the atomic layer will refuse to overwrite them."""
    for p in paths:
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(st.st_mode):
            _PROTECTED.add((os.path.abspath(p), st.st_dev, st.st_ino))


def protect_loaded_inputs(on: bool) -> None:
    """Protect every file read through :func:`nctransport.io.load` (the CLI turns this on)."""
    global _PROTECT_LOADED
    _PROTECT_LOADED = bool(on)


def loaded_input(path: str | Path) -> None:
    """Called by :func:`nctransport.io.load` for each file it reads."""
    if _PROTECT_LOADED:
        protect_inputs([path])


def clear_protected_inputs() -> None:
    """Forget the inputs remembered so far (end of a CLI run)."""
    _PROTECTED.clear()


def is_protected_input(path: str | Path) -> bool:
    """Whether ``path`` is (still) the very file of a remembered input."""
    if not _PROTECTED:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    for p, dev, ino in list(_PROTECTED):
        if (st.st_dev, st.st_ino) != (dev, ino):
            continue
        try:
            live = os.stat(p)
        except OSError:
            _PROTECTED.discard((p, dev, ino))  # the input is gone: its inode may be reused
            continue
        if (live.st_dev, live.st_ino) == (dev, ino):
            return True
    return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_distinct(inputs: list[Path]) -> None:
    """The same file given twice (also through a link) would count twice: a global fit or
    repetitions CI over duplicated data is falsely narrow, a trend has a repeated point."""
    seen: dict[tuple[int, int], Path] = {}
    for p in inputs:
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue  # missing inputs are reported by the reader, naming the file
        if not stat.S_ISREG(st.st_mode):
            continue
        first = seen.setdefault((st.st_dev, st.st_ino), p)
        if first is not p:
            raise InputError(f"is given twice (also as {first}); each input counts once", p)


def _check_name(target: str | Path | None, what: str, option: str) -> Path:
    if target is None or str(target).strip() == "":
        raise OutputError(f"the output {what} name is empty", option)
    if "\x00" in str(target):
        raise OutputError(f"the output {what} name contains a NUL byte", option)
    return Path(target)


def _check_writable(out: Path) -> None:
    """The nearest existing ancestor of ``out`` must be a writable directory."""
    probe = out
    while not os.path.lexists(probe):
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        st = os.stat(probe)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"is not a directory ({file_kind(st.st_mode)})", probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        ro = _read_only_fs(probe)
        raise OutputError("is on a read-only file system" if ro else "is not writable", probe)


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def check_output_dir(
    out_dir: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    writes: Iterable[str] = (),
    option: str = "--out",
) -> Path:
    """Refuse an output directory that cannot hold results; return it as a Path.

    Nothing is created. Refused: an empty name, an existing non-directory (a file, a device
    such as ``/dev/full``, a FIFO), a directory (or its nearest existing parent) that is not
    writable or on a read-only file system, a directory that *is* one of the ``inputs``, and
    one where a file named in ``writes`` would replace an input. ``inputs`` are remembered:
    no write of this job may replace them (:func:`protect_inputs`).

    >>> check_output_dir("")
    Traceback (most recent call last):
    ...
    nctransport.errors.OutputError: --out: the output directory name is empty
    """
    out = _check_name(out_dir, "directory", option)
    inputs = [Path(p) for p in inputs]
    _check_distinct(inputs)
    protect_inputs(inputs)
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot be used ({exc.strerror})", out) from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"exists and is not a directory ({file_kind(st.st_mode)})", out)
    for inp in inputs:
        if _same_file(inp, out):
            raise OutputError("is an input; choose another output directory", out)
        for name in writes:
            if _same_file(inp, out / name):
                raise OutputError(
                    f"would overwrite the input {inp}; choose another output directory", out
                )
    _check_writable(out)
    if st is None:  # a folder this job will create: removed again if the job fails
        from nctransport.io.atomic import record_created

        missing, probe = [], out
        while not os.path.lexists(probe) and probe.parent != probe:
            missing.append(probe)
            probe = probe.parent
        for p in reversed(missing):
            record_created(p)
    return out


def check_output_file(
    path: str | Path, *, inputs: Iterable[str | Path] = (), option: str = "output file"
) -> Path:
    """Refuse an output file target before any computation; return it as a Path.

    Refused: an empty name, an existing non-regular file (a directory, a device, a FIFO or
    socket: never replaced), one of the ``inputs`` (``convert a.csv a.csv``), and a folder
    that is not writable. ``inputs`` are remembered (:func:`protect_inputs`).

    >>> check_output_file("/dev/null")
    Traceback (most recent call last):
    ...
    nctransport.errors.OutputError: /dev/null: exists and is not a regular file (a character device); it is never replaced
    """  # noqa: E501
    from nctransport.io.atomic import check_target_file

    target = _check_name(path, "file", option)
    inputs = [Path(p) for p in inputs]
    for inp in inputs:
        if _same_file(inp, target):
            raise OutputError("is an input; inputs are never overwritten", target)
    protect_inputs(inputs)
    check_target_file(target)
    _check_writable(target.parent)
    return target


def prepare_output_dir(
    out_dir: str | Path, *, inputs: Iterable[str | Path] = (), writes: Iterable[str] = ()
) -> Path:
    """:func:`check_output_dir`, then create the directory."""
    from nctransport.io.atomic import make_dirs, output_error

    out = check_output_dir(out_dir, inputs=inputs, writes=writes)
    try:
        make_dirs(out)
    except OSError as exc:
        raise output_error(exc, out) from None
    return out


def check_input_path(path: str | Path, *, allow_dir: bool = False) -> Path:
    """Refuse an input that is missing, unreadable, or not a regular file (a FIFO, a device or
    a socket would block or stream forever); directories only where ``allow_dir``.

    Only ``stat`` is used, which never blocks, so a FIFO is refused at once.

    >>> check_input_path("/dev/null")
    Traceback (most recent call last):
    ...
    nctransport.errors.InputError: /dev/null: not a regular file (a character device)
    """
    if path is None or str(path).strip() == "":
        raise InputError("the input file name is empty")
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("no such file", p) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", p) from None
    kind = file_kind(st.st_mode)
    if kind == "a directory":
        if allow_dir:
            return p
        raise InputError("is a directory, not a file", p)
    if kind != "regular":
        raise InputError(f"not a regular file ({kind})", p)
    if not os.access(p, os.R_OK):
        raise InputError("is not readable (permission denied)", p)
    return p
