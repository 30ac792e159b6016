"""Drift-diffusion fits of J-V curves: constant, Poole-Frenkel or EGDM mobility (Li 2024).

Each model curve is a full drift-diffusion solve (:func:`~.drift_diffusion.solve_jv`); one fit
takes any number of curves at once (several temperatures and thicknesses), as in Li 2024
Fig. 6. Residuals are ln J_model - ln J_data (multiplicative noise).

Parameters are searched, and their covariance built, in internal coordinates of order one
(ln mu0, gamma / 1e-4 (m/V)^0.5, sigma / 0.1 eV, a / 1 nm, V_bi / 1 V, ln G, R_s / R_ref), so
J^T J is well conditioned (the old covariance in metres had a condition number ~1e20). The
reported CI is Student t on the curvature (``ci_method = "t"``) unless the curvature is a poor
guide -- the residual sum of squares at the edge of the linearised interval is off by more than
25 % from the value a linear model gives, or the interval crosses a bound -- and then the
profile likelihood (``ci_method = "profile"``): the parameter is stepped, the others re-fitted,
and the interval ends where Delta RSS / s^2 = t^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nctransport.device._regression import t95
from nctransport.device.drift_diffusion import Device, Statistics, solve_jv
from nctransport.device.mobility import (
    K_B_EV,
    ConstantMobility,
    EGDMMobility,
    PooleFrenkelMobility,
)
from nctransport.errors import ConfigError, ConvergenceError, FitError, InputError
from nctransport.results import Estimate

__all__ = [
    "MODELS",
    "JVCurve",
    "JVFit",
    "EGDMFit",
    "simulate_jv_model",
    "simulate_egdm_jv",
    "fit_drift_diffusion",
    "fit_egdm",
]

MODELS = ("constant", "poole-frenkel", "egdm")
STATISTICS = ("boltzmann", "gauss-fermi")

#: Reporting unit of each parameter (Estimate.unit) and its results.json name.
PARAM_UNITS = {
    "mobility_m2_Vs": "m^2/(V*s)",
    "mu0_m2_Vs": "m^2/(V*s)",
    "gamma_sqrt_m_V": "(m/V)^0.5",
    "sigma_eV": "eV",
    "a_m": "m",
    "built_in_V": "V",
    "leak_S_m2": "S/m^2",
    "series_resistance_ohm_m2": "ohm*m^2",
}


@dataclass(frozen=True)
class JVCurve:
    """A measured J-V curve (V in volts, J in A/m^2) at one temperature (K).

    ``thickness_m`` is the layer thickness of this device (None: the fit's default).
    """

    voltages_V: np.ndarray
    current_density_A_m2: np.ndarray
    temperature_K: float
    label: str = ""
    thickness_m: float | None = None


@dataclass(frozen=True)
class JVFit:
    """A drift-diffusion fit: fitted parameters as :class:`~nctransport.results.Estimate`.

    ``parameters`` holds the fitted ones (names as in :data:`PARAM_UNITS`), ``fixed`` the
    held ones; ``correlations`` are those of the internal (well-scaled) coordinates.
    """

    model: str
    statistics: str
    parameters: dict[str, Estimate]
    fixed: dict[str, float]
    correlations: dict[str, dict[str, float]]
    reduced_chi2: float
    chi2_note: str
    residual_std_lnJ: float
    n_points: int
    temperatures_K: tuple[float, ...]
    thicknesses_m: tuple[float, ...]
    success: bool
    message: str
    n_evaluations: int = 0
    model_voltages_V: tuple[np.ndarray, ...] = field(repr=False, default=())
    model_current_density_A_m2: tuple[np.ndarray, ...] = field(repr=False, default=())

    def value(self, name: str) -> float:
        """A fitted or fixed parameter's value (SI)."""
        if name in self.parameters:
            return self.parameters[name].value
        return self.fixed[name]

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "statistics": self.statistics,
            "parameters": {k: e.to_dict() for k, e in self.parameters.items()},
            "fixed": dict(self.fixed),
            "correlations": self.correlations,
            "reduced_chi2": self.reduced_chi2,
            "reduced_chi2_note": self.chi2_note,
            "residual_std_lnJ": self.residual_std_lnJ,
            "n_points": self.n_points,
            "converged": self.success,
            "message": self.message,
        }


