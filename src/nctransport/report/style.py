"""Figure palette and axis labels shared by the matplotlib and the SVG figure writers.

Nothing here imports matplotlib: report figures drawn by :mod:`nctransport.report.svg`
use the same colours and labels without paying for it (issue 17).

Palette: Okabe-Ito (Okabe & Ito, "Color Universal Design", 2008), which stays distinguishable
for the common colour-vision deficiencies.
"""

from __future__ import annotations

import re

#: Okabe-Ito colours, blue first (the colour of "data" in every nctransport figure).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

#: Semantic colours used consistently across commands.
COLORS = {
    "data": OKABE_ITO[0],
    "fit": OKABE_ITO[1],
    "model": OKABE_ITO[2],
    "reference": "#555555",
    "warning": OKABE_ITO[4],
}

#: Line styles that cycle with the colours, so curves differ in greyscale print too.
LINESTYLES = ["-", "--", "-.", ":"]

_UNIT_PRETTY = {
    "um": "µm",
    "us": "µs",
    "uJ": "µJ",
    "ohm": "Ω",
    "deg": "°",
}


def pretty_unit(unit: str) -> str:
    """Unit string for an axis label: powers become superscripts, ``um`` becomes µm.

    >>> pretty_unit("cm2/s")
    'cm$^2$/s'
    >>> pretty_unit("m^-3")
    'm$^{-3}$'
    >>> pretty_unit("um")
    'µm'
    >>> pretty_unit("1e-14cm2")
    '1e-14cm$^2$'
    """
    text = unit.strip()
    for plain, nice in _UNIT_PRETTY.items():
        text = re.sub(rf"\b{plain}\b", nice, text)

    def sup(m: re.Match[str]) -> str:
        power = m.group(2)
        return f"{m.group(1)}$^{{{power}}}$" if len(power) > 1 else f"{m.group(1)}$^{power}$"

    # "cm2", "m^-3", "nm^2": a letter followed by an (optionally ^-prefixed) integer power
    return re.sub(r"(?<![\d.])([A-Za-zµΩ])\^?(-?\d+)(?![\d.])", sup, text)


def axis_label(quantity: str, unit: str | None = None) -> str:
    """``("time", "ns")`` -> ``"time (ns)"``; a dimensionless quantity has no unit part.

    >>> axis_label("J", "A/m2")
    'J (A/m$^2$)'
    >>> axis_label("slope")
    'slope'
    """
    return quantity if not unit else f"{quantity} ({pretty_unit(unit)})"


def label_axes(
    ax,
    *,
    x: tuple[str, str | None] | str | None = None,
    y: tuple[str, str | None] | str | None = None,
    title: str | None = None,
) -> None:
    """Label ``ax`` with quantity and unit on each axis, e.g. ``x=("time", "ns")``.

    Works on a matplotlib Axes and on an :class:`nctransport.report.svg.SvgAxes`.
    """
    for setter, spec in ((ax.set_xlabel, x), (ax.set_ylabel, y)):
        if spec is None:
            continue
        setter(axis_label(*spec) if isinstance(spec, tuple) else spec)
    if title is not None:
        ax.set_title(title)


#: ``str.translate`` table: digits and minus sign to Unicode superscripts (``10⁻³``).
SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_text(label: str) -> str:
    """A label without mathtext: ``$^{-3}$`` and ``$^2$`` become Unicode superscripts.

    >>> plain_text("n (m$^{-3}$)"), plain_text("D (cm$^2$/s)")
    ('n (m⁻³)', 'D (cm²/s)')
    """
    return re.sub(r"\$\^\{?(-?\d+)\}?\$", lambda m: m.group(1).translate(SUPERSCRIPT_DIGITS), label)
