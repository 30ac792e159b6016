"""Parameter sweeps: simulate + analyse every point of a grid, resumable to the bit.

Runs on a local process pool or an existing Dask distributed cluster; results do not
depend on which, nor on worker count or completion order (per-point seeds are derived
from the base seed and the point's parameters only).
"""

from nctransport.sweeps.grid import GridAxis, SweepPoint, parse_grid, sweep_points
from nctransport.sweeps.runner import SweepSpec, run_sweep

__all__ = ["GridAxis", "SweepPoint", "SweepSpec", "parse_grid", "run_sweep", "sweep_points"]
