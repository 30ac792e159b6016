"""Reproductions of the source papers' figures and numbers, run by ``nctransport reproduce``.

Each reproduction is a module of this package with a function ``run(*, quick: bool, seed: int)
-> ReproductionResult``. ``quick=True`` is the reduced version the test suite runs (seconds);
the full version is what ``docs/reproductions.md`` is generated from (``nctransport reproduce
all --doc docs/reproductions.md``), never typed by hand.

Every row compares one published number with ours: the paper's value, ours with its CI, the
command that produced it, and -- where they differ -- why (an inconsistency in the paper, a
missing detail, or our own limitation).
"""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError
from nctransport.results import ResultProtocol, to_jsonable

#: Reproduction name -> module (relative to this package). Order is the order in the doc.
REGISTRY: dict[str, str] = {
    "memory": "memory",
    "bright-dark": "bright_dark",
    "shrinking-hop": "shrinking",
    "disorder": "disorder",
    "qled": "qled",
}


@dataclass(frozen=True)
class ReproductionRow:
    """One published number next to ours."""

    quantity: str
    paper: str  # the published value as printed, with unit ("~6 us", "58 %")
    ours: str  # our value with its CI, with unit
    agrees: bool | None  # None: a qualitative comparison
    note: str = ""  # where they differ, why


@dataclass(frozen=True, eq=False)
class ReproductionResult(ResultProtocol):
    """What one reproduction found: rows, a figure, the command that reproduces it."""

    name: str
    paper: str  # "Shcherbakov-Wu 2024, Fig. 4E"
    command: str
    rows: tuple[ReproductionRow, ...]
    data: dict[str, Any] = field(default_factory=dict)  # curves behind the figure
    quick: bool = False
    warnings: tuple[str, ...] = ()
    figure: Any = None  # callable(fig) drawing ours beside the paper's values, or None

    workflow = "reproduce"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "paper": self.paper,
            "command": self.command,
            "quick": self.quick,
            "rows": [to_jsonable(r) for r in self.rows],
            "data": to_jsonable(self.data),
            "warnings": list(self.warnings),
        }

    def summary_rows(self) -> list[tuple[str, str, str]]:
        return [
            (r.quantity, r.ours, f"paper {r.paper}" + (f"; {r.note}" if r.note else ""))
            for r in self.rows
        ]

    def _figures(self) -> list[tuple[str, str, Any]]:
        if self.figure is None:
            return []
        from nctransport.plotting import new_figure

        fig, ax = new_figure()
        self.figure(ax)
        return [(self.name, self.paper, fig)]

    def _plot_default(self, ax: Any) -> Any:
        if self.figure is None:
            raise TypeError(f"reproduction {self.name!r} has no figure")
        self.figure(ax)
        return ax

    def markdown_rows(self) -> list[str]:
        """Rows of the docs/reproductions.md table."""

        def cell(s: str) -> str:
            return s.replace("|", "\\|").replace("\n", " ")

        mark = {True: "yes", False: "no", None: "qualitative"}
        return [
            f"| {cell(self.paper)} | {cell(r.quantity)} | {cell(r.paper)} | {cell(r.ours)} | "
            f"{mark[r.agrees]} | `{cell(self.command)}` | {cell(r.note)} |"
            for r in self.rows
        ]


def names() -> list[str]:
    return list(REGISTRY)


def reproduce(
    name: str, *, quick: bool = False, seed: int = 1, out_dir: str | Path | None = None
) -> ReproductionResult:
    """Run one reproduction; ``out_dir`` also writes it (results.json, figure, report).

    Parameters
    ----------
    name
        One of :data:`REGISTRY` (``memory``, ``bright-dark``, ``shrinking-hop``, ``disorder``).
    quick
        The reduced version the test suite runs (seconds; wide CIs, no agreement verdict).
    seed
        Base seed; every simulation's seed derives from it (bit-reproducible).
    out_dir
        Also write results.json, the figure and report.html there.

    Examples
    --------
    >>> import nctransport as nct
    >>> r = nct.reproduce("disorder", quick=True)  # doctest: +SKIP
    >>> r.rows[0].ours  # doctest: +SKIP
    '1.08 [-3.1, 5.26] meV'
    """
    if name not in REGISTRY:
        raise ConfigError(f"unknown reproduction {name!r}; expected one of {', '.join(REGISTRY)}")
    from nctransport.kmc.config import check_seed

    # every simulation's seed derives from it and is written to results: a 26-digit seed
    # failed only after the whole run (or not at all, depending on the reproduction)
    seed = check_seed(seed, "seed")
    module = importlib.import_module(f"{__name__}.{REGISTRY[name]}")
    result = module.run(quick=quick, seed=seed)
    if out_dir is not None:
        result.write(out_dir)
    return result


def reproduce_all(
    *, quick: bool = False, seed: int = 1, out_dir: str | Path | None = None
) -> list[ReproductionResult]:
    """Every reproduction in :data:`REGISTRY` order; ``out_dir/<name>`` for each if given."""
    return [
        reproduce(
            name,
            quick=quick,
            seed=seed,
            out_dir=None if out_dir is None else Path(out_dir) / name,
        )
        for name in REGISTRY
    ]


def write_doc(results: list[ReproductionResult], path: str | Path) -> Path:
    """Write :func:`render_doc` of ``results`` to ``path`` atomically."""
    from nctransport.io.atomic import write_text

    return write_text(path, render_doc(results))


DOC_HEADER = """# Reproductions of the source papers

Generated by `nctransport reproduce all --doc docs/reproductions.md`; do not edit by hand.
Each row puts a number a paper reports next to ours, with the command that produced ours.

| paper | quantity | paper value | ours (95% CI) | agrees | command | where they differ, why |
|---|---|---|---|---|---|---|
"""


DOC_NOTES = """
Notes: MSDs and diffusivities are per axis (MSD = 2 D t; docs/science.md) and come from the
exact particle moments of the simulation. CIs are 95 % Student-t intervals over independent
repetitions or chains (delete-one jackknife of the pooled estimate), or, for fitted numbers,
of the fit. "agrees": the paper's value lies within our CI (or the paper's stated range);
"no": it does not, and the last column says why; "qualitative": no number to compare.
Figures: `nctransport reproduce NAME --out DIR` writes each reproduction's figure, with the
paper's values drawn beside ours, and its results.json.
"""


def render_doc(results: list[ReproductionResult]) -> str:
    """The whole docs/reproductions.md text for ``results``."""
    lines = [row for r in results for row in r.markdown_rows()]
    text = DOC_HEADER + "\n".join(lines) + "\n" + DOC_NOTES
    if any(r.quick for r in results):
        text += "\nThis table was generated with `--quick` (reduced runs, wide CIs).\n"
    return text


class _CallableModule(types.ModuleType):
    """``nctransport.reproduce`` is both this package and the top-level function
    ``nct.reproduce(name, ...)``: importing a submodule rebinds the package attribute
    ``nctransport.reproduce`` to the module, so the module itself must be callable."""

    def __call__(self, name: str, **kwargs: Any) -> ReproductionResult:
        return reproduce(name, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
