"""The matplotlib-free SVG figures of reports: ticks, escaping, images, determinism."""

from __future__ import annotations

import base64
import io
import math
import re
import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.report.svg import (
    SvgFigure,
    _tick_labels,
    colormap,
    encode_png,
    linear_ticks,
    log_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"

finite = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(finite, st.floats(1e-9, 1e12))
def test_linear_ticks_are_round_evenly_spaced_and_inside(lo, width):
    hi = lo + max(width, abs(lo) * 1e-6)  # spans down to a millionth of the values
    ticks = linear_ticks(lo, hi)
    span = hi - lo
    assert 2 <= ticks.size <= 12
    assert ticks.min() >= lo - 1e-9 * span and ticks.max() <= hi + 1e-9 * span
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0], rtol=1e-6)
    mantissa = steps[0] / 10.0 ** math.floor(math.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1.0, 2.0, 2.5, 5.0, 10.0)) < 1e-6
    labels, _offset = _tick_labels(ticks, log=False)
    assert len(set(labels)) == len(labels)  # no two ticks read the same


@settings(max_examples=200, deadline=None)
@given(st.floats(-15, 15), st.floats(0.05, 20))
def test_log_ticks_have_at_least_two_distinct_labels(log_lo, decades):
    lo, hi = 10.0**log_lo, 10.0 ** (log_lo + decades)
    major, minor = log_ticks(lo, hi)
    assert major.size >= 2
    assert np.all(major >= lo * (1 - 1e-9)) and np.all(major <= hi * (1 + 1e-9))
    assert not np.isin(minor, major).any()
    labels, _ = _tick_labels(major, log=True)
    assert len(set(labels)) == len(labels)


def test_tick_labels_use_an_offset_for_tiny_values():
    labels, offset = _tick_labels(np.array([0.0, 2e-6, 4e-6]), log=False)
    assert labels == ["0", "2", "4"] and offset == "×10⁻⁶"
    decades = _tick_labels(np.array([1e-3, 1e-2, 1e-1, 1.0]), log=True)[0]
    assert decades == ["10⁻³", "10⁻²", "10⁻¹", "10⁰"]


def test_png_encoder_round_trips_through_an_independent_decoder(rng):
    rgba = rng.integers(0, 256, size=(7, 13, 4), dtype=np.uint8)
    back = mpimg.imread(io.BytesIO(encode_png(rgba)), format="png")
    assert np.array_equal(np.round(back * 255).astype(np.uint8), rgba)


def test_colormap_ends_are_viridis():
    assert colormap(np.array([0.0, 0.5, 1.0])).tolist()[0] == [68, 1, 84]
    assert colormap(np.array([-1.0, 2.0])).tolist() == [[68, 1, 84], [253, 231, 37]]  # clipped


def _figure(label="data"):
    fig = SvgFigure(1, 2, figsize=(8, 3))
    ax, axl = fig.axes
    x = np.linspace(0.0, 3.0, 40)
    ax.plot(x, x**2, "o-", label=label)
    ax.errorbar(x, x, yerr=0.1 + 0 * x, fmt="s", label="with errors")
    ax.axvspan(0.5, 1.0, alpha=0.2, label="window")
    ax.axhline(1.0, color="k", ls="--")
    ax.set_xlabel("t (ns)")
    ax.set_ylabel("MSD (nm²)")
    ax.set_title(label)
    ax.legend()
    axl.plot(x[1:], x[1:] ** 0.8)
    axl.set_xscale("log")
    axl.set_yscale("log")
    return fig


def test_figure_is_well_formed_and_escapes_hostile_labels():
    hostile = "<script>alert(\"x\")</script> & 'q'"
    svg = _figure(label=hostile).to_svg()
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.find(f".//{SVG}script") is None
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert hostile in texts  # shown literally, in the title and the legend
    assert {"t (ns)", "MSD (nm²)"} <= set(texts)


def test_same_figure_gives_the_same_bytes(tmp_path):
    a = _figure().save(tmp_path / "a", "fig")
    b = _figure().save(tmp_path / "b", "fig")
    assert a.read_bytes() == b.read_bytes()
    assert a.name == "fig.svg" and not list((tmp_path / "a").glob(".*"))  # atomic


def test_missing_and_non_positive_values_are_skipped():
    fig = SvgFigure()
    ax = fig.axes[0]
    ax.plot([0.0, 1.0, 2.0, 3.0], [np.nan, -1.0, 10.0, 100.0], "o-")
    ax.set_yscale("log")  # -1 cannot be drawn on a log axis
    ax.plot([np.nan], [np.nan])
    root = ET.fromstring(fig.to_svg())
    paths = " ".join(p.get("d", "") for p in root.iter(f"{SVG}path"))
    assert "nan" not in paths.lower() and "inf" not in paths.lower()


def _image_rows(svg: str) -> np.ndarray:
    href = re.search(r'href="data:image/png;base64,([^"]+)"', svg).group(1)
    return mpimg.imread(io.BytesIO(base64.b64decode(href)), format="png")


