"""Small configs for the KMC tests (kept tiny: the whole area runs in well under a minute)."""

from __future__ import annotations

from typing import Any

from nctransport.kmc.config import validate_config


def walk_config(dim: int = 2, **over: Any):
    """Independent walkers without decay: D = k_n a^2 per axis is the truth."""
    data: dict[str, Any] = {
        "name": "test-walk",
        "lattice": {
            "dim": dim,
            "size": 401 if dim == 1 else (121 if dim == 2 else 41),
            "spacing": "10nm",
        },
        "hops": {"model": "constant", "rate": "1e10/s"},
        "states": {"exciton": {"lifetime": "1ms"}},
        "excitation": {"kind": "particles", "particles": 4000, "sigma": "20nm"},
        "output": {"frame_interval": "100ps", "duration": "1ns"},
    }
    for key, value in over.items():
        node = data
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return validate_config(data)
