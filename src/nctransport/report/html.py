"""Self-contained HTML reports: figures inlined, CSS inline, nothing fetched from a network.

A report is one ``report.html`` that can be mailed or archived on its own: figures are
embedded as base64 PNG (or SVG) ``data:`` URIs, the style sheet is inline, and there is no
script at all. Everything that comes from a file (names, metadata, settings, warnings) is
escaped by Jinja2's autoescape, so a file whose metadata contains markup shows it as text.

Layout, for people who look at the top first: title and one-line summary, warnings
(prominent), a card with the headline numbers and their CIs (a result's own
``summary_rows()``), the figures, then the tables -- long ones folded (``<details>``): the
full results table when it is long, record tables (first rows only), the raw JSON, the
inputs and the settings. Rendering cost is capped (rows shown, JSON characters), so it does
not grow with the size of a result; the full data is in results.json and the data files.

Numbers are shown with their units and uncertainties. Units are read from the key names
(``value_cm2_s`` -> cm²/s); an uncertainty is paired with its value by name:
``X_err_U``/``err_U`` as ``value ± error`` and ``X_ci95_U``/``ci95_U`` as a 95% interval.

>>> format_value_error(0.012345, 0.00067)
'0.01235 ± 0.00067'
>>> split_unit("mobility_ci95_m2_Vs")
('mobility_ci95', 'm²/(V·s)')
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import datetime as _dt
import math
import os
import shlex
import sys
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from nctransport.io.atomic import write_text
from nctransport.report.style import SUPERSCRIPT_DIGITS
from nctransport.results import dumps, to_jsonable

_TEMPLATES = Path(__file__).with_name("templates")

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,  # every {{ }} is escaped, whatever the template's extension
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Key suffix -> unit shown to people; the longest match wins (``_cm2_s`` beats ``_s``).
UNIT_SUFFIXES: dict[str, str] = {
    "_cm2_Vs": "cm²/(V·s)",
    "_m2_Vs": "m²/(V·s)",
    "_cm2_s": "cm²/s",
    "_m2_s": "m²/s",
    "_nm2_ns": "nm²/ns",
    "_uJ_cm2": "µJ/cm²",
    "_J_cm2": "J/cm²",
    "_A_m2": "A/m²",
    "_mA_cm2": "mA/cm²",
    "_per_s": "s⁻¹",
    "_per_ns": "ns⁻¹",
    "_nm2": "nm²",
    "_um2": "µm²",
    "_cm2": "cm²",
    "_m2": "m²",
    "_cm3": "cm⁻³",
    "_m3": "m⁻³",
    "_nm": "nm",
    "_um": "µm",
    "_mm": "mm",
    "_cm": "cm",
    "_m": "m",
    "_fs": "fs",
    "_ps": "ps",
    "_ns": "ns",
    "_us": "µs",
    "_ms": "ms",
    "_s": "s",
    "_meV": "meV",
    "_eV": "eV",
    "_K": "K",
    "_mV": "mV",
    "_V": "V",
    "_V_m": "V/m",
    "_J": "J",
    "_nW": "nW",
    "_uW": "µW",
    "_mW": "mW",
    "_W": "W",
    "_kHz": "kHz",
    "_MHz": "MHz",
    "_Hz": "Hz",
    "_pct": "%",
    "_percent": "%",
    "_deg": "°",
    "_rad": "rad",
}
_SUFFIXES_LONGEST_FIRST = sorted(UNIT_SUFFIXES, key=len, reverse=True)

# Keys whose ``_cm2`` suffix means "per cm²" (a count per area), not an area.
_PER_AREA_WORDS = ("fluence", "density", "photons_per")

_DIMENSIONLESS_GROUPS = ("correlation",)
_TOP_LEVEL_ELSEWHERE = ("input", "settings", "nctransport_version", "warnings")
_LONG_LIST = 8
_LONG_LIST_SCAN = 10_000  # longer lists are not scanned for their range
#: Report size caps, so rendering cost does not grow with the result: the raw JSON shown is
#: cut at this many characters, record tables at this many rows, and a results table longer
#: than ``_FOLD_ROWS`` rows starts folded. Everything stays in results.json and data files.
_RAW_JSON_MAX = 100_000
_TABLE_ROWS_MAX = 100
_FOLD_ROWS = 40


# --------------------------------------------------------------------------- formatting


def split_unit(key: str) -> tuple[str, str]:
    """Split a results key into (base name, unit shown to people).

    >>> split_unit("value_cm2_s")
    ('value', 'cm²/s')
    >>> split_unit("alpha")
    ('alpha', '')
    >>> split_unit("photon_fluence_cm2")
    ('photon_fluence', 'cm⁻²')
    """
    for suffix in _SUFFIXES_LONGEST_FIRST:
        if key.endswith(suffix) and len(key) > len(suffix):
            unit = UNIT_SUFFIXES[suffix]
            base = key[: -len(suffix)]
            if suffix == "_cm2" and any(w in base for w in _PER_AREA_WORDS):
                unit = "cm⁻²"
            return base, unit
    return key, ""


def _times_ten(exponent: int) -> str:
    return f"×10{str(exponent).translate(SUPERSCRIPT_DIGITS)}"


def format_number(x: Any, sig: int = 4) -> str:
    """A number for people: ``sig`` significant figures, ``×10ⁿ`` outside 1e-3..1e5.

    >>> format_number(0.000123456)
    '1.235×10⁻⁴'
    >>> format_number(42)
    '42'
    >>> format_number(None)
    '—'
    """
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if not isinstance(x, float):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0.0:
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    if -3 <= exponent < 5:
        text = f"{x:.{sig}g}"
        if "e" not in text:
            return text
        if exponent >= 0:  # 4000 at 3 significant figures: "4000", not "4e+03"
            return f"{round(x, sig - 1 - exponent):.0f}"
    mantissa = x / 10.0**exponent
    if round(abs(mantissa), sig - 1) >= 10.0:  # 9.9996 rounds up to 10
        mantissa /= 10.0
        exponent += 1
    return f"{mantissa:.{sig - 1}f}".rstrip("0").rstrip(".") + _times_ten(exponent)


def format_value_error(value: float | None, error: float | None) -> str:
    """``value ± error`` with the error rounded to two significant figures.

    The value is rounded to the same decimal place; a common power of ten is factored out
    for very small or large numbers.

    >>> format_value_error(2.3456e-11, 1.2e-12)
    '(2.35 ± 0.12)×10⁻¹¹'
    >>> format_value_error(480.3, 12.7)
    '480 ± 13'
    >>> format_value_error(1.5, None)
    '1.5'
    """
    if value is None:
        return "—"
    if error is None or not math.isfinite(error) or error <= 0 or not math.isfinite(value):
        return format_number(value)
    scale_exp = 0
    ref = abs(value) if value != 0 else error
    ref_exp = math.floor(math.log10(ref))
    if not -3 <= ref_exp < 5:
        scale_exp = ref_exp
    v = value / 10.0**scale_exp
    e = error / 10.0**scale_exp
    decimals = max(0, min(12, 1 - math.floor(math.log10(e))))
    text = f"{v:.{decimals}f} ± {e:.{decimals}f}"
    return f"({text}){_times_ten(scale_exp)}" if scale_exp else text


def format_interval(bounds: Sequence[Any]) -> str:
    """``[lo, hi]`` as text.

    >>> format_interval([0.0118, 0.0128])
    '[0.0118, 0.0128]'
    """
    return "[" + ", ".join(format_number(b) for b in bounds) + "]"


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _label(base: str) -> str:
    return base.replace("_", " ")


def _plain(v: Any) -> str:
    """Any JSON value as short text (nested values compacted)."""
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={_plain(x)}" for k, x in v.items())
    if isinstance(v, list):
        if len(v) > _LONG_LIST_SCAN:
            return f"{len(v)} values"
        if len(v) > _LONG_LIST:
            nums = [x for x in v if _is_number(x)]
            if len(nums) == len(v):
                return f"{len(v)} values, {format_number(min(nums))} … {format_number(max(nums))}"
            return f"{len(v)} items"
        if v and all(_is_number(x) or x is None for x in v):
            return format_interval(v)
        return ", ".join(_plain(x) for x in v)
    return format_number(v)


def _partners(m: Mapping[str, Any], key: str) -> tuple[str, str, str | None, str | None]:
    """(base, unit, error key, ci key) for ``key`` of mapping ``m``."""
    base, unit = split_unit(key)
    suffix = key[len(base) :]
    names_err = [f"{base}_err{suffix}", f"{base}_stderr{suffix}", f"{base}_error{suffix}"]
    names_ci = [f"{base}_ci95{suffix}", f"{base}_ci{suffix}"]
    if base == "value":
        names_err += [f"err{suffix}", f"stderr{suffix}", f"error{suffix}"]
        names_ci += [f"ci95{suffix}", f"ci{suffix}"]
    err = next((n for n in names_err if n in m and n != key), None)
    ci = next((n for n in names_ci if n in m and n != key), None)
    return base, unit, err, ci


def _cells(m: Mapping[str, Any]) -> list[tuple[str, tuple[str, str, str, str]]]:
    """Scalar entries of ``m`` as (key, (label, value, unit, note)), errors paired with values.

    The key is the entry's own (first) key, so callers can keep the mapping's order.
    """
    used: set[str] = set()
    out = []
    for key, v in m.items():
        if key in used or isinstance(v, Mapping) or _is_table(v):
            continue
        base, unit, err_key, ci_key = _partners(m, key)
        if _is_number(v) or v is None:
            err = m.get(err_key) if err_key else None
            value = format_value_error(v, err if _is_number(err) else None)
            note = ""
            if ci_key and isinstance(m.get(ci_key), list):
                note = "95% CI " + format_interval(m[ci_key])
            used.update(k for k in (key, err_key, ci_key) if k)
            out.append((key, (_label(base), value, unit, note)))
        elif isinstance(v, list) and len(v) > _LONG_LIST:
            used.add(key)
            out.append((key, (_label(base), _plain(v), unit, "full list in JSON below")))
        else:
            used.add(key)
            out.append((key, (_label(base), _plain(v), unit, "")))
    return out


def _is_table(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _value_key(m: Mapping[str, Any]) -> str | None:
    return next((k for k in m if split_unit(k)[0] == "value" and _is_number(m[k])), None)


def _result_rows(
    m: Mapping[str, Any], depth: int = 0, tables: list | None = None, path="", unit_of_group=""
):
    """Rows of the results table, in the mapping's order; lists of records go to ``tables``.

    ``unit_of_group``: the unit named by the enclosing key (``diffusion_length_nm``), used
    for children whose own keys carry none.
    """
    rows: list[dict[str, Any]] = []
    scalar_cells = dict(_cells(m))
    for key, v in m.items():
        where = f"{path}{key}"
        if key in scalar_cells:
            label, value, unit, note = scalar_cells[key]
            if not unit and _is_number(v):
                unit = unit_of_group
            rows.append(
                dict(group=False, depth=depth, label=label, value=value, unit=unit, note=note)
            )
        elif isinstance(v, Mapping):
            vkey = _value_key(v)
            if vkey is not None:
                # A quantity with its uncertainty and details: one headline row, details below.
                _, _, err_key, ci_key = _partners(v, vkey)
                head = {k: v[k] for k in (vkey, err_key, ci_key) if k}
                _, value, unit, note = _cells(head)[0][1]
                base, group_unit = split_unit(key)
                rows.append(
                    dict(
                        group=False,
                        depth=depth,
                        label=_label(base if group_unit else key),
                        value=value,
                        unit=unit or group_unit,
                        note=note,
                    )
                )
                rest = {k: x for k, x in v.items() if k not in head}
                rows.extend(_result_rows(rest, depth + 1, tables, f"{where}.", group_unit))
            elif any(w in key.lower() for w in _DIMENSIONLESS_GROUPS):
                # correlation matrices are keyed by parameter names that carry units
                rows.append(dict(group=True, depth=depth, label=_label(key)))
                rows.extend(_unitless(_result_rows(v, depth + 1, tables, f"{where}.")))
            else:
                base, unit = split_unit(key)
                rows.append(dict(group=True, depth=depth, label=_label(base)))
                rows.extend(_result_rows(v, depth + 1, tables, f"{where}.", unit))
        elif _is_table(v) and tables is not None:
            tables.append(_record_table(where, v))
    return rows


def _unitless(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "unit": ""} if not r.get("group") else r for r in rows]


def _record_table(title: str, records: list[Mapping[str, Any]]) -> dict[str, Any]:
    columns: list[str] = []
    cells_per_row = []
    for rec in records[:_TABLE_ROWS_MAX]:
        flat = {
            k: (_plain(x) if isinstance(x, Mapping | list) and not _ci_like(x) else x)
            for k, x in rec.items()
        }
        cells = {}
        for _, (label, value, unit, note) in _cells(flat):
            header = f"{label} ({unit})" if unit else label
            cells[header] = f"{value} {note}".strip()
            if header not in columns:
                columns.append(header)
        cells_per_row.append(cells)
    rows = [[c.get(col, "") for col in columns] for c in cells_per_row]
    return {
        "label": _label(title),
        "columns": columns,
        "rows": rows,
        "n": len(records),
        "omitted": max(len(records) - _TABLE_ROWS_MAX, 0),
    }


def _ci_like(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 2 and all(_is_number(b) or b is None for b in x)


def _flat_items(m: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, v in m.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.extend(_flat_items(v, f"{key}."))
        elif isinstance(v, str):
            out.append((key, v))
        else:
            out.append((key, _plain(v)))
    return out


# --------------------------------------------------------------------------- pieces


def _href(target: Path, base: Path) -> str:
    """A relative, URL-quoted link from ``base`` (a directory) to ``target``."""
    rel = os.path.relpath(Path(target).resolve(), Path(base).resolve())
    return "./" + urllib.parse.quote(rel.replace(os.sep, "/"))


def _figure_entry(item: Any, out_dir: Path) -> dict[str, Any]:
    if isinstance(item, Mapping):
        path, caption = Path(item["path"]), item.get("caption")
    elif isinstance(item, tuple | list):
        path, caption = Path(item[0]), item[1]
    else:
        path, caption = Path(item), None
    mime = {
        ".png": "image/png",
        ".svg": "image/svg+xml",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
    }[path.suffix.lower()]
    links = []
    for ext in (".png", ".svg", ".pdf"):
        sibling = path.with_suffix(ext)
        if sibling.exists():
            links.append((ext[1:].upper(), _href(sibling, out_dir)))
    data = path.read_bytes()
    return {
        "wide": _aspect(data, mime) > 1.9,
        "caption": caption or path.stem.replace("_", " "),
        "mime": mime,
        "data": base64.b64encode(data).decode("ascii"),
        "links": links,
    }


def _aspect(data: bytes, mime: str) -> float:
    """Width / height of a PNG from its header, or of an SVG from its root element's
    ``width``/``height`` (1.0 when unknown)."""
    if mime == "image/png" and data[12:16] == b"IHDR":
        w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return w / h if h else 1.0
    if mime == "image/svg+xml":
        import re

        root = re.search(rb"<svg\b[^>]*>", data[:2000])
        size = [
            re.search(rb'\b%s="([0-9.]+)(px)?"' % key, root.group(0)) if root else None
            for key in (b"width", b"height")
        ]
        if all(size):
            w, h = (float(m.group(1)) for m in size)
            return w / h if h else 1.0
    return 1.0


def _figure_path(item: Any) -> Path:
    if isinstance(item, Mapping):
        return Path(item["path"])
    if isinstance(item, tuple | list):
        return Path(item[0])
    return Path(item)


def _unique_figures(figures: Sequence[Any]) -> list[Any]:
    """Drop an SVG (or PDF) when the PNG of the same figure is also given: show it once."""
    pngs = {_figure_path(f).with_suffix("") for f in figures if _figure_path(f).suffix == ".png"}
    return [
        f
        for f in figures
        if _figure_path(f).suffix.lower() in (".png", ".jpg", ".jpeg")
        or (
            _figure_path(f).suffix.lower() == ".svg" and _figure_path(f).with_suffix("") not in pngs
        )
    ]


def _input_entry(inp: Mapping[str, Any]) -> dict[str, Any]:
    inp = to_jsonable(dict(inp))
    path = inp.get("path")
    name = Path(str(path)).name if path else "(no file)"
    ordered = {k: inp[k] for k in ("path", "sha256") if k in inp}
    ordered.update({k: v for k, v in inp.items() if k not in ordered})
    return {"name": name, "rows": _flat_items(ordered)}


def _human_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n} B"  # pragma: no cover


def _files_next_to(out_dir: Path, name: str) -> list[tuple[str, str, str]]:
    if not out_dir.is_dir():
        return []
    files = []
    for p in sorted(out_dir.iterdir()):
        if p.name.startswith(".") or p.name == name or not p.is_file():
            continue
        files.append((p.name, "./" + urllib.parse.quote(p.name), _human_size(p.stat().st_size)))
    return files


#: The command a report shows under "Reproduce" when set (:func:`reproduce_command`).
_COMMAND: contextvars.ContextVar[str | None] = contextvars.ContextVar("command", default=None)


@contextlib.contextmanager
def reproduce_command(command: str) -> Iterator[None]:
    """Reports written inside the block show ``command`` under "Reproduce".

    For library callers that run a workflow on a user's behalf (the demo): the process's
    own command line would name the caller, not the step.

    >>> with reproduce_command("nctransport analyze map.csv"):
    ...     command_line()
    'nctransport analyze map.csv'
    """
    token = _COMMAND.set(command)
    try:
        yield
    finally:
        _COMMAND.reset(token)


def command_line() -> str:
    """The command that produced this process, quoted so it can be pasted into a shell
    (or the one set by :func:`reproduce_command`).

    >>> isinstance(command_line(), str)
    True
    """
    if _COMMAND.get() is not None:
        return _COMMAND.get()
    argv = list(sys.argv)
    if argv and argv[0].endswith(("nctransport", "__main__.py")):
        argv[0] = "nctransport"
    return shlex.join(argv)


def _css() -> str:
    return (_TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_report(
    *,
    title: str,
    results: Any,
    figures: Sequence[Any] = (),
    inputs: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    command: str | None = None,
    summary: str | None = None,
    out_dir: str | Path = ".",
    name: str = "report.html",
    headline_rows: Sequence[Sequence[str]] | None = None,
    raw_json: str | None = None,
) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    from nctransport import __version__

    out = Path(out_dir)
    # ``raw_json`` given: ``results`` is already JSON-ready (to_jsonable walked it once).
    data = results if raw_json is not None else to_jsonable(results)
    if not isinstance(data, Mapping):
        data = {"result": data}
    if settings is None and isinstance(data.get("settings"), Mapping):
        settings = data["settings"]
    if not inputs and isinstance(data.get("inputs"), list):
        inputs = [i for i in data["inputs"] if isinstance(i, Mapping)]
    if not inputs and isinstance(data.get("input"), Mapping) and data["input"].get("path"):
        inputs = [data["input"]]
    if not warnings and isinstance(data.get("warnings"), list):
        warnings = [w if isinstance(w, str) else _plain(w) for w in data["warnings"]]
    if summary is None or headline_rows is None:
        from nctransport.report.summary import summarize

        derived = summarize(data)
        if summary is None:
            summary = derived or None
        if headline_rows is None:
            # No result object to ask: the card shows the headline parts found in the dict.
            parts = [
                p for p in derived.split("; ") if p and not p.endswith(("warning", "warnings"))
            ]
            headline_rows = [(p, "", "") for p in parts]
    headline = [tuple(str(c) for c in row[:3]) for row in headline_rows]
    shown = {k: v for k, v in data.items() if k not in _TOP_LEVEL_ELSEWHERE}
    tables: list[dict[str, Any]] = []
    rows = _result_rows(shown, 0, tables)
    raw = raw_json if raw_json is not None else dumps(data)
    if len(raw) > _RAW_JSON_MAX:
        raw = raw[:_RAW_JSON_MAX] + "\n… (truncated; see results.json)"
    results_json = out / "results.json"
    return _ENV.get_template("report.html.j2").render(
        title=title,
        summary=summary,
        version=__version__,
        created=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        css=_css(),
        warnings=[str(w) for w in warnings],
        headline=headline,
        result_rows=rows,
        result_tables=tables,
        fold_rows=_FOLD_ROWS,
        results_href="./results.json" if results_json.is_file() else None,
        raw_json=raw,
        figures=[_figure_entry(f, out) for f in _unique_figures(figures)],
        inputs=[_input_entry(i) for i in inputs],
        settings=_flat_items(to_jsonable(dict(settings or {}))),
        command=command or command_line(),
        files=_files_next_to(out, name),
    )


def write_report(
    out_dir: str | Path,
    *,
    title: str,
    results: Any,
    figures: Sequence[Any] = (),
    inputs: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    command: str | None = None,
    name: str = "report.html",
    summary: str | None = None,
    headline_rows: Sequence[Sequence[str]] | None = None,
    raw_json: str | None = None,
) -> Path:
    """Write ``out_dir/report.html`` (atomically) and return its path.

    Parameters
    ----------
    out_dir
        Directory of the report; figure and file links are relative to it.
    title
        Heading of the report (e.g. ``"analyze: map.csv"``).
    results
        Mapping or frozen dataclass of numbers (nested mappings become groups; lists of
        records become tables). Units belong in the key names (``tau_ns``, ``value_cm2_s``);
        uncertainties are paired by name (``tau_err_ns``, ``ci95_cm2_s``). A top-level
        ``input``/``settings``/``warnings`` is used when the arguments of the same name are
        not given (and is not repeated in the results table).
    figures
        PNG (or SVG) paths to inline, or ``(path, caption)`` pairs; sibling PNG/SVG files
        are linked. The ``[png, svg]`` pair from ``save_figure`` may be passed whole: a
        figure is shown once, as PNG.
    inputs
        One mapping per input file: ``path``, ``sha256`` and its metadata.
    settings
        The settings used (shown as a flat table).
    warnings
        Failed frames, poor fits, non-Gaussian profiles... shown prominently at the top.
    command
        Command that reproduces the report; defaults to this process's command line.
    name
        File name of the report.
    summary
        One line under the title; by default the headline numbers that
        :func:`nctransport.report.summary.summarize` finds in ``results``.
    headline_rows
        ``(quantity, value, uncertainty / note)`` rows shown in the card at the top: a
        result's own :meth:`~nctransport.results.ResultProtocol.summary_rows`. By default
        the parts of ``summary`` found in ``results``.
    raw_json
        The text of results.json when the caller already has it; ``results`` is then taken
        as JSON-ready and not walked again (reports of big results stay cheap).

    Returns
    -------
    Path
        The report written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_report(d, title="demo", results={"diffusivity": {"value_cm2_s": 0.0123,
    ...         "ci95_cm2_s": [0.0118, 0.0128]}}, inputs=[{"path": "map.csv", "sha256": "ab12"}],
    ...         command="nctransport analyze map.csv")
    ...     "95% CI [0.0118, 0.0128]" in p.read_text()
    True
    """
    html = render_report(
        title=title,
        results=results,
        figures=figures,
        inputs=inputs,
        settings=settings,
        warnings=warnings,
        command=command,
        summary=summary,
        out_dir=out_dir,
        name=name,
        headline_rows=headline_rows,
        raw_json=raw_json,
    )
    target = Path(out_dir) / name
    write_text(target, html)
    return target
