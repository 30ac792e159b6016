"""Options and helpers shared by commands: how a file is loaded, where results go."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import xarray as xr
from rich.console import Console

from nctransport.errors import ConfigError
from nctransport.io import load

console = Console(highlight=False)

TUnit = Annotated[
    str | None, typer.Option("--t-unit", help="Unit of the time axis when the file has none.")
]
XUnit = Annotated[
    str | None, typer.Option("--x-unit", help="Unit of the position axis when the file has none.")
]
T0 = Annotated[
    str | None, typer.Option("--t0", help="Time zero (pulse peak) in file time, e.g. 1.2ns.")
]
Times = Annotated[
    str | None,
    typer.Option(
        "--times", help="TIFF frame times: start:step or start:stop:count, e.g. 0ns:0.1ns."
    ),
]
Pixel = Annotated[str | None, typer.Option("--pixel", help="TIFF pixel size, e.g. 50nm.")]
Meta = Annotated[
    list[str] | None,
    typer.Option("--meta", help="Metadata override key=value, e.g. temperature=10K (repeatable)."),
]
OutDir = Annotated[Path | None, typer.Option("--out", help="Output directory.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")]


def parse_key_values(items: list[str] | None, what: str = "--meta") -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}``; a malformed item is a ConfigError."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what} expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def load_input(
    path: Path,
    *,
    t_unit: str | None = None,
    x_unit: str | None = None,
    t0: str | None = None,
    times: str | None = None,
    pixel: str | None = None,
    meta: list[str] | None = None,
) -> xr.Dataset:
    """Load ``path`` with the command-line overrides applied."""
    overrides = {
        k: v
        for k, v in dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel).items()
        if v is not None
    }
    overrides.update(parse_key_values(meta))
    return load(path, **overrides)


def default_out_dir(path: Path, suffix: str) -> Path:
    """``data/map.csv`` -> ``data/map-<suffix>``."""
    return path.with_name(f"{path.stem}-{suffix}")
