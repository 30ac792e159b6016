"""nctransport: exciton and charge transport in nanocrystal films.

Measure (microscopy maps -> diffusivity), simulate (kinetic Monte Carlo on NC lattices)
and model devices (SCLC, EGDM drift-diffusion) with one set of units and conventions.
See ../shared/SCIENCE.md for the physics and the per-axis D convention.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nctransport")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from nctransport.io import load, save  # noqa: E402

__all__ = ["__version__", "load", "save"]
