"""Small least-squares helpers shared by the device fits (covariance, t-quantile CIs)."""

from __future__ import annotations

import numpy as np

from nctransport.errors import FitError


def t95(dof: int) -> float:
    """Two-sided 95% Student-t quantile for ``dof`` degrees of freedom."""
    from scipy import special  # t.ppf(q, dof), without scipy.stats' ~0.5 s import

    return float(special.stdtrit(max(int(dof), 1), 0.975))


def linear_fit(x, y, weights=None) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Weighted straight line y = b0 + b1 x.

    Returns (coefficients [b0, b1], covariance scaled by the residual variance, reduced
    chi-square of the weighted residuals, degrees of freedom).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.size < 3:
        raise FitError(f"need at least 3 points for a straight-line fit with errors, got {x.size}")
    if np.ptp(x) == 0:
        raise FitError("all x values are equal; cannot fit a slope")
    a = np.column_stack([np.ones_like(x), x]) * np.sqrt(w)[:, None]
    b = y * np.sqrt(w)
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    res = b - a @ coef
    dof = x.size - 2
    chi2_red = float(res @ res) / dof
    cov = np.linalg.inv(a.T @ a) * chi2_red
    return coef, cov, chi2_red, dof
