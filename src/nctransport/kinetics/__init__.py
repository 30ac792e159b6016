"""Population kinetics: decay models, IRF convolution, single and global decay fits.

>>> from nctransport.kinetics import fit_decay, select_model, global_fit

The fits are imported on first use (PEP 562), so that modules needing only
:mod:`nctransport.kinetics.inputs` (the photophysics calculators) do not import SciPy's
optimisers with it (~0.4 s of a calculator's start-up, issue 17).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> defining module.
_LAZY = {
    "MODELS": "nctransport.kinetics.fit",
    "Component": "nctransport.kinetics.fit",
    "DecayFit": "nctransport.kinetics.fit",
    "fit_decay": "nctransport.kinetics.fit",
    "GlobalFit": "nctransport.kinetics.global_fit",
    "global_fit": "nctransport.kinetics.global_fit",
    "Selection": "nctransport.kinetics.select",
    "select_model": "nctransport.kinetics.select",
}

__all__ = [
    "MODELS",
    "Component",
    "DecayFit",
    "GlobalFit",
    "Selection",
    "fit_decay",
    "global_fit",
    "select_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nctransport.kinetics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from nctransport.kinetics.fit import MODELS, Component, DecayFit, fit_decay
    from nctransport.kinetics.global_fit import GlobalFit, global_fit
    from nctransport.kinetics.select import Selection, select_model
