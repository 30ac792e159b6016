"""Readers and writers. Everything in nctransport reads data through :func:`load`.

The format is chosen by content first (magic bytes) and extension second; each reader
returns a validated dataset (see :mod:`nctransport.dataset`) in SI units and refuses
what it cannot read with a typed :class:`~nctransport.errors.InputError`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nctransport.errors import InputError, UnitError
from nctransport.io.options import ReadOptions
from nctransport.units import parse_quantity, parse_unit, registry, simple_factor

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr

# NumPy, xarray and the dataset module are imported inside the functions that use them:
# ``nctransport.io.output`` and ``nctransport.io.atomic`` must stay cheap for the CLI.

__all__ = ["load", "save", "sha256_of", "ReadOptions", "apply_t0", "axis_to_si", "axis_of_label"]

Reader = Callable[[Path, ReadOptions], "xr.Dataset"]

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
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text (spreadsheet export)
        return "csv"
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
    import numpy as np

    if "t" not in ds.dims:
        raise InputError("t0 given but the data have no time axis")
    t = np.asarray(ds.t.values, dtype=float) - t0_s
    if t.size > 1:
        # A frame meant to sit at the pulse (t0 given in other units, rounded) must be
        # exactly 0, not -1e-26 s, or it would count as a pre-pulse frame.
        step = float(np.median(np.abs(np.diff(t))))
        t[np.abs(t) < 1e-6 * step] = 0.0
    from nctransport.dataset import _check_axis

    # a huge t0 (1e308 s) rounds every frame to the same time: re-check the shifted axis
    _check_axis("t", t, None)
    out = ds.assign_coords(t=t)
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
    from nctransport.dataset import canonical_key, normalise_metadata
    from nctransport.io.output import check_input_path, loaded_input

    p = check_input_path(path)  # regular files only: a FIFO or device would block forever
    loaded_input(p)
    opts = ReadOptions(**{k: overrides.pop(k) for k in list(overrides) if k in _OPTION_KEYS})
    t0 = overrides.pop("t0", None)
    fmt = _sniff(p)
    ds = _reader(fmt)(p, opts)
    if t0 is not None:
        try:
            t0_s = t0 if isinstance(t0, int | float) else parse_quantity(str(t0), "s", name="t0")
            ds = apply_t0(ds, float(t0_s))
        except (UnitError, InputError) as exc:  # re-raised with the file named
            msg = exc.message if exc.message.startswith(("t0", "--t0")) else f"t0: {exc.message}"
            raise type(exc)(msg, p) from None
    meta = {canonical_key(k): v for k, v in overrides.items() if v is not None}
    screen_metadata(meta, p)
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
    from nctransport.io.output import check_output_file

    p = check_output_file(path)
    ext = p.suffix.lower()
    if ext in (".nc", ".nc4", ".h5", ".hdf5"):
        from nctransport.io.netcdf import save_netcdf

        return save_netcdf(ds, p)
    if ext == ".csv":
        from nctransport.io.csv import write_csv

        return write_csv(ds, p)
    raise InputError(f"cannot write format {ext!r}; use .nc or .csv", p)


#: Names people give the axes in file headers (lower case) -> dataset dim.
AXIS_ALIASES: dict[str, str] = {
    "t": "t",
    "time": "t",
    "delay": "t",
    "delay time": "t",
    "delay_time": "t",
    "x": "x",
    "position": "x",
    "pos": "x",
    "distance": "x",
    "y": "y",
    "v": "V",
    "voltage": "V",
    "bias": "V",
    "wavelength": "wavelength",
    "wl": "wavelength",
    "lambda": "wavelength",
    "\u03bb": "wavelength",
    "energy": "energy",
    "e": "energy",
    "photon energy": "energy",
    "photon_energy": "energy",
}

_DIMENSION_WORD = {
    "t": "a time",
    "x": "a length",
    "y": "a length",
    "V": "a voltage",
    "wavelength": "a length",
    "energy": "an energy",
}
#: Example unit for each axis, used in messages that tell people what to write.
EXAMPLE_UNIT = {"t": "ns", "x": "um", "y": "um", "V": "V", "wavelength": "nm", "energy": "eV"}


def axis_of_label(name: str) -> str | None:
    """Dataset dim for a header name (``"Time"`` -> ``"t"``), or ``None`` if not an axis.

    >>> axis_of_label("Delay time"), axis_of_label("counts")
    ('t', None)
    """
    return AXIS_ALIASES.get(" ".join(str(name).strip().lower().split()))


# pint evaluates powers of plain numbers exactly: "10**10**10" in a header would hang it.
_RUNAWAY_POWER = re.compile(
    r"(\*\*|\^)\s*[-+(]*\s*[\d.]+\s*\)*\s*(\*\*|\^)"  # chained powers a**b**c
    r"|[\d.]\s*\)*\s*(\*\*|\^)\s*[-+(]*\s*\d{3,}"  # number ** (100 or more)
)


def check_quantity_text(text: str, what: str, path: Path) -> None:
    """Refuse unit/quantity text whose evaluation could run away (``10**10**10``)."""
    if len(text) > 200 or _RUNAWAY_POWER.search(text):
        raise UnitError(f"{what}: {text[:40]!r} is not a plausible unit", path)


def screen_metadata(meta: dict[str, Any], path: Path) -> None:
    """Apply :func:`check_quantity_text` to the metadata values that pint will parse."""
    from nctransport.dataset import METADATA_UNITS, canonical_key

    for key, value in meta.items():
        if canonical_key(key) in METADATA_UNITS:
            check_quantity_text(str(value), canonical_key(key), path)


def override_flag(axis: str) -> str:
    """The command-line option that sets the unit of ``axis`` (``--t-unit`` or ``--x-unit``)."""
    return "--t-unit" if axis == "t" else "--x-unit"


def axis_to_si(
    axis: str, file_unit: str | None, opts: ReadOptions, path: Path, *, hint: str
) -> float:
    """Factor taking values of ``axis`` from their stated unit to SI (:data:`AXIS_UNITS`).

    The command-line override (``--t-unit`` for ``t``, ``--x-unit`` for every other axis)
    wins over the unit in the file; with neither, a :class:`UnitError` says how to give
    one (``hint``, e.g. ``"give it in the header as 't [ns]'"``). Never guesses.

    >>> axis_to_si("t", "ns", ReadOptions(), Path("a.csv"), hint="")
    1e-09
    >>> axis_to_si("t", "ns", ReadOptions(t_unit="ps"), Path("a.csv"), hint="")
    1e-12
    """
    from nctransport.dataset import AXIS_UNITS

    flag = override_flag(axis)
    override = opts.t_unit if axis == "t" else opts.x_unit
    if override:
        unit, origin = override, flag
    elif file_unit is not None and str(file_unit).strip():
        unit, origin = str(file_unit).strip(), "the file"
    else:
        raise UnitError(f"axis '{axis}' has no unit; {hint} or with {flag}", path)
    check_quantity_text(unit, f"axis '{axis}'", path)
    target = AXIS_UNITS[axis]
    factor = simple_factor(unit, target)
    if factor is not None:  # ns, um...: no pint needed
        return factor
    try:
        u = parse_unit(unit)
    except UnitError:
        raise UnitError(f"axis '{axis}': unknown unit {unit!r} (from {origin})", path) from None
    try:
        return float(registry().Quantity(1.0, u).to(target).magnitude)
    except Exception:  # pint.DimensionalityError: wrong kind of unit
        raise UnitError(
            f"axis '{axis}': unit {unit!r} (from {origin}) is not {_DIMENSION_WORD[axis]}; "
            f"expected e.g. {EXAMPLE_UNIT[axis]}",
            path,
        ) from None


def as_float_array(values: Any, what: str, path: Path) -> np.ndarray:
    """Convert to a float array or raise an InputError naming ``what``."""
    import numpy as np

    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} is not numeric", path) from None
