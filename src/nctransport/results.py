"""Results are frozen dataclasses; this module turns them (and numpy values) into JSON.

Every ``results.json`` carries ``input`` {path, sha256}, ``settings`` and
``nctransport_version`` so a number can always be traced to its data and code.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.io.atomic import write_text

#: Element types a list may hold to be converted without a call per element (bools from
#: NumPy are ``np.bool_`` and take the slow path).
_PLAIN = frozenset({float, int, bool, str, type(None)})


def to_jsonable(obj: Any) -> Any:
    """Recursively convert dataclasses, numpy scalars/arrays, paths and enums to JSON types.

    Non-finite floats become ``None`` (JSON has no NaN).

    >>> to_jsonable({"a": np.float64(1.5), "b": np.array([1, 2]), "c": float("nan")})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        types = set(map(type, obj))
        if types <= _PLAIN:  # a plain series: no call per element
            if float not in types or (
                types == {float} and np.isfinite(np.fromiter(obj, float, len(obj))).all()
            ):
                return list(obj)
            # inf - inf and nan - nan are nan: non-finite floats become None
            return [None if type(v) is float and v - v != 0.0 else v for v in obj]
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _array_to_jsonable(obj)
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    return obj


def _array_to_jsonable(a: np.ndarray) -> Any:
    """Numeric arrays in one vectorised step (``tolist`` gives Python numbers; non-finite
    floats become None via an object array), so serialising costs what is written rather
    than a Python-level walk of every element. Other dtypes fall back to the walk."""
    if a.dtype.kind in "biu":
        return a.tolist()
    if a.dtype.kind == "f":
        finite = np.isfinite(a)
        if finite.all():
            return a.astype(float, copy=False).tolist()
        o = a.astype(float).astype(object)
        o[~finite] = None
        return o.tolist()
    return to_jsonable(a.tolist())


def dumps(obj: Any) -> str:
    """Deterministic, indented JSON text; a list of plain values (a series of numbers) is
    written on one line.

    >>> print(dumps({"d": 1.5, "msd": {"t_ns": [0.1, 0.2], "err": [None, 3.0]}}), end="")
    {
      "d": 1.5,
      "msd": {
        "t_ns": [0.1, 0.2],
        "err": [null, 3.0]
      }
    }
    """
    return _dumps_json(to_jsonable(obj), "") + "\n"


