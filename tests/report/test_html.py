"""report.html: self-contained, escaped, numbers with units and uncertainties."""

from __future__ import annotations

import base64
import dataclasses
import math
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nctransport.report.html import (
    format_interval,
    format_number,
    format_value_error,
    render_report,
    split_unit,
    write_report,
)


class _Page(HTMLParser):
    """Collects tags, attributes and the text of <td>/<th> cells."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.cells: list[str] = []
        self.pre: list[str] = []
        self._in: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th", "pre", "li", "h1", "title"):
            self._in, self._buf = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._buf)
            (self.pre if tag == "pre" else self.cells).append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


# ------------------------------------------------------------------ number formatting


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (0.012345, 0.00067, "0.01235 ± 0.00067"),
        (2.3456e-11, 1.2e-12, "(2.35 ± 0.12)×10⁻¹¹"),
        (480.3, 12.7, "480 ± 13"),
        (1.0, 0.25, "1.00 ± 0.25"),
        (-3.14159, 0.0123, "-3.142 ± 0.012"),
        (123456.0, 789.0, "(1.2346 ± 0.0079)×10⁵"),
        (5.0, None, "5"),
        (5.0, float("nan"), "5"),
        (None, 0.1, "—"),
    ],
)
def test_value_error_rounds_error_to_two_significant_figures(value, error, text):
    assert format_value_error(value, error) == text


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: abs(v) > 1e-12),
    st.floats(min_value=1e-3, max_value=0.5),
)
def test_value_error_text_round_trips_within_rounding(value, rel):
    # The printed value and error, parsed back, agree with the inputs to the printed precision.
    error = abs(value) * rel
    text = format_value_error(value, error)
    scale = 1.0
    if text.startswith("("):
        body, power = text[1:].split(")×10")
        sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
        scale = 10.0 ** int(power.translate(sup))
    else:
        body = text
    v_txt, e_txt = body.split(" ± ")
    assert math.isclose(float(e_txt) * scale, error, rel_tol=0.06)  # two significant figures
    decimals = len(v_txt.split(".")[1]) if "." in v_txt else 0
    # the value is rounded to the error's last digit, no more, no less
    assert decimals == (len(e_txt.split(".")[1]) if "." in e_txt else 0)
    assert abs(float(v_txt) * scale - value) <= 0.5 * 10.0**-decimals * scale * (1 + 1e-9)


def test_format_number_and_interval():
    assert format_number(0.000123456) == "1.235×10⁻⁴"
    assert format_number(9.99999e-5) == "1×10⁻⁴"
    assert format_number(1234.5) == "1234"  # 4 significant figures, no exponent below 1e5
    assert format_number(4000.0000000001, 3) == "4000"
    assert format_number(12345.6) == "12350"
    assert format_number(True) == "yes"
    assert format_number(7) == "7"
    assert format_interval([0.0118, 0.0129]) == "[0.0118, 0.0129]"


@pytest.mark.parametrize(
    ("key", "base", "unit"),
    [
        ("value_cm2_s", "value", "cm²/s"),
        ("ci95_cm2_s", "ci95", "cm²/s"),
        ("mobility_ci95_m2_Vs", "mobility_ci95", "m²/(V·s)"),
        ("tau_err_ns", "tau_err", "ns"),
        ("peak_fluence_uJ_cm2", "peak_fluence", "µJ/cm²"),
        ("photon_fluence_cm2", "photon_fluence", "cm⁻²"),
        ("events_per_s", "events", "s⁻¹"),
        ("density_m3", "density", "m⁻³"),
        ("activation_eV", "activation", "eV"),
        ("reduced_chi2", "reduced_chi2", ""),
        ("s", "s", ""),
    ],
)
def test_units_come_from_key_suffixes(key, base, unit):
    assert split_unit(key) == (base, unit)


# ------------------------------------------------------------------ the page


def test_report_is_self_contained_and_inlines_figures(sample_report):
    html = sample_report.read_text()
    page = parse(html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    assert "@import" not in html and "url(" not in html
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 2
    for attrs, name in zip(imgs, ("msd.png", "decay.png"), strict=True):
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert (
            base64.b64decode(attrs["src"][len(prefix) :])
            == (sample_report.parent / name).read_bytes()
        )
    # Links (to the PNG/SVG next to the report) are relative and resolve.
    hrefs = [a["href"] for t, a in page.tags if t == "a" and not a["href"].startswith("#")]
    assert hrefs
    for h in hrefs:
        assert h.startswith("./")
        assert (sample_report.parent / h).exists()


def test_report_shows_numbers_units_input_settings_warnings_command(sample_report):
    page = parse(sample_report.read_text())
    cells = page.cells
    # diffusivity row: value, unit and its 95% CI from the paired key
    i = cells.index("diffusivity")
    assert cells[i + 1 : i + 4] == ["0.0123", "cm²/s", "95% CI [0.0118, 0.0129]"]
    assert "1.020 ± 0.030" in cells  # alpha with alpha_err, in the regimes table
    assert "t start (ns)" in cells
    assert "ab" * 32 in cells  # sha256 of the input
    assert "gaussian" in cells
    assert "frame 3 excluded: fit did not converge" in cells
    assert page.pre[-1] == "nctransport analyze data/map.csv --out out"


def test_markup_from_files_is_shown_as_text(sample_report):
    html = sample_report.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    assert "<script>alert(1)</script>" in page.cells  # the text a person sees
    assert "analyze: <b>map</b>.csv" in page.cells  # title, escaped, <b> not a tag
    assert "b" not in [t for t, _ in page.tags]


_HOSTILE = (
    st.text(
        alphabet=st.sampled_from(list("<>&\"'/= abcscriptimgonerror()")) | st.characters(),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=_HOSTILE, warning=_HOSTILE, setting=_HOSTILE)
def test_any_text_from_a_file_round_trips_as_text(meta, warning, setting):
    html = render_report(
        title="t",
        results={"x_ns": 1.0},
        inputs=[{"path": "f.csv", "sha256": "0", "sample": meta}],
        settings={"note": setting},
        warnings=[warning],
        command="nctransport x",
    )
    page = parse(html)
    # Only the template's own tags exist, whatever the text, and the text shows verbatim.
    assert {t for t, _ in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
        "nav", "a", "section", "div", "ul", "li", "table", "thead", "tbody", "tr", "th",
        "td", "details", "summary", "pre", "code", "footer", "span",
    }  # fmt: skip
    norm = [" ".join(c.split()) for c in page.cells]
    for text in (meta, warning, setting):
        assert " ".join(text.split()) in norm


@dataclasses.dataclass(frozen=True)
class _Fit:
    tau_ns: float
    tau_err_ns: float
    converged: bool


def test_dataclass_results_and_top_level_provenance(tmp_path):
    results = {
        "fit": _Fit(2.5, 0.1, True),
        "input": {"path": "decay.csv", "sha256": "cafe"},
        "settings": {"model": "exp1"},
        "nctransport_version": "0",
    }
    p = write_report(tmp_path, title="k", results=results, command="nctransport kinetics x")
    page = parse(p.read_text())
    assert "2.50 ± 0.10" in page.cells
    assert "exp1" in page.cells  # settings taken from results
    assert "cafe" in page.cells  # input taken from results
    assert p == tmp_path / "report.html"
    assert not list(tmp_path.glob(".report.html*"))  # atomic write left no temporary


def test_no_warnings_is_said(tmp_path):
    p = write_report(tmp_path, title="k", results={"a": 1}, command="c")
    assert "No warnings." in p.read_text()


def test_default_command_is_this_process(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["/x/bin/nctransport", "analyze", "my map.csv"])
    p = write_report(tmp_path, title="k", results={})
    assert parse(p.read_text()).pre[-1] == "nctransport analyze 'my map.csv'"


def test_svg_only_figure_is_inlined(tmp_path):
    svg = tmp_path / "f.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    html = Path(write_report(tmp_path, title="k", results={}, figures=[svg], command="c"))
    assert "data:image/svg+xml;base64," in html.read_text()


def test_png_svg_pair_is_shown_once(tmp_path):
    from nctransport.plotting import new_figure, save_figure

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    pair = save_figure(fig, tmp_path, "line", formats=("png", "svg"))
    html = write_report(tmp_path, title="k", results={}, figures=pair, command="c").read_text()
    assert html.count("<img") == 1
    assert "data:image/png;base64," in html


def test_group_key_unit_applies_to_its_numbers(tmp_path):
    results = {
        "diffusion_length_nm": {"sqrt_msd_at_lifetime": 161.9, "sqrt_msd_at_lifetime_err": 6.0}
    }
    page = parse(write_report(tmp_path, title="k", results=results, command="c").read_text())
    i = page.cells.index("sqrt msd at lifetime")
    assert page.cells[i + 1 : i + 3] == ["161.9 ± 6.0", "nm"]
    assert "diffusion length" in page.cells  # the group, named without its unit suffix


def test_wide_figure_spans_the_page(tmp_path):
    from nctransport.plotting import new_figure, save_figure

    fig, _ = new_figure(1, 2, figsize=(10.0, 4.0))
    (png,) = save_figure(fig, tmp_path, "wide")
    html = write_report(tmp_path, title="k", results={}, figures=[png], command="c").read_text()
    assert '<figure class="wide">' in html


def test_value_mapping_under_a_unit_key(tmp_path):
    results = {"sigma_inh_meV": {"value": 49.83, "ci95": [49.6, 50.07], "temperature_K": 300.0}}
    page = parse(write_report(tmp_path, title="k", results=results, command="c").read_text())
    i = page.cells.index("sigma inh")
    assert page.cells[i + 1 : i + 4] == ["49.83", "meV", "95% CI [49.6, 50.07]"]
    j = page.cells.index("temperature")
    assert page.cells[j + 1 : j + 3] == ["300", "K"]


def test_correlations_are_dimensionless(tmp_path):
    results = {"correlations": {"sigma_eV": {"sigma_eV": 1.0, "mu0_m2_Vs": 0.99}}}
    page = parse(write_report(tmp_path, title="k", results=results, command="c").read_text())
    i = page.cells.index("mu0")
    assert page.cells[i + 1 : i + 3] == ["0.99", ""]


def test_headline_summary_is_derived_from_the_results(tmp_path):
    results = {"diffusivity": {"value_cm2_s": 0.0512, "ci95_cm2_s": [0.049, 0.053]}}
    html = write_report(tmp_path, title="k", results=results, command="c").read_text()
    assert '<p class="summary">D = 0.0512 cm²/s (95% CI [0.049, 0.053])</p>' in html
