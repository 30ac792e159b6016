"""Temperature dependence of D, tau and L: Arrhenius, bright/dark (Bornschlegl 2024), combined.

Models (T in K, k_B in meV/K; all energies in meV):

* ``arrhenius``: ``Q(T) = Q_inf exp(-E_a / k_B T)`` (E_a may be negative: a quantity that
  falls with T; Li 2024 uses this form for the mobility).
* ``bright-dark`` (Bornschlegl 2024, Fig. 2b and "Using a Boltzmann distribution"): one dark level
  and a threefold-degenerate bright level Delta E_BD above it, in thermal equilibrium::

      f_B(T) = 3 exp(-Delta E_BD / k_B T) / (1 + 3 exp(-Delta E_BD / k_B T))

  Effective rates: only bright excitons hop (Bornschlegl 2024, "dark excitons effectively do not
  undergo FRET"), so ``D = D_B f_B``; the decay rate is the population-weighted mean,
  ``1/tau = f_B / tau_B + (1 - f_B) / tau_D``; and ``L^2 = tau D``
  (Bornschlegl 2024, L = sqrt(tau D))
  gives ``L^2 = L_B^2 f_B / (f_B + (1 - f_B) r)`` with ``L_B^2 = D_B tau_B``, ``r = tau_B/tau_D``.
* ``combined``: bright/dark at low T times thermally activated hopping at high T
  (Bornschlegl 2024, Sec. 2.3: "thermally activated hopping is more efficient at higher T"):
  ``D = D_B f_B exp(-E_a/k_B T)``, ``L^2`` likewise; for tau an activated non-radiative
  channel is added, ``1/tau = f_B/tau_B + (1-f_B)/tau_D + k_a exp(-E_a/k_B T)``.

Fits minimise squared residuals of ln Q (relative errors: D spans decades), weighted by
err/Q when errors are given, with the covariance scaled by the reduced chi-square;
scale parameters are fitted as logarithms, so their 95% intervals (Wald, t-quantile,
n - p degrees of freedom) are asymmetric after exponentiation. Energies get symmetric
intervals. Several starting values of Delta E_BD are tried and the best fit kept.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize, special

from nctransport.constants import K_B, Q_E
from nctransport.errors import FitError, InputError

KB_MEV_PER_K: float = K_B / Q_E * 1e3
Quantity = Literal["D", "tau", "L"]
Model = Literal["arrhenius", "bright-dark", "combined"]
QUANTITIES: dict[str, str] = {"D": "cm2/s", "tau": "ns", "L": "nm"}
MODELS: tuple[str, ...] = ("arrhenius", "bright-dark", "combined")


def bright_fraction(temperature_K: np.ndarray | float, delta_e_bd_meV: float) -> np.ndarray:
    """Boltzmann occupation of the threefold bright level (Bornschlegl 2024).

    >>> round(float(bright_fraction(1e9, 15.0)), 4)  # high-T limit 3/4
    0.75
    >>> round(float(bright_fraction(174.0, 15.0)), 3)  # kT = Delta E: 3/e / (1 + 3/e)
    0.525
    """
    x = 3.0 * np.exp(-delta_e_bd_meV / (KB_MEV_PER_K * np.asarray(temperature_K, dtype=float)))
    return x / (1.0 + x)


# name, unit, fitted as log?  for each model/quantity
_PARAMS: dict[tuple[str, str], list[tuple[str, str, bool]]] = {
    ("arrhenius", "D"): [("D_inf", "cm2/s", True), ("E_a", "meV", False)],
    ("arrhenius", "tau"): [("tau_inf", "ns", True), ("E_a", "meV", False)],
    ("arrhenius", "L"): [("L_inf", "nm", True), ("E_a", "meV", False)],
    ("bright-dark", "D"): [("D_B", "cm2/s", True), ("delta_E_BD", "meV", False)],
    ("bright-dark", "tau"): [
        ("tau_B", "ns", True),
        ("tau_D", "ns", True),
        ("delta_E_BD", "meV", False),
    ],
    ("bright-dark", "L"): [
        ("L_B", "nm", True),
        ("tau_B_over_tau_D", "", True),
        ("delta_E_BD", "meV", False),
    ],
    ("combined", "D"): [
        ("D_B", "cm2/s", True),
        ("delta_E_BD", "meV", False),
        ("E_a", "meV", False),
    ],
    ("combined", "tau"): [
        ("tau_B", "ns", True),
        ("tau_D", "ns", True),
        ("k_a", "1/ns", True),
        ("delta_E_BD", "meV", False),
        ("E_a", "meV", False),
    ],
    ("combined", "L"): [
        ("L_B", "nm", True),
        ("tau_B_over_tau_D", "", True),
        ("delta_E_BD", "meV", False),
        ("E_a", "meV", False),
    ],
}


def log_model(
    model: str, quantity: str, temperature_K: np.ndarray, theta: np.ndarray
) -> np.ndarray:
    """ln Q(T) for fitted parameters ``theta`` (log-scale parameters as logarithms)."""
    t = np.asarray(temperature_K, dtype=float)
    kt = KB_MEV_PER_K * t
    if model == "arrhenius":
        return theta[0] - theta[1] / kt
    fb = bright_fraction(t, theta[-1] if model == "bright-dark" else theta[-2])
    act = 0.0 if model == "bright-dark" else -theta[-1] / kt
    if quantity == "D":
        return theta[0] + np.log(fb) + act
    if quantity == "tau":
        rate = fb * np.exp(-theta[0]) + (1.0 - fb) * np.exp(-theta[1])
        if model == "combined":
            rate = rate + np.exp(theta[2] - theta[-1] / kt)
        return -np.log(rate)
    # L: ln L = ln L_B + 0.5 [ln f_B - ln(f_B + (1 - f_B) r) + activation]
    r = np.exp(theta[1])
    return theta[0] + 0.5 * (np.log(fb) - np.log(fb + (1.0 - fb) * r) + act)


@dataclass(frozen=True)
class TemperatureFit:
    """A fitted temperature model; ``parameters`` maps name -> {value, ci95, unit}."""

    quantity: str
    unit: str
    model: str
    parameters: dict
    n_points: int
    reduced_chi2: float
    converged: bool
    temperature_K: np.ndarray
    values: np.ndarray
    errors: np.ndarray | None
    theta: tuple = field(default=(), repr=False)
    message: str = ""

    @property
    def delta_e_bd_meV(self) -> dict | None:
        return self.parameters.get("delta_E_BD")

    @property
    def activation_energy_meV(self) -> dict | None:
        return self.parameters.get("E_a")

    def predict(self, temperature_K: np.ndarray) -> np.ndarray:
        """Model value (in ``unit``) at the given temperatures."""
        return np.exp(log_model(self.model, self.quantity, temperature_K, np.asarray(self.theta)))

    def to_dict(self) -> dict:
        out = {
            "quantity": self.quantity,
            "unit": self.unit,
            "model": self.model,
            "parameters": self.parameters,
            "n_points": self.n_points,
            "reduced_chi2": self.reduced_chi2,
            "converged": self.converged,
            "data": {
                "temperature_K": self.temperature_K,
                "value": self.values,
                "err": self.errors,
            },
        }
        if self.delta_e_bd_meV is not None:
            out["delta_e_bd_meV"] = self.delta_e_bd_meV
        if self.activation_energy_meV is not None:
            out["activation_energy_meV"] = self.activation_energy_meV
        if self.message:
            out["message"] = self.message
        return out


def _starts(model: str, quantity: str, t: np.ndarray, ly: np.ndarray) -> list[np.ndarray]:
    """Several starting vectors (log-scale parameters as logarithms)."""
    kt = KB_MEV_PER_K * t
    slope, icpt = np.polyfit(-1.0 / kt, ly, 1) if t.size > 1 else (0.0, ly[0])
    if model == "arrhenius":
        return [np.array([icpt, slope])]
    hi, lo = float(np.max(ly)), float(np.min(ly))
    out = []
    for de in (0.5, 2.0, 5.0, 15.0, 40.0, 100.0):
        if quantity == "D":
            base = [hi - np.log(0.75)]
        elif quantity == "tau":
            base = [lo + np.log(0.75), hi]
        else:
            base = [hi + 1.0, np.log(1e-2)]
        if model == "combined":
            if quantity == "tau":
                starts = [base + [lo - 3.0, de, 50.0]]
            else:
                starts = [base + [de, e_a] for e_a in (0.0, 20.0)]
        else:
            starts = [base + [de]]
        out.extend(np.array(s, dtype=float) for s in starts)
    return out


def fit_temperature(
    temperature_K: np.ndarray,
    values: np.ndarray,
    errors: np.ndarray | None = None,
    *,
    quantity: Quantity = "D",
    model: Model = "arrhenius",
) -> TemperatureFit:
    """Fit D(T), tau(T) or L(T) with one of :data:`MODELS`.

    Parameters
    ----------
    temperature_K
        Temperatures in K (> 0).
    values, errors
        The quantity in its report unit (:data:`QUANTITIES`: D in cm2/s, tau in ns,
        L in nm) and optional 1-sigma errors in the same unit.
    quantity, model
        What is fitted and with which model.

    Examples
    --------
    >>> t = np.array([100.0, 150, 200, 250, 300])
    >>> d = 2.0 * np.exp(-50.0 / (KB_MEV_PER_K * t))
    >>> f = fit_temperature(t, d * (1 + 1e-3 * np.array([1, -1, 1, -1, 1])))
    >>> round(f.parameters["E_a"]["value"], 1)
    50.0
    """
    if quantity not in QUANTITIES:
        raise InputError(f"unknown quantity {quantity!r}; expected D, tau or L")
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    t = np.asarray(temperature_K, dtype=float)
    y = np.asarray(values, dtype=float)
    err = None if errors is None else np.asarray(errors, dtype=float)
    if t.shape != y.shape or (err is not None and err.shape != y.shape):
        raise InputError("temperatures, values and errors must have the same length")
    keep = np.isfinite(t) & np.isfinite(y)
    if err is not None:
        keep &= np.isfinite(err)
    t, y = t[keep], y[keep]
    err = None if err is None else err[keep]
    if np.any(t <= 0):
        raise InputError("temperatures must be positive (K)")
    if np.any(y <= 0):
        raise InputError(f"{quantity} values must be positive for a temperature fit")
    if err is not None and np.any(err <= 0):
        err = None if np.all(err <= 0) else np.where(err > 0, err, np.min(err[err > 0]))
    order = np.argsort(t)
    t, y = t[order], y[order]
    err = None if err is None else err[order]
    spec = _PARAMS[(model, quantity)]
    n_par = len(spec)
    if t.size < n_par + 1:
        raise FitError(
            f"{t.size} temperatures for the {model} model of {quantity} "
            f"({n_par} parameters); need at least {n_par + 1}"
        )
    ly = np.log(y)
    sigma = None if err is None else err / y

    def f(tt, *theta):
        return log_model(model, quantity, tt, np.asarray(theta))

    lb = np.full(n_par, -np.inf)
    ub = np.full(n_par, np.inf)
    for i, (name, _u, _log) in enumerate(spec):
        if name == "delta_E_BD":
            lb[i], ub[i] = 0.0, 1000.0
    best = None
    last_exc: Exception | None = None
    for p0 in _starts(model, quantity, t, ly):
        p0 = np.clip(p0, lb + 1e-9, ub - 1e-9)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                popt, pcov = optimize.curve_fit(
                    f,
                    t,
                    ly,
                    p0=p0,
                    sigma=sigma,
                    absolute_sigma=False,
                    bounds=(lb, ub),
                    method="trf",
                    max_nfev=5000,
                )
        except (RuntimeError, ValueError) as exc:
            last_exc = exc
            continue
        w = 1.0 if sigma is None else sigma
        cost = float(np.sum(((ly - f(t, *popt)) / w) ** 2))
        if np.isfinite(cost) and (best is None or cost < best[0]):
            best = (cost, popt, pcov)
    if best is None:
        raise FitError(f"{model} fit of {quantity}(T) failed: {last_exc}")
    cost, popt, pcov = best
    dof = t.size - n_par
    redchi = cost / dof if dof > 0 else float("nan")
    ok = bool(np.all(np.isfinite(pcov))) and dof > 0
    se = np.sqrt(np.abs(np.diag(pcov))) if ok else np.full(n_par, np.nan)
    q = float(special.stdtrit(max(dof, 1), 0.975))
    params = {}
    message = "" if ok else "covariance not estimable: parameters not identifiable from these data"
    for i, (name, unit, is_log) in enumerate(spec):
        lo, hi = popt[i] - q * se[i], popt[i] + q * se[i]
        if is_log:
            params[name] = {
                "value": float(np.exp(popt[i])),
                "ci95": [float(np.exp(lo)), float(np.exp(hi))],
                "unit": unit,
            }
        else:
            params[name] = {"value": float(popt[i]), "ci95": [float(lo), float(hi)], "unit": unit}
        if name == "delta_E_BD" and (popt[i] <= lb[i] + 1e-6 or popt[i] >= ub[i] - 1e-6):
            message = "Delta E_BD at the bound of its range: not determined by these data"
            ok = False
    return TemperatureFit(
        quantity=quantity,
        unit=QUANTITIES[quantity],
        model=model,
        parameters=params,
        n_points=int(t.size),
        reduced_chi2=float(redchi),
        converged=ok,
        temperature_K=t,
        values=y,
        errors=err,
        theta=tuple(float(v) for v in popt),
        message=message,
    )
