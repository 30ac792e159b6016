"""PicoQuant TCSPC files (ptufile): PHU histograms and PTU T3 records.

* **PHU** (histogram mode): each curve is a TCSPC histogram -> a decay ``(t,)`` in counts;
  ``t`` from the curve's resolution ``HistResDscr_MDescResolution`` (or
  ``MeasDesc_Resolution``) in s.
* **PTU, T3 point measurement**: the delay-time histogram of all photons -> a decay.
* **PTU, T3 image scan**: the time-resolved image -> a stack ``(t, y, x)`` with ``t`` the
  TCSPC delay (bins of ``MeasDesc_Resolution``), frames summed, ``x``/``y`` from
  ``ImgHdr_PixResol`` (um, PicoQuant tag dictionary) unless ``--pixel`` is given.

Bin ``i`` covers delays ``[i, i + 1) * resolution``; its coordinate is the bin centre
``(i + 1/2) * resolution``. Delays are measured from the sync pulse, not from the
excitation peak: set time zero with ``--t0``. With several detector channels the one
with the most counts is used (``channel`` attribute says which). The sync (laser
repetition) rate becomes ``rep_rate``. T2 files hold no delay times and are refused.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import InputError, NctransportError, UnitError
from nctransport.io.options import ReadOptions
from nctransport.io.output import check_input_path
from nctransport.limits import check_memory
from nctransport.units import parse_quantity

__all__ = ["read_picoquant"]


def _bin_centres(nbins: int, resolution: float, path: Path) -> np.ndarray:
    if not (np.isfinite(resolution) and resolution > 0):
        raise InputError(f"TCSPC resolution {resolution!r} s is not positive", path)
    return (np.arange(nbins) + 0.5) * resolution


def _pick_channel(counts_per_channel: np.ndarray, channel: int | None, path: Path) -> int:
    if channel is not None:
        if not 0 <= channel < counts_per_channel.size:
            raise InputError(
                f"channel {channel} not in the file ({counts_per_channel.size} channels)", path
            )
        return channel
    return int(np.argmax(counts_per_channel))


def _rep_rate(tags: dict[str, Any], index: int | None = None) -> dict[str, str]:
    rate = None
    per_curve = tags.get("HistResDscr_SyncRate")
    if index is not None and isinstance(per_curve, list) and index < len(per_curve):
        rate = per_curve[index]
    if rate is None:
        rate = tags.get("TTResult_SyncRate")
    if isinstance(rate, int | float) and rate > 0:
        return {"rep_rate": f"{float(rate)!r} Hz"}
    return {}


def _read_phu(path: Path, opts: ReadOptions, channel: int | None) -> xr.Dataset:
    from ptufile import PhuFile

    with PhuFile(path) as phu:
        tags = dict(phu.tags)
        histograms = [np.asarray(h, dtype=float) for h in phu.histograms()]
        default_res = phu.tcspc_resolution
    if not histograms or any(h.size == 0 for h in histograms):
        raise InputError("PHU file holds no histogram data", path)
    n_expected = tags.get("HistResDscr_HistogramBins", [])
    for i, h in enumerate(histograms):
        if i < len(n_expected) and h.size < n_expected[i]:
            raise InputError(f"PHU curve {i} is truncated ({h.size} of {n_expected[i]} bins)", path)
    totals = np.array([h.sum() for h in histograms])
    ch = _pick_channel(totals, channel, path)
    res_list = tags.get("HistResDscr_MDescResolution")
    res = res_list[ch] if isinstance(res_list, list) and ch < len(res_list) else default_res
    attrs = {
        "technique": "TCSPC",
        "channel": ch,
        "n_channels": len(histograms),
        "tcspc_resolution": f"{float(res)!r} s",
        **_rep_rate(tags, ch),
    }
    return make_dataset(
        histograms[ch],
        {"t": _bin_centres(histograms[ch].size, float(res), path)},
        signal_units=opts.signal_units or "counts",
        signal_name="counts",
        attrs=attrs,
        path=str(path),
    )


def _check_records(ptu: Any, path: Path) -> None:
    """Refuse a PTU whose record section is shorter than its header says."""
    bits = int(ptu.tags.get("TTResultFormat_BitsPerRecord", 32) or 32)
    n = int(ptu.tags.get("TTResult_NumberOfRecords", 0))
    size = os.path.getsize(path)
    available = (size - ptu.record_offset) * 8 // bits
    if n > available:
        raise InputError(f"PTU file is truncated: {available} of {n} records present", path)
    if n <= 0 and available <= 0:
        raise InputError("PTU file holds no records", path)


def _pixel_override(opts: ReadOptions, path: Path) -> float | None:
    if not opts.pixel:
        return None
    try:
        pixel = parse_quantity(opts.pixel, "m", name="--pixel")
    except UnitError as exc:
        raise UnitError(exc.message, path) from None
    if not pixel > 0:
        raise UnitError(f"--pixel {opts.pixel!r} must be positive", path)
    return pixel


def _read_ptu(path: Path, opts: ReadOptions, channel: int | None) -> xr.Dataset:
    from ptufile import PtuFile

    with PtuFile(path) as ptu:
        _check_records(ptu, path)
        tags = dict(ptu.tags)
        if not ptu.is_t3:
            raise InputError(
                "T2-mode PTU holds photon arrival times without TCSPC delays; "
                "export a histogram (PHU) or record in T3 mode",
                path,
            )
        res = float(ptu.tcspc_resolution)
        first_channel = min(ptu.active_channels) if ptu.active_channels else 0
        # Delay histogram of every channel, (C, H): cheap, and picks the channel.
        histogram = ptu.decode_histogram(dtype=np.uint64)
        totals = histogram.sum(axis=1)
        ch = _pick_channel(totals, channel, path)
        is_image = ptu.is_image
        image = None
        if is_image:
            # A header can claim any image size: estimate (Y, X, H) before decoding.
            sizes = dict(zip(ptu.dims, ptu.shape, strict=False))
            n = math.prod(int(sizes.get(d, 1)) for d in ("Y", "X", "H"))
            check_memory(n * (4 + 3 * 8), f"{path}: decoding its photon image {sizes}")
            # Frames integrated and one channel decoded, so memory stays (Y, X, H).
            image = ptu.decode_image(frame=-1, channel=ch, dtype=np.uint32, keepdims=False)
        attrs: dict[str, Any] = {
            "technique": "TCSPC",
            "tcspc_resolution": f"{res!r} s",
            "record_type": ptu.record_type.name,
            **_rep_rate(tags),
            "channel": first_channel + ch,
            "n_channels": int(totals.size),
        }
    if not is_image:
        decay = histogram[ch].astype(float)
        return make_dataset(
            decay,
            {"t": _bin_centres(decay.size, res, path)},
            signal_units=opts.signal_units or "counts",
            signal_name="counts",
            attrs=attrs,
            path=str(path),
        )
    if image is None or image.ndim != 3:
        raise InputError(f"unexpected PTU image shape {image.shape}", path)
    cube = np.moveaxis(image, -1, 0).astype(float)  # (Y, X, H) -> (H, Y, X)
    pixel = _pixel_override(opts, path)
    x0 = y0 = 0.0
    if pixel is not None:
        attrs["pixel_size_from"] = "--pixel"
    else:
        pixel_um = tags.get("ImgHdr_PixResol")
        if not (isinstance(pixel_um, int | float) and pixel_um > 0):
            raise UnitError("pixel size unknown (no ImgHdr_PixResol); pass --pixel", path)
        pixel = float(pixel_um) * 1e-6  # ImgHdr_PixResol is in um (PicoQuant tag dictionary)
        x0 = float(tags.get("ImgHdr_X0", 0.0)) * 1e-6
        y0 = float(tags.get("ImgHdr_Y0", 0.0)) * 1e-6
        attrs["pixel_size_from"] = "ImgHdr_PixResol"
    attrs["pixel_size"] = f"{pixel!r} m"
    return make_dataset(
        cube,
        {
            "t": _bin_centres(cube.shape[0], res, path),
            "y": y0 + pixel * np.arange(cube.shape[1]),
            "x": x0 + pixel * np.arange(cube.shape[2]),
        },
        signal_units=opts.signal_units or "counts",
        signal_name="counts",
        attrs=attrs,
        path=str(path),
    )


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """ptufile logs corrupt tags itself; we raise one typed error instead of printing."""
    log = logging.getLogger(name)
    old = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = old


def read_picoquant(path: Path, opts: ReadOptions, *, channel: int | None = None) -> xr.Dataset:
    """Read a PicoQuant PHU histogram or PTU T3 file (see the module docstring).

    Parameters
    ----------
    path
        ``.phu`` or ``.ptu`` file (recognised by its magic bytes).
    opts
        ``pixel`` (overrides ``ImgHdr_PixResol``), ``signal_units`` (default ``counts``).
    channel
        Detector channel index (0 = first channel with photons); default: most counts.

    Raises
    ------
    InputError
        Truncated or garbage files, T2 mode, empty histograms.
    """
    path = check_input_path(path)  # regular files only: a FIFO would block
    with open(path, "rb") as fh:
        magic = fh.read(8)
    try:
        with _quiet_logger("ptufile"):
            if magic.startswith(b"PQHISTO"):
                return _read_phu(path, opts, channel)
            if magic.startswith(b"PQTTTR"):
                return _read_ptu(path, opts, channel)
    except NctransportError:
        raise
    except NotImplementedError as exc:  # e.g. bidirectional sinusoidal scans
        raise InputError(f"PTU layout not supported by ptufile ({exc})", path) from None
    except KeyError as exc:
        raise InputError(
            f"not a readable PicoQuant file: required tag {exc} is missing (corrupt header?)",
            path,
        ) from None
    except Exception as exc:  # ptufile/struct/numpy errors on corrupt files
        detail = f"{type(exc).__name__}: {exc}"[:160]
        raise InputError(
            f"not a readable PicoQuant file: header or records corrupt or truncated ({detail})",
            path,
        ) from None
    raise InputError(f"not a PicoQuant PTU/PHU file (magic bytes {magic!r})", path)
