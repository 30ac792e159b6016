"""The report of a simulation (kmc/result.py): its figure is SVG drawn without matplotlib,
dense series are binned for display only, and PNG is drawn by matplotlib on request."""

from __future__ import annotations

import base64
import re
import struct

import nctransport as nct
from nctransport.kmc.result import _block_mean


def _png_size(svg: str) -> tuple[int, int]:
    """(width, height) in pixels of the one PNG image embedded in ``svg``."""
    (data,) = re.findall(r'href="data:image/png;base64,([^"]+)"', svg)
    return struct.unpack(">II", base64.b64decode(data)[16:24])


def _lines(svg: str) -> list[str]:
    """The ``d`` of every drawn line (legend samples excluded)."""
    return re.findall(r'<path d="([^"]*)" stroke="[^"]*" [^>]*stroke-linejoin="round"', svg)


def test_simulation_report_is_svg_without_matplotlib(tmp_path, write_without_matplotlib):
    # 1001 frames: the map image and the MSD and population curves are binned to 400
    # rows / points for display; simulation.nc keeps every frame.
    setup = (
        "r = nct.simulate('random-walk', seed=3, particles=200, duration='2ns',"
        " frame_interval='2ps')"
    )
    names = write_without_matplotlib(setup, tmp_path / "svg")
    assert "simulation.svg" in names and not any(n.endswith(".png") for n in names)
    svg = (tmp_path / "svg" / "simulation.svg").read_text()
    width, height = _png_size(svg)
    assert height == 400 and width >= 2  # 1001 frames averaged into 400 rows
    lines = _lines(svg)
    assert len(lines) == 4  # MSD of exciton, all, emission; excitons per pulse
    assert all(d.count("L") == 399 for d in lines)  # 400 binned points each
    assert "per-axis MSD (nm²)" in svg and "signal (1/s)" in svg  # colour bar label
    ds = nct.load(tmp_path / "svg" / "simulation.nc")
    assert ds.sizes["t"] == 1001


def test_simulation_png_on_request(tmp_path):
    s = nct.simulate("random-walk", seed=3, particles=200, duration="0.3ns")
    names = {p.name for p in s.write(tmp_path, figure_formats=("png",))}
    assert "simulation.png" in names and "simulation.svg" not in names
    svg = s._figures(backend="svg")[0][2].to_svg()
    assert len(_lines(svg)) == 4 and _png_size(svg)[1] == s.times.size  # nothing binned
    ax = s.plot_msd()
    assert len(ax.get_lines()) == 3


def test_block_mean_keeps_short_axes_and_averages_long_ones():
    import numpy as np

    img = np.arange(20.0).reshape(10, 2)
    t, out = _block_mean(np.arange(10.0), img, axis=0, n_max=5)
    assert t.tolist() == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert out[:, 0].tolist() == [1.0, 5.0, 9.0, 13.0, 17.0]
    t2, out2 = _block_mean(np.arange(10.0), img, axis=0, n_max=10)
    assert out2 is img and t2.size == 10