@dataclass(frozen=True)
class EGDMFit:
    """EGDM fit result (the shape :func:`fit_egdm` always returned); CIs are 95 %."""

    sigma_eV: float
    sigma_ci95_eV: tuple[float, float]
    mu0_m2_Vs: float
    mu0_ci95_m2_Vs: tuple[float, float]
    a_m: float
    a_ci95_m: tuple[float, float] | None  # None when a was held fixed
    correlations: dict[str, dict[str, float]]
    reduced_chi2: float
    chi2_note: str
    residual_std_lnJ: float
    n_points: int
    temperatures_K: tuple[float, ...]
    success: bool
    message: str
    model_current_density_A_m2: tuple[np.ndarray, ...] = field(repr=False, default=())


# --------------------------------------------------------------------------- the model


def simulate_jv_model(
    voltages_V,
    *,
    model: str,
    temperature_K: float,
    thickness_m: float,
    eps_r: float,
    mobility_m2_Vs: float | None = None,
    mu0_m2_Vs: float | None = None,
    gamma_sqrt_m_V: float = 0.0,
    sigma_eV: float | None = None,
    a_m: float | None = None,
    statistics: str = "boltzmann",
    site_density_m3: float | None = None,
    barrier_anode_eV: float = 0.0,
    barrier_cathode_eV: float = 0.0,
    built_in_V: float = 0.0,
    leak_S_m2: float = 0.0,
    series_resistance_ohm_m2: float = 0.0,
    n_points: int = 200,
) -> np.ndarray:
    """J (A/m^2) at the applied voltages of a single-carrier device with contacts and circuit.

    The built-in voltage raises the cathode's injection barrier (hole-only device); a leak
    G V runs parallel to the layer; a series resistance R_s (ohm m^2) takes V - V_layer = R_s J.

    >>> j = simulate_jv_model([1.0, 2.0], model="constant", mobility_m2_Vs=1e-10,
    ...                       temperature_K=297, thickness_m=110e-9, eps_r=3.5, n_points=60)
    >>> round(float(j[1] / j[0]), 2)  # 4 for Mott-Gurney; diffusion adds at low V
    3.17
    """
    if model not in MODELS:
        raise ConfigError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "constant":
        mob = ConstantMobility(float(mobility_m2_Vs if mobility_m2_Vs is not None else mu0_m2_Vs))
    elif model == "poole-frenkel":
        mob = PooleFrenkelMobility(float(mu0_m2_Vs), float(gamma_sqrt_m_V))
    else:
        mob = EGDMMobility(float(mu0_m2_Vs), float(sigma_eV), float(a_m), float(temperature_K))
    if site_density_m3 is None:
        site_density_m3 = 1.0 / a_m**3 if a_m is not None else 1e27
    stats = Statistics(
        statistics, site_density_m3, sigma_eV if statistics == "gauss-fermi" else None
    )
    dev = Device(
        thickness_m,
        eps_r,
        temperature_K=temperature_K,
        barrier_anode_eV=barrier_anode_eV,
        barrier_cathode_eV=barrier_cathode_eV + built_in_V,
    )
    v = np.asarray(voltages_V, dtype=float)
    if series_resistance_ohm_m2 <= 0:
        j = solve_jv(v, device=dev, mobility=mob, statistics=stats, n_points=n_points)
        return j.current_density_A_m2 + leak_S_m2 * v
    # With R_s: solve on layer voltages, map to applied V = V_layer + R_s J, interpolate ln J.
    pos = v[v > 0]
    if pos.size != v.size:
        raise InputError("a series resistance needs positive voltages only")
    vl = np.unique(np.concatenate([[0.5 * pos.min()], pos]))
    jl = solve_jv(vl, device=dev, mobility=mob, statistics=stats, n_points=n_points)
    jt = jl.current_density_A_m2 + leak_S_m2 * vl
    if np.any(jt <= 0):
        raise ConvergenceError("model current is not positive")
    va = vl + series_resistance_ohm_m2 * jt
    return np.exp(np.interp(v, va, np.log(jt)))


