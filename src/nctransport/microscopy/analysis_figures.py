"""Figures of an analysis: profiles with fits and residuals, MSD with fits and regimes, decay.

Each function draws with :func:`nctransport.plotting.new_figure` and saves PNG + SVG
with :func:`~nctransport.plotting.save_figure`; it returns the written paths.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import voigt_profile

from nctransport.dataset import SIGNAL
from nctransport.plotting import new_figure, new_fit_figure, save_figure

__all__ = ["profile_figure", "msd_figure", "decay_figure", "analysis_figures"]


def _frame_model(fits: Any, i: int, x: np.ndarray, y_row: float | None) -> np.ndarray | None:
    """Fitted profile of frame ``i`` along x (through the centre row for stacks)."""
    A, B, s = float(fits.amplitude[i]), float(fits.background[i]), float(fits.sigma[i])
    if not all(math.isfinite(v) for v in (A, B, s)) or s <= 0:
        return None
    c = fits.center[i]
    extra = getattr(fits, "extra", {}) or {}
    if np.ndim(c) == 0:
        xc = float(c)
        if fits.profile == "voigt" and "lorentz_hwhm" in extra:
            g = float(np.asarray(extra["lorentz_hwhm"])[i])
            if math.isfinite(g) and g > 0:
                return A * voigt_profile(x - xc, s, g) / voigt_profile(0.0, s, g) + B
        return A * np.exp(-((x - xc) ** 2) / (2 * s**2)) + B
    yc, xc = float(c[0]), float(c[1])
    sx = float(np.asarray(extra["sigma_x"])[i]) if "sigma_x" in extra else s
    sy = float(np.asarray(extra["sigma_y"])[i]) if "sigma_y" in extra else s
    dy = 0.0 if y_row is None else y_row - yc
    return A * np.exp(-((x - xc) ** 2) / (2 * sx**2) - dy**2 / (2 * sy**2)) + B


def _model_row(fits: Any, sub: xr.Dataset, i: int, x: np.ndarray, y_row: float | None):
    """The fit layer's own model of frame ``i`` (row through the centre for stacks)."""
    try:
        from nctransport.microscopy.profiles import evaluate_model

        if y_row is None:
            return evaluate_model(fits, (x,), frames=i)[0]
        yv = np.asarray(sub["y"].values, dtype=float)
        img = evaluate_model(fits, (yv, x), frames=i)[0]
        return img[int(np.argmin(np.abs(yv - y_row)))]
    except (ImportError, KeyError, ValueError, IndexError):
        return _frame_model(fits, i, x, y_row)


def profile_figure(ds: xr.Dataset, result: Any, out_dir: Path, n_show: int = 4) -> list[Path]:
    """Background-subtracted profiles with their fits (top) and residuals (bottom)."""
    from nctransport.microscopy.background import subtract_background

    fits = result.fits
    t0 = float(getattr(fits, "t0", 0.0) or 0.0)
    mode = getattr(fits, "background_mode", "") or "auto"
    sub, _ = subtract_background(ds, mode if mode in ("none", "pre-pulse") else "auto", t0=t0)
    t_all = np.asarray(sub["t"].values, dtype=float)
    data = np.asarray(sub[SIGNAL].values, dtype=float)[t_all >= t0]
    x = np.asarray(sub["x"].values, dtype=float)
    used = result.msd.frames
    pick = used[
        np.unique(np.linspace(0, used.size - 1, min(n_show, used.size)).round().astype(int))
    ]
    fig, (ax, axr) = new_fit_figure(figsize=(6.5, 5.5))
    xs = x * 1e6
    for i in pick:
        y_row = None
        frame = data[i]
        if frame.ndim == 2:  # stack: the row through the fitted centre
            yv = np.asarray(sub["y"].values, dtype=float)
            j = int(np.argmin(np.abs(yv - float(fits.center[i][0]))))
            y_row, frame = float(yv[j]), frame[j]
        model = _model_row(fits, sub, int(i), x, y_row)
        (line,) = ax.plot(xs, frame, "o", ms=3, alpha=0.6, label=f"{result.t[i] * 1e9:.3g} ns")
        if model is not None:
            ax.plot(xs, model, "-", color=line.get_color())
            axr.plot(xs, frame - model, "-", lw=1, color=line.get_color())
    ax.set_ylabel(f"signal - baseline [{ds[SIGNAL].attrs.get('units', 'arb')}]")
    ax.set_title(f"profiles and {fits.profile} fits")
    ax.legend(fontsize=8)
    axr.set_ylabel("residual")
    axr.set_xlabel("x [um]")
    return save_figure(fig, out_dir, "profiles")


