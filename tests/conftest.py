"""Shared fixtures: small synthetic data with known truth, written to a temp dir."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

# Figures are rendered headless in every test.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Close figures a test left open in pyplot, so that tests checking that our code closes
    its own figures do not see another test's."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def write_without_matplotlib():
    """``write(setup, out) -> file names``: run ``setup`` (which binds ``r`` to a result) in a
    new interpreter, write ``r`` with its report to ``out``; fails if matplotlib was imported
    (reports draw SVG themselves, issue 17; a fresh process shows any import)."""
    import ast
    import subprocess

    def write(setup: str, out) -> list[str]:
        code = (
            "import sys\nimport numpy as np\nimport nctransport as nct\n"
            f"{setup}\n"
            f"names = sorted(p.name for p in r.write({str(out)!r}))\n"
            "print(names)\nprint('matplotlib' in sys.modules)\n"
        )
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        names, imported = res.stdout.strip().splitlines()[-2:]
        assert imported == "False", "matplotlib was imported to write the report"
        return ast.literal_eval(names)  # a printed list of file names

    return write


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
