"""index.html: every report linked relatively, failures shown with their error line."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from nctransport.report.index import IndexEntry, write_index


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.text.append(data)


def _report(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!DOCTYPE html><title>r</title>")
    return path


def test_links_are_relative_and_resolve(tmp_path):
    out = tmp_path / "demo"
    a = _report(out / "01-analyze" / "report.html")
    b = _report(out / "sims" / "memory dir" / "report.html")  # a space must be quoted
    index = write_index(
        out,
        [
            IndexEntry("analyze", a, summary="D = 0.012 cm²/s", seconds=2.0),
            {"title": "simulate memory", "report": b, "summary": "1000 pulses"},
        ],
        title="nctransport demo",
        total_seconds=3.5,
    )
    assert index == out / "index.html"
    parser = _Links()
    parser.feed(index.read_text())
    assert parser.hrefs == ["./01-analyze/report.html", "./sims/memory%20dir/report.html"]
    from urllib.parse import unquote

    for h in parser.hrefs:
        assert (out / unquote(h)).resolve() in (a.resolve(), b.resolve())
    text = " ".join(parser.text)
    assert "2 of 2 steps succeeded" in " ".join(text.split())
    assert "D = 0.012 cm²/s" in text


def test_failed_step_listed_with_error_and_no_link(tmp_path):
    index = write_index(
        tmp_path,
        [
            IndexEntry(
                "device fit",
                tmp_path / "nope" / "report.html",
                status="failed",
                error="error: jv_250K.csv: <no data>",
            ),
        ],
    )
    html = index.read_text()
    parser = _Links()
    parser.feed(html)
    assert parser.hrefs == []
    assert "error: jv_250K.csv: <no data>" in "".join(parser.text)  # escaped, shown as text
    assert "&lt;no data&gt;" in html
    assert "1 step did not succeed" in html
