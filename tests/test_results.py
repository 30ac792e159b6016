"""The result protocol every workflow shares: Estimate and ResultProtocol."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy import stats

from nctransport.errors import OutputError
from nctransport.results import Estimate, ResultProtocol, unit_suffix


def test_estimate_ci_uses_student_t_with_dof_and_normal_without():
    e = Estimate.from_stderr(1.0, 0.1, "ns", dof=5)
    q = stats.t.ppf(0.975, 5)
    assert e.ci95 == pytest.approx((1 - q * 0.1, 1 + q * 0.1))
    assert e.ci_method == "t"
    n = Estimate.from_stderr(1.0, 0.1, "ns")
    assert n.ci95 == pytest.approx((1 - 1.959964 * 0.1, 1 + 1.959964 * 0.1))
    assert n.ci_method == "normal"
    assert Estimate.from_stderr(1.0, float("nan"), "ns").ci_method == "none"


def test_estimate_converts_units_with_pint():
    e = Estimate(0.05, 0.001, (0.048, 0.052), "cm^2/s", "t")
    m = e.to("m^2/s")
    assert m.value == pytest.approx(5e-6) and m.stderr == pytest.approx(1e-7)
    assert m.ci95 == pytest.approx((4.8e-6, 5.2e-6))
    assert m.to_dict()["value_m2_s"] == pytest.approx(5e-6)


def test_estimate_negative_scale_keeps_ci_ordered():
    e = Estimate(2.0, 0.1, (1.8, 2.2), "V").scaled(-1.0, "V")
    assert e.ci95 == (-2.2, -1.8) and e.stderr == 0.1


def test_unit_suffix_is_key_safe():
    assert unit_suffix("m^2/(V*s)") == "m2_V_s"
    assert unit_suffix("cm^2/s") == "cm2_s"


@dataclass(frozen=True, eq=False)
class _Toy(ResultProtocol):
    slope: Estimate
    path: str
    warnings: tuple[str, ...] = ()

    workflow = "toy"

    def to_dict(self) -> dict[str, Any]:
        return {"slope": self.slope.to_dict(), "input": {"path": self.path, "sha256": None}}

    def summary_rows(self):
        return [("slope [ns]", f"{self.slope.value:.4g}", "<b>not markup</b>")]

    def _figures(self):
        from nctransport.plotting import new_figure

        fig, ax = new_figure()
        self._plot_default(ax)
        return [("toy", "a line", fig)]

    def _plot_default(self, ax):
        ax.plot(np.arange(3), self.slope.value * np.arange(3))
        return ax


@pytest.fixture
def toy(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("1,2\n")
    return _Toy(Estimate.from_stderr(2.5, 0.1, "ns", dof=10), str(inp), ("check me",))


def test_write_gives_results_json_equal_to_to_dict_figures_and_report(toy, tmp_path):
    out = tmp_path / "out"
    paths = toy.write(out)
    names = sorted(p.name for p in paths)
    assert names == ["report.html", "results.json", "toy.png"]
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(toy.to_dict()))
    html = (out / "report.html").read_text()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in html or "not markup" in html
    assert "<b>not markup</b>" not in html
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_write_without_report_writes_only_results(toy, tmp_path):
    paths = toy.write(tmp_path / "o", report=False)
    assert [p.name for p in paths] == ["results.json"]


def test_write_refuses_a_file_as_output_dir_before_writing(toy, tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep")
    with pytest.raises(OutputError, match="not a directory"):
        toy.write(target)
    assert target.read_text() == "keep"


def test_summary_repr_and_html(toy):
    text = toy.summary()
    assert "slope [ns]" in text and "2.5" in text and "warning: check me" in text
    assert repr(toy).startswith("<_Toy: slope [ns] = 2.5") and "1 warning" in repr(toy)
    html = toy._repr_html_()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in html and "<b>not" not in html


def test_plot_draws_on_the_given_axes(toy):
    from nctransport.plotting import new_figure

    fig, ax = new_figure()
    assert toy.plot(ax) is ax
    assert len(ax.lines) == 1


def test_to_dict_of_every_result_is_plain_json():
    """The protocol converts whatever a result assembles: NumPy scalars, arrays, NaN."""

    @dataclass(frozen=True, eq=False)
    class Raw(ResultProtocol):
        x: float

        def to_dict(self) -> dict[str, Any]:
            return {"x": np.float64(self.x), "n": np.int64(3), "a": np.arange(2.0), "nan": np.nan}

    d = Raw(1.5).to_dict()
    assert d == {"x": 1.5, "n": 3, "a": [0.0, 1.0], "nan": None}
    assert type(d["x"]) is float and type(d["n"]) is int and type(d["a"][0]) is float
    assert json.loads(json.dumps(d, allow_nan=False)) == d
