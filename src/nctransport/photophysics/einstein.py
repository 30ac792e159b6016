"""Einstein relation between diffusivity and mobility of a non-degenerate carrier.

``mu = e D / (k_B T)`` (Liu 2021). Liu 2021 check: D = 102 cm^2/s at 300 K gives
mu = 3.94e3 cm^2 V^-1 s^-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nctransport.constants import K_B
from nctransport.constants import Q_E as E_CHARGE
from nctransport.errors import InputError


def _check(name: str, v: float, *, allow_zero: bool = False) -> float:
    v = float(v)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {v!r}"
        )
    return v


def thermal_voltage(temperature_K: float) -> float:
    """``k_B T / e`` in V.

    >>> round(thermal_voltage(300.0), 6)
    0.025852
    """
    return K_B * _check("temperature", temperature_K) / E_CHARGE


def mobility_from_diffusivity(diffusivity_m2_s: float, temperature_K: float) -> float:
    """``mu = e D / (k_B T)`` in m^2 V^-1 s^-1.

    >>> round(mobility_from_diffusivity(102e-4, 300.0) * 1e4, -1)
    3950.0
    """
    return _check("diffusivity", diffusivity_m2_s, allow_zero=True) / thermal_voltage(temperature_K)


def diffusivity_from_mobility(mobility_m2_Vs: float, temperature_K: float) -> float:
    """``D = mu k_B T / e`` in m^2/s."""
    return _check("mobility", mobility_m2_Vs, allow_zero=True) * thermal_voltage(temperature_K)


@dataclass(frozen=True)
class Einstein:
    diffusivity_m2_s: float
    mobility_m2_Vs: float
    temperature_K: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "diffusivity_cm2_s": self.diffusivity_m2_s * 1e4,
            "mobility_cm2_Vs": self.mobility_m2_Vs * 1e4,
            "mobility_m2_Vs": self.mobility_m2_Vs,
            "temperature_K": self.temperature_K,
            "thermal_voltage_V": thermal_voltage(self.temperature_K),
            "relation": "mu = e D / (k_B T) (Liu 2021)",
        }


def einstein(
    temperature_K: float,
    *,
    diffusivity_m2_s: float | None = None,
    mobility_m2_Vs: float | None = None,
) -> Einstein:
    """Give exactly one of D or mu; the other follows from the Einstein relation."""
    if (diffusivity_m2_s is None) == (mobility_m2_Vs is None):
        raise InputError("give exactly one of diffusivity or mobility")
    if diffusivity_m2_s is not None:
        mu = mobility_from_diffusivity(diffusivity_m2_s, temperature_K)
        return Einstein(float(diffusivity_m2_s), mu, float(temperature_K))
    d = diffusivity_from_mobility(mobility_m2_Vs, temperature_K)
    return Einstein(d, float(mobility_m2_Vs), float(temperature_K))
