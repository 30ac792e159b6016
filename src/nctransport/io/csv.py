r"""CSV/TSV text tables: wide maps, long (tidy) tables and two-column curves.

Three layouts, told apart by the first non-comment row (the header):

* **Wide map** -- the header holds numbers (the positions) after a corner cell that
  names both axes with units, ``t [ns] \ x [um]`` (also ``t (ns) / x (um)``); the first
  column holds the times. A corner such as ``t [ps] \ wavelength [nm]`` (or ``energy
  [eV]``) makes a transient-spectra map (kind ``spectral``). A transposed corner
  (``x [um] \ t [ns]``) is read and transposed.
* **Long / tidy** -- one row per grid point: ``t [ps],x [nm],signal`` (``y`` too for image
  stacks, or ``t, wavelength, value``). Every grid cell must appear exactly once.
* **Two-column** -- ``t [ns],counts`` (decay), ``V [V],J [mA/cm2]`` (J-V; J converted to
  A/m^2), ``wavelength [nm],intensity`` or ``energy [eV],...`` (spectrum). The kind
  follows from the first column's name.

Leading ``# key: value`` lines are metadata (``# temperature: 10 K``); ``# signal:`` names
the signal and ``# signal_units:`` gives its unit. Delimiters: comma, semicolon, tab or
whitespace (decimal commas are accepted with ``;``/tab delimiters). Units come from the
headers or ``--t-unit``/``--x-unit`` (which win); a missing unit is an error, never a guess.
"""

from __future__ import annotations

import csv as _csv
import json
import re
from pathlib import Path

import numpy as np
import xarray as xr

from nctransport.dataset import SIGNAL, kind_of, make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io import (
    EXAMPLE_UNIT,
    axis_of_label,
    axis_to_si,
    check_quantity_text,
    screen_metadata,
)
from nctransport.io.atomic import write_text
from nctransport.io.options import ReadOptions
from nctransport.io.output import check_input_path
from nctransport.limits import check_memory
from nctransport.units import conversion_factor

__all__ = ["read_csv", "write_csv", "parse_label"]

_MAP_PAIRS = {("t", "x"), ("t", "wavelength"), ("t", "energy")}
_LONG_AXES = {
    frozenset({"t", "x"}): ("t", "x"),
    frozenset({"t", "y", "x"}): ("t", "y", "x"),
    frozenset({"t", "wavelength"}): ("t", "wavelength"),
    frozenset({"t", "energy"}): ("t", "energy"),
}
_TWO_COLUMN_KIND = {"t": "decay", "V": "jv", "wavelength": "spectrum", "energy": "spectrum"}
_COUNT_NAMES = {"counts", "count", "cts", "photons", "photon counts"}
_META_LINE = re.compile(r"^#\s*([A-Za-z][\w .\-/]*?(?:\s*[\[(][^\])]*[\])])?)\s*[:=]\s*(.*?)\s*$")
_SIGNAL_NAME_KEYS = {"signal", "signal_name", "quantity"}
_SIGNAL_UNIT_KEYS = {"signal_units", "signal_unit"}
# Control bytes that never occur in text tables (tab, LF, CR and FF are fine).
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")


# ----------------------------------------------------------------------------- labels
def parse_label(text: str) -> tuple[str, str | None]:
    """Split a header cell into name and unit: ``"t [ns]"`` -> ``("t", "ns")``.

    The unit is the trailing bracketed part (``[...]`` or ``(...)``, nesting allowed, so
    ``epsilon [1/(M cm)]`` works). Without brackets the unit is ``None``.

    >>> parse_label("t [ns]"), parse_label("epsilon [1/(M cm)]"), parse_label("counts")
    (('t', 'ns'), ('epsilon', '1/(M cm)'), ('counts', None))
    """
    s = str(text).strip().strip('"').strip("'").strip()
    if s and s[-1] in "])":
        close = s[-1]
        opening = "[" if close == "]" else "("
        depth = 0
        for i in range(len(s) - 1, -1, -1):
            if s[i] == close:
                depth += 1
            elif s[i] == opening:
                depth -= 1
                if depth == 0:
                    name, unit = s[:i].strip(), s[i + 1 : -1].strip()
                    return name, (unit or None)
    return s, None


