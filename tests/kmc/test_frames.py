"""What a frame holds (issue 14): integrated exposure, instrument response, PSF, the
expected-value mode and the exact D_sim, against analytic expectations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erfc

from nctransport.errors import ConfigError
from nctransport.kmc import simulate
from nctransport.kmc.observe import apply_irf

TAU = 1e-9


def _decay(**over):
    """Particles that do not move and decay with lifetime 1 ns, seen as a population map."""
    base = {
        "hop_rate": "0/s",
        "lifetime": "1ns",
        "particles": 20000,
        "frame_interval": "1ns",
        "duration": "3ns",
        "signal": "population",
        "output.frames": "integrated",
    }
    return simulate("random-walk", seed=5, **{**base, **over})


def _frame_integral(t, dt, tau=TAU):
    """Mean of exp(-t'/tau) over [t, t + dt)."""
    return tau / dt * (np.exp(-t / tau) - np.exp(-(t + dt) / tau))


def test_integrated_frame_is_the_exact_frame_integral_of_a_decay():
    e = _decay(**{"output.mode": "expected"})
    total = e.dataset.signal.values.sum(axis=1)
    t = e.times
    np.testing.assert_allclose(total, 20000 * _frame_integral(t, 1e-9), rtol=1e-3)
    # the exact populations stay snapshots at the frame times
    np.testing.assert_allclose(e.populations["exciton"], 20000 * np.exp(-t / TAU), rtol=1e-9)
    # sampled particles agree within their binomial noise; snapshots would not (x 0.63)
    s = _decay()
    sampled = s.dataset.signal.values.sum(axis=1)
    assert np.all(np.abs(sampled - total) < 4.5 * np.sqrt(total))  # ~Poisson counts
    snap = _decay(**{"output.frames": "snapshot"}).dataset.signal.values.sum(axis=1)
    assert snap[1] == pytest.approx(20000 * np.exp(-1), rel=0.03)


def test_fixed_steps_integrate_every_step_exactly():
    # per-step decay probability p: the state during step m is (1 - p)^m; every step sampled
    e = simulate(
        "random-walk",
        seed=1,
        hop_rate="0/s",
        particles=1000,
        frame_interval="100ps",
        duration="300ps",
        signal="population",
        stepping="fixed",
        step="10ps",
        **{
            "states.exciton": {"radiative": "0.01/step"},
            "output.frames": "integrated",
            "output.mode": "expected",
        },
    )
    m = np.arange(10)
    want = [1000 * np.mean((0.99) ** (10 * k + m)) for k in range(4)]
    np.testing.assert_allclose(e.dataset.signal.values.sum(axis=1), want, rtol=1e-6)  # float32


@pytest.mark.parametrize("mode", ["expected", "sampled"])
def test_gaussian_psf_adds_its_variance(mode):
    def first_frame_variance(**psf):
        r = simulate(
            "random-walk", seed=2, particles=20000, duration="0.2ns",
            **{"output.mode": mode, **psf},
        )  # fmt: skip
        x, prof = r.dataset.x.values, r.dataset.signal.values[0].astype(float)
        w = prof / prof.sum()
        return (w * x**2).sum() - (w * x).sum() ** 2

    psf = 30e-9
    bare = first_frame_variance()
    blurred = first_frame_variance(**{"output.psf_fwhm": f"{psf * 2.3548200450309493 * 1e9}nm"})
    # the same particles (same seed) blurred: the variance grows by exactly sigma_psf^2
    assert blurred - bare == pytest.approx(psf**2, rel=0.02)


def test_irf_is_a_normalised_gaussian_convolution():
    dt, sigma = 10e-12, 100e-12
    t = np.arange(600) * dt
    conv = apply_irf(np.exp(-t / TAU)[:, None], sigma / dt)[:, 0]
    # exponential decay (0 before t = 0) convolved with a Gaussian: the exGaussian
    lam = 1.0 / TAU
    exact = (
        0.5
        * np.exp(lam * (lam * sigma**2 / 2 - t))
        * erfc((lam * sigma**2 - t) / (np.sqrt(2) * sigma))
    )
    inner = slice(60, 500)  # away from the last frames, whose later emission is not simulated
    np.testing.assert_allclose(conv[inner], exact[inner], rtol=2e-3, atol=1e-3)
    # and in a simulation: the map with an IRF is the map without it, convolved
    over = {"particles": 3000, "duration": "1ns", "frame_interval": "20ps"}
    plain = simulate("random-walk", seed=4, **over).dataset.signal.values
    fwhm = f"{40 * 2.3548200450309493}ps"  # sigma = 40 ps = 2 frames
    irf = simulate("random-walk", seed=4, **over, **{"output.irf_fwhm": fwhm})
    np.testing.assert_allclose(
        irf.dataset.signal.values,
        apply_irf(plain.astype(float), 40e-12 / 20e-12),
        rtol=1e-5,
        atol=1e-6 * plain.max(),
    )
    assert irf.dataset.attrs["irf_fwhm"] == "9.41928e-11 s"


def test_expected_random_walk_has_exact_d_sim_and_no_noise():
    e = simulate("random-walk", seed=9, particles=1000, duration="1ns", output__mode="expected")
    d = e.dataset["d_sim_emission"].values[1:]
    np.testing.assert_allclose(d, 1e10 * (10e-9) ** 2, rtol=1e-6)  # k_n a^2, per axis
    assert e.d_sim("1ns") == pytest.approx(1e-6, rel=1e-6)
    again = simulate("random-walk", seed=123, particles=1000, duration="1ns",
                     output__mode="expected")  # fmt: skip
    assert np.array_equal(again.dataset.signal.values, e.dataset.signal.values)


def test_expected_mode_refuses_interacting_particles():
    with pytest.raises(ConfigError, match="independent particles"):
        simulate("memory", size=100, pulses=1, output__mode="expected")


def test_d_sim_is_the_change_of_variance_over_2t():
    r = simulate("bright-dark", seed=2, particles=2000, duration="1ns")
    t = r.times
    for key in ("emission", "all", "bright", "dark"):
        d = r.dataset[f"d_sim_{key}"].values
        assert np.isnan(d[0])
        np.testing.assert_allclose(d[1:], r.msd[key][1:] / (2 * t[1:]))
    k = 10
    assert r.d_sim(t[k], "all") == pytest.approx(r.msd["all"][k] / (2 * t[k]))
    assert r.to_dict()["d_sim_headline"]["emission"]["t_s"] == pytest.approx(1e-9)
    with pytest.raises(ConfigError):
        r.d_sim("5ns")
