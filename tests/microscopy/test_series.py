"""Series trends: closed-form checks and a synthetic rep-rate series with known relaxation."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import ConfigError, FitError, InputError
from nctransport.microscopy.series import (
    analyze_series,
    exponential_relaxation,
    linear_trend,
    mean_time_between_excitations,
)
from nctransport.microscopy.synthetic import synthetic_map


def test_linear_trend_matches_polyfit_and_covers():
    x = np.arange(6.0)
    y = 1.5 + 0.7 * x + np.array([0.1, -0.2, 0.05, 0.1, -0.1, 0.02])
    tr = linear_trend(x, y)
    slope, icpt = np.polyfit(x, y, 1)
    assert tr.params["slope"] == pytest.approx(slope) and tr.params["intercept"] == pytest.approx(
        icpt
    )
    lo, hi = tr.ci95["slope"]
    assert lo < 0.7 < hi
    with pytest.raises(FitError):
        linear_trend([1, 2], [1, 2])


def test_exponential_relaxation_shcherbakov_wu2024_like():
    rng = np.random.default_rng(1)
    # Shcherbakov-Wu 2024 Fig. 4A: D_inf ~ 0.01 cm^2/s, enhancement x15, tau ~ 6 us.
    x = np.array([0.3, 0.6, 1, 2, 3, 5, 8, 12, 16, 24, 32]) * 1e-6
    truth = 0.01e-4 + 0.14e-4 * np.exp(-x / 6e-6)
    err = 0.05 * truth
    tr = exponential_relaxation(x, truth + rng.normal(0, err), err)
    assert tr.params["tau"] == pytest.approx(6e-6, rel=0.2)
    assert tr.ci95["tau"][0] < 6e-6 < tr.ci95["tau"][1]
    assert tr.params["y_inf"] == pytest.approx(0.01e-4, abs=3 * tr.errors["y_inf"])
    with pytest.raises(FitError):
        exponential_relaxation(x[:3], truth[:3])


def test_mean_time_between_excitations():
    # Shcherbakov-Wu 2024: 2.5 MHz and <N> = 0.08 -> 5 us between excitations of one NC.
    assert mean_time_between_excitations(2.5e6, 0.08) == pytest.approx(5e-6)
    with pytest.raises(ConfigError):
        mean_time_between_excitations(0.0, 0.1)


def _map(D, seed, **attrs):
    t = np.linspace(0, 3e-9, 16)
    x = np.linspace(-1.5e-6, 1.5e-6, 41)
    return synthetic_map(
        t,
        x,
        sigma0=2e-7,
        D=D,
        amplitude=2000.0,
        noise="gaussian",
        noise_sigma=10.0,
        seed=seed,
        attrs=attrs,
    )


def test_series_rep_rate_recovers_relaxation_time():
    # D(tau_exc) = D_inf + dD exp(-tau_exc / 6 us), tau_exc = 1 / (f <N>) (Shcherbakov-Wu 2024).
    n_exc = 0.1
    rates = np.array([20e6, 8e6, 4e6, 2e6, 1e6, 0.5e6])
    tau_exc = 1 / (rates * n_exc)
    ds_list = []
    for i, (f, te) in enumerate(zip(rates, tau_exc, strict=True)):
        d = 0.05e-4 + 0.45e-4 * np.exp(-te / 6e-6)
        ds_list.append(_map(d, i, rep_rate=f"{f} Hz", excitations_per_nc=n_exc))
    res = analyze_series(ds_list, "rep-rate")
    assert [p.value for p in res.points] == sorted(rates)
    tr = res.trends["d_vs_time_between_excitations"]
    assert tr is not None
    assert tr.params["tau"] == pytest.approx(6e-6, rel=0.3)
    assert tr.ci95["tau"][0] < 6e-6 < tr.ci95["tau"][1]


def test_series_by_power_sigma_trend_and_missing_metadata():
    # Width at a common delay grows with power (Li 2023): D rises linearly with P here.
    powers = [1e-9, 2e-9, 4e-9, 8e-9]
    ds_list = [_map(0.2e-4 * (1 + p / 2e-9), i, power=f"{p} W") for i, p in enumerate(powers)]
    res = analyze_series(ds_list, "power")
    tr = res.trends["sigma_vs_power"]
    assert tr.params["slope"] > 0 and tr.ci95["slope"][0] > 0
    d_tr = res.trends["d_vs_power"]
    assert d_tr.params["slope"] == pytest.approx(0.2e-4 / 2e-9, rel=0.2)
    with pytest.raises(InputError):
        analyze_series(ds_list, "fluence")
    with pytest.raises(ConfigError):
        analyze_series(ds_list, "colour")


@pytest.mark.parametrize(
    ("values", "meta", "err"),
    [
        ([-1e-9, 2e-9], {}, ConfigError),  # a negative power ran to exit 0
        ([0.0, 2e-9], {}, ConfigError),
        ([float("nan"), 2e-9], {}, ConfigError),
        ([2e-9, 2e-9], {}, ConfigError),  # one value for every file: no trend
        (None, {"power": "3 nW"}, ConfigError),  # the same metadata in every file
        (None, {"power": "0 W"}, InputError),
    ],
)
def test_series_values_checked_before_any_analysis(values, meta, err):
    ds_list = [_map(0.2e-4, i, **meta) for i in range(2)]
    with pytest.raises(err):
        analyze_series(ds_list, "power", values=values)
