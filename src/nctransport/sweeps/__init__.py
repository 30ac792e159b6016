"""Parameter sweeps: simulate + analyse every point of a grid, resumable to the bit.

Points run in-process through the library (never the CLI), on a local process pool whose
workers import once, or on an existing Dask distributed cluster; results do not depend on
which, nor on worker count or completion order (per-point seeds are derived from the base
seed and the point's parameters only). :func:`sweep` and :func:`sweep_report` are the
Python API (``nct.sweep`` / ``nct.sweep_report``).
"""

from nctransport.sweeps.grid import GridAxis, SweepPoint, parse_grid, sweep_points
from nctransport.sweeps.runner import SweepSpec, run_sweep

__all__ = [
    "GridAxis",
    "SweepPoint",
    "SweepReportResult",
    "SweepResult",
    "SweepSpec",
    "parse_grid",
    "run_sweep",
    "sweep",
    "sweep_points",
    "sweep_report",
]


def __getattr__(name: str):
    if name in ("sweep", "sweep_report", "SweepResult", "SweepReportResult"):
        from nctransport.sweeps import workflow

        return getattr(workflow, name)
    raise AttributeError(f"module 'nctransport.sweeps' has no attribute {name!r}")