def msd_figure(result: Any, out_dir: Path) -> list[Path]:
    """MSD vs t, linear (with both D fits and the window) and log-log (with regimes)."""
    m = result.msd
    fig, (ax, axl, axd) = new_figure(1, 3, figsize=(14.0, 4.0))
    t_ns, y, e = m.t * 1e9, m.msd * 1e18, m.err * 1e18
    err = e if np.all(np.isfinite(e)) else None
    ax.errorbar(t_ns, y, yerr=err, fmt="o", ms=3, lw=0.8, label="MSD")
    d = result.diffusivity
    tt = np.linspace(d.t_start, d.t_end, 50)
    s0 = d.sigma0 if math.isfinite(d.sigma0) else m.sigma_ref
    ax.plot(
        tt * 1e9,
        (s0**2 + 2 * d.value * tt - m.sigma_ref**2) * 1e18,
        "-",
        label=f"sigma0 free: D = {d.value * 1e4:.3g} cm2/s",
    )
    if result.diffusivity_origin is not None:
        o = result.diffusivity_origin
        ax.plot(
            tt * 1e9,
            2 * o.value * (tt - m.t_ref) * 1e18,
            "--",
            label=f"through origin: D = {o.value * 1e4:.3g} cm2/s",
        )
    ax.axvspan(d.t_start * 1e9, d.t_end * 1e9, color="0.85", alpha=0.5, lw=0)
    if result.t_max is not None:
        ax.axvline(result.t_max.value * 1e9, color="k", ls=":", label="t_max")
    ax.set_xlabel("t [ns]")
    ax.set_ylabel("MSD [nm2]")
    ax.legend(fontsize=8)
    pos = (m.elapsed > 0) & (m.msd > 0)
    axl.loglog(m.elapsed[pos] * 1e9, m.msd[pos] * 1e18, "o", ms=3, label="MSD")
    if result.regimes is not None:
        for r in result.regimes.regimes:
            tr = np.geomspace(r.t_start, r.t_end, 30)
            axl.loglog(
                tr * 1e9,
                result.regimes.model(tr) * 1e18,
                "-",
                lw=2,
                label=f"alpha = {r.alpha:.2f} +/- {r.alpha_err:.2f} ({r.kind})",
            )
    axl.set_xlabel("t - t_ref [ns]")
    axl.set_ylabel("MSD [nm2]")
    axl.legend(fontsize=8)
    # Liu 2021: time-dependent diffusivity D(t) = MSD / 2t.
    from nctransport.microscopy.diffusivity import time_dependent_diffusivity

    td, dt_, dt_err = time_dependent_diffusivity(m)
    de = dt_err * 1e4 if np.all(np.isfinite(dt_err)) else None
    axd.errorbar((td - m.t_ref) * 1e9, dt_ * 1e4, yerr=de, fmt="o", ms=3, lw=0.8, label="D(t)")
    axd.axhline(d.value * 1e4, color="k", ls="--", lw=0.8, label="D (sigma0 free)")
    axd.set_xscale("log")
    axd.set_xlabel("t - t_ref [ns]")
    axd.set_ylabel("D(t) = MSD / 2t [cm2/s]")
    axd.legend(fontsize=8)
    return save_figure(fig, out_dir, "msd")


def decay_figure(result: Any, out_dir: Path) -> list[Path]:
    """Space-integrated signal vs t with the 1/e lifetime."""
    fig, ax = new_figure(1, 1, figsize=(6.0, 4.0))
    y = np.asarray(result.integrated, dtype=float)
    sign = 1.0 if np.nansum(y) >= 0 else -1.0
    y = sign * y
    peak = np.nanmax(y) if np.any(np.isfinite(y)) else 1.0
    ax.plot(result.t * 1e9, y / peak, "o-", ms=3, lw=0.8, label="integrated signal")
    lt = result.lifetime
    if lt is not None and lt.found:
        ax.axhline(1 / math.e, color="k", ls=":", lw=0.8)
        ax.axvline(
            lt.t_cross * 1e9, color="k", ls="--", lw=0.8, label=f"tau_1/e = {lt.value * 1e9:.3g} ns"
        )
    ax.set_yscale("log")
    ax.set_xlabel("t [ns]")
    ax.set_ylabel("normalised integrated signal" + (" (sign flipped)" if sign < 0 else ""))
    ax.legend(fontsize=8)
    return save_figure(fig, out_dir, "decay")


def analysis_figures(ds: xr.Dataset, result: Any, out_dir: Path) -> list[Path]:
    """All analysis figures; returns every written path (PNG and SVG)."""
    out_dir = Path(out_dir)
    paths = []
    paths += profile_figure(ds, result, out_dir)
    paths += msd_figure(result, out_dir)
    paths += decay_figure(result, out_dir)
    return paths
