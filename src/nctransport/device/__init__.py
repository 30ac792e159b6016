"""Single-carrier device transport (Li 2024): SCLC, transient EL, Arrhenius, EGDM.

Modules: :mod:`.mobility` (constant, Poole-Frenkel, GDM, EGDM), :mod:`.statistics`
(Boltzmann, Gauss-Fermi, generalised Einstein relation), :mod:`.drift_diffusion` (1D
Poisson + drift-diffusion, Scharfetter-Gummel, Newton), :mod:`.sclc` (Mott-Gurney, slope
regimes, thickness scaling), :mod:`.arrhenius`, :mod:`.transit` (TEL transit time,
Poole-Frenkel fit) and :mod:`.fit` (EGDM fit to J-V at several temperatures).
"""

# Submodules are imported on first use (PEP 562): `device simulate` must not pay for
# scipy.optimize, scipy.stats or the fits it does not use.
_LAZY = {
    "ArrheniusFit": "nctransport.device.arrhenius",
    "ConstantMobility": "nctransport.device.mobility",
    "Device": "nctransport.device.drift_diffusion",
    "EGDMFit": "nctransport.device.fit",
    "EGDMMobility": "nctransport.device.mobility",
    "JVCurve": "nctransport.device.fit",
    "JVSolution": "nctransport.device.drift_diffusion",
    "PooleFrenkelFit": "nctransport.device.transit",
    "PooleFrenkelMobility": "nctransport.device.mobility",
    "SCLCFit": "nctransport.device.sclc",
    "SlopeRegime": "nctransport.device.sclc",
    "Statistics": "nctransport.device.drift_diffusion",
    "ThicknessScaling": "nctransport.device.sclc",
    "TransitTimeFit": "nctransport.device.transit",
    "arrhenius_mobility": "nctransport.device.arrhenius",
    "constant": "nctransport.device.mobility",
    "egdm": "nctransport.device.mobility",
    "einstein_ratio": "nctransport.device.statistics",
    "fit_arrhenius": "nctransport.device.arrhenius",
    "fit_egdm": "nctransport.device.fit",
    "fit_mott_gurney": "nctransport.device.sclc",
    "fit_poole_frenkel": "nctransport.device.transit",
    "gauss_fermi_density": "nctransport.device.statistics",
    "gdm": "nctransport.device.mobility",
    "loglog_slope": "nctransport.device.sclc",
    "mott_gurney_current": "nctransport.device.drift_diffusion",
    "poole_frenkel": "nctransport.device.mobility",
    "simulate_egdm_jv": "nctransport.device.fit",
    "slope_regimes": "nctransport.device.sclc",
    "solve_jv": "nctransport.device.drift_diffusion",
    "thickness_scaling": "nctransport.device.sclc",
    "transit_mobility": "nctransport.device.transit",
    "transit_time": "nctransport.device.transit",
}

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


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