def simulate_egdm_jv(
    voltages_V,
    *,
    temperature_K: float,
    sigma_eV: float,
    mu0_m2_Vs: float,
    a_m: float,
    thickness_m: float,
    eps_r: float,
    barrier_anode_eV: float = 0.0,
    barrier_cathode_eV: float = 0.0,
    n_points: int = 200,
) -> np.ndarray:
    """J (A/m^2) of an EGDM + Gauss-Fermi single-carrier device at each voltage."""
    return simulate_jv_model(
        voltages_V,
        model="egdm",
        temperature_K=temperature_K,
        thickness_m=thickness_m,
        eps_r=eps_r,
        mu0_m2_Vs=mu0_m2_Vs,
        sigma_eV=sigma_eV,
        a_m=a_m,
        statistics="gauss-fermi",
        barrier_anode_eV=barrier_anode_eV,
        barrier_cathode_eV=barrier_cathode_eV,
        n_points=n_points,
    )


# --------------------------------------------------------------------------- the fit


@dataclass
class _Param:
    """One internal coordinate theta (order one) and its map to the physical value."""

    name: str
    start: float  # internal
    lo: float
    hi: float
    to_phys: object  # callable theta -> SI value


def _build_params(
    model: str,
    *,
    mu_start: float,
    gamma_start: float,
    sigma_start: float,
    a_start: float,
    fit_a: bool,
    sigma_lo: float,
    fit_built_in: bool,
    built_in_start: float,
    fit_leak: bool,
    g_start: float,
    fit_series: bool,
    r_ref: float,
) -> list[_Param]:
    mu_name = "mobility_m2_Vs" if model == "constant" else "mu0_m2_Vs"
    params = [_Param(mu_name, 0.0, -40.0, 40.0, lambda t, m=mu_start: m * np.exp(t))]
    if model == "poole-frenkel":
        params.append(_Param("gamma_sqrt_m_V", gamma_start / 1e-4, -5.0, 50.0, lambda t: t * 1e-4))
    if model == "egdm":
        params.append(_Param("sigma_eV", sigma_start / 0.1, sigma_lo / 0.1, 3.0, lambda t: t * 0.1))
        if fit_a:
            params.append(_Param("a_m", a_start / 1e-9, 0.5, 10.0, lambda t: t * 1e-9))
    if fit_built_in:
        params.append(_Param("built_in_V", built_in_start, 0.0, 2.5, lambda t: float(t)))
    if fit_leak:
        params.append(_Param("leak_S_m2", 0.0, -60.0, 60.0, lambda t, g=g_start: g * np.exp(t)))
    if fit_series:
        params.append(_Param("series_resistance_ohm_m2", 0.1, 0.0, 1e3, lambda t, r=r_ref: t * r))
    return params


