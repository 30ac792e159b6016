"""examples/tour.ipynb runs top to bottom with the Python API (the notebook asserts its own
numbers against the example data's truth)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_tour_notebook_executes():
    nb = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    # the displayed results render as HTML tables in a notebook
    html = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert html
