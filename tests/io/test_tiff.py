"""TIFF stacks: calibration from --times/--pixel, OME-XML and ImageJ metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from nctransport.dataset import get_quantity
from nctransport.errors import InputError, UnitError
from nctransport.io import load
from nctransport.io.tiff import parse_times


@pytest.fixture
def frames(rng) -> np.ndarray:
    return rng.integers(0, 1000, size=(5, 3, 4)).astype(np.uint16)


def test_imagej_hyperstack_calibration(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "ij.tif"
    # ImageJ: resolution = pixels per `unit`; finterval in s.
    tifffile.imwrite(
        p,
        frames,
        imagej=True,
        resolution=(1 / 0.05, 1 / 0.08),
        metadata={"unit": "um", "finterval": 2e-10, "axes": "TYX"},
    )
    ds = load(p)
    assert ds.attrs["kind"] == "stack"
    np.testing.assert_array_equal(ds.signal.values, frames)
    np.testing.assert_allclose(ds.t.values, np.arange(5) * 2e-10, rtol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.arange(4) * 5e-8, rtol=1e-12)
    np.testing.assert_allclose(ds.y.values, np.arange(3) * 8e-8, rtol=1e-12)
    assert ds.attrs["frame_times_from"] == "ImageJ finterval"


def test_imagej_micron_unit(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "ij.tif"
    tifffile.imwrite(
        p,
        frames,
        imagej=True,
        resolution=(10.0, 10.0),
        metadata={"unit": "micron", "finterval": 1e-9, "axes": "TYX"},
    )
    np.testing.assert_allclose(load(p).x.values, np.arange(4) * 1e-7, rtol=1e-12)


def test_ome_calibration(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "ome.ome.tif"
    tifffile.imwrite(
        p,
        frames,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "TYX",
            "PhysicalSizeX": 40.0,
            "PhysicalSizeXUnit": "nm",
            "PhysicalSizeY": 40.0,
            "PhysicalSizeYUnit": "nm",
            "TimeIncrement": 0.25,
            "TimeIncrementUnit": "ns",
        },
    )
    ds = load(p)
    np.testing.assert_allclose(ds.t.values, np.arange(5) * 0.25e-9, rtol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.arange(4) * 40e-9, rtol=1e-12)
    assert ds.attrs["pixel_size_from"] == "OME PhysicalSize"


def test_plain_tiff_needs_times_and_pixel(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "plain.tif"
    tifffile.imwrite(p, frames, photometric="minisblack")
    with pytest.raises(UnitError, match="--times"):
        load(p)
    with pytest.raises(UnitError, match="--pixel"):
        load(p, times="0ns:0.1ns")
    ds = load(p, times="1ns:0.1ns", pixel="50nm")
    np.testing.assert_allclose(ds.t.values, 1e-9 + np.arange(5) * 1e-10, rtol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.arange(4) * 5e-8, rtol=1e-12)
    np.testing.assert_array_equal(ds.signal.values, frames)
    assert get_quantity(ds, "pixel_size", "nm") == pytest.approx(50, rel=1e-12)


def test_options_win_over_metadata(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "ij.tif"
    tifffile.imwrite(
        p, frames, imagej=True, resolution=(20.0, 20.0),
        metadata={"unit": "um", "finterval": 1.0, "axes": "TYX"},
    )  # fmt: skip
    ds = load(p, times="0ps:3ps", pixel="1um")
    np.testing.assert_allclose(ds.t.values, np.arange(5) * 3e-12, rtol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.arange(4) * 1e-6, rtol=1e-12)


def test_two_dimensional_image_is_a_map(tmp_path: Path, frames: np.ndarray) -> None:
    p = tmp_path / "line.tif"
    tifffile.imwrite(p, frames[0], photometric="minisblack")
    ds = load(p, times="0ps:10ps:3", pixel="200nm")
    assert ds.attrs["kind"] == "map" and ds.signal.dims == ("t", "x")
    np.testing.assert_allclose(ds.t.values, [0, 5e-12, 1e-11], rtol=1e-12)
    np.testing.assert_array_equal(ds.signal.values, frames[0])


def test_parse_times_forms() -> None:
    np.testing.assert_allclose(parse_times("0:2ns", 3, Path("a")), [0, 2e-9, 4e-9], rtol=1e-15)
    np.testing.assert_allclose(
        parse_times("-1ps:1ps:3", 3, Path("a")), [-1e-12, 0, 1e-12], atol=1e-27
    )


@pytest.mark.parametrize(
    ("times", "error", "match"),
    [
        ("0:0.1", UnitError, "no unit"),
        ("0ns:0.1nm", UnitError, "times"),
        ("0ns:0ns", UnitError, "zero"),
        ("0ns:1ns:7", InputError, "the file has 5"),
        ("0ns:1ns:x", UnitError, "integer"),
        ("0ns", UnitError, "start:step"),
    ],
)
def test_bad_times(tmp_path: Path, frames, times: str, error: type, match: str) -> None:
    p = tmp_path / "plain.tif"
    tifffile.imwrite(p, frames, photometric="minisblack")
    with pytest.raises(error, match=match):
        load(p, times=times, pixel="50nm")


def test_bad_pixel(tmp_path: Path, frames) -> None:
    p = tmp_path / "plain.tif"
    tifffile.imwrite(p, frames, photometric="minisblack")
    with pytest.raises(UnitError, match="pixel"):
        load(p, times="0ns:1ns", pixel="50ns")


def test_rgb_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "rgb.tif"
    tifffile.imwrite(p, np.zeros((4, 5, 3), dtype=np.uint8), photometric="rgb")
    with pytest.raises(InputError, match="colour"):
        load(p, times="0ns:1ns", pixel="1um")


def test_truncated_tiff(tmp_path: Path, frames) -> None:
    good = tmp_path / "good.tif"
    tifffile.imwrite(good, frames, photometric="minisblack")
    p = tmp_path / "cut.tif"
    p.write_bytes(good.read_bytes()[:60])
    with pytest.raises(InputError, match="TIFF"):
        load(p, times="0ns:1ns", pixel="1um")
