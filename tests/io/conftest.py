"""Fixtures for the reader tests: writers of small files with known content.

PicoQuant files are made here, not shipped: T3 image PTUs with ptufile's own writer
(``ptufile.imwrite``), PHU histogram files byte by byte from the unified-tag layout
(32-byte tag id, int32 index, uint32 type code, 8-byte value; ``ptufile.encode_tag``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def file_hash() -> Callable[[Path], str]:
    return sha256


def _phu_bytes(curves: list[np.ndarray], resolution: float, sync_rate: float) -> bytes:
    from ptufile.ptufile import encode_tag

    def header(offsets: list[int]) -> bytes:
        tags = [
            encode_tag("Measurement_Mode", 0),  # histogram mode
            encode_tag("Measurement_SubMode", 0),
            encode_tag("MeasDesc_Resolution", float(resolution)),
            encode_tag("HistoResult_NumberOfCurves", len(curves)),
        ]
        for key, values in (
            ("HistResDscr_HistogramBins", [int(c.size) for c in curves]),
            ("HistResDscr_DataOffset", [int(o) for o in offsets]),
            ("HistResDscr_MDescResolution", [float(resolution)] * len(curves)),
            ("HistResDscr_SyncRate", [int(sync_rate)] * len(curves)),
        ):
            tags += [encode_tag(key, v, i) for i, v in enumerate(values)]
        tags.append(encode_tag("Header_End", None))
        return b"PQHISTO\x00" + b"1.0.00\x00\x00" + b"".join(tags)

    size = len(header([0] * len(curves)))  # offsets are fixed-size Int8 tags
    offsets = list(np.cumsum([size] + [4 * c.size for c in curves[:-1]]))
    body = b"".join(np.asarray(c, dtype="<u4").tobytes() for c in curves)
    return header(offsets) + body


@pytest.fixture(scope="session")
def write_phu() -> Callable[..., Path]:
    """``write_phu(path, curves, resolution=4e-12, sync_rate=80e6)`` -> path."""

    def _write(
        path: Path, curves: list[np.ndarray], resolution: float = 4e-12, sync_rate: float = 80e6
    ) -> Path:
        path.write_bytes(_phu_bytes([np.asarray(c) for c in curves], resolution, sync_rate))
        return path

    return _write


@pytest.fixture(scope="session")
def ptu_image() -> Callable[..., tuple[Path, np.ndarray]]:
    """``ptu_image(path, seed)`` -> (path, histogram (T, Y, X, C, H) written).

    Two frames of 4 x 5 pixels, 2 channels (channel 1 brighter), 16 delay bins of 1 ns,
    40 MHz sync, pixel 0.2 um.
    """
    import ptufile

    def _write(path: Path, seed: int = 0, **kwargs: object) -> tuple[Path, np.ndarray]:
        rng = np.random.default_rng(seed)
        tau = 3.0  # bins
        decay = np.exp(-np.arange(16) / tau)
        lam = np.zeros((2, 4, 5, 2, 16))
        lam[..., 0, :] = 2.0 * decay
        lam[..., 1, :] = 6.0 * decay
        data = rng.poisson(lam).astype(np.uint32)
        data[..., -1] = np.maximum(data[..., -1], 1)  # keep all 16 bins (ptufile trims empty)
        ptufile.imwrite(
            path,
            data,
            global_resolution=1 / 40e6,
            tcspc_resolution=1e-9,
            pixel_resolution=kwargs.pop("pixel_resolution", 0.2),
            **kwargs,
        )
        return path, data

    return _write


@pytest.fixture(scope="session")
def patch_ptu_tag() -> Callable[[Path, Path, str, int], Path]:
    """Copy a PTU, replacing one Int8 tag value (e.g. Measurement_SubMode) in the header."""

    def _patch(src: Path, dst: Path, tag: str, value: int) -> Path:
        raw = bytearray(src.read_bytes())
        offset = raw.find(tag.encode() + b"\x00")
        assert offset >= 0, tag
        raw[offset + 40 : offset + 48] = struct.pack("<q", value)  # 32 id + 4 index + 4 type
        dst.write_bytes(bytes(raw))
        return dst

    return _patch