def test_uneven_mesh_rows_are_drawn_at_their_place():
    # Three delays 1, 2, 10 ns: with matplotlib's "nearest" shading the cells span
    # [0.5, 1.5], [1.5, 6] and [6, 14]; the last cell is 8 / 13.5 of the image's height.
    fig = SvgFigure()
    ax = fig.axes[0]
    mesh = ax.pcolormesh([0.0, 1.0], [1.0, 2.0, 10.0], np.array([[0, 0], [0.5, 0.5], [1, 1]]))
    fig.colorbar(mesh, ax=ax)
    img = _image_rows(fig.to_svg())
    top = np.round(img[:, 0, :3] * 255).astype(int)  # the image's first column, top down
    yellow = np.all(top == colormap(np.array([1.0]))[0], axis=1)
    assert yellow.mean() == pytest.approx(8 / 13.5, abs=0.01)
    assert yellow[: int(yellow.size * 0.55)].all()  # at the top: y grows upwards


def test_nan_cells_are_transparent():
    fig = SvgFigure()
    fig.axes[0].pcolormesh([0.0, 1.0], [0.0, 1.0], np.array([[np.nan, 1.0], [0.0, 1.0]]))
    img = _image_rows(fig.to_svg())
    assert img[..., 3].min() == 0 and img[..., 3].max() == 1


def test_explicit_colours_do_not_use_up_the_cycle():
    fig = SvgFigure()
    ax = fig.axes[0]
    ax.plot([0, 1], [0, 1], color="k")
    first = ax.plot([0, 1], [1, 0])[0].get_color()
    fresh = SvgFigure().axes[0].plot([0, 1], [1, 0])[0].get_color()
    assert first == fresh


def test_analysis_figures_cost_does_not_grow_with_frames():
    # Issue 17: the MSD figure grew 1.1 ms per frame; binned for display it stays the same.
    import nctransport as nct
    from nctransport.microscopy.analysis_figures import analysis_figures
    from nctransport.microscopy.synthetic import synthetic_map

    x = (np.arange(61) - 30) * 40e-9
    sizes = {}
    for n in (60, 1200):
        t = np.linspace(0, 3e-9, n)
        ds = synthetic_map(t, x, sigma0=2e-7, D=1e-4, amplitude=2e3, lifetime=5e-9,
                           noise="gaussian", noise_sigma=5.0, seed=3)  # fmt: skip
        figs = analysis_figures(nct.analyze(ds), backend="svg")
        assert [name for name, _, _ in figs] == ["map", "profiles", "msd", "decay"]
        sizes[n] = {name: len(fig.to_svg()) for name, _, fig in figs}
        for _, _, fig in figs:
            ET.fromstring(fig.to_svg())
    assert sizes[1200]["msd"] < 1.5 * sizes[60]["msd"] + 20_000


def test_diverging_mesh_takes_vmin_vmax_cmap_and_colorbar_label():
    # The spectral map's call: a signed signal on RdBu_r, symmetric limits, labelled bar.
    fig = SvgFigure()
    ax = fig.axes[0]
    c = np.array([[-1.0, 0.0, 0.5]])
    mesh = ax.pcolormesh([0.0, 1.0, 2.0], [0.0], c, cmap="RdBu_r", vmin=-2.0, vmax=2.0)
    mesh.set_rasterized(True)  # accepted as matplotlib's (a mesh is always one image)
    fig.colorbar(mesh, ax=ax, label="signal (dOD)")
    svg = fig.to_svg()
    img = np.round(_image_rows(svg)[0, :, :3] * 255).astype(int)
    cols = [img[0], img[img.shape[0] // 2], img[-1]]  # one pixel in each cell
    want = colormap(np.array([0.25, 0.5, 0.625]), "RdBu_r")  # (v - vmin) / (vmax - vmin)
    assert np.abs(np.array(cols) - want).max() <= 1
    assert cols[1].tolist() == [247, 247, 247]  # zero is the neutral middle
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "signal (dOD)" in texts and "−2" in texts and "2" in texts  # the fixed limits
    assert 'stop-color="#053061"' in svg and 'stop-color="#fde725"' not in svg


def test_colormap_names():
    assert colormap(np.array([0.0, 1.0]), "RdBu_r").tolist() == [[5, 48, 97], [103, 0, 31]]
    assert colormap(np.array([0.0]), "RdBu").tolist() == [[103, 0, 31]]
    assert colormap(np.array([0.0]), "no such map").tolist() == [[68, 1, 84]]  # viridis


def test_rotated_y_label_clears_wide_tick_labels():
    # A label with descenders ("signal") beside four-digit tick labels: its baseline sits
    # left of the widest tick label by more than the descent (DejaVu digits are 0.64 em).
    fig = SvgFigure()
    ax = fig.axes[0]
    ax.plot([0.0, 1.0], [200.0, 5000.0])
    ax.set_yscale("log")
    ax.set_ylabel("signal")
    root = ET.fromstring(fig.to_svg())
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    tick = texts["5000"]
    size = float(tick.get("font-size"))
    left_of_ticks = float(tick.get("x")) - 4 * 0.636 * size
    label = texts["signal"]
    descent = 0.24 * float(label.get("font-size"))
    assert float(label.get("x")) + descent < left_of_ticks - 1
