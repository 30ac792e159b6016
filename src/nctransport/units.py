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


def simple_factor(unit: str, target: str) -> float | None:
    """Factor from ``unit`` to ``target`` without pint when both are plain SI-prefixed units of
    one dimension (the fast path below); ``None`` = ask pint.

    >>> simple_factor("ns", "s"), simple_factor("ns", "m")
    (1e-09, None)
    """
    return _fast_factor(str(unit), str(target))


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

    A plain number is accepted only when ``unit`` is dimensionless. Plain quantities
    (a number and SI-prefixed s, m, g, A, K, V, J, W, Hz, C, eV with integer powers) are
    converted without building the pint registry (:func:`_fast_quantity`, which gives the
    same value as pint); everything else goes through pint.

    Examples
    --------
    >>> round(parse_quantity("250nm", "m"), 15)
    2.5e-07
    >>> round(parse_quantity("10uJ/cm2", "J/m**2"), 12)
    0.1
    >>> parse_quantity("1e10/s", "Hz")
    10000000000.0
    """
    if not isinstance(text, bool):
        value = _fast_quantity(text, unit)
        if value is not None:
            return value
    return _pint_quantity(text, unit, name=name)


def _pint_quantity(text: str | float | int, unit: str, *, name: str = "value") -> float:
    """:func:`parse_quantity` through pint (any unit pint knows; all the error messages)."""
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
    fast = _fast_factor(str(from_unit), str(to_unit))
    if fast is not None:
        return fast
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


# --------------------------------------------------------------------------------------------
# Fast path: plain quantities without pint.
#
# Building pint's registry costs about 0.4 s of CPU, most of a short command's run. Quantities
# such as "110nm", "4.4e-11 m^2/V/s", "297K", "1e27m-3" or "10uJ/cm2" are converted here
# instead, by the same arithmetic pint uses, so the value is the same float: pint multiplies
# the magnitude by the product of the scales of every (prefixed) unit met while reducing
# ``source / target`` to its base units (m, g, s, A, K), equal scales in numerator and
# denominator cancelling (pint.facets.plain.registry._get_root_units). With at most two
# scales left that product does not depend on the order of the factors, so it is exactly
# pint's; with more, or with anything this small parser does not know (other units,
# fractional powers, offset temperatures, implicit products), pint does the work.
# tests/test_units.py checks both paths give identical values on many strings.
# --------------------------------------------------------------------------------------------

#: Dimension exponents over pint's base units (length, mass, time, current, temperature).
_Dims = tuple[int, int, int, int, int]

#: symbol -> (scales met reducing it to base units (scale 1 omitted), dimensions); the scales
#: follow pint's definitions (default_en.txt): kilogram = 1e3 gram, so J, W, V carry 1e3;
#: electron_volt = e * volt with e = 1.602176634e-19 C.
_BASE_UNITS: dict[str, tuple[tuple[float, ...], _Dims]] = {
    "m": ((), (1, 0, 0, 0, 0)),
    "g": ((), (0, 1, 0, 0, 0)),
    "s": ((), (0, 0, 1, 0, 0)),
    "A": ((), (0, 0, 0, 1, 0)),
    "Hz": ((), (0, 0, -1, 0, 0)),
    "C": ((), (0, 0, 1, 1, 0)),
    "J": ((1e3,), (2, 1, -2, 0, 0)),
    "W": ((1e3,), (2, 1, -3, 0, 0)),
    "V": ((1e3,), (2, 1, -3, -1, 0)),
    "eV": ((1.602176634e-19, 1e3), (2, 1, -2, 0, 0)),
}
_PREFIXES = {
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "c": 1e-2,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
}


def _symbol_table() -> dict[str, tuple[tuple[float, ...], _Dims]]:
    table = dict(_BASE_UNITS)
    for p, scale in _PREFIXES.items():
        for u, (scales, dims) in _BASE_UNITS.items():
            table.setdefault(p + u, ((scale, *scales), dims))
    # Kelvin (an offset unit in pint, with offset 0) only bare: prefixed or combined
    # temperatures are left to pint.
    return table


_SYMBOLS = _symbol_table()
_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*")
_UNIT_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)(?:\*\*([+-]?\d{1,2}))?|(\()|(\))|(\*\*?|/))")
_Units = tuple[dict[float, int], list[int]]


def _fast_units(text: str) -> _Units | None:
    """``(net exponent per scale, dimensions)`` of a normalised unit expression, or None.

    Grammar: terms (a symbol of :data:`_SYMBOLS`, optionally ``**int``, or a parenthesised
    group) joined by ``*`` or ``/``, left to right as in pint; a leading ``1/`` or ``/``
    is allowed. Anything else (implicit products, group powers, numbers) is not plain.
    """
    s = text.strip()
    if s.startswith("1") and s[1:].lstrip().startswith("/"):
        s = s[1:].lstrip()
    scales: dict[float, int] = {}
    dims = [0, 0, 0, 0, 0]
    groups = [1]  # sign of each open parenthesised group (outermost first)
    sign, expect_term, pos = 1, True, 0
    if s.startswith("/"):
        sign, pos = -1, 1
    while pos < len(s):
        m = _UNIT_TOKEN.match(s, pos)
        if m is None:
            return None
        pos = m.end()
        name, power, lpar, rpar, op = m.groups()
        if name is not None:
            if not expect_term or name not in _SYMBOLS:
                return None
            unit_scales, d = _SYMBOLS[name]
            e = groups[-1] * sign * (1 if power is None else int(power))
            for sc in unit_scales:
                scales[sc] = scales.get(sc, 0) + e
            for i in range(5):
                dims[i] += e * d[i]
            expect_term = False
        elif lpar is not None:
            if not expect_term:
                return None
            groups.append(groups[-1] * sign)
            sign = 1
        elif rpar is not None:
            if expect_term or len(groups) == 1 or s.startswith("**", pos):
                return None
            groups.pop()
        else:  # "*" or "/" between terms ("**" here would be a power of a group)
            if expect_term or op == "**":
                return None
            sign, expect_term = (-1 if op == "/" else 1), True
    if expect_term or len(groups) != 1:
        return None
    return scales, dims


_DIMENSIONLESS = ("", "1", "dimensionless")


@lru_cache(maxsize=256)
def _fast_factor(src: str, dst: str) -> float | None:
    """pint's factor converting ``src`` units to ``dst`` units, or None when not plain."""
    src, dst = src.strip(), dst.strip()
    if src == "K" or dst == "K":  # kelvin only bare and onto itself
        return 1.0 if src == dst else None
    a = ({}, [0] * 5) if src in _DIMENSIONLESS else _fast_units(_normalise(src))
    b = ({}, [0] * 5) if dst in _DIMENSIONLESS else _fast_units(_normalise(dst))
    if a is None or b is None or a[1] != b[1]:
        return None
    net = dict(a[0])
    for sc, e in b[0].items():
        net[sc] = net.get(sc, 0) - e
    left = [(sc, e) for sc, e in net.items() if e != 0 and sc != 1.0]
    if len(left) > 2:  # the product would depend on the order of the factors
        return None
    factor = 1.0
    for sc, e in left:
        factor *= sc**e
    return factor


_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _fast_quantity(text: Any, unit: str) -> float | None:
    """``text`` in ``unit`` without pint when both are plain (see above), else None."""
    if isinstance(text, int | float):
        value = float(text)
        return value if unit.strip() in _DIMENSIONLESS and math.isfinite(value) else None
    if not isinstance(text, str) or len(text) > 200:
        return None
    s = text.strip().translate(_SUPERSCRIPTS).replace("µ", "u").replace("μ", "u")
    m = _NUMBER.match(s)
    if m is None:
        return None
    rest = s[m.end() :]
    if rest[:1] in ("j", "J") and not m.group(0)[-1:].isspace():
        return None  # "2J" is an imaginary literal to pint's tokenizer: pint decides
    if rest.startswith("/"):
        rest = "1" + rest
    elif rest and rest[0] not in _LETTERS:
        return None  # a power or product of the number, another number, ...
    factor = _fast_factor(rest, unit)
    if factor is None:
        return None
    value = float(m.group(1)) * factor
    return value if math.isfinite(value) else None
