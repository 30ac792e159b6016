"""Self-contained HTML reports: figures inlined, CSS inline, nothing fetched from a network.

Everything that comes from a file (names, metadata) is escaped by Jinja2's autoescape, so
a file whose metadata contains markup shows it as text.
"""

from __future__ import annotations

import base64
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from nctransport.io.atomic import write_text
from nctransport.results import to_jsonable

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;border-bottom:1px solid #ddd;
padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left;vertical-align:top} th{background:#f4f6f8}
td.num{font-variant-numeric:tabular-nums}
.warn{background:#fff4e5;border-left:4px solid #E69F00;padding:.4em .8em;margin:.3em 0}
.ok{color:#009E73} code,pre{background:#f4f6f8;padding:.1em .3em;border-radius:3px}
pre{padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
figure{margin:1em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
</style></head><body>
<h1>{{ title }}</h1>
<p>nctransport {{ version }}</p>
{% if warnings %}<h2>Warnings</h2>
{% for w in warnings %}<div class="warn">{{ w }}</div>{% endfor %}
{% else %}<p class="ok">No warnings.</p>{% endif %}
<h2>Results</h2>
<table>{% for k, v in results %}<tr><th>{{ k }}</th><td class="num">{{ v }}</td></tr>{% endfor %}
</table>
{% if figures %}<h2>Figures</h2>
{% for f in figures %}<figure><img alt="{{ f.name }}" src="data:{{ f.mime }};base64,{{ f.data }}">
<figcaption>{{ f.name }}</figcaption></figure>{% endfor %}{% endif %}
<h2>Input</h2>
{% for inp in inputs %}<table>{% for k, v in inp %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>
{% endfor %}</table>{% endfor %}
<h2>Settings</h2>
<table>{% for k, v in settings %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>Reproduce</h2>
<pre>{{ command }}</pre>
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _rows(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested results into (key, text) rows; long lists are summarised."""
    rows: list[tuple[str, str]] = []
    for k, v in mapping.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            rows.extend(_rows(v, prefix=f"{key}."))
        elif isinstance(v, list) and len(v) > 12:
            rows.append((key, f"[{len(v)} values]"))
        elif isinstance(v, float):
            rows.append((key, f"{v:.6g}"))
        else:
            rows.append((key, str(v)))
    return rows


def _figure_entry(path: Path) -> dict[str, str]:
    mime = {".png": "image/png", ".svg": "image/svg+xml"}[path.suffix.lower()]
    return {"name": path.name, "mime": mime, "data": base64.b64encode(path.read_bytes()).decode()}


def command_line() -> str:
    """The command that produced this process, quoted so it can be pasted into a shell."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(("nctransport", "__main__.py")):
        argv[0] = "nctransport"
    return shlex.join(argv)


def write_report(
    out_dir: str | Path,
    *,
    title: str,
    results: Mapping[str, Any],
    figures: Sequence[str | Path] = (),
    inputs: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    command: str | None = None,
    name: str = "report.html",
) -> Path:
    """Write ``out_dir/report.html`` (atomically) and return its path.

    Parameters
    ----------
    results
        Numbers to show (nested mappings are flattened; units belong in the key names).
    figures
        PNG paths to inline (SVG are inlined when no PNG is given).
    inputs
        One mapping per input file: ``path``, ``sha256`` and its metadata.
    warnings
        Failed frames, poor fits, non-Gaussian profiles... shown at the top.
    command
        Command that reproduces the report; defaults to this process's command line.
    """
    from nctransport import __version__

    figs = [_figure_entry(Path(f)) for f in figures]
    html = _ENV.from_string(_TEMPLATE).render(
        title=title,
        version=__version__,
        warnings=list(warnings),
        results=_rows(to_jsonable(dict(results))),
        figures=figs,
        inputs=[_rows(to_jsonable(dict(i))) for i in inputs],
        settings=_rows(to_jsonable(dict(settings or {}))),
        command=command or command_line(),
    )
    target = Path(out_dir) / name
    write_text(target, html)
    return target
