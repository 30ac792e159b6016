"""Pre-pulse baseline subtraction and the noise it measures."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError, InputError
from nctransport.microscopy import subtract_background


def _map(rng, t, noise=0.1):
    x = np.linspace(-1e-6, 1e-6, 50)
    base = 2.0 + np.sin(x / 3e-7)  # structured baseline
    sig = np.where(t[:, None] >= 0, 5.0 * np.exp(-(x**2) / 2e-13), 0.0)
    data = base + sig + rng.normal(0, noise, (t.size, x.size))
    return make_dataset(data, {"t": t, "x": x}), base, sig


def test_prepulse_baseline_removed_and_noise_measured(rng):
    t = np.linspace(-5e-9, 5e-9, 101)  # 50 pre-pulse frames
    ds, base, sig = _map(rng, t)
    before = ds.copy(deep=True)
    out, info = subtract_background(ds, "pre-pulse")
    xr.testing.assert_identical(ds, before)  # input untouched
    assert info.mode == "pre-pulse" and info.n_prepulse == 50
    # Baseline known to noise / sqrt(50) per pixel.
    assert np.all(np.abs(info.baseline - base) < 5 * 0.1 / np.sqrt(50))
    # Noise variance from 50 frames x 50 pixels: relative std ~ sqrt(2/2450) = 3 %.
    assert abs(info.noise_var / 0.01 - 1) < 0.12
    resid = out.signal.values - sig
    assert abs(resid.mean()) < 0.01
    assert out.attrs["background"] == "pre-pulse"
    assert out.signal.attrs == ds.signal.attrs


def test_auto_subtracts_only_a_structured_baseline(rng):
    # The sine baseline (amplitude 1) is ~10 noise units per pixel: clearly structured.
    ds, _, _ = _map(rng, np.array([-2e-9, -1e-9, 0.0, 1e-9]))
    out, info = subtract_background(ds, "auto")
    assert info.mode == "pre-pulse" and info.n_prepulse == 2
    assert np.isfinite(info.noise_var)
    assert not np.allclose(out.signal.values, ds.signal.values)
    # A flat baseline is left to the fitted constant: subtracting it would only add the
    # baseline's own noise, common to every frame.
    t = np.array([-3e-9, -2e-9, -1e-9, 0.0, 1e-9])
    x = np.linspace(-1e-6, 1e-6, 50)
    flat = make_dataset(2.0 + rng.normal(0, 0.1, (t.size, x.size)), {"t": t, "x": x})
    _, info_flat = subtract_background(flat, "auto")
    assert info_flat.mode == "none"
    one = make_dataset(rng.normal(0, 0.1, (3, 50)), {"t": [-1e-9, 0.0, 1e-9], "x": x})
    assert subtract_background(one, "auto")[1].mode == "none"  # one frame: noise unknown


def test_t0_moves_the_pulse(rng):
    t = np.linspace(0, 10e-9, 11)
    ds, _, _ = _map(rng, t)
    _, info = subtract_background(ds, "pre-pulse", t0=3.5e-9)
    assert info.n_prepulse == 4 and info.t0 == 3.5e-9


def test_none_leaves_data(rng):
    ds, _, _ = _map(rng, np.linspace(-1e-9, 1e-9, 5))
    out, info = subtract_background(ds, "none")
    np.testing.assert_array_equal(out.signal.values, ds.signal.values)
    assert info.mode == "none" and np.all(info.baseline == 0)
    assert info.to_dict()["n_prepulse"] == 2


def test_errors(rng):
    ds, _, _ = _map(rng, np.linspace(0, 1e-9, 5))
    with pytest.raises(InputError):
        subtract_background(ds, "pre-pulse")  # nothing before t0 = 0
    with pytest.raises(ConfigError):
        subtract_background(ds, "rolling-ball")
    decay = make_dataset(np.ones(3), {"t": [0, 1e-9, 2e-9]})
    with pytest.raises(InputError):
        subtract_background(decay)
