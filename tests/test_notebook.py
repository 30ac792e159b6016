"""examples/tour.ipynb runs top to bottom with the Python API, asserting the data's truths.

The notebook's own cells check its numbers against the truths of examples/make_data.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# In the ``test`` extra (pyproject.toml); skipped only where the extra is not installed.
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_tour_notebook_chooses_no_matplotlib_backend():
    nb = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib.use" not in code and "%matplotlib" not in code
    assert "switch_backend" not in code
    assert "assert " in code  # it checks the example data's truths itself


@pytest.mark.slow
def test_tour_notebook_executes():
    nb = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    # The kernel runs as in a user's Jupyter: without the Agg backend tests/conftest.py sets
    # for this process (the notebook must work with the inline backend it gets there).
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    client.execute(env=env)  # raises CellExecutionError on the first failing cell (an assert too)
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    # the displayed results render as HTML tables in a notebook, figures as images
    html = [o for o in _outputs(nb) if "text/html" in o.get("data", {})]
    assert len(html) >= 4
    assert any("image/png" in o.get("data", {}) for o in _outputs(nb))
