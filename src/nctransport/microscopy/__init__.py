"""Transient microscopy: per-frame profile fits (this file re-exports the public names).

Profile layer: :func:`fit_profiles` -> :class:`ProfileFits`, :func:`subtract_background`,
:func:`non_gaussianity`, :func:`evaluate_model`. MSD, diffusivity and regimes build on these
in their own modules.
"""

from nctransport.microscopy.background import BackgroundInfo, subtract_background
from nctransport.microscopy.nongaussian import NonGaussianity, non_gaussianity
from nctransport.microscopy.profiles import PROFILES, ProfileFits, evaluate_model, fit_profiles

__all__ = [
    "PROFILES",
    "BackgroundInfo",
    "NonGaussianity",
    "ProfileFits",
    "evaluate_model",
    "fit_profiles",
    "non_gaussianity",
    "subtract_background",
]