def _split_corner(text: str) -> tuple[str, str] | None:
    """Split ``t [ns] \\ x [um]`` at the backslash (or a ``/`` outside brackets)."""
    s = str(text).strip().strip('"').strip()
    for sep in ("\\", "/"):
        depth = 0
        for i, ch in enumerate(s):
            if ch in "[(":
                depth += 1
            elif ch in "])":
                depth -= 1
            elif ch == sep and depth == 0:
                left, right = s[:i].strip(), s[i + 1 :].strip()
                if left and right:
                    return left, right
    return None


# ----------------------------------------------------------------------------- text
def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # spreadsheet "Unicode text" (UTF-16)
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot decode the UTF-16 text (offset {exc.start})", path) from None
        if _BINARY.search(text.encode("utf-8", "surrogatepass")) is not None:
            raise InputError("not a text table: control characters in the UTF-16 text", path)
        return text
    if _BINARY.search(raw[: 1 << 16]) is not None:
        m = _BINARY.search(raw)
        raise InputError(
            f"not a text table: binary byte 0x{raw[m.start()]:02x} at offset {m.start()}", path
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # spreadsheet exports on Windows ("µm" as 0xB5)
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode the text (not UTF-8 or Windows-1252; bad byte at offset {exc.start})",
            path,
        ) from None


def _split_whitespace_header(line: str) -> list[str]:
    """Whitespace-separated header: keep ``t [ns]`` and ``t (ns) / x (um)`` as one cell."""
    cells: list[str] = []
    depth = 0
    for tok in line.split():
        join = bool(cells) and (
            depth > 0 or tok[0] in "[(" or tok in ("\\", "/") or cells[-1].endswith(("\\", "/"))
        )
        if join:
            cells[-1] = f"{cells[-1]} {tok}"
        else:
            cells.append(tok)
        depth += tok.count("[") + tok.count("(") - tok.count("]") - tok.count(")")
        depth = max(depth, 0)
    return cells


