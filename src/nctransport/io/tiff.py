"""TIFF image stacks (tifffile): ``(t, y, x)`` stacks, or a 2D ``(t, x)`` line-scan map.

A 3D series (frames, rows, columns) is a stack; a 2D image is read as a map whose rows are
times and columns positions. Singleton axes are dropped; colour samples and several
channels are refused. Frame times and pixel size come, in this order of precedence, from

1. ``--times`` (``start:step`` or ``start:stop:count`` with units, e.g. ``0ns:0.1ns``) and
   ``--pixel`` (``50nm``);
2. OME-XML: ``Pixels`` ``TimeIncrement``/``TimeIncrementUnit`` (schema default s) and
   ``PhysicalSizeX``/``Y`` with ``...Unit`` (schema default um);
3. ImageJ hyperstack metadata: ``finterval`` (s, or ``tunit``) and the X/YResolution tags
   (pixels per ``unit``).

Frame times of a 2D map come only from ``--times`` (file metadata time frames, not rows).
Whatever is still unknown is a :class:`~nctransport.errors.UnitError` naming the option
to pass. Frame ``i`` is at ``start + i * step``; shift time zero with ``--t0``.
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import InputError, ResourceError, UnitError
from nctransport.io.options import ReadOptions
from nctransport.io.output import check_input_path
from nctransport.limits import check_memory
from nctransport.units import conversion_factor, parse_quantity

__all__ = ["read_tiff", "parse_times"]

_FRAME_AXES = set("TZIQ")  # tifffile's letters for time, depth, generic image, unknown
_IMAGEJ_UNITS = {"micron": "um", "microns": "um", "\\u00b5m": "um", "µm": "um", "μm": "um"}


def _time_value(text: str, what: str, path: Path) -> float:
    t = text.strip()
    try:
        if float(t) == 0.0:  # zero is zero in every unit
            return 0.0
    except ValueError:
        pass
    try:
        return parse_quantity(t, "s", name=what)
    except UnitError as exc:
        raise UnitError(f"--times: {exc.message}", path) from None


def _checked_times(t: np.ndarray, text: str, path: Path) -> np.ndarray:
    """Frame times must be finite and strictly increasing (not lost to rounding)."""
    with np.errstate(all="ignore"):
        ok = bool(np.all(np.isfinite(t))) and (t.size < 2 or bool(np.all(np.diff(t) > 0)))
    if not ok:
        raise UnitError(
            f"--times {text!r}: frame times are not finite and strictly increasing", path
        )
    return t


def parse_times(text: str, n: int, path: Path) -> np.ndarray:
    """Frame times in s from ``start:step`` or ``start:stop:count`` (units required).

    >>> parse_times("0ns:0.5ns", 3, Path("a.tif")).tolist()
    [0.0, 5e-10, 1e-09]
    >>> (parse_times("1ps:3ps:3", 3, Path("a.tif")) * 1e12).round(9).tolist()
    [1.0, 2.0, 3.0]
    """
    parts = str(text).split(":")
    if len(parts) == 2:
        start = _time_value(parts[0], "start", path)
        step = _time_value(parts[1], "step", path)
        if step == 0:
            raise UnitError(f"--times {text!r}: the step is zero", path)
        if not step > 0:
            raise UnitError(f"--times {text!r}: the step must be positive", path)
        with np.errstate(all="ignore"):  # overflow is reported by _checked_times
            t = start + step * np.arange(n)
        return _checked_times(t, text, path)
    if len(parts) == 3:
        start = _time_value(parts[0], "start", path)
        stop = _time_value(parts[1], "stop", path)
        try:
            count = int(parts[2])
        except ValueError:
            raise UnitError(
                f"--times {text!r}: count {parts[2]!r} is not an integer", path
            ) from None
        if count != n:
            raise InputError(f"--times {text!r} gives {count} frame times, the file has {n}", path)
        if n > 1 and not stop > start:
            raise UnitError(f"--times {text!r}: stop must come after start", path)
        with np.errstate(all="ignore"):
            t = np.linspace(start, stop, n)
        return _checked_times(t, text, path)
    raise UnitError(
        f"--times {text!r}: expected start:step or start:stop:count, e.g. 0ns:0.1ns", path
    )


def _pixel(text: str, path: Path) -> float:
    try:
        size = parse_quantity(text, "m", name="--pixel")
    except UnitError as exc:
        raise UnitError(exc.message, path) from None
    if not size > 0:
        raise UnitError(f"--pixel {text!r} must be positive", path)
    return size


def _ome(xml: str) -> dict[str, Any]:
    """Time step (s) and pixel sizes (m) stated in OME-XML, where present."""
    out: dict[str, Any] = {}
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return out
    pixels = next((el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return out
    a = pixels.attrib
    # Defaults from the OME schema: lengths in um, TimeIncrement in s.
    if "TimeIncrement" in a:
        out["step"] = float(a["TimeIncrement"]) * conversion_factor(
            a.get("TimeIncrementUnit", "s"), "s", name="OME TimeIncrementUnit"
        )
    for ax in ("X", "Y"):
        if f"PhysicalSize{ax}" in a:
            unit = a.get(f"PhysicalSize{ax}Unit", "um")
            out[ax] = float(a[f"PhysicalSize{ax}"]) * conversion_factor(
                _IMAGEJ_UNITS.get(unit, unit), "m", name=f"OME PhysicalSize{ax}Unit"
            )
    return out


def _imagej(meta: dict[str, Any], resolution: tuple[float, float]) -> dict[str, Any]:
    """Frame interval (s) and pixel sizes (m) from ImageJ metadata and resolution tags."""
    out: dict[str, Any] = {}
    finterval = meta.get("finterval")
    if finterval:
        tunit = str(meta.get("tunit", "s")).strip() or "s"
        tunit = {"sec": "s", "msec": "ms", "usec": "us", "nsec": "ns"}.get(tunit, tunit)
        out["step"] = float(finterval) * conversion_factor(tunit, "s", name="ImageJ tunit")
    unit = str(meta.get("unit", "")).strip()
    unit = _IMAGEJ_UNITS.get(unit.lower(), unit)
    if unit and unit.lower() not in ("pixel", "pixels", "none") and all(r > 0 for r in resolution):
        f = conversion_factor(unit, "m", name="ImageJ unit")
        out["X"], out["Y"] = f / resolution[0], f / resolution[1]
    return out


def _squeeze(data: np.ndarray, axes: str, path: Path) -> np.ndarray:
    keep = [
        i for i, (ax, n) in enumerate(zip(axes, data.shape, strict=True)) if n > 1 or ax in "YX"
    ]
    kept_axes = "".join(axes[i] for i in keep)
    data = data.reshape([data.shape[i] for i in keep])
    if "S" in kept_axes or "C" in kept_axes:
        raise InputError(
            f"image has several channels or colour samples (axes {axes!r}, shape "
            f"{tuple(data.shape)}); save one channel as a grey-scale stack",
            path,
        )
    frame_axes = [ax for ax in kept_axes if ax not in "YX"]
    if len(frame_axes) > 1 or not all(ax in _FRAME_AXES for ax in frame_axes):
        raise InputError(
            f"cannot read axes {axes!r} (shape {tuple(data.shape)}) as (t, y, x)", path
        )
    return data


def read_tiff(path: Path, opts: ReadOptions) -> xr.Dataset:
    """Read a TIFF stack (or 2D line-scan map); see the module docstring for the axes.

    Raises
    ------
    InputError
        Unreadable/truncated TIFF, colour or multi-channel images.
    UnitError
        Frame times or pixel size neither given nor stated in OME/ImageJ metadata.
    """
    path = check_input_path(path)  # regular files only: a FIFO would block
    import tifffile

    log = logging.getLogger("tifffile")  # it logs oddities itself; we raise one error
    old_disabled, log.disabled = log.disabled, True
    try:
        with tifffile.TiffFile(path) as tif:
            if not tif.series:
                raise InputError("TIFF holds no image", path)
            series = tif.series[0]
            # Compressed TIFFs can inflate enormously: estimate before decoding.
            count = math.prod(int(n) for n in series.shape)
            check_memory(
                count * (np.dtype(series.dtype).itemsize + 3 * 8),
                f"{path}: decoding its {tuple(series.shape)} image",
            )
            data = np.asarray(series.asarray())
            axes = series.axes
            ome = _ome(tif.ome_metadata) if tif.is_ome and tif.ome_metadata else {}
            ij = tif.imagej_metadata if tif.is_imagej else None
            page = tif.pages.first
            resolution = tuple(float(r) for r in page.resolution)
    except (InputError, ResourceError):
        raise
    except UnitError as exc:
        raise UnitError(exc.message, path) from None
    except Exception as exc:  # tifffile raises many types on truncated or garbage files
        raise InputError(f"not a readable TIFF ({type(exc).__name__}: {exc})", path) from None
    finally:
        log.disabled = old_disabled
    meta_ij: dict[str, Any] = {}
    if ij:
        try:
            meta_ij = _imagej(ij, resolution)  # type: ignore[arg-type]
        except UnitError as exc:
            raise UnitError(exc.message, path) from None
    if data.dtype.kind not in "biuf":
        raise InputError(f"pixel type {data.dtype} is not a real number", path)
    data = _squeeze(data, axes, path)
    attrs: dict[str, str] = {}
    if data.ndim == 3:
        n = data.shape[0]
        if opts.times:
            t, attrs["frame_times_from"] = parse_times(opts.times, n, path), "--times"
        elif "step" in ome:
            t, attrs["frame_times_from"] = ome["step"] * np.arange(n), "OME TimeIncrement"
        elif "step" in meta_ij:
            t, attrs["frame_times_from"] = meta_ij["step"] * np.arange(n), "ImageJ finterval"
        else:
            raise UnitError(
                "frame times unknown (no OME/ImageJ time metadata); pass --times "
                "START:STEP with units, e.g. --times 0ns:0.1ns",
                path,
            )
    elif data.ndim == 2:
        if not opts.times:
            raise UnitError(
                "a 2D TIFF is read as a (t, x) map whose rows are times; pass --times "
                "START:STEP with units, e.g. --times 0ns:0.1ns",
                path,
            )
        t, attrs["frame_times_from"] = parse_times(opts.times, data.shape[0], path), "--times"
    else:
        raise InputError(f"expected a 2D or 3D image, got shape {tuple(data.shape)}", path)
    if opts.pixel:
        px = py = _pixel(opts.pixel, path)
        attrs["pixel_size_from"] = "--pixel"
    else:
        source = ome if "X" in ome else meta_ij
        px, py = source.get("X"), source.get("Y")
        if px is None or (data.ndim == 3 and py is None):
            raise UnitError(
                "pixel size unknown (no OME/ImageJ calibration); pass --pixel, e.g. --pixel 50nm",
                path,
            )
        attrs["pixel_size_from"] = "OME PhysicalSize" if source is ome else "ImageJ resolution"
    attrs["pixel_size"] = opts.pixel.strip() if opts.pixel else f"{px!r} m"
    from nctransport.dataset import AXIS_LIMIT

    extent = max(px, py) * max(data.shape[-2:])
    if not extent <= AXIS_LIMIT:  # 1e308 m pixels overflow the axes (a RuntimeWarning)
        where = "--pixel" if opts.pixel else f"the pixel size ({attrs['pixel_size_from']})"
        raise UnitError(
            f"{where}: the image would span {extent:.3g} m, beyond the plausible range "
            f"(<= {AXIS_LIMIT:g} m); check its unit",
            path,
        )
    x = px * np.arange(data.shape[-1])
    coords: dict[str, np.ndarray] = {"t": t}
    if data.ndim == 3:
        coords["y"] = py * np.arange(data.shape[1])
    coords["x"] = x
    return make_dataset(
        data.astype(float),
        coords,
        signal_units=opts.signal_units or "arb",
        signal_name="intensity",
        attrs=attrs,
        path=str(path),
    )
