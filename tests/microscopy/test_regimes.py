"""Regimes: piecewise power laws with known exponents and breaks."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError
from nctransport.microscopy.regimes import fit_regimes
from nctransport.microscopy.synthetic import broken_power_law_msd, linear_msd

T = np.linspace(0.02e-9, 5e-9, 100)


def _noisy(msd, seed, rel=0.03, floor=2e-16):
    rng = np.random.default_rng(seed)
    m = msd(T)
    err = rel * m + floor
    return m + rng.normal(0, err), err


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_power_law_with_a_break_gives_two_regimes(seed):
    truth = broken_power_law_msd(1e-9, 1.0, 0.4, 2e-14)
    y, err = _noisy(truth, seed)
    r = fit_regimes(T, y, err)
    assert r.n_segments == 2
    a1, a2 = r.regimes
    assert a1.alpha == pytest.approx(1.0, abs=0.1)
    assert a2.alpha == pytest.approx(0.4, abs=0.05)
    assert a2.kind == "sub"
    assert r.breakpoints[0] == pytest.approx(1e-9, rel=0.15)
    # The breakpoint error is finite and the truth lies within 4 of them.
    assert 0 < r.breakpoint_errs[0] < 0.5e-9
    assert abs(r.breakpoints[0] - 1e-9) < 4 * r.breakpoint_errs[0]
    assert a1.t_end == pytest.approx(r.breakpoints[0]) == a2.t_start
    assert r.model(np.array([1e-9]))[0] == pytest.approx(2e-14, rel=0.1)


@pytest.mark.parametrize("seed", range(6))
def test_pure_diffusion_is_one_normal_regime(seed):
    y, err = _noisy(linear_msd(1e-5), 100 + seed)
    r = fit_regimes(T, y, err)
    assert r.n_segments == 1
    assert r.regimes[0].kind == "normal"
    assert r.regimes[0].alpha == pytest.approx(1.0, abs=4 * r.regimes[0].alpha_err)


def test_super_then_sub_without_errors_log_space():
    truth = broken_power_law_msd(0.5e-9, 1.6, 0.5, 1e-14)
    rng = np.random.default_rng(3)
    y = truth(T) * np.exp(rng.normal(0, 0.03, T.size))  # multiplicative noise, no errors given
    r = fit_regimes(T, y, criterion="aic")
    assert r.n_segments >= 2
    assert r.regimes[0].kind == "super" and r.regimes[-1].kind == "sub"
    assert r.regimes[0].alpha == pytest.approx(1.6, abs=0.15)
    assert r.criterion == "aic" and set(r.scores) >= {1, 2}
    d = r.to_dict()
    assert d["regimes"][0]["kind"] == "super" and len(d["breakpoints_ns"]) == r.n_segments - 1


def test_bad_inputs():
    with pytest.raises(FitError):
        fit_regimes(T[:3], T[:3])
    with pytest.raises(FitError):
        fit_regimes(T, T, criterion="hqic")
