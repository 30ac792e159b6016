"""NumPy ``.npz`` archives: arrays ``signal`` and the axes, with unit strings beside them.

Layout: ``signal`` plus its axes among ``t``, ``x``, ``y``, ``V``, ``wavelength``,
``energy``; each axis ``A`` has a unit string ``A_unit`` (``t_unit="ps"``). The axes of
``signal`` follow from its dimensionality: 3D ``(t, y, x)``, 2D ``(t, x)`` or ``(t,
wavelength|energy)``, 1D the single axis stored. An optional string array ``dims``
(``"t,x"``) states them explicitly. ``signal_units``/``signal_name`` are optional strings;
metadata is either a JSON object in a string array ``metadata`` or further scalar arrays
(``temperature="10 K"``). Files are opened with ``allow_pickle=False``: object arrays are
refused, never unpickled.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import AXIS_UNITS, make_dataset
from nctransport.errors import InputError, NctransportError
from nctransport.io import axis_to_si, screen_metadata
from nctransport.io.options import ReadOptions
from nctransport.io.output import check_input_path

__all__ = ["read_npz"]

_RESERVED = {"signal", "dims", "metadata", "signal_units", "signal_unit", "signal_name"}


def _npy_header(fh) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    return tuple(int(n) for n in shape), np.dtype(dtype)


def check_npz_memory(path: Path) -> int:
    """Refuse an archive whose arrays would need more memory than the cap, *before* inflating.

    The estimate reads only the zip directory and each ``.npy`` header (a few hundred bytes
    are decompressed): the larger of the declared uncompressed size and shape x itemsize per
    array, plus three float64 copies of every array (the conversion to float and the
    dataset built from it). A 500 kB archive of zeros that would inflate to gigabytes is
    refused here, without allocating them. Returns the estimate in bytes.
    """
    import math

    from nctransport.limits import check_memory

    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            raw, count = info.file_size, info.file_size
            if info.filename.endswith(".npy"):
                with zf.open(info) as fh:
                    try:
                        shape, dtype = _npy_header(fh)
                    except (ValueError, SyntaxError, TypeError, EOFError) as exc:
                        raise InputError(
                            f"array {info.filename[:-4]!r} has a corrupt header ({exc})", path
                        ) from None
                count = math.prod(shape)
                raw = max(raw, count * dtype.itemsize)
            total += raw + 3 * 8 * count
    check_memory(total, f"{path}: loading its decompressed arrays")
    return total


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        check_npz_memory(path)  # before anything is inflated
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except NctransportError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise InputError(
                "holds object (pickled) arrays, which are not loaded for safety; "
                "store numbers and plain strings only",
                path,
            ) from None
        raise InputError(f"not a readable .npz archive ({exc})", path) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, TypeError) as exc:
        reason = str(exc) or type(exc).__name__
        raise InputError(
            f"not a readable .npz archive (truncated or corrupt: {reason})", path
        ) from None
    except Exception as exc:  # zlib.error, struct.error, NotImplementedError (compression)...
        raise InputError(
            f"not a readable .npz archive ({type(exc).__name__}: {exc})", path
        ) from None


def _string(arr: np.ndarray, name: str, path: Path) -> str:
    """A scalar (or one-element) string array as ``str``."""
    a = np.asarray(arr)
    if a.size != 1 or a.dtype.kind not in "US":
        raise InputError(f"array {name!r} must be a single string, got {a.dtype} {a.shape}", path)
    v = a.reshape(()).item()
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"array {name!r} is not UTF-8 text", path) from None
    return str(v)


def _dims(arrays: dict[str, np.ndarray], ndim: int, path: Path) -> tuple[str, ...]:
    if "dims" in arrays:
        text = _string(arrays["dims"], "dims", path)
        dims = tuple(d.strip() for d in text.replace(";", ",").split(",") if d.strip())
        if len(dims) != ndim:
            raise InputError(f"'dims' names {len(dims)} axes but 'signal' is {ndim}D", path)
        return dims
    present = [a for a in AXIS_UNITS if a in arrays]
    if ndim == 3:
        return ("t", "y", "x")
    if ndim == 2:
        second = [a for a in ("x", "wavelength", "energy") if a in present]
        if len(second) > 1:
            raise InputError(
                f"2D 'signal' with several candidate axes {second}; add 'dims' (e.g. 't,x')", path
            )
        return ("t", second[0] if second else "x")
    if ndim == 1:
        if len(present) != 1:
            raise InputError(
                "1D 'signal' needs exactly one axis array (t, V, wavelength or energy), "
                f"found {present or 'none'}",
                path,
            )
        return (present[0],)
    raise InputError(f"'signal' is {ndim}D; expected 1D, 2D (t, x) or 3D (t, y, x)", path)


def _scalar_meta(value: np.ndarray) -> Any:
    if value.dtype.kind in "US":
        v = value.reshape(()).item()
        return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    if value.dtype.kind in "biuf":
        return value.reshape(()).item()
    return None


def read_npz(path: Path, opts: ReadOptions) -> xr.Dataset:
    """Read an ``.npz`` archive (layout in the module docstring).

    Parameters
    ----------
    path
        The archive; never modified.
    opts
        ``t_unit``/``x_unit`` for axes without a stored unit (they also win over stored
        units), ``signal_units``.

    Raises
    ------
    InputError, UnitError
        Missing or mis-shaped arrays, object arrays, missing units, corrupt archives.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
    >>> np.savez(p, signal=np.ones((2, 3)), t=[0, 1], x=[0, 1, 2], t_unit="ns", x_unit="um")
    >>> ds = read_npz(p, ReadOptions())
    >>> ds.attrs["kind"], ds.t.values.tolist()
    ('map', [0.0, 1e-09])
    """
    path = check_input_path(path)  # regular files only: a FIFO would block
    arrays = _load_arrays(path)
    if "signal" not in arrays:
        raise InputError(f"no 'signal' array (arrays: {sorted(arrays) or 'none'})", path)
    signal = arrays["signal"]
    if signal.dtype.kind not in "biuf":
        raise InputError(f"'signal' is not a real numeric array (dtype {signal.dtype})", path)
    dims = _dims(arrays, signal.ndim, path)
    coords = {}
    for d in dims:
        if d not in AXIS_UNITS:
            raise InputError(f"unknown axis {d!r} in 'dims'; expected {sorted(AXIS_UNITS)}", path)
        if d not in arrays:
            raise InputError(f"'signal' is over {dims} but there is no {d!r} array", path)
        values = arrays[d]
        if values.dtype.kind not in "biuf":
            raise InputError(f"axis array {d!r} is not numeric (dtype {values.dtype})", path)
        if values.ndim != 1:
            raise InputError(f"axis array {d!r} must be 1D, got shape {values.shape}", path)
        unit = None
        # y_unit is optional: y shares x_unit unless it has its own.
        keys = (f"{d}_unit", f"{d}_units") + (("x_unit", "x_units") if d == "y" else ())
        for key in reversed(keys):
            if key in arrays:
                unit = _string(arrays[key], key, path)
        hint = f"store it as a string array '{d}_unit'"
        coords[d] = values.astype(float) * axis_to_si(d, unit, opts, path, hint=hint)
    signal_units = opts.signal_units
    for key in ("signal_units", "signal_unit"):
        if signal_units is None and key in arrays:
            signal_units = _string(arrays[key], key, path)
    signal_name = (
        _string(arrays["signal_name"], "signal_name", path) if "signal_name" in arrays else "signal"
    )
    meta: dict[str, Any] = {}
    used = set(_RESERVED) | set(AXIS_UNITS)
    used |= {f"{a}_unit" for a in AXIS_UNITS} | {f"{a}_units" for a in AXIS_UNITS}
    for name, value in arrays.items():
        if name in used or value.size != 1 or value.ndim > 1:
            continue
        v = _scalar_meta(value)
        if v is not None:
            meta[name] = v
    if "metadata" in arrays:
        text = _string(arrays["metadata"], "metadata", path)
        try:
            extra = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"'metadata' is not valid JSON ({exc.msg})", path) from None
        except RecursionError:
            raise InputError("'metadata' JSON is nested too deeply", path) from None
        if not isinstance(extra, dict):
            raise InputError("'metadata' must be a JSON object of key: value pairs", path)
        meta.update(
            {
                str(k): v if isinstance(v, int | float | str) else json.dumps(v)
                for k, v in extra.items()
            }
        )
    meta.pop("kind", None)
    screen_metadata(meta, path)
    return make_dataset(
        signal.astype(float),
        coords,
        signal_units=signal_units or "arb",
        signal_name=signal_name,
        attrs=meta,
        path=str(path),
    )
