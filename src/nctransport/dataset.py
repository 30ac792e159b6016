"""The one labelled container for every measurement: an :class:`xarray.Dataset`.

Layout (SI coordinates, ``units`` attribute on every coordinate and on ``signal``):

============  =====================  ===========================================
kind          dims of ``signal``     notes
============  =====================  ===========================================
``map``       ``(t, x)``             line scan vs time (TAM/TPLM)
``stack``     ``(t, y, x)``          image stack vs time
``decay``     ``(t,)``               population / PL decay (counts or a.u.)
``jv``        ``(V,)``               current density J [A/m^2] vs voltage V [V]
``spectrum``  ``(wavelength,)`` or   steady-state spectrum; wavelength in m,
              ``(energy,)``          energy in eV
``spectral``  ``(t, wavelength)`` or transient spectra
              ``(t, energy)``
============  =====================  ===========================================

Metadata lives in ``Dataset.attrs`` as strings with units (``"10 K"``), so a NetCDF
round trip is lossless and a person can read them; :func:`get_quantity` returns them as
floats in the unit asked for. Time zero is the excitation pulse peak (docs/science.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import xarray as xr

from nctransport import _xarray_compat
from nctransport.errors import InputError, UnitError
from nctransport.units import parse_quantity

_xarray_compat.install()  # no dask / distributed / pint imports for NumPy-backed data

SIGNAL = "signal"

#: Internal (SI) unit of each coordinate name.
AXIS_UNITS: dict[str, str] = {
    "t": "s",
    "x": "m",
    "y": "m",
    "V": "V",
    "wavelength": "m",
    "energy": "eV",
}

_KINDS: dict[tuple[str, ...], str] = {
    ("t", "x"): "map",
    ("t", "y", "x"): "stack",
    ("t",): "decay",
    ("V",): "jv",
    ("wavelength",): "spectrum",
    ("energy",): "spectrum",
    ("t", "wavelength"): "spectral",
    ("t", "energy"): "spectral",
}

#: Metadata keys with a physical dimension, their canonical unit, and accepted aliases.
METADATA_UNITS: dict[str, str] = {
    "temperature": "K",
    "wavelength": "nm",
    "power": "W",
    "rep_rate": "Hz",
    "pixel_size": "m",
    "fluence": "uJ/cm**2",
    "spot_fwhm": "m",
    "thickness": "m",
    "eps_r": "dimensionless",
}
METADATA_ALIASES: dict[str, str] = {
    "t": "temperature",
    "temp": "temperature",
    "excitation_wavelength": "wavelength",
    "lambda": "wavelength",
    "repetition_rate": "rep_rate",
    "reprate": "rep_rate",
    "pixel": "pixel_size",
    "pixelsize": "pixel_size",
    "laser_power": "power",
    "average_power": "power",
}
#: Metadata that must be strictly positive (> 0) or non-negative (>= 0), in its unit above.
POSITIVE_METADATA = {"temperature", "wavelength", "rep_rate", "pixel_size", "spot_fwhm",
                     "thickness", "eps_r"}  # fmt: skip
NON_NEGATIVE_METADATA = {"power", "fluence"}
#: Largest coordinate magnitude accepted, in SI (1e30 s, m, V or eV): beyond it squares and
#: products overflow and the file's unit is surely wrong.
AXIS_LIMIT = 1e30
TECHNIQUES = ("TAM", "TPLM", "PL", "TA", "TCSPC", "SIM", "JV", "SPECTRUM")


def canonical_key(key: str) -> str:
    """Lower-case, underscore-separated metadata key with aliases resolved."""
    k = "_".join(str(key).strip().lower().replace("-", " ").split())
    return METADATA_ALIASES.get(k, k)


def kind_of(ds: xr.Dataset) -> str:
    """Return the kind (``map``, ``stack``, ``decay``, ``jv``, ``spectrum``, ``spectral``)."""
    if SIGNAL not in ds:
        raise InputError("dataset has no 'signal' variable")
    dims = tuple(ds[SIGNAL].dims)
    try:
        return _KINDS[dims]
    except KeyError:
        raise InputError(f"unsupported signal dims {dims}") from None


def _check_axis(name: str, values: Any, path: str | None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"axis {name!r} is not numeric", path) from None
    if arr.ndim != 1:
        raise InputError(f"axis {name!r} must be one-dimensional, got shape {arr.shape}", path)
    if arr.size == 0:
        raise InputError(f"axis {name!r} is empty", path)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"axis {name!r} contains NaN or infinite values", path)
    if np.max(np.abs(arr)) > AXIS_LIMIT:
        raise InputError(
            f"axis {name!r} reaches {np.max(np.abs(arr)):.3g} {AXIS_UNITS.get(name, '')}, beyond "
            f"the plausible range (|value| <= {AXIS_LIMIT:g} in SI); check its unit",
            path,
        )
    if arr.size > 1:
        d = np.diff(arr)
        if np.any(d == 0):
            raise InputError(f"axis {name!r} has duplicate values", path)
        if not (np.all(d > 0) or np.all(d < 0)):
            raise InputError(f"axis {name!r} is not monotonic", path)
    return arr


def make_dataset(
    signal: Any,
    coords: Mapping[str, Any],
    *,
    signal_units: str = "arb",
    signal_name: str = "signal",
    attrs: Mapping[str, Any] | None = None,
    path: str | None = None,
) -> xr.Dataset:
    """Build and validate a dataset from arrays already in SI units.

    Parameters
    ----------
    signal
        Array whose axes follow the order of ``coords`` (float32 is kept, any other
        type becomes float64).
    coords
        Ordered mapping of dim name (one of :data:`AXIS_UNITS`) to a 1D coordinate in SI.
        Strictly decreasing axes are reversed (with the signal); other non-monotonic or
        duplicate axes are errors.
    signal_units
        Unit string of the signal (``counts``, ``arb``, ``A/m**2``, ``dOD`` ...).
    signal_name
        Long name of the signal, kept in its attributes (``J``, ``counts``, ``dT/T``).
    attrs
        Metadata; keys are canonicalised and dimensional values checked.
    path
        Source file, only used in error messages.

    Examples
    --------
    >>> import numpy as np
    >>> ds = make_dataset(np.zeros((3, 4)), {"t": [0, 1e-9, 2e-9], "x": np.arange(4) * 1e-7})
    >>> kind_of(ds), ds.t.attrs["units"]
    ('map', 's')
    """
    names = list(coords)
    for n in names:
        if n not in AXIS_UNITS:
            raise InputError(f"unknown axis {n!r}; expected one of {sorted(AXIS_UNITS)}", path)
    if tuple(names) not in _KINDS:
        raise InputError(f"unsupported axes {tuple(names)}", path)
    try:
        sig = np.asarray(signal)
        # float32 stays float32 (no copy; an image stack is hundreds of MB and every
        # computation converts what it uses to float64); anything else becomes float64.
        if sig.dtype != np.float32:
            sig = np.asarray(sig, dtype=float)
    except (TypeError, ValueError):
        raise InputError("signal is not numeric", path) from None
    axes = {n: _check_axis(n, coords[n], path) for n in names}
    shape = tuple(a.size for a in axes.values())
    if sig.shape != shape:
        raise InputError(
            f"signal shape {sig.shape} does not match axes {dict(zip(names, shape, strict=True))}",
            path,
        )
    if sig.size == 0:
        raise InputError("signal is empty", path)
    # Two reductions instead of full-size boolean temporaries (a stack is hundreds of MB):
    # fmax/fmin skip NaN, so the largest value is NaN only when every value is.
    high = float(np.fmax.reduce(sig, axis=None))
    low = float(np.fmin.reduce(sig, axis=None))
    if high == np.inf or low == -np.inf:
        raise InputError("signal contains infinite values", path)
    if math.isnan(high):
        raise InputError("signal is all NaN", path)
    for i, n in enumerate(names):
        if axes[n].size > 1 and axes[n][1] < axes[n][0]:
            axes[n] = axes[n][::-1]
            sig = np.flip(sig, axis=i)
    ds = xr.Dataset(
        {SIGNAL: (names, sig, {"units": signal_units, "long_name": signal_name})},
        coords={n: (n, axes[n], {"units": AXIS_UNITS[n]}) for n in names},
    )
    ds.attrs.update(normalise_metadata(attrs or {}, path=path))
    ds.attrs["kind"] = _KINDS[tuple(names)]
    return ds


def normalise_metadata(meta: Mapping[str, Any], *, path: str | None = None) -> dict[str, Any]:
    """Canonicalise keys and check that dimensional values carry the right unit.

    Values are kept as the user wrote them (strings), so nothing is lost; a value of the
    wrong dimension (``temperature: 10 nm``) is an error, as is a dimensional key without
    a unit (``temperature: 10``).
    """
    out: dict[str, Any] = {}
    for key, value in meta.items():
        k = canonical_key(key)
        if isinstance(value, np.generic):
            value = value.item()
        if k in METADATA_UNITS and METADATA_UNITS[k] != "dimensionless":
            try:
                number = parse_quantity(str(value), METADATA_UNITS[k], name=k)
            except UnitError as exc:
                raise UnitError(f"metadata {exc.message}", path) from None
            _check_range(k, number, value, path)
            value = str(value).strip()
        elif k in METADATA_UNITS:  # dimensionless (eps_r): a plain number
            try:
                number = float(str(value).strip())
            except ValueError:
                raise InputError(f"metadata {k}: {value!r} is not a number", path) from None
            _check_range(k, number, value, path)
        elif k == "technique":
            value = str(value).strip().upper()
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, str | int | float | list | tuple | np.ndarray):
            value = str(value)
        out[k] = value
    return out


#: Metadata keys an option replaces in the current call (their file values are not used).
_REPLACED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "nctransport_replaced_metadata", default=frozenset()
)


@contextlib.contextmanager
def replacing_metadata(*keys: str) -> Iterator[None]:
    """Within the block, the physical range of metadata ``keys`` is not checked: an option
    (``temperature="77K"``) replaces them, so a file's bad value (-5 K) is not an error.
    Units are still checked. The rule for every option that overrides file metadata."""
    token = _REPLACED.set(_REPLACED.get() | {canonical_key(k) for k in keys})
    try:
        yield
    finally:
        _REPLACED.reset(token)


def _check_range(key: str, number: float, value: Any, path: str | None) -> None:
    """Physical range of a metadata value (a temperature of -5 K is refused, naming the file)."""
    if key in _REPLACED.get():
        return
    unit = METADATA_UNITS[key].replace("**", "^")
    if not np.isfinite(number):
        raise InputError(f"metadata {key}: {value!r} is not finite", path)
    if key in POSITIVE_METADATA and not number > 0:
        where = f" {unit}" if unit != "dimensionless" else ""
        raise InputError(f"metadata {key}: {value!r} must be > 0{where}", path)
    if key in NON_NEGATIVE_METADATA and not number >= 0:
        raise InputError(f"metadata {key}: {value!r} must not be negative", path)
    from nctransport.limits import MAX_TEMPERATURE_K

    if key == "temperature" and number > MAX_TEMPERATURE_K:
        raise InputError(f"metadata {key}: {value!r} is above {MAX_TEMPERATURE_K:g} K", path)


def get_quantity(ds: xr.Dataset, key: str, unit: str) -> float | None:
    """Metadata value ``key`` converted to ``unit``, or ``None`` when absent.

    >>> import numpy as np
    >>> ds = make_dataset(np.ones(2), {"t": [0, 1e-9]}, attrs={"temperature": "10 K"})
    >>> get_quantity(ds, "temperature", "K")
    10.0
    """
    k = canonical_key(key)
    if k not in ds.attrs:
        return None
    source = ds.attrs.get("source_file")
    try:
        value = parse_quantity(str(ds.attrs[k]), unit, name=k)
    except UnitError as exc:
        raise UnitError(f"metadata {exc.message}", source) from None
    if k in METADATA_UNITS and METADATA_UNITS[k] != "dimensionless":
        # Attributes set after loading bypass normalise_metadata: check the range here too.
        _check_range(k, parse_quantity(str(ds.attrs[k]), METADATA_UNITS[k], name=k),
                     ds.attrs[k], source)  # fmt: skip
    return value


def axis_in(ds: xr.Dataset, dim: str, unit: str) -> np.ndarray:
    """Coordinate ``dim`` as an array in ``unit``, e.g. ``axis_in(ds, "t", "ns")``."""
    from nctransport.units import conversion_factor

    return np.asarray(ds[dim].values, dtype=float) * conversion_factor(
        ds[dim].attrs.get("units", AXIS_UNITS[dim]), unit
    )
