"""Project figure style and saving (PNG + SVG, atomically).

Palette: Okabe-Ito, which stays distinguishable for the common colour-vision deficiencies.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # never needs a display; the CLI and tests run headless

import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402

from nctransport.io.atomic import atomic_path  # noqa: E402

OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "figure.constrained_layout.use": True,
}


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=(6.0, 4.0), **kwargs):
    """A figure and axes in the project style (use instead of ``plt.subplots``)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    return fig, ax


def save_figure(fig, out_dir: str | Path, name: str) -> list[Path]:
    """Save ``fig`` as ``out_dir/name.png`` and ``.svg`` (atomically) and close it."""
    out = Path(out_dir)
    paths = []
    with plt.rc_context(STYLE):
        for ext in ("png", "svg"):
            target = out / f"{name}.{ext}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext)
            paths.append(target)
    plt.close(fig)
    return paths
