"""Absorption cross-section from the saturation of a signal with pump fluence (Li 2023).

Single-exciton emitters under Poisson excitation: the fraction of NCs excited by a pulse
of photon fluence j is ``1 - exp(-j sigma_abs)`` (docs/science.md; Li 2023 Fig. S2 gives
sigma_abs ~ 7.73e-15 cm^2 at 450 nm), so the PL (or early TA) amplitude is
``S(j) = A (1 - exp(-j sigma))``. A and sigma are fitted by (weighted) least squares.
With measurement errors given, the covariance uses them as absolute; without, it is
scaled by the residual variance and the 95 % interval uses Student's t with n - 2
degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nctransport.errors import FitError, InputError


def saturation(j: np.ndarray, amplitude: float, sigma: float) -> np.ndarray:
    """``A (1 - exp(-j sigma))``.

    >>> float(saturation(np.array([1e14]), 2.0, 1e-14)[0].round(6))
    1.264241
    """
    return amplitude * -np.expm1(-np.asarray(j, dtype=float) * sigma)


@dataclass(frozen=True)
class CrossSection:
    sigma_m2: float
    sigma_err_m2: float
    sigma_ci95_m2: tuple[float, float]
    amplitude: float
    amplitude_err: float
    n_points: int
    reduced_chi2: float | None
    errors_known: bool
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "cross_section_cm2": self.sigma_m2 * 1e4,
            "cross_section_err_cm2": self.sigma_err_m2 * 1e4,
            "cross_section_ci95_cm2": [v * 1e4 for v in self.sigma_ci95_m2],
            "amplitude": self.amplitude,
            "amplitude_err": self.amplitude_err,
            "n_points": self.n_points,
            "reduced_chi2": self.reduced_chi2,
            "errors_known": self.errors_known,
            "converged": self.converged,
            "model": "S(j) = A (1 - exp(-j sigma)), j = photon fluence (Li 2023)",
        }


def fit_cross_section(
    photon_fluence_m2: np.ndarray, signal: np.ndarray, errors: np.ndarray | None = None
) -> CrossSection:
    """Fit ``S = A (1 - exp(-j sigma))`` to signal vs photon fluence (photons per m^2).

    Examples
    --------
    >>> j = np.logspace(13, 15.5, 12) * 1e4        # photons/m^2
    >>> s = saturation(j, 5.0, 7.73e-15 * 1e-4)
    >>> round(fit_cross_section(j, s).sigma_m2 * 1e4 * 1e15, 3)
    7.73
    """
    j = np.asarray(photon_fluence_m2, dtype=float)
    y = np.asarray(signal, dtype=float)
    if j.shape != y.shape or j.ndim != 1:
        raise InputError("fluence and signal must be 1D arrays of equal length")
    if not (np.all(np.isfinite(j)) and np.all(np.isfinite(y))):
        raise InputError("fluence and signal must be finite")
    if np.any(j < 0):
        raise InputError("fluence must be >= 0")
    if j.size < 3:
        raise FitError(f"need at least 3 points to fit A and sigma, got {j.size}")
    err = None
    if errors is not None:
        err = np.asarray(errors, dtype=float)
        if err.shape != y.shape or np.any(~np.isfinite(err)) or np.any(err <= 0):
            raise InputError("errors must be positive, finite and one per point")
    w = np.ones_like(y) if err is None else 1.0 / err**2
    jpos = j[j > 0]
    if jpos.size == 0:
        raise FitError("all fluences are zero")
    # coarse scan of sigma (A linear), then a full nonlinear fit
    best = (np.inf, 1.0, 1.0)
    for s in np.logspace(-3, 3, 121) / np.median(jpos):
        f = -np.expm1(-j * s)
        den = float(np.sum(w * f * f))
        if den <= 0:
            continue
        a = float(np.sum(w * f * y) / den)
        rss = float(np.sum(w * (y - a * f) ** 2))
        if rss < best[0]:
            best = (rss, a, s)
    scale = best[2]

    def model(jj, a, s_rel):
        return saturation(jj, a, s_rel * scale)

    # imported here: the other photophysics calculators do not pay for SciPy's optimisers
    from scipy.optimize import curve_fit

    try:
        popt, pcov = curve_fit(
            model,
            j,
            y,
            p0=[best[1], 1.0],
            sigma=None if err is None else err,
            absolute_sigma=err is not None,
            maxfev=10000,
        )
        converged = bool(np.all(np.isfinite(pcov)))
    except (RuntimeError, ValueError) as exc:
        raise FitError(f"saturation fit failed: {exc}") from None
    a, s_rel = popt
    perr = np.sqrt(np.abs(np.diag(pcov)))
    sigma, sigma_err = s_rel * scale, perr[1] * scale
    dof = j.size - 2
    resid = (y - model(j, *popt)) * np.sqrt(w)
    red = float(np.sum(resid**2) / dof) if dof > 0 else None
    from scipy import special  # not at import: the other calculators need no SciPy

    q = 1.959963984540054 if err is not None else float(special.stdtrit(max(dof, 1), 0.975))
    if sigma <= 0 or not math.isfinite(sigma):
        converged = False
    return CrossSection(
        sigma_m2=float(sigma),
        sigma_err_m2=float(sigma_err),
        sigma_ci95_m2=(float(sigma - q * sigma_err), float(sigma + q * sigma_err)),
        amplitude=float(a),
        amplitude_err=float(perr[0]),
        n_points=int(j.size),
        reduced_chi2=red if err is not None else None,
        errors_known=err is not None,
        converged=converged,
    )
