"""Figure style: labelled axes with units, log axes, colour-blind palette, PNG + SVG."""

from __future__ import annotations

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nctransport.plotting import (
    OKABE_ITO,
    axis_label,
    label_axes,
    log_axes,
    mark_spans,
    new_figure,
    new_fit_figure,
    pretty_unit,
    save_figure,
)


@pytest.mark.parametrize(
    ("unit", "text"),
    [
        ("nm^2", "nm$^2$"),
        ("cm2/s", "cm$^2$/s"),
        ("cm2/(V s)", "cm$^2$/(V s)"),
        ("m-3", "m$^{-3}$"),
        ("um", "µm"),
        ("us", "µs"),
        ("uJ/cm2", "µJ/cm$^2$"),
        ("1e-14cm2", "1e-14cm$^2$"),  # a scientific exponent is not a power
        ("ns", "ns"),
    ],
)
def test_pretty_unit(unit, text):
    assert pretty_unit(unit) == text


def test_labels_name_quantity_and_unit():
    fig, ax = new_figure()
    label_axes(ax, x=("time", "ns"), y=("J", "A/m2"), title="J-V")
    assert ax.get_xlabel() == "time (ns)"
    assert ax.get_ylabel() == "J (A/m$^2$)"
    assert ax.get_title() == "J-V"
    assert axis_label("slope", None) == "slope"
    plt.close(fig)


def test_palette_is_okabe_ito_with_distinct_line_styles():
    fig, ax = new_figure()
    lines = [ax.plot([0, 1], [i, i + 1])[0] for i in range(4)]
    assert [ln.get_color().lower() for ln in lines] == [c.lower() for c in OKABE_ITO[:4]]
    assert len({ln.get_linestyle() for ln in lines}) == 4
    plt.close(fig)


def test_log_axes_and_spans():
    fig, ax = new_figure()
    ax.plot([1e-3, 1.0, 10.0], [1.0, 10.0, 100.0])
    ax.plot([0.0, 1.0], [-1.0, 2.0])  # non-positive values are masked, not an error
    log_axes(ax, x=True, y=True)
    mark_spans(ax, [(1e-3, 0.1), (0.1, 10.0)], ["sub", "normal"])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [p.get_label() for p in ax.patches] == ["sub", "normal"]
    fig.canvas.draw()
    plt.close(fig)


def test_fit_figure_shares_x_and_has_zero_line():
    fig, (top, bottom) = new_fit_figure()
    assert top.get_shared_x_axes().joined(top, bottom)
    assert any(np.allclose(ln.get_ydata(), 0.0) for ln in bottom.get_lines())
    plt.close(fig)


def test_save_figure_writes_png_and_svg_reproducibly(tmp_path):
    def make():
        fig, ax = new_figure(figsize=(4.0, 3.0))
        ax.plot([0, 1, 2], [0, 1, 4], "o-")
        label_axes(ax, x=("V", "V"), y=("J", "A/m2"))
        return fig

    png, svg = save_figure(make(), tmp_path / "a", "jv", formats=("png", "svg"))
    assert (png.name, svg.name) == ("jv.png", "jv.svg")
    img = mpimg.imread(png)
    assert img.shape[:2] == (450, 600)  # 4 x 3 in at 150 dpi
    assert img[..., :3].std() > 0.01  # not blank
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "J (A/m" in text
    # No dates or random ids: the same figure gives the same bytes.
    png2, svg2 = save_figure(make(), tmp_path / "b", "jv", formats=("png", "svg"))
    assert svg2.read_bytes() == svg.read_bytes()
    assert png2.read_bytes() == png.read_bytes()
    assert not plt.get_fignums()  # saved figures are closed
    assert not list((tmp_path / "a").glob(".*"))  # atomic: no temporaries left


def test_fixed_margin_figure_with_colorbar_saves_in_several_formats(tmp_path):
    # savefig restored the figure's engine as set_layout_engine(None) inside the style's rc
    # context, which turned a fixed-margin figure constrained; the next format then failed.
    fig, ax = new_figure(figsize=(4.0, 3.0))
    fig.set_layout_engine(None)
    fig.subplots_adjust(left=0.15, right=0.9)
    mesh = ax.pcolormesh(np.arange(3.0), np.arange(4.0), np.ones((4, 3)), shading="nearest")
    fig.colorbar(mesh, ax=ax)
    paths = save_figure(fig, tmp_path, "map", formats=("png", "svg", "png"))
    assert [p.name for p in paths] == ["map.png", "map.svg", "map.png"]
    assert fig.get_layout_engine() is None


def test_log_tick_labels_do_not_crowd(tmp_path):
    fig, (a, b) = new_figure(1, 2)
    v = np.geomspace(0.2, 8.0, 20)
    a.loglog(v, v**2)  # x spans ~1.6 decades, one decade label in view
    b.loglog(np.geomspace(1e-3, 10, 20), np.geomspace(1e-3, 10, 20))  # four decades
    save_figure(fig, tmp_path, "log")
    minor_a = a.xaxis.get_minor_formatter()
    assert [minor_a(x) for x in (0.2, 0.3, 0.5, 3.0, 5.0)] == ["0.2", "", "0.5", "", "5"]
    assert a.xaxis.get_major_formatter()(1.0) == "1"
    assert b.xaxis.get_minor_formatter()(0.02) == ""  # decades are labelled: minors stay quiet


def test_decade_labels_need_no_mathtext(tmp_path):
    fig, ax = new_figure()
    ax.loglog(np.geomspace(1e-3, 10, 20), np.geomspace(1e-3, 10, 20))
    save_figure(fig, tmp_path, "decades")
    fmt = ax.yaxis.get_major_formatter()
    assert [fmt(v) for v in (1e-3, 1.0, 10.0)] == ["10⁻³", "10⁰", "10¹"]
    assert "$" not in "".join(t.get_text() for t in ax.get_yticklabels())
