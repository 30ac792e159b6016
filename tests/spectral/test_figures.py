"""Report figures of ``nctransport spectra`` / ``temperature`` drawn as SVG without
matplotlib (issue 17)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nctransport as nct
from nctransport.dataset import make_dataset
from nctransport.report.svg import _Line, _Mesh
from nctransport.spectral.workflow import MAX_FRAMES_SHOWN, MAX_MAP_ROWS

from .synthetic import redshift_map

SVG = "{http://www.w3.org/2000/svg}"


def _marker_groups(svg: str) -> list[int]:
    """Number of markers in each marker path (one path per marked curve)."""
    return [
        p.get("d", "").count("M")
        for p in ET.fromstring(svg).iter(f"{SVG}path")
        if p.get("stroke") == "none" and p.get("fill", "none") != "none"
    ]


def _curves(svg: str) -> int:
    """Number of drawn data lines (legend samples and axes are drawn otherwise)."""
    return sum(p.get("stroke-linejoin") == "round" for p in ET.fromstring(svg).iter(f"{SVG}path"))


def _error_bars(svg: str) -> int:
    return sum(
        p.get("d", "").count("V")
        for p in ET.fromstring(svg).iter(f"{SVG}path")
        if p.get("stroke-width") == "0.8" and p.get("stroke") not in ("#000000", "#b0b0b0")
    )


def _run_without_matplotlib(*argv: str) -> None:
    """Run the CLI in a fresh process and check that matplotlib was never imported."""
    cmd = [sys.executable, "-X", "importtime", "-m", "nctransport", *argv]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    imported = {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", run.stderr, re.MULTILINE)}
    assert "nctransport.spectral.workflow" in imported  # the check can see imports
    assert not any(name.split(".")[0] == "matplotlib" for name in imported)


def _wide_csv(path, t_s, lam_m, sig):
    lines = ["# temperature: 300 K", "t [ps] \\ wavelength [nm],"
             + ",".join(f"{x * 1e9:.6f}" for x in lam_m)]  # fmt: skip
    lines += [f"{t * 1e12:.6f}," + ",".join(f"{v:.8g}" for v in row)
              for t, row in zip(t_s, sig, strict=True)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def d_vs_t(tmp_path):
    rows = ["T [K],D [cm2/s],err [cm2/s]", "50,0.0049,0.0004", "100,0.0157,0.0010",
            "150,0.0231,0.0015", "200,0.0280,0.0020", "300,0.0340,0.0025"]  # fmt: skip
    path = tmp_path / "d_vs_T.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_spectra_command_draws_svg_without_matplotlib(tmp_path, rng, truth):
    t, lam, sig = redshift_map(rng, truth)
    src = _wide_csv(tmp_path / "ta.csv", t, lam, sig)
    out = tmp_path / "out"
    _run_without_matplotlib("spectra", str(src), "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "peak_energy.svg", "report.html", "results.json", "spectral_map.svg",
    ]  # fmt: skip
    n_valid = json.loads((out / "results.json").read_text())["n_valid_frames"]
    assert n_valid >= t.size - 3
    smap = (out / "spectral_map.svg").read_text()
    assert smap.count("<image") == 1  # the map, one image
    assert "#053061" in smap and "#67001f" in smap  # its colour bar is diverging (RdBu_r)
    assert _marker_groups(smap) == [n_valid] and _curves(smap) == 1  # peaks + shift fit
    assert "photon energy (eV)" in smap and "time (ps)" in smap and "signal (" in smap
    peak = (out / "peak_energy.svg").read_text()
    assert _marker_groups(peak) == [n_valid] and _curves(peak) == 1
    assert _error_bars(peak) > 0 and "exp: ΔE = " in peak and "peak energy (meV)" in peak
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "<code>ta.csv</code>" in html and "No input file" not in html  # Input section


def test_temperature_command_draws_svg_without_matplotlib(tmp_path, d_vs_t):
    out = tmp_path / "out"
    _run_without_matplotlib("temperature", str(d_vs_t), "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html", "results.json", "temperature_D.svg",
    ]  # fmt: skip
    svg = (out / "temperature_D.svg").read_text()
    assert _marker_groups(svg) == [5, 5] and _curves(svg) == 2  # data + fit, two panels
    assert _error_bars(svg) == 10
    assert "temperature (K)" in svg and "1000 / T (1/K)" in svg and svg.count("D (cm²/s)") == 2
    html = (out / "report.html").read_text()
    assert "<code>d_vs_T.csv</code>" in html and "No input file" not in html


def test_temperature_figure_is_log_on_both_panels_and_png_on_request(tmp_path, d_vs_t):
    t = nct.temperature_fit(d_vs_t)
    (_, _, fig), = t._figures(backend="svg")  # fmt: skip
    left, right = fig.axes
    assert left.yscale == right.yscale == "log" and left.xscale == "linear"
    data = next(a for a in right.artists if isinstance(a, _Line) and a.yerr is not None)
    np.testing.assert_allclose(data.x, 1e3 / np.array([50, 100, 150, 200, 300]))
    np.testing.assert_allclose(data.yerr, [0.0004, 0.001, 0.0015, 0.002, 0.0025])
    names = {p.name for p in t.write(tmp_path / "png", figure_formats=("png",))}
    assert "temperature_D.png" in names and "temperature_D.svg" not in names
    assert (tmp_path / "png" / "temperature_D.png").read_bytes()[:4] == b"\x89PNG"


def test_long_spectral_series_are_drawn_binned(rng, truth, tmp_path):
    t, lam, sig = redshift_map(rng, truth, n_t=700)
    ds = make_dataset(sig, {"t": t, "wavelength": lam}, signal_units="dOD", signal_name="dOD",
                      attrs={"temperature": "300 K"})  # fmt: skip
    s = nct.spectra(ds)
    figs = {name: fig for name, _, fig in s._figures(backend="svg")}
    mesh = next(a for a in figs["spectral_map"].axes[0].artists if isinstance(a, _Mesh))
    assert mesh.c.shape == (MAX_MAP_ROWS, lam.size) and mesh.cmap == "RdBu_r"
    assert mesh.vmin == -mesh.vmax == pytest.approx(-np.nanmax(np.abs(s.signal)))
    n_valid = int(s.peaks.valid.sum())
    assert n_valid > MAX_FRAMES_SHOWN
    peak = figs["peak_energy"].to_svg()
    assert _marker_groups(peak) == [MAX_FRAMES_SHOWN]
    assert f"means of {n_valid} frames in {MAX_FRAMES_SHOWN} groups" in peak
    assert len(peak) < 60_000
    names = {p.name for p in s.write(tmp_path / "png", figure_formats=("png",))}
    assert {"spectral_map.png", "peak_energy.png"} <= names


def test_single_spectrum_has_no_report_figure(tmp_path):
    e = np.linspace(1.2, 1.6, 81)
    sig = np.exp(-0.5 * ((e - 1.4) / 0.03) ** 2)
    ds = make_dataset(sig[None, :], {"t": np.array([0.0]), "energy": e}, signal_units="counts")
    s = nct.spectra(ds, mode="pl", temperature="300K")
    assert s._figures(backend="svg") == []
