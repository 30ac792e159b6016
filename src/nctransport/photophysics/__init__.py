"""Photophysics calculators: excitation density, Forster, Einstein, occupations, Saha.

Every function takes SI inputs and returns a frozen dataclass whose ``to_dict`` reports
field units (cm^2/s, nm, uJ/cm^2); formulas and the papers they come from are in each
module. :mod:`nctransport.photophysics.workflow` wraps them for quantities with units
(``nct.excitation_density("10nW", "2.5MHz", "500nm", "405nm")``, ...).
"""

from nctransport.photophysics.cross_section import CrossSection, fit_cross_section, saturation
from nctransport.photophysics.disorder import (
    Disorder,
    bleach_shift,
    disorder,
    disorder_from_shift,
    equilibrium_energy,
)
from nctransport.photophysics.einstein import (
    Einstein,
    diffusivity_from_mobility,
    einstein,
    mobility_from_diffusivity,
    thermal_voltage,
)
from nctransport.photophysics.excitation import Excitation, excitation
from nctransport.photophysics.forster import (
    ForsterHopping,
    diffusivity_from_forster_radius,
    forster_radius_from_diffusivity,
    fret_rate,
    lattice_factor,
)
from nctransport.photophysics.occupation import (
    BrightDark,
    amplitude_ratio_for_photon_fraction,
    bright_dark,
    bright_fraction,
    photon_fractions,
    poisson_occupation,
)
from nctransport.photophysics.saha import SahaResult, saha

__all__ = [
    "BrightDark",
    "CrossSection",
    "Disorder",
    "Einstein",
    "Excitation",
    "ForsterHopping",
    "SahaResult",
    "amplitude_ratio_for_photon_fraction",
    "bleach_shift",
    "bright_dark",
    "bright_fraction",
    "diffusivity_from_forster_radius",
    "diffusivity_from_mobility",
    "disorder",
    "disorder_from_shift",
    "einstein",
    "equilibrium_energy",
    "excitation",
    "fit_cross_section",
    "forster_radius_from_diffusivity",
    "fret_rate",
    "lattice_factor",
    "mobility_from_diffusivity",
    "photon_fractions",
    "poisson_occupation",
    "saha",
    "saturation",
    "thermal_voltage",
]
