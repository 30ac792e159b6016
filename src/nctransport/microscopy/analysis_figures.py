"""Figures of an analysis: the map with the fitted width, profiles with fits, MSD, decay.

Every ``plot_*`` function draws on a given Axes (so a notebook can place it): a matplotlib
Axes, or an :class:`nctransport.report.svg.SvgAxes`, which takes the same calls.
:func:`analysis_figures` assembles the report figures, by default as SVG figures drawn
without matplotlib (a few ms each instead of ~0.15 s, plus 0.3 s to import matplotlib:
issue 17), or as :class:`matplotlib.figure.Figure` objects made with
:func:`nctransport.plotting.new_figure` for PNG files. Dense series are binned for display
only (at most :data:`MAX_POINTS` markers per curve, images at most :data:`MAX_ROWS` rows), so
drawing costs the same for 50 or 5000 frames; every point stays in msd.csv and profiles.nc. Units
are written with Unicode superscripts (nm², not mathtext): building matplotlib's mathtext
parser costs ~0.1 s per process.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nctransport.dataset import SIGNAL
from nctransport.report import binning
from nctransport.report.style import COLORS, label_axes

__all__ = [
    "plot_map",
    "plot_profiles",
    "plot_msd",
    "plot_msd_loglog",
    "plot_time_dependent_diffusivity",
    "plot_decay",
    "analysis_figures",
]

#: Most markers drawn per curve; denser series are averaged in consecutive bins.
MAX_POINTS = 150
#: Most time rows drawn in a map image (consecutive frames averaged).
MAX_ROWS = 400


def bin_series(
    t: np.ndarray, y: np.ndarray, err: np.ndarray | None = None, n_max: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`nctransport.report.binning.bin_series` with this module's :data:`MAX_POINTS`."""
    return binning.bin_series(t, y, err, n_max=n_max)


def _cheap_log(ax: Any, *, x: bool = False, y: bool = False) -> None:
    """Log axes with decade ticks in plain numbers and no minor tick labels: mathtext tick
    labels and dozens of minor ticks were most of a report figure's drawing time."""
    if getattr(ax, "is_svg", False):  # the SVG axes draws plain decade ticks itself
        for on, set_scale in ((x, ax.set_xscale), (y, ax.set_yscale)):
            if on:
                set_scale("log")
        return
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    for on, set_scale, axis in ((x, ax.set_xscale, ax.xaxis), (y, ax.set_yscale, ax.yaxis)):
        if on:
            set_scale("log", nonpositive="mask")
            axis.set_major_locator(LogLocator(base=10, numticks=8))
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            axis.set_minor_locator(NullLocator())


def _fixed_layout(fig: Any, **margins: float) -> None:
    """Fixed margins instead of constrained layout (which measured every artist twice)."""
    if hasattr(fig, "set_layout_engine"):  # matplotlib; an SvgFigure has no engine
        fig.set_layout_engine(None)  # outside the rc context: no engine at all
    fig.subplots_adjust(**margins)


def _finite_or_none(e: np.ndarray | None) -> np.ndarray | None:
    return e if e is not None and np.all(np.isfinite(e)) else None


def _subtracted(result: Any) -> tuple[Any, np.ndarray]:
    """Background-subtracted post-pulse frames, as the fits saw them."""
    from nctransport.microscopy.background import subtract_background

    fits, ds = result.fits, result.dataset
    t0 = float(getattr(fits, "t0", 0.0) or 0.0)
    mode = getattr(fits, "background_mode", "") or "auto"
    sub, _ = subtract_background(ds, mode if mode in ("none", "pre-pulse") else "auto", t0=t0)
    t_all = np.asarray(sub["t"].values)
    first = int(np.argmax(t_all >= t0))
    return sub, np.asarray(sub[SIGNAL].values)[first:]


