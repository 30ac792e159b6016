"""Write plain NumPy arrays as NetCDF-4 without importing xarray (or pandas).

``device simulate`` writes one small profiles file; importing xarray (which imports pandas)
to do so costs about 0.3 s of CPU, a fifth of the command (issue 17). This writer calls
h5netcdf directly, as xarray's h5netcdf backend does for float arrays: global attributes,
then the dimensions, then each variable (data variables, then coordinates) with
``_FillValue`` NaN, zlib level 4 for data variables of one or more dimensions and contiguous
coordinates; attribute values are encoded as :func:`nctransport.io.netcdf.save_netcdf`
encodes them. The result reads back with ``xarray.open_dataset`` as the Dataset that
``save_netcdf`` would have written (tests/io/test_netcdf_arrays.py), and is written the same
safe way: serialised to memory, then written atomically with plain Python I/O.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.io.atomic import check_target_file, write_bytes
from nctransport.limits import check_memory

#: (dimension names, values, attributes) of one variable.
Variable = tuple[tuple[str, ...], np.ndarray, Mapping[str, Any]]


def encodable_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as NetCDF stores them: None dropped, bools as ints, dicts as JSON text."""
    out = {}
    for k, v in attrs.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, dict):
            v = json.dumps(v, sort_keys=True)
        out[k] = v
    return out


def save_netcdf_arrays(
    path: str | Path,
    data_vars: Mapping[str, Variable],
    coords: Mapping[str, Variable],
    attrs: Mapping[str, Any] | None = None,
    *,
    compress: bool = True,
) -> Path:
    """Write float ``data_vars`` and dimension ``coords`` (1-D, named after their dimension)."""
    import h5netcdf

    variables = {**data_vars, **coords}
    for name, (dims, values, _) in variables.items():
        if np.asarray(values).dtype.kind != "f" or np.ndim(values) != len(dims):
            raise TypeError(f"{name}: save_netcdf_arrays writes float arrays matching their dims")
    for name, (dims, _, _) in coords.items():
        if dims != (name,):
            raise ValueError(f"coordinate {name!r} must be 1-D along its own dimension")
    sizes: dict[str, int] = {}
    for name, (dims, values, _) in variables.items():
        for d, n in zip(dims, np.shape(values), strict=True):
            if sizes.setdefault(d, n) != n:
                raise ValueError(f"{name}: dimension {d!r} has length {n}, elsewhere {sizes[d]}")
    check_target_file(path)  # before serialising: a device or an input is never replaced
    nbytes = sum(np.asarray(v).nbytes for _, v, _ in variables.values())
    check_memory(2 * nbytes, "NetCDF output (serialised in memory)")
    buffer = io.BytesIO()
    with h5netcdf.File(buffer, "w", invalid_netcdf=False, decode_vlen_strings=True) as f:
        for k, v in encodable_attrs(dict(attrs or {})).items():
            f.attrs[k] = v
        f.dimensions = dict(sizes)  # in order of first use, as xarray sets them
        for name, (dims, values, var_attrs) in variables.items():
            kwargs: dict[str, Any] = {}
            if compress and name not in coords and len(dims) >= 1:
                kwargs = {"compression": "gzip", "compression_opts": 4}
            var = f.create_variable(
                name, dimensions=dims, dtype=np.asarray(values).dtype, fillvalue=np.nan, **kwargs
            )
            for k, v in encodable_attrs(dict(var_attrs)).items():
                var.attrs[k] = v
            var[...] = values
    write_bytes(path, buffer.getbuffer())
    return Path(path)
