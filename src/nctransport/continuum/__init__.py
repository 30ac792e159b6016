"""Continuum reaction-diffusion models fitted to whole maps (all pixels, all frames)."""

from nctransport.continuum.fit import ContinuumFit, fit_continuum
from nctransport.continuum.models import MODELS, ContinuumModel, propagate

__all__ = ["MODELS", "ContinuumFit", "ContinuumModel", "fit_continuum", "propagate"]
