"""Grids of parameter values, point identities and per-point seeds."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass

import pint

from nctransport.errors import ConfigError
from nctransport.units import _normalise, ureg

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class GridAxis:
    """One ``--grid key=v1,v2,...`` option: a parameter name and its values as given."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class SweepPoint:
    """One point of the Cartesian product.

    Attributes
    ----------
    index
        Position in the product (row order of ``sweep.csv``).
    params
        ``key -> value string`` exactly as given on the command line (units included).
    point_id
        ``p<index>-<hash>``: stable name of the point's directory.
    seed
        Seed of the point's simulation, a function of the base seed and ``params`` only.
    """

    index: int
    params: tuple[tuple[str, str], ...]
    point_id: str
    seed: int

    def param_dict(self) -> dict[str, str]:
        return dict(self.params)


def parse_grid(option: str) -> GridAxis:
    """Parse ``key=v1,v2,...``.

    >>> parse_grid("pulse_period=1us, 2us,5us")
    GridAxis(key='pulse_period', values=('1us', '2us', '5us'))
    """
    key, sep, rest = option.partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise ConfigError(f"--grid expects key=v1,v2,..., got {option!r}")
    values = tuple(v.strip() for v in rest.split(","))
    if not values or any(not v for v in values):
        raise ConfigError(f"--grid {key}: empty value in {rest!r}")
    if len(set(values)) != len(values):
        raise ConfigError(f"--grid {key}: duplicate values in {rest!r}")
    return GridAxis(key, values)


def _canonical(params: dict[str, str]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def point_seed(base_seed: int, params: dict[str, str]) -> int:
    """63-bit seed from the base seed and the point's parameters (never from its position).

    >>> point_seed(1, {"a": "1"}) == point_seed(1, {"a": "1"}) != point_seed(2, {"a": "1"})
    True
    """
    digest = hashlib.sha256(f"{int(base_seed)}|{_canonical(params)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def sweep_points(axes: list[GridAxis], base_seed: int) -> list[SweepPoint]:
    """Cartesian product of ``axes`` in the order given (last axis varies fastest)."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--grid given twice for the same key: {keys}")
    points = []
    for i, combo in enumerate(itertools.product(*(a.values for a in axes))):
        params = dict(zip(keys, combo, strict=True))
        h = hashlib.sha256(_canonical(params).encode()).hexdigest()[:8]
        points.append(
            SweepPoint(i, tuple(params.items()), f"p{i:05d}-{h}", point_seed(base_seed, params))
        )
    return points


def si_value(text: str) -> tuple[float | None, str]:
    """A parameter value in SI base units and a column suffix naming that unit.

    >>> si_value("2us")
    (2e-06, 's')
    >>> si_value("0.5")
    (0.5, '')
    >>> si_value("bright")
    (None, '')
    """
    try:
        q = ureg.Quantity(_normalise(text))
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
        return None, ""
    if not isinstance(q, pint.Quantity):
        return float(q), ""
    base = q.to_base_units()
    if base.dimensionless:
        return float(base.to("dimensionless").magnitude), ""
    unit = f"{base.units:~C}".replace("*", "").replace("/", "_per_").replace("**", "")
    return float(base.magnitude), unit
