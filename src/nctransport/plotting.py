"""Project figure style and saving (PNG by default, SVG on request; atomically).

Every figure in nctransport is made with :func:`new_figure` (or :func:`new_fit_figure` for a
fit with its residuals underneath), labelled with :func:`label_axes` so that every axis names
its quantity *and* its unit, and written with :func:`save_figure`.

Palette: Okabe-Ito (Okabe & Ito, "Color Universal Design", 2008), which stays distinguishable
for the common colour-vision deficiencies; line styles and markers cycle too, so curves can
be told apart in greyscale print.

>>> fig, ax = new_figure()
>>> label_axes(ax, x=("time", "ns"), y=("MSD", "nm^2"))
>>> ax.get_xlabel(), ax.get_ylabel()
('time (ns)', 'MSD (nm$^2$)')
>>> import matplotlib.pyplot as plt; plt.close(fig)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

from nctransport.io.atomic import atomic_path
from nctransport.report.style import (  # noqa: F401 (re-exported: the figure API)
    COLORS,
    OKABE_ITO,
    SUPERSCRIPT_DIGITS,
    axis_label,
    label_axes,
    pretty_unit,
)

# Figures are matplotlib.figure.Figure objects, not pyplot figures: no backend is chosen on
# import (Jupyter keeps its inline backend) and report figures never need a display.

STYLE = {
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "errorbar.capsize": 2,
    "image.cmap": "viridis",  # perceptually uniform and colour-blind safe
    "svg.fonttype": "none",
    "svg.hashsalt": "nctransport",  # deterministic SVG ids
    "figure.constrained_layout.use": True,
}


def log_axes(ax, *, x: bool = False, y: bool = False) -> None:
    """Put ``x`` and/or ``y`` of ``ax`` on a log scale with readable decade ticks.

    Non-positive data are masked by matplotlib rather than crashing the figure.
    """
    from matplotlib.ticker import LogLocator

    for on, set_scale, axis in ((x, ax.set_xscale, ax.xaxis), (y, ax.set_yscale, ax.yaxis)):
        if not on:
            continue
        set_scale("log", nonpositive="mask")
        axis.set_major_locator(LogLocator(base=10, numticks=12))
        axis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10) * 0.1, numticks=12))
        ax.grid(True, which="major", alpha=0.3)


def mark_spans(
    ax,
    spans: Iterable[tuple[float, float]],
    labels: Sequence[str] | None = None,
    *,
    alpha: float = 0.12,
) -> None:
    """Shade x-ranges ``(start, end)`` (fit windows, diffusion regimes) in alternating colours."""
    labels = list(labels or [])
    shades = [OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[2], OKABE_ITO[3]]
    for i, (a, b) in enumerate(spans):
        label = labels[i] if i < len(labels) else None
        ax.axvspan(a, b, color=shades[i % len(shades)], alpha=alpha, lw=0, label=label)


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=(6.0, 4.0), **kwargs):
    """A figure and axes in the project style (use instead of ``plt.subplots``).

    Parameters
    ----------
    nrows, ncols
        Grid of axes, as in :func:`matplotlib.pyplot.subplots`.
    figsize
        Size in inches.
    **kwargs
        Passed to :func:`matplotlib.pyplot.subplots` (``sharex``, ``gridspec_kw``, ...).

    Returns
    -------
    fig, ax
        ``ax`` is one Axes or an array of them, as ``plt.subplots`` returns.
    """
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=figsize)
        ax = fig.subplots(nrows, ncols, **kwargs)
        # Line styles cycle with colours so curves differ in greyscale too.
        for a in np.atleast_1d(ax).ravel():
            a.set_prop_cycle(cycler(color=OKABE_ITO) + cycler(linestyle=["-", "--", "-.", ":"] * 2))
    return fig, ax


def new_fit_figure(*, figsize=(6.0, 4.8), ratio: float = 3.0):
    """A data+fit panel above a residual panel sharing the x axis.

    Returns
    -------
    fig, (ax_fit, ax_residual)
        The residual axes already has a zero line.

    >>> fig, (top, bottom) = new_fit_figure()
    >>> bottom.get_shared_x_axes().joined(top, bottom)
    True
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    fig, (ax_fit, ax_res) = new_figure(
        2, 1, figsize=figsize, sharex=True, gridspec_kw={"height_ratios": [ratio, 1.0]}
    )
    ax_res.axhline(0.0, color=COLORS["reference"], lw=0.8)
    return fig, (ax_fit, ax_res)


