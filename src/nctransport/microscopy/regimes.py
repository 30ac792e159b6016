"""Transport regimes: piecewise power-law fit of the MSD (Liu 2021).

MSD = K t^alpha within a regime; alpha > 1 super-diffusive, = 1 normal, < 1 sub-diffusive
(Liu 2021). A regime is a straight segment of log MSD vs log t. The model is a continuous
piecewise-linear function of u = log t,

    log MSD(u) = c + s_0 u + sum_j (s_j - s_{j-1}) max(0, u - b_j),

with K segments (slopes s_j = alpha_j) and K - 1 breakpoints b_j. For each K = 1..max the
breakpoints are first located by a grid search (linear least squares in log space), then
all parameters are refined by nonlinear least squares. With per-point errors the residuals
are taken in linear MSD space, ``(MSD - model) / err``, so points near zero (or negative)
keep their honest weight instead of being distorted by the logarithm; without errors the
fit is unweighted in log space on positive points.

The number of segments minimises an information criterion (BIC by default, AIC on request)
of a Gaussian likelihood with a common, estimated error scale: ``n ln(RSS/n) + k pen``
with ``k = 2K + 1`` parameters (intercept, K slopes, K - 1 breakpoints, scale). BIC's
``ln n`` penalty keeps a single regime unless the data clearly need more.

Uncertainties come from the Jacobian covariance of the refined fit, scaled by
``max(1, chi2_red)`` (same rule as the diffusivity fit). A selected model whose
neighbouring exponents do not differ at the 3-sigma level is reduced by one segment. A
regime's kind is ``normal`` when the 95% interval of alpha (Student t) contains 1.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import special

from nctransport.errors import FitError

__all__ = ["Regime", "RegimeFit", "fit_regimes"]

Criterion = Literal["bic", "aic"]

#: Two-sided significance a change of exponent needs to count as a new regime (3 sigma);
#: guards against the few-percent false breaks BIC alone admits on pure diffusion.
SLOPE_CHANGE_P = 0.0027


@dataclass(frozen=True)
class Regime:
    """One power-law segment (times in s)."""

    t_start: float
    t_end: float
    alpha: float
    alpha_err: float
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_start_ns": self.t_start * 1e9,
            "t_end_ns": self.t_end * 1e9,
            "alpha": self.alpha,
            "alpha_err": self.alpha_err,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class RegimeFit:
    """Selected piecewise power law.

    Attributes
    ----------
    regimes
        Segments in time order.
    breakpoints, breakpoint_errs
        Times between regimes and their one-sigma errors [s].
    criterion, scores
        Information criterion and its value for each number of segments tried.
    log_prefactor
        Intercept ``c`` of log MSD at u = 0, with MSD in m^2 and t in s (for plotting).
    converged
        Whether the nonlinear refinement of the chosen model converged.
    """

    regimes: tuple[Regime, ...]
    breakpoints: tuple[float, ...]
    breakpoint_errs: tuple[float, ...]
    criterion: str
    scores: dict[int, float]
    log_prefactor: float
    converged: bool

    @property
    def n_segments(self) -> int:
        return len(self.regimes)

    def model(self, t: np.ndarray) -> np.ndarray:
        """The fitted MSD [m^2] at times ``t`` [s] (t > 0)."""
        u = np.log(np.asarray(t, dtype=float))
        slopes = np.array([r.alpha for r in self.regimes])
        b = np.log(np.asarray(self.breakpoints, dtype=float))
        return np.exp(_hinge(u, self.log_prefactor, slopes, b))

    def to_dict(self) -> dict[str, Any]:
        return {
            "regimes": [r.to_dict() for r in self.regimes],
            "breakpoints_ns": [b * 1e9 for b in self.breakpoints],
            "breakpoint_errs_ns": [e * 1e9 for e in self.breakpoint_errs],
            "criterion": self.criterion,
            "scores": {str(k): v for k, v in self.scores.items()},
            "converged": self.converged,
        }


def _hinge(u: np.ndarray, c: float, slopes: np.ndarray, b: np.ndarray) -> np.ndarray:
    f = c + slopes[0] * u
    for j in range(b.size):
        f = f + (slopes[j + 1] - slopes[j]) * np.maximum(0.0, u - b[j])
    return f


def _design(u: np.ndarray, b: tuple[float, ...]) -> np.ndarray:
    """Columns for (c, s_0, ..., s_K-1) given breakpoints: linear in these parameters."""
    cols = [np.ones_like(u)]
    # s_j multiplies the length of u spent in segment j.
    edges = (-np.inf, *b, np.inf)
    for j in range(len(edges) - 1):
        lo, hi = edges[j], edges[j + 1]
        if j == 0:
            cols.append(np.minimum(u, hi))
        else:
            cols.append(np.clip(u, lo, hi) - lo)
    return np.column_stack(cols)


def _grid_init(
    u: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, min_points: int
) -> tuple[tuple[float, ...], float] | None:
    """Best breakpoints on a grid of mid-points (log-space weighted least squares).

    Every candidate set of breakpoints is scored at once from prefix sums (see
    :func:`_grid_rss`); the few candidates within rounding of the best are then refitted
    one by one with :func:`numpy.linalg.lstsq`, in the order of the grid, so the choice
    (ties included) is the one an exhaustive loop of ``lstsq`` fits makes.
    """
    n = u.size
    if k == 1:
        return (), 0.0
    mids = 0.5 * (u[:-1] + u[1:])  # mid i lies between points i and i+1
    allowed = np.arange(min_points - 1, n - min_points)
    if allowed.size == 0:
        return None
    if allowed.size > 40:
        allowed = np.unique(np.linspace(allowed[0], allowed[-1], 40).round().astype(int))
    combos = [
        combo
        for combo in itertools.combinations(allowed.tolist(), k - 1)
        if all(combo[i + 1] - combo[i] >= min_points for i in range(len(combo) - 1))
    ]
    if not combos:
        return None
    sw = np.sqrt(w)

    def exact(combo: tuple[int, ...]) -> tuple[tuple[float, ...], float]:
        b = tuple(float(mids[i]) for i in combo)
        A = _design(u, b) * sw[:, None]
        coef, *_ = np.linalg.lstsq(A, y * sw, rcond=None)
        return b, float(np.sum((A @ coef - y * sw) ** 2))

    rss = _grid_rss(u, y, w, np.asarray(combos, dtype=int), mids)
    if rss is None:  # singular normal equations somewhere: the exhaustive loop decides
        shortlist = range(len(combos))
    else:
        floor = float(np.min(rss))
        tol = 1e-6 * abs(floor) + 1e-9 * float(np.sum(w * (y - np.average(y, weights=w)) ** 2))
        shortlist = np.flatnonzero(rss <= floor + tol).tolist()
    best: tuple[tuple[float, ...], float] | None = None
    for i in shortlist:
        cand = exact(combos[i])
        if best is None or cand[1] < best[1]:
            best = cand
    return best


def _grid_rss(
    u: np.ndarray, y: np.ndarray, w: np.ndarray, combos: np.ndarray, mids: np.ndarray
) -> np.ndarray | None:
    """Weighted RSS of the log-space fit for every row of breakpoint indices ``combos``.

    On segment ``s`` every column of :func:`_design` is ``a u + c`` (``a`` 0 or 1), so the
    normal equations are sums over segments of the prefix sums of ``w``, ``w u``,
    ``w u^2``, ``w y`` and ``w u y``: O(1) per candidate instead of a fit. ``u`` and ``y``
    are centred first (the intercept absorbs the shift; less cancellation). ``None`` when
    a system is singular or a result not finite.
    """
    n_c, n_b = combos.shape
    k = n_b + 1
    wt = w / np.sum(w)
    u0, y0 = float(np.sum(wt * u)), float(np.sum(wt * y))
    uc, yc = u - u0, y - y0
    prefix = np.zeros((5, u.size + 1))
    np.cumsum(np.stack([w, w * uc, w * uc * uc, w * yc, w * uc * yc]), axis=1, out=prefix[:, 1:])
    b = mids[combos] - u0  # (n_c, k - 1) centred breakpoints
    starts = np.concatenate([np.zeros((n_c, 1), int), combos + 1], axis=1)
    stops = np.concatenate([combos + 1, np.full((n_c, 1), u.size)], axis=1)
    seg = prefix[:, stops] - prefix[:, starts]  # (5, n_c, k): sums over each segment
    s_w, s_u, s_uu, s_y, s_uy = seg
    p = k + 1  # intercept + k slopes
    G = np.zeros((n_c, p, p))
    h = np.zeros((n_c, p))
    for s in range(k):
        a = np.zeros((n_c, p))
        c = np.zeros((n_c, p))
        c[:, 0] = 1.0  # intercept
        if s == 0:
            a[:, 1] = 1.0
        else:
            c[:, 1] = b[:, 0]
        for j in range(1, k):  # slope column j + 1: 0 before, u - b_j in, flat after
            if s == j:
                a[:, j + 1] = 1.0
                c[:, j + 1] = -b[:, j - 1]
            elif s > j:
                c[:, j + 1] = b[:, j] - b[:, j - 1]
        sw_, su, suu = s_w[:, s, None, None], s_u[:, s, None, None], s_uu[:, s, None, None]
        ai, aj = a[:, :, None], a[:, None, :]
        ci, cj = c[:, :, None], c[:, None, :]
        G += ai * aj * suu + (ai * cj + aj * ci) * su + ci * cj * sw_
        h += a * s_uy[:, s, None] + c * s_y[:, s, None]
    try:
        coef = np.linalg.solve(G, h[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return None
    rss = float(np.sum(w * yc * yc)) - np.sum(coef * h, axis=1)
    if not np.all(np.isfinite(rss)):
        return None
    return rss


def _covariance(sol: Any, rss: float, n: int, k: int, weighted: bool) -> np.ndarray:
    dof = max(n - 2 * k, 1)
    J = np.asarray(sol.jac, dtype=float)
    norm = np.sqrt(np.sum(J**2, axis=0))
    norm[norm == 0] = 1.0
    Js = J / norm  # column scaling: pinv must not drop a well-determined but small column
    cov = np.linalg.pinv(Js.T @ Js) / np.outer(norm, norm)
    chi2_red = rss / dof
    return cov * (max(1.0, chi2_red) if weighted else chi2_red)


def _adjacent_slopes_differ(fit: tuple, n: int, k: int, weighted: bool) -> bool:
    """True when every pair of neighbouring slopes differs at the 3-sigma (99.73%) level."""
    theta, sol, rss = fit
    cov = _covariance(sol, rss, n, k, weighted)
    q = float(special.stdtrit(max(n - 2 * k, 1), 1.0 - SLOPE_CHANGE_P / 2.0))
    for j in range(k - 1):
        d = theta[2 + j] - theta[1 + j]
        var = cov[1 + j, 1 + j] + cov[2 + j, 2 + j] - 2 * cov[1 + j, 2 + j]
        if not np.isfinite(var) or abs(d) <= q * math.sqrt(max(var, 0.0)):
            return False
    return True


def fit_regimes(
    t: Any,
    msd: Any,
    err: Any | None = None,
    *,
    max_segments: int = 3,
    criterion: Criterion = "bic",
    min_points: int = 4,
    ref_err: float | None = None,
    smooth_errors: bool = True,
) -> RegimeFit:
    """Piecewise power-law fit with the number of segments chosen by BIC (or AIC).

    Parameters
    ----------
    t
        Times since the MSD reference frame [s]; only t > 0 are used.
    msd, err
        MSD [m^2] and optional one-sigma errors [m^2].
    max_segments
        Largest number of regimes tried (1..3 is sensible).
    criterion
        ``bic`` (default) or ``aic``.
    min_points
        Fewest points a segment may hold.
    ref_err
        One-sigma error [m^2] of the MSD reference (``2 sigma_ref err(sigma_ref)``), shared by
        every point. With per-point errors the model gains an offset ``c`` with the prior
        ``c ~ N(0, ref_err^2)`` (one extra residual ``c / ref_err``), so the shared error of
        the reference frame is absorbed and enters the exponents' uncertainties instead of
        bending the early points in log space.
    smooth_errors
        Replace the per-point errors by a smooth trend (quadratic in log t through log err)
        before weighting, for the reason given in the code.

    Raises
    ------
    FitError
        Fewer than ``min_points`` usable points, or an unknown criterion.

    Examples
    --------
    >>> t = np.geomspace(1e-12, 1e-9, 40)
    >>> r = fit_regimes(t, 1e-14 * (t / 1e-9))
    >>> r.n_segments, round(r.regimes[0].alpha, 3), r.regimes[0].kind
    (1, 1.0, 'normal')
    """
    if criterion not in ("bic", "aic"):
        raise FitError(f"unknown criterion {criterion!r}; expected 'bic' or 'aic'")
    t = np.asarray(t, dtype=float)
    m = np.asarray(msd, dtype=float)
    e = None if err is None else np.asarray(err, dtype=float)
    keep = np.isfinite(t) & (t > 0) & np.isfinite(m)
    weighted = e is not None and bool(np.all(np.isfinite(e[keep]) & (e[keep] > 0)))
    if weighted:
        keep &= np.isfinite(e) & (e > 0)
    else:
        keep &= m > 0  # log space needs positive MSD
    order = np.argsort(t[keep])
    t, m = t[keep][order], m[keep][order]
    e = e[keep][order] if weighted else None
    n = t.size
    if n < max(min_points, 3):
        raise FitError(f"only {n} usable MSD point(s) for the regime fit")
    u = np.log(t)
    pos = m > 0
    if weighted and smooth_errors and n >= 8:
        # A point's error 2 sigma err(sigma) shares that point's noise; weighting by it
        # under-weights upward fluctuations and biases late MSD (and alpha) low. A quadratic
        # in log t through log err keeps the trend without the correlation.
        uc = (u - u.mean()) / (np.ptp(u) or 1.0)
        coef_e = np.polynomial.polynomial.polyfit(uc, np.log(e), 2)
        e = np.exp(np.polynomial.polynomial.polyval(uc, coef_e))
    # Initialisation in log space on positive points; log error = err / MSD.
    w_log = (m[pos] / e[pos]) ** 2 if weighted else np.ones(int(pos.sum()))

    offset = weighted and ref_err is not None and math.isfinite(ref_err) and ref_err > 0

    def residuals(theta: np.ndarray, k: int) -> np.ndarray:
        c, slopes, b = theta[0], theta[1 : k + 1], np.sort(theta[k + 1 : 2 * k])
        f = _hinge(u, c, slopes, b)
        if offset:
            # Offset in units of ref_err keeps the Jacobian columns comparable.
            return np.append((m - np.exp(f) - theta[2 * k] * ref_err) / e, theta[2 * k])
        if weighted:
            return (m - np.exp(f)) / e
        return f - np.log(m)

    pen = math.log(n) if criterion == "bic" else 2.0
    fits: dict[int, tuple[np.ndarray, Any, float]] = {}
    scores: dict[int, float] = {}
    for k in range(1, max_segments + 1):
        if n < k * min_points or int(pos.sum()) < k * min_points:
            break
        init = _grid_init(u[pos], np.log(m[pos]), w_log, k, min_points)
        if init is None:
            break
        b0, _ = init
        A = _design(u[pos], b0) * np.sqrt(w_log)[:, None]
        coef, *_ = np.linalg.lstsq(A, np.log(m[pos]) * np.sqrt(w_log), rcond=None)
        theta0 = np.concatenate([coef, np.asarray(b0), [0.0] if offset else []])
        lo = np.full(theta0.size, -np.inf)
        hi = np.full(theta0.size, np.inf)
        lo[k + 1 : 2 * k], hi[k + 1 : 2 * k] = u[min_points - 1], u[n - min_points]
        theta0 = np.clip(theta0, lo + 1e-12 * (hi > lo), hi)
        try:
            from scipy import optimize  # only for the multi-regime refinement

            sol = optimize.least_squares(
                residuals, theta0, args=(k,), bounds=(lo, hi), x_scale="jac", method="trf"
            )
        except (ValueError, np.linalg.LinAlgError):
            continue
        rss = float(np.sum(sol.fun**2))
        if not np.isfinite(rss) or rss <= 0:
            rss = max(rss, 1e-300) if np.isfinite(rss) else math.inf
        n_par = 2 * k + 1
        scores[k] = n * math.log(rss / n) + n_par * pen
        fits[k] = (sol.x, sol, rss)
    if not scores:
        raise FitError("regime fit failed for every number of segments")
    k = min(scores, key=scores.get)
    while k > 1:
        if _adjacent_slopes_differ(fits[k], n, k, weighted):
            break
        k -= 1  # a break between indistinguishable exponents is not a regime change
    theta, sol, rss = fits[k]
    dof = max(n - 2 * k, 1)
    cov = _covariance(sol, rss, n, k, weighted)
    perr = np.sqrt(np.clip(np.diag(cov), 0, None))
    c, slopes = float(theta[0]), theta[1 : k + 1]
    order_b = np.argsort(theta[k + 1 : 2 * k])
    b = theta[k + 1 : 2 * k][order_b]
    b_err = perr[k + 1 : 2 * k][order_b]
    q = float(special.stdtrit(dof, 0.975))
    edges = [float(t[0]), *np.exp(b).tolist(), float(t[-1])]
    regimes = []
    for j in range(k):
        a, ae = float(slopes[j]), float(perr[1 + j])
        if a - q * ae > 1.0:
            kind = "super"
        elif a + q * ae < 1.0:
            kind = "sub"
        else:
            kind = "normal"
        regimes.append(Regime(edges[j], edges[j + 1], a, ae, kind))
    return RegimeFit(
        regimes=tuple(regimes),
        breakpoints=tuple(float(v) for v in np.exp(b)),
        breakpoint_errs=tuple(float(np.exp(bb) * be) for bb, be in zip(b, b_err, strict=True)),
        criterion=criterion,
        scores=scores,
        log_prefactor=c,
        converged=bool(sol.success),
    )
