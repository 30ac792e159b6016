"""Energetic disorder from the red-shift of the bleach (Liu 2021).

Liu 2021: carriers relax downhill in a Gaussian density of states of width sigma_inh and
the bleach peak shifts by ``Delta E = -sigma_inh^2 / (2 k_B T)``. Inverse:
``sigma_inh = sqrt(-2 k_B T Delta E)``.

Not to be confused with the equilibrium mean energy of carriers in a Gaussian DOS,
``-sigma^2 / (k_B T)`` (Bassler, Phys. Stat. Sol. B 175, 15 (1993)), which a disorder
Monte Carlo relaxes to (docs/science.md keeps the two apart); both are offered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nctransport.errors import InputError
from nctransport.photophysics.occupation import K_B_EV


def _temperature(t: float) -> float:
    t = float(t)
    if not math.isfinite(t) or t <= 0:
        raise InputError(f"temperature must be > 0 K, got {t!r}")
    return t


def bleach_shift(sigma_eV: float, temperature_K: float) -> float:
    """Liu 2021 bleach shift ``-sigma^2 / (2 k_B T)`` in eV.

    >>> round(bleach_shift(0.05, 300.0) * 1e3, 2)
    -48.35
    """
    s = float(sigma_eV)
    if not math.isfinite(s) or s < 0:
        raise InputError(f"disorder width must be >= 0, got {sigma_eV!r}")
    return -(s * s) / (2.0 * K_B_EV * _temperature(temperature_K))


def disorder_from_shift(shift_eV: float, temperature_K: float) -> float:
    """Invert Liu 2021: ``sigma = sqrt(-2 k_B T Delta E)``; a blue-shift (> 0) is an error.

    >>> round(disorder_from_shift(bleach_shift(0.05, 300.0), 300.0), 12)
    0.05
    """
    d = float(shift_eV)
    if not math.isfinite(d) or d > 0:
        raise InputError(
            f"the bleach shift must be a red-shift (Delta E <= 0), got {shift_eV!r} eV"
        )
    return math.sqrt(-2.0 * K_B_EV * _temperature(temperature_K) * d)


def equilibrium_energy(sigma_eV: float, temperature_K: float) -> float:
    """Mean equilibrium energy in a Gaussian DOS, ``-sigma^2/(k_B T)`` (Bassler 1993)."""
    return 2.0 * bleach_shift(sigma_eV, temperature_K)


@dataclass(frozen=True)
class Disorder:
    sigma_eV: float
    temperature_K: float
    bleach_shift_eV: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "sigma_meV": self.sigma_eV * 1e3,
            "temperature_K": self.temperature_K,
            "bleach_shift_meV": self.bleach_shift_eV * 1e3,
            "equilibrium_energy_meV": equilibrium_energy(self.sigma_eV, self.temperature_K) * 1e3,
            "relation": "Delta E = -sigma^2/(2 k_B T) (Liu 2021); equilibrium <E> = "
            "-sigma^2/(k_B T) (Bassler 1993)",
        }


def disorder(
    temperature_K: float, *, sigma_eV: float | None = None, shift_eV: float | None = None
) -> Disorder:
    """Give exactly one of the disorder width or the bleach shift."""
    if (sigma_eV is None) == (shift_eV is None):
        raise InputError("give exactly one of the disorder width sigma or the bleach shift")
    if sigma_eV is not None:
        return Disorder(
            float(sigma_eV), float(temperature_K), bleach_shift(sigma_eV, temperature_K)
        )
    s = disorder_from_shift(shift_eV, temperature_K)
    return Disorder(s, float(temperature_K), float(shift_eV))
