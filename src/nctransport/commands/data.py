"""``info`` and ``convert``: look at any readable file, turn it into NetCDF."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nctransport.commands.common import (
    T0,
    JsonFlag,
    Meta,
    Pixel,
    Times,
    TUnit,
    XUnit,
    console,
    load_input,
)
from nctransport.errors import OutputError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr


def describe(ds: xr.Dataset) -> dict[str, Any]:
    """Summary of a dataset: dims, shape, per-axis unit/min/max/n/step, metadata."""
    import numpy as np

    from nctransport.dataset import SIGNAL
    from nctransport.results import to_jsonable

    sig = ds[SIGNAL]
    axes = {}
    for d in sig.dims:
        v = np.asarray(ds[d].values, dtype=float)
        step = float(np.median(np.diff(v))) if v.size > 1 else None
        axes[d] = {
            "unit": ds[d].attrs.get("units"),
            "min": float(v.min()),
            "max": float(v.max()),
            "n": int(v.size),
            "step": step,
        }
    finite = np.asarray(sig.values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return {
        "kind": ds.attrs.get("kind"),
        "dims": list(sig.dims),
        "shape": list(sig.shape),
        "axes": axes,
        "signal": {
            "unit": sig.attrs.get("units"),
            "name": sig.attrs.get("long_name"),
            "min": float(finite.min()) if finite.size else None,
            "max": float(finite.max()) if finite.size else None,
        },
        "metadata": to_jsonable({k: v for k, v in ds.attrs.items() if k != "kind"}),
    }


def info(
    file: Annotated[Path, typer.Argument(help="Any readable data file.")],
    json: JsonFlag = False,
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
) -> None:
    """Show dims, shape, axis units and ranges, and metadata of FILE."""
    from rich.table import Table

    from nctransport.results import dumps

    ds = load_input(file, t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    summary = describe(ds)
    if json:
        typer.echo(dumps(summary), nl=False)
        return
    table = Table(title=f"{file.name}  ({summary['kind']}, shape {tuple(summary['shape'])})")
    for col in ("axis", "unit", "min", "max", "n", "step"):
        table.add_column(col)
    for d, a in summary["axes"].items():
        step = "" if a["step"] is None else f"{a['step']:.6g}"
        table.add_row(d, str(a["unit"]), f"{a['min']:.6g}", f"{a['max']:.6g}", str(a["n"]), step)
    console.print(table)
    meta_table = Table(title="metadata", show_header=False)
    meta_table.add_column("key")
    meta_table.add_column("value")
    items = list(summary["metadata"].items())
    # rich lays out every row: 2e5 header lines took minutes; --json lists them all
    for k, v in items[:MAX_META_ROWS]:
        meta_table.add_row(k, str(v)[:MAX_META_CHARS])
    if len(items) > MAX_META_ROWS:
        meta_table.add_row("...", f"{len(items) - MAX_META_ROWS} more (all with --json)")
    console.print(meta_table)


#: Metadata rows (and characters per value) shown by ``info`` in the terminal.
MAX_META_ROWS, MAX_META_CHARS = 200, 2000


def convert(
    src: Annotated[Path, typer.Argument(help="Any readable data file.")],
    dst: Annotated[Path, typer.Argument(help="Output .nc (NetCDF/HDF5) or .csv.")],
    t_unit: TUnit = None,
    x_unit: XUnit = None,
    t0: T0 = None,
    times: Times = None,
    pixel: Pixel = None,
    meta: Meta = None,
) -> None:
    """Convert SRC to DST (NetCDF via h5netcdf), written atomically."""
    from nctransport.io.output import check_output_file

    # Checked before reading: DST may not be SRC, a device, a FIFO or a folder.
    check_output_file(dst, inputs=[src], option="DST")
    if dst.suffix.lower() not in (".nc", ".nc4", ".h5", ".hdf5", ".csv"):
        raise OutputError(f"cannot write format {dst.suffix!r}; use .nc or .csv", dst)
    ds = load_input(src, t_unit=t_unit, x_unit=x_unit, t0=t0, times=times, pixel=pixel, meta=meta)
    from nctransport.io import save

    out = save(ds, dst)
    console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command()(info)
    app.command()(convert)
