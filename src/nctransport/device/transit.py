"""Transit time from transient electroluminescence (TEL) and the transit-time mobility.

Li 2024: the time-integrated light output I_out grows linearly with the voltage-pulse
width tau_pulse once tau_pulse >> tau_d; the straight line's intercept on the pulse-width
axis is the hole transit time tau_d, and mu = L^2 / (tau_d V) (Li 2024 Eq. 3). The field
dependence of mu is fitted with Poole-Frenkel, mu = mu0 exp(gamma sqrt(E)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nctransport.device._regression import linear_fit, t95
from nctransport.errors import FitError, InputError

__all__ = [
    "TransitTimeFit",
    "PooleFrenkelFit",
    "transit_time",
    "transit_mobility",
    "fit_poole_frenkel",
]


@dataclass(frozen=True)
class TransitTimeFit:
    """Intercept of the linear part of I_out(tau_pulse); 95% CI (delta method, Student t)."""

    transit_time_s: float
    transit_time_ci95_s: tuple[float, float]
    slope: float  # output per second of pulse width
    fit_from_s: float
    n_points: int


@dataclass(frozen=True)
class PooleFrenkelFit:
    """ln mu = ln mu0 + gamma sqrt(E); 95% CIs."""

    mu0_m2_Vs: float
    mu0_ci95_m2_Vs: tuple[float, float]
    gamma_sqrt_m_V: float
    gamma_ci95_sqrt_m_V: tuple[float, float]
    n_points: int


def _line_intercept(x, y):
    coef, cov, _, dof = linear_fit(x, y)
    b0, b1 = coef
    if b1 <= 0:
        raise FitError("integrated output does not grow with pulse width")
    tau = -b0 / b1
    # delta method for tau = -b0/b1
    g = np.array([-1.0 / b1, b0 / b1**2])
    var = float(g @ cov @ g)
    return tau, np.sqrt(max(var, 0.0)), b1, dof


def transit_time(
    pulse_width_s, integrated_output, *, fit_from_s: float | None = None
) -> TransitTimeFit:
    """Transit time as the pulse-width intercept of the linear part of I_out(tau_pulse).

    Parameters
    ----------
    pulse_width_s, integrated_output
        Pulse widths (s) and time-integrated light output (any unit).
    fit_from_s
        Use only pulses at least this long. Default: iterate, keeping pulses longer than
        three times the current estimate of tau_d (tau_pulse >> tau_d), at least 3 points.

    Examples
    --------
    >>> w = np.linspace(2e-6, 100e-6, 30)
    >>> fit = transit_time(w, 5.0 * np.clip(w - 4e-6, 0, None))
    >>> round(fit.transit_time_s * 1e6, 6)
    4.0
    """
    w = np.asarray(pulse_width_s, dtype=float)
    y = np.asarray(integrated_output, dtype=float)
    if w.shape != y.shape or w.ndim != 1:
        raise InputError("pulse widths and outputs must be 1D arrays of equal length")
    ok = np.isfinite(w) & np.isfinite(y) & (w > 0)
    w, y = w[ok], y[ok]
    order = np.argsort(w)
    w, y = w[order], y[order]
    if w.size < 3:
        raise FitError(f"need at least 3 pulse widths, got {w.size}")
    if fit_from_s is not None:
        start = float(fit_from_s)
        sel = w >= start
        if sel.sum() < 3:
            raise FitError(f"fewer than 3 pulses longer than {start:g} s")
    else:
        start = float(w[0])
        sel = np.ones_like(w, dtype=bool)
        for _ in range(20):
            tau, _, _, _ = _line_intercept(w[sel], y[sel])
            new = w >= 3.0 * max(tau, 0.0)
            if new.sum() < 3:
                new = np.zeros_like(sel)
                new[-3:] = True
            if np.array_equal(new, sel):
                break
            sel = new
        start = float(w[sel][0])
    tau, sd, slope, dof = _line_intercept(w[sel], y[sel])
    tq = t95(dof)
    return TransitTimeFit(
        transit_time_s=float(tau),
        transit_time_ci95_s=(float(tau - tq * sd), float(tau + tq * sd)),
        slope=float(slope),
        fit_from_s=start,
        n_points=int(sel.sum()),
    )


def transit_mobility(
    transit_time_s: float, *, thickness_m: float, voltage_V: float, transit_time_ci95_s=None
):
    """mu = L^2 / (tau_d V) (Li 2024 Eq. 3); returns (mu, CI or None) in m^2/Vs.

    >>> round(transit_mobility(1e-6, thickness_m=100e-9, voltage_V=5.0)[0] * 1e9, 12)
    2.0
    """
    if not (np.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"thickness must be positive, got {thickness_m!r} m")
    if not (np.isfinite(voltage_V) and voltage_V > 0):
        raise InputError(f"voltage must be positive, got {voltage_V!r} V")
    if not transit_time_s > 0:
        raise FitError(f"transit time is not positive ({transit_time_s:g} s)")
    mu = thickness_m**2 / (transit_time_s * voltage_V)
    ci = None
    if transit_time_ci95_s is not None:
        lo, hi = transit_time_ci95_s
        ci = (
            thickness_m**2 / (hi * voltage_V),
            thickness_m**2 / (lo * voltage_V) if lo > 0 else float("inf"),
        )
    return float(mu), ci


def fit_poole_frenkel(field_V_m, mobility_m2_Vs) -> PooleFrenkelFit:
    """Fit ln mu = ln mu0 + gamma sqrt(E) (E in V/m, gamma in (m/V)^1/2)."""
    e = np.abs(np.asarray(field_V_m, dtype=float))
    mu = np.asarray(mobility_m2_Vs, dtype=float)
    if np.any(mu <= 0):
        raise FitError("mobilities must be positive")
    coef, cov, _, dof = linear_fit(np.sqrt(e), np.log(mu))
    tq = t95(dof)
    d0, d1 = tq * np.sqrt(cov[0, 0]), tq * np.sqrt(cov[1, 1])
    return PooleFrenkelFit(
        mu0_m2_Vs=float(np.exp(coef[0])),
        mu0_ci95_m2_Vs=(float(np.exp(coef[0] - d0)), float(np.exp(coef[0] + d0))),
        gamma_sqrt_m_V=float(coef[1]),
        gamma_ci95_sqrt_m_V=(float(coef[1] - d1), float(coef[1] + d1)),
        n_points=int(e.size),
    )