def _dumps_json(obj: Any, pad: str) -> str:
    """``json.dumps(obj, indent=2)`` except that lists without containers stay on one line.

    json's indented output is written by its pure-Python encoder, element by element
    (60 ms for an analysis of 2000 frames); the compact C encoder writes each series."""
    inner = pad + "  "
    if isinstance(obj, dict) and obj:
        items = (f"{inner}{json.dumps(str(k))}: {_dumps_json(v, inner)}" for k, v in obj.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and not _PLAIN.issuperset(map(type, obj)):
        return "[\n" + ",\n".join(inner + _dumps_json(v, inner) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, allow_nan=False)


def write_json(path: str | Path, obj: Any) -> Path:
    """Atomically write ``obj`` as JSON."""
    return write_text(path, dumps(obj))


def provenance(path: str | Path | None, sha256: str | None, settings: Mapping[str, Any]) -> dict:
    """The common tail of every results.json."""
    from nctransport import __version__

    return {
        "input": {"path": None if path is None else str(path), "sha256": sha256},
        "settings": to_jsonable(dict(settings)),
        "nctransport_version": __version__,
    }


# ---------------------------------------------------------------------------------------------
# The result protocol shared by every workflow (analyze, fit_decay, simulate, sclc, ...).
# ---------------------------------------------------------------------------------------------

#: The one rule for confidence intervals, quoted in docs/python.md: ``ci95`` is the two-sided
#: 95 % interval of the method named in ``ci_method``. Regression fits with ``dof`` residual
#: degrees of freedom use value +/- t(0.975, dof) * stderr; likelihood fits without dof use the
#: normal quantile 1.96; ``profile`` and ``bootstrap`` intervals are asymmetric and say so.
CI_METHODS = ("t", "normal", "profile", "bootstrap", "none")


def unit_suffix(unit: str) -> str:
    """Key-safe form of a unit for JSON keys: ``cm^2/s`` -> ``cm2_s``, ``m^2/(V s)`` -> ``m2_V_s``.

    >>> unit_suffix("cm^2/s"), unit_suffix("m^2/(V*s)"), unit_suffix("ns"), unit_suffix("")
    ('cm2_s', 'm2_V_s', 'ns', '')
    """
    s = unit.replace("^", "").replace("**", "")
    for ch in "/*· ()":
        s = s.replace(ch, "_")
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A fitted number with its uncertainty: value, 1-sigma standard error and 95 % CI.

    ``unit`` is pint-parsable text in the field's reporting unit (``cm^2/s``, ``ns``,
    ``m^2/(V*s)``, ``eV``); ``ci_method`` is one of :data:`CI_METHODS`.

    >>> e = Estimate.from_stderr(0.05, 0.001, "cm^2/s", dof=20)
    >>> round(e.ci95[0], 5), round(e.ci95[1], 5)
    (0.04791, 0.05209)
    >>> e.to_dict()["value_cm2_s"], e.to_dict()["ci_method"]
    (0.05, 't')
    >>> str(Estimate(2.5, 0.1, (2.3, 2.7), "ns"))
    '2.5 ± 0.1 ns (95% CI [2.3, 2.7])'
    """

    value: float
    stderr: float | None = None
    ci95: tuple[float, float] | None = None
    unit: str = ""
    ci_method: str = "normal"

    def __post_init__(self) -> None:
        if self.ci_method not in CI_METHODS:
            raise ValueError(f"ci_method must be one of {CI_METHODS}, got {self.ci_method!r}")

    @classmethod
    def from_stderr(
        cls, value: float, stderr: float | None, unit: str = "", *, dof: int | None = None
    ) -> Estimate:
        """Symmetric CI from a standard error: Student t with ``dof``, else normal."""
        if stderr is None or not math.isfinite(float(stderr)):
            return cls(float(value), None, None, unit, "none")
        if dof is not None and dof > 0:
            from scipy import special  # t.ppf(q, dof) without scipy.stats' ~0.5 s import

            q, method = float(special.stdtrit(dof, 0.975)), "t"
        else:
            q, method = 1.959963984540054, "normal"
        v, s = float(value), float(stderr)
        return cls(v, s, (v - q * s, v + q * s), unit, method)

    def scaled(self, factor: float, unit: str) -> Estimate:
        """The same estimate in another unit, ``factor`` = new / old."""
        ci = None if self.ci95 is None else (self.ci95[0] * factor, self.ci95[1] * factor)
        if ci is not None and factor < 0:
            ci = (ci[1], ci[0])
        err = None if self.stderr is None else abs(self.stderr * factor)
        return dataclasses.replace(self, value=self.value * factor, stderr=err, ci95=ci, unit=unit)

    def to(self, unit: str) -> Estimate:
        """Convert to ``unit`` (pint-parsable), e.g. ``e.to("m^2/s")``."""
        from nctransport.units import conversion_factor

        return self.scaled(conversion_factor(self.unit, unit), unit)

    def to_dict(self) -> dict[str, Any]:
        """``{"value_<u>", "stderr_<u>", "ci95_<u>", "unit", "ci_method"}`` with <u> key-safe."""
        u = unit_suffix(self.unit)
        sfx = f"_{u}" if u else ""
        return {
            f"value{sfx}": to_jsonable(self.value),
            f"stderr{sfx}": to_jsonable(self.stderr),
            f"ci95{sfx}": None if self.ci95 is None else to_jsonable(list(self.ci95)),
            "unit": self.unit,
            "ci_method": self.ci_method,
        }

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        err = "" if self.stderr is None else f" ± {self.stderr:.2g}"
        ci = "" if self.ci95 is None else f" (95% CI [{self.ci95[0]:.4g}, {self.ci95[1]:.4g}])"
        return f"{self.value:.4g}{err}{unit}{ci}"


SummaryRow = tuple[str, str, str]


def _input_paths_of(d: Mapping[str, Any]) -> list[Path]:
    inputs = d.get("inputs") or ([d["input"]] if isinstance(d.get("input"), dict) else [])
    return [Path(i["path"]) for i in inputs if isinstance(i, dict) and i.get("path")]


def _jsonable_to_dict(to_dict: Any) -> Any:
    """Wrap a result's ``to_dict`` so that its output passes through :func:`to_jsonable`."""
    import functools

    @functools.wraps(to_dict)
    def wrapper(self: Any) -> dict[str, Any]:
        return to_jsonable(to_dict(self))

    wrapper._jsonable = True  # type: ignore[attr-defined]
    return wrapper