class _Table:
    """Header cells, body rows (strings) with their file line numbers, and metadata."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.meta: dict[str, str] = {}
        lines: list[tuple[int, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                m = _META_LINE.match(stripped)
                if m and m.group(2):
                    key, unit = parse_label(m.group(1))
                    value = m.group(2)
                    if unit and _is_number(value):  # "# temperature (K): 10" -> "10 K"
                        value = f"{value} {unit}"
                    self.meta[key] = value
                continue
            lines.append((number, line))
        if not lines:
            raise InputError("no table in the file (only comments or blank lines)", path)
        self.header_line, header = lines[0]
        body = lines[1:]
        if "\t" in header:
            self.delimiter: str | None = "\t"
        elif ";" in header:
            self.delimiter = ";"
        elif "," in header:
            self.delimiter = ","
        else:
            self.delimiter = None
        self.numbers = [n for n, _ in body]
        texts = [t for _, t in body]
        #: Body lines whose cells are split only on demand (:attr:`rows`): a plain table's
        #: numbers are parsed from the text in one pass (:meth:`_parsed`).
        self._texts: list[str] | None = None
        self._rows: list[list[str]] | None = None
        self._drop_last = False
        self._parsed_cache: np.ndarray | None | bool = False
        if self.delimiter is None:
            self.header = _split_whitespace_header(header)
            self._rows = [t.split() for t in texts]
            self._texts = texts
        else:
            decimal_comma = (
                self.delimiter in (";", "\t")
                and bool(texts)
                and "." not in texts[0]
                and re.search(r"\d,\d", texts[0]) is not None
            )
            if decimal_comma:  # European locale: "1,5;2,25"
                texts = [t.replace(",", ".") for t in texts]
            if '"' in header or any('"' in t for t in texts):  # quoted cells: csv module
                reader = _csv.reader(
                    [header, *texts], delimiter=self.delimiter, skipinitialspace=True
                )
                try:
                    rows = list(reader)
                except _csv.Error as exc:
                    raise InputError(f"malformed CSV ({exc})", path) from None
                self.header, self._rows = [c.strip() for c in rows[0]], rows[1:]
            else:  # plain lines: cells are counted now and split only if asked for
                self.header = [c.strip() for c in header.split(self.delimiter)]
                self._texts = texts
            if decimal_comma:
                self.header = [
                    c.replace(",", ".") if _is_number(c.replace(",", ".")) else c
                    for c in self.header
                ]
        # Spreadsheet exports often end every line with a delimiter: drop that empty column.
        if len(self.header) > 1 and self.header[-1] == "" and self._last_cells_empty():
            self.header = self.header[:-1]
            self._drop_last = True
            if self._rows is not None:
                self._rows = [r[:-1] for r in self._rows]
        if not self.numbers:
            raise InputError(f"header (line {self.header_line}) but no data rows", path)
        ncols = len(self.header)
        for number, n_cells in zip(self.numbers, self._cell_counts(), strict=True):
            if n_cells != ncols:
                raise InputError(
                    f"ragged rows: line {number} has {n_cells} cells, the header has {ncols}",
                    path,
                )

    def _last_cells_empty(self) -> bool:
        """Whether every body row's last cell is blank (a trailing delimiter)."""
        if self._rows is not None:
            return all(r and not r[-1].strip() for r in self._rows)
        d = self.delimiter
        return all(not t.rpartition(d)[2].strip() for t in self._texts or ())

    def _cell_counts(self) -> list[int]:
        if self._rows is not None:
            return [len(r) for r in self._rows]
        d, drop = self.delimiter, int(self._drop_last)
        return [t.count(d) + 1 - drop for t in self._texts or ()]

    @property
    def rows(self) -> list[list[str]]:
        """Body cells as strings, one list per row."""
        if self._rows is None:
            d = self.delimiter
            rows = [t.split(d) for t in self._texts or ()]
            self._rows = [r[:-1] for r in rows] if self._drop_last else rows
        return self._rows

    def _parsed(self) -> np.ndarray | None:
        """All body cells as a float array ``(rows, columns)`` parsed in one pass, or
        ``None`` when the text is not plain numbers (the cell-by-cell path then decides,
        with its messages). Only digits, signs, points, exponents, blanks and the
        delimiter qualify, every cell must be non-empty, and NumPy's parser rounds
        exactly like ``float()``; anything else (nan, quotes, empty cells...) returns
        ``None``."""
        if self._parsed_cache is not False:
            return self._parsed_cache  # type: ignore[return-value]
        self._parsed_cache = None
        if self._texts is None or self._drop_last:
            return None
        d = self.delimiter
        try:
            body = "\n".join(self._texts).encode("ascii")
        except UnicodeEncodeError:
            return None
        allowed = b"0123456789eE.+- " + (b" \t\n" if d is None else d.encode() + b"\n")
        if body.translate(None, allowed):
            return None
        ncol = len(self.header)
        values = _parse_delimited(body, d, len(self._texts), ncol) if d is not None else None
        if values is None:
            if d is None:
                sep, body = " ", body.replace(b"\t", b" ").replace(b"\n", b" ")
            else:
                sep, body = ",", body.replace(d.encode(), b",").replace(b"\n", b",")
            try:
                values = np.fromstring(body, sep=sep)  # text mode: not deprecated
            except ValueError:  # a malformed or empty cell
                return None
        if values.size != len(self._texts) * ncol:
            return None
        self._parsed_cache = values.reshape(-1, ncol)
        return self._parsed_cache

    def numeric(self, columns: slice, what: str, *, allow_empty: bool) -> np.ndarray:
        """Body cells of ``columns`` as floats; a bad cell is named by line and column.

        Empty cells become NaN where ``allow_empty`` (signal), else they are errors.
        """
        parsed = self._parsed()
        if parsed is not None:
            return np.ascontiguousarray(parsed[:, columns])
        block = [row[columns] for row in self.rows]
        ncol = len(block[0]) if block else 0
        flat = [c for row in block for c in row]
        try:  # fast path: one C-level float() per cell
            return np.fromiter(map(float, flat), dtype=float, count=len(flat)).reshape(-1, ncol)
        except (ValueError, OverflowError):
            pass
        out = np.empty(len(flat))
        first = columns.start or 0
        for k, cell in enumerate(flat):
            try:
                out[k] = float(cell)
                continue
            except (ValueError, OverflowError):
                pass
            i, j = divmod(k, ncol)
            where = f"at line {self.numbers[i]}, column {first + j + 1}"
            cell = str(cell).strip()
            if not cell:
                if allow_empty:
                    out[k] = np.nan
                    continue
                raise InputError(f"empty {what} cell {where}", self.path)
            shown = cell if len(cell) <= 40 else cell[:37] + "..."
            raise InputError(f"non-numeric {what} cell {shown!r} {where}", self.path)
        return out.reshape(-1, ncol)


