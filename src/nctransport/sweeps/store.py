"""On-disk layout of a sweep, written so that a kill at any moment loses at most the
points in flight.

``DIR/sweep.json``       the sweep's definition (a resume must match it)
``DIR/points/<id>/``     one finished point: ``point.json``, ``simulation/``, ``analysis/``
``DIR/points/.tmp-*``    a point in flight; renamed onto ``<id>/`` only once complete
``DIR/sweep.csv``        one row per finished point, sorted, rewritten atomically
``DIR/.sweep.lock``      held (``flock``) by the run using the directory; the kernel releases
                         it when that process ends, even by SIGKILL
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError, InputError, OutputError
from nctransport.io.atomic import write_text

POINT_FILE = "point.json"
LOCK_FILE = ".sweep.lock"


def _read_json(path: Path) -> Any:
    """JSON of ``path``; ValueError (with the reason) when it is not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at line {exc.lineno})") from None


class SweepStore:
    """Directory of one sweep."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.points_dir = self.root / "points"
        self.manifest = self.root / "sweep.json"
        self.csv = self.root / "sweep.csv"
        self.lock_path = self.root / LOCK_FILE
        #: Corrupt point files met while reading (path, reason); they are redone.
        self.corrupt: list[tuple[Path, str]] = []

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's lock; a second run on the same directory is refused at once.

        ``flock`` locks die with their process, so a killed run never leaves the directory
        locked, and a live run's temporary point directories are never removed by another.
        """
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                raise OutputError(
                    f"another sweep (pid {holder}) is running in this directory (lock "
                    f"{LOCK_FILE} held); wait for it to finish or use another --out",
                    self.root,
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

    def init(self, definition: Mapping[str, Any]) -> None:
        """Create the layout, or check that an existing one holds the same sweep."""
        self.points_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(definition, indent=2, sort_keys=True) + "\n"
        if self.manifest.exists():
            old = self.definition()
            if old != json.loads(text):
                raise ConfigError(
                    "holds a different sweep (grid, preset, settings or seed differ); "
                    "use a new --out directory",
                    self.root,
                )
        else:
            write_text(self.manifest, text)

    def definition(self) -> dict[str, Any]:
        if not self.manifest.exists():
            raise InputError("not a sweep directory (no sweep.json)", self.root)
        try:
            data = _read_json(self.manifest)
        except ValueError as exc:
            raise InputError(
                f"corrupt sweep definition: {exc}; remove the directory or use another --out",
                self.manifest,
            ) from None
        if not isinstance(data, dict) or "grid" not in data:
            raise InputError("corrupt sweep definition: not a sweep.json", self.manifest)
        return data

    def clean_partial(self) -> int:
        """Remove points left half-written by a killed run; return how many."""
        stale = [p for p in self.points_dir.glob(".tmp-*") if p.is_dir()]
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)
        return len(stale)

    def point_dir(self, point_id: str) -> Path:
        return self.points_dir / point_id

    def finished(self, point_id: str) -> dict[str, Any] | None:
        """The point's record if it finished successfully, else None."""
        record = self._record(self.point_dir(point_id) / POINT_FILE)
        return record if record is not None and record.get("status") == "ok" else None

    def _record(self, f: Path) -> dict[str, Any] | None:
        """A point record, or None when missing or corrupt (noted in :attr:`corrupt`)."""
        if not f.exists():
            return None
        try:
            record = _read_json(f)
        except (ValueError, OSError) as exc:
            self.corrupt.append((f, str(exc)))
            return None
        if not isinstance(record, dict) or not {"index", "point_id", "status"} <= set(record):
            self.corrupt.append((f, "not a point record"))
            return None
        if record.get("status") == "ok" and not isinstance(record.get("metrics"), dict):
            self.corrupt.append((f, "no metrics"))
            return None
        return record

    def records(self) -> list[dict[str, Any]]:
        out = []
        for d in sorted(self.points_dir.iterdir()) if self.points_dir.exists() else []:
            if d.is_dir() and not d.name.startswith("."):
                rec = self._record(d / POINT_FILE)
                if rec is not None:
                    out.append(rec)
        return sorted(out, key=lambda r: r["index"])

    def write_csv(self, rows: Iterable[Mapping[str, Any]], columns: list[str]) -> Path:
        """Deterministic bytes: fixed column order, ``repr`` floats, '\\n' line ends."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])
        return write_text(self.csv, buf.getvalue())


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)