class ResultProtocol:
    """Mixin of every workflow result (a frozen dataclass): the one way results are used.

    A subclass provides :meth:`to_dict` (exactly what ``results.json`` holds) and
    :meth:`summary_rows`; it may add data files (:meth:`_write_data`), figures
    (:meth:`_figures`, drawn on :class:`matplotlib.figure.Figure` objects so no backend is
    chosen) and named ``plot_*`` methods. Everything else -- ``summary()``, ``__repr__``,
    ``_repr_html_()``, ``plot()``, ``write()`` -- is shared, so the CLI, notebooks, sweeps and
    reports all show the same numbers.
    """

    #: Short name of the workflow ("analyze", "fit_decay", ...), used in titles.
    workflow: str = "result"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # @dataclass adds a field-by-field __repr__ unless the class defines one itself; put
        # the protocol's short one in the subclass's own namespace before the decorator runs.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = ResultProtocol.__repr__
        # to_dict() is exactly what results.json holds: plain Python values (no NumPy
        # scalars or arrays, non-finite floats as None), whatever the subclass assembled.
        own = cls.__dict__.get("to_dict")
        if callable(own) and not getattr(own, "_jsonable", False):
            cls.to_dict = _jsonable_to_dict(own)

    # -- what a subclass provides ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must define to_dict()")

    def summary_rows(self) -> list[SummaryRow]:
        """``(quantity, value, uncertainty / note)`` rows of the headline numbers."""
        return []

    def headline(self) -> str:
        """One line with the most important number(s)."""
        rows = self.summary_rows()
        if not rows:
            return self.workflow
        q, v, n = rows[0]
        return f"{q} = {v}" + (f" ({n})" if n else "")

    @property
    def result_warnings(self) -> tuple[str, ...]:
        """Warnings a user must see (failed frames, poor fits, non-convergence...)."""
        w = getattr(self, "warnings", ())
        return tuple(str(x) for x in (w or ()))

    def input_paths(self) -> list[Path]:
        """Files this result was computed from (protected from being overwritten by write)."""
        return _input_paths_of(self.to_dict())

    def _write_data(self, out_dir: Path) -> list[Path]:
        """Data files besides results.json (CSV, NetCDF); none by default."""
        return []

    def _figures(self) -> list[tuple[str, str, Any]]:
        """``(name, caption, matplotlib.figure.Figure)`` for the report; none by default."""
        return []

    #: The report's figures can be drawn as SVG without matplotlib: the subclass's
    #: ``_figures(backend="svg")`` returns :class:`nctransport.report.svg.SvgFigure`
    #: objects, and SVG is then its default figure format (issue 17).
    draws_svg: bool = False

    def _plot_default(self, ax: Any) -> Any:
        """Draw the main figure on ``ax``; subclasses with figures override this."""
        raise TypeError(f"{type(self).__name__} has nothing to plot")

    # -- shared behaviour --------------------------------------------------------------------
    def summary(self) -> str:
        """Plain-text table of :meth:`summary_rows` and the warnings (what the CLI prints)."""
        rows = [("quantity", "value", "uncertainty / note"), *self.summary_rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]}".rstrip() for r in rows]
        lines.insert(1, "-" * (sum(widths) + 4))
        lines += [f"warning: {w}" for w in self.result_warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        n = len(self.result_warnings)
        tail = f", {n} warning{'s' if n != 1 else ''}" if n else ""
        return f"<{type(self).__name__}: {self.headline()}{tail}>"

    def _repr_html_(self) -> str:
        from html import escape

        cells = "".join(
            f"<tr><td>{escape(q)}</td><td style='text-align:right'>{escape(v)}</td>"
            f"<td>{escape(n)}</td></tr>"
            for q, v, n in self.summary_rows()
        )
        warn = "".join(f"<li style='color:#a60'>{escape(w)}</li>" for w in self.result_warnings)
        return (
            f"<div><strong>{escape(type(self).__name__)}</strong>"
            "<table><thead><tr><th>quantity</th><th>value</th><th>uncertainty / note</th>"
            f"</tr></thead><tbody>{cells}</tbody></table>"
            + (f"<ul>{warn}</ul>" if warn else "")
            + "</div>"
        )

    def plot(self, ax: Any = None) -> Any:
        """Draw the main figure on ``ax`` (a new pyplot Axes when None) and return ``ax``."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        self._plot_default(ax)
        return ax

    def report_title(self) -> str:
        inputs = self.input_paths()
        name = inputs[0].name if inputs else ""
        return f"nctransport {self.workflow}" + (f": {name}" if name else "")

    def _report_inputs(self) -> list[dict[str, Any]] | None:
        """Input files with their metadata for the report; None: ``input(s)`` of to_dict()."""
        return None

    def _report_results(self) -> dict[str, Any] | None:
        """What the report's results table shows; None (the default): all of to_dict()."""
        return None

    def write(
        self,
        out_dir: str | Path,
        *,
        report: bool = True,
        figure_formats: tuple[str, ...] | None = None,
    ) -> list[Path]:
        """Write results.json, data files and (``report=True``) figures + report.html.

        ``figure_formats`` (``("png",)``, ``("svg",)``, ``("png", "svg")``...) defaults to
        SVG where the result draws its own SVG figures (:attr:`draws_svg`) and PNG
        otherwise; PNG and PDF are drawn with matplotlib.

        Every file is written atomically; ``out_dir`` is checked first (see
        :func:`nctransport.io.output.prepare_output_dir`), so a bad target fails before
        anything is written and an input file is never overwritten.
        """
        from nctransport.io.output import prepare_output_dir

        # One walk of the result: the same JSON-ready dict and text feed results.json and
        # the report (which would otherwise convert and serialise it twice more).
        data = self.to_dict()  # already JSON-ready (see __init_subclass__)
        own = type(self).input_paths is not ResultProtocol.input_paths
        out = prepare_output_dir(
            out_dir, inputs=self.input_paths() if own else _input_paths_of(data)
        )
        text = _dumps_json(data, "") + "\n"
        written = [write_text(out / "results.json", text)]
        written += self._write_data(out)
        if report:
            from nctransport.report.html import write_report

            formats = tuple(figure_formats or (("svg",) if self.draws_svg else ("png",)))
            custom = self._report_results()
            shown = []
            if self.draws_svg and formats == ("svg",):  # no matplotlib at all
                for name, caption, fig in self._figures(backend="svg"):
                    written.append(fig.save(out, name))
                    shown.append((written[-1], caption))
            else:
                from nctransport.plotting import save_figure

                for name, caption, fig in self._figures():
                    paths = save_figure(fig, out, name, formats=formats)
                    written += paths
                    shown.append((paths[0], caption))
            written.append(
                write_report(
                    out,
                    title=self.report_title(),
                    results=data if custom is None else to_jsonable(custom),
                    figures=shown,
                    inputs=self._report_inputs() or (),
                    settings=data.get("settings"),
                    warnings=list(self.result_warnings),
                    summary=self.headline(),
                    headline_rows=self.summary_rows(),
                    raw_json=text,
                )
            )
        return written