def _parse_delimited(body: bytes, delimiter: str, n_rows: int, ncol: int) -> np.ndarray | None:
    """``body`` (plain numbers only, checked by the caller) parsed by pandas' C reader, which
    xarray has already imported: ~2.5x faster than ``np.fromstring`` on a 2000 x 200 map.
    ``None`` where the cells do not form a full ``n_rows x ncol`` table of numbers (the
    caller then decides, with its messages)."""
    import io

    import pandas as pd

    # pandas 2 parses floats with its own routine unless asked to round like float();
    # pandas 3 rounds correctly by default and deprecates the option.
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        frame = pd.read_csv(
            io.BytesIO(body), sep=delimiter, header=None, engine="c", dtype=float,
            skip_blank_lines=False, **exact,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):  # a malformed cell, a ragged row
        return None
    values = frame.to_numpy(dtype=float)
    if values.shape != (n_rows, ncol) or np.isnan(values).any():  # a short row or empty cell
        return None
    return values.ravel()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except (ValueError, OverflowError):
        return False
    return True


# ----------------------------------------------------------------------------- reader
def read_csv(path: Path, opts: ReadOptions) -> xr.Dataset:
    """Read a wide map, long table or two-column curve (see the module docstring).

    Parameters
    ----------
    path
        Text table (``.csv``, ``.tsv``, ``.txt``, ``.dat``).
    opts
        Unit overrides (``t_unit``, ``x_unit``, ``signal_units``).

    Returns
    -------
    xarray.Dataset
        Validated by :func:`nctransport.dataset.make_dataset` (SI axes).

    Raises
    ------
    InputError, UnitError
        Naming the file and, where it helps, the line and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> text = "# temperature: 10 K\\nt [ns] \\\\ x [um],0,1\\n0,1,2\\n1,3,4\\n"
    >>> _ = (d / "m.csv").write_text(text)
    >>> ds = read_csv(d / "m.csv", ReadOptions())
    >>> ds.attrs["kind"], ds.x.values.tolist(), ds.attrs["temperature"]
    ('map', [0.0, 1e-06], '10 K')
    """
    path = check_input_path(path)  # regular files only: a FIFO would block
    # Text, its split cells (Python strings) and the float arrays: about 10x the file.
    check_memory(10 * path.stat().st_size, f"{path}: parsing this text table")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", path) from None
    if not raw.strip():
        raise InputError("file is empty", path)
    table = _Table(path, _decode(raw, path))
    meta = dict(table.meta)
    screen_metadata(meta, path)
    signal_name = None
    signal_units = None
    for key in list(meta):
        k = key.strip().lower().replace(" ", "_")
        if k in _SIGNAL_NAME_KEYS:
            signal_name = meta.pop(key)
        elif k in _SIGNAL_UNIT_KEYS:
            signal_units = meta.pop(key)
        elif k == "kind":
            meta.pop(key)
    header = table.header
    if len(header) < 2:
        raise InputError(
            f"only one column (line {table.header_line}); expected a wide map, "
            "a long table or two columns such as 't [ns],counts'",
            path,
        )
    if any(_is_number(c) for c in header[1:]):  # numbers in the first row: a wide map
        return _read_wide(table, opts, meta, signal_name, signal_units)
    if _is_number(header[0]):
        raise InputError(
            f"no header row (line {table.header_line} holds numbers); name the columns with "
            "units, e.g. 't [ns],counts' or a corner cell 't [ns] \\ x [um]' for a map",
            path,
        )
    return _read_columns(table, opts, meta, signal_name, signal_units)


