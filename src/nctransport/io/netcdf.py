"""NetCDF (HDF5, via h5netcdf) reader and writer: the lossless native format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nctransport import _xarray_compat
from nctransport.dataset import SIGNAL, make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io.atomic import check_target_file, write_bytes
from nctransport.io.netcdf_arrays import encodable_attrs  # one rule for both writers
from nctransport.limits import check_memory

_xarray_compat.install()

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8) == _HDF5_MAGIC


def _local_scheduler() -> Any:
    """``dask.config.set(scheduler="synchronous")`` when dask is loaded, else a no-op."""
    import contextlib
    import sys

    dask = sys.modules.get("dask")
    if dask is None:
        return contextlib.nullcontext()
    import dask.config

    return dask.config.set(scheduler="synchronous")


def _netcdf_bytes(ds: xr.Dataset, encoding: dict) -> bytes:
    """The bytes ``ds.to_netcdf(None, engine="h5netcdf", encoding=...)`` returns, for a
    dataset of NumPy arrays, written through xarray's h5netcdf store directly: the same
    file, without ``to_netcdf`` asking dask which scheduler runs (that import of dask and
    dask.distributed costs ~0.4 s of CPU per command that writes a NetCDF file)."""
    import io

    from xarray.backends import H5NetCDFStore
    from xarray.backends.locks import HDF5_LOCK

    try:  # the checks to_netcdf makes first (names, attribute types), where xarray has them
        from xarray.backends.writers import _validate_attrs, _validate_dataset_names
    except ImportError:  # pragma: no cover - another xarray layout
        pass
    else:
        _validate_dataset_names(ds)
        _validate_attrs(ds, "h5netcdf", False)
    buf = io.BytesIO()
    # The process-wide HDF5 lock: no scheduler-dependent write lock for an in-memory file.
    store = H5NetCDFStore.open(buf, mode="w", invalid_netcdf=False, lock=HDF5_LOCK)
    try:
        ds.dump_to_store(store, encoding=encoding)
    finally:
        store.close()
    return buf.getvalue()


def save_netcdf(ds: xr.Dataset, path: str | Path, *, compress: bool = True) -> Path:
    """Write ``ds`` to ``path`` atomically (h5netcdf engine, zlib compression)."""
    ds = ds.copy()
    ds.attrs = encodable_attrs(dict(ds.attrs))
    for name in ds.variables:
        ds[name].attrs = encodable_attrs(dict(ds[name].attrs))
    encoding = {}
    if compress:
        for name, var in ds.data_vars.items():
            if var.ndim >= 1 and np.issubdtype(var.dtype, np.number):
                encoding[name] = {"zlib": True, "complevel": 4}
    check_target_file(path)  # before serialising: a device or an input is never replaced
    check_memory(2 * ds.nbytes, "NetCDF output (serialised in memory)")
    # Serialised to memory, then written with plain Python I/O: HDF5 writing straight to a
    # full disk (or past ``ulimit -f``) crashes the process instead of raising an error.
    if any(v.chunks is not None for v in ds.variables.values()):
        # Inside a dask.distributed worker xarray would guard the in-memory file with a
        # distributed lock named after the BytesIO object, which the scheduler rejects.
        with _local_scheduler():
            data = ds.to_netcdf(None, engine="h5netcdf", encoding=encoding, invalid_netcdf=False)
    else:
        data = _netcdf_bytes(ds, encoding)
    write_bytes(path, data)
    return Path(path)


def _read_deflated(path: Path, raw: xr.Dataset) -> np.ndarray | None:
    """The ``signal`` variable of an open file read chunk by chunk and inflated here, or None
    when it is not a plain float array compressed by deflate alone (xarray reads it then).

    Same values as xarray's read (a NaN ``_FillValue`` masks nothing), for less CPU time:
    HDF5's own chunk pipeline cost ~0.15 s more CPU on a 200 x 512 x 512 stack (issue 17), and
    it leaves ~25 MB of freed decompression buffers behind. Inflated by ISA-L (the ``isal``
    package) where it is installed: 0.27 s instead of zlib's 0.48 s for that stack.
    """
    import math
    import zlib

    import h5py

    try:
        from isal.isal_zlib import decompress as inflate
        from isal.isal_zlib import error as inflate_error
    except ImportError:  # pragma: no cover - isal is a dependency; zlib does the same
        inflate, inflate_error = zlib.decompress, zlib.error

    var = raw.get(SIGNAL)
    if var is None:
        return None
    enc = var.encoding
    fill = enc.get("_FillValue")
    if (
        var.dtype.kind != "f"
        or enc.get("dtype") != var.dtype
        or not var.dtype.isnative
        or any(k in enc or k in var.attrs for k in ("scale_factor", "add_offset", "missing_value"))
        or (fill is not None and not np.isnan(fill))
    ):
        return None
    try:
        with h5py.File(path, "r") as f:
            dset = f.get(SIGNAL)
            if not isinstance(dset, h5py.Dataset) or dset.shape != var.shape or not dset.chunks:
                return None
            dcpl = dset.id.get_create_plist()
            filters = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
            n_chunks = math.prod(-(-n // c) for n, c in zip(dset.shape, dset.chunks, strict=True))
            if filters != [h5py.h5z.FILTER_DEFLATE] or dset.id.get_num_chunks() != n_chunks:
                return None  # other filters, or unwritten chunks (fill values)
            chunks, dtype, dsid = dset.chunks, dset.dtype, dset.id  # h5py properties: once
            out = np.empty(dset.shape, dtype=dtype)
            size = math.prod(chunks)
            for sel in dset.iter_chunks():
                mask, data = dsid.read_direct_chunk(tuple(s.start for s in sel))
                if mask:  # a filter was skipped for this chunk
                    return None
                block = np.frombuffer(inflate(data), dtype=dtype)
                if block.size != size:
                    return None
                edge = tuple(slice(0, s.stop - s.start) for s in sel)
                out[sel] = block.reshape(chunks)[edge]  # edge chunks are padded
            return out
    except (OSError, ValueError, zlib.error, inflate_error):
        return None


def read_netcdf(path: Path) -> xr.Dataset:
    """Read a NetCDF/HDF5 file written by nctransport (or any with a ``signal`` variable)."""
    from nctransport.errors import ResourceError
    from nctransport.io.output import check_input_path

    path = check_input_path(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf", phony_dims="sort") as raw:
            # Opening is lazy: a 2 MB file of compressed zeros can declare 32 GB of arrays.
            # Their size (and the float64 copies made below) is checked before they inflate.
            try:
                check_memory(3 * raw.nbytes, "loading its arrays (decompressed, with copies)")
            except ResourceError as exc:
                raise ResourceError(exc.message, path) from None
            signal = _read_deflated(path, raw)
            if signal is None:
                ds = raw.load()
            else:  # the other (small) variables through xarray
                ds = raw.drop_vars([SIGNAL]).load()
                ds[SIGNAL] = xr.Variable(raw[SIGNAL].dims, signal, raw[SIGNAL].attrs)
    except ResourceError:
        raise
    except Exception as exc:
        raise InputError(f"not a readable NetCDF/HDF5 file ({type(exc).__name__})", path) from None
    if SIGNAL not in ds:
        # Accept a single data variable under another name.
        candidates = [
            v
            for v in ds.data_vars
            if set(ds[v].dims) <= {"t", "x", "y", "V", "wavelength", "energy"}
        ]
        if len(candidates) != 1:
            raise InputError("no 'signal' variable (and no single obvious data variable)", path)
        ds = ds.rename({candidates[0]: SIGNAL})
    from nctransport.io import check_quantity_text, screen_metadata

    screen_metadata(dict(ds.attrs), path)
    sig = ds[SIGNAL]
    coords = {}
    for d in sig.dims:
        if d not in ds.coords:
            raise InputError(f"axis {d!r} has no coordinate values", path)
        coords[d] = ds[d].values
        unit = ds[d].attrs.get("units")
        if unit is None:
            raise InputError(f"axis {d!r} has no 'units' attribute", path)
        from nctransport.dataset import AXIS_UNITS
        from nctransport.units import conversion_factor

        check_quantity_text(str(unit), f"axis {d}", path)
        try:
            factor = conversion_factor(unit, AXIS_UNITS.get(d, unit), name=f"axis {d}")
        except UnitError as exc:  # re-raised with the file named
            raise UnitError(exc.message, path) from None
        coords[d] = np.asarray(coords[d], dtype=float) * factor
    out = make_dataset(
        sig.values,
        coords,
        signal_units=sig.attrs.get("units", "arb"),
        signal_name=sig.attrs.get("long_name", "signal"),
        attrs={k: v for k, v in ds.attrs.items() if k != "kind"},
        path=str(path),
    )
    # Keep any extra variables (per-state MSD, fit parameters...) untouched.
    for name in ds.data_vars:
        if name != SIGNAL:
            out[name] = ds[name]
    return out
