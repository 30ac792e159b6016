"""Pump fluence, photons per pulse and excitations per nanocrystal for a Gaussian spot.

Definitions (docs/science.md, "Excitation and population kinetics"):

* pulse energy ``E = P / f`` (average power P, repetition rate f); photons per pulse
  ``E / (h c / lambda)``.
* Gaussian spot with intensity FWHM ``F``: per-axis standard deviation
  ``s = F / (2 sqrt(2 ln 2))`` and 1/e^2 radius ``w = 2 s``.
* **peak fluence** (spot centre) ``E / (2 pi s^2) = 2 E / (pi w^2)``.
* **mean fluence** ``E / (pi w^2)`` = peak / 2: the pulse energy spread evenly over the
  1/e^2 disk (the usual "average fluence" of a Gaussian beam).
* mean excitations per NC at the spot centre ``<N> = j sigma_abs`` with j the peak photon
  fluence (Li 2023); Poisson occupation ``P(n) = <N>^n e^-<N> / n!``.
* mean time between excitations of one NC at the spot centre ``1 / (f <N>)`` (Shcherbakov-Wu 2024,
  valid for <N> << 1; the exact mean interval between pulses that excite the NC is
  ``1 / (f (1 - e^-<N>))``, also reported).

Shcherbakov-Wu 2024 check: 10 nW, 2.5 MHz, 500 nm FWHM spot, 405 nm gives E = 4 fJ, peak fluence
1.41 uJ/cm^2 and mean fluence 0.71 uJ/cm^2 (the paper quotes ~0.76 uJ/cm^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nctransport.constants import C_LIGHT, H_PLANCK
from nctransport.errors import InputError
from nctransport.photophysics.occupation import poisson_occupation

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
J_PER_M2_TO_UJ_PER_CM2 = 1e6 / 1e4  # 1 J/m^2 = 1e-4 J/cm^2 = 100 uJ/cm^2


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a positive finite number, got {value!r}")
    return v


@dataclass(frozen=True)
class Excitation:
    """Excitation conditions of a pulsed Gaussian spot; SI inside, field units in to_dict."""

    power_W: float
    rep_rate_Hz: float
    fwhm_m: float
    wavelength_m: float
    cross_section_m2: float | None
    pulse_energy_J: float
    photon_energy_J: float
    photons_per_pulse: float
    peak_fluence_J_m2: float
    mean_fluence_J_m2: float
    photon_fluence_m2: float  # peak photon fluence
    mean_excitations_per_nc: float | None
    occupation: tuple[float, ...] | None
    time_between_excitations_s: float | None
    time_between_exciting_pulses_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "power_W": self.power_W,
            "rep_rate_Hz": self.rep_rate_Hz,
            "spot_fwhm_nm": self.fwhm_m * 1e9,
            "spot_1e2_radius_nm": self.fwhm_m / FWHM_PER_SIGMA * 2 * 1e9,
            "wavelength_nm": self.wavelength_m * 1e9,
            "cross_section_cm2": None
            if self.cross_section_m2 is None
            else self.cross_section_m2 * 1e4,
            "pulse_energy_J": self.pulse_energy_J,
            "photon_energy_eV": self.photon_energy_J / 1.602176634e-19,
            "photons_per_pulse": self.photons_per_pulse,
            "peak_fluence_uJ_cm2": self.peak_fluence_J_m2 * J_PER_M2_TO_UJ_PER_CM2,
            "mean_fluence_uJ_cm2": self.mean_fluence_J_m2 * J_PER_M2_TO_UJ_PER_CM2,
            "photon_fluence_cm2": self.photon_fluence_m2 * 1e-4,
            "mean_excitations_per_nc": self.mean_excitations_per_nc,
            "poisson_occupation": None
            if self.occupation is None
            else {str(n): p for n, p in enumerate(self.occupation)},
            "fraction_excited": None
            if self.mean_excitations_per_nc is None
            else -math.expm1(-self.mean_excitations_per_nc),
            "time_between_excitations_s": self.time_between_excitations_s,
            "time_between_exciting_pulses_s": self.time_between_exciting_pulses_s,
            "definitions": {
                "peak_fluence": "E/(2 pi s^2) = 2E/(pi w^2) at the spot centre, "
                "s = FWHM/2.3548, w = 2s",
                "mean_fluence": "E/(pi w^2) = peak/2 (pulse energy over the 1/e^2 disk)",
                "photon_fluence": "peak photon fluence j = peak fluence / (h c / lambda)",
                "mean_excitations_per_nc": "<N> = j sigma_abs at the spot centre (Li 2023)",
                "time_between_excitations": "1/(f <N>) at the spot centre (Shcherbakov-Wu 2024)",
            },
        }


def excitation(
    power_W: float,
    rep_rate_Hz: float,
    fwhm_m: float,
    wavelength_m: float,
    cross_section_m2: float | None = None,
    *,
    n_max: int = 4,
) -> Excitation:
    """Excitation density of a pulsed Gaussian spot (see module docstring for definitions).

    Parameters
    ----------
    power_W, rep_rate_Hz, fwhm_m, wavelength_m
        Average power, repetition rate, intensity FWHM of the spot, laser wavelength (SI).
    cross_section_m2
        Absorption cross-section of one NC at the laser wavelength; enables <N>.
    n_max
        Highest occupation n for which P(n) is reported.

    Examples
    --------
    >>> e = excitation(10e-9, 2.5e6, 500e-9, 405e-9)
    >>> round(e.to_dict()["peak_fluence_uJ_cm2"], 3), round(e.pulse_energy_J * 1e15, 3)
    (1.412, 4.0)
    """
    p = _positive("power", power_W)
    f = _positive("repetition rate", rep_rate_Hz)
    fwhm = _positive("spot FWHM", fwhm_m)
    lam = _positive("wavelength", wavelength_m)
    e_pulse = p / f
    e_photon = H_PLANCK * C_LIGHT / lam
    s = fwhm / FWHM_PER_SIGMA
    w = 2.0 * s
    peak = e_pulse / (2.0 * math.pi * s * s)  # = 2E/(pi w^2)
    mean = e_pulse / (math.pi * w * w)
    j = peak / e_photon
    n_mean = occ = t_exc = t_pulses = None
    if cross_section_m2 is not None:
        sig = _positive("cross-section", cross_section_m2)
        n_mean = j * sig  # Li 2023: N = j sigma
        occ = poisson_occupation(n_mean, n_max)
        t_exc = 1.0 / (f * n_mean)  # Shcherbakov-Wu 2024
        t_pulses = 1.0 / (f * -math.expm1(-n_mean))
    return Excitation(
        power_W=p,
        rep_rate_Hz=f,
        fwhm_m=fwhm,
        wavelength_m=lam,
        cross_section_m2=cross_section_m2,
        pulse_energy_J=e_pulse,
        photon_energy_J=e_photon,
        photons_per_pulse=e_pulse / e_photon,
        peak_fluence_J_m2=peak,
        mean_fluence_J_m2=mean,
        photon_fluence_m2=j,
        mean_excitations_per_nc=n_mean,
        occupation=occ,
        time_between_excitations_s=t_exc,
        time_between_exciting_pulses_s=t_pulses,
    )