def _corner_axes(table: _Table, opts: ReadOptions) -> tuple[tuple[str, str | None], ...]:
    """Axis names and file units ((row axis, unit), (column axis, unit)) from the corner."""
    path = table.path
    corner = table.header[0]
    parts = _split_corner(corner)
    if parts is None:
        name, unit = parse_label(corner)
        if not name and not unit:
            if opts.t_unit and opts.x_unit:  # the layout itself: rows t, columns x
                return ("t", None), ("x", None)
            raise UnitError(
                "the corner cell is empty; name both axes with units, e.g. 't [ns] \\ x [um]' "
                "(or pass --t-unit and --x-unit)",
                path,
            )
        axis = axis_of_label(name)
        if axis != "t":
            raise InputError(
                f"corner cell {corner!r} does not name the axes; write e.g. 't [ns] \\ x [um]'",
                path,
            )
        return ("t", unit), ("x", None)
    out = []
    for part in parts:
        name, unit = parse_label(part)
        axis = axis_of_label(name)
        if axis is None:
            raise InputError(
                f"corner cell {corner!r}: {name!r} is not an axis name "
                "(use t, x, wavelength or energy)",
                path,
            )
        out.append((axis, unit))
    pair = (out[0][0], out[1][0])
    if pair not in _MAP_PAIRS and pair[::-1] not in _MAP_PAIRS:
        raise InputError(
            f"corner cell {corner!r}: axes {pair} do not make a map; expected t with x, "
            "wavelength or energy",
            path,
        )
    return tuple(out)


def _hint(axis: str, where: str) -> str:
    return f"give it {where} as '{axis} [{EXAMPLE_UNIT[axis]}]'"


def _read_wide(
    table: _Table,
    opts: ReadOptions,
    meta: dict[str, str],
    signal_name: str | None,
    signal_units: str | None,
) -> xr.Dataset:
    path = table.path
    (row_axis, row_unit), (col_axis, col_unit) = _corner_axes(table, opts)
    positions = []
    for j, cell in enumerate(table.header[1:], start=2):
        try:
            positions.append(float(cell))
        except (ValueError, OverflowError):
            raise InputError(
                f"header cell {cell!r} (line {table.header_line}, column {j}) is not a "
                f"number; the first row of a map holds the {col_axis} values",
                path,
            ) from None
    row_vals = table.numeric(slice(0, 1), f"{row_axis}", allow_empty=False)[:, 0]
    signal = table.numeric(slice(1, None), "signal", allow_empty=True)
    f_row = axis_to_si(row_axis, row_unit, opts, path, hint=_hint(row_axis, "in the corner cell"))
    f_col = axis_to_si(col_axis, col_unit, opts, path, hint=_hint(col_axis, "in the corner cell"))
    coords = {row_axis: row_vals * f_row, col_axis: np.asarray(positions) * f_col}
    if row_axis != "t":  # transposed layout: rows are positions
        signal = signal.T
        coords = {"t": coords["t"], row_axis: coords[row_axis]}
    return make_dataset(
        signal,
        coords,
        signal_units=opts.signal_units or signal_units or "arb",
        signal_name=signal_name or "signal",
        attrs=meta,
        path=str(path),
    )


