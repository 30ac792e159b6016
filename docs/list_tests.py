"""Print the test inventory (file docstrings, test names and their first docstring lines) as
Markdown, for the appendix of docs/validation.md.

    .venv/bin/python docs/list_tests.py > /tmp/inventory.md

Reads the test sources only (nothing is imported or run).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].strip()


def inventory(tests: Path) -> str:
    lines: list[str] = []
    total = 0
    for path in sorted(tests.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
        ]
        total += len(funcs)
        rel = path.relative_to(ROOT).as_posix()
        lines.append(f"**`{rel}`** ({len(funcs)}) — {first_line(ast.get_docstring(tree))}")
        lines.append("")
        for f in funcs:
            doc = first_line(ast.get_docstring(f))
            lines.append(f"- `{f.name}`" + (f": {doc}" if doc else ""))
        lines.append("")
    return (
        f"{total} test functions in {len(list(tests.rglob('test_*.py')))} files.\n\n"
        + "\n".join(lines)
    )


if __name__ == "__main__":
    sys.stdout.write(inventory(ROOT / "tests"))
