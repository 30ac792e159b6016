"""Per-frame profile fits against synthetic maps and stacks of known truth.

Truth is built here from the closed-form profiles (docs/science.md "Spatial profiles"), with
Poisson or Gaussian noise from a seeded generator. Error honesty is checked with z-scores
``(sigma_hat - sigma_true) / sigma_err`` over many frames of one profile: their standard
deviation must be near 1 (accepted range [0.8, 1.25]).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import voigt_profile

from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError, InputError
from nctransport.io.netcdf import save_netcdf
from nctransport.microscopy import evaluate_model, fit_profiles
from nctransport.results import dumps

NM = 1e-9


def gauss1d(x, center, sigma):
    return np.exp(-((x - center) ** 2) / (2 * sigma**2))


def zscores(est, err, truth):
    return (np.asarray(est) - truth) / np.asarray(err)


def assert_honest(z, lo=0.8, hi=1.25):
    z = np.asarray(z)
    assert np.all(np.isfinite(z))
    assert lo <= z.std() <= hi, f"z std {z.std():.3f} outside [{lo}, {hi}]"
    # Unbiased to well within the scatter (mean of n z-scores has std 1/sqrt(n)).
    assert abs(z.mean()) < 4.0 / np.sqrt(z.size) + 0.15, f"z mean {z.mean():.3f}"


@pytest.fixture
def x_axis():
    return np.linspace(-3e-6, 3e-6, 121)  # 50 nm pixels


def test_gaussian_poisson_counts_honest_errors(rng, x_axis):
    n, sigma = 200, 300 * NM
    clean = 10.0 + 300.0 * gauss1d(x_axis, 50 * NM, sigma)
    counts = rng.poisson(np.broadcast_to(clean, (n, x_axis.size))).astype(float)
    ds = make_dataset(counts, {"t": np.arange(n) * 1e-11, "x": x_axis}, signal_units="counts")
    fits = fit_profiles(ds)
    assert fits.profile == "gaussian" and fits.noise == "poisson"
    assert fits.ok.all() and set(fits.reason) == {""}
    assert_honest(zscores(fits.sigma, fits.sigma_err, sigma))
    assert_honest(zscores(fits.amplitude, fits.amplitude_err, 300.0))
    assert_honest(zscores(fits.center, fits.center_err, 50 * NM))
    # Poisson weights are known: chi2/dof (not rescaled) must be ~1 for the right model.
    assert 0.9 < np.median(fits.reduced_chi2) < 1.1
    # Integral sqrt(2 pi) A sigma (counts * m).
    np.testing.assert_allclose(
        np.mean(fits.extra["integrated"]), np.sqrt(2 * np.pi) * 300.0 * sigma, rtol=0.01
    )


def test_negative_tam_bleach_gaussian_noise(rng, x_axis):
    n, sigma, amp, noise = 200, 250 * NM, -2e-3, 1e-4
    clean = 5e-5 + amp * gauss1d(x_axis, -0.2e-6, sigma)
    data = clean + rng.normal(0.0, noise, (n, x_axis.size))
    ds = make_dataset(data, {"t": np.arange(n) * 1e-12, "x": x_axis}, signal_units="dT/T")
    fits = fit_profiles(ds)  # no pre-pulse frames: noise from the residual scatter
    assert fits.noise == "residual" and fits.ok.all()
    assert np.all(fits.amplitude < 0)
    np.testing.assert_allclose(np.mean(fits.amplitude), amp, rtol=0.01)
    np.testing.assert_allclose(np.median(fits.extra["noise_var"]), noise**2, rtol=0.05)
    assert np.all(np.isnan(fits.reduced_chi2))  # 1 by construction, so not reported
    assert_honest(zscores(fits.sigma, fits.sigma_err, sigma))


def test_diffusing_map_with_prepulse_baseline(rng, x_axis):
    """sigma^2(t) = sigma0^2 + 2 D t (per axis, docs/science.md); a structured pre-pulse baseline
    is removed and the noise is measured from the pre-pulse frames."""
    D, s0, noise = 1e-4, 200 * NM, 2e-5  # 1 cm^2/s
    t = np.linspace(-1e-9, 4e-9, 101)
    tp = np.clip(t, 0, None)
    sig = np.sqrt(s0**2 + 2 * D * tp)
    baseline = 3e-4 * (1 + x_axis / 3e-6)  # sloped probe background
    pop = np.where(t >= 0, np.exp(-tp / 5e-9), 0.0)
    clean = baseline + 1e-3 * pop[:, None] * (s0 / sig[:, None]) * gauss1d(x_axis, 0, sig[:, None])
    data = clean + rng.normal(0, noise, clean.shape)
    ds = make_dataset(data, {"t": t, "x": x_axis})
    fits = fit_profiles(ds)
    assert fits.background_mode == "pre-pulse" and fits.noise == "prepulse"
    assert fits.t[0] >= 0 and fits.n_frames == int((t >= 0).sum())
    assert fits.ok.all()
    assert 0.85 < np.median(fits.reduced_chi2) < 1.2
    z = zscores(fits.sigma, fits.sigma_err, sig[t >= 0])
    assert_honest(z, 0.75, 1.3)
    # Weighted straight line through sigma^2(t): slope 2 D.
    s2 = fits.sigma**2
    w = 1 / (2 * fits.sigma * fits.sigma_err) ** 2
    coef = np.polyfit(fits.t, s2, 1, w=np.sqrt(w))
    np.testing.assert_allclose(coef[0] / 2, D, rtol=0.05)


def test_voigt_lorentzian_frozen_after_first_frame(rng):
    x = np.linspace(-4e-6, 4e-6, 161)
    t = np.linspace(0, 3e-9, 60)
    gamma, D, s0 = 200 * NM, 1e-4, 200 * NM
    sig = np.sqrt(s0**2 + 2 * D * t)
    prof = voigt_profile(x[None, :], sig[:, None], gamma)
    clean = 5.0 + 600.0 * prof / prof.max(axis=1, keepdims=True)
    ds = make_dataset(rng.poisson(clean).astype(float), {"t": t, "x": x}, signal_units="counts")
    fits = fit_profiles(ds, profile="voigt")
    assert fits.profile == "voigt" and fits.ok.all()
    hwhm = fits.extra["lorentz_hwhm"]
    assert np.all(hwhm == hwhm[0])  # held fixed after the first frame
    assert abs(hwhm[0] - gamma) < 3 * fits.extra["lorentz_hwhm_err"][0] + 0.05 * gamma
    z = zscores(fits.sigma, fits.sigma_err, sig)
    # The frozen Lorentzian's own error is shared by all frames, so allow a common offset.
    assert 0.7 < z.std() < 1.3 and abs(z.mean()) < 1.0
    assert 0.85 < np.median(fits.reduced_chi2) < 1.15
    # A plain Gaussian absorbs the Lorentzian wings and overestimates the width.
    g = fit_profiles(ds, profile="gaussian")
    assert np.all(g.sigma > sig)


def _stack(rng, n, y, x, sx, sy, theta, center, amp, bg, noise="poisson", noise_sigma=0.0):
    yy, xx = np.meshgrid(y, x, indexing="ij")
    dx, dy = xx - center[1], yy - center[0]
    u = np.cos(theta) * dx + np.sin(theta) * dy
    v = -np.sin(theta) * dx + np.cos(theta) * dy
    clean = bg + amp * np.exp(-(u**2) / (2 * sx**2) - v**2 / (2 * sy**2))
    clean = np.broadcast_to(clean, (n,) + clean.shape)
    if noise == "poisson":
        return rng.poisson(clean).astype(float), "counts"
    return clean + rng.normal(0, noise_sigma, clean.shape), "arb"


def test_gaussian2d_isotropic_poisson(rng):
    y = np.arange(40) * 50 * NM - 1.0e-6
    x = np.arange(48) * 50 * NM - 1.2e-6
    sigma = 250 * NM
    data, units = _stack(rng, 150, y, x, sigma, sigma, 0.0, (0.1e-6, -0.05e-6), 200.0, 8.0)
    ds = make_dataset(data, {"t": np.arange(150) * 1e-11, "y": y, "x": x}, signal_units=units)
    fits = fit_profiles(ds)
    assert fits.profile == "gaussian2d" and fits.ok.all()
    assert fits.center.shape == (150, 2)
    assert_honest(zscores(fits.sigma, fits.sigma_err, sigma))
    assert_honest(zscores(fits.center[:, 0], fits.center_err[:, 0], 0.1e-6))
    assert 0.9 < np.median(fits.reduced_chi2) < 1.1
    model = evaluate_model(fits, (y, x))
    assert model.shape == data.shape
    np.testing.assert_allclose(model.mean(axis=0), data.mean(axis=0), atol=3.0)


def test_gaussian2d_anisotropic_angle(rng):
    y = np.arange(50) * 40 * NM - 1.0e-6
    x = np.arange(56) * 40 * NM - 1.1e-6
    sx, sy, th = 320 * NM, 160 * NM, 0.6
    data, units = _stack(
        rng, 60, y, x, sx, sy, th, (0.0, 0.1e-6), -2e-3, 0.0, noise="gaussian", noise_sigma=1e-4
    )
    ds = make_dataset(data, {"t": np.arange(60) * 1e-11, "y": y, "x": x}, signal_units=units)
    fits = fit_profiles(ds, profile="gaussian2d_aniso")
    assert fits.ok.all() and np.all(fits.amplitude < 0)
    ex = fits.extra
    assert_honest(zscores(ex["sigma_x"], ex["sigma_x_err"], sx), 0.7, 1.35)
    assert_honest(zscores(ex["sigma_y"], ex["sigma_y_err"], sy), 0.7, 1.35)
    assert_honest(zscores(ex["angle_rad"], ex["angle_rad_err"], th), 0.7, 1.35)
    np.testing.assert_allclose(np.mean(fits.sigma), np.sqrt(sx * sy), rtol=0.01)


def test_moments_of_a_non_gaussian_profile(rng, x_axis):
    """Triangle of half-width a: variance a^2/6 exactly; no shape is assumed."""
    a, n = 700 * NM, 200
    clean = 10.0 + 300.0 * np.clip(1 - np.abs(x_axis - 0.1e-6) / a, 0, None)
    counts = rng.poisson(np.broadcast_to(clean, (n, x_axis.size))).astype(float)
    ds = make_dataset(counts, {"t": np.arange(n) * 1e-11, "x": x_axis}, signal_units="counts")
    fits = fit_profiles(ds, profile="moments")
    assert fits.profile == "moments" and fits.ok.all()
    assert_honest(zscores(fits.sigma, fits.sigma_err, a / np.sqrt(6)))
    # The Gaussian fit of the same frames gives a different (shape-dependent) width.
    assert abs(np.mean(fits.extra["gaussian_sigma"]) / (a / np.sqrt(6)) - 1) > 0.03


def test_noise_only_and_missing_frames_are_flagged(rng, x_axis):
    n = 12
    data = 1e-3 * gauss1d(x_axis, 0, 300 * NM) + rng.normal(0, 5e-5, (n, x_axis.size))
    data[5] = rng.normal(0, 5e-5, x_axis.size)  # no signal at all
    data[7] = np.nan  # nothing recorded
    ds = make_dataset(data, {"t": np.arange(n) * 1e-12, "x": x_axis})
    fits = fit_profiles(ds)
    assert not fits.ok[5] and fits.reason[5] != ""
    assert not fits.ok[7] and fits.reason[7] != ""
    others = np.delete(np.arange(n), [5, 7])
    assert fits.ok[others].all()
    assert [fits.reason[i] for i in others] == [""] * others.size


def test_partially_missing_pixels_are_skipped(rng, x_axis):
    sigma = 300 * NM
    data = 1e-3 * gauss1d(x_axis, 0, sigma) + rng.normal(0, 2e-5, (20, x_axis.size))
    data[:, 10:20] = np.nan
    ds = make_dataset(data, {"t": np.arange(20) * 1e-12, "x": x_axis})
    fits = fit_profiles(ds)
    assert fits.ok.all()
    assert np.all(np.abs(fits.sigma - sigma) < 5 * fits.sigma_err)


def test_input_dataset_not_modified(rng, x_axis):
    data = 1e-3 * gauss1d(x_axis, 0, 300 * NM) + rng.normal(0, 2e-5, (8, x_axis.size))
    ds = make_dataset(data, {"t": np.linspace(-1e-9, 1e-9, 8), "x": x_axis})
    before = ds.copy(deep=True)
    fit_profiles(ds, background="pre-pulse")
    xr.testing.assert_identical(ds, before)


@pytest.mark.parametrize(
    ("profile", "shape", "error"),
    [
        ("voigt", "stack", ConfigError),
        ("gaussian", "stack", ConfigError),
        ("gaussian2d", "map", ConfigError),
        ("lorentzian", "map", ConfigError),
    ],
)
def test_bad_profile_choices_raise(profile, shape, error):
    x = np.linspace(-1e-6, 1e-6, 9)
    if shape == "map":
        ds = make_dataset(np.ones((2, 9)), {"t": [0, 1e-9], "x": x})
    else:
        ds = make_dataset(np.ones((2, 9, 9)), {"t": [0, 1e-9], "y": x, "x": x})
    with pytest.raises(error):
        fit_profiles(ds, profile=profile)


def test_bad_inputs_raise():
    decay = make_dataset(np.ones(5), {"t": np.arange(5) * 1e-9})
    with pytest.raises(InputError):
        fit_profiles(decay)
    x = np.linspace(-1e-6, 1e-6, 9)
    ds = make_dataset(np.ones((2, 9)), {"t": [0, 1e-9], "x": x})
    with pytest.raises(InputError):
        fit_profiles(ds, t0=5e-9)
    with pytest.raises(ConfigError):
        fit_profiles(ds, noise="white")
    with pytest.raises(ConfigError):
        fit_profiles(ds, noise="prepulse")  # no pre-pulse frames to measure it from


def test_profiles_dataset_round_trip(tmp_path, rng, x_axis):
    data = -1e-3 * gauss1d(x_axis, 0, 300 * NM) + rng.normal(0, 2e-5, (6, x_axis.size))
    data[3] = rng.normal(0, 2e-5, x_axis.size)
    ds = make_dataset(data, {"t": np.arange(6) * 1e-12, "x": x_axis}, signal_units="dT/T")
    fits = fit_profiles(ds)
    out = fits.to_dataset()
    path = save_netcdf(out, tmp_path / "profiles.nc")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    assert back["sigma"].dtype == np.float64 and back["sigma"].attrs["units"] == "m"
    assert back["amplitude"].attrs["units"] == "dT/T"
    assert back["ok"].dtype == np.int8
    assert back["ok"].values.tolist() == fits.ok.astype(int).tolist()
    assert str(back["reason"].values[3]).startswith("no signal")
    np.testing.assert_array_equal(back["sigma_err"].values, fits.sigma_err)
    assert back.attrs["profile"] == "gaussian"
    text = dumps(fits)
    assert '"profile": "gaussian"' in text and "NaN" not in text


def test_small_spot_in_large_image_uses_roi_exactly(rng):
    """Pixels beyond 6 widths inform only the background; widths and background must stay
    unbiased with honest errors when most of the image lies outside that region."""
    y = x = np.arange(110) * 50 * NM - 2.7e-6
    sigma = 150 * NM  # 3 pixels: the ROI is ~37 x 37 of 110 x 110 pixels
    data, units = _stack(rng, 120, y, x, sigma, sigma, 0.0, (0.4e-6, -0.3e-6), 150.0, 4.0)
    ds = make_dataset(data, {"t": np.arange(120) * 1e-11, "y": y, "x": x}, signal_units=units)
    fits = fit_profiles(ds)
    assert fits.ok.all()
    assert_honest(zscores(fits.sigma, fits.sigma_err, sigma))
    assert_honest(zscores(fits.background, fits.background_err, 4.0))
    assert 0.95 < np.median(fits.reduced_chi2) < 1.05


def test_poisson_counts_with_prepulse_baseline(rng, x_axis):
    """Counts on a structured dark background: the pre-pulse mean is subtracted and the
    Poisson variance is that of the raw counts (model + baseline + the baseline's own)."""
    n_pre, n_post, sigma = 20, 150, 300 * NM
    dark = 20.0 + 10.0 * np.sin(x_axis / 4e-7)
    t = np.concatenate([-np.arange(n_pre, 0, -1), np.arange(n_post)]) * 1e-11
    clean = dark + np.where(t[:, None] >= 0, 200.0 * gauss1d(x_axis, 0.0, sigma), 0.0)
    ds = make_dataset(
        rng.poisson(clean).astype(float), {"t": t, "x": x_axis}, signal_units="counts"
    )
    fits = fit_profiles(ds)
    assert fits.background_mode == "pre-pulse" and fits.noise == "poisson"
    assert fits.n_frames == n_post and fits.ok.all()
    assert 0.9 < np.median(fits.reduced_chi2) < 1.1
    # The baseline's noise is shared by all frames, so allow a common offset in the mean.
    z = zscores(fits.sigma, fits.sigma_err, sigma)
    assert 0.75 < z.std() < 1.3 and abs(z.mean()) < 1.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(3, 12)),
        elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan)),
    ),
    profile=st.sampled_from(["gaussian", "voigt", "moments"]),
)
def test_any_map_gives_flags_not_crashes(data, profile):
    """Arbitrary small maps (NaN, flat, noise) never crash: every frame is ok or says why."""
    if np.all(np.isnan(data)):
        data[0, 0] = 1.0
    x = np.linspace(-1e-6, 1e-6, data.shape[1])
    ds = make_dataset(data, {"t": np.arange(data.shape[0]) * 1e-9, "x": x})
    fits = fit_profiles(ds, profile=profile)
    assert fits.sigma.shape == fits.ok.shape == (data.shape[0],)
    assert all((r == "") == bool(ok) for r, ok in zip(fits.reason, fits.ok, strict=True))
    assert np.all(np.isfinite(fits.sigma[fits.ok])) and np.all(fits.sigma_err[fits.ok] > 0)
