"""Excitons versus free carriers in thermal equilibrium: the Saha-Langmuir equation.

Form used (D'Innocenzo et al., Nat. Commun. 5, 3586 (2014), Eq. 1; law of mass action
e + h <-> X with non-degenerate carriers):

    x^2 / (1 - x) = (1/n) (2 pi mu k_B T / h^2)^(d/2) exp(-E_b / k_B T)

with x the free-carrier fraction, n the total excitation density (pairs per m^3 in 3D,
per m^2 in 2D), mu the exciton reduced mass and E_b the exciton binding energy.
Solved as the positive root ``x = 2 / (1 + sqrt(1 + 4/K))`` with K the right-hand side
(a form that stays accurate for K << 1 and K >> 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nctransport.constants import H_PLANCK, K_B
from nctransport.constants import M_E as m_e
from nctransport.errors import InputError
from nctransport.photophysics.occupation import K_B_EV


@dataclass(frozen=True)
class SahaResult:
    free_carrier_fraction: float
    exciton_fraction: float
    binding_energy_eV: float
    density: float
    temperature_K: float
    reduced_mass_me: float
    dimension: int
    saha_constant: float  # K, same units as nothing (dimensionless)
    crossover_density: float  # density at which x = 1/2

    def to_dict(self) -> dict[str, Any]:
        unit = "cm-3" if self.dimension == 3 else "cm-2"
        scale = 1e-6 if self.dimension == 3 else 1e-4
        return {
            "free_carrier_fraction": self.free_carrier_fraction,
            "exciton_fraction": self.exciton_fraction,
            "binding_energy_meV": self.binding_energy_eV * 1e3,
            f"density_{unit}": self.density * scale,
            "temperature_K": self.temperature_K,
            "reduced_mass_me": self.reduced_mass_me,
            "dimension": self.dimension,
            f"crossover_density_{unit}": self.crossover_density * scale,
            "relation": "x^2/(1-x) = (1/n)(2 pi mu kT/h^2)^(d/2) exp(-Eb/kT) "
            "(Saha-Langmuir; D'Innocenzo et al., Nat. Commun. 5, 3586 (2014))",
        }


def saha(
    binding_energy_eV: float,
    density: float,
    temperature_K: float,
    reduced_mass_me: float,
    *,
    dimension: int = 3,
) -> SahaResult:
    """Free-carrier fraction of an excitation density ``density`` (SI: m^-3 or m^-2).

    Examples
    --------
    >>> r = saha(0.05, 1e21, 300.0, 0.15)
    >>> 0 < r.free_carrier_fraction < 1
    True
    >>> round(saha(0.0, 1.0, 300.0, 0.15).free_carrier_fraction, 6)   # dilute, unbound
    1.0
    """
    eb = float(binding_energy_eV)
    n = float(density)
    t = float(temperature_K)
    mu = float(reduced_mass_me)
    if not math.isfinite(eb) or eb < 0:
        raise InputError(f"binding energy must be >= 0, got {binding_energy_eV!r}")
    if not math.isfinite(n) or n <= 0:
        raise InputError(f"density must be > 0, got {density!r}")
    if not math.isfinite(t) or t <= 0:
        raise InputError(f"temperature must be > 0 K, got {temperature_K!r}")
    if not math.isfinite(mu) or mu <= 0:
        raise InputError(f"reduced mass must be > 0 (in electron masses), got {reduced_mass_me!r}")
    if dimension not in (2, 3):
        raise InputError("dimension must be 2 or 3")
    # effective density of pair states (2 pi mu kT / h^2)^(d/2), m^-d
    nc = (2 * math.pi * mu * m_e * K_B * t / H_PLANCK**2) ** (dimension / 2)
    boltz = math.exp(-eb / (K_B_EV * t))
    k = nc * boltz / n
    x = 2.0 / (1.0 + math.sqrt(1.0 + 4.0 / k)) if k > 0 else 0.0
    # x = 1/2  <=>  K = 1/2  <=>  n = 2 nc exp(-Eb/kT)
    return SahaResult(x, 1.0 - x, eb, n, t, mu, dimension, k, 2.0 * nc * boltz)
