"""PicoQuant PTU/PHU: counts and axes against the histograms the test files were made from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nctransport.dataset import get_quantity
from nctransport.errors import InputError, UnitError
from nctransport.io import load
from nctransport.io.options import ReadOptions
from nctransport.io.picoquant import read_picoquant


def test_t3_image_to_stack(tmp_path: Path, ptu_image) -> None:
    path, data = ptu_image(tmp_path / "img.ptu")
    ds = load(path)
    assert ds.attrs["kind"] == "stack" and ds.signal.dims == ("t", "y", "x")
    # Frames summed, brightest channel (1), delay bins first: (H, Y, X).
    truth = np.moveaxis(data.sum(axis=0)[:, :, 1, :], -1, 0)
    np.testing.assert_array_equal(ds.signal.values, truth)
    assert ds.attrs["channel"] == 1 and ds.attrs["n_channels"] == 2
    # 1 ns bins, coordinate at the bin centre.
    np.testing.assert_allclose(ds.t.values, (np.arange(16) + 0.5) * 1e-9, rtol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.arange(5) * 0.2e-6, rtol=1e-12)
    np.testing.assert_allclose(ds.y.values, np.arange(4) * 0.2e-6, rtol=1e-12)
    assert get_quantity(ds, "rep_rate", "MHz") == pytest.approx(40.0)
    assert ds.signal.attrs["units"] == "counts"


def test_t3_image_pixel_override(tmp_path: Path, ptu_image) -> None:
    path, _ = ptu_image(tmp_path / "img.ptu")
    ds = load(path, pixel="1um")
    np.testing.assert_allclose(ds.x.values, np.arange(5) * 1e-6, rtol=1e-12)


def test_choose_channel_explicitly(tmp_path: Path, ptu_image) -> None:
    path, data = ptu_image(tmp_path / "img.ptu")
    ds = read_picoquant(path, ReadOptions(), channel=0)
    truth = np.moveaxis(data.sum(axis=0)[:, :, 0, :], -1, 0)
    np.testing.assert_array_equal(ds.signal.values, truth)
    with pytest.raises(InputError, match="channel 5"):
        read_picoquant(path, ReadOptions(), channel=5)


def test_t3_point_measurement_to_decay(tmp_path: Path, ptu_image, patch_ptu_tag) -> None:
    src, data = ptu_image(tmp_path / "img.ptu")
    # Same records, declared a point measurement (Measurement_SubMode 0 = oscilloscope).
    path = patch_ptu_tag(src, tmp_path / "point.ptu", "Measurement_SubMode", 0)
    ds = load(path)
    assert ds.attrs["kind"] == "decay"
    np.testing.assert_array_equal(ds.signal.values, data[..., 1, :].sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(ds.t.values, (np.arange(16) + 0.5) * 1e-9, rtol=1e-12)


def test_t2_is_refused(tmp_path: Path, ptu_image, patch_ptu_tag) -> None:
    src, _ = ptu_image(tmp_path / "img.ptu")
    path = patch_ptu_tag(src, tmp_path / "t2.ptu", "Measurement_Mode", 2)
    with pytest.raises(InputError, match="T2"):
        load(path)


def test_phu_histograms_pick_brightest_curve(tmp_path: Path, write_phu) -> None:
    c0 = np.array([0, 5, 100, 50, 25, 12, 6])
    c1 = 3 * c0 + 1
    path = write_phu(tmp_path / "h.phu", [c0, c1], resolution=8e-12, sync_rate=20e6)
    ds = load(path)
    assert ds.attrs["kind"] == "decay"
    np.testing.assert_array_equal(ds.signal.values, c1)
    np.testing.assert_allclose(ds.t.values, (np.arange(7) + 0.5) * 8e-12, rtol=1e-12)
    assert ds.attrs["channel"] == 1
    assert get_quantity(ds, "rep_rate", "Hz") == pytest.approx(20e6)
    assert ds.attrs["technique"] == "TCSPC"


def test_t0_override_on_picoquant(tmp_path: Path, write_phu) -> None:
    path = write_phu(tmp_path / "h.phu", [np.array([1, 10, 5, 2])], resolution=1e-9)
    ds = load(path, t0="1.5ns")
    np.testing.assert_allclose(ds.t.values, [-1e-9, 0, 1e-9, 2e-9], atol=1e-21)


@pytest.mark.parametrize("cut", [30, 200, -4])
def test_truncated_phu(tmp_path: Path, write_phu, cut: int) -> None:
    good = write_phu(tmp_path / "h.phu", [np.arange(50), np.arange(50)])
    bad = tmp_path / "cut.phu"
    bad.write_bytes(good.read_bytes()[:cut])
    with pytest.raises(InputError):
        load(bad)


@pytest.mark.parametrize("cut", [20, 300, -40])
def test_truncated_ptu(tmp_path: Path, ptu_image, cut: int) -> None:
    good, _ = ptu_image(tmp_path / "img.ptu")
    bad = tmp_path / "cut.ptu"
    bad.write_bytes(good.read_bytes()[:cut])
    with pytest.raises(InputError):
        load(bad)


def test_garbage_after_magic(tmp_path: Path, rng) -> None:
    p = tmp_path / "g.ptu"
    p.write_bytes(b"PQTTTR\x00\x00" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="PicoQuant"):
        load(p)


def test_pixel_resolution_missing_needs_pixel(tmp_path: Path, ptu_image) -> None:
    src, _ = ptu_image(tmp_path / "img.ptu")
    raw = bytearray(src.read_bytes())
    off = raw.find(b"ImgHdr_PixResol\x00")
    raw[off : off + 15] = b"ImgHdr_PixResoX"  # hide the tag under another name
    p = tmp_path / "nopix.ptu"
    p.write_bytes(bytes(raw))
    with pytest.raises(UnitError, match="--pixel"):
        load(p)
    assert load(p, pixel="100nm").x.values[1] == pytest.approx(1e-7)


def test_image_size_claimed_by_the_header_is_checked_before_decoding(
    tmp_path: Path, ptu_image, patch_ptu_tag
) -> None:
    from nctransport.errors import NctransportError, ResourceError

    path, _ = ptu_image(tmp_path / "img.ptu")
    big = patch_ptu_tag(path, tmp_path / "big.ptu", "ImgHdr_PixX", 10**6)
    big = patch_ptu_tag(big, tmp_path / "big2.ptu", "ImgHdr_PixY", 10**6)
    with pytest.raises(NctransportError) as info:
        load(big)
    assert "big2.ptu" in str(info.value)
    if isinstance(info.value, ResourceError):
        assert "--max-memory" in str(info.value)
