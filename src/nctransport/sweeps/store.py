"""On-disk layout of a sweep, written so that a kill at any moment loses at most the
points in flight.

``DIR/sweep.json``       the sweep's definition (a resume must match it)
``DIR/points/<id>/``     one finished point: ``point.json``, ``simulation/``, ``analysis/``
``DIR/points/.tmp-*``    a point in flight; renamed onto ``<id>/`` only once complete
``DIR/sweep.csv``        one row per finished point, sorted, rewritten atomically
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError, InputError
from nctransport.io.atomic import write_text

POINT_FILE = "point.json"


class SweepStore:
    """Directory of one sweep."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.points_dir = self.root / "points"
        self.manifest = self.root / "sweep.json"
        self.csv = self.root / "sweep.csv"

    def init(self, definition: Mapping[str, Any]) -> None:
        """Create the layout, or check that an existing one holds the same sweep."""
        self.points_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(definition, indent=2, sort_keys=True) + "\n"
        if self.manifest.exists():
            old = json.loads(self.manifest.read_text())
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
        return json.loads(self.manifest.read_text())

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
        f = self.point_dir(point_id) / POINT_FILE
        if not f.exists():
            return None
        record = json.loads(f.read_text())
        return record if record.get("status") == "ok" else None

    def records(self) -> list[dict[str, Any]]:
        out = []
        for d in sorted(self.points_dir.iterdir()) if self.points_dir.exists() else []:
            f = d / POINT_FILE
            if d.is_dir() and not d.name.startswith(".") and f.exists():
                out.append(json.loads(f.read_text()))
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
