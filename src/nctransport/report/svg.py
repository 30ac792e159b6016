"""Report figures written directly as SVG text, without matplotlib (issue 17).

A report figure of an analysis cost ~0.9 s of CPU through matplotlib (0.3 s to import it,
0.15 s to draw and rasterise each figure), more than the whole curve-fit script a user
would otherwise run. The report only needs a few kinds of marks -- lines, markers, error
bars, shaded spans, a heat map with a colour bar, linear and log axes and a legend -- so
:class:`SvgFigure` draws those as plain SVG: a few milliseconds per figure, vector output
that the browser renders sharply at any zoom, and a file that is the same bytes on every
run.

:class:`SvgAxes` takes the subset of the matplotlib ``Axes`` calls that the report's
``plot_*`` functions make (``plot``, ``errorbar``, ``axvspan``, ``axvline``, ``axhline``,
``pcolormesh`` + ``figure.colorbar``, ``set_xscale("log")``, labels, ``legend``), so one
drawing function serves both a notebook's matplotlib Axes and the report.

>>> fig = SvgFigure(figsize=(4, 3))
>>> ax = fig.axes[0]
>>> _ = ax.plot([0, 1, 2], [0, 1, 4], "o-", label="data")
>>> ax.set_xlabel("t (ns)")
>>> _ = ax.legend()
>>> svg = fig.to_svg()
>>> svg.startswith("<svg") and "t (ns)" in svg
True
"""

from __future__ import annotations

import base64
import html
import math
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.report.style import LINESTYLES, OKABE_ITO, SUPERSCRIPT_DIGITS, plain_text

__all__ = ["SvgFigure", "SvgAxes", "linear_ticks", "log_ticks", "encode_png", "colormap"]

#: Pixels per inch of ``figsize``: figures come out the same size as matplotlib's at 100 dpi.
PX_PER_INCH = 100.0
_PT = PX_PER_INCH / 72.0  # font sizes are given in points, as in matplotlib
_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_TICK_PT, _LABEL_PT, _TITLE_PT = 9.0, 10.0, 10.0
_CHAR_EM = 0.58  # average glyph advance of a sans-serif font, in em (for layout estimates)
_DIGIT_EM = 0.64  # advance of a digit (DejaVu Sans 0.636, Helvetica/Arial 0.556)
_DESCENT_EM = 0.24  # a rotated label's descenders (g, p, y) reach this far to the right

#: Anchor colours of viridis (van der Walt & Smith, matplotlib's default colour map):
#: perceptually uniform, colour-blind safe and readable in greyscale.
_VIRIDIS = [
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
]

#: Anchor colours of ColorBrewer's 11-class RdBu (Harrower & Brewer 2003), reversed as
#: matplotlib's ``RdBu_r``: a diverging map for signed signals (blue < 0 < red).
_RDBU_R = [
    "#053061",
    "#2166ac",
    "#4393c3",
    "#92c5de",
    "#d1e5f0",
    "#f7f7f7",
    "#fddbc7",
    "#f4a582",
    "#d6604d",
    "#b2182b",
    "#67001f",
]

#: The colour maps a mesh can take (``cmap=``); other names fall back to viridis.
_CMAPS = {"viridis": _VIRIDIS, "RdBu_r": _RDBU_R, "RdBu": _RDBU_R[::-1]}

_NAMED = {"k": "#000000", "black": "#000000", "w": "#ffffff", "white": "#ffffff"}


def _color(spec: Any, default: str) -> str:
    """An SVG colour from a matplotlib-style spec: hex, ``"k"``, ``"white"`` or a grey level
    such as ``"0.85"``."""
    if spec is None:
        return default
    s = str(spec).strip()
    if s in _NAMED:
        return _NAMED[s]
    if re.fullmatch(r"#[0-9a-fA-F]{6}", s):
        return s.lower()
    try:
        level = float(s)
    except ValueError:
        return html.escape(s) if re.fullmatch(r"[a-zA-Z]+", s) else default
    g = round(255 * min(max(level, 0.0), 1.0))
    return f"#{g:02x}{g:02x}{g:02x}"


def colormap(values: np.ndarray, name: str = "viridis") -> np.ndarray:
    """RGB bytes (..., 3) of ``values`` in [0, 1] on the anchors of colour map ``name``
    (linear in between; ``viridis``, ``RdBu_r`` or ``RdBu``).

    >>> colormap(np.array([0.0, 1.0])).tolist()
    [[68, 1, 84], [253, 231, 37]]
    >>> colormap(np.array([0.5]), "RdBu_r").tolist()
    [[247, 247, 247]]
    """
    hexes = _CMAPS.get(name, _VIRIDIS)
    anchors = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hexes], float)
    pos = np.linspace(0.0, 1.0, len(hexes))
    v = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    rgb = np.stack([np.interp(v, pos, anchors[:, c]) for c in range(3)], axis=-1)
    return np.round(rgb).astype(np.uint8)


