"""Collect (T, value, error) points for temperature fits from results files or a CSV table.

Accepted inputs, mixed freely:

* ``results.json`` written by ``analyze`` (``diffusivity.value_cm2_s`` with
  ``ci95_cm2_s``, ``lifetime_1e_ns``, ``diffusion_length_nm``) or ``kinetics``
  (``lifetime_1e_ns``); the temperature comes from ``--temperatures`` or from a
  ``temperature`` entry (a quantity string such as ``"10 K"``) or ``temperature_K``
  number anywhere in the file (settings, metadata, input).
* a CSV table ``T [K],D [cm2/s],err [cm2/s]`` (or ``tau [ns]``, ``L [nm]``; the error
  column is optional), one row per temperature; units are read from the header.

A 95% interval ``[lo, hi]`` becomes a 1-sigma error ``(hi - lo) / (2 * 1.96)``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import InputError, UnitError
from nctransport.io import sha256_of
from nctransport.limits import MAX_TEMPERATURE_K
from nctransport.spectral.temperature import QUANTITIES
from nctransport.units import conversion_factor, parse_quantity

#: results.json key of each quantity, and the unit its value is in.
_JSON_KEYS: dict[str, list[tuple[str, str]]] = {
    "D": [("diffusivity", "cm2/s"), ("D_cm2_s", "cm2/s"), ("diffusivity_cm2_s", "cm2/s")],
    "tau": [("lifetime_1e_ns", "ns"), ("tau_PL_ns", "ns"), ("lifetime_ns", "ns")],
    "L": [("diffusion_length_nm", "nm"), ("L_nm", "nm")],
}
_CSV_NAMES: dict[str, str] = {
    "d": "D",
    "diffusivity": "D",
    "tau": "tau",
    "lifetime": "tau",
    "tau_pl": "tau",
    "l": "L",
    "diffusion_length": "L",
}
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class TemperatureSeries:
    """Points of one quantity vs temperature (value/err in ``unit``)."""

    quantity: str
    unit: str
    temperature_K: np.ndarray
    values: np.ndarray
    errors: np.ndarray | None
    sources: tuple[dict, ...]
    #: What the user should know: temperatures given on the command line that replace
    #: the files' own (each file named).
    notes: tuple[str, ...] = ()


def _find(obj: Any, key: str) -> Any:
    """First non-null value stored under ``key``, breadth-first (shallow entries win)."""
    queue = [obj]
    while queue:
        cur = queue.pop(0)
        if isinstance(cur, dict):
            if cur.get(key) is not None:
                return cur[key]
            queue.extend(cur.values())
        elif isinstance(cur, list):
            queue.extend(v for v in cur if isinstance(v, dict | list))
    return None


def _temperature_from_json(doc: dict, path: Path) -> float | None:
    t_k = _find(doc, "temperature_K")
    if isinstance(t_k, int | float) and not isinstance(t_k, bool):
        return float(t_k)
    t = _find(doc, "temperature")
    if t is None:
        return None
    if isinstance(t, dict):
        t = t.get("value") if "unit" not in t else f"{t.get('value')} {t.get('unit')}"
    try:
        return parse_quantity(
            str(t) if not isinstance(t, int | float) else t, "K", name="temperature"
        )
    except UnitError as exc:
        raise UnitError(exc.message, path) from None


def _value_from_json(doc: dict, quantity: str, path: Path) -> tuple[float, float | None]:
    for key, unit in _JSON_KEYS[quantity]:
        node = _find(doc, key)
        if node is None:
            continue
        factor = conversion_factor(unit, QUANTITIES[quantity])
        err = None
        ci = None
        if isinstance(node, dict) and "sqrt_lifetime_times_d_avg" in node:
            # analyze's L: Bornschlegl 2024's L = sqrt(tau D_avg), with its 1-sigma error.
            value = node["sqrt_lifetime_times_d_avg"]
            e = node.get("sqrt_lifetime_times_d_avg_err")
            if isinstance(e, int | float) and not isinstance(e, bool):
                err = float(e) * factor
        elif isinstance(node, dict):
            value = next(
                (node[k] for k in ("value_cm2_s", "value", f"value_{unit}") if k in node), None
            )
            ci = next((node[k] for k in node if str(k).startswith("ci95")), None)
        else:
            value = node
            ci = doc.get(key.replace("_ns", "_ci95_ns").replace("_nm", "_ci95_nm"))
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{key} has no numeric value", path)
        if (
            isinstance(ci, list | tuple)
            and len(ci) == 2
            and all(isinstance(v, int | float) for v in ci)
        ):
            err = abs(ci[1] - ci[0]) / (2.0 * _Z95) * factor
        return float(value) * factor, err
    keys = ", ".join(k for k, _ in _JSON_KEYS[quantity])
    raise InputError(f"no {quantity} value in this results file (looked for {keys})", path)


def _read_csv_table(path: Path, quantity: str) -> list[tuple[float, float, float | None]]:
    from nctransport.io.csv import parse_label

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read table ({type(exc).__name__})", path) from None
    if len(rows) < 2:
        raise InputError("table needs a header row and at least one data row", path)
    header = [parse_label(h.strip()) for h in rows[0]]
    if len(header) not in (2, 3):
        raise InputError(
            f"expected columns 'T [K],{quantity} [{QUANTITIES[quantity]}]' and an optional "
            f"error column, got {len(header)} columns",
            path,
        )
    (t_name, t_unit), (q_name, q_unit) = header[0], header[1]
    if t_name.strip().lower() not in ("t", "temperature"):
        raise InputError(f"first column must be the temperature 'T [K]', got {t_name!r}", path)
    got = _CSV_NAMES.get(q_name.strip().lower())
    if got != quantity:
        raise InputError(
            f"second column {q_name!r} is not {quantity} (--quantity {quantity})", path
        )
    if t_unit is None or q_unit is None:
        raise UnitError("every column header needs a unit in brackets, e.g. 'T [K]'", path)
    t_factor_ok = t_unit.strip() in ("K", "kelvin")
    if not t_factor_ok:
        raise UnitError(f"temperature column must be in K, got {t_unit!r}", path)
    q_factor = conversion_factor(q_unit, QUANTITIES[quantity], name=q_name)
    e_factor = None
    if len(header) == 3:
        e_unit = header[2][1]
        if e_unit is None:
            raise UnitError("error column needs a unit in brackets", path)
        e_factor = conversion_factor(e_unit, QUANTITIES[quantity], name=header[2][0])
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"line {i}: {len(row)} cells, header has {len(header)}", path)
        try:
            vals = [float(c) for c in row]
        except ValueError:
            raise InputError(f"line {i}: non-numeric cell", path) from None
        err = None if e_factor is None else vals[2] * e_factor
        if not (np.isfinite(vals[0]) and 0 < vals[0] <= MAX_TEMPERATURE_K):
            raise InputError(
                f"line {i}: temperature {row[0].strip()!r} K is not in (0, "
                f"{MAX_TEMPERATURE_K:g}] K",
                path,
            )
        if err is not None and not (np.isfinite(err) and err > 0):
            # a zero or negative error would weight the point infinitely (or not at all)
            raise InputError(f"line {i}: error {row[2].strip()!r} must be > 0", path)
        out.append((vals[0], vals[1] * q_factor, err))
    return out


def parse_temperature_list(text: str) -> list[float]:
    """``"10K,50K,300 K"`` -> ``[10.0, 50.0, 300.0]`` (each item needs its unit)."""
    items = [s for s in (p.strip() for p in text.split(",")) if s]
    if not items:
        raise InputError("--temperatures is empty")
    out = [parse_quantity(s, "K", name="temperature") for s in items]
    for s, v in zip(items, out, strict=True):
        if not (np.isfinite(v) and 0 < v <= MAX_TEMPERATURE_K):
            raise InputError(
                f"--temperatures: {s!r} is not a temperature in (0, {MAX_TEMPERATURE_K:g}] K"
            )
    return out


def read_temperature_series(
    paths: Sequence[str | Path], quantity: str, *, temperatures: Sequence[float] | None = None
) -> TemperatureSeries:
    """Read the points of ``quantity`` (D, tau or L) from results files and/or CSV tables.

    ``temperatures`` (K), when given, lists one temperature per JSON file in order.
    """
    if quantity not in QUANTITIES:
        raise InputError(f"unknown quantity {quantity!r}; expected D, tau or L")
    json_paths = [Path(p) for p in paths if Path(p).suffix.lower() == ".json"]
    if temperatures is not None and len(temperatures) != len(json_paths):
        raise InputError(
            f"--temperatures has {len(temperatures)} values for {len(json_paths)} results files"
        )
    t_iter = iter(temperatures or [])
    ts, vs, es, sources, notes = [], [], [], [], []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError("no such file", p)
        if p.suffix.lower() == ".json":
            try:
                doc = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(
                    f"not a readable JSON results file ({type(exc).__name__})", p
                ) from None
            if not isinstance(doc, dict):
                raise InputError("results file must hold a JSON object", p)
            t_file = _temperature_from_json(doc, p)
            if t_file is not None and not (np.isfinite(t_file) and t_file > 0):
                if temperatures is None:
                    raise InputError(
                        f"temperature {t_file:g} K in this results file is not > 0 K; "
                        "give --temperatures",
                        p,
                    )
                t_file = None
            t = next(t_iter) if temperatures is not None else t_file
            if temperatures is not None and t_file is not None and not np.isclose(t, t_file):
                notes.append(f"--temperatures {t:g} K replaces {t_file:g} K stored in {p}")
            if t is None:
                raise InputError(
                    "no temperature in this results file; give --temperatures 10K,50K,...", p
                )
            v, e = _value_from_json(doc, quantity, p)
            rows = [(t, v, e)]
        else:
            rows = _read_csv_table(p, quantity)
        for t, v, e in rows:
            ts.append(t)
            vs.append(v)
            es.append(np.nan if e is None else e)
        sources.append({"path": str(p), "sha256": sha256_of(p), "points": len(rows)})
    err = np.asarray(es, dtype=float)
    return TemperatureSeries(
        quantity=quantity,
        unit=QUANTITIES[quantity],
        temperature_K=np.asarray(ts, dtype=float),
        values=np.asarray(vs, dtype=float),
        # Weighted fits only when every point has an error (mixing would drop points).
        errors=err if np.all(np.isfinite(err)) else None,
        sources=tuple(sources),
        notes=tuple(notes),
    )