def fit_drift_diffusion(
    curves: Sequence[JVCurve],
    *,
    model: str = "constant",
    thickness_m: float | None = None,
    eps_r: float = 3.5,
    statistics: str | None = None,
    site_density_m3: float | None = None,
    mobility_init_m2_Vs: float | None = None,
    gamma_init_sqrt_m_V: float = 3e-4,
    sigma_init_eV: float = 0.1,
    a_m: float = 2.8e-9,
    fit_a: bool = False,
    barrier_anode_eV: float = 0.0,
    barrier_cathode_eV: float = 0.0,
    built_in_V: float | None = 0.0,
    leak: bool = False,
    series_resistance: bool = False,
    relative_noise: float | None = None,
    fit_range_V: tuple[float, float] | None = None,
    ci: str = "auto",
    n_points: int = 200,
    max_nfev: int = 60,
) -> JVFit:
    """Fit a drift-diffusion model to one or many J-V curves at once.

    Parameters
    ----------
    curves
        J-V curves (only V > 0, J > 0 is used), at any temperatures and thicknesses.
    model
        ``constant`` (mu), ``poole-frenkel`` (mu0, gamma) or ``egdm`` (mu0, sigma [, a]).
    thickness_m
        Thickness of curves that do not carry their own ``thickness_m``.
    eps_r
        Relative permittivity.
    statistics, site_density_m3
        ``boltzmann`` (default for constant / Poole-Frenkel, N = 1e27 m^-3) or
        ``gauss-fermi`` (default for EGDM, N = 1/a^3).
    mobility_init_m2_Vs, gamma_init_sqrt_m_V, sigma_init_eV, a_m
        Starting values (``a_m`` is held fixed unless ``fit_a``).
    barrier_anode_eV, barrier_cathode_eV
        Injection barriers of the contacts (0 = Ohmic).
    built_in_V
        Fixed built-in voltage, or None to fit it.
    leak, series_resistance
        Also fit an ohmic leak G V and/or a series resistance R_s (ohm m^2).
    relative_noise
        Standard deviation of ln J of the data; when given, ``reduced_chi2`` is chi^2/dof.
    fit_range_V
        Use only points with V in this range.
    ci
        ``auto`` (curvature, profile likelihood where the curvature is a poor guide),
        ``curvature`` or ``profile``.

    Returns
    -------
    JVFit

    Examples
    --------
    >>> v = np.geomspace(0.5, 8, 8)
    >>> j = simulate_jv_model(v, model="constant", mobility_m2_Vs=4.4e-11, temperature_K=297,
    ...                       thickness_m=110e-9, eps_r=3.5, n_points=60)
    >>> fit = fit_drift_diffusion([JVCurve(v, j, 297.0)], thickness_m=110e-9, n_points=60)
    >>> round(fit.value("mobility_m2_Vs") * 1e11, 4)
    4.4
    """
    from scipy.optimize import least_squares

    if model not in MODELS:
        raise ConfigError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    stats_kind = statistics or ("gauss-fermi" if model == "egdm" else "boltzmann")
    if stats_kind not in STATISTICS:
        raise ConfigError(f"--statistics must be boltzmann or gauss-fermi, got {stats_kind!r}")
    if ci not in ("auto", "curvature", "profile"):
        raise ConfigError(f"ci must be auto, curvature or profile, got {ci!r}")
    if fit_a and model != "egdm":
        raise ConfigError("--fit-a applies to the EGDM only")
    if relative_noise is not None and not (np.isfinite(relative_noise) and relative_noise > 0):
        raise InputError(f"--noise must be positive, got {relative_noise!r}")
    if not (np.isfinite(eps_r) and eps_r > 0):
        raise InputError(f"--eps-r must be positive, got {eps_r!r}")
    if not curves:
        raise FitError("no J-V curves to fit")
    data = []
    for c in curves:
        v = np.asarray(c.voltages_V, dtype=float)
        j = np.asarray(c.current_density_A_m2, dtype=float)
        keep = (v > 0) & (j > 0) & np.isfinite(j) & np.isfinite(v)
        if fit_range_V is not None:
            keep &= (v >= fit_range_V[0]) & (v <= fit_range_V[1])
        name = c.label or f"{c.temperature_K:g} K"
        if keep.sum() < 3:
            raise FitError(f"curve {name} has fewer than 3 points with V, J > 0 to fit")
        L = c.thickness_m if c.thickness_m is not None else thickness_m
        if L is None or not (np.isfinite(L) and L > 0):
            raise InputError(f"curve {name}: thickness must be positive, got {L!r} m")
        t = float(c.temperature_K)
        if not (np.isfinite(t) and t > 0):
            raise InputError(f"curve {name}: temperature must be positive, got {t!r} K")
        data.append((v[keep], np.log(j[keep]), t, float(L)))
    n_total = sum(d[0].size for d in data)
    t_max = max(d[2] for d in data)
    sigma_lo = 1.9 * K_B_EV * t_max  # EGDM needs sigma/kT > 1.76

    # Starting mobility from Mott-Gurney at the top of each curve (9/8 eps mu V^2 / L^3).
    eps = 8.8541878128e-12 * eps_r
    mu_mg = [float(np.exp(lj[-1])) * L**3 / (9 / 8 * eps * v[-1] ** 2) for v, lj, _, L in data]
    mu_start = mobility_init_m2_Vs or float(np.exp(np.mean(np.log(mu_mg))))
    if model == "egdm" and mobility_init_m2_Vs is None:
        s = sigma_init_eV / (K_B_EV * t_max)
        mu_start = mu_start * np.exp(0.42 * s * s)  # mu(p, E -> 0) = mu0 exp(-0.42 s^2)
    j_min = min(float(np.exp(lj[0])) / v[0] for v, lj, _, _ in data)
    r_ref = min(float(v[-1] / np.exp(lj[-1])) for v, lj, _, _ in data)
    params = _build_params(
        model,
        mu_start=mu_start,
        gamma_start=gamma_init_sqrt_m_V,
        sigma_start=max(sigma_init_eV, sigma_lo * 1.05),
        a_start=a_m,
        fit_a=fit_a,
        sigma_lo=sigma_lo,
        fit_built_in=built_in_V is None,
        built_in_start=0.1,
        fit_leak=leak,
        g_start=0.1 * j_min,
        fit_series=series_resistance,
        r_ref=0.05 * r_ref,
    )
    names = [p.name for p in params]
    if n_total <= len(params):
        raise FitError(f"{n_total} points cannot determine {len(params)} parameters")
    fixed: dict[str, float] = {}
    if model == "egdm" and not fit_a:
        fixed["a_m"] = a_m
    if built_in_V is not None:
        fixed["built_in_V"] = float(built_in_V)
    n_eval = [0]

    def phys(theta) -> dict[str, float]:
        out = dict(fixed)
        out.update({p.name: float(p.to_phys(t)) for p, t in zip(params, theta, strict=True)})
        return out

    def model_ln_j(theta, vs=None) -> list[np.ndarray]:
        q = phys(theta)
        n_eval[0] += 1
        out = []
        for k, (v, _, t, L) in enumerate(data):
            vv = v if vs is None else vs[k]
            j = simulate_jv_model(
                vv,
                model=model,
                temperature_K=t,
                thickness_m=L,
                eps_r=eps_r,
                mobility_m2_Vs=q.get("mobility_m2_Vs"),
                mu0_m2_Vs=q.get("mu0_m2_Vs"),
                gamma_sqrt_m_V=q.get("gamma_sqrt_m_V", 0.0),
                sigma_eV=q.get("sigma_eV"),
                a_m=q.get("a_m"),
                statistics=stats_kind,
                site_density_m3=site_density_m3,
                barrier_anode_eV=barrier_anode_eV,
                barrier_cathode_eV=barrier_cathode_eV,
                built_in_V=q.get("built_in_V", 0.0),
                leak_S_m2=q.get("leak_S_m2", 0.0),
                series_resistance_ohm_m2=q.get("series_resistance_ohm_m2", 0.0),
                n_points=n_points,
            )
            if np.any(~np.isfinite(j)) or np.any(j <= 0):
                raise ConvergenceError("model current is not positive")
            out.append(np.log(j))
        return out

    def residuals(theta) -> np.ndarray:
        m = model_ln_j(theta)
        return np.concatenate([mi - d[1] for mi, d in zip(m, data, strict=True)])

    penalty = np.full(n_total, 50.0)

    def safe(theta):
        try:
            return residuals(theta)
        except (ConvergenceError, InputError):
            return penalty

    lb = np.array([p.lo for p in params])
    ub = np.array([p.hi for p in params])
    x0 = np.clip([p.start for p in params], lb + 1e-9, ub - 1e-9)
    sol = least_squares(safe, x0, bounds=(lb, ub), method="trf", diff_step=1e-4, max_nfev=max_nfev)
    if np.array_equal(sol.fun, penalty):
        raise FitError("the drift-diffusion solver did not converge for any tried parameters")
    theta = sol.x
    resid = residuals(theta)
    jac = _jacobian(safe, theta, resid, lb, ub)
    dof = n_total - len(params)
    rss = float(resid @ resid)
    s2 = rss / dof
    try:
        cov = np.linalg.inv(jac.T @ jac) * s2
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(jac.T @ jac) * s2
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    denom = np.outer(np.where(sd > 0, sd, 1.0), np.where(sd > 0, sd, 1.0))
    corr = np.clip(cov / denom, -1.0, 1.0)  # clip only removes rounding beyond +-1
    np.fill_diagonal(corr, 1.0)
    correlations = {
        n1: {n2: float(corr[i, k]) for k, n2 in enumerate(names)} for i, n1 in enumerate(names)
    }
    tq = t95(dof)
    estimates: dict[str, Estimate] = {}
    for i, p in enumerate(params):
        lo_i, hi_i = theta[i] - tq * sd[i], theta[i] + tq * sd[i]
        method = "t"
        use_profile = ci == "profile"
        if ci == "auto" and sd[i] > 0:
            use_profile = (
                lo_i < p.lo or hi_i > p.hi or _curvature_poor(safe, theta, cov, i, tq, rss, s2)
            )
        if use_profile and sd[i] > 0:
            prof = _profile_interval(
                safe, theta, cov, i, tq, rss, s2, lb, ub, least_squares, max_nfev
            )
            if prof is not None:
                lo_i, hi_i = prof
                method = "profile"
        a_, b_ = float(p.to_phys(lo_i)), float(p.to_phys(hi_i))
        val = float(p.to_phys(theta[i]))
        h = 1e-6
        dphys = (float(p.to_phys(theta[i] + h)) - float(p.to_phys(theta[i] - h))) / (2 * h)
        estimates[p.name] = Estimate(
            val, abs(dphys) * float(sd[i]), (min(a_, b_), max(a_, b_)), PARAM_UNITS[p.name], method
        )
    if relative_noise is not None:
        chi2 = rss / dof / relative_noise**2
        note = f"chi2/dof with sigma(ln J) = {relative_noise:g}"
    else:
        chi2 = s2
        note = "mean squared ln J residual (no noise level given)"
    vmodel = tuple(np.geomspace(d[0].min(), d[0].max(), 40) for d in data)
    try:
        jm = tuple(np.exp(m) for m in model_ln_j(theta, vmodel))
    except (ConvergenceError, InputError):
        vmodel = tuple(d[0] for d in data)
        jm = tuple(np.exp(m) for m in model_ln_j(theta))
    return JVFit(
        model=model,
        statistics=stats_kind,
        parameters=estimates,
        fixed=fixed,
        correlations=correlations,
        reduced_chi2=float(chi2),
        chi2_note=note,
        residual_std_lnJ=float(np.sqrt(s2)),
        n_points=int(n_total),
        temperatures_K=tuple(d[2] for d in data),
        thicknesses_m=tuple(d[3] for d in data),
        success=bool(sol.success),
        message=str(sol.message),
        n_evaluations=n_eval[0],
        model_voltages_V=vmodel,
        model_current_density_A_m2=jm,
    )


