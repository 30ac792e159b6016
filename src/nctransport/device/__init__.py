"""Single-carrier device transport (Li 2024): SCLC, transient EL, Arrhenius, EGDM.

Modules: :mod:`.mobility` (constant, Poole-Frenkel, GDM, EGDM), :mod:`.statistics`
(Boltzmann, Gauss-Fermi, generalised Einstein relation), :mod:`.drift_diffusion` (1D
Poisson + drift-diffusion, Scharfetter-Gummel, Newton), :mod:`.sclc` (Mott-Gurney, slope
regimes, thickness scaling), :mod:`.arrhenius`, :mod:`.transit` (TEL transit time,
Poole-Frenkel fit) and :mod:`.fit` (EGDM fit to J-V at several temperatures).
"""

from nctransport.device.arrhenius import ArrheniusFit, arrhenius_mobility, fit_arrhenius
from nctransport.device.drift_diffusion import (
    Device,
    JVSolution,
    Statistics,
    mott_gurney_current,
    solve_jv,
)
from nctransport.device.fit import EGDMFit, JVCurve, fit_egdm, simulate_egdm_jv
from nctransport.device.mobility import (
    ConstantMobility,
    EGDMMobility,
    PooleFrenkelMobility,
    constant,
    egdm,
    gdm,
    poole_frenkel,
)
from nctransport.device.sclc import (
    SCLCFit,
    SlopeRegime,
    ThicknessScaling,
    fit_mott_gurney,
    loglog_slope,
    slope_regimes,
    thickness_scaling,
)
from nctransport.device.statistics import einstein_ratio, gauss_fermi_density
from nctransport.device.transit import (
    PooleFrenkelFit,
    TransitTimeFit,
    fit_poole_frenkel,
    transit_mobility,
    transit_time,
)

__all__ = [
    "ArrheniusFit",
    "ConstantMobility",
    "Device",
    "EGDMFit",
    "EGDMMobility",
    "JVCurve",
    "JVSolution",
    "PooleFrenkelFit",
    "PooleFrenkelMobility",
    "SCLCFit",
    "SlopeRegime",
    "Statistics",
    "ThicknessScaling",
    "TransitTimeFit",
    "arrhenius_mobility",
    "constant",
    "egdm",
    "einstein_ratio",
    "fit_arrhenius",
    "fit_egdm",
    "fit_mott_gurney",
    "fit_poole_frenkel",
    "gauss_fermi_density",
    "gdm",
    "loglog_slope",
    "mott_gurney_current",
    "poole_frenkel",
    "simulate_egdm_jv",
    "slope_regimes",
    "solve_jv",
    "thickness_scaling",
    "transit_mobility",
    "transit_time",
]
