"""Named presets shipped as TOML files in ``kmc/presets/`` (package data)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from nctransport.errors import ConfigError
from nctransport.kmc.config import SimulationConfig, apply_overrides, validate_config

PRESETS = (
    "random-walk",
    "memory",
    "bright-dark",
    "bright-dark-fitted",
    "traps",
    "shrinking-hop",
    "disorder",
)


def preset_data(name: str) -> dict[str, Any]:
    """The raw TOML document of preset ``name``."""
    import tomllib

    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    text = resources.files("nctransport.kmc").joinpath("presets", f"{name}.toml").read_text()
    return tomllib.loads(text)


def load_preset(name: str, overrides: dict[str, str] | None = None) -> SimulationConfig:
    """Preset ``name`` with ``key=value`` overrides (short keys from its ``[keys]`` table).

    >>> load_preset("random-walk", {"particles": "10"}).excitation.particles
    10
    """
    data = apply_overrides(preset_data(name), overrides or {})
    return validate_config(data, f"preset {name}")
