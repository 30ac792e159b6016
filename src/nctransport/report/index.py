"""An ``index.html`` that links a set of reports (the demo's front page, a sweep's overview).

Links are relative to the index, so the folder can be moved or archived as a whole; every
text comes through Jinja2's autoescape.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     d = pathlib.Path(tmp)
...     _ = (d / "analyze").mkdir()
...     _ = (d / "analyze" / "report.html").write_text("<html></html>")
...     p = write_index(d, [IndexEntry("analyze map", d / "analyze" / "report.html",
...                                    summary="D = 0.012 cm²/s")])
...     'href="./analyze/report.html"' in p.read_text()
True
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nctransport.io.atomic import write_text
from nctransport.report.html import _ENV, _css, _href


@dataclasses.dataclass(frozen=True)
class IndexEntry:
    """One line of an index.

    Attributes
    ----------
    title
        What the step did (``"analyze: TPLM map"``).
    report
        Path of its ``report.html`` (``None`` when it produced none, e.g. it failed).
    summary
        One line: the headline number(s). A result object (with ``summary_rows()``) may be
        given instead; its own rows make the line.
    status
        ``"ok"``, ``"failed"``, ``"interrupted"`` or ``"skipped"``.
    error
        The error line of a failed step.
    seconds
        Wall time of the step.
    command
        The command line that reproduces it.
    python
        The Python call that reproduces it (shown with ``command`` under "Reproduce").
    """

    title: str
    report: Path | None = None
    summary: Any = ""
    status: str = "ok"
    error: str | None = None
    seconds: float | None = None
    command: str | None = None
    python: str | None = None


def _as_entry(e: IndexEntry | Mapping[str, Any]) -> IndexEntry:
    if isinstance(e, IndexEntry):
        return e
    fields = {f.name for f in dataclasses.fields(IndexEntry)}
    return IndexEntry(**{k: v for k, v in e.items() if k in fields})


def write_index(
    out_dir: str | Path,
    entries: Sequence[IndexEntry | Mapping[str, Any]],
    *,
    title: str = "nctransport reports",
    description: str | None = None,
    total_seconds: float | None = None,
    name: str = "index.html",
) -> Path:
    """Write ``out_dir/index.html`` linking every entry's report; return its path.

    Parameters
    ----------
    out_dir
        Folder of the index; report links are made relative to it.
    entries
        :class:`IndexEntry` objects (or mappings with the same keys), in display order.
        An entry whose report does not exist is listed without a link.
    title, description
        Heading and one paragraph under it.
    total_seconds
        Wall time of the whole run, shown in the header.
    name
        File name of the index.
    """
    from nctransport import __version__

    out = Path(out_dir)
    rows = []
    for entry in map(_as_entry, entries):
        href = None
        if entry.report is not None and Path(entry.report).exists():
            href = _href(Path(entry.report), out)
        row = {f.name: getattr(entry, f.name) for f in dataclasses.fields(IndexEntry)}
        if not isinstance(row["summary"], str):
            from nctransport.report.summary import summarize

            row["summary"] = summarize(row["summary"])
        rows.append({**row, "href": href})
    html = _ENV.get_template("index.html.j2").render(
        title=title,
        description=description,
        version=__version__,
        created=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        css=_css(),
        entries=rows,
        n_ok=sum(r["status"] == "ok" for r in rows),
        n_failed=sum(r["status"] != "ok" for r in rows),
        total_seconds=total_seconds,
    )
    return write_text(out / name, html)