def save_figure(
    fig, out_dir: str | Path, name: str, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Save ``fig`` as ``out_dir/name.<ext>`` for each of ``formats`` (atomically).

    PNG is the default (cheap, what reports inline); ask for ``("png", "svg")`` for
    vector copies.

    Returns
    -------
    list of Path
        One path per format, in order; pass the PNG to
        :func:`nctransport.report.html.write_report`.
    """
    out = Path(out_dir)
    paths = []
    _tidy_log_ticks(fig)
    style = dict(STYLE)
    if fig.get_layout_engine() is None:
        # savefig restores a figure's engine with set_layout_engine(None), which reads the
        # rc: under STYLE a fixed-margin figure would come back constrained.
        style["figure.constrained_layout.use"] = False
    with matplotlib.rc_context(style):
        for ext in formats:
            target = out / f"{name}.{ext}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext, metadata=_METADATA[ext])
            paths.append(target)
    return paths


def _plain_log_label(value: float, _pos=None) -> str:
    """``0.2``, ``5``, ``2e+04`` -- short labels that do not collide on a log axis."""
    return f"{value:g}"


def _decade_label(value: float, _pos=None) -> str:
    """``10²``, ``10⁻³``: a decade label in plain text with Unicode superscripts.

    It looks like matplotlib's default ``$10^{2}$`` but needs no mathtext, whose parser
    costs about 0.1 s of CPU to build in every process that draws a log axis (issue 17).

    >>> _decade_label(100.0), _decade_label(1e-3), _decade_label(1.0), _decade_label(3.0)
    ('10²', '10⁻³', '10⁰', '3')
    """
    import math

    if value > 0 and math.isfinite(value):
        exponent = round(math.log10(value))
        if math.isclose(value, 10.0**exponent, rel_tol=1e-9):
            return "10" + str(exponent).translate(SUPERSCRIPT_DIGITS)
    return _plain_log_label(value)


def _tidy_log_ticks(fig) -> None:
    """Keep log-axis tick labels readable: matplotlib labels every minor tick of an axis that
    spans about one decade, and labels such as ``3×10⁻¹`` then overlap. With two or more
    decade labels in view the minor labels are dropped and the decades read ``10ⁿ`` (plain
    text, no mathtext); with fewer, minor ticks are labelled at 2 and 5 only, in plain
    numbers.
    """
    import math

    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, NullFormatter

    for ax in fig.get_axes():
        for axis, lim, scale in (
            (ax.xaxis, ax.get_xlim(), ax.get_xscale()),
            (ax.yaxis, ax.get_ylim(), ax.get_yscale()),
        ):
            lo, hi = sorted(lim)
            if scale != "log" or not (lo > 0 and math.isfinite(hi)):
                continue
            decades = [d for d in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
            if len(decades) >= 2:
                axis.set_minor_formatter(NullFormatter())
                if isinstance(axis.get_major_formatter(), LogFormatterSciNotation):
                    axis.set_major_formatter(FuncFormatter(_decade_label))
            else:

                def minor(value: float, _pos=None) -> str:
                    mantissa = value / 10.0 ** math.floor(math.log10(value) + 1e-9)
                    return _plain_log_label(value) if round(mantissa) in (2, 5) else ""

                axis.set_minor_formatter(FuncFormatter(minor))
                axis.set_major_formatter(FuncFormatter(_plain_log_label))


# No creation dates in the files: a re-run with the same inputs gives the same bytes.
_METADATA: Mapping[str, Mapping[str, Any]] = {
    "png": {"Software": "nctransport"},
    "svg": {"Date": None, "Creator": "nctransport"},
}