def plot_map(result: Any, ax: Any = None) -> Any:
    """The t-x map (or, for a stack, the row through the spot centre of every frame) as an
    image, with the fitted centre +/- sigma overlaid (frames used for the MSD)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    if result.dataset is None:
        raise TypeError("this result holds no dataset to draw (analyze keeps the one it read)")
    sub, data = _subtracted(result)
    fits = result.fits
    x = np.asarray(sub["x"].values, dtype=float) * 1e6
    stack = data.ndim == 3
    if stack:  # the row through each frame's fitted centre (nearest pixel; map centre if none)
        yv = np.asarray(sub["y"].values, dtype=float)
        cy = np.asarray(fits.center, dtype=float)[:, 0]
        cy = np.where(np.isfinite(cy), cy, np.nanmedian(cy) if np.isfinite(cy).any() else 0.0)
        rows = np.abs(yv[None, :] - cy[:, None]).argmin(axis=1)
        data = data[np.arange(data.shape[0]), rows]
    t_ns = np.asarray(result.t, dtype=float) * 1e9
    n = data.shape[0]
    if n > MAX_ROWS:  # average consecutive frames for display
        edges = np.linspace(0, n, MAX_ROWS + 1).round().astype(int)
        img = np.add.reduceat(np.nan_to_num(data, nan=0.0), edges[:-1], axis=0)
        img /= np.diff(edges)[:, None]
        ti = np.add.reduceat(t_ns, edges[:-1]) / np.diff(edges)
    else:
        img, ti = np.asarray(data, dtype=float), t_ns
    sign = -1.0 if np.nansum(img) < 0 else 1.0  # TAM bleach maps are negative
    mesh = ax.pcolormesh(x, ti, sign * img, shading="nearest", rasterized=True)
    cb = ax.figure.colorbar(mesh, ax=ax, pad=0.01)
    units = str(result.dataset[SIGNAL].attrs.get("units", "arb"))
    cb.set_label(("-" if sign < 0 else "") + f"signal ({units})")
    frames = result.msd.frames
    c = np.asarray(fits.center, dtype=float)
    cx = (c[:, 1] if c.ndim == 2 else c)[frames] * 1e6
    s = np.asarray(fits.sigma, dtype=float)[frames] * 1e6
    tf, lo, _ = bin_series(t_ns[frames], cx - s)
    _, hi, _ = bin_series(t_ns[frames], cx + s)
    ax.plot(lo, tf, color="white", ls="-", lw=1.2, label="fitted centre ± σ")
    ax.plot(hi, tf, color="white", ls="-", lw=1.2)
    ax.grid(False)
    ax.set_ylim(ti.min(), ti.max()) if ti.size > 1 else None
    label_axes(
        ax,
        x=("x", "um"),
        y=("t", "ns"),
        title="map (row through the spot centre)" if stack else "map",
    )
    ax.legend(loc="upper right", fontsize=8, frameon=False, labelcolor="white")
    return ax


def _model_row(fits: Any, sub: Any, i: int, x: np.ndarray, y_row: float | None) -> np.ndarray:
    """The fit layer's own model of frame ``i`` (row through the centre for stacks)."""
    from nctransport.microscopy.profiles import evaluate_model

    if y_row is None:
        return evaluate_model(fits, (x,), frames=i)[0]
    yv = np.asarray(sub["y"].values, dtype=float)
    j = int(np.argmin(np.abs(yv - y_row)))
    return evaluate_model(fits, (yv[j : j + 1], x), frames=i)[0, 0]


