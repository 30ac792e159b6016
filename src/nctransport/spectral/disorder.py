"""Energetic disorder from the final red shift of the bleach (Liu 2021).

Liu 2021 (``001_*.txt``, the equation after "the available thermal activation"):
``Delta E = - sigma_inh^2 / (2 k_B T)``, so ``sigma_inh = sqrt(-2 k_B T Delta E)``.
(This is Liu 2021's own relation for the bleach shift; the equilibrium mean energy of a
carrier in a Gaussian DOS, ``-sigma^2 / (k_B T)`` (Bassler 1993), is a different quantity;
see docs/science.md.)

The 95% interval maps Delta E's interval through this monotonic function, so it is exact
for whatever interval Delta E has; an upper end of Delta E at or above zero gives a lower
end of 0 for sigma_inh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nctransport.constants import K_B, Q_E
from nctransport.errors import FitError, InputError

#: Boltzmann constant in eV/K.
KB_EV_PER_K: float = K_B / Q_E


@dataclass(frozen=True)
class DisorderWidth:
    """Inhomogeneous broadening sigma_inh (meV) with its 95% interval."""

    value_meV: float
    ci95_meV: tuple[float, float]
    temperature_K: float
    delta_e_meV: float

    def to_dict(self) -> dict:
        return {
            "value": self.value_meV,
            "ci95": list(self.ci95_meV),
            "temperature_K": self.temperature_K,
            "delta_e_meV": self.delta_e_meV,
            "equation": "sigma_inh = sqrt(-2 k_B T Delta E) (Liu 2021)",
        }


def sigma_inh_meV(delta_e_meV: float, temperature_K: float) -> float:
    """``sqrt(-2 k_B T Delta E)`` in meV for a shift in meV (Liu 2021).

    >>> round(sigma_inh_meV(-20.0, 300.0), 3)  # 2 * 25.852 meV * 20 meV
    32.157
    """
    if not temperature_K > 0:
        raise InputError(f"temperature must be positive, got {temperature_K!r} K")
    if delta_e_meV > 0:
        raise FitError(
            f"peak shift Delta E = {delta_e_meV:.4g} meV is a blue shift; "
            "sigma_inh = sqrt(-2 kT Delta E) needs a red shift (Delta E <= 0)"
        )
    kt_meV = KB_EV_PER_K * temperature_K * 1e3
    return math.sqrt(-2.0 * kt_meV * delta_e_meV)


def disorder_width(
    delta_e_meV: float,
    temperature_K: float,
    delta_e_ci95_meV: tuple[float, float] | None = None,
) -> DisorderWidth:
    """sigma_inh with the 95% interval propagated from that of Delta E.

    Examples
    --------
    >>> d = disorder_width(-20.0, 300.0, (-24.0, -16.0))
    >>> round(d.value_meV, 2), [round(v, 2) for v in d.ci95_meV]
    (32.16, [28.76, 35.23])
    """
    if not (math.isfinite(delta_e_meV) and math.isfinite(temperature_K)):
        raise FitError("Delta E or temperature is not finite")
    value = sigma_inh_meV(delta_e_meV, temperature_K)
    if delta_e_ci95_meV is None or not all(math.isfinite(v) for v in delta_e_ci95_meV):
        ci = (float("nan"), float("nan"))
    else:
        lo_de, hi_de = sorted(delta_e_ci95_meV)
        # sigma decreases as Delta E rises toward 0: the upper end of Delta E gives the lower end.
        lo = sigma_inh_meV(min(hi_de, 0.0), temperature_K)
        hi = sigma_inh_meV(min(lo_de, 0.0), temperature_K)
        ci = (lo, hi)
    return DisorderWidth(value, ci, float(temperature_K), float(delta_e_meV))
