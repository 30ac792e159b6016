"""Fit the EGDM (sigma, mu0 and optionally a) to J-V curves at one or several temperatures.

Each model curve is a full drift-diffusion solve (:func:`~.drift_diffusion.solve_jv`) with
the EGDM mobility and Gauss-Fermi statistics (site density 1/a^3), as in Li 2024 Fig. 6.
Residuals are ln J_model - ln J_data (multiplicative noise). Because mu0 multiplies the
mobility everywhere, J is exactly proportional to mu0 at fixed (sigma, a): ln mu0 is
profiled out analytically and only sigma (and a) are searched; the final covariance is
built from the full Jacobian in (sigma, ln mu0, a) and scaled by the residual variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from nctransport.device._regression import t95
from nctransport.device.drift_diffusion import Device, Statistics, solve_jv
from nctransport.device.mobility import K_B_EV, EGDMMobility
from nctransport.errors import ConvergenceError, FitError, InputError

__all__ = ["JVCurve", "EGDMFit", "simulate_egdm_jv", "fit_egdm"]


@dataclass(frozen=True)
class JVCurve:
    """A measured J-V curve (V in volts, J in A/m^2) at one temperature (K)."""

    voltages_V: np.ndarray
    current_density_A_m2: np.ndarray
    temperature_K: float
    label: str = ""


@dataclass(frozen=True)
class EGDMFit:
    """EGDM fit result; CIs are 95% (Student t), ``correlations`` between fitted parameters."""

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
    device = Device(
        thickness_m,
        eps_r,
        temperature_K=temperature_K,
        barrier_anode_eV=barrier_anode_eV,
        barrier_cathode_eV=barrier_cathode_eV,
    )
    mob = EGDMMobility(mu0_m2_Vs, sigma_eV, a_m, temperature_K)
    stats = Statistics("gauss-fermi", 1.0 / a_m**3, sigma_eV)
    return solve_jv(
        voltages_V, device=device, mobility=mob, statistics=stats, n_points=n_points
    ).current_density_A_m2


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
    """Fit sigma, mu0 (and a when ``fit_a``) to all curves at once.

    Parameters
    ----------
    curves
        J-V curves at one or several temperatures (only V > 0, J > 0 is used).
    thickness_m, eps_r
        Layer thickness (m) and relative permittivity.
    a_m, fit_a
        Site spacing (m): held fixed unless ``fit_a`` (then it is the starting value).
    sigma_init_eV
        Starting value of the DOS width.
    barrier_anode_eV, barrier_cathode_eV
        Injection barriers of the contacts (0 = Ohmic).
    relative_noise
        Standard deviation of ln J of the data; when given, ``reduced_chi2`` is the usual
        chi^2/dof, otherwise it is the mean squared log residual (and says so).
    n_points
        Grid points of each solve.

    Raises
    ------
    FitError
        Too few points, or no parameter set where the solver converges.
    """
    if not curves:
        raise FitError("no J-V curves to fit")
    if not (np.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"thickness must be positive, got {thickness_m!r} m")
    data = []
    for c in curves:
        v = np.asarray(c.voltages_V, dtype=float)
        j = np.asarray(c.current_density_A_m2, dtype=float)
        keep = (v > 0) & (j > 0) & np.isfinite(j)
        if keep.sum() < 3:
            raise FitError(f"curve at {c.temperature_K:g} K has fewer than 3 points with V, J > 0")
        data.append((v[keep], np.log(j[keep]), float(c.temperature_K)))
    n_total = sum(d[0].size for d in data)
    n_par = 2 + int(fit_a)
    if n_total <= n_par:
        raise FitError(f"{n_total} points cannot determine {n_par} parameters")
    t_max = max(d[2] for d in data)
    sigma_lo = 1.9 * K_B_EV * t_max  # EGDM needs sigma/kT > 1.76
    sigma_hi = 0.3

    def model_ln_j(sigma: float, a: float) -> list[np.ndarray]:
        out = []
        for v, _, t in data:
            j = simulate_egdm_jv(
                v,
                temperature_K=t,
                sigma_eV=sigma,
                mu0_m2_Vs=1.0,
                a_m=a,
                thickness_m=thickness_m,
                eps_r=eps_r,
                barrier_anode_eV=barrier_anode_eV,
                barrier_cathode_eV=barrier_cathode_eV,
                n_points=n_points,
            )
            if np.any(j <= 0):
                raise ConvergenceError("model current is not positive")
            out.append(np.log(j))
        return out

    def unpack(theta):
        sigma = theta[0] * 0.1
        a = theta[1] * 1e-9 if fit_a else a_m
        return sigma, a

    def raw_residuals(sigma, a) -> np.ndarray:
        m = model_ln_j(sigma, a)
        return np.concatenate([mi - d[1] for mi, d in zip(m, data, strict=True)])

    penalty = np.full(n_total, 50.0)

    def profiled(theta):
        try:
            r = raw_residuals(*unpack(theta))
        except (ConvergenceError, InputError):
            return penalty
        return r - r.mean()  # ln mu0 = -mean(r): the best prefactor for this sigma, a

    s0 = min(max(sigma_init_eV, sigma_lo * 1.05), sigma_hi * 0.95)
    x0 = [s0 / 0.1] + ([a_m / 1e-9] if fit_a else [])
    lb = [sigma_lo / 0.1] + ([0.5] if fit_a else [])
    ub = [sigma_hi / 0.1] + ([10.0] if fit_a else [])
    sol = least_squares(
        profiled, x0, bounds=(lb, ub), method="trf", diff_step=1e-4, max_nfev=max_nfev, x_scale=1.0
    )
    if np.array_equal(sol.fun, penalty):
        raise FitError("the drift-diffusion solver did not converge for any tried parameters")
    sigma, a = unpack(sol.x)
    r_best = raw_residuals(sigma, a)
    ln_mu0 = -float(r_best.mean())
    resid = r_best + ln_mu0

    # Full Jacobian in (sigma, ln mu0[, a]) by central differences (ln mu0 column is 1).
    cols = []
    hs = 1e-4 * sigma
    cols.append((raw_residuals(sigma + hs, a) - raw_residuals(sigma - hs, a)) / (2 * hs))
    cols.append(np.ones(n_total))
    if fit_a:
        ha = 1e-4 * a
        cols.append((raw_residuals(sigma, a + ha) - raw_residuals(sigma, a - ha)) / (2 * ha))
    jac = np.column_stack(cols)
    dof = n_total - n_par
    rss = float(resid @ resid)
    s2 = rss / dof
    cov = np.linalg.pinv(jac.T @ jac) * s2
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    corr = cov / np.outer(np.where(sd > 0, sd, 1.0), np.where(sd > 0, sd, 1.0))
    names = ["sigma_eV", "mu0_m2_Vs"] + (["a_m"] if fit_a else [])
    correlations = {
        n1: {n2: float(corr[i, k]) for k, n2 in enumerate(names)} for i, n1 in enumerate(names)
    }
    tq = t95(dof)
    if relative_noise is not None:
        chi2 = rss / dof / relative_noise**2
        note = f"chi2/dof with sigma(ln J) = {relative_noise:g}"
    else:
        chi2 = s2
        note = "mean squared ln J residual (no noise level given)"
    model = tuple(np.exp(np.asarray(m) + ln_mu0) for m in model_ln_j(sigma, a))
    return EGDMFit(
        sigma_eV=float(sigma),
        sigma_ci95_eV=(float(sigma - tq * sd[0]), float(sigma + tq * sd[0])),
        mu0_m2_Vs=float(np.exp(ln_mu0)),
        mu0_ci95_m2_Vs=(float(np.exp(ln_mu0 - tq * sd[1])), float(np.exp(ln_mu0 + tq * sd[1]))),
        a_m=float(a),
        a_ci95_m=(float(a - tq * sd[2]), float(a + tq * sd[2])) if fit_a else None,
        correlations=correlations,
        reduced_chi2=float(chi2),
        chi2_note=note,
        residual_std_lnJ=float(np.sqrt(s2)),
        n_points=int(n_total),
        temperatures_K=tuple(d[2] for d in data),
        success=bool(sol.success),
        message=str(sol.message),
        model_current_density_A_m2=model,
    )
