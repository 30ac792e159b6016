"""Synthetic spectral maps with known truth (a relaxing red shift) for the spectra tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nctransport.spectral.axes import energy_eV_from_wavelength_m
from nctransport.spectral.peaks import gaussian


@dataclass(frozen=True)
class RedShiftTruth:
    e0_eV: float = 1.37  # PbS CQD bleach near 905 nm (Liu 2021)
    delta_e_eV: float = -0.020
    tau_s: float = 9e-12
    width_eV: float = 0.035
    amplitude: float = 1e-2
    noise: float = 2e-4
    temperature_K: float = 300.0


def redshift_map(
    rng: np.random.Generator,
    truth: RedShiftTruth = RedShiftTruth(),
    *,
    n_t: int = 40,
    sign: int = -1,
):
    """(t, wavelength, signal): a Gaussian feature in energy whose centre relaxes as
    E(t) = E0 + dE (1 - exp(-t/tau)) (Liu 2021, Fig. 2e), sampled on a wavelength grid
    (no Jacobian: a bleach is a ratio), plus white noise; two frames before t = 0."""
    lam = np.linspace(820e-9, 1000e-9, 151)
    e = energy_eV_from_wavelength_m(lam)
    t = np.concatenate([[-2e-12, -1e-12], np.linspace(0.0, 60e-12, n_t)])
    centre = truth.e0_eV + truth.delta_e_eV * -np.expm1(-np.clip(t, 0, None) / truth.tau_s)
    amp = np.where(t >= 0, truth.amplitude, 0.0)
    clean = sign * gaussian(e[None, :], amp[:, None], centre[:, None], truth.width_eV, 0.0)
    return t, lam, clean + truth.noise * rng.standard_normal(clean.shape)
