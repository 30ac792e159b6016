"""Space-charge-limited current analysis of measured J-V curves (Li 2024).

* Log-log slope d ln J / d ln V and its regimes: ohmic (~1), SCLC (~2), steeper (> 2.5:
  trap filling, or field/density-enhanced mobility).
* Mott-Gurney law J = (9/8) eps0 eps_r mu V^2 / L^3 (Li 2024 Eq. 1) fitted jointly with an
  ohmic leak G V and, optionally, an offset (built-in) voltage V0:
  J = G V + (9/8) eps0 eps_r mu (V - V0)^2 / L^3 for V > V0.
  The noise of J-V data is multiplicative (the current spans decades), so the fit
  minimises the residuals of ln J.
* Thickness series: J L^m at fixed V; m = 3 for SCLC (Li 2024 Fig. 2b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from nctransport.constants import EPS0
from nctransport.device._regression import t95
from nctransport.errors import FitError, InputError

__all__ = [
    "SlopeRegime",
    "SCLCFit",
    "ThicknessScaling",
    "loglog_slope",
    "slope_regimes",
    "fit_mott_gurney",
    "thickness_scaling",
]

OHMIC_MAX_SLOPE = 1.5
SCLC_MAX_SLOPE = 2.5


@dataclass(frozen=True)
class SlopeRegime:
    """A voltage range with a roughly constant log-log slope."""

    v_start: float
    v_end: float
    slope: float
    kind: str  # "ohmic", "sclc" or "steep"


@dataclass(frozen=True)
class SCLCFit:
    """Mott-Gurney (+ leak, + offset) fit; CIs are 95% (Student t on the log residuals)."""

    mobility_m2_Vs: float
    mobility_ci95_m2_Vs: tuple[float, float]
    leak_conductance_S_m2: float | None
    leak_conductance_ci95_S_m2: tuple[float, float] | None
    offset_V: float | None
    offset_ci95_V: tuple[float, float] | None
    fit_range_V: tuple[float, float]
    n_points: int
    residual_std_lnJ: float
    success: bool
    message: str


@dataclass(frozen=True)
class ThicknessScaling:
    """J ~ L^-m at fixed V across devices; SCLC gives m = 3 and J L^3 collapses."""

    exponent: float
    exponent_ci95: tuple[float, float]
    collapse_rms_log10: float  # rms spread of log10(J L^3) between devices at common V
    voltages_V: tuple[float, ...]
    thicknesses_m: tuple[float, ...]


def _positive(v, j) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(v, dtype=float)
    j = np.asarray(j, dtype=float)
    if v.shape != j.shape or v.ndim != 1:
        raise InputError("V and J must be 1D arrays of equal length")
    keep = (v > 0) & (j > 0) & np.isfinite(v) & np.isfinite(j)
    order = np.argsort(v[keep])
    return v[keep][order], j[keep][order]


def loglog_slope(
    voltage_V, current_density, *, half_width: float = 0.15
) -> tuple[np.ndarray, np.ndarray]:
    """Local slope d ln J / d ln V at each positive point.

    A straight line is fitted to ln J vs ln V within +-``half_width`` in ln V around each
    point (at least its two neighbours), which keeps the slope usable on noisy data.

    >>> v = np.linspace(0.1, 1, 10)
    >>> _, m = loglog_slope(v, 3 * v**2)
    >>> bool(np.allclose(m, 2))
    True
    """
    v, j = _positive(voltage_V, current_density)
    if v.size < 3:
        raise FitError(f"need at least 3 points with V > 0 and J > 0, got {v.size}")
    lv, lj = np.log(v), np.log(j)
    m = np.empty(v.size)
    for i in range(v.size):
        sel = np.abs(lv - lv[i]) <= half_width
        sel[max(i - 1, 0) : i + 2] = True
        x = lv[sel] - lv[sel].mean()
        m[i] = float((x * (lj[sel] - lj[sel].mean())).sum() / (x * x).sum())
    return v, m


def _kind(slope: float) -> str:
    if slope < OHMIC_MAX_SLOPE:
        return "ohmic"
    if slope <= SCLC_MAX_SLOPE:
        return "sclc"
    return "steep"


def slope_regimes(voltage_V, current_density, *, min_points: int = 4) -> list[SlopeRegime]:
    """Split the positive branch into regimes of log-log slope (ohmic / sclc / steep).

    Points are classified by their local slope; runs shorter than ``min_points`` are merged
    into the preceding run; each regime's slope is a straight-line fit of ln J vs ln V.
    """
    v, m = loglog_slope(voltage_V, current_density)
    _, j = _positive(voltage_V, current_density)
    kinds = [_kind(s) for s in m]
    runs: list[list[int]] = []  # [kind_index, start, end)
    order = ["ohmic", "sclc", "steep"]
    for i, k in enumerate(kinds):
        if runs and runs[-1][0] == order.index(k):
            runs[-1][2] = i + 1
        else:
            runs.append([order.index(k), i, i + 1])
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[2] - run[1] < min_points):
            merged[-1][2] = run[2]
        elif merged and merged[-1][2] - merged[-1][1] < min_points:
            merged[-1][2] = run[2]
            merged[-1][0] = run[0]
        else:
            merged.append(list(run))
    # Adjacent runs of the same kind after merging become one.
    final: list[list[int]] = []
    for run in merged:
        if final and final[-1][0] == run[0]:
            final[-1][2] = run[2]
        else:
            final.append(run)
    out = []
    for _, a, b in final:
        lv, lj = np.log(v[a:b]), np.log(j[a:b])
        slope = float(np.polyfit(lv, lj, 1)[0]) if b - a >= 2 else float(m[a])
        out.append(SlopeRegime(float(v[a]), float(v[b - 1]), slope, _kind(slope)))
    return out


def _default_range(v: np.ndarray, j: np.ndarray) -> tuple[float, float]:
    """From the first point up to the last point of the initial run with local slope <= 2.5.

    That run holds the ohmic (leak) and quadratic parts; beyond it the current rises
    faster than V^2 (field/density-enhanced mobility or trap filling), which Mott-Gurney
    does not describe.
    """
    vs, m = loglog_slope(v, j)
    # the first of two consecutive points steeper than 2.5 ends the range
    steep = m > SCLC_MAX_SLOPE
    above = np.nonzero(steep[:-1] & steep[1:])[0] if vs.size > 1 else np.array([], int)
    end = int(above[0]) if above.size else vs.size
    if end < 3 or not np.any(m[:end] >= OHMIC_MAX_SLOPE):
        raise FitError(
            "no space-charge-limited regime (log-log slope ~2 at low voltage) found; "
            "give the fit range explicitly"
        )
    return float(vs[0]), float(vs[end - 1])


def fit_mott_gurney(
    voltage_V,
    current_density_A_m2,
    *,
    thickness_m: float,
    eps_r: float,
    leak: bool = True,
    offset: bool = False,
    fit_range_V: tuple[float, float] | None = None,
) -> SCLCFit:
    """Fit the Mott-Gurney law with an ohmic leak (and offset voltage) in ln J.

    Parameters
    ----------
    voltage_V, current_density_A_m2
        The J-V curve (only V > 0, J > 0 is used).
    thickness_m, eps_r
        Layer thickness (m) and relative permittivity.
    leak, offset
        Include G V and/or a shift V0 of the SCLC term.
    fit_range_V
        (V_min, V_max); default: up to the end of the first slope-2 regime.

    Examples
    --------
    >>> v = np.linspace(0.2, 4, 30)
    >>> j = 9 / 8 * EPS0 * 3.5 * 4.4e-11 * v**2 / 110e-9**3 + 1e-6 * v
    >>> fit = fit_mott_gurney(v, j, thickness_m=110e-9, eps_r=3.5)
    >>> round(fit.mobility_m2_Vs * 1e11, 3)
    4.4
    """
    if not (np.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"thickness must be positive, got {thickness_m!r} m")
    if not (np.isfinite(eps_r) and eps_r > 0):
        raise InputError(f"relative permittivity must be positive, got {eps_r!r}")
    v_all, j_all = _positive(voltage_V, current_density_A_m2)
    if v_all.size < 4:
        raise FitError(f"need at least 4 points with V > 0 and J > 0, got {v_all.size}")
    if fit_range_V is None:
        lo, hi = _default_range(v_all, j_all)
    else:
        lo, hi = map(float, fit_range_V)
        if not lo < hi:
            raise InputError(f"fit range must be increasing, got {fit_range_V}")
        if hi < v_all[0] or lo > v_all[-1]:
            raise InputError(
                f"fit range {lo:g}..{hi:g} V is outside the data ({v_all[0]:g}..{v_all[-1]:g} V)"
            )
    sel = (v_all >= lo) & (v_all <= hi)
    v, j = v_all[sel], j_all[sel]
    n_par = 1 + int(leak) + int(offset)
    if v.size < n_par + 2:
        raise FitError(f"only {v.size} points in the fit range {lo:g}..{hi:g} V")
    k = 9.0 / 8.0 * EPS0 * eps_r / thickness_m**3
    # Starting values: mobility from the upper half, leak from the lowest point.
    mu0 = float(np.median(j[v.size // 2 :] / (k * v[v.size // 2 :] ** 2)))
    g0 = max(float(j[0] / v[0]) * 0.3, 1e-30)

    def unpack(p):
        ln_mu = p[0]
        ln_g = p[1] if leak else None
        v0 = p[1 + int(leak)] if offset else 0.0
        return ln_mu, ln_g, v0

    def model(p):
        ln_mu, ln_g, v0 = unpack(p)
        d = np.clip(v - v0, 0.0, None)
        jm = k * np.exp(ln_mu) * d * d
        if leak:
            jm = jm + np.exp(ln_g) * v
        return jm

    def resid(p):
        return np.log(np.maximum(model(p), 1e-300)) - np.log(j)

    p0 = [np.log(mu0)]
    lb, ub = [-80.0], [20.0]
    if leak:
        p0.append(np.log(g0))
        lb.append(-100.0)
        ub.append(20.0)
    if offset:
        p0.append(0.0)
        lb.append(-float(v[-1]))
        ub.append(0.9 * float(v[0]) if v[0] > 0 else 0.0)
        p0[-1] = min(max(p0[-1], lb[-1]), ub[-1] - 1e-9)
    sol = least_squares(resid, p0, bounds=(lb, ub), method="trf", x_scale=1.0)
    dof = v.size - n_par
    rss = float(sol.fun @ sol.fun)
    s2 = rss / dof
    jac = sol.jac
    cov = np.linalg.pinv(jac.T @ jac) * s2
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    tq = t95(dof)
    ln_mu, ln_g, v0 = unpack(sol.x)
    mu = float(np.exp(ln_mu))
    mu_ci = (float(np.exp(ln_mu - tq * sd[0])), float(np.exp(ln_mu + tq * sd[0])))
    g = g_ci = None
    if leak:
        g = float(np.exp(ln_g))
        if sol.active_mask[1] == 0:
            g_ci = (float(np.exp(ln_g - tq * sd[1])), float(np.exp(ln_g + tq * sd[1])))
        else:  # leak at its lower bound: too small to measure, no interval
            g, g_ci = 0.0, None
    v0_out = v0_ci = None
    if offset:
        v0_out = float(v0)
        i = 1 + int(leak)
        v0_ci = (float(v0 - tq * sd[i]), float(v0 + tq * sd[i]))
    return SCLCFit(
        mobility_m2_Vs=mu,
        mobility_ci95_m2_Vs=mu_ci,
        leak_conductance_S_m2=g,
        leak_conductance_ci95_S_m2=g_ci,
        offset_V=v0_out,
        offset_ci95_V=v0_ci,
        fit_range_V=(float(v[0]), float(v[-1])),
        n_points=int(v.size),
        residual_std_lnJ=float(np.sqrt(s2)),
        success=bool(sol.success),
        message=str(sol.message),
    )


def thickness_scaling(curves, *, n_voltages: int = 8, fit_range_V=None) -> ThicknessScaling:
    """Exponent m of J ~ L^-m at common voltages, and the spread of the J L^3 collapse.

    Parameters
    ----------
    curves
        Sequence of (thickness_m, V, J) for devices of different thickness.
    n_voltages
        Log-spaced common voltages inside the overlap of all curves (and ``fit_range_V``).

    The exponent is the slope of ln J vs ln L after removing a free mean per voltage
    (so the V dependence does not matter); CI from Student t.
    """
    items = [(float(t), *_positive(v, j)) for t, v, j in curves]
    if len(items) < 2:
        raise FitError("a thickness series needs at least 2 devices")
    thick = np.array([it[0] for it in items])
    if np.any(thick <= 0):
        raise InputError("thickness must be positive")
    if np.unique(thick).size < 2:
        raise FitError("a thickness series needs at least 2 different thicknesses")
    lo = max(it[1][0] for it in items)
    hi = min(it[1][-1] for it in items)
    if fit_range_V is not None:
        lo, hi = max(lo, fit_range_V[0]), min(hi, fit_range_V[1])
    if not lo < hi:
        raise FitError("the J-V curves of the thickness series share no voltage range")
    vs = np.geomspace(lo, hi, n_voltages)
    lnj = np.array([np.interp(np.log(vs), np.log(v), np.log(j)) for _, v, j in items])
    x = np.log(thick) - np.log(thick).mean()
    y = lnj - lnj.mean(axis=0, keepdims=True)
    xx = np.repeat(x[:, None], vs.size, axis=1)
    slope = float((xx * y).sum() / (xx * xx).sum())
    res = y - slope * xx
    dof = max(y.size - vs.size - 1, 1)
    se = float(np.sqrt((res * res).sum() / dof / (xx * xx).sum()))
    tq = t95(dof)
    m = -slope
    collapse = np.log10(np.exp(lnj)) + 3.0 * np.log10(thick)[:, None]
    rms = float(np.sqrt(np.mean((collapse - collapse.mean(axis=0, keepdims=True)) ** 2)))
    return ThicknessScaling(
        exponent=m,
        exponent_ci95=(m - tq * se, m + tq * se),
        collapse_rms_log10=rms,
        voltages_V=tuple(float(a) for a in vs),
        thicknesses_m=tuple(float(a) for a in thick),
    )
