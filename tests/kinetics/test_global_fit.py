"""Global fits with shared lifetimes recover the truth from 100 noisy decays."""

from __future__ import annotations

import numpy as np

from nctransport.kinetics import global_fit
from nctransport.kinetics import models as M

NS = 1e-9


def test_global_fit_of_100_noisy_decays(rng):
    t = np.arange(-1.0, 25.0, 0.1)
    taus, t0, fwhm = (0.7, 4.0), 0.3, 0.25
    basis = np.stack([M.exp_sum_gaussian_irf(t, [1.0], [tau], t0, fwhm) for tau in taus], 1)
    amps = rng.uniform(2.0, 20.0, size=(100, 2))  # few counts per decay
    y = rng.poisson(amps @ basis.T + 0.3)
    g = global_fit(t * NS, y, model="exp2")
    assert g.converged
    got, err = g.taus_s / NS, g.tau_errs_s / NS
    order = np.argsort(got)
    for i, tau in enumerate(taus):
        assert abs(got[order[i]] - tau) < 3 * err[order[i]]
        assert err[order[i]] < 0.05 * tau  # pooled precision, far beyond one decay's
    # per-decay amplitudes track the truth within their errors
    z = (g.amplitudes[:, order] - amps) / g.amplitude_errors[:, order]
    assert np.mean(np.abs(z) < 1.96) > 0.88
    assert abs(np.mean(z)) < 0.3
    ds = g.amplitude_dataset({"x": np.arange(100) * 1e-7})
    assert ds.amplitude.dims == ("component", "x")
    np.testing.assert_allclose(ds.tau.values[:2], np.sort(g.taus_s))


def test_global_fit_on_a_stack_shape(rng):
    t = np.arange(0.0, 20.0, 0.1)
    a = rng.uniform(50, 100, size=(3, 4))
    y = rng.poisson(a.reshape(-1, 1) * np.exp(-t / 3.0) + 1.0)
    g = global_fit(t * NS, y, model="exp1", irf="none")
    ds = g.amplitude_dataset({"y": np.arange(3) * 1e-7, "x": np.arange(4) * 1e-7})
    assert ds.amplitude.shape == (2, 3, 4)  # amplitude + background maps
    np.testing.assert_allclose(ds.amplitude.values[0], a, rtol=0.15)


def test_large_problem_path_agrees_with_least_squares(rng, monkeypatch):
    """Big maps switch to a scalar optimiser (no N x p Jacobian): same answer."""
    import nctransport.kinetics.fit as fit_module

    t = np.arange(0.0, 20.0, 0.1)
    a = rng.uniform(20, 60, size=(30, 1))
    y = rng.poisson(a * np.exp(-t / 3.0) + a / 4 * np.exp(-t / 0.8) + 1.0)
    ref = global_fit(t * NS, y, model="exp2", irf="none")
    monkeypatch.setattr(fit_module, "LARGE_PROBLEM", 100)
    big = global_fit(t * NS, y, model="exp2", irf="none")
    assert big.converged
    np.testing.assert_allclose(np.sort(big.taus_s), np.sort(ref.taus_s), rtol=2e-3)
    ob, orf = np.argsort(big.taus_s), np.argsort(ref.taus_s)
    np.testing.assert_allclose(big.tau_errs_s[ob], ref.tau_errs_s[orf], rtol=0.05)
