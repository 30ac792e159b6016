"""Unit parsing with pint. Quantities enter as strings such as ``250nm`` or ``10uJ/cm2``.

Inside the library everything is SI (s, m, m^2/s, V, A/m^2), energies in eV and
temperatures in K (docs/science.md, "Units and conventions"). Convert once, at the boundary,
and never guess a unit: a bare number where a unit is required is an error.

The pint registry is built on first use (:func:`registry`), not at import: importing pint
and building its registry costs about half a second, which ``nctransport --help`` and
``import nctransport`` must not pay. ``nctransport.units.ureg`` still works (PEP 562).
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from nctransport.errors import UnitError

if TYPE_CHECKING:  # pragma: no cover
    import pint


@cache
def registry() -> pint.UnitRegistry:
    """The project's pint registry, built once on first use.

    >>> registry() is registry()
    True
    """
    import pint

    ureg = pint.UnitRegistry(auto_reduce_dimensions=False)
    # Field shorthand that pint does not know out of the box.
    ureg.define("counts = [] = count = cts")
    ureg.define("arbitrary_unit = [] = a.u. = au = arb")
    ureg.define("molar = mole / liter = M")
    return ureg


def __getattr__(name: str) -> Any:  # ``from nctransport.units import ureg`` builds it lazily
    if name == "ureg":
        return registry()
    raise AttributeError(f"module 'nctransport.units' has no attribute {name!r}")


# Canonical internal unit for each physical dimension we accept at boundaries.
SI_UNIT = {
    "time": "s",
    "length": "m",
    "diffusivity": "m**2/s",
    "mobility": "m**2/(V*s)",
    "energy": "eV",
    "temperature": "K",
    "frequency": "Hz",
    "power": "W",
    "fluence": "J/m**2",
    "area": "m**2",
    "voltage": "V",
    "current_density": "A/m**2",
    "density": "1/m**3",
    "field": "V/m",
    "dimensionless": "dimensionless",
}

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# "cm2", "um2", "m-3" -> "cm**2", "um**2", "m**-3"; pint needs the explicit power. Numbers
# (with their exponent, as in "1e-14cm2") are matched first so "e" is never taken for a unit.
_TOKEN = re.compile(
    r"(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"  # a number, kept as is
    r"|([A-Za-z_]+)(-?\d+)(?![\d.])"  # unit name + power
)


def _power(match: re.Match) -> str:
    if match.group(1) is not None:
        return match.group(1)
    return f"{match.group(2)}**{match.group(3)}"


def _normalise(text: str) -> str:
    s = text.strip().translate(_SUPERSCRIPTS).replace("µ", "u").replace("μ", "u")
    s = s.replace("^", "**").replace("·", "*")
    s = _TOKEN.sub(_power, s)
    return s


# pint evaluates powers of plain numbers exactly: "10**10**10" would never finish.
_RUNAWAY_POWER = re.compile(r"\*\*[^*/]*\*\*|\*\*\s*[-+]?\(?\s*\d{4,}")


#: Plain SI-prefixed units of the axes and of temperature, with their factor to the base
#: unit. A quantity in one of these, converted to its base unit, never needs pint (its import
#: and registry cost ~0.4 s of CPU per command); the factors are the ones pint uses, so the
#: numbers are identical. Everything else goes through pint.
_SIMPLE_UNITS = {
    "s": ("s", 1.0),
    "ms": ("s", 1e-3),
    "us": ("s", 1e-6),
    "ns": ("s", 1e-9),
    "ps": ("s", 1e-12),
    "fs": ("s", 1e-15),
    "m": ("m", 1.0),
    "mm": ("m", 1e-3),
    "cm": ("m", 1e-2),
    "um": ("m", 1e-6),
    "nm": ("m", 1e-9),
    "pm": ("m", 1e-12),
    "K": ("K", 1.0),
}
_SIMPLE_QUANTITY = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]+)\s*")


def simple_factor(unit: str, target: str) -> float | None:
    """Factor from ``unit`` to the base unit ``target`` (``s``, ``m`` or ``K``) when both are
    plain (:data:`_SIMPLE_UNITS`) and of one dimension; ``None`` = ask pint.

    >>> simple_factor("ns", "s"), simple_factor("ns", "m"), simple_factor("ns", "ps")
    (1e-09, None, None)
    """
    entry = _SIMPLE_UNITS.get(_normalise(str(unit)))
    if entry is None or entry[0] != target:
        return None
    return entry[1]


def _simple_quantity(text: str, unit: str) -> float | None:
    """``"2.5ns"`` in base unit ``unit`` without pint, or ``None`` (not a plain case)."""
    if unit not in ("s", "m", "K"):
        return None
    match = _SIMPLE_QUANTITY.fullmatch(
        text.translate(_SUPERSCRIPTS).replace("µ", "u").replace("μ", "u")
    )
    if match is None:
        return None
    factor = simple_factor(match.group(2), unit)
    if factor is None:
        return None
    value = float(match.group(1)) * factor
    return value if math.isfinite(value) else None


@lru_cache(maxsize=512)
def _parse(text: str) -> pint.Quantity:
    if not text or not text.strip():
        raise UnitError("empty quantity")
    normal = _normalise(text)
    if len(normal) > 200 or _RUNAWAY_POWER.search(normal):
        raise UnitError(f"cannot parse {text[:60]!r} as a quantity with units")
    try:
        q = registry().Quantity(normal)
    except Exception as exc:  # pint raises many types; all mean "cannot parse"
        raise UnitError(f"cannot parse {text!r} as a quantity with units") from exc
    return q


def parse_quantity(text: str | float | int, unit: str, *, name: str = "value") -> float:
    """Parse ``text`` (e.g. ``"2.5ns"``) and return its magnitude in ``unit``.

    A plain number is accepted only when ``unit`` is dimensionless.

    Examples
    --------
    >>> round(parse_quantity("250nm", "m"), 15)
    2.5e-07
    >>> round(parse_quantity("10uJ/cm2", "J/m**2"), 12)
    0.1
    >>> parse_quantity("1e10/s", "Hz")
    10000000000.0
    """
    if isinstance(text, str) and len(text) <= 200:
        value = _simple_quantity(text, unit)
        if value is not None:
            return value
    import pint

    ureg = registry()
    target = ureg.Unit(_normalise(unit))
    if isinstance(text, int | float):
        if target.dimensionless:
            return float(text)
        raise UnitError(f"{name}: {text!r} has no unit; expected a quantity in {unit}")
    try:
        q = _parse(str(text))
    except UnitError as exc:
        raise UnitError(exc.message if name == "value" else f"{name}: {exc.message}") from None
    if not isinstance(q, pint.Quantity):  # pint returns a bare number for "3"
        q = ureg.Quantity(float(q), "dimensionless")
    try:
        dimensionless = q.dimensionless
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        raise UnitError(f"{name}: {text!r} cannot be converted to {unit}") from exc
    if dimensionless and not target.dimensionless:
        raise UnitError(f"{name}: {text!r} has no unit; expected a quantity in {unit}")
    try:
        value = float(q.to(target).magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(
            f"{name}: {text!r} has units of {q.dimensionality}, expected {target.dimensionality}"
        ) from exc
    except (OverflowError, ZeroDivisionError, ValueError, TypeError) as exc:
        raise UnitError(f"{name}: {text!r} cannot be converted to {unit}") from exc
    if not math.isfinite(value):
        raise UnitError(f"{name}: {text!r} is not a finite quantity")
    return value


def parse_unit(text: str, *, name: str = "unit") -> pint.Unit:
    """Parse a bare unit such as ``ns``, ``um`` or ``A/m2``; unknown units are errors."""
    if text is None or not str(text).strip():
        raise UnitError(f"{name}: missing unit")
    try:
        return registry().Unit(_normalise(str(text)))
    except Exception as exc:
        raise UnitError(f"{name}: unknown unit {text!r}") from exc


def conversion_factor(from_unit: str, to_unit: str, *, name: str = "unit") -> float:
    """Multiplicative factor taking values in ``from_unit`` to ``to_unit``.

    >>> conversion_factor("ps", "s")
    1e-12
    """
    factor = simple_factor(from_unit, to_unit) if to_unit in ("s", "m", "K") else None
    if factor is not None:
        return factor
    import pint

    src = parse_unit(from_unit, name=name)
    dst = parse_unit(to_unit, name=name)
    try:
        return float(registry().Quantity(1.0, src).to(dst).magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(f"{name}: {from_unit!r} cannot be converted to {to_unit!r}") from exc


def format_quantity(value: float, unit: str) -> str:
    """Human string for a value with a unit, e.g. ``format_quantity(1e-9, 's') == '1e-09 s'``."""
    return f"{value:.6g} {unit}"