def plot_profiles(result: Any, ax: Any = None, residual_ax: Any = None, n_show: int = 4) -> Any:
    """Background-subtracted profiles of ``n_show`` frames with their fits; residuals go on
    ``residual_ax`` when given."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    if result.dataset is None:
        raise TypeError("this result holds no dataset to draw (analyze keeps the one it read)")
    sub, data = _subtracted(result)
    fits = result.fits
    x = np.asarray(sub["x"].values, dtype=float)
    used = result.msd.frames
    pick = used[
        np.unique(np.linspace(0, used.size - 1, min(n_show, used.size)).round().astype(int))
    ]
    xs = x * 1e6
    for i in pick:
        y_row = None
        frame = np.asarray(data[i], dtype=float)
        if frame.ndim == 2:  # stack: the row through the fitted centre
            yv = np.asarray(sub["y"].values, dtype=float)
            j = int(np.argmin(np.abs(yv - float(fits.center[i][0]))))
            y_row, frame = float(yv[j]), frame[j]
        model = _model_row(fits, sub, int(i), x, y_row)
        (line,) = ax.plot(xs, frame, "o", ms=3, alpha=0.6, label=f"{result.t[i] * 1e9:.3g} ns")
        ax.plot(xs, model, "-", color=line.get_color())
        if residual_ax is not None:
            residual_ax.plot(xs, frame - model, "-", lw=1, color=line.get_color())
    units = str(result.dataset[SIGNAL].attrs.get("units", "arb"))
    label_axes(ax, y=("signal - baseline", units), title=f"profiles and {fits.profile} fits")
    ax.legend(fontsize=8)
    if residual_ax is not None:
        label_axes(residual_ax, x=("x", "um"), y="residual")
    else:
        label_axes(ax, x=("x", "um"))
    return ax


def plot_msd(result: Any, ax: Any = None) -> Any:
    """MSD vs t with the sigma0-free and through-origin D fits and the fit window."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    m = result.msd
    tb, yb, eb = bin_series(m.t * 1e9, m.msd * 1e18, m.err * 1e18)
    binned = tb.size < m.t.size
    ax.errorbar(
        tb,
        yb,
        yerr=_finite_or_none(eb),
        fmt="o",
        ms=3,
        lw=0.8,
        color=COLORS["data"],
        label="MSD" + (f" (means of {m.t.size} frames in {tb.size} bins)" if binned else ""),
    )
    d = result.diffusivity
    tt = np.linspace(d.t_start, d.t_end, 50)
    s0 = d.sigma0 if math.isfinite(d.sigma0) else m.sigma_ref
    ax.plot(
        tt * 1e9,
        (s0**2 + 2 * d.value * tt - m.sigma_ref**2) * 1e18,
        "-",
        color=COLORS["fit"],
        label=f"σ0 free: D = {d.value * 1e4:.3g} cm²/s",
    )
    if result.diffusivity_origin is not None:
        o = result.diffusivity_origin
        ax.plot(
            tt * 1e9,
            2 * o.value * (tt - m.t_ref) * 1e18,
            "--",
            color=COLORS["model"],
            label=f"through origin: D = {o.value * 1e4:.3g} cm²/s",
        )
    ax.axvspan(d.t_start * 1e9, d.t_end * 1e9, color="0.85", alpha=0.5, lw=0)
    if result.t_max is not None:
        ax.axvline(result.t_max.value * 1e9, color="k", ls=":", label="t_max")
    label_axes(ax, x=("t", "ns"), y=("MSD", "nm²"))
    ax.legend(fontsize=8)
    return ax


def plot_msd_loglog(result: Any, ax: Any = None) -> Any:
    """MSD vs time since the reference frame on log-log axes, with the regime fits."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    m = result.msd
    pos = (m.elapsed > 0) & (m.msd > 0)
    tb, yb, _ = bin_series(m.elapsed[pos] * 1e9, m.msd[pos] * 1e18)
    ax.plot(tb, yb, "o", ms=3, color=COLORS["data"], label="MSD")
    if result.regimes is not None:
        for r in result.regimes.regimes:
            tr = np.geomspace(r.t_start, r.t_end, 30)
            ax.plot(
                tr * 1e9,
                result.regimes.model(tr) * 1e18,
                "-",
                lw=2,
                label=f"α = {r.alpha:.2f} ± {r.alpha_err:.2f} ({r.kind})",
            )
    _cheap_log(ax, x=True, y=True)
    label_axes(ax, x=("t - t_ref", "ns"), y=("MSD", "nm²"))
    ax.legend(fontsize=8)
    return ax


def plot_time_dependent_diffusivity(result: Any, ax: Any = None) -> Any:
    """Liu 2021: D(t) = MSD / 2t per axis, with the fitted D."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    from nctransport.microscopy.diffusivity import time_dependent_diffusivity

    m = result.msd
    td, dt_, dt_err = time_dependent_diffusivity(m)
    tb, db, eb = bin_series((td - m.t_ref) * 1e9, dt_ * 1e4, dt_err * 1e4)
    ax.errorbar(tb, db, yerr=_finite_or_none(eb), fmt="o", ms=3, lw=0.8, label="D(t)")
    ax.axhline(result.diffusivity.value * 1e4, color="k", ls="--", lw=0.8, label="D (σ0 free)")
    _cheap_log(ax, x=True)
    label_axes(ax, x=("t - t_ref", "ns"), y=("D(t) = MSD / 2t", "cm²/s"))
    ax.legend(fontsize=8)
    return ax


