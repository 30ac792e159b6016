"""Fit one decay (TCSPC histogram, TA trace) with an IRF-convolved model.

Statistics
----------
* ``mle`` (default for counts): Poisson maximum likelihood. Solved by iteratively
  reweighted least squares with weights ``1/mu`` frozen per outer iteration; its fixed
  point is the Poisson score equation ``sum (y - mu)/mu dmu/dp = 0``, i.e. the MLE
  (McCullagh & Nelder, *Generalized Linear Models*, 2nd ed., ch. 2.5).
* ``neyman``: weighted least squares with variance ``max(y, 1)`` (Neyman chi^2).
* ``lsq``: unweighted least squares for analog signals (TA dT/T) whose noise is unknown.

(Pearson chi^2, variance = model, is not offered: its estimator is biased towards high
model values at low counts, and its fixed-weight iteration converges to the MLE anyway.)

IRF conventions: with a Gaussian IRF, ``irf_shift`` is its fitted centre (time zero) on
the data's time axis and ``irf_fwhm`` its fitted FWHM; with a measured IRF, ``irf_shift``
is the (sub-bin) delay of the decay relative to the IRF as recorded.

Covariance: inverse Fisher information ``(J^T W J)^-1`` at the optimum, with ``W`` the
inverse variance of the noise model. For counts the noise is known (Poisson) and the
covariance is NOT rescaled by the reduced chi^2; only ``lsq`` (unknown noise) rescales by
``RSS/dof``. Intervals are +-1.96 sd (normal approximation).

Amplitudes (and a constant background) enter linearly and are solved by non-negative
least squares inside the nonlinear fit of lifetimes and IRF (variable projection, Golub &
Pereyra, SIAM J. Numer. Anal. 10, 413 (1973)), so no amplitude starting values are needed.
Internally times are in ns for conditioning; the API takes and returns seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares, minimize, nnls
from scipy.special import gammaln

from nctransport.errors import ConfigError, FitError
from nctransport.kinetics import models as M

MODELS = ("exp1", "exp2", "exp3", "stretched", "powerlaw", "exp+powerlaw")
METHODS = ("mle", "neyman", "lsq")
Z95 = 1.959963984540054
NS = 1e-9
#: bounds of what a decay fit can handle without overflow (times in ns, signal values)
MAX_ABS_TIME_NS = 1e12
MAX_ABS_SIGNAL = 1e100
#: residual vectors longer than this (global fits of big maps) use a scalar optimiser
LARGE_PROBLEM = 400_000


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Component:
    """One exponential (or stretched) component; SI units inside."""

    tau_s: float
    tau_err_s: float
    amplitude: float
    amplitude_err: float
    amplitude_fraction: float
    photon_fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "tau_ns": self.tau_s / NS,
            "tau_err_ns": self.tau_err_s / NS,
            "tau_ci95_ns": [
                (self.tau_s - Z95 * self.tau_err_s) / NS,
                (self.tau_s + Z95 * self.tau_err_s) / NS,
            ],
            "amplitude": self.amplitude,
            "amplitude_err": self.amplitude_err,
            "amplitude_fraction": self.amplitude_fraction,
            "photon_fraction": self.photon_fraction,
        }


@dataclass(frozen=True)
class DecayFit:
    """Result of :func:`fit_decay`. Times in s; ``to_dict`` reports ns for people."""

    model: str
    method: str
    irf: str
    components: tuple[Component, ...]
    parameters: dict[str, tuple[float, float]]
    irf_fwhm_s: float | None
    irf_fwhm_err_s: float | None
    irf_shift_s: float | None
    irf_shift_err_s: float | None
    background: float
    background_err: float
    lifetime_1e_s: float | None
    log_likelihood: float
    aic: float
    bic: float
    reduced_chi2: float | None
    n_points: int
    n_params: int
    converged: bool
    message: str
    covariance_rescaled: bool
    period_s: float | None
    window_s: tuple[float, float]
    t_s: np.ndarray = field(repr=False)
    data: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    irf_curve: np.ndarray | None = field(repr=False, default=None)

    @property
    def taus_s(self) -> np.ndarray:
        return np.array([c.tau_s for c in self.components])

    @property
    def residuals(self) -> np.ndarray:
        """Weighted residuals (Pearson for counts, raw/sd for lsq)."""
        if self.method == "lsq":
            r = self.data - self.fitted
            sd = np.sqrt(np.sum(r**2) / max(self.n_points - self.n_params, 1))
            return r / sd if sd > 0 else r
        if self.method == "neyman":
            return (self.data - self.fitted) / np.sqrt(np.maximum(self.data, 1.0))
        return (self.data - self.fitted) / np.sqrt(np.maximum(self.fitted, 1e-12))

    def to_dict(self) -> dict[str, Any]:
        def ns(v: float | None) -> float | None:
            return None if v is None else v / NS

        params = {}
        for k, (v, e) in self.parameters.items():
            params[k] = {"value": v, "stderr": e}
        return {
            "model": self.model,
            "method": self.method,
            "irf": self.irf,
            "components": [c.to_dict() for c in self.components],
            "parameters": params,
            "irf_fwhm_ns": ns(self.irf_fwhm_s),
            "irf_fwhm_err_ns": ns(self.irf_fwhm_err_s),
            "irf_shift_ns": ns(self.irf_shift_s),
            "irf_shift_err_ns": ns(self.irf_shift_err_s),
            "background": self.background,
            "background_err": self.background_err,
            "lifetime_1e_ns": ns(self.lifetime_1e_s),
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "reduced_chi2": self.reduced_chi2,
            "n_points": self.n_points,
            "n_params": self.n_params,
            "converged": self.converged,
            "message": self.message,
            "covariance_rescaled_by_reduced_chi2": self.covariance_rescaled,
            "rep_period_ns": ns(self.period_s),
            "window_ns": [self.window_s[0] / NS, self.window_s[1] / NS],
        }


# ------------------------------------------------------------------------- model specs
@dataclass
class ModelSpec:
    """A model as nonlinear parameters + a basis whose columns are combined linearly.

    ``names``: nonlinear parameter names (natural units, ns); ``to_opt``/``from_opt`` map
    them to the optimiser's unconstrained-ish variables; ``basis(theta)`` returns the
    (n, k) matrix of unit-amplitude model columns on the fit grid.
    """

    model: str
    irf: str  # "gaussian" | "measured" | "none"
    names: list[str]
    theta0: np.ndarray
    log_mask: np.ndarray  # which parameters are optimised as log
    lower: np.ndarray  # bounds in natural units
    upper: np.ndarray
    basis: Callable[[np.ndarray], np.ndarray]
    column_names: list[str]
    n_exp: int  # number of exponential (or stretched) components

    def to_opt(self, theta: np.ndarray) -> np.ndarray:
        x = np.array(theta, dtype=float)
        x[self.log_mask] = np.log(x[self.log_mask])
        return x

    def from_opt(self, x: np.ndarray) -> np.ndarray:
        th = np.array(x, dtype=float)
        th[self.log_mask] = np.exp(th[self.log_mask])
        return th

    def opt_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.array(self.lower, dtype=float)
        hi = np.array(self.upper, dtype=float)
        lo[self.log_mask] = np.log(lo[self.log_mask])
        hi[self.log_mask] = np.log(hi[self.log_mask])
        return lo, hi


def _n_exp(model: str) -> int:
    return {"exp1": 1, "exp2": 2, "exp3": 3}.get(model, 0)


def _moment_lifetime(t: np.ndarray, y: np.ndarray, bg: float) -> float:
    """Rough mean lifetime: first moment of the background-free decay after its peak."""
    i = int(np.argmax(y))
    tt = t[i:] - t[i]
    yy = np.clip(y[i:] - bg, 0.0, None)
    if yy.sum() <= 0 or tt[-1] <= 0:
        return max(float(t[-1] - t[0]) / 5, 1e-3)
    return float(np.clip(np.sum(tt * yy) / np.sum(yy), 0.5 * (tt[1] if tt.size > 1 else 1), tt[-1]))


def _irf_guess(t: np.ndarray, y: np.ndarray, bg: float) -> tuple[float, float]:
    """Starting IRF centre and FWHM from the rising edge of the decay."""
    dt = float(np.median(np.diff(t)))
    i = int(np.argmax(y))
    peak = y[i] - bg
    above = np.nonzero(y[: i + 1] - bg >= 0.5 * peak)[0]
    j = int(above[0]) if above.size else i
    t_half = float(t[j])
    fwhm = max(2.0 * (float(t[i]) - t_half), 2.0 * dt)
    return t_half, fwhm


def build_spec(
    model: str,
    t_full: np.ndarray,
    window: np.ndarray,
    y: np.ndarray,
    *,
    irf: str | np.ndarray,
    period: float | None,
    t_ref: float = 1.0,
) -> ModelSpec:
    """Model spec on the fit grid ``t_full[window]`` (times in ns)."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    t = t_full[window]
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    span = float(t[-1] - t[0])
    n_bg = max(3, t.size // 20)
    bg0 = float(np.median(np.sort(y)[:n_bg]))
    tau_m = _moment_lifetime(t, y, bg0)
    irf_kind = (
        "none"
        if isinstance(irf, str) and irf == "none"
        else ("gaussian" if isinstance(irf, str) else "measured")
    )
    if isinstance(irf, str) and irf not in ("gaussian", "none"):
        raise ConfigError(f"unknown IRF option {irf!r}; use 'gaussian', 'none' or an array")
    if model in ("powerlaw", "exp+powerlaw") and irf_kind != "none":
        raise ConfigError(
            f"{model}: a power law has no finite impulse response at t = 0; fit it with "
            "irf 'none' on a window that starts after the prompt decay (e.g. 3ns:20ns)"
        )
    if model in ("powerlaw", "exp+powerlaw") and t[0] <= 0:
        raise ConfigError(f"{model}: the fit window must start after t = 0 (e.g. 3ns:20ns)")

    names: list[str] = []
    theta0: list[float] = []
    logm: list[bool] = []
    lo: list[float] = []
    hi: list[float] = []
    tau_lo, tau_hi = max(dt / 20, 1e-6), max(50 * span, 10 * dt)

    def add(name, v0, is_log, lower, upper):
        names.append(name)
        theta0.append(float(np.clip(v0, lower * 1.0001 if lower > 0 else lower, upper)))
        logm.append(is_log)
        lo.append(lower)
        hi.append(upper)

    k = _n_exp(model)
    if k:
        spread = {1: [1.0], 2: [0.25, 2.0], 3: [0.07, 0.5, 3.0]}[k]
        for i, f in enumerate(spread):
            add(f"tau{i + 1}", f * tau_m, True, tau_lo, tau_hi)
    elif model == "stretched":
        add("tau1", tau_m, True, tau_lo, tau_hi)
        add("beta", 0.8, False, 0.05, 1.0)
    elif model == "powerlaw":
        add("beta", 1.5, False, 0.05, 6.0)
    elif model == "exp+powerlaw":
        add("tau1", tau_m / 2, True, tau_lo, tau_hi)
        add("beta", 1.5, False, 0.05, 6.0)

    if irf_kind == "gaussian":
        c0, w0 = _irf_guess(t, y, bg0)
        add("irf_t0", c0, False, float(t[0]) - span, float(t[-1]))
        add("irf_fwhm", w0, True, dt / 10, span / 2)
    elif irf_kind == "measured":
        add("irf_shift", 0.0, False, -span / 4, span / 4)

    idx = {n: i for i, n in enumerate(names)}
    per = period

    def gaussian_cols(th: np.ndarray) -> np.ndarray:
        t0, fwhm = th[idx["irf_t0"]], th[idx["irf_fwhm"]]
        if k:
            sigma = fwhm / M.FWHM_PER_SIGMA
            taus = np.array([th[idx[f"tau{i + 1}"]] for i in range(k)])
            return M.emg_periodic((t - t0)[:, None], taus[None, :], sigma, per)
        tau, beta = th[idx["tau1"]], th[idx["beta"]]
        imp = M.periodic(lambda u: M.stretched_exp(u, 1.0, tau, beta), per)
        return M.convolve_gaussian(t, imp, t0, fwhm)[:, None]

    irf_arr = None if irf_kind != "measured" else np.asarray(irf, dtype=float)
    if irf_arr is not None and irf_arr.shape != t_full.shape:
        raise ConfigError("the measured IRF must be sampled on the data time grid")

    def measured_cols(th: np.ndarray) -> np.ndarray:
        s = th[idx["irf_shift"]]
        if k:
            cols = [
                M.exp_sum_measured_irf(t_full, [1.0], [th[idx[f"tau{i + 1}"]]], irf_arr, s, per)
                for i in range(k)
            ]
            return np.stack(cols, axis=1)[window]
        tau, beta = th[idx["tau1"]], th[idx["beta"]]
        imp = M.periodic(lambda u: M.stretched_exp(u, 1.0, tau, beta), per)
        return M.impulse_measured_irf(t_full, imp, irf_arr, s)[window][:, None]

    def none_cols(th: np.ndarray) -> np.ndarray:
        if k:
            taus = [th[idx[f"tau{i + 1}"]] for i in range(k)]
            return np.stack(
                [M.periodic(lambda u, tau=tau: M.exp_sum(u, [1.0], [tau]), per)(t) for tau in taus],
                axis=1,
            )
        if model == "stretched":
            tau, beta = th[idx["tau1"]], th[idx["beta"]]
            return M.periodic(lambda u: M.stretched_exp(u, 1.0, tau, beta), per)(t)[:, None]
        beta = th[idx["beta"]]
        pl = M.periodic(lambda u: M.power_law(u, 1.0, beta, t_ref), per)(t)
        if model == "powerlaw":
            return pl[:, None]
        tau = th[idx["tau1"]]
        ex = M.periodic(lambda u: M.exp_sum(u, [1.0], [tau]), per)(t)
        return np.stack([ex, pl], axis=1)

    basis = {"gaussian": gaussian_cols, "measured": measured_cols, "none": none_cols}[irf_kind]
    if k:
        cols = [f"amplitude{i + 1}" for i in range(k)]
    elif model == "stretched":
        cols = ["amplitude1"]
    elif model == "powerlaw":
        cols = ["amplitude_powerlaw"]
    else:
        cols = ["amplitude1", "amplitude_powerlaw"]
    return ModelSpec(
        model=model,
        irf=irf_kind,
        names=names,
        theta0=np.array(theta0),
        log_mask=np.array(logm, dtype=bool),
        lower=np.array(lo),
        upper=np.array(hi),
        basis=basis,
        column_names=cols,
        n_exp=k if k else (1 if model in ("stretched", "exp+powerlaw") else 0),
    )


# ------------------------------------------------------------------------------ solver
def _design(spec: ModelSpec, theta: np.ndarray, background: bool) -> np.ndarray:
    phi = spec.basis(theta)
    if background:
        phi = np.concatenate([phi, np.ones((phi.shape[0], 1))], axis=1)
    return phi


def _solve_linear(phi: np.ndarray, y: np.ndarray, sw: np.ndarray) -> np.ndarray:
    """Weighted NNLS for the amplitudes (columns scaled for conditioning)."""
    a = phi * sw[:, None]
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    c, _ = nnls(a / norms, y * sw, maxiter=50 * phi.shape[1] + 50)
    return c / norms


def _nnls_small_batch(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Exact NNLS for many small problems at once (k <= 5 columns).

    min ||A c - b||^2 s.t. c >= 0 in normal-equation form (``gram`` = A^T A, ``rhs`` =
    A^T b). The solution is the unconstrained optimum on one face {c_j = 0, j not in S};
    every feasible face optimum is a feasible point, so the feasible face with the lowest
    objective ``-c_S . rhs_S`` is the NNLS solution. All 2^k - 1 faces are solved batched;
    fewer problems than faces are each solved by Lawson-Hanson NNLS instead (the same
    solution, which is unique: ``gram`` is positive definite).
    """
    m, k = rhs.shape
    ridge = 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-300
    if m < 2**k - 1:
        # Few problems (a single decay: every step of its fit): one Lawson-Hanson NNLS
        # each beats enumerating the 2^k - 1 faces batched (30 us vs 0.1-1.2 ms, k = 2-5).
        # With gram = L L^T, ||A c - b||^2 = ||L^T c - L^-1 rhs||^2 + const: same solution.
        out = np.empty((m, k))
        eye = np.eye(k)
        for i in range(m):
            try:
                if not (np.all(np.isfinite(gram[i])) and np.all(np.isfinite(rhs[i]))):
                    raise np.linalg.LinAlgError("not finite")
                low = np.linalg.cholesky(gram[i] + ridge[i] * eye)
                out[i] = nnls(low.T, np.linalg.solve(low, rhs[i]), maxiter=50 * k + 50)[0]
            except (np.linalg.LinAlgError, RuntimeError):  # degenerate: enumerate its faces
                out[i] = _nnls_faces(gram[i : i + 1], rhs[i : i + 1], ridge[i : i + 1])[0]
        return out
    return _nnls_faces(gram, rhs, ridge)


def _nnls_faces(gram: np.ndarray, rhs: np.ndarray, ridge: np.ndarray) -> np.ndarray:
    """:func:`_nnls_small_batch` by enumerating every face, all problems batched."""
    m, k = rhs.shape
    best = np.zeros((m, k))
    best_obj = np.zeros(m)  # empty face: c = 0, objective 0
    for mask in range(1, 2**k):
        idx = [j for j in range(k) if mask >> j & 1]
        g = gram[:, idx][:, :, idx] + ridge * np.eye(len(idx))
        r = rhs[:, idx]
        c = np.linalg.solve(g, r[..., None])[..., 0]
        obj = -np.sum(c * r, axis=1)
        ok = np.all(c >= 0, axis=1) & np.isfinite(obj) & (obj < best_obj)
        if np.any(ok):
            best_obj[ok] = obj[ok]
            full = np.zeros((int(ok.sum()), k))
            full[:, idx] = c[ok]
            best[ok] = full
    return best


def solve_amplitudes(phi: np.ndarray, ys: np.ndarray, sw: np.ndarray) -> np.ndarray:
    """Non-negative amplitudes of every decay (rows of ``ys``) for a shared basis ``phi``.

    Weighted normal equations are solved for all decays at once; decays whose solution
    has a negative amplitude are solved exactly by enumerating active sets (few columns)
    or by Lawson-Hanson NNLS.
    """
    w = sw * sw  # (m, n)
    norms = np.sqrt(np.maximum((w @ (phi * phi)).max(axis=0), 1e-300))
    ph = phi / norms
    k = ph.shape[1]
    outer = (ph[:, :, None] * ph[:, None, :]).reshape(ph.shape[0], k * k)
    gram = (w @ outer).reshape(-1, k, k)  # one GEMM for all decays: (m, k, k)
    rhs = (w * ys) @ ph  # (m, k)
    try:
        c = np.linalg.solve(gram, rhs[..., None])[..., 0]
        bad = np.any(c < 0, axis=1) | ~np.all(np.isfinite(c), axis=1)
    except np.linalg.LinAlgError:
        c = np.zeros((ys.shape[0], phi.shape[1]))
        bad = np.ones(ys.shape[0], dtype=bool)
    if np.any(bad):
        if phi.shape[1] <= 5:
            c[bad] = _nnls_small_batch(gram[bad], rhs[bad])
        else:
            for i in np.nonzero(bad)[0]:
                c[i] = _solve_linear(ph, ys[i], sw[i])
    return c / norms


def _variances(method: str, y: np.ndarray, mu: np.ndarray | None) -> np.ndarray:
    if method == "lsq":
        return np.ones_like(y)
    if method == "neyman" or mu is None:
        return np.maximum(y, 1.0)
    return np.maximum(mu, 1e-8)


def run_varpro(
    spec: ModelSpec,
    ys: np.ndarray,
    method: str,
    *,
    background: bool = True,
    max_outer: int = 15,
    x0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, bool, str]:
    """Fit shared nonlinear parameters to one or many decays (rows of ``ys``).

    Returns ``theta`` (natural units), amplitudes ``(n_decays, k[+1])``, converged flag,
    message. Each outer iteration freezes the weights (IRLS for ``mle``; the first uses
    Neyman weights) and solves the weighted problem, until the likelihood settles.
    """
    ys = np.atleast_2d(ys)
    lo, hi = spec.opt_bounds()
    x = spec.to_opt(spec.theta0) if x0 is None else np.array(x0, dtype=float)
    x = np.clip(x, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))
    mus = None
    ok = False
    msg = ""
    ll_old = -np.inf
    outer = 1 if method in ("lsq", "neyman") else max_outer
    for it in range(outer):
        var = np.stack(
            [_variances(method, ys[i], None if mus is None else mus[i]) for i in range(len(ys))]
        )
        sw = 1.0 / np.sqrt(var)

        def resid(xv: np.ndarray, sw=sw) -> np.ndarray:
            th = spec.from_opt(xv)
            phi = _design(spec, th, background)
            if not np.all(np.isfinite(phi)):
                return np.full(ys.size, 1e6)
            c = solve_amplitudes(phi, ys, sw)
            return ((ys - c @ phi.T) * sw).ravel()

        if ys.size <= LARGE_PROBLEM:
            res = least_squares(
                resid,
                x,
                bounds=(lo, hi),
                method="trf",
                x_scale="jac",
                xtol=1e-8,
                ftol=1e-9,
                gtol=1e-9,
                max_nfev=200 * (len(x) + 1),
            )
        else:
            res = _minimize_scalar_objective(resid, x, lo, hi)
        x = res.x
        ok = res.status > 0
        msg = res.message
        th = spec.from_opt(x)
        phi = _design(spec, th, background)
        amps = solve_amplitudes(phi, ys, sw)
        mus = amps @ phi.T
        # IRLS stops when the log-likelihood no longer changes (statistically irrelevant
        # changes of 1e-4 in ln L), which also ends flat, over-parameterised directions.
        ll = sum(log_likelihood(ys[i], mus[i], method, 0) for i in range(len(ys)))
        if it and abs(ll - ll_old) < 1e-4 and res.status > 0:
            ok, msg = True, f"converged ({res.message.strip('`')}; {it + 1} IRLS reweightings)"
            break
        ll_old = ll
    else:
        if outer > 1:
            ok = False
            msg = f"IRLS weights did not settle in {max_outer} iterations"
    return spec.from_opt(x), amps, ok, str(msg)


def sort_lifetimes(spec: ModelSpec, theta: np.ndarray, amps: np.ndarray):
    """Relabel exponential components so that tau1 < tau2 < ... (amplitude columns follow).

    ``amps`` is ``(k[+1],)`` or ``(n_decays, k[+1])``. Only for exp1..exp3, whose basis
    columns are in the order of the tau parameters.
    """
    k = _n_exp(spec.model)
    if k < 2:
        return theta, amps
    pos = [spec.names.index(f"tau{i + 1}") for i in range(k)]
    order = np.argsort(theta[pos])
    theta = theta.copy()
    theta[pos] = theta[pos][order]
    amps = np.array(amps, copy=True)
    amps[..., :k] = amps[..., :k][..., order]
    return theta, amps


def _minimize_scalar_objective(resid, x, lo, hi):
    """Large global problems: minimise ||r||^2 with L-BFGS-B so that no (N x p) Jacobian
    of the full residual vector is ever stored; returns a least_squares-like result."""
    from types import SimpleNamespace

    f0 = float(np.sum(resid(x) ** 2))
    scale = max(f0, 1.0)

    def obj(xv):
        return float(np.sum(resid(xv) ** 2)) / scale

    r = minimize(
        obj,
        x,
        method="L-BFGS-B",
        bounds=list(zip(lo, hi, strict=True)),
        options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500, "eps": 1e-7},
    )
    return SimpleNamespace(x=r.x, status=1 if r.success else 0, message=str(r.message))


def basis_jacobian(spec: ModelSpec, theta: np.ndarray, bg: bool) -> np.ndarray:
    """d(design)/d(theta) by central differences; shape (p, n, k)."""
    out = []
    for j in range(theta.size):
        h = 1e-5 * max(abs(theta[j]), 1e-3)
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        out.append((_design(spec, tp, bg) - _design(spec, tm, bg)) / (2 * h))
    if not out:
        phi = _design(spec, theta, bg)
        return np.zeros((0, *phi.shape))
    return np.stack(out)


def _jacobian_theta(spec: ModelSpec, theta: np.ndarray, amps: np.ndarray, bg: bool) -> np.ndarray:
    """d mu / d theta (natural units) by central differences; shape (n, p)."""
    cols = []
    n = _design(spec, theta, bg).shape[0]
    for j in range(theta.size):
        h = 1e-5 * max(abs(theta[j]), 1e-3)
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        cols.append((_design(spec, tp, bg) @ amps - _design(spec, tm, bg) @ amps) / (2 * h))
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0))


def covariance(
    spec: ModelSpec,
    theta: np.ndarray,
    amps: np.ndarray,
    y: np.ndarray,
    method: str,
    bg: bool,
) -> tuple[np.ndarray, bool]:
    """Covariance of (theta, amplitudes) from the Fisher information; flag if rescaled."""
    phi = _design(spec, theta, bg)
    mu = phi @ amps
    jac = np.concatenate([_jacobian_theta(spec, theta, amps, bg), phi], axis=1)
    n, p = jac.shape
    if method == "lsq":
        s2 = float(np.sum((y - mu) ** 2) / max(n - p, 1))
        w = np.full(n, 1.0 / s2 if s2 > 0 else 1.0)
    else:
        w = 1.0 / _variances(method, y, mu)
    fisher = jac.T @ (jac * w[:, None])
    d = np.sqrt(np.abs(np.diag(fisher)))
    d[d == 0] = 1.0
    scaled = fisher / np.outer(d, d)
    try:
        if np.linalg.cond(scaled) > 1e13:
            raise np.linalg.LinAlgError
        cov = np.linalg.inv(scaled) / np.outer(d, d)
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    return cov, method == "lsq"


def log_likelihood(y: np.ndarray, mu: np.ndarray, method: str, n_params: int) -> float:
    """Poisson log-likelihood for counts; Gaussian (profiled sigma) for ``lsq``."""
    if method == "lsq":
        n = y.size
        rss = float(np.sum((y - mu) ** 2))
        return -0.5 * n * (math.log(2 * math.pi * max(rss, 1e-300) / n) + 1)
    mu = np.maximum(mu, 1e-300)
    return float(np.sum(y * np.log(mu) - mu - gammaln(y + 1)))


def _prepare(t_s: np.ndarray, y: np.ndarray, window_s, method: str):
    t = np.asarray(t_s, dtype=float) / NS
    y = np.asarray(y, dtype=float)
    if t.ndim != 1 or y.shape[-1] != t.size:
        raise FitError(f"time axis ({t.size}) and decay ({y.shape}) do not match")
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not (np.all(np.isfinite(t)) and np.max(np.abs(t), initial=0.0) < MAX_ABS_TIME_NS):
        raise FitError(
            f"time axis reaches {np.max(np.abs(t)) * NS:.3g} s; decays are fitted up to "
            f"{MAX_ABS_TIME_NS * NS:g} s (check the time unit)"
        )
    if window_s is None:
        win = np.ones(t.size, dtype=bool)
    else:
        a, b = window_s
        if not (b > a):
            raise ConfigError(f"empty fit window {a:g} s to {b:g} s")
        win = (t >= a / NS) & (t <= b / NS)
    win &= np.all(np.isfinite(np.atleast_2d(y)), axis=0)
    if win.sum() < 8:
        raise FitError(f"only {int(win.sum())} points in the fit window; need at least 8")
    yy = np.atleast_2d(y)[:, win]
    if np.max(np.abs(yy)) > MAX_ABS_SIGNAL:  # squares in the residuals would overflow
        raise FitError(
            f"signal values up to {np.max(np.abs(yy)):.3g} are too large to fit "
            f"(limit {MAX_ABS_SIGNAL:g}); rescale the signal"
        )
    if method != "lsq":
        if np.any(yy < 0):
            raise FitError("negative values cannot be counts; use method 'lsq' for analog data")
        if yy.sum() <= 0:
            raise FitError("no counts in the fit window")
    return t, y, win


def default_window(t_s: np.ndarray, y: np.ndarray, model: str, irf: str | np.ndarray):
    """Fit window used when none is given: all data with an IRF; from the peak without."""
    if isinstance(irf, str) and irf == "none":
        i = int(np.argmax(np.atleast_2d(y).sum(axis=0)))
        start = float(t_s[i])
        if model in ("powerlaw", "exp+powerlaw") and start <= 0:
            raise ConfigError(f"{model}: give a fit window starting after t = 0, e.g. 3ns:20ns")
        return start, float(t_s[-1])
    return None


def fit_decay(
    t_s: np.ndarray,
    counts: np.ndarray,
    *,
    model: str = "exp2",
    irf: str | np.ndarray = "gaussian",
    window_s: tuple[float, float] | None = None,
    period_s: float | None = None,
    method: str = "mle",
    background: bool = True,
) -> DecayFit:
    """Fit a decay with an IRF-convolved model.

    Parameters
    ----------
    t_s
        Time axis in s (uniform when a measured IRF is used); 0 is the nominal pulse time.
    counts
        Decay values (photon counts for ``mle``/``neyman``; anything for ``lsq``).
    model
        ``exp1``, ``exp2``, ``exp3``, ``stretched``, ``powerlaw`` or ``exp+powerlaw``.
    irf
        ``"gaussian"`` (centre and FWHM fitted), ``"none"``, or a measured IRF sampled on
        ``t_s`` (its sub-bin shift is fitted).
    window_s
        ``(start, stop)`` in s; default: all points with an IRF, from the peak without.
    period_s
        Laser repetition period; when given, tails of earlier pulses are included.
    method
        ``mle`` (Poisson), ``neyman`` or ``lsq`` (see module docstring).
    background
        Fit a constant background (dark counts / offset).

    Returns
    -------
    DecayFit

    Examples
    --------
    >>> t = np.arange(400) * 0.05e-9
    >>> y = 1000 * np.exp(-t / 2e-9) + 1.0
    >>> f = fit_decay(t, y, model="exp1", irf="none", method="neyman")
    >>> round(f.components[0].tau_s * 1e9, 3)
    2.0
    """
    if window_s is None:
        window_s = default_window(np.asarray(t_s, dtype=float), counts, model, irf)
    t, y, win = _prepare(t_s, counts, window_s, method)
    period = None if period_s is None else float(period_s) / NS
    if period is not None and not (period > 0 and np.isfinite(period)):
        raise ConfigError("repetition period must be positive")
    yw = y[win]
    sign = 1.0
    if method == "lsq" and yw.sum() < 0:  # negative-going TA signal: fit its mirror
        sign = -1.0
        yw = -yw
    spec = build_spec(model, t, win, yw, irf=irf, period=period)
    theta, amps, ok, msg = run_varpro(spec, yw, method, background=background)
    theta, amps = sort_lifetimes(spec, theta, amps[0])
    cov, rescaled = covariance(spec, theta, amps, yw, method, background)
    phi = _design(spec, theta, background)
    mu = phi @ amps
    n, p = yw.size, theta.size + amps.size
    err = np.sqrt(np.abs(np.diag(cov)))
    if not np.all(np.isfinite(err)):
        ok = False
        msg = "covariance is singular: some parameter is not determined by the data"
    ll = log_likelihood(yw, mu, method, p)
    aic = 2 * p - 2 * ll
    bic = p * math.log(n) - 2 * ll
    red = (
        None
        if method == "lsq"
        else float(np.sum((yw - mu) ** 2 / np.maximum(mu, 1e-12)) / max(n - p, 1))
    )
    # hitting a bound means the optimum is not interior: say so
    at_bound = [
        nm
        for nm, v, lo_, hi_ in zip(spec.names, theta, spec.lower, spec.upper, strict=True)
        if not (lo_ * (1 + 1e-6) < v < hi_ * (1 - 1e-6)) and nm != "irf_shift" and lo_ > 0
    ]
    if at_bound:
        ok = False
        msg = f"parameter(s) at their bound: {', '.join(at_bound)}"

    return _assemble(
        spec,
        theta,
        amps * sign,
        err,
        ok,
        msg,
        rescaled,
        method,
        ll,
        aic,
        bic,
        red,
        n,
        p,
        period,
        t,
        win,
        y,
        mu * sign,
        background,
    )


def _assemble(
    spec,
    theta,
    amps,
    err,
    ok,
    msg,
    rescaled,
    method,
    ll,
    aic,
    bic,
    red,
    n,
    p,
    period,
    t,
    win,
    y,
    mu,
    background,
) -> DecayFit:
    pt = theta.size
    params: dict[str, tuple[float, float]] = {}
    for i, nm in enumerate(spec.names):
        scale = NS if nm.startswith(("tau", "irf")) else 1.0
        params[nm + ("_s" if scale == NS else "")] = (theta[i] * scale, err[i] * scale)
    for j, nm in enumerate(spec.column_names):
        params[nm] = (float(amps[j]), float(err[pt + j]))
    bg, bg_err = (float(amps[-1]), float(err[-1])) if background else (0.0, 0.0)
    if background:
        params["background"] = (bg, bg_err)

    comps: list[Component] = []
    taus = [theta[spec.names.index(f"tau{i + 1}")] for i in range(spec.n_exp)]
    if spec.n_exp:
        a = np.array([amps[i] for i in range(spec.n_exp)])
        ta = np.array(taus)
        if spec.model == "stretched":
            beta = theta[spec.names.index("beta")]
            # integral of exp(-(t/tau)^beta) = tau Gamma(1 + 1/beta)
            photons = a * ta * math.gamma(1 + 1 / beta)
        elif spec.model == "exp+powerlaw":
            tw = t[win]
            pl = amps[1] * M.power_law(tw, 1.0, theta[spec.names.index("beta")])
            ex = a[0] * np.exp(-tw / ta[0])
            photons = np.array([np.trapezoid(ex, tw)])
            photons = photons / (photons + np.trapezoid(pl, tw))
        else:
            photons = a * ta  # integral of A exp(-t/tau) over t >= 0
        tot_a = a.sum()
        tot_p = photons.sum() if spec.model != "exp+powerlaw" else 1.0
        for i in range(spec.n_exp):
            it = spec.names.index(f"tau{i + 1}")
            comps.append(
                Component(
                    tau_s=float(ta[i] * NS),
                    tau_err_s=float(err[it] * NS),
                    amplitude=float(a[i]),
                    amplitude_err=float(err[pt + i]),
                    amplitude_fraction=float(a[i] / tot_a) if tot_a else float("nan"),
                    photon_fraction=float(photons[i] / tot_p) if tot_p else float("nan"),
                )
            )
        comps.sort(key=lambda c: c.tau_s)
    lt = None
    if spec.model.startswith("exp") and spec.model != "exp+powerlaw":
        lt = M.lifetime_1e([c.amplitude for c in comps], [c.tau_s for c in comps])
    elif spec.model == "stretched":
        lt = comps[0].tau_s  # exp(-(t/tau)^beta) = 1/e at t = tau

    def get(nm):
        if nm in spec.names:
            i = spec.names.index(nm)
            return theta[i] * NS, err[i] * NS
        return None, None

    fwhm, fwhm_err = get("irf_fwhm")
    shift, shift_err = get("irf_t0") if spec.irf == "gaussian" else get("irf_shift")
    irf_curve = None
    if spec.irf == "gaussian":
        irf_curve = M.gaussian_irf(t[win], shift / NS, fwhm / NS)
    tw = t[win]
    return DecayFit(
        model=spec.model,
        method=method,
        irf=spec.irf,
        components=tuple(comps),
        parameters=params,
        irf_fwhm_s=fwhm,
        irf_fwhm_err_s=fwhm_err,
        irf_shift_s=shift,
        irf_shift_err_s=shift_err,
        background=bg,
        background_err=bg_err,
        lifetime_1e_s=lt,
        log_likelihood=ll,
        aic=aic,
        bic=bic,
        reduced_chi2=red,
        n_points=n,
        n_params=p,
        converged=bool(ok),
        message=msg,
        covariance_rescaled=rescaled,
        period_s=None if period is None else period * NS,
        window_s=(float(tw[0] * NS), float(tw[-1] * NS)),
        t_s=tw * NS,
        data=y[win] if y.ndim == 1 else y[0, win],
        fitted=mu,
        irf_curve=irf_curve,
    )