def _read_columns(
    table: _Table,
    opts: ReadOptions,
    meta: dict[str, str],
    signal_name: str | None,
    signal_units: str | None,
) -> xr.Dataset:
    path = table.path
    labels = [parse_label(c) for c in table.header]
    axes = [axis_of_label(name) for name, _ in labels]
    first_axis = axes[0]
    if first_axis is None and (len(labels) == 2 or not any(axes)):
        raise InputError(
            f"first column {table.header[0]!r} is not an axis; expected t, V, wavelength or "
            "energy (or a corner cell 't [ns] \\ x [um]' for a wide map)",
            path,
        )
    axis_cols = [j for j, a in enumerate(axes) if a is not None]
    value_cols = [j for j, a in enumerate(axes) if a is None]
    names = [axes[j] for j in axis_cols]
    if len(set(names)) != len(names):
        raise InputError(f"an axis appears twice in the header {table.header}", path)
    if len(table.header) == 2 and first_axis is not None and len(axis_cols) == 1:
        return _read_two_column(table, opts, meta, signal_name, signal_units, labels, first_axis)
    dims = _LONG_AXES.get(frozenset(names))
    if dims is None or len(value_cols) != 1:
        raise InputError(
            f"cannot tell the layout from the header {table.header}: a long table needs "
            "axis columns (t,x / t,y,x / t,wavelength) and exactly one value column; "
            "a curve needs two columns",
            path,
        )
    data = table.numeric(slice(0, None), "data", allow_empty=True)
    coords_in: dict[str, np.ndarray] = {}
    for j in axis_cols:
        axis = axes[j]
        col = data[:, j]
        if not np.all(np.isfinite(col)):
            i = int(np.flatnonzero(~np.isfinite(col))[0])
            raise InputError(
                f"axis '{axis}' has an empty, NaN or infinite value at line {table.numbers[i]}",
                path,
            )
        f = axis_to_si(axis, labels[j][1], opts, path, hint=_hint(axis, "in the header"))
        coords_in[axis] = col * f
    values = data[:, value_cols[0]]
    name, unit = labels[value_cols[0]]
    grid, coords = _pivot(coords_in, values, dims, table)
    return make_dataset(
        grid,
        coords,
        signal_units=opts.signal_units or unit or signal_units or "arb",
        signal_name=signal_name or name or "signal",
        attrs=meta,
        path=str(path),
    )