def _jacobian(fun, theta, f0, lb, ub, h: float = 1e-3) -> np.ndarray:
    """Central differences in the internal coordinates (one-sided at a bound)."""
    cols = []
    for i in range(theta.size):
        up, dn = theta.copy(), theta.copy()
        up[i] = min(theta[i] + h, ub[i])
        dn[i] = max(theta[i] - h, lb[i])
        fu = f0 if up[i] == theta[i] else fun(up)
        fd = f0 if dn[i] == theta[i] else fun(dn)
        cols.append((fu - fd) / (up[i] - dn[i]))
    return np.column_stack(cols)


def _conditional_point(theta, cov, i, delta):
    """theta with theta_i moved by delta and the others at their linear conditional optimum."""
    return theta + cov[:, i] / cov[i, i] * delta


def _curvature_poor(fun, theta, cov, i, tq, rss, s2) -> bool:
    """Is Delta RSS / s^2 at the linearised CI edges far from t^2 (the linear-model value)?"""
    delta = tq * np.sqrt(cov[i, i])
    for sgn in (-1.0, 1.0):
        r = fun(_conditional_point(theta, cov, i, sgn * delta))
        ratio = (float(r @ r) - rss) / s2 / tq**2
        if not 0.8 <= ratio <= 1.25:
            return True
    return False


