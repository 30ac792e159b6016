"""Population kinetics: decay models, IRF convolution, single and global decay fits.

>>> from nctransport.kinetics import fit_decay, select_model, global_fit
"""

from nctransport.kinetics.fit import MODELS, Component, DecayFit, fit_decay
from nctransport.kinetics.global_fit import GlobalFit, global_fit
from nctransport.kinetics.select import Selection, select_model

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
