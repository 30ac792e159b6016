"""Warm-up pulses (issue 14): each memory chain reaches the steady state of its fast sites
before anything is recorded, so D(1 ns) does not drift with the number of pulses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nctransport.kmc import load_preset, simulate
from nctransport.kmc.model import build_model

# Shcherbakov-Wu 2024's lattice cut to 300 x 300 sites (the excitons stay within ~60 sites)
SMALL = {"size": 300, "duration": "1ns", "pulse_period": "1us"}


def _d1ns(result):
    return result.d_sim(1e-9, "all"), result.d_sim_stderr["all"][-1]


def test_auto_warmup_reaches_the_fast_site_steady_state():
    # fast sites survive a period with p = exp(-T/tau); 1% of the start-up transient is left
    # after ln(100) / (1 - p) pulses
    for period, tau in (("1us", 8.1), ("4us", 8.1), ("100us", 8.1)):
        model = build_model(load_preset("memory", {"pulse_period": period}))
        p = math.exp(-float(period.removesuffix("us")) / tau)
        want = 0 if p < 1e-6 else max(2, math.ceil(math.log(100) / (1 - p)))
        assert model.warmup == want
    assert build_model(load_preset("memory")).warmup == 40
    # without site memory pulses are independent: nothing to warm up
    assert build_model(load_preset("random-walk", {"excitation.warmup_pulses": "5"})).warmup == 0


@pytest.mark.slow
def test_d_at_1ns_does_not_drift_with_more_pulses_after_warmup():
    short = simulate("memory", seed=11, pulses=30, **SMALL)
    long = simulate("memory", seed=12, pulses=150, **SMALL)
    assert short.warmup_pulses == long.warmup_pulses == 40
    (d30, e30), (d150, e150) = _d1ns(short), _d1ns(long)
    # sampling error (the approximate stderr, x1.5 for pulse-to-pulse correlations)
    assert abs(d30 - d150) < 4 * 1.5 * math.hypot(e30, e150)
    # the test has the power to see the drift: from a cold start 30 pulses read low
    cold = simulate("memory", seed=11, pulses=30, warmup_pulses=0, **SMALL)
    d_cold, e_cold = _d1ns(cold)
    assert d_cold < d150 - 3 * math.hypot(e_cold, e150)


def test_every_chain_warms_up():
    # two chains of two pulses: both start from the steady state, none cold
    warm = simulate("memory", seed=5, pulses=4, chains=2, **SMALL)
    cold = simulate("memory", seed=5, pulses=4, chains=2, warmup_pulses=0, **SMALL)
    assert warm.warmup_pulses == 40 and cold.warmup_pulses == 0
    assert _d1ns(warm)[0] > 1.5 * _d1ns(cold)[0]
    # recorded pulses use the same random streams: only the lattice history differs
    assert warm.pulses == cold.pulses == 4


def test_workers_beyond_chains_warn_and_give_the_same_bytes():
    one = simulate("memory", seed=3, pulses=2, warmup_pulses=2, **SMALL)
    two = simulate("memory", seed=3, pulses=2, warmup_pulses=2, workers=2, **SMALL)
    assert np.array_equal(one.dataset.signal.values, two.dataset.signal.values)
    assert not one.warnings
    assert len(two.warnings) == 1 and "chains = 1" in two.warnings[0]
    assert "warning: --workers 2 exceeds" in two.summary()


@pytest.mark.parametrize("bad", ["-1", "many"])
def test_bad_warmup_is_a_config_error(bad):
    from nctransport.errors import ConfigError

    with pytest.raises(ConfigError, match="warmup_pulses"):
        load_preset("memory", {"excitation.warmup_pulses": bad})
