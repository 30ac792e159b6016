"""Readers and writers. Everything in nctransport reads data through :func:`load`.

The format is chosen by content first (magic bytes) and extension second; each reader
returns a validated dataset (see :mod:`nctransport.dataset`) in SI units and refuses
what it cannot read with a typed :class:`~nctransport.errors.InputError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport.dataset import canonical_key, normalise_metadata
from nctransport.errors import InputError
from nctransport.io.options import ReadOptions
from nctransport.units import parse_quantity

__all__ = ["load", "save", "sha256_of", "ReadOptions", "apply_t0"]

Reader = Callable[[Path, ReadOptions], xr.Dataset]

_OPTION_KEYS = {"t_unit", "x_unit", "times", "pixel", "signal_units"}


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file (read in chunks, never modified)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sniff(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not head:
        raise InputError("file is empty", path)
    if (
        head.startswith(b"\x89HDF\r\n\x1a\n")
        or head.startswith(b"CDF\x01")
        or head.startswith(b"CDF\x02")
    ):
        return "netcdf"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"PQTTTR") or head.startswith(b"PQHISTO"):
        return "picoquant"
    ext = path.suffix.lower()
    by_ext = {
        ".nc": "netcdf",
        ".nc4": "netcdf",
        ".h5": "netcdf",
        ".hdf5": "netcdf",
        ".npz": "npz",
        ".tif": "tiff",
        ".tiff": "tiff",
        ".ptu": "picoquant",
        ".phu": "picoquant",
        ".csv": "csv",
        ".tsv": "csv",
        ".txt": "csv",
        ".dat": "csv",
    }
    if ext in by_ext and by_ext[ext] in ("netcdf", "npz", "tiff", "picoquant"):
        raise InputError(f"content is not a valid {ext} file (truncated or garbage)", path)
    if b"\x00" in head:
        raise InputError("binary content in an unknown format", path)
    return "csv"


def _reader(fmt: str) -> Reader:
    # Imported lazily so `nctransport --version` stays fast and optional readers stay cheap.
    if fmt == "netcdf":
        from nctransport.io.netcdf import read_netcdf

        return lambda p, _o: read_netcdf(p)
    if fmt == "csv":
        from nctransport.io.csv import read_csv

        return read_csv
    if fmt == "npz":
        from nctransport.io.npz import read_npz

        return read_npz
    if fmt == "tiff":
        from nctransport.io.tiff import read_tiff

        return read_tiff
    if fmt == "picoquant":
        from nctransport.io.picoquant import read_picoquant

        return read_picoquant
    raise InputError(f"no reader for format {fmt!r}")


def apply_t0(ds: xr.Dataset, t0_s: float) -> xr.Dataset:
    """Shift the time axis so that ``t0_s`` (seconds, in the file's time frame) becomes 0."""
    if "t" not in ds.dims:
        raise InputError("--t0 given but the data have no time axis")
    out = ds.assign_coords(t=ds.t.values - t0_s)
    out.t.attrs.update(ds.t.attrs)
    out.attrs["t0_shift"] = f"{t0_s!r} s"
    return out


def load(path: str | Path, **overrides: Any) -> xr.Dataset:
    """Read any supported file into a validated dataset.

    Parameters
    ----------
    path
        CSV (wide map, long/tidy, two-column decay or J-V), NPZ, NetCDF/HDF5, TIFF stack,
        PicoQuant PTU/PHU.
    **overrides
        Reader options (``t_unit``, ``x_unit``, ``times``, ``pixel``, ``signal_units``),
        ``t0`` (a quantity string such as ``"1.2ns"``, or seconds as a float), and any
        metadata (``temperature="10K"``) which replaces what the file says.

    Returns
    -------
    xarray.Dataset
        With ``source_file`` and ``source_sha256`` attributes.

    Raises
    ------
    nctransport.errors.InputError, nctransport.errors.UnitError
        With the file named, when the file cannot be read.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", p)
    if p.is_dir():
        raise InputError("is a directory, expected a file", p)
    opts = ReadOptions(**{k: overrides.pop(k) for k in list(overrides) if k in _OPTION_KEYS})
    t0 = overrides.pop("t0", None)
    fmt = _sniff(p)
    ds = _reader(fmt)(p, opts)
    if t0 is not None:
        t0_s = t0 if isinstance(t0, int | float) else parse_quantity(str(t0), "s", name="t0")
        ds = apply_t0(ds, float(t0_s))
    meta = {canonical_key(k): v for k, v in overrides.items() if v is not None}
    if meta:
        ds.attrs.update(normalise_metadata(meta, path=str(p)))
    if "source_file" in ds.attrs and ds.attrs["source_file"] != str(p):
        ds.attrs.setdefault("origin_file", ds.attrs["source_file"])
        ds.attrs.setdefault("origin_sha256", ds.attrs.get("source_sha256", ""))
    ds.attrs["source_file"] = str(p)
    ds.attrs["source_sha256"] = sha256_of(p)
    ds.attrs["source_format"] = fmt
    return ds


def save(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` atomically. ``.nc``/``.h5`` -> NetCDF; ``.csv`` -> wide/two-column CSV."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".nc", ".nc4", ".h5", ".hdf5"):
        from nctransport.io.netcdf import save_netcdf

        return save_netcdf(ds, p)
    if ext == ".csv":
        from nctransport.io.csv import write_csv

        return write_csv(ds, p)
    raise InputError(f"cannot write format {ext!r}; use .nc or .csv", p)


def as_float_array(values: Any, what: str, path: Path) -> np.ndarray:
    """Convert to a float array or raise an InputError naming ``what``."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} is not numeric", path) from None
