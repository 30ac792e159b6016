"""What the kinetics, spectra and photophysics workflows share at their boundary.

* :func:`as_quantity` -- a setting given as text with units (``"80MHz"``), a pint Quantity,
  or a plain number already in the function's stated unit.
* :func:`load_data` -- a path (loaded with reader overrides) or an ``xarray.Dataset``.
* :func:`naming` -- a context in which an error without a file gets the file named, and
  NumPy floating-point warnings (from bad data) do not reach the user as RuntimeWarnings;
  the results carry their own convergence flags and warnings instead.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError, NctransportError, UnitError

#: Reader overrides a workflow accepts and passes to :func:`nctransport.io.load`.
LOAD_OPTIONS = ("t_unit", "x_unit", "t0", "times", "pixel")


def as_quantity(value: Any, unit: str, *, name: str) -> float:
    """``value`` in ``unit``: text with units, a pint Quantity, or a number already in ``unit``.

    >>> as_quantity("80MHz", "Hz", name="rep_rate"), as_quantity(8e7, "Hz", name="rep_rate")
    (80000000.0, 80000000.0)
    """
    import math

    from nctransport.units import parse_quantity

    if isinstance(value, bool):
        raise UnitError(f"{name}: expected a quantity in {unit}, got {value!r}")
    if isinstance(value, int | float):
        v = float(value)
        if not math.isfinite(v):
            raise UnitError(f"{name}: {value!r} is not a finite quantity")
        return v
    if hasattr(value, "to") and hasattr(value, "magnitude"):  # a pint Quantity
        try:
            v = float(value.to(unit).magnitude)
        except Exception as exc:  # pint raises DimensionalityError and others
            raise UnitError(f"{name}: {value!r} cannot be converted to {unit}") from exc
        if not math.isfinite(v):
            raise UnitError(f"{name}: {value!r} is not a finite quantity")
        return v
    if isinstance(value, str):
        try:
            return parse_quantity(value, unit, name=name)
        except UnitError as exc:  # the parser's own message may not name the option
            if exc.message.startswith(name):
                raise
            raise UnitError(f"{name}: {exc.message}") from None
    raise UnitError(f"{name}: expected a quantity in {unit} (e.g. '1 {unit}'), got {value!r}")


def meta_items(meta: Mapping[str, Any] | list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """Metadata overrides as a dict: ``{"temperature": "10K"}`` or ``["temperature=10K"]``."""
    if meta is None:
        return {}
    if isinstance(meta, Mapping):
        return {str(k): str(v) for k, v in meta.items()}
    out: dict[str, str] = {}
    for item in meta:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--meta expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def load_data(
    data: Any, *, load_options: Mapping[str, Any] | None = None, what: str = "data"
) -> Any:
    """An ``xarray.Dataset`` as is, or a file loaded with ``load_options`` (reader overrides
    such as ``t_unit``, and metadata overrides under ``meta``)."""
    import xarray as xr

    if isinstance(data, xr.Dataset):
        return data
    if not isinstance(data, str | Path):
        raise ConfigError(f"{what} must be a path or an xarray.Dataset, got {type(data).__name__}")
    from nctransport.io import load
    from nctransport.io.output import check_input_path

    opts = dict(load_options or {})
    overrides = {k: opts.pop(k) for k in LOAD_OPTIONS if opts.get(k) is not None}
    overrides.update(meta_items(opts.pop("meta", None)))
    for k in LOAD_OPTIONS:
        opts.pop(k, None)
    if opts:
        raise ConfigError(f"unknown load option(s): {', '.join(sorted(opts))}")
    return load(check_input_path(data), **overrides)


@contextlib.contextmanager
def naming(path: str | Path | None) -> Iterator[None]:
    """Errors raised inside name ``path`` when they name no file; NumPy warnings are muted."""
    try:
        with warnings.catch_warnings(), _errstate():
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    except NctransportError as exc:
        if exc.path is None and path is not None:
            raise type(exc)(exc.message, path) from None
        raise


def _errstate():
    import numpy as np

    return np.errstate(all="ignore")
