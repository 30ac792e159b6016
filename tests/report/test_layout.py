"""Report layout (issue 17): headline card at the top, figures before tables, long tables
folded, warnings prominent, and a rendering cost that does not grow with the result."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest

from nctransport.report.html import render_report, write_report
from nctransport.results import Estimate, ResultProtocol


class _Outline(HTMLParser):
    """Order of sections/figures/tables, the card's text, and what sits inside <details>."""

    def __init__(self):
        super().__init__()
        self.order: list[str] = []
        self.card: list[str] = []
        self.folded_tables = 0
        self.open_tables = 0
        self._details: list[bool] = []  # open flags of enclosing <details>
        self._in_card = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.order.append(a.get("id", "?"))
        if tag == "img":
            self.order.append("img")
        if tag == "details":
            self._details.append("open" in a)
        if tag == "table":
            if self._details and not all(self._details):
                self.folded_tables += 1
            else:
                self.open_tables += 1
        if tag == "div" and a.get("class") == "card":
            self._in_card = 1
        elif tag == "div" and self._in_card:
            self._in_card += 1

    def handle_endtag(self, tag):
        if tag == "details":
            self._details.pop()
        if tag == "div" and self._in_card:
            self._in_card -= 1

    def handle_data(self, data):
        if self._in_card and data.strip():
            self.card.append(data.strip())


def outline(html: str) -> _Outline:
    o = _Outline()
    o.feed(html)
    return o


@dataclasses.dataclass(frozen=True, eq=False)
class _Result(ResultProtocol):
    d: Estimate
    n_frames: int = 5
    warnings: tuple[str, ...] = ()
    label: str = "D"

    workflow = "demo"

    def to_dict(self) -> dict[str, Any]:
        t = np.arange(self.n_frames) * 1e-10
        return {
            "diffusivity": self.d.to_dict(),
            "frames": [{"t_ns": float(x * 1e9), "sigma_nm": 100.0 + i} for i, x in enumerate(t)],
            "t_s": t,
            "input": {"path": "map<1>.csv", "sha256": "00"},
            "settings": {"window": "0ns:3ns"},
            "warnings": list(self.warnings),
        }

    def summary_rows(self):
        lo, hi = self.d.ci95
        return [(self.label, f"{self.d.value:.4g} {self.d.unit}", f"95% CI [{lo:.4g}, {hi:.4g}]")]

    def _figures(self):
        from nctransport.plotting import new_figure

        fig, ax = new_figure()
        self._plot_default(ax)
        return [("msd", "MSD", fig)]

    def _plot_default(self, ax):
        ax.plot([0, 1], [0, 2 * self.d.value])
        return ax


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout") / "out"
    r = _Result(
        Estimate.from_stderr(0.0123, 0.0003, "cm^2/s", dof=30),
        n_frames=400,
        warnings=("frame 7 excluded: <i>no</i> fit",),
    )
    r.write(out)
    return r, out


def test_card_holds_the_results_own_rows_at_the_top(written):
    r, out = written
    html = (out / "report.html").read_text()
    o = outline(html)
    q, v, n = r.summary_rows()[0]
    assert o.card == [q, v, n]
    # warnings first, then the card, then figures, then the tables
    assert o.order.index("warnings") < o.order.index("headline") < o.order.index("figures")
    assert o.order.index("img") < o.order.index("results")
    assert '<p class="summary">D = 0.0123 cm^2/s (95% CI' in html


def test_long_tables_are_folded_and_truncated(written):
    _, out = written
    html = (out / "report.html").read_text()
    o = outline(html)
    # per-frame records (400 rows), inputs and settings are folded; only a short results
    # table stays open
    assert o.folded_tables >= 3
    assert o.open_tables <= 1
    assert "first 100 shown" in html and "300 more rows in" in html
    assert 'href="./results.json"' in html
    assert html.count("<tr>") < 200


def test_warnings_are_escaped_and_shown(written):
    _, out = written
    html = (out / "report.html").read_text()
    assert "frame 7 excluded: &lt;i&gt;no&lt;/i&gt; fit" in html
    assert "<i>no</i>" not in html
    assert 'class="warnings"' in html


def test_results_json_is_the_to_dict_and_written_once(written):
    r, out = written
    assert json.loads((out / "results.json").read_text())["diffusivity"] == json.loads(
        json.dumps(r.to_dict()["diffusivity"])
    )


def test_hostile_summary_rows_are_text(tmp_path):
    r = _Result(Estimate.from_stderr(1.0, 0.1, "ns"), label="<script>alert(1)</script>")
    r.write(tmp_path, report=True)
    html = (tmp_path / "report.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dict_callers_still_get_a_card(tmp_path):
    results = {"diffusivity": {"value_cm2_s": 0.0512, "ci95_cm2_s": [0.049, 0.053]}}
    html = write_report(tmp_path, title="k", results=results, command="c").read_text()
    assert outline(html).card == ["D = 0.0512 cm²/s (95% CI [0.049, 0.053])"]


def test_rendering_does_not_grow_with_the_result():
    # 20k records and a 200k-element series: the page stays small (capped rows and JSON).
    big = {
        "frames": [{"t_ns": float(i), "sigma_nm": 1.0} for i in range(20_000)],
        "series_s": list(range(200_000)),
    }
    html = render_report(title="big", results=big, command="c")
    small = render_report(title="big", results={"frames": big["frames"][:150]}, command="c")
    assert len(html) < 2 * len(small) + 150_000
    assert "20000 rows, first 100 shown" in html
