"""nctransport: exciton and charge transport in nanocrystal films.

Measure (microscopy maps -> diffusivity), simulate (kinetic Monte Carlo on NC lattices)
and model devices (SCLC, EGDM drift-diffusion) with one set of units and conventions
(docs/science.md). Every workflow is a function that returns a typed result::

    import nctransport as nct
    r = nct.analyze("map.csv", window="0ns:3ns")
    r.summary(); r.plot(); r.write("out/")

The workflows are imported lazily: ``import nctransport`` stays cheap and pulls in neither
SciPy, xarray nor matplotlib until a workflow is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Not importlib.metadata: importing it (email, socket...) cost 34 ms of every command.
from nctransport._version import __version__

#: Public name -> "module:attribute"; resolved on first use (PEP 562).
_LAZY = {
    "load": "nctransport.io:load",
    "save": "nctransport.io:save",
    "Estimate": "nctransport.results:Estimate",
    # measure
    "analyze": "nctransport.microscopy.workflow:analyze",
    "series": "nctransport.microscopy.workflow:series",
    "fit_model": "nctransport.continuum.workflow:fit_model",
    "fit_decay": "nctransport.kinetics.workflow:fit_decay",
    "spectra": "nctransport.spectral.workflow:spectra",
    "temperature_fit": "nctransport.spectral.workflow:temperature_fit",
    # photophysics calculators
    "excitation_density": "nctransport.photophysics.workflow:excitation_density",
    "forster_hopping": "nctransport.photophysics.workflow:forster_hopping",
    "absorption_cross_section": "nctransport.photophysics.workflow:absorption_cross_section",
    "einstein_relation": "nctransport.photophysics.workflow:einstein_relation",
    "bright_dark_occupation": "nctransport.photophysics.workflow:bright_dark_occupation",
    "energetic_disorder": "nctransport.photophysics.workflow:energetic_disorder",
    "saha_fraction": "nctransport.photophysics.workflow:saha_fraction",
    # simulate
    "simulate": "nctransport.kmc.workflow:simulate",
    "sweep": "nctransport.sweeps.workflow:sweep",
    "sweep_report": "nctransport.sweeps.workflow:sweep_report",
    "reproduce": "nctransport.reproduce:reproduce",
    "reproduce_all": "nctransport.reproduce:reproduce_all",
    # devices
    "sclc": "nctransport.device.workflow:sclc",
    "simulate_jv": "nctransport.device.workflow:simulate_jv",
    "fit_jv": "nctransport.device.workflow:fit_jv",
    "tel": "nctransport.device.workflow:tel",
    # the whole loop on the bundled example data
    "run_demo": "nctransport.demo:run_demo",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'nctransport' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from nctransport.io import load, save  # noqa: F401
    from nctransport.results import Estimate  # noqa: F401
