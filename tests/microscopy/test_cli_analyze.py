"""``nctransport analyze`` / ``series`` in-process: files written, JSON on stdout, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.io import save
from nctransport.microscopy.synthetic import synthetic_map

D = 0.5e-4
T = np.linspace(-0.5e-9, 3e-9, 36)
X = np.linspace(-1.5e-6, 1.5e-6, 41)


def _map(seed=1, **attrs):
    return synthetic_map(
        T,
        X,
        sigma0=2e-7,
        D=D,
        amplitude=300.0,
        lifetime=3e-9,
        background=5.0,
        noise="poisson",
        seed=seed,
        attrs=attrs,
    )


@pytest.fixture(scope="module")
def nc_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("cli") / "scan.nc"
    save(_map(temperature="300 K"), p)
    return p


def test_analyze_nc_writes_everything_and_json(nc_file, capsys):
    before = nc_file.read_bytes()
    rc = main(
        [
            "analyze",
            str(nc_file),
            "--json",
            "--window",
            "0ns:2.5ns",
            "--temperature",
            "77K",
            "--profile",
            "gaussian",
            "--background",
            "none",
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)  # stdout is pure JSON
    out_dir = nc_file.with_name("scan-analysis")  # default: <stem>-analysis next to the input
    for name in (
        "results.json",
        "msd.csv",
        "profiles.nc",
        "report.html",
        "map.svg",
        "profiles.svg",
        "msd.svg",
        "decay.svg",
    ):
        assert (out_dir / name).is_file(), name
    assert not list(out_dir.glob("*.png"))  # SVG by default, drawn without matplotlib
    assert nc_file.read_bytes() == before  # input untouched
    assert json.loads((out_dir / "results.json").read_text()) == res
    lo, hi = res["diffusivity"]["ci95_cm2_s"]
    assert lo < D * 1e4 < hi
    assert res["diffusivity"]["t_end_ns"] <= 2.5 + 1e-9
    assert res["settings"]["window"] == "0ns:2.5ns" and res["background_mode"] == "none"
    assert res["input"]["path"] == str(nc_file) and len(res["input"]["sha256"]) == 64
    # --temperature overrides the file's 300 K.
    assert res["temperature_K"] == 77.0
    assert res["mobility_cm2_Vs"] == pytest.approx(
        res["diffusivity"]["value_cm2_s"] / 6.6354e-3, rel=1e-3
    )
    csv = (out_dir / "msd.csv").read_text().splitlines()
    assert csv[0] == "t [ns],msd [nm2],err [nm2]"
    assert len(csv) - 1 == len(res["msd"]["t_ns"])
    assert float(csv[2].split(",")[1]) == pytest.approx(res["msd"]["msd_nm2"][1])
    import xarray as xr

    with xr.open_dataset(out_dir / "profiles.nc", engine="h5netcdf") as prof:
        assert "sigma" in prof and prof["sigma"].attrs["units"] == "m"
    html = (out_dir / "report.html").read_text()
    assert res["input"]["sha256"] in html and html.count("data:image/svg+xml;base64") == 4


@pytest.mark.parametrize(
    "args",
    [
        ["--window", "3ns:1ns"],
        ["--window", "0:3"],
        ["--temperature", "300"],
        ["--profile", "lorentz"],
        ["--background", "maybe"],
        ["--snr", "-1"],
        ["--figures", "jpg"],
        ["--figures", "svg,svg"],
    ],
)
def test_bad_options_exit_2_one_line(nc_file, tmp_path, capsys, args):
    rc = main(["analyze", str(nc_file), "--out", str(tmp_path / "x"), *args])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_figures_png_on_request_and_linked_from_the_report(nc_file, tmp_path):
    out = tmp_path / "both"
    assert main(["analyze", str(nc_file), "--out", str(out), "--figures", "png,svg"]) == 0
    for name in ("map", "profiles", "msd", "decay"):
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and svg.is_file()
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4  # each figure shown once, as PNG
    assert "./msd.svg" in html  # the vector copy is linked


def test_analyze_missing_file(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.nc")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_analyze_wide_csv(tmp_path, capsys):
    ds = _map(seed=4)
    p = tmp_path / "wide.csv"
    lines = ["t [ns] \\ x [um]," + ",".join(f"{v * 1e6:.6g}" for v in X)]
    for ti, row in zip(T, ds.signal.values, strict=True):
        lines.append(f"{ti * 1e9:.6g}," + ",".join(f"{v:.0f}" for v in row))
    p.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(p), "--meta", "temperature=10K"]) == 0
    printed = capsys.readouterr().out  # rich table
    assert "D (sigma0 free) [cm2/s]" in printed and "mobility" in printed
    res = json.loads((tmp_path / "wide-analysis" / "results.json").read_text())
    lo, hi = res["diffusivity"]["ci95_cm2_s"]
    assert lo < D * 1e4 < hi
    assert res["temperature_K"] == 10.0


def test_series_by_temperature(tmp_path, capsys):
    files = []
    for i, temp in enumerate(("10 K", "100 K", "300 K")):
        p = tmp_path / f"m{i}.nc"
        save(_map(seed=10 + i, temperature=temp), p)
        files.append(str(p))
    rc = main(["series", *files, "--by", "temperature", "--json", "--out", str(tmp_path / "s")])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert [p["value"] for p in res["points"]] == [10.0, 100.0, 300.0]
    for p in res["points"]:
        assert p["ci95_cm2_s"][0] < D * 1e4 < p["ci95_cm2_s"][1]
    for name in ("series.csv", "series.png", "results.json", "report.html"):
        assert (tmp_path / "s" / name).is_file()
    csv = (tmp_path / "s" / "series.csv").read_text().splitlines()
    assert csv[0].startswith("temperature [K],D [cm2/s]") and len(csv) == 4
    # --values overrides metadata; a wrong count is a one-line error.
    rc = main(
        ["series", *files, "--by", "power", "--values", "1nW,2nW", "--out", str(tmp_path / "s2")]
    )
    assert rc == 2 and "--values" in capsys.readouterr().err
    rc = main(["series", *files, "--by", "power", "--out", str(tmp_path / "s3")])
    assert rc == 2 and "power" in capsys.readouterr().err


def test_analyze_tiff_stack_with_times_and_pixel(tmp_path, capsys):
    import tifffile

    from nctransport.microscopy.synthetic import synthetic_stack

    g = (np.arange(25) - 12) * 1e-7
    ds = synthetic_stack(
        np.arange(11) * 0.2e-9,
        g,
        g,
        sigma0=2e-7,
        D=D,
        amplitude=300.0,
        background=2.0,
        noise="poisson",
        seed=3,
    )
    p = tmp_path / "stack.tif"
    tifffile.imwrite(p, ds.signal.values.astype(np.uint16))
    rc = main(["analyze", str(p), "--times", "0ns:0.2ns", "--pixel", "100nm", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    lo, hi = res["diffusivity"]["ci95_cm2_s"]
    assert lo < D * 1e4 < hi
    assert res["profile"] == "gaussian2d"
    assert res["settings"]["load"] == {"times": "0ns:0.2ns", "pixel": "100nm"}