def encode_png(rgba: np.ndarray) -> bytes:
    """A PNG (8-bit RGBA, no filtering) of an ``(height, width, 4)`` uint8 array.

    The PNG format (ISO/IEC 15948): signature, IHDR, one zlib-compressed IDAT, IEND; each
    scan line starts with filter byte 0.
    """
    img = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = img.shape[:2]
    raw = np.zeros((h, 1 + 4 * w), dtype=np.uint8)
    raw[:, 1:] = img.reshape(h, 4 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


# -- ticks ----------------------------------------------------------------------------------


def linear_ticks(lo: float, hi: float, target: int = 6) -> np.ndarray:
    """Round tick values (steps of 1, 2, 2.5 or 5 x 10^k) inside ``[lo, hi]``.

    >>> linear_ticks(0.0, 1.0).tolist()
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> linear_ticks(-3.1, 2.9).tolist()
    [-2.0, 0.0, 2.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo]) if math.isfinite(lo) else np.array([])
    raw = (hi - lo) / max(target - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    ticks = np.arange(first, last + 1) * step
    ticks[np.abs(ticks) < step * 1e-9] = 0.0
    return np.round(ticks, max(0, 3 - math.floor(math.log10(step))))  # 0.6, not 0.6000000001


def log_ticks(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Major (labelled) and minor tick values of a log axis over ``[lo, hi]`` (both > 0).

    Decades when two or more fall inside (every other one beyond 8), else 1, 2 and 5 times
    the decades.

    >>> log_ticks(0.5, 2e3)[0].tolist()
    [1.0, 10.0, 100.0, 1000.0]
    >>> log_ticks(0.3, 2.5)[0].tolist()
    [0.5, 1.0, 2.0]
    """
    d0, d1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    decades = 10.0 ** np.arange(d0, d1 + 1)
    inside = decades[(decades >= lo * (1 - 1e-9)) & (decades <= hi * (1 + 1e-9))]
    minor = (decades[:, None] * np.arange(2, 10)[None, :]).ravel()
    minor = minor[(minor >= lo) & (minor <= hi)]
    if inside.size >= 2:
        stride = math.ceil(inside.size / 8)
        return inside[::stride], minor if d1 - d0 <= 6 else np.array([])
    major = (decades[:, None] * np.array([1.0, 2.0, 5.0])[None, :]).ravel()
    major = major[(major >= lo * (1 - 1e-9)) & (major <= hi * (1 + 1e-9))]
    if major.size < 2:  # less than a factor 2.5 in view: round linear steps
        major = linear_ticks(lo, hi)
        major = major[major > 0]
    return major, minor[~np.isin(minor, major)]


def _tick_labels(ticks: np.ndarray, log: bool) -> tuple[list[str], str]:
    """Tick labels and an offset text such as ``×10⁻³`` for very large or small values."""
    if ticks.size == 0:
        return [], ""
    if log:
        span = np.log10(ticks.max() / ticks.min()) if ticks.min() > 0 else 0.0
        out = []
        for v in ticks:
            e = round(math.log10(v))
            if span >= 3 and math.isclose(v, 10.0**e, rel_tol=1e-9):
                out.append("10" + str(e).translate(SUPERSCRIPT_DIGITS))
            else:
                out.append(f"{v:g}")
        return out, ""
    big = float(np.max(np.abs(ticks)))
    exponent = 0
    if big > 0 and (big >= 1e5 or big < 1e-2):
        exponent = math.floor(math.log10(big))
    scaled = ticks / 10.0**exponent
    step = float(np.min(np.diff(scaled))) if scaled.size > 1 else abs(float(scaled[0])) or 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    while decimals < 12 and not np.allclose(
        np.round(scaled, decimals), scaled, rtol=0, atol=step * 1e-6
    ):
        decimals += 1  # steps of 2.5 x 10^k need one more
    labels = [f"{0.0 if v == 0 else v:.{decimals}f}".replace("-", "−") for v in scaled]
    return labels, ("×10" + str(exponent).translate(SUPERSCRIPT_DIGITS) if exponent else "")


def _fmt(v: float) -> str:
    """Coordinates to a tenth of a pixel (finer than any screen shows at 100 px/inch)."""
    return f"{v:.1f}"


def _text_width(text: str, size_px: float) -> float:
    """Estimated width of ``text``: digits are wider than the average glyph (0.64 em in
    DejaVu Sans), and tick labels are mostly digits."""
    digits = sum(c.isdigit() for c in text)
    return (digits * _DIGIT_EM + (len(text) - digits) * _CHAR_EM) * size_px


def _dash(ls: str | None, lw: float) -> str:
    pattern = {"--": (3.7, 1.6), "-.": (6.4, 1.6, 1.0, 1.6), ":": (1.0, 1.65)}.get(ls or "-")
    if not pattern:
        return ""
    scale = max(lw, 1.0)
    return f' stroke-dasharray="{",".join(_fmt(p * scale) for p in pattern)}"'


# -- artists --------------------------------------------------------------------------------


@dataclass
class _Line:
    x: np.ndarray
    y: np.ndarray
    color: str
    ls: str | None  # None: no line
    lw: float
    marker: str | None
    ms: float
    alpha: float
    label: str | None
    yerr: np.ndarray | None = None

    def get_color(self) -> str:
        return self.color


@dataclass
class _Span:
    lo: float
    hi: float
    vertical: bool  # True: x-range (axvspan)
    color: str
    alpha: float
    label: str | None


@dataclass
class _RefLine:
    value: float
    vertical: bool  # True: axvline
    color: str
    ls: str
    lw: float
    label: str | None


@dataclass
class _Mesh:
    x: np.ndarray
    y: np.ndarray
    c: np.ndarray
    vmin: float
    vmax: float
    cmap: str = "viridis"

    def set_rasterized(self, _flag: bool) -> None:
        """As matplotlib's; a mesh is always drawn as one image here."""


@dataclass
class _Colorbar:
    mesh: _Mesh
    label: str = ""

    def set_label(self, text: str) -> None:
        self.label = plain_text(str(text))


_FMT = re.compile(r"^(?P<marker>[os^.])?(?P<ls>--|-\.|-|:)?(?P<marker2>[os^.])?$")


@dataclass
class SvgAxes:
    """One panel of an :class:`SvgFigure`, with matplotlib's Axes calling conventions."""

    figure: SvgFigure
    artists: list[Any] = field(default_factory=list)
    xscale: str = "linear"
    yscale: str = "linear"
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    show_grid: bool = True
    legend_spec: dict[str, Any] | None = None
    colorbar: _Colorbar | None = None
    share_x_with: SvgAxes | None = None
    _cycle: int = 0

    #: Lets drawing code tell this backend from matplotlib's without importing it.
    is_svg = True

    # -- matplotlib-compatible calls --------------------------------------------------------
    def _next_style(self) -> tuple[str, str]:
        k = self._cycle
        self._cycle += 1
        return OKABE_ITO[k % len(OKABE_ITO)], LINESTYLES[k % len(LINESTYLES)]

    def plot(self, x: Any, y: Any, fmt: str = "", **kw: Any) -> list[_Line]:
        m = _FMT.match(fmt.strip())
        if m is None:
            raise ValueError(f"unsupported format string {fmt!r}")
        marker = kw.get("marker", m.group("marker") or m.group("marker2"))
        ls = kw.get("ls", kw.get("linestyle", m.group("ls")))
        # as matplotlib: an explicit colour does not advance the colour cycle
        color, cycle_ls = self._next_style() if kw.get("color") is None else (None, "-")
        if ls is None and marker is None:
            ls = cycle_ls
        line = _Line(
            x=np.asarray(x, dtype=float).ravel(),
            y=np.asarray(y, dtype=float).ravel(),
            color=_color(kw.get("color"), color),
            ls=None if ls in ("", "none", "None") else ls,
            lw=float(kw.get("lw", kw.get("linewidth", 1.6))),
            marker=marker,
            ms=float(kw.get("ms", kw.get("markersize", 4.0))),
            alpha=float(kw.get("alpha", 1.0) if kw.get("alpha") is not None else 1.0),
            label=_label(kw.get("label")),
        )
        self.artists.append(line)
        return [line]

    def errorbar(self, x: Any, y: Any, yerr: Any = None, fmt: str = "o", **kw: Any) -> _Line:
        (line,) = self.plot(x, y, fmt, **kw)
        if yerr is not None:
            line.yerr = np.broadcast_to(np.asarray(yerr, dtype=float), line.y.shape).copy()
        return line

    def axvspan(self, lo: float, hi: float, **kw: Any) -> None:
        self.artists.append(
            _Span(
                float(lo),
                float(hi),
                True,
                _color(kw.get("color"), "#d9d9d9"),
                float(kw.get("alpha", 1.0)),
                _label(kw.get("label")),
            )
        )

    def axvline(self, x: float, **kw: Any) -> None:
        self._refline(x, True, kw)

    def axhline(self, y: float, **kw: Any) -> None:
        self._refline(y, False, kw)

    def _refline(self, v: float, vertical: bool, kw: dict[str, Any]) -> None:
        self.artists.append(
            _RefLine(
                float(v),
                vertical,
                _color(kw.get("color"), "#000000"),
                kw.get("ls", kw.get("linestyle", "-")),
                float(kw.get("lw", 1.0)),
                _label(kw.get("label")),
            )
        )

    def pcolormesh(self, x: Any, y: Any, c: Any, **kw: Any) -> _Mesh:
        """An image of ``c[len(y), len(x)]`` with cells centred on ``x`` and ``y``
        (matplotlib's ``shading="nearest"``); NaN cells are left transparent.

        ``vmin``/``vmax`` fix the colour range (default: the data's), ``cmap`` names one of
        the maps of :func:`colormap`.
        """
        c = np.asarray(c, dtype=float)
        finite = c[np.isfinite(c)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        lo = lo if kw.get("vmin") is None else float(kw["vmin"])
        hi = hi if kw.get("vmax") is None else float(kw["vmax"])
        cmap = str(kw.get("cmap") or "viridis")
        mesh = _Mesh(np.asarray(x, float).ravel(), np.asarray(y, float).ravel(), c, lo, hi, cmap)
        self.artists.append(mesh)
        return mesh

    def set_xscale(self, scale: str, **_kw: Any) -> None:
        self.xscale = scale

    def set_yscale(self, scale: str, **_kw: Any) -> None:
        self.yscale = scale

    def set_xlim(self, lo: float, hi: float) -> None:
        self.xlim = (float(lo), float(hi))

    def set_ylim(self, lo: float, hi: float) -> None:
        self.ylim = (float(lo), float(hi))

    def set_xlabel(self, text: str) -> None:
        self.xlabel = plain_text(str(text))

    def set_ylabel(self, text: str) -> None:
        self.ylabel = plain_text(str(text))

    def set_title(self, text: str) -> None:
        self.title = plain_text(str(text))

    def grid(self, visible: bool = True, **_kw: Any) -> None:
        self.show_grid = bool(visible)

    def legend(self, **kw: Any) -> None:
        self.legend_spec = kw

    # -- layout -----------------------------------------------------------------------------
    def _limits(self, axis: str) -> tuple[float, float]:
        if axis == "x" and self.share_x_with is not None:
            return self.share_x_with._limits("x")
        fixed = self.xlim if axis == "x" else self.ylim
        if fixed is not None:
            return fixed
        log = (self.xscale if axis == "x" else self.yscale) == "log"
        vals: list[np.ndarray] = []
        tight = False
        for a in self.artists:
            if isinstance(a, _Line):
                v = a.x if axis == "x" else a.y
                ok = np.isfinite(a.x) & np.isfinite(a.y)
                vals.append(v[ok])
                if axis == "y" and a.yerr is not None:
                    e = np.where(np.isfinite(a.yerr), a.yerr, 0.0)[ok]
                    vals += [v[ok] - e, v[ok] + e]
            elif isinstance(a, _Mesh):
                tight = True
                vals.append(_edges(a.x if axis == "x" else a.y))
            elif isinstance(a, _Span) and a.vertical and axis == "x":
                vals.append(np.array([a.lo, a.hi]))
            elif isinstance(a, _RefLine) and a.vertical == (axis == "x"):
                vals.append(np.array([a.value]))
        v = np.concatenate(vals) if vals else np.array([])
        v = v[np.isfinite(v) & ((v > 0) if log else True)]
        if v.size == 0:
            return (1.0, 10.0) if log else (0.0, 1.0)
        lo, hi = float(v.min()), float(v.max())
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        if not tight:  # matplotlib's default 5% margins
            pad = 0.05 * (hi - lo)
            lo, hi = lo - pad, hi + pad
        return (10.0**lo, 10.0**hi) if log else (lo, hi)


def _label(text: Any) -> str | None:
    if text is None or str(text).startswith("_"):
        return None
    return plain_text(str(text))


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges halfway between centres (matplotlib's ``shading="nearest"``)."""
    c = np.asarray(centres, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


class SvgFigure:
    """A figure of ``nrows x ncols`` :class:`SvgAxes` (``figure.axes`` in reading order).

    Parameters
    ----------
    nrows, ncols
        Grid of panels.
    figsize
        Width and height in inches (100 px per inch, as matplotlib at 100 dpi).
    height_ratios
        Relative heights of the rows.
    sharex
        All panels share the x limits of the first one.
    """

    def __init__(
        self,
        nrows: int = 1,
        ncols: int = 1,
        *,
        figsize: tuple[float, float] = (6.0, 4.0),
        height_ratios: Sequence[float] | None = None,
        sharex: bool = False,
    ) -> None:
        self.width = float(figsize[0]) * PX_PER_INCH
        self.height = float(figsize[1]) * PX_PER_INCH
        self.nrows, self.ncols = int(nrows), int(ncols)
        self.height_ratios = list(height_ratios or [1.0] * self.nrows)
        self.margins = {"left": 0.1, "right": 0.97, "bottom": 0.12, "top": 0.92}
        self.wspace, self.hspace = 0.25, 0.2
        self.axes = [SvgAxes(self) for _ in range(self.nrows * self.ncols)]
        if sharex:
            for a in self.axes[1:]:
                a.share_x_with = self.axes[0]

    def subplots_adjust(self, **kw: float) -> None:
        """Margins as fractions of the figure, and gaps as fractions of a panel, as in
        matplotlib's ``Figure.subplots_adjust``."""
        self.wspace = kw.pop("wspace", self.wspace)
        self.hspace = kw.pop("hspace", self.hspace)
        self.margins.update(kw)

    def colorbar(self, mesh: _Mesh, ax: SvgAxes, **kw: Any) -> _Colorbar:
        ax.colorbar = _Colorbar(mesh)
        if kw.get("label"):
            ax.colorbar.set_label(kw["label"])
        return ax.colorbar

    def _boxes(self) -> list[tuple[float, float, float, float]]:
        """(x0, y0, width, height) in pixels of each panel, top-left origin."""
        m = self.margins
        left, right = m["left"] * self.width, m["right"] * self.width
        top, bottom = (1 - m["top"]) * self.height, (1 - m["bottom"]) * self.height
        cw = (right - left) / (self.ncols + self.wspace * (self.ncols - 1))
        ratios = np.asarray(self.height_ratios, dtype=float)
        mean_h = (bottom - top) / (ratios.sum() + self.hspace * (self.nrows - 1)) * ratios.mean()
        heights = (bottom - top - self.hspace * mean_h * (self.nrows - 1)) * ratios / ratios.sum()
        boxes = []
        for k in range(self.nrows * self.ncols):
            r, c = divmod(k, self.ncols)
            x0 = left + c * cw * (1 + self.wspace)
            y0 = top + float(heights[:r].sum()) + r * self.hspace * mean_h
            boxes.append((x0, y0, cw, float(heights[r])))
        return boxes

    def to_svg(self) -> str:
        """The figure as a standalone SVG document."""
        w, h = self.width, self.height
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(w)}" height="{_fmt(h)}" '
            f'viewBox="0 0 {_fmt(w)} {_fmt(h)}" font-family="{_FONT}">',
            f'<rect width="{_fmt(w)}" height="{_fmt(h)}" fill="#ffffff"/>',
        ]
        for k, (ax, box) in enumerate(zip(self.axes, self._boxes(), strict=True)):
            parts.append(_draw_axes(ax, box, k))
        parts.append("</svg>")
        return "\n".join(parts) + "\n"

    def save(self, out_dir: str | Path, name: str) -> Path:
        """Write ``out_dir/name.svg`` atomically and return its path."""
        from nctransport.io.atomic import write_text

        return write_text(Path(out_dir) / f"{name}.svg", self.to_svg())


# -- drawing --------------------------------------------------------------------------------


class _Scale:
    """Data -> pixel along one axis (log axes map log10 of the data)."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float, log: bool) -> None:
        self.log = log
        self.lo, self.hi = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
        self.p0, self.p1 = p0, p1

    def __call__(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
        span = (self.hi - self.lo) or 1.0
        return self.p0 + (v - self.lo) / span * (self.p1 - self.p0)


def _draw_axes(ax: SvgAxes, box: tuple[float, float, float, float], k: int) -> str:
    x0, y0, w, h = box
    if ax.colorbar is not None:  # the colour bar takes the right edge of the panel
        w -= 0.06 * ax.figure.width + 70
    xlo, xhi = ax._limits("x")
    ylo, yhi = ax._limits("y")
    sx = _Scale(xlo, xhi, x0, x0 + w, ax.xscale == "log")
    sy = _Scale(ylo, yhi, y0 + h, y0, ax.yscale == "log")
    tick_px, label_px, title_px = _TICK_PT * _PT, _LABEL_PT * _PT, _TITLE_PT * _PT
    out = [
        f'<clipPath id="c{k}"><rect x="{_fmt(x0)}" y="{_fmt(y0)}" width="{_fmt(w)}" '
        f'height="{_fmt(h)}"/></clipPath>'
    ]
    xmaj, xmin = _ticks(xlo, xhi, ax.xscale == "log")
    ymaj, ymin = _ticks(ylo, yhi, ax.yscale == "log")
    if ax.show_grid:
        grid = [f"M{_fmt(p)} {_fmt(y0)}V{_fmt(y0 + h)}" for p in sx(xmaj)]
        grid += [f"M{_fmt(x0)} {_fmt(p)}H{_fmt(x0 + w)}" for p in sy(ymaj)]
        out.append(
            f'<path d="{"".join(grid)}" stroke="#b0b0b0" stroke-opacity="0.3" '
            'stroke-width="0.8" fill="none"/>'
        )
    # matplotlib's stacking: images (zorder 0), then patches (1), then lines (2)
    order = sorted(
        ax.artists, key=lambda a: 0 if isinstance(a, _Mesh) else int(not isinstance(a, _Span)) + 1
    )
    body = [_draw_artist(a, sx, sy, (x0, y0, w, h)) for a in order]
    out.append(f'<g clip-path="url(#c{k})">{"".join(body)}</g>')
    # spines: left and bottom (the project style drops top and right)
    out.append(
        f'<path d="M{_fmt(x0)} {_fmt(y0)}V{_fmt(y0 + h)}H{_fmt(x0 + w)}" stroke="#000000" '
        'stroke-width="0.8" fill="none"/>'
    )
    hide_x_labels = any(o.share_x_with is ax for o in ax.figure.axes) and ax.share_x_with is None
    out.append(
        _axis_ticks(
            sx, xmaj, xmin, "x", y0 + h, tick_px, ax.xscale == "log", labels=not hide_x_labels
        )
    )
    yticks_svg, ywidth = _yticks(sy, ymaj, ymin, x0, tick_px, ax.yscale == "log")
    out.append(yticks_svg)
    if ax.xlabel and not hide_x_labels:
        out.append(_text(x0 + w / 2, y0 + h + tick_px + 6 + label_px, ax.xlabel, label_px))
    if ax.ylabel:
        xl = x0 - ywidth - 10 - _DESCENT_EM * label_px
        out.append(_text(xl, y0 + h / 2, ax.ylabel, label_px, rotate=True))
    if ax.title:
        out.append(_text(x0 + w / 2, y0 - 6, ax.title, title_px))
    if ax.legend_spec is not None:
        out.append(_legend(ax, sx, sy, (x0, y0, w, h)))
    if ax.colorbar is not None:
        out.append(_draw_colorbar(ax.colorbar, x0 + w + 0.01 * ax.figure.width, y0, h, k))
    return "\n".join(out)


def _ticks(lo: float, hi: float, log: bool) -> tuple[np.ndarray, np.ndarray]:
    if log:
        return log_ticks(lo, hi)
    return linear_ticks(lo, hi), np.array([])


def _axis_ticks(
    s: _Scale,
    major: np.ndarray,
    minor: np.ndarray,
    axis: str,
    y: float,
    size: float,
    log: bool,
    labels: bool = True,
) -> str:
    path = [f"M{_fmt(p)} {_fmt(y)}v3.5" for p in s(major)]
    path += [f"M{_fmt(p)} {_fmt(y)}v2" for p in s(minor)]
    out = [f'<path d="{"".join(path)}" stroke="#000000" stroke-width="0.8"/>'] if path else []
    if labels:
        texts, offset = _tick_labels(major, log)
        out += [_text(p, y + 5 + size, t, size) for p, t in zip(s(major), texts, strict=True)]
        if offset:
            out.append(_text(s.p1, y + 8 + 2 * size, offset, size, anchor="end"))
    return "".join(out)


def _yticks(
    s: _Scale, major: np.ndarray, minor: np.ndarray, x: float, size: float, log: bool
) -> tuple[str, float]:
    path = [f"M{_fmt(x)} {_fmt(p)}h-3.5" for p in s(major)]
    path += [f"M{_fmt(x)} {_fmt(p)}h-2" for p in s(minor)]
    out = [f'<path d="{"".join(path)}" stroke="#000000" stroke-width="0.8"/>'] if path else []
    texts, offset = _tick_labels(major, log)
    out += [
        _text(x - 6, p + size * 0.35, t, size, anchor="end")
        for p, t in zip(s(major), texts, strict=True)
    ]
    if offset:
        out.append(_text(x, s.p1 - 6, offset, size, anchor="start"))
    width = max((_text_width(t, size) for t in texts), default=0.0)
    return "".join(out), width


def _text(
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    anchor: str = "middle",
    rotate: bool = False,
    fill: str = "#000000",
) -> str:
    rot = f' transform="rotate(-90 {_fmt(x)} {_fmt(y)})"' if rotate else ""
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{_fmt(size)}" text-anchor="{anchor}" '
        f'fill="{fill}"{rot}>{html.escape(text)}</text>'
    )


def _points(sx: _Scale, sy: _Scale, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    px, py = sx(x), sy(y)
    ok = np.isfinite(px) & np.isfinite(py)
    return px, py, ok


def _draw_artist(a: Any, sx: _Scale, sy: _Scale, box: tuple[float, ...]) -> str:
    x0, y0, w, h = box
    if isinstance(a, _Span):
        p = np.sort(sx(np.array([a.lo, a.hi])))
        if not np.all(np.isfinite(p)):
            return ""
        return (
            f'<rect x="{_fmt(p[0])}" y="{_fmt(y0)}" width="{_fmt(p[1] - p[0])}" '
            f'height="{_fmt(h)}" fill="{a.color}" fill-opacity="{a.alpha:g}"/>'
        )
    if isinstance(a, _RefLine):
        p = float((sx if a.vertical else sy)(np.array([a.value]))[0])
        if not math.isfinite(p):
            return ""
        d = (
            f"M{_fmt(p)} {_fmt(y0)}V{_fmt(y0 + h)}"
            if a.vertical
            else (f"M{_fmt(x0)} {_fmt(p)}H{_fmt(x0 + w)}")
        )
        return (
            f'<path d="{d}" stroke="{a.color}" stroke-width="{_fmt(a.lw)}" fill="none"'
            f"{_dash(a.ls, a.lw)}/>"
        )
    if isinstance(a, _Mesh):
        return _draw_mesh(a, sx, sy)
    px, py, ok = _points(sx, sy, a.x, a.y)
    out = []
    opacity = f' opacity="{a.alpha:g}"' if a.alpha < 1 else ""
    if a.yerr is not None:
        e = np.where(np.isfinite(a.yerr), a.yerr, 0.0)
        lo, hi = sy(a.y - e), sy(a.y + e)
        cap = 2.0
        d = []
        caps = f"h{_fmt(2 * cap)}"
        for xi, l, u, good in zip(px.tolist(), lo.tolist(), hi.tolist(), ok.tolist(), strict=True):
            if good and math.isfinite(l) and math.isfinite(u) and abs(u - l) > 0.5:
                d.append(
                    f"M{xi:.1f} {l:.1f}V{u:.1f}M{xi - cap:.1f} {l:.1f}{caps}"
                    f"M{xi - cap:.1f} {u:.1f}{caps}"
                )
        if d:
            out.append(
                f'<path d="{"".join(d)}" stroke="{a.color}" stroke-width="0.8" '
                f'fill="none"{opacity}/>'
            )
    if a.ls is not None:
        segs, pen = [], False
        for xi, yi, good in zip(px.tolist(), py.tolist(), ok.tolist(), strict=True):
            if good:
                segs.append(f"{'L' if pen else 'M'}{xi:.1f} {yi:.1f}")
            pen = good
        if segs:
            out.append(
                f'<path d="{"".join(segs)}" stroke="{a.color}" stroke-width="{_fmt(a.lw)}" '
                f'fill="none" stroke-linejoin="round"{_dash(a.ls, a.lw)}{opacity}/>'
            )
    if a.marker is not None:
        r = max(a.ms * _PT / 2, 0.8) if a.marker != "." else 1.2
        xs, ys = (px[ok] - r).tolist(), py[ok].tolist()
        if a.marker == "s":
            shape = f"h{_fmt(2 * r)}v{_fmt(2 * r)}h{_fmt(-2 * r)}z"
            d = "".join(f"M{xi:.1f} {yi - r:.1f}{shape}" for xi, yi in zip(xs, ys, strict=True))
        else:  # a circle as two arcs: one path for all markers
            rr = f"{_fmt(r)} {_fmt(r)} 0 1 0 "
            shape = f"a{rr}{_fmt(2 * r)} 0a{rr}{_fmt(-2 * r)} 0"
            d = "".join(f"M{xi:.1f} {yi:.1f}{shape}" for xi, yi in zip(xs, ys, strict=True))
        if d:
            out.append(f'<path d="{d}" fill="{a.color}" stroke="none"{opacity}/>')
    return "".join(out)


def _draw_mesh(m: _Mesh, sx: _Scale, sy: _Scale) -> str:
    """The mesh as one PNG image; rows and columns are resampled to a regular grid by
    nearest cell, so uneven time steps (log-spaced delays) show at their true place."""
    xe, ye = _edges(m.x), _edges(m.y)
    px, py = sx(xe), sy(ye)
    if not (np.all(np.isfinite(px)) and np.all(np.isfinite(py))):
        return ""
    left, right = float(px.min()), float(px.max())
    top, bottom = float(py.min()), float(py.max())
    nx = int(min(max(m.x.size, 2), 1024))
    ny = int(min(max(m.y.size, 2), 1024))
    if not (_regular(m.x) and _regular(m.y)):
        nx, ny = max(nx, 400), max(ny, 400)
    # pixel centres back to data, then to the cell that holds them
    xc = left + (np.arange(nx) + 0.5) / nx * (right - left)
    yc = top + (np.arange(ny) + 0.5) / ny * (bottom - top)
    ix = np.clip(np.searchsorted(np.sort(px), xc) - 1, 0, m.x.size - 1)
    iy_sorted = np.clip(np.searchsorted(np.sort(py), yc) - 1, 0, m.y.size - 1)
    if px[0] > px[-1]:
        ix = m.x.size - 1 - ix
    iy = iy_sorted if py[0] <= py[-1] else m.y.size - 1 - iy_sorted
    vals = m.c[np.ix_(iy, ix)]
    span = (m.vmax - m.vmin) or 1.0
    rgba = np.zeros(vals.shape + (4,), dtype=np.uint8)
    good = np.isfinite(vals)
    rgba[..., :3] = colormap(np.where(good, (vals - m.vmin) / span, 0.0), m.cmap)
    rgba[..., 3] = np.where(good, 255, 0)
    data = base64.b64encode(encode_png(rgba)).decode("ascii")
    return (
        f'<image x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(right - left)}" '
        f'height="{_fmt(bottom - top)}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>'
    )


def _regular(c: np.ndarray) -> bool:
    d = np.diff(np.asarray(c, dtype=float))
    return d.size == 0 or bool(np.allclose(d, d[0], rtol=1e-3, atol=0))


def _draw_colorbar(cb: _Colorbar, x: float, y: float, h: float, k: int) -> str:
    w = 14.0
    m = cb.mesh
    hexes = _CMAPS.get(m.cmap, _VIRIDIS)
    stops = "".join(
        f'<stop offset="{i / (len(hexes) - 1):.3f}" stop-color="{c}"/>' for i, c in enumerate(hexes)
    )
    out = [
        f'<linearGradient id="g{k}" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient>',
        f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{_fmt(h)}" '
        f'fill="url(#g{k})" stroke="#000000" stroke-width="0.8"/>',
    ]
    s = _Scale(m.vmin, m.vmax if m.vmax > m.vmin else m.vmin + 1.0, y + h, y, False)
    ticks = linear_ticks(s.lo, s.hi, target=6)
    size = _TICK_PT * _PT
    path = "".join(f"M{_fmt(x + w)} {_fmt(p)}h3.5" for p in s(ticks))
    out.append(f'<path d="{path}" stroke="#000000" stroke-width="0.8"/>')
    texts, offset = _tick_labels(ticks, False)
    out += [
        _text(x + w + 6, p + size * 0.35, t, size, anchor="start")
        for p, t in zip(s(ticks), texts, strict=True)
    ]
    if offset:
        out.append(_text(x, y - 6, offset, size, anchor="start"))
    width = max((_text_width(t, size) for t in texts), default=0.0)
    if cb.label:
        out.append(
            _text(
                x + w + 12 + width + _LABEL_PT * _PT * 0.8,
                y + h / 2,
                cb.label,
                _LABEL_PT * _PT,
                rotate=True,
            )
        )
    return "".join(out)


def _legend(ax: SvgAxes, sx: _Scale, sy: _Scale, box: tuple[float, ...]) -> str:
    spec = ax.legend_spec or {}
    entries = [a for a in ax.artists if getattr(a, "label", None)]
    if not entries:
        return ""
    size = float(spec.get("fontsize", 9)) * _PT
    color = _color(spec.get("labelcolor"), "#000000")
    row = size * 1.35
    sample = 22.0
    width = sample + 8 + max(_text_width(a.label, size) for a in entries) + 10
    height = row * len(entries) + 6
    x0, y0, w, h = box
    corners = {
        "upper right": (x0 + w - width - 4, y0 + 4),
        "upper left": (x0 + 4, y0 + 4),
        "lower right": (x0 + w - width - 4, y0 + h - height - 4),
        "lower left": (x0 + 4, y0 + h - height - 4),
    }
    loc = spec.get("loc", "best")
    if loc not in corners:  # "best": the corner that hides the fewest data points
        loc = min(corners, key=lambda c: _covered(ax, sx, sy, corners[c], width, height))
    lx, ly = corners[loc]
    out = []
    if spec.get("frameon", True) is not False:
        out.append(
            f'<rect x="{_fmt(lx)}" y="{_fmt(ly)}" width="{_fmt(width)}" '
            f'height="{_fmt(height)}" fill="#ffffff" fill-opacity="0.8" rx="2"/>'
        )
    for i, a in enumerate(entries):
        cy = ly + 3 + row * (i + 0.5)
        sx0, sx1 = lx + 4, lx + 4 + sample
        if isinstance(a, _Span):
            out.append(
                f'<rect x="{_fmt(sx0)}" y="{_fmt(cy - size / 3)}" width="{_fmt(sample)}" '
                f'height="{_fmt(2 * size / 3)}" fill="{a.color}" '
                f'fill-opacity="{a.alpha:g}"/>'
            )
        elif isinstance(a, _RefLine) or (isinstance(a, _Line) and a.ls is not None):
            ls, lw = a.ls, a.lw
            out.append(
                f'<path d="M{_fmt(sx0)} {_fmt(cy)}H{_fmt(sx1)}" stroke="{a.color}" '
                f'stroke-width="{_fmt(lw)}"{_dash(ls, lw)}/>'
            )
        if isinstance(a, _Line) and a.marker is not None:
            r = max(a.ms * _PT / 2, 0.8)
            out.append(
                f'<circle cx="{_fmt((sx0 + sx1) / 2)}" cy="{_fmt(cy)}" r="{_fmt(r)}" '
                f'fill="{a.color}"/>'
            )
        out.append(_text(sx1 + 6, cy + size * 0.35, a.label, size, anchor="start", fill=color))
    return "".join(out)


def _covered(
    ax: SvgAxes, sx: _Scale, sy: _Scale, corner: tuple[float, float], w: float, h: float
) -> int:
    x0, y0 = corner
    n = 0
    for a in ax.artists:
        if isinstance(a, _Line):
            px, py, ok = _points(sx, sy, a.x, a.y)
            n += int(np.sum(ok & (px >= x0) & (px <= x0 + w) & (py >= y0) & (py <= y0 + h)))
    return n
