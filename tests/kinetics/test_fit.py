"""Single-decay fits recover known truth within their reported intervals."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import ConfigError, FitError
from nctransport.kinetics import fit_decay
from nctransport.kinetics import models as M

from .conftest import DT_NS, biexp_mean

NS = 1e-9


def test_coverage_of_95_percent_intervals(grid_ns, biexp_truth):
    """100 Poisson realisations: lifetimes, IRF width/centre and an amplitude fall inside
    their reported 95 % intervals at the nominal rate (pooled 500 checks)."""
    rng = np.random.default_rng(2024)
    t = grid_ns[::2]  # 0.16 ns bins keep the test fast
    truth = dict(biexp_truth, a=[v * 2 for v in biexp_truth["a"]])
    mu = biexp_mean(t, truth)
    want = {
        "tau1_s": truth["tau"][0] * NS,
        "tau2_s": truth["tau"][1] * NS,
        "irf_t0_s": truth["t0"] * NS,
        "irf_fwhm_s": truth["fwhm"] * NS,
        "amplitude1": truth["a"][0],
    }
    hits = {k: 0 for k in want}
    n = 100
    for _ in range(n):
        f = fit_decay(t * NS, rng.poisson(mu), model="exp2", irf="gaussian")
        assert f.converged
        assert not f.covariance_rescaled
        for k, v in want.items():
            val, err = f.parameters[k]
            hits[k] += abs(val - v) <= 1.96 * err
    rates = {k: h / n for k, h in hits.items()}
    pooled = sum(hits.values()) / (n * len(hits))
    assert 0.90 <= pooled <= 0.985, rates
    for k, r in rates.items():
        assert 0.85 <= r <= 1.0, (k, rates)


def test_reported_errors_are_not_rescaled_for_counts(rng):
    """Poisson noise is known: the covariance is the inverse Fisher information even when
    the model misfits (reduced chi2 >> 1 is reported, not hidden by inflating errors)."""
    t = np.arange(0.0, 30.0, 0.1)
    y = rng.poisson(2000 * np.exp(-t / 0.6) + 500 * np.exp(-t / 5.0))
    f = fit_decay(t * NS, y, model="exp1", irf="none", background=False)
    assert f.reduced_chi2 > 2  # wrong model, and said so
    assert not f.covariance_rescaled
    # independent Fisher information of mu = A exp(-t/tau) at the fitted values
    a, tau = f.components[0].amplitude, f.components[0].tau_s / NS
    mu = a * np.exp(-t / tau)
    jac = np.stack([np.exp(-t / tau), a * t / tau**2 * np.exp(-t / tau)], axis=1)
    cov = np.linalg.inv(jac.T @ (jac / mu[:, None]))
    assert f.components[0].tau_err_s / NS == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-3)
    assert f.components[0].amplitude_err == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-3)


def test_lsq_rescales_by_residual_variance(grid_ns, biexp_truth, rng):
    """Unknown noise (analog signal): errors grow with the residual scatter."""
    y = biexp_mean(grid_ns, biexp_truth)
    f2 = fit_decay(grid_ns * NS, y + rng.normal(0, 1.0, y.size), model="exp2", method="lsq")
    f3 = fit_decay(grid_ns * NS, y + rng.normal(0, 4.0, y.size), model="exp2", method="lsq")
    assert f2.covariance_rescaled and f2.reduced_chi2 is None
    ratio = f3.components[1].tau_err_s / f2.components[1].tau_err_s
    assert 2.5 < ratio < 6  # ~4x the noise


def test_pileup_fit_recovers_lifetime_only_with_period(rng):
    """Tail of the previous pulses (80 MHz, tau = 6 ns) is fitted right with the period."""
    period = 12.5
    t = np.arange(-1.0, period - 1.0, 0.05)
    truth = {"a": [800.0], "tau": [6.0], "t0": 0.5, "fwhm": 0.2, "bg": 1.0}
    y = rng.poisson(biexp_mean(t, truth, period=period))
    good = fit_decay(t * NS, y, model="exp1", period_s=period * NS)
    tau, err = good.components[0].tau_s / NS, good.components[0].tau_err_s / NS
    assert abs(tau - 6.0) < 2.5 * err
    assert good.reduced_chi2 < 1.3
    bad = fit_decay(t * NS, y, model="exp1")
    assert abs(bad.components[0].tau_s / NS - 6.0) > 5 * err or bad.reduced_chi2 > 1.5


def test_measured_irf_with_tail_and_subbin_shift(rng):
    dt = 0.05
    t = np.arange(-2.0, 25.0, dt)
    # asymmetric IRF: Gaussian with an exponential diffusion tail (typical SPAD)
    irf = (
        M.gaussian_irf(t, 0.0, 0.15) * dt
        + 0.15 * M.exp_sum_gaussian_irf(t, [1.0], [0.3], 0.0, 0.15) * dt / 0.3
    )
    irf /= irf.sum()
    shift = 0.37 * dt + 0.2
    mu = M.exp_sum_measured_irf(t, [3000.0, 600.0], [0.8, 4.0], irf, shift=shift) + 1.0
    y = rng.poisson(mu)
    f = fit_decay(t * NS, y, model="exp2", irf=irf * 1e4)  # scale of the IRF is irrelevant
    assert f.converged
    for c, tau in zip(f.components, (0.8, 4.0), strict=True):
        assert abs(c.tau_s / NS - tau) < 3 * c.tau_err_s / NS
    assert abs(f.irf_shift_s / NS - shift) < 3 * f.irf_shift_err_s / NS
    assert f.irf_shift_err_s / NS < dt  # sub-bin precision


def test_stretched_and_power_law(rng):
    t = np.arange(0.0, 40.0, 0.1)
    y = rng.poisson(M.stretched_exp(t, 2000.0, 3.0, 0.6) + 1.0)
    f = fit_decay(t * NS, y, model="stretched", irf="none")
    tau, dtau = f.parameters["tau1_s"]
    beta, dbeta = f.parameters["beta"]
    assert abs(tau / NS - 3.0) < 3 * dtau / NS
    assert abs(beta - 0.6) < 3 * dbeta
    # Shcherbakov-Wu 2024 delayed emission: t^-beta, beta ~ 1.6, fitted over 3-20 ns
    tp = np.arange(0.05, 20.0, 0.05)
    yp = rng.poisson(M.power_law(tp, 500.0, 1.6) + 0.5)
    g = fit_decay(tp * NS, yp, model="powerlaw", irf="none", window_s=(3 * NS, 20 * NS))
    b, db = g.parameters["beta"]
    assert abs(b - 1.6) < 3 * db and db < 0.1


def test_exp_plus_power_law(rng):
    t = np.arange(0.05, 40.0, 0.05)
    y = rng.poisson(M.exp_power_law(t, 3000.0, 1.5, 30.0, 1.7) + 0.2)
    f = fit_decay(t * NS, y, model="exp+powerlaw", irf="none", window_s=(0.5 * NS, 40 * NS))
    tau, dtau = f.parameters["tau1_s"]
    beta, dbeta = f.parameters["beta"]
    assert abs(tau / NS - 1.5) < 3 * dtau / NS
    assert abs(beta - 1.7) < 3 * dbeta


def test_bad_inputs_raise_typed_errors(grid_ns):
    t = grid_ns * NS
    y = np.ones_like(t)
    with pytest.raises(ConfigError):
        fit_decay(t, y, model="exp7")
    with pytest.raises(ConfigError):
        fit_decay(t, y, model="powerlaw", irf="gaussian")
    with pytest.raises(FitError):
        fit_decay(t, -y, model="exp1")
    with pytest.raises(FitError):
        fit_decay(t, y, model="exp1", window_s=(0.0, 0.1 * NS))
    with pytest.raises(ConfigError):
        fit_decay(t, y, model="exp1", method="chi-by-eye")


def test_photon_and_amplitude_fractions(grid_ns, biexp_truth, rng):
    y = rng.poisson(biexp_mean(grid_ns, biexp_truth) * 5)
    f = fit_decay(grid_ns * NS, y, model="exp2")
    a = np.array(biexp_truth["a"])
    tau = np.array(biexp_truth["tau"])
    want_photons = a * tau / np.sum(a * tau)
    got = [c.photon_fraction for c in f.components]
    np.testing.assert_allclose(got, want_photons, atol=0.02)
    assert sum(c.amplitude_fraction for c in f.components) == pytest.approx(1.0)
    assert f.components[0].tau_s < f.components[1].tau_s  # sorted by tau
    assert DT_NS > 0


def test_li2023_table1_film_ta_trace_on_a_log_grid(rng):
    """Li 2023 Table 1, film at N = 19.1: TA decay with 22 ps and 1.45 ns components.

    Analog dT/T (noise unknown -> lsq), a negative-going trace, delays on a log-spaced
    grid as a TA delay stage records them, 150 fs Gaussian IRF.
    """
    t = np.concatenate([np.arange(-2.0, 2.0, 0.05), np.geomspace(2.0, 5000.0, 300)]) * 1e-3
    clean = -M.exp_sum_gaussian_irf(t, [6e-3, 3e-3], [0.022, 1.45], 0.0, 0.15e-3)
    noisy = clean + rng.normal(0, 5e-5, t.size)
    f = fit_decay(t * NS, noisy, model="exp2", method="lsq")
    assert f.converged
    short, long_ = f.components
    assert abs(short.tau_s / NS - 0.022) < 3 * short.tau_err_s / NS
    assert abs(long_.tau_s / NS - 1.45) < 3 * long_.tau_err_s / NS
    assert short.amplitude < 0 and long_.amplitude < 0  # sign of the trace kept


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_small_nnls_paths_agree_with_scipy_nnls(k):
    # the amplitudes' exact NNLS: one Lawson-Hanson solve per problem when there are fewer
    # problems than faces, all faces enumerated for batches; both are scipy's nnls on (A, b)
    from scipy.optimize import nnls

    from nctransport.kinetics.fit import _nnls_faces, _nnls_small_batch

    rng = np.random.default_rng(k)
    m = 2**k + 3
    a = rng.random((m, 60, k))
    b = np.einsum("mnk,mk->mn", a, rng.normal(size=(m, k))) + 0.1 * rng.normal(size=(m, 60))
    gram = np.einsum("mnk,mnl->mkl", a, a)
    rhs = np.einsum("mnk,mn->mk", a, b)
    ref = np.stack([nnls(a[i], b[i])[0] for i in range(m)])
    assert np.sum(ref == 0) > m // 2  # the bounds are active: a real NNLS test
    ridge = 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-300
    np.testing.assert_allclose(_nnls_faces(gram, rhs, ridge), ref, atol=1e-9)
    few = _nnls_small_batch(gram[:2], rhs[:2])  # fewer problems than faces
    np.testing.assert_allclose(few, ref[:2], atol=1e-9)
    np.testing.assert_allclose(_nnls_small_batch(gram, rhs), ref, atol=1e-9)
    bad = gram[:1].copy()
    bad[0, 0, 0] = np.nan  # degenerate: enumerated, no exception
    assert _nnls_small_batch(bad, rhs[:1]).shape == (1, k)
