"""Kinetic Monte Carlo of excitons on nanocrystal lattices, seen as a microscope sees them.

>>> from nctransport.kmc import load_preset, simulate
"""

from nctransport.kmc.config import SimulationConfig, load_config, validate_config
from nctransport.kmc.presets import PRESETS, load_preset
from nctransport.kmc.result import SimulationResult
from nctransport.kmc.run import run_simulation, write_outputs
from nctransport.kmc.workflow import simulate

__all__ = [
    "PRESETS",
    "SimulationConfig",
    "SimulationResult",
    "load_config",
    "load_preset",
    "run_simulation",
    "simulate",
    "validate_config",
    "write_outputs",
]
