"""Automatic choice of the number of components."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import ConfigError
from nctransport.kinetics import select_model

from .conftest import biexp_mean

NS = 1e-9


def test_auto_picks_two_components_for_biexponential(grid_ns, biexp_truth, rng):
    y = rng.poisson(biexp_mean(grid_ns, biexp_truth))
    sel = select_model(grid_ns * NS, y)
    assert sel.chosen == "exp2"
    assert sel.reasons[0].startswith("chosen exp2")
    assert {r["model"] for r in sel.table} == {"exp1", "exp2", "exp3"}
    taus = sorted(c.tau_s / NS for c in sel.best.components)
    assert taus[0] == pytest.approx(0.6, rel=0.15) and taus[1] == pytest.approx(5.0, rel=0.1)


def test_auto_picks_one_component_for_single_exponential(grid_ns, rng):
    truth = {"a": [400.0], "tau": [2.0], "t0": 0.4, "fwhm": 0.3, "bg": 2.0}
    y = rng.poisson(biexp_mean(grid_ns, truth))
    sel = select_model(grid_ns * NS, y, candidates=("exp1", "exp2"), criterion="aic")
    assert sel.chosen == "exp1"
    assert any("not supported" in r or "not eligible" in r for r in sel.reasons)


def test_unknown_criterion(grid_ns):
    with pytest.raises(ConfigError):
        select_model(grid_ns * NS, np.ones_like(grid_ns), criterion="vibes")
