"""Spectra and energetics: spectral peaks and shifts, disorder width, Förster radius from
spectral overlap, and temperature models of D, tau and L.

Modules: :mod:`~nctransport.spectra.axes` (wavelength <-> energy, Jacobian),
:mod:`~nctransport.spectra.peaks` (per-frame peaks), :mod:`~nctransport.spectra.shift`
(peak shift vs time), :mod:`~nctransport.spectra.disorder` (sigma_inh, seed 001),
:mod:`~nctransport.spectra.forster` (overlap integral and R0),
:mod:`~nctransport.spectra.temperature` (Arrhenius, bright/dark of seed 003) and
:mod:`~nctransport.spectra.series` (reading temperature series).
"""

from nctransport.spectra.axes import HC_EV_NM, to_energy, to_wavelength
from nctransport.spectra.disorder import DisorderWidth, disorder_width, sigma_inh_meV
from nctransport.spectra.forster import (
    SpectralForster,
    forster_from_spectra,
    forster_radius_from_overlap,
    overlap_integral,
)
from nctransport.spectra.peaks import FramePeaks, fit_peaks
from nctransport.spectra.shift import PeakShift, fit_peak_shift
from nctransport.spectra.temperature import TemperatureFit, bright_fraction, fit_temperature

__all__ = [
    "HC_EV_NM",
    "DisorderWidth",
    "FramePeaks",
    "PeakShift",
    "SpectralForster",
    "TemperatureFit",
    "bright_fraction",
    "disorder_width",
    "fit_peak_shift",
    "fit_peaks",
    "fit_temperature",
    "forster_from_spectra",
    "forster_radius_from_overlap",
    "overlap_integral",
    "sigma_inh_meV",
    "to_energy",
    "to_wavelength",
]
