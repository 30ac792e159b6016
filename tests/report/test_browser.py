"""Reports rendered in a real (headless Chromium) browser: visible figures, no errors."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.report.index import IndexEntry, write_index

pytestmark = pytest.mark.browser


def _gray(img: np.ndarray) -> np.ndarray:
    return img[..., :3].mean(axis=-1)


def test_report_renders_with_visible_figures_and_no_errors(browser, sample_report):
    page = browser.render(sample_report)
    gray = _gray(page["shot"])
    # Non-blank: a white page has zero variance; text + two figures give plenty.
    assert gray.std() > 0.05, gray.std()
    assert (gray < 0.9).mean() > 0.01
    assert page["errors"] == []
    assert page["console"] == []
    # Self-contained: every embedded resource is a data: URI (nothing to fetch).
    assert len(page["resources"]) == 2
    assert all(r.startswith("data:image/png;base64,") for r in page["resources"])
    # Both figures decoded (PNG at 150 dpi: 900 px wide) and laid out with a real size.
    assert len(page["images"]) == 2
    for img in page["images"]:
        assert img["complete"]
        assert img["w"] == 900 and img["h"] >= 600
        assert img["cw"] > 300 and img["ch"] > 200


def test_index_renders_without_errors(browser, sample_report, tmp_path):
    index = write_index(
        tmp_path,
        [
            IndexEntry("analyze map", sample_report, summary="D = 0.0123 cm²/s", seconds=1.2),
            IndexEntry("device fit", None, status="failed", error="error: jv.csv: no data"),
        ],
        title="demo",
    )
    page = browser.render(index, size="1000,700")
    assert page["errors"] == [] and page["console"] == []
    assert _gray(page["shot"]).std() > 0.02


def test_probe_detects_broken_pages(browser, tmp_path):
    # Negative control: the same checks fail on a broken page, and a blank one is blank.
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<img src="data:image/png;base64,AAAA"><img src="missing.png">'
        "<script>console.error('boom'); notDefined();</script></body></html>"
    )
    got = browser.render(page, size="400,300")
    assert any("boom" in e for e in got["errors"])
    assert any("notDefined" in e for e in got["errors"])
    assert any("missing.png" in e for e in got["errors"])
    assert any("notDefined" in line for line in got["console"])  # the browser's own log
    assert [img["w"] for img in got["images"]] == [0, 0]
    assert not all(r.startswith("data:") for r in got["resources"])
    # Two broken-image icons on white stay well under the positive test's threshold.
    assert _gray(got["shot"]).std() < 0.05


def test_a_real_command_report_renders(browser, tmp_path):
    # The report of an actual `analyze` run on the bundled example map, not a hand-made one.
    from nctransport.cli import main
    from nctransport.commands.demo import BUNDLED_DATA

    out = tmp_path / "analyze"
    assert main(["analyze", str(BUNDLED_DATA / "tplm_map.csv"), "--out", str(out)]) == 0
    page = browser.render(out / "report.html")
    assert page["errors"] == [] and page["console"] == []
    assert len(page["images"]) >= 3  # profiles, MSD, decay
    assert all(i["complete"] and i["w"] > 0 and i["cw"] > 100 for i in page["images"])
    assert all(r.startswith("data:image/") for r in page["resources"])
    assert _gray(page["shot"]).std() > 0.05


def test_a_protocol_result_report_renders_card_first(browser, tmp_path, rng):
    # A fit_model result written through ResultProtocol.write: card, figure, folded tables.
    import nctransport as nct
    from nctransport.dataset import make_dataset

    t = np.arange(-3, 20) * 0.15e-9
    x = (np.arange(81) - 40) * 25e-9
    tp = np.clip(t, 0, None)
    var = (150e-9) ** 2 + 2 * 1e-6 * tp
    lam = 1500 * np.exp(-tp / 2e-9) * (t >= 0) * 150e-9 / np.sqrt(var)
    lam = lam[:, None] * np.exp(-(x[None] ** 2) / (2 * var[:, None])) + 4
    ds = make_dataset(rng.poisson(lam), {"t": t, "x": x}, signal_units="counts")
    nct.fit_model(ds).write(tmp_path / "fit")
    html = (tmp_path / "fit" / "report.html").read_text()
    assert html.index('class="card"') < html.index("<img") < html.index('id="results"')
    page = browser.render(tmp_path / "fit" / "report.html")
    assert page["errors"] == [] and page["console"] == []
    assert len(page["images"]) == 1
    img = page["images"][0]
    assert img["complete"] and img["w"] > 0 and img["cw"] > 300  # laid out, not folded away
    assert _gray(page["shot"]).std() > 0.05
