"""Trends across sweep points: single-exponential relaxation of D (Shcherbakov-Wu 2024, Fig. 4E)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nctransport.errors import FitError, InputError


@dataclass(frozen=True)
class ExponentialFit:
    """y = offset + amplitude * exp(-x / tau) with 95% CI on tau (x in SI, e.g. s)."""

    tau: float
    tau_ci95: tuple[float, float]
    amplitude: float
    amplitude_err: float
    offset: float
    offset_err: float
    reduced_chi2: float
    n_points: int
    converged: bool

    def to_dict(self, x_unit: str = "s") -> dict:
        return {
            f"tau_{x_unit}": self.tau,
            f"tau_ci95_{x_unit}": list(self.tau_ci95),
            "amplitude": self.amplitude,
            "amplitude_err": self.amplitude_err,
            "offset": self.offset,
            "offset_err": self.offset_err,
            "reduced_chi2": self.reduced_chi2,
            "n_points": self.n_points,
            "converged": self.converged,
        }


def fit_exponential(x: np.ndarray, y: np.ndarray, yerr: np.ndarray | None = None) -> ExponentialFit:
    """Weighted fit of ``offset + amplitude exp(-x/tau)``.

    Shcherbakov-Wu 2024 fits D vs time between excitations with a single exponential (its Fig. 4A
    and 4E). Errors come from the covariance with ``yerr`` taken as absolute, inflated by
    sqrt(reduced chi^2) when the scatter exceeds them (the points then disagree with the
    model more than their own error bars allow); the tau interval uses Student's t.

    >>> x = np.linspace(0, 20e-6, 12)
    >>> fit = fit_exponential(x, 0.01 + 0.05 * np.exp(-x / 6e-6))
    >>> round(fit.tau * 1e6, 3)
    6.0
    """
    from scipy import optimize, special

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if yerr is not None:
        yerr = np.asarray(yerr, float)
        ok &= np.isfinite(yerr) & (yerr > 0)
    x, y = x[ok], y[ok]
    sigma = None if yerr is None else yerr[ok]
    if x.size < 4:
        raise FitError(f"an exponential fit needs at least 4 points, got {x.size}")
    span = float(np.ptp(x)) or 1.0
    order = np.argsort(x)
    p0 = [y[order[0]] - y[order[-1]], span / 3.0, y[order[-1]]]

    def model(xx, amp, tau, off):
        return off + amp * np.exp(-xx / tau)

    try:
        popt, pcov = optimize.curve_fit(
            model,
            x,
            y,
            p0=p0,
            sigma=sigma,
            absolute_sigma=sigma is not None,
            bounds=([-np.inf, span * 1e-4, -np.inf], [np.inf, span * 1e3, np.inf]),
            maxfev=20000,
        )
        converged = bool(np.all(np.isfinite(pcov)))
    except (RuntimeError, ValueError):
        popt, pcov, converged = np.array(p0, float), np.full((3, 3), np.nan), False
    resid = (y - model(x, *popt)) / (sigma if sigma is not None else 1.0)
    dof = max(x.size - 3, 1)
    chi2r = float(np.sum(resid**2) / dof)
    if sigma is not None and chi2r > 1:
        pcov = pcov * chi2r
    err = np.sqrt(np.clip(np.diag(pcov), 0, None))
    q = special.stdtrit(dof, 0.975)
    amp, tau, off = (float(v) for v in popt)
    return ExponentialFit(
        tau=tau,
        tau_ci95=(tau - q * err[1], tau + q * err[1]),
        amplitude=amp,
        amplitude_err=float(err[0]),
        offset=off,
        offset_err=float(err[2]),
        reduced_chi2=chi2r if sigma is not None else float("nan"),
        n_points=int(x.size),
        converged=converged,
    )


def read_sweep_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows of a ``sweep.csv``."""
    if not path.exists():
        raise InputError("no sweep.csv (has the sweep run?)", path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            columns = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(
            f"corrupt sweep table ({exc}); rerun the sweep to rebuild it", path
        ) from None
    if "point_id" not in columns:
        raise InputError(
            "corrupt sweep table (no point_id column); rerun the sweep to rebuild it", path
        )
    return columns, rows
