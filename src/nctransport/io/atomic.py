"""Atomic output: write to a temporary file in the target directory, then rename.

A crash (or Ctrl-C, or SIGKILL) never leaves half a result under the final name, and a failed
write (disk full, file-size limit, read-only or unwritable folder) leaves no temporary file
behind: it becomes one :class:`~nctransport.errors.OutputError` that names the target.
Targets that are not regular files (a directory, a device such as ``/dev/full``, a FIFO) and
files that are inputs of the running job (:func:`nctransport.io.output.is_protected_input`)
are refused before anything is written; they are never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nctransport.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp gives 0600

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EFBIG: "file too large (a file-size limit, e.g. ulimit -f, was reached)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a parent is not a directory",
    errno.EISDIR: "is a directory",
    errno.ENAMETOOLONG: "file name too long",
}


def output_error(exc: OSError, path: str | Path) -> OutputError:
    """A one-line :class:`OutputError` naming ``path`` for an OSError met while writing it.

    >>> str(output_error(OSError(28, "No space left on device"), "out/x.nc"))
    'out/x.nc: cannot write: no space left on the device'
    """
    reason = _REASONS.get(exc.errno) or (exc.strerror or str(exc) or type(exc).__name__).lower()
    return OutputError(f"cannot write: {reason}", path)


def check_target_file(path: str | Path) -> Path:
    """Refuse a file target that exists but is not a regular file, or that is an input.

    >>> check_target_file("/dev/full")
    Traceback (most recent call last):
    ...
    nctransport.errors.OutputError: /dev/full: exists and is not a regular file (a character device); it is never replaced
    """  # noqa: E501
    from nctransport.io.output import file_kind, is_protected_input

    final = Path(path)
    if str(path).strip() == "":
        raise OutputError("the output file name is empty")
    try:
        st = os.stat(final)
    except FileNotFoundError:
        return final
    except OSError as exc:
        raise output_error(exc, final) from None
    kind = file_kind(st.st_mode)
    if kind != "regular":
        raise OutputError(f"exists and is not a regular file ({kind}); it is never replaced", final)
    if is_protected_input(final):
        raise OutputError("is an input of this job; inputs are never overwritten", final)
    return final


#: Paths created by the running job, newest last (``None``: nobody is keeping track).
_JOURNAL: list[Path] | None = None


def record_created(path: str | Path) -> None:
    """Note a file or folder this job created, for :func:`rollback_on_error`."""
    if _JOURNAL is not None:
        _JOURNAL.append(Path(path))


@contextlib.contextmanager
def rollback_on_error() -> Iterator[None]:
    """On an exception, remove every file (and then empty folder) created inside the block.

    Files that existed before are never touched (they were replaced atomically or not at
    all), so a failed job leaves no partial output. The CLI wraps each command in it
    (except resumable ones such as ``sweep``).
    """
    global _JOURNAL
    outer, _JOURNAL = _JOURNAL, []
    journal = _JOURNAL
    try:
        yield
    except BaseException:
        for p in reversed(journal):
            with contextlib.suppress(OSError):
                if p.is_dir() and not p.is_symlink():
                    p.rmdir()  # only when empty
                else:
                    p.unlink()
        journal.clear()
        raise
    finally:
        _JOURNAL = outer
        if outer is not None:
            outer.extend(journal)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def make_dirs(folder: str | Path) -> Path:
    """``mkdir -p`` that records each folder it creates (see :func:`rollback_on_error`)."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not os.path.lexists(probe) and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    for p in reversed(missing):
        record_created(p)
    return folder


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary keeps the final suffix so libraries that pick a format by extension
    (matplotlib, h5netcdf) behave the same. Any OSError while writing becomes an
    :class:`OutputError` naming ``path``; the temporary is always removed.
    """
    final = check_target_file(path)
    existed = os.path.lexists(final)
    try:
        make_dirs(final.parent)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{final.name}.",
            suffix=suffix if suffix is not None else final.suffix,
            dir=final.parent,
        )
        os.close(fd)
    except OSError as exc:
        raise output_error(exc, final) from None
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, _FILE_MODE)
            check_target_file(final)  # nothing slipped in under the name meanwhile
            os.replace(tmp_path, final)
            if not existed:
                record_created(final)
        except OSError as exc:
            raise output_error(exc, final) from None
    finally:
        if tmp_path.exists():
            _unlink_quietly(tmp_path)


def write_bytes(path: str | Path, data: bytes | bytearray | memoryview) -> Path:
    """Atomically write ``data`` to ``path`` with plain Python I/O (errors surface cleanly)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"))