def plot_decay(result: Any, ax: Any = None) -> Any:
    """Space-integrated signal vs t (normalised) with the 1/e lifetime."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    y = np.asarray(result.integrated, dtype=float)
    t = np.asarray(result.t, dtype=float) * 1e9
    keep = np.isfinite(y)
    t, y = t[keep], y[keep]
    sign = 1.0 if np.sum(y) >= 0 else -1.0
    y = sign * y
    peak = np.max(y) if y.size and np.max(y) > 0 else 1.0
    tb, yb, _ = bin_series(t, y / peak, n_max=4 * MAX_POINTS)
    ax.plot(tb, yb, "o-", ms=3, lw=0.8, label="integrated signal")
    lt = result.lifetime
    if lt is not None and lt.found:
        ax.axhline(1 / math.e, color="k", ls=":", lw=0.8)
        ax.axvline(
            lt.t_cross * 1e9, color="k", ls="--", lw=0.8, label=f"τ_1/e = {lt.value * 1e9:.3g} ns"
        )
    if np.any(yb > 0):
        _cheap_log(ax, y=True)
    label_axes(
        ax,
        x=("t", "ns"),
        y="normalised integrated signal" + (" (sign flipped)" if sign < 0 else ""),
    )
    ax.legend(fontsize=8)
    return ax


def _svg_figure(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    from nctransport.report.svg import SvgFigure

    fig = SvgFigure(nrows, ncols, **kw)
    return fig, (fig.axes[0] if len(fig.axes) == 1 else fig.axes)


def _svg_fit_figure(*, figsize: tuple[float, float], ratio: float = 3.0) -> tuple[Any, Any]:
    fig, (ax, axr) = _svg_figure(2, 1, figsize=figsize, height_ratios=[ratio, 1.0], sharex=True)
    axr.axhline(0.0, color=COLORS["reference"], lw=0.8)
    return fig, (ax, axr)


def analysis_figures(result: Any, backend: str = "svg") -> list[tuple[str, str, Any]]:
    """The report figures, map first: ``(name, caption, figure)``, each drawn once.

    ``backend="svg"`` (the default) gives :class:`nctransport.report.svg.SvgFigure` objects
    (``fig.save(out_dir, name)``), ``"matplotlib"`` gives matplotlib Figures (for PNG).
    """
    if backend == "svg":
        new_figure, new_fit_figure = _svg_figure, _svg_fit_figure
    elif backend == "matplotlib":
        from nctransport.plotting import new_figure, new_fit_figure
    else:
        raise ValueError(f"backend must be 'svg' or 'matplotlib', not {backend!r}")
    figs: list[tuple[str, str, Any]] = []
    if result.dataset is not None:
        fig, ax = new_figure(figsize=(6.5, 4.5))
        _fixed_layout(fig, left=0.11, right=0.98, bottom=0.11, top=0.93)
        plot_map(result, ax)
        figs.append(
            (
                "map",
                "The measured map (background subtracted) with the fitted centre ± σ of "
                "every frame used for the MSD.",
                fig,
            )
        )
        fig, (ax, axr) = new_fit_figure(figsize=(6.5, 5.5))
        _fixed_layout(fig, left=0.17, right=0.97, bottom=0.09, top=0.94, hspace=0.1)
        plot_profiles(result, ax, axr)
        figs.append(("profiles", "Profiles of four frames with their fits and residuals.", fig))
    fig, (ax, axl, axd) = new_figure(1, 3, figsize=(14.0, 4.0))
    _fixed_layout(fig, left=0.06, right=0.99, bottom=0.13, top=0.95, wspace=0.28)
    plot_msd(result, ax)
    plot_msd_loglog(result, axl)
    plot_time_dependent_diffusivity(result, axd)
    figs.append(
        (
            "msd",
            "MSD with both D fits and the fit window (shaded); log-log with the regimes; "
            "D(t) = MSD / 2t (Liu 2021).",
            fig,
        )
    )
    fig, ax = new_figure(figsize=(6.0, 4.0))
    _fixed_layout(fig, left=0.12, right=0.97, bottom=0.12, top=0.95)
    plot_decay(result, ax)
    figs.append(("decay", "Space-integrated signal with the 1/e lifetime.", fig))
    return figs
