"""Results are frozen dataclasses; this module turns them (and numpy values) into JSON.

Every ``results.json`` carries ``input`` {path, sha256}, ``settings`` and
``nctransport_version`` so a number can always be traced to its data and code.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.io.atomic import write_text


def to_jsonable(obj: Any) -> Any:
    """Recursively convert dataclasses, numpy scalars/arrays, paths and enums to JSON types.

    Non-finite floats become ``None`` (JSON has no NaN).

    >>> to_jsonable({"a": np.float64(1.5), "b": np.array([1, 2]), "c": float("nan")})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    return obj


def dumps(obj: Any) -> str:
    """Deterministic, indented JSON text."""
    return json.dumps(to_jsonable(obj), indent=2, sort_keys=False, allow_nan=False) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    """Atomically write ``obj`` as JSON."""
    return write_text(path, dumps(obj))


def provenance(path: str | Path | None, sha256: str | None, settings: Mapping[str, Any]) -> dict:
    """The common tail of every results.json."""
    from nctransport import __version__

    return {
        "input": {"path": None if path is None else str(path), "sha256": sha256},
        "settings": to_jsonable(dict(settings)),
        "nctransport_version": __version__,
    }
