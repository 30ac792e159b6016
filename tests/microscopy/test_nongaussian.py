"""Non-Gaussianity diagnostics (Li 2023): kurtosis and residual structure."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.dataset import make_dataset
from nctransport.microscopy import fit_profiles, non_gaussianity
from nctransport.results import dumps

X = np.linspace(-3e-6, 3e-6, 241)
N = 80


def _counts(rng, shape):
    clean = 10.0 + 300.0 * shape
    data = rng.poisson(np.broadcast_to(clean, (N, X.size))).astype(float)
    return make_dataset(data, {"t": np.arange(N) * 1e-12, "x": X}, signal_units="counts")


@pytest.fixture
def gaussian_map(rng):
    return _counts(rng, np.exp(-(X**2) / (2 * (3e-7) ** 2)))


def test_gaussian_profile_reads_gaussian(gaussian_map):
    fits = fit_profiles(gaussian_map)
    ng = non_gaussianity(gaussian_map, fits)
    k, ke = ng.excess_kurtosis, ng.excess_kurtosis_err
    # Consistent with 0 (the 4-sigma window biases a Gaussian by ~ -0.02), honest errors.
    assert abs(k.mean()) < 3 * ke.mean() / np.sqrt(N) + 0.03
    assert 0.75 < k.std() / ke.mean() < 1.3
    # White residuals: lag-1 z ~ N(0, 1) (fitting 4 parameters removes a little).
    assert abs(ng.residual_lag1_z.mean()) < 0.6 and 0.7 < ng.residual_lag1_z.std() < 1.3
    assert abs(np.nanmean(ng.runs_z)) < 0.5
    assert ng.non_gaussian.mean() < 0.05
    assert '"excess_kurtosis"' in dumps(ng)


def test_laplace_profile_is_flagged(rng):
    """Cusped profile exp(-|x|/b), excess kurtosis 3 (2.2 inside the 4-sigma window)."""
    ds = _counts(rng, np.exp(-np.abs(X) / (3e-7 / np.sqrt(2))))
    ng = non_gaussianity(ds, fit_profiles(ds))
    assert np.all(ng.excess_kurtosis > 3 * ng.excess_kurtosis_err)
    assert ng.structured.mean() > 0.9  # structured residuals (Li 2023 Fig. 4d)
    assert np.nanmean(ng.runs_z) < -3


def test_flat_top_profile_has_negative_kurtosis(rng):
    """Triangle profile: excess kurtosis -0.6 exactly (compact support, window-free)."""
    ds = _counts(rng, np.clip(1 - np.abs(X) / 7e-7, 0, None))
    ng = non_gaussianity(ds, fit_profiles(ds))
    sem = ng.excess_kurtosis.std() / np.sqrt(N)
    assert abs(ng.excess_kurtosis.mean() + 0.6) < 4 * sem + 0.02


def test_stack_gaussian_and_failed_frames(rng):
    y = x = np.arange(40) * 50e-9 - 1e-6
    yy, xx = np.meshgrid(y, x, indexing="ij")
    clean = 5.0 + 200 * np.exp(-(xx**2 + yy**2) / (2 * (2.5e-7) ** 2))
    data = rng.poisson(np.broadcast_to(clean, (30, 40, 40))).astype(float)
    data[4] = rng.poisson(5.0, (40, 40))  # no signal
    ds = make_dataset(data, {"t": np.arange(30) * 1e-12, "y": y, "x": x}, signal_units="counts")
    fits = fit_profiles(ds)
    ng = non_gaussianity(ds, fits)
    assert not fits.ok[4] and np.isnan(ng.excess_kurtosis[4])
    good = np.delete(np.arange(30), 4)
    assert abs(np.mean(ng.excess_kurtosis[good])) < 4 * np.mean(ng.excess_kurtosis_err[good])
    assert ng.structured[good].mean() < 0.1
