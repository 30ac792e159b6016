"""Occupation statistics: Poisson excitation of NCs, Boltzmann bright/dark populations.

* Poisson (Li 2023, docs/science.md): ``P(n) = <N>^n exp(-<N>) / n!``.
* Bright/dark fine structure (Bornschlegl 2024, Fig. 2b): one dark level below a threefold
  degenerate bright level, split by Delta E_BD (3, 6, 15 meV for 14, 8, 5 nm NCs). In
  thermal equilibrium the bright fraction is
  ``p_B = 3 exp(-dE/kT) / (1 + 3 exp(-dE/kT))`` (-> 3/4 at high T).
* Photon fractions of a multi-exponential decay: component i emits ``A_i tau_i`` photons
  (time integral of ``A_i exp(-t/tau_i)``). Bornschlegl 2024: 5 nm NCs at 10 K decay with
  tau_B = 480 ps and tau_D = 52 ns and ~58 % of all photons come from the dark state,
  i.e. the time-integrated PL of the slow component over the total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nctransport.constants import K_B
from nctransport.constants import Q_E as E_CHARGE
from nctransport.errors import InputError

K_B_EV = K_B / E_CHARGE  # Boltzmann constant in eV/K


def poisson_occupation(mean: float, n_max: int = 4) -> tuple[float, ...]:
    """``P(0..n_max)`` for a Poisson mean ``<N>``.

    >>> [round(p, 4) for p in poisson_occupation(0.5, 2)]
    [0.6065, 0.3033, 0.0758]
    """
    m = float(mean)
    if not math.isfinite(m) or m < 0:
        raise InputError(f"mean occupation must be >= 0, got {mean!r}")
    if not isinstance(n_max, int | np.integer) or n_max < 0:
        raise InputError(f"n_max (--n-max) must be a whole number >= 0, got {n_max!r}")
    from nctransport.limits import check_memory

    # a float64 per occupation, and scipy's temporaries of the same size
    check_memory(4 * 8 * (n_max + 1), "the Poisson occupation table", option="--n-max")
    # the Poisson pmf as scipy.stats computes it, without importing scipy.stats (~0.5 s)
    from scipy import special

    k = np.arange(n_max + 1)
    return tuple(float(p) for p in np.exp(special.xlogy(k, m) - m - special.gammaln(k + 1)))


@dataclass(frozen=True)
class BrightDark:
    """Bright/dark populations and (optionally) photon fractions of a biexponential."""

    splitting_eV: float
    temperature_K: float
    degeneracy_bright: int
    bright_fraction: float
    dark_fraction: float
    tau_bright_s: float | None = None
    tau_dark_s: float | None = None
    amplitude_ratio_dark_to_bright: float | None = None
    dark_photon_fraction: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "splitting_meV": self.splitting_eV * 1e3,
            "temperature_K": self.temperature_K,
            "degeneracy_bright": self.degeneracy_bright,
            "bright_fraction": self.bright_fraction,
            "dark_fraction": self.dark_fraction,
            "tau_bright_ns": None if self.tau_bright_s is None else self.tau_bright_s * 1e9,
            "tau_dark_ns": None if self.tau_dark_s is None else self.tau_dark_s * 1e9,
            "amplitude_ratio_dark_to_bright": self.amplitude_ratio_dark_to_bright,
            "dark_photon_fraction": self.dark_photon_fraction,
            "bright_photon_fraction": None
            if self.dark_photon_fraction is None
            else 1.0 - self.dark_photon_fraction,
        }


def bright_fraction(splitting_eV: float, temperature_K: float, degeneracy: int = 3) -> float:
    """Boltzmann population of a ``degeneracy``-fold bright level ``splitting_eV`` above
    one dark level (Bornschlegl 2024).

    >>> round(bright_fraction(0.015, 1e6), 3)
    0.75
    """
    if not (math.isfinite(splitting_eV) and splitting_eV >= 0):
        raise InputError(f"splitting must be >= 0, got {splitting_eV!r}")
    if not (math.isfinite(temperature_K) and temperature_K > 0):
        raise InputError(f"temperature must be > 0 K, got {temperature_K!r}")
    if degeneracy < 1:
        raise InputError("bright degeneracy must be >= 1")
    x = degeneracy * math.exp(-splitting_eV / (K_B_EV * temperature_K))
    return x / (1.0 + x)


def photon_fractions(amplitudes, taus) -> np.ndarray:
    """Fraction of photons emitted by each exponential component, ``A_i tau_i / sum``.

    >>> photon_fractions([1.0, 1.0], [1.0, 3.0]).tolist()
    [0.25, 0.75]
    """
    a = np.asarray(amplitudes, dtype=float)
    t = np.asarray(taus, dtype=float)
    if a.shape != t.shape or a.size == 0:
        raise InputError("amplitudes and lifetimes must be non-empty and of equal length")
    if np.any(t <= 0) or np.any(a < 0):
        raise InputError("lifetimes must be > 0 and amplitudes >= 0")
    n = a * t
    if n.sum() <= 0:
        raise InputError("all amplitudes are zero")
    return n / n.sum()


def amplitude_ratio_for_photon_fraction(
    dark_photon_fraction: float, tau_bright_s: float, tau_dark_s: float
) -> float:
    """Dark/bright amplitude ratio ``A_D/A_B`` that gives a dark photon fraction.

    Inverts ``f_D = A_D tau_D / (A_D tau_D + A_B tau_B)``.
    """
    f = float(dark_photon_fraction)
    if not 0 < f < 1:
        raise InputError(f"photon fraction must be in (0, 1), got {f!r}")
    return f / (1 - f) * tau_bright_s / tau_dark_s


def bright_dark(
    splitting_eV: float,
    temperature_K: float,
    *,
    degeneracy: int = 3,
    tau_bright_s: float | None = None,
    tau_dark_s: float | None = None,
    amplitude_ratio: float | None = None,
    dark_photon_fraction: float | None = None,
) -> BrightDark:
    """Boltzmann bright/dark populations, and the photon split of a bright/dark decay.

    Give both lifetimes and either the dark/bright amplitude ratio (to get the dark photon
    fraction) or the dark photon fraction (to get the amplitude ratio).
    """
    pb = bright_fraction(splitting_eV, temperature_K, degeneracy)
    ratio = fd = None
    if tau_bright_s is not None or tau_dark_s is not None:
        if tau_bright_s is None or tau_dark_s is None:
            raise InputError("give both the bright and the dark lifetime")
        if tau_bright_s <= 0 or tau_dark_s <= 0:
            raise InputError("lifetimes must be > 0")
        if amplitude_ratio is not None:
            ratio = float(amplitude_ratio)
            fd = float(photon_fractions([1.0, ratio], [tau_bright_s, tau_dark_s])[1])
        elif dark_photon_fraction is not None:
            fd = float(dark_photon_fraction)
            ratio = amplitude_ratio_for_photon_fraction(fd, tau_bright_s, tau_dark_s)
    return BrightDark(
        splitting_eV=splitting_eV,
        temperature_K=temperature_K,
        degeneracy_bright=degeneracy,
        bright_fraction=pb,
        dark_fraction=1.0 - pb,
        tau_bright_s=tau_bright_s,
        tau_dark_s=tau_dark_s,
        amplitude_ratio_dark_to_bright=ratio,
        dark_photon_fraction=fd,
    )
