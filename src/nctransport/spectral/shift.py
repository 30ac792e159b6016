"""Peak energy vs time: exponential relaxation of the spectral shift, with 95% CIs.

Liu 2021 (Fig. 2e) fits the CQD bleach-peak energy with "an exponential decay function";
the final shift Delta E then gives the disorder width (:mod:`nctransport.spectral.disorder`).
Models (t >= 0, Delta E < 0 for a red shift):

* ``exp``:       E(t) = E0 + dE (1 - exp(-t/tau))
* ``stretched``: E(t) = E0 + dE (1 - exp(-(t/tau)^beta))
* ``biexp``:     E(t) = E0 + dE1 (1 - exp(-t/tau1)) + dE2 (1 - exp(-t/tau2)); Delta E = dE1 + dE2,
  ``tau`` is the amplitude-weighted mean (dE1 tau1 + dE2 tau2) / (dE1 + dE2).

Fits are weighted by the per-frame errors, the covariance is scaled by the reduced
chi-square (so wrong error bars do not give wrong CIs), and 95% intervals are
``value +- t_{0.975, n-p} * stderr`` (Wald; derived quantities by the delta method).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize, special

from nctransport.errors import FitError

ShiftModel = Literal["exp", "stretched", "biexp"]
SHIFT_MODELS: tuple[str, ...] = ("exp", "stretched", "biexp")


@dataclass(frozen=True)
class PeakShift:
    """Fitted relaxation of the peak energy (meV, ps, eV as the names say)."""

    model: str
    delta_e_meV: float
    delta_e_ci95_meV: tuple[float, float]
    tau_ps: float
    tau_ci95_ps: tuple[float, float]
    e0_eV: float
    e0_ci95_eV: tuple[float, float]
    converged: bool
    n_points: int
    reduced_chi2: float
    extra: dict = field(default_factory=dict)  # beta, tau1/tau2, dE1/dE2 with CIs
    message: str = ""

    def to_dict(self) -> dict:
        out = {
            "model": self.model,
            "delta_e_meV": self.delta_e_meV,
            "delta_e_ci95_meV": list(self.delta_e_ci95_meV),
            "tau_ps": self.tau_ps,
            "tau_ci95_ps": list(self.tau_ci95_ps),
            "e0_eV": self.e0_eV,
            "e0_ci95_eV": list(self.e0_ci95_eV),
            "converged": self.converged,
            "n_points": self.n_points,
            "reduced_chi2": self.reduced_chi2,
        }
        out.update(self.extra)
        if self.message:
            out["message"] = self.message
        return out

    def predict(self, t_s: np.ndarray) -> np.ndarray:
        """Model energy in eV at times ``t_s`` (s)."""
        t = np.asarray(t_s, dtype=float) * 1e12
        return self.e0_eV + 1e-3 * _shape(self.model, t, self._shape_params())

    def _shape_params(self) -> tuple:
        if self.model == "exp":
            return (self.delta_e_meV, self.tau_ps)
        if self.model == "stretched":
            return (self.delta_e_meV, self.tau_ps, self.extra["beta"])
        return (
            self.extra["delta_e1_meV"],
            self.extra["tau1_ps"],
            self.extra["delta_e2_meV"],
            self.extra["tau2_ps"],
        )


def _shape(model: str, t_ps: np.ndarray, p: tuple) -> np.ndarray:
    """Shift in meV relative to E0 at times t (ps); t < 0 clipped to 0 (no shift before t0)."""
    t = np.clip(t_ps, 0.0, None)
    if model == "exp":
        de, tau = p
        return de * -np.expm1(-t / tau)
    if model == "stretched":
        de, tau, beta = p
        return de * -np.expm1(-((t / tau) ** beta))
    de1, tau1, de2, tau2 = p
    return de1 * -np.expm1(-t / tau1) + de2 * -np.expm1(-t / tau2)


def _ci(value: float, se: float, q: float) -> tuple[float, float]:
    if not np.isfinite(se):
        return (float("nan"), float("nan"))
    return (float(value - q * se), float(value + q * se))


def fit_peak_shift(
    t_s: np.ndarray,
    energy_eV: np.ndarray,
    energy_err_eV: np.ndarray | None = None,
    *,
    model: ShiftModel = "exp",
    t_min_s: float = 0.0,
    t_max_s: float | None = None,
) -> PeakShift:
    """Fit the relaxation of the peak energy with time.

    Parameters
    ----------
    t_s, energy_eV, energy_err_eV
        Frame times (s), peak energies (eV) and their 1-sigma errors (eV; optional).
        Non-finite entries are dropped.
    model
        ``exp`` (default), ``stretched`` or ``biexp``.
    t_min_s, t_max_s
        Time window of the fit (default: t >= 0, the pulse peak; earlier frames are
        background, docs/science.md).

    Returns
    -------
    PeakShift
        ``converged`` is False (with NaN intervals and a ``message``) when the optimiser
        fails or the covariance cannot be estimated.

    Examples
    --------
    >>> t = np.linspace(0, 50e-12, 40)
    >>> e = 1.40 - 0.020 * (1 - np.exp(-t / 8e-12))
    >>> r = fit_peak_shift(t, e + 1e-5 * np.sin(7 * np.arange(40)))
    >>> round(r.delta_e_meV, 1), round(r.tau_ps, 1)
    (-20.0, 8.0)
    """
    if model not in SHIFT_MODELS:
        raise FitError(f"unknown shift model {model!r}; expected one of {', '.join(SHIFT_MODELS)}")
    t = np.asarray(t_s, dtype=float) * 1e12
    e = np.asarray(energy_eV, dtype=float)
    err = None if energy_err_eV is None else np.asarray(energy_err_eV, dtype=float)
    keep = np.isfinite(t) & np.isfinite(e) & (t >= t_min_s * 1e12)
    if t_max_s is not None:
        keep &= t <= t_max_s * 1e12
    if err is not None:
        keep &= np.isfinite(err) & (err > 0)
    t, e = t[keep], e[keep]
    sigma = None if err is None else err[keep] * 1e3
    n_par = {"exp": 3, "stretched": 4, "biexp": 5}[model]
    if t.size < n_par + 2:
        raise FitError(
            f"{t.size} usable peak energies for a {model} fit; need at least {n_par + 2}"
        )
    order = np.argsort(t)
    t, e = t[order], e[order]
    sigma = None if sigma is None else sigma[order]
    e_ref = e[0]
    y = (e - e_ref) * 1e3  # meV relative to the first point: well-scaled numbers

    # Starting values from the data: plateau of the last fifth and the half-way time.
    tail = max(2, t.size // 5)
    d_guess = float(np.median(y[-tail:]) - np.median(y[:2]))
    if d_guess == 0.0:
        d_guess = -1e-3
    frac = (y - np.median(y[:2])) / d_guess
    half = np.nonzero(frac >= 0.5)[0]
    span = max(t[-1] - max(t[0], 0.0), 1e-6)
    tau_guess = float(np.clip(t[half[0]] / np.log(2) if half.size else span / 3, span / 200, span))
    tmax = 100.0 * max(t[-1], 1e-6)

    def f(tt, e0, *p):
        return e0 + _shape(model, tt, p)

    if model == "exp":
        p0 = [0.0, d_guess, tau_guess]
        lb, ub = [-np.inf, -np.inf, 1e-6], [np.inf, np.inf, tmax]
    elif model == "stretched":
        p0 = [0.0, d_guess, tau_guess, 0.8]
        lb, ub = [-np.inf, -np.inf, 1e-6, 0.05], [np.inf, np.inf, tmax, 3.0]
    else:
        p0 = [0.0, 0.5 * d_guess, tau_guess / 3.0, 0.5 * d_guess, tau_guess * 3.0]
        lb = [-np.inf, -np.inf, 1e-6, -np.inf, 1e-6]
        ub = [np.inf, np.inf, tmax, np.inf, tmax]
    nan2 = (float("nan"), float("nan"))
    try:
        popt, pcov = optimize.curve_fit(
            f, t, y, p0=p0, sigma=sigma, absolute_sigma=False, bounds=(lb, ub), max_nfev=20000
        )
    except (RuntimeError, ValueError, optimize.OptimizeWarning) as exc:
        return PeakShift(
            model,
            float("nan"),
            nan2,
            float("nan"),
            nan2,
            float("nan"),
            nan2,
            False,
            int(t.size),
            float("nan"),
            {},
            f"fit did not converge: {exc}",
        )
    dof = t.size - n_par
    resid = (y - f(t, *popt)) / (1.0 if sigma is None else sigma)
    redchi = float(np.sum(resid**2) / dof)
    q = float(special.stdtrit(dof, 0.975))
    ok = bool(np.all(np.isfinite(pcov)))
    se = np.sqrt(np.abs(np.diag(pcov))) if ok else np.full(n_par, np.nan)
    e0 = e_ref + popt[0] * 1e-3
    e0_ci = tuple(e_ref + 1e-3 * v for v in _ci(popt[0], se[0], q))
    extra: dict = {}
    if model in ("exp", "stretched"):
        de, tau = float(popt[1]), float(popt[2])
        de_ci, tau_ci = _ci(de, se[1], q), _ci(tau, se[2], q)
        if model == "stretched":
            extra = {"beta": float(popt[3]), "beta_ci95": list(_ci(popt[3], se[3], q))}
    else:
        de1, tau1, de2, tau2 = (float(v) for v in popt[1:])
        if tau1 > tau2:  # report the fast component first
            de1, tau1, de2, tau2 = de2, tau2, de1, tau1
            perm = [0, 3, 4, 1, 2]
            pcov = pcov[np.ix_(perm, perm)]
            se = se[perm]
        de = de1 + de2
        # Delta method for the sum and the amplitude-weighted mean time.
        g_de = np.array([0, 1, 0, 1, 0], dtype=float)
        tau = (de1 * tau1 + de2 * tau2) / de if de != 0 else float("nan")
        g_tau = np.array([0, (tau1 - tau) / de, de1 / de, (tau2 - tau) / de, de2 / de])
        se_de = float(np.sqrt(g_de @ pcov @ g_de)) if ok else float("nan")
        se_tau = float(np.sqrt(abs(g_tau @ pcov @ g_tau))) if ok else float("nan")
        de_ci, tau_ci = _ci(de, se_de, q), _ci(tau, se_tau, q)
        extra = {
            "delta_e1_meV": de1,
            "delta_e1_ci95_meV": list(_ci(de1, se[1], q)),
            "tau1_ps": tau1,
            "tau1_ci95_ps": list(_ci(tau1, se[2], q)),
            "delta_e2_meV": de2,
            "delta_e2_ci95_meV": list(_ci(de2, se[3], q)),
            "tau2_ps": tau2,
            "tau2_ci95_ps": list(_ci(tau2, se[4], q)),
        }
    taus = [extra["tau1_ps"], extra["tau2_ps"]] if model == "biexp" else [tau]
    # Time constants the sampling can resolve: from half the finest step to 10x the span.
    steps = np.diff(t)
    fastest = 0.5 * float(np.min(steps[steps > 0])) if np.any(steps > 0) else 0.0
    at_bound = any(v >= 0.1 * tmax or v <= fastest for v in taus)
    # A component whose amplitude is not distinguishable from zero: the data do not
    # support the extra parameters (e.g. a bi-exponential fitted to one exponential).
    amp_cis = [de_ci]
    if model == "biexp":
        amp_cis += [extra["delta_e1_ci95_meV"], extra["delta_e2_ci95_meV"]]
    undetermined = not (np.all(np.isfinite(se)) and all(lo * hi > 0 for lo, hi in amp_cis))
    msg = ""
    if not ok:
        msg = "covariance not estimable"
    elif at_bound:
        msg = "a time constant is outside what the sampling resolves (step/2 to 10x span)"
    elif undetermined:
        msg = "a shift amplitude is not distinguishable from zero (too many terms for the data?)"
    return PeakShift(
        model=model,
        delta_e_meV=float(de),
        delta_e_ci95_meV=de_ci,
        tau_ps=float(tau),
        tau_ci95_ps=tau_ci,
        e0_eV=float(e0),
        e0_ci95_eV=(float(e0_ci[0]), float(e0_ci[1])),
        converged=ok and not at_bound and not undetermined,
        n_points=int(t.size),
        reduced_chi2=redchi,
        extra=extra,
        message=msg,
    )
