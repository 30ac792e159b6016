"""Levenberg-Marquardt least squares for many small independent problems at once.

Every frame of a map or stack is its own weighted least-squares problem with a handful of
parameters. Instead of a Python loop of ``scipy.optimize.curve_fit`` calls, all frames take
their LM steps together: the model supplies the per-frame normal equations
``H = J^T W J``, ``g = J^T W r`` and ``chi2 = r^T W r`` for a batch of frames, and this module
solves the damped ``k x k`` systems for every frame with one batched ``numpy.linalg.solve``,
with per-frame damping (Marquardt's diagonal scaling) and per-frame convergence masks, so a
frame that has converged costs nothing more.

Reference: Marquardt, J. Soc. Indust. Appl. Math. 11, 431 (1963); Press et al., Numerical
Recipes, 3rd ed., section 15.5 (damping update, covariance = H^-1 at the minimum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: ``normal_eq(params (m, k), frames (m,) int) -> (H (m, k, k), g (m, k), chi2 (m,))``
NormalEquations = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class LMResult:
    """Per-frame outcome of :func:`batched_lm`.

    Attributes
    ----------
    params : (n, k) best parameters.
    hessian : (n, k, k) ``J^T W J`` at ``params`` (its inverse is the covariance when the
        weights are inverse variances).
    chi2 : (n,) weighted sum of squared residuals at ``params``.
    converged : (n,) bool.
    n_iter : (n,) iterations used.
    """

    params: np.ndarray
    hessian: np.ndarray
    chi2: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray


def batched_lm(
    normal_eq: NormalEquations,
    p0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    max_iter: int = 60,
    rtol: float = 1e-8,
    xtol: float = 1e-7,
    lam0: float = 1e-3,
) -> LMResult:
    """Minimise ``chi2`` independently for every frame, all frames per step at once.

    Parameters
    ----------
    normal_eq
        Callback returning ``(H, g, chi2)`` for the given parameters of the given frames.
    p0
        ``(n, k)`` starting values (should be scaled to order one).
    lower, upper
        ``(k,)`` or ``(n, k)`` box bounds; trial steps are projected onto the box.
    max_iter
        Iteration limit; frames still moving after it are reported as not converged.
    rtol, xtol
        Converged when an accepted step lowers chi2 by less than ``rtol * chi2`` or moves
        every parameter by less than ``xtol * (|p| + 1e-3)``.
    lam0
        Initial damping.

    Returns
    -------
    LMResult

    Examples
    --------
    Fit ``y = a x + b`` for two frames:

    >>> x = np.linspace(0, 1, 5); y = np.stack([2 * x + 1, -x])
    >>> def ne(p, f):
    ...     J = np.stack([np.broadcast_to(x, (len(f), 5)), np.ones((len(f), 5))], -1)
    ...     r = y[f] - (p[:, :1] * x + p[:, 1:])
    ...     return J.transpose(0, 2, 1) @ J, np.einsum("fmk,fm->fk", J, r), (r**2).sum(1)
    >>> res = batched_lm(ne, np.zeros((2, 2)), np.full(2, -9.0), np.full(2, 9.0))
    >>> (np.round(res.params, 6) + 0.0).tolist(), res.converged.tolist()
    ([[2.0, 1.0], [-1.0, 0.0]], [True, True])
    """
    p = np.array(p0, dtype=float, copy=True)
    n, k = p.shape
    lo = np.broadcast_to(np.asarray(lower, dtype=float), (n, k))
    hi = np.broadcast_to(np.asarray(upper, dtype=float), (n, k))
    p = np.clip(p, lo, hi)
    frames = np.arange(n)
    H, g, chi2 = normal_eq(p, frames)
    H = np.array(H, dtype=float)
    g = np.array(g, dtype=float)
    chi2 = np.array(chi2, dtype=float)
    lam = np.full(n, lam0)
    converged = np.zeros(n, dtype=bool)
    n_iter = np.zeros(n, dtype=int)
    active = np.isfinite(chi2) & np.all(np.isfinite(H), axis=(1, 2))
    eye = np.eye(k)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        n_iter[idx] += 1
        Ha = H[idx]
        diag = np.diagonal(Ha, axis1=1, axis2=2)
        # Marquardt scaling: damp each direction relative to its curvature (floor avoids a
        # singular system when a parameter has no influence, e.g. an angle of a round spot).
        dscale = np.maximum(diag, 1e-12 * np.maximum(diag.max(axis=1, keepdims=True), 1e-300))
        A = Ha + lam[idx, None, None] * dscale[:, :, None] * eye
        try:
            step = np.linalg.solve(A, g[idx][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.stack([_safe_solve(a, b) for a, b in zip(A, g[idx], strict=True)])
        p_try = np.clip(p[idx] + step, lo[idx], hi[idx])
        H2, g2, c2 = normal_eq(p_try, idx)
        good = np.isfinite(c2) & (c2 <= chi2[idx])
        acc = idx[good]
        if acc.size:
            dchi = chi2[acc] - c2[good]
            moved = np.abs(p_try[good] - p[acc])
            p[acc] = p_try[good]
            H[acc] = H2[good]
            g[acc] = g2[good]
            chi2[acc] = c2[good]
            lam[acc] = np.maximum(lam[acc] * 0.2, 1e-12)
            small = (dchi <= rtol * np.maximum(chi2[acc], 1e-300)) | np.all(
                moved <= xtol * (np.abs(p[acc]) + 1e-3), axis=1
            )
            converged[acc[small]] = True
            active[acc[small]] = False
        rej = idx[~good]
        if rej.size:
            lam[rej] *= 10.0
            # Damping this large means no descent direction is left: a minimum to precision.
            stuck = rej[lam[rej] > 1e12]
            converged[stuck] = True
            active[stuck] = False
    return LMResult(params=p, hessian=H, chi2=chi2, converged=converged, n_iter=n_iter)


def _safe_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least-squares step for a singular damped system (rare; keeps the batch going)."""
    if not np.all(np.isfinite(a)) or not np.all(np.isfinite(b)):
        return np.zeros_like(b)
    return np.linalg.lstsq(a, b, rcond=None)[0]


def covariance(hessian: np.ndarray) -> np.ndarray:
    """Per-frame ``H^-1`` (NaN where singular), the parameter covariance for ``W = 1/var``."""
    out = np.full_like(hessian, np.nan)
    ok = np.all(np.isfinite(hessian), axis=(1, 2))
    if np.any(ok):
        try:
            out[ok] = np.linalg.inv(hessian[ok])
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                try:
                    out[i] = np.linalg.inv(hessian[i])
                except np.linalg.LinAlgError:
                    pass
    return out