def _pivot(
    columns: dict[str, np.ndarray], values: np.ndarray, dims: tuple[str, ...], table: _Table
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Long rows -> dense grid; duplicates and missing cells are errors."""
    path = table.path
    n = values.size
    uniq = {}
    index = []
    for d in dims:
        u, inv = np.unique(columns[d], return_inverse=True)
        uniq[d] = u
        index.append(inv.ravel())
    sizes = tuple(uniq[d].size for d in dims)
    keys = np.stack(index, axis=1)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        row = int(first[np.flatnonzero(counts > 1)[0]])
        point = ", ".join(f"{d}={columns[d][row]:.6g}" for d in dims)
        raise InputError(f"duplicate grid point ({point} in SI) at line {table.numbers[row]}", path)
    total = int(np.prod(sizes, dtype=object))
    if total != n:
        msg = (
            f"the ({', '.join(dims)}) grid is incomplete: {total - n} of {total} cells have "
            "no row (a long table needs every combination of the axis values)"
        )
        raise InputError(msg, path)
    grid = np.full(sizes, np.nan)
    grid[tuple(index)] = values
    return grid, {d: uniq[d] for d in dims}


def _read_two_column(
    table: _Table,
    opts: ReadOptions,
    meta: dict[str, str],
    signal_name: str | None,
    signal_units: str | None,
    labels: list[tuple[str, str | None]],
    axis: str,
) -> xr.Dataset:
    path = table.path
    kind = _TWO_COLUMN_KIND.get(axis)
    if kind is None:
        raise InputError(
            f"a two-column table over '{axis}' is not a supported curve; the first column "
            "must be t (decay), V (J-V), wavelength or energy (spectrum)",
            path,
        )
    x = table.numeric(slice(0, 1), axis, allow_empty=False)[:, 0]
    y = table.numeric(slice(1, 2), "signal", allow_empty=True)[:, 0]
    f = axis_to_si(axis, labels[0][1], opts, path, hint=_hint(axis, "in the header"))
    name, unit = labels[1]
    unit = opts.signal_units or unit or signal_units
    if kind == "jv":
        # J-V tables: current density, stored in A/m^2 (dataset convention).
        if not unit:
            raise UnitError(
                f"column {table.header[1]!r} has no unit; write it as 'J [mA/cm2]'", path
            )
        check_quantity_text(unit, f"column {table.header[1]!r}", path)
        try:
            y = y * conversion_factor(unit, "A/m**2", name=f"column {table.header[1]!r}")
        except UnitError as exc:
            raise UnitError(f"{exc.message} (J must be a current density)", path) from None
        unit, name = "A/m**2", "J"
    elif not unit:
        unit = "counts" if name.strip().lower() in _COUNT_NAMES else "arb"
    return make_dataset(
        y,
        {axis: x * f},
        signal_units=unit,
        signal_name=signal_name or name or "signal",
        attrs=meta,
        path=str(path),
    )


# ----------------------------------------------------------------------------- writer
def _cell_label(text: str) -> str:
    """A signal name/unit safe inside a header cell (no delimiters or brackets)."""
    return re.sub(r"[,;\t\[\]\n\r\"]", " ", str(text)).strip() or "signal"


def _meta_lines(ds: xr.Dataset) -> list[str]:
    lines = []
    for key, value in ds.attrs.items():
        if key == "kind" or value is None:
            continue
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list | tuple | dict):
            value = json.dumps(value)
        text = " ".join(str(value).split())
        if text and re.fullmatch(r"[A-Za-z][\w .\-/]*", str(key)):
            lines.append(f"# {key}: {text}")
    sig = ds[SIGNAL]
    lines.append(f"# signal: {' '.join(str(sig.attrs.get('long_name', 'signal')).split())}")
    lines.append(f"# signal_units: {' '.join(str(sig.attrs.get('units', 'arb')).split())}")
    return lines


def _fmt(values: np.ndarray) -> list[str]:
    # repr() is the shortest text that reads back to the same float (lossless).
    return [repr(float(v)) for v in np.asarray(values, dtype=float).ravel()]


def write_csv(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as a CSV that :func:`read_csv` reads back (atomically).

    Maps and transient spectra become wide tables with the corner cell ``t [s] \\ x [m]``,
    curves become two columns, stacks a long ``t,y,x,signal`` table. Axes are written in
    SI with full float precision; metadata as ``# key: value`` lines. Extra data
    variables are not written (use NetCDF to keep them).
    """
    kind = kind_of(ds)
    sig = ds[SIGNAL]
    dims = list(sig.dims)
    units = {d: ds[d].attrs.get("units", "") for d in dims}
    vlabel = _cell_label(sig.attrs.get("long_name", "signal"))
    vunit = _cell_label(sig.attrs.get("units", "arb"))
    lines = _meta_lines(ds)
    values = np.asarray(sig.values, dtype=float)
    # Every cell becomes a Python string (~60 bytes) before the text is joined.
    cells = values.size * (4 if kind == "stack" else 1) + sum(ds[d].size for d in dims)
    check_memory(cells * 120, f"writing {path} as CSV (use .nc for large data)")
    if kind in ("map", "spectral"):
        a, b = dims
        col = _fmt(ds[b].values)
        lines.append(",".join([f"{a} [{units[a]}] \\ {b} [{units[b]}]", *col]))
        for tv, row in zip(_fmt(ds[a].values), values, strict=True):
            lines.append(",".join([tv, *_fmt(row)]))
    elif kind == "stack":
        t, y, x = (np.asarray(ds[d].values, dtype=float) for d in dims)
        tt, yy, xx = np.meshgrid(t, y, x, indexing="ij")
        lines.append(f"t [{units['t']}],y [{units['y']}],x [{units['x']}],{vlabel} [{vunit}]")
        cols = [_fmt(tt), _fmt(yy), _fmt(xx), _fmt(values)]
        lines.extend(",".join(r) for r in zip(*cols, strict=True))
    else:
        (a,) = dims
        lines.append(f"{a} [{units[a]}],{vlabel} [{vunit}]")
        lines.extend(f"{u},{v}" for u, v in zip(_fmt(ds[a].values), _fmt(values), strict=True))
    return write_text(path, "\n".join(lines) + "\n")
