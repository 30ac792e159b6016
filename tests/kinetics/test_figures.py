"""Report figures of ``nctransport kinetics`` drawn as SVG without matplotlib (issue 17)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nctransport as nct
from nctransport.dataset import make_dataset
from nctransport.kinetics import models as M
from nctransport.kinetics.workflow import MAX_DECAY_POINTS
from nctransport.report.svg import SvgFigure, _Line

SVG = "{http://www.w3.org/2000/svg}"


def _marker_groups(svg: str) -> list[int]:
    """Number of markers in each marker path (one path per marked curve)."""
    root = ET.fromstring(svg)
    return [
        p.get("d", "").count("M")
        for p in root.iter(f"{SVG}path")
        if p.get("stroke") == "none" and p.get("fill", "none") != "none"
    ]


def _curves(svg: str) -> int:
    """Number of drawn data lines (legend samples and axes are drawn otherwise)."""
    return sum(p.get("stroke-linejoin") == "round" for p in ET.fromstring(svg).iter(f"{SVG}path"))


def _imported(stderr: str, name: str) -> bool:
    """Whether ``python -X importtime`` shows ``name`` (or a submodule) imported."""
    return re.search(rf"\|\s+{re.escape(name)}(\.|$)", stderr, re.MULTILINE) is not None


@pytest.fixture
def long_decay(tmp_path, rng):
    """A TCSPC-like decay of 4000 bins (more than a figure draws)."""
    t = np.arange(4000) * 0.008 - 2.0  # ns
    mu = M.exp_sum_gaussian_irf(t, [200.0], [5.0], 0.4, 0.3) + 2
    rows = "".join(f"{a:.4f},{b:d}\n" for a, b in zip(t, rng.poisson(mu), strict=True))
    path = tmp_path / "decay.csv"
    path.write_text("t [ns],counts\n" + rows)
    return path


def test_kinetics_command_draws_svg_without_matplotlib(long_decay, tmp_path):
    # A fresh process, so an import of matplotlib would show in -X importtime.
    out = tmp_path / "out"
    cmd = [sys.executable, "-X", "importtime", "-m", "nctransport", "kinetics", str(long_decay),
           "--model", "exp1", "--out", str(out)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _imported(run.stderr, "nctransport.kinetics")  # the check can see imports
    assert not _imported(run.stderr, "matplotlib")
    assert sorted(p.name for p in out.iterdir()) == [
        "decay_fit.csv", "decay_fit.svg", "report.html", "results.json",
    ]  # fmt: skip
    svg = (out / "decay_fit.svg").read_text()
    # data (positive group means) on the decay panel, every group's residual underneath
    data, resid = _marker_groups(svg)
    assert resid == MAX_DECAY_POINTS and 0.95 * MAX_DECAY_POINTS <= data <= MAX_DECAY_POINTS
    assert _curves(svg) == 2  # the fit and the scaled IRF
    assert "data (means of 4000 bins in 600 groups)" in svg and "IRF (scaled)" in svg
    assert len((out / "decay_fit.csv").read_text().splitlines()) == 4001  # every bin
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/svg+xml;base64,') == 1 and "image/png" not in html
    assert "<code>decay.csv</code>" in html and "No input file" not in html  # Input section


def test_long_decay_is_drawn_as_group_means_with_unit_variance_residuals(long_decay):
    k = nct.fit_decay(long_decay, model="exp1")
    (_, caption, fig), = k._figures(backend="svg")  # fmt: skip
    assert isinstance(fig, SvgFigure) and "600 groups" in caption
    top, bottom = fig.axes
    data, fit, irf = (a for a in top.artists if isinstance(a, _Line))
    edges = np.linspace(0, 4000, 601).round().astype(int)
    means = np.add.reduceat(k.fit.data, edges[:-1]) / np.diff(edges)
    pos = means > 0
    np.testing.assert_allclose(data.y, means[pos])
    t_ns = np.add.reduceat(k.fit.t_s, edges[:-1]) / np.diff(edges) * 1e9
    np.testing.assert_allclose(data.x, t_ns[pos])
    assert top.yscale == "log" and fit.label == "fit" and irf.ls == "--"
    (resid,) = (a for a in bottom.artists if isinstance(a, _Line))
    assert resid.y.size == 600
    # sum / sqrt(n) of unit-variance residuals is unit variance again (a mean would be 1/√6.7)
    assert 0.8 < np.std(resid.y) < 1.25


def test_short_decay_draws_every_bin_and_png_on_request(tmp_path, rng):
    t = np.arange(-2.0, 30.0, 0.08)
    y = rng.poisson(M.exp_sum_gaussian_irf(t, [400.0], [3.0], 0.4, 0.3) + 2)
    k = nct.fit_decay(make_dataset(y, {"t": t * 1e-9}, signal_units="counts"), model="exp1")
    (_, _, fig), = k._figures(backend="svg")  # fmt: skip
    data = next(a for a in fig.axes[0].artists if isinstance(a, _Line))
    assert data.label == "data" and data.y.size == int(np.sum(y > 0))
    written = {p.name for p in k.write(tmp_path / "png", figure_formats=("png",))}
    assert "decay_fit.png" in written and "decay_fit.svg" not in written
    assert (tmp_path / "png" / "decay_fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="backend"):
        k._figures(backend="pdf")


def test_global_fit_amplitudes_as_svg(tmp_path, rng):
    t = np.arange(-1.0, 20.0, 0.1)
    x = np.linspace(-1e-6, 1e-6, 7)
    y = np.linspace(-1e-6, 1e-6, 5)
    b1 = M.exp_sum_gaussian_irf(t, [30.0], [0.7], 0.3, 0.25)
    b2 = M.exp_sum_gaussian_irf(t, [8.0], [4.0], 0.3, 0.25)
    fast = np.exp(-(x**2) / (2 * (0.5e-6) ** 2))
    line = make_dataset(rng.poisson(np.outer(b1, fast) + np.outer(b2, np.ones_like(x)) + 0.2),
                        {"t": t * 1e-9, "x": x}, signal_units="counts")  # fmt: skip
    g = nct.fit_decay(line, model="exp2", global_fit=True)
    names = {p.name for p in g.write(tmp_path / "line")}
    assert {"decay_fit.svg", "amplitudes.svg", "amplitudes.nc"} <= names
    svg = (tmp_path / "line" / "amplitudes.svg").read_text()
    assert _marker_groups(svg) == [7, 7]  # one curve of 7 positions per component
    assert _curves(svg) == 2 and svg.count("tau = ") == 2
    stack = np.outer(b1, np.ones(x.size * y.size)) + np.outer(b2, np.ones(x.size * y.size))
    ds = make_dataset(rng.poisson(stack.reshape(t.size, y.size, x.size) + 0.2),
                      {"t": t * 1e-9, "y": y, "x": x}, signal_units="counts")  # fmt: skip
    g2 = nct.fit_decay(ds, model="exp2", global_fit=True)
    figs = {name: fig for name, _, fig in g2._figures(backend="svg")}
    maps = figs["amplitudes"].to_svg()
    assert maps.count("<image") == 2 and maps.count("<linearGradient") == 2  # map + colour bar
    assert maps.count("y (µm)") == 2
