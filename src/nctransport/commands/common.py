"""Options and helpers shared by commands: how a file is loaded, where results go, seeds.

Light on purpose: every command module imports it at start-up, so nothing heavy (NumPy,
xarray) is imported here until a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nctransport.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

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
#: ``--figures`` of every command that writes report figures; the text is parsed, before
#: any computation, by :func:`figure_formats` (a bad value is a ConfigError: exit 2).
Figures = Annotated[
    str,
    typer.Option(
        "--figures",
        help="Figure file format(s): svg (default, drawn without matplotlib), png, or png,svg.",
    ),
]

#: Seeds are 0 <= seed < 2**63 (what NumPy's SeedSequence and Numba's int64 both take).
SEED_LIMIT = 2**63


def parse_seed(value: str | int | None, *, option: str = "--seed") -> int | None:
    """Check a seed at the boundary, before any simulation: an integer in [0, 2**63).

    ``None`` (no seed given) passes through. A float with an integral value (``3.0``) is
    accepted; anything else is a :class:`ConfigError` naming ``option``.

    >>> parse_seed("42"), parse_seed(7), parse_seed(None)
    (42, 7, None)
    >>> parse_seed("123456789012345678901")
    Traceback (most recent call last):
    ...
    nctransport.errors.ConfigError: --seed must be an integer in [0, 2**63), got '123456789012345678901'
    """  # noqa: E501
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{option} must be an integer in [0, 2**63), got {value!r}")
    seed: int | None
    if isinstance(value, int):
        seed = value
    else:
        text = str(value).strip()
        try:
            seed = int(text)
        except ValueError:
            try:
                f = float(text)
                seed = int(f) if f.is_integer() else None
            except (ValueError, OverflowError):
                seed = None
    if seed is None or not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{option} must be an integer in [0, 2**63), got {value!r}")
    return seed


def figure_formats(value: str, *, option: str = "--figures") -> tuple[str, ...]:
    """``"png,svg"`` -> ``("png", "svg")``: figure file formats, each png or svg, once.

    >>> figure_formats("svg"), figure_formats(" PNG , svg ")
    (('svg',), ('png', 'svg'))
    """
    items = [v.strip().lower() for v in str(value).split(",")]
    if not items or any(v not in ("png", "svg") for v in items) or len(set(items)) < len(items):
        raise ConfigError(f"{option} takes png, svg or png,svg, got {value!r}")
    return tuple(items)


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
    from nctransport.io import load

    overrides = {
        k: v
        for k, v in dict(t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel).items()
        if v is not None
    }
    overrides.update(parse_key_values(meta))
    return load(path, **overrides)


def check_out(out: Path | str | None, *, inputs: list[Path] | tuple = ()) -> Path | None:
    """Check ``--out`` before any computation (``None``: the command's default is used).

    See :func:`nctransport.io.output.check_output_dir`.
    """
    if out is None:
        return None
    from nctransport.io.output import check_output_dir

    return check_output_dir(out, inputs=inputs)


def default_out_dir(path: Path, suffix: str) -> Path:
    """``data/map.csv`` -> ``data/map-<suffix>``."""
    return path.with_name(f"{path.stem}-{suffix}")
