"""Spectra and energetics: spectral peaks and shifts, disorder width, Förster radius from
spectral overlap, and temperature models of D, tau and L.

Modules: :mod:`~nctransport.spectral.axes` (wavelength <-> energy, Jacobian),
:mod:`~nctransport.spectral.peaks` (per-frame peaks), :mod:`~nctransport.spectral.shift`
(peak shift vs time), :mod:`~nctransport.spectral.disorder` (sigma_inh, Liu 2021),
:mod:`~nctransport.spectral.forster` (overlap integral and R0),
:mod:`~nctransport.spectral.temperature` (Arrhenius, bright/dark of Bornschlegl 2024) and
:mod:`~nctransport.spectral.series` (reading temperature series).
"""

from nctransport.spectral.axes import HC_EV_NM, to_energy, to_wavelength
from nctransport.spectral.disorder import DisorderWidth, disorder_width, sigma_inh_meV
from nctransport.spectral.forster import (
    SpectralForster,
    forster_from_spectra,
    forster_radius_from_overlap,
    overlap_integral,
)
from nctransport.spectral.peaks import FramePeaks, fit_peaks
from nctransport.spectral.shift import PeakShift, fit_peak_shift
from nctransport.spectral.temperature import TemperatureFit, bright_fraction, fit_temperature

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