def _profile_interval(fun, theta, cov, i, tq, rss, s2, lb, ub, least_squares, max_nfev):
    """Ends of {theta_i : min over the others of RSS - RSS_min <= t^2 s^2} (secant search)."""
    others = [k for k in range(theta.size) if k != i]
    target = tq * tq

    def excess(delta) -> float:
        start = _conditional_point(theta, cov, i, delta)
        ti = theta[i] + delta
        if not others:
            r = fun(np.array([ti]))
            return (float(r @ r) - rss) / s2 - target

        def sub(x):
            full = np.empty_like(theta)
            full[i] = ti
            full[others] = x
            return fun(full)

        x0 = np.clip(start[others], lb[others] + 1e-9, ub[others] - 1e-9)
        res = least_squares(sub, x0, bounds=(lb[others], ub[others]), max_nfev=max_nfev // 2)
        return (float(res.fun @ res.fun) - rss) / s2 - target

    ends = []
    d0 = tq * np.sqrt(cov[i, i])
    for sgn in (-1.0, 1.0):
        lim = (lb[i] if sgn < 0 else ub[i]) - theta[i]
        a, fa = 0.0, -target
        b = sgn * min(d0, abs(lim) * 0.999)
        fb = excess(b)
        for _ in range(12):
            if fb >= 0 or abs(b) >= abs(lim) * 0.999:
                break
            a, fa = b, fb
            b = sgn * min(abs(b) * 2.0, abs(lim) * 0.999)
            fb = excess(b)
        if fb < 0:  # the likelihood never drops enough before the bound: CI reaches it
            ends.append(theta[i] + b)
            continue
        for _ in range(8):  # regula falsi on the bracket [a, b]
            c = b - fb * (b - a) / (fb - fa)
            fc = excess(c)
            if abs(fc) < 0.02 * target:
                b = c
                break
            if fc > 0:
                b, fb = c, fc
            else:
                a, fa = c, fc
        ends.append(theta[i] + b)
    return ends[0], ends[1]


def fit_egdm(
    curves: Sequence[JVCurve],
    *,
    thickness_m: float,
    eps_r: float,
    a_m: float = 2.8e-9,
    fit_a: bool = False,
    sigma_init_eV: float = 0.1,
    barrier_anode_eV: float = 0.0,
    barrier_cathode_eV: float = 0.0,
    relative_noise: float | None = None,
    n_points: int = 200,
    max_nfev: int = 60,
) -> EGDMFit:
    """Fit sigma, mu0 (and a when ``fit_a``) of the EGDM to all curves at once.

    A thin view of :func:`fit_drift_diffusion` with ``model="egdm"`` (Gauss-Fermi statistics,
    site density 1/a^3).

    Raises
    ------
    FitError
        Too few points, or no parameter set where the solver converges.
    """
    if not (np.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"thickness must be positive, got {thickness_m!r} m")
    res = fit_drift_diffusion(
        curves,
        model="egdm",
        thickness_m=thickness_m,
        eps_r=eps_r,
        a_m=a_m,
        fit_a=fit_a,
        sigma_init_eV=sigma_init_eV,
        barrier_anode_eV=barrier_anode_eV,
        barrier_cathode_eV=barrier_cathode_eV,
        relative_noise=relative_noise,
        n_points=n_points,
        max_nfev=max_nfev,
    )
    p = res.parameters
    return EGDMFit(
        sigma_eV=p["sigma_eV"].value,
        sigma_ci95_eV=p["sigma_eV"].ci95,
        mu0_m2_Vs=p["mu0_m2_Vs"].value,
        mu0_ci95_m2_Vs=p["mu0_m2_Vs"].ci95,
        a_m=res.value("a_m"),
        a_ci95_m=p["a_m"].ci95 if fit_a else None,
        correlations=res.correlations,
        reduced_chi2=res.reduced_chi2,
        chi2_note=res.chi2_note,
        residual_std_lnJ=res.residual_std_lnJ,
        n_points=res.n_points,
        temperatures_K=res.temperatures_K,
        success=res.success,
        message=res.message,
        model_current_density_A_m2=tuple(
            np.exp(np.interp(np.log(c.voltages_V[(c.voltages_V > 0)]), np.log(v), np.log(j)))
            for c, v, j in zip(
                curves, res.model_voltages_V, res.model_current_density_A_m2, strict=True
            )
        ),
    )
