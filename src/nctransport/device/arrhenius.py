"""Thermally activated mobility: mu(0) = mu_inf exp(-Delta / k_B T) (Li 2024 Eq. 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nctransport.device._regression import linear_fit, t95
from nctransport.device.mobility import K_B_EV
from nctransport.errors import FitError

__all__ = ["ArrheniusFit", "arrhenius_mobility", "fit_arrhenius"]


@dataclass(frozen=True)
class ArrheniusFit:
    """Arrhenius fit of mobilities at several temperatures (95% CIs from Student t)."""

    activation_eV: float
    activation_ci95_eV: tuple[float, float]
    mu_inf_m2_Vs: float
    mu_inf_ci95_m2_Vs: tuple[float, float]
    reduced_chi2: float
    n_points: int
    temperatures_K: tuple[float, ...]
    mobilities_m2_Vs: tuple[float, ...]


def arrhenius_mobility(temperature_K, *, mu_inf_m2_Vs: float, activation_eV: float):
    """mu = mu_inf exp(-Delta / k_B T).

    Li 2024: mu_inf = 4.5e-6 m^2/Vs, Delta = 0.30 eV gives mu(297 K) ~ 4.4e-11 m^2/Vs.

    >>> mu = arrhenius_mobility(297.0, mu_inf_m2_Vs=4.5e-6, activation_eV=0.30)
    >>> round(float(mu) * 1e11, 1)
    3.7
    """
    return mu_inf_m2_Vs * np.exp(-activation_eV / (K_B_EV * np.asarray(temperature_K, float)))


def fit_arrhenius(temperature_K, mobility_m2_Vs, mobility_ci95=None) -> ArrheniusFit:
    """Fit ln mu = ln mu_inf - Delta / (k_B T) by (weighted) linear regression.

    Parameters
    ----------
    temperature_K, mobility_m2_Vs
        At least three temperatures (K) and mobilities (m^2/Vs).
    mobility_ci95
        Optional (n, 2) array of 95% intervals; then each point is weighted by the inverse
        variance of ln mu taken from its interval.

    Returns
    -------
    ArrheniusFit
        The CI uses the residual scatter (Student t with n - 2 degrees of freedom).
    """
    t = np.asarray(temperature_K, dtype=float)
    mu = np.asarray(mobility_m2_Vs, dtype=float)
    if t.shape != mu.shape or t.ndim != 1:
        raise FitError("temperatures and mobilities must be 1D arrays of equal length")
    if t.size < 3:
        raise FitError(f"an Arrhenius fit needs at least 3 temperatures, got {t.size}")
    if np.any(t <= 0) or np.any(mu <= 0) or not np.all(np.isfinite(mu)):
        raise FitError("temperatures and mobilities must be positive and finite")
    if np.unique(t).size < 2:
        raise FitError("an Arrhenius fit needs at least two different temperatures")
    weights = None
    if mobility_ci95 is not None:
        ci = np.asarray(mobility_ci95, dtype=float)
        sd = (np.log(ci[:, 1]) - np.log(ci[:, 0])) / (2 * 1.959964)
        if np.all(np.isfinite(sd)) and np.all(sd > 0):
            weights = 1.0 / sd**2
    x = 1.0 / (K_B_EV * t)  # 1/eV
    coef, cov, chi2_red, dof = linear_fit(x, np.log(mu), weights)
    tq = t95(dof)
    delta = -coef[1]
    d_delta = tq * np.sqrt(cov[1, 1])
    d_ln = tq * np.sqrt(cov[0, 0])
    return ArrheniusFit(
        activation_eV=float(delta),
        activation_ci95_eV=(float(delta - d_delta), float(delta + d_delta)),
        mu_inf_m2_Vs=float(np.exp(coef[0])),
        mu_inf_ci95_m2_Vs=(float(np.exp(coef[0] - d_ln)), float(np.exp(coef[0] + d_ln))),
        reduced_chi2=chi2_red,
        n_points=int(t.size),
        temperatures_K=tuple(float(v) for v in t),
        mobilities_m2_Vs=tuple(float(v) for v in mu),
    )
