"""analyze_map end to end on synthetic maps/stacks with known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nctransport.errors import ConfigError, InputError
from nctransport.microscopy.analysis import AnalysisSettings, analyze_map
from nctransport.microscopy.synthetic import (
    broken_power_law_msd,
    contracting_msd,
    synthetic_map,
    synthetic_stack,
)

D = 0.5e-4  # 0.5 cm^2/s
S0 = 2e-7
TAU = 2e-9
X = np.linspace(-1.5e-6, 1.5e-6, 51)

ISSUE_KEYS = {
    "diffusivity",
    "diffusivity_origin_fit",
    "sigma0_nm",
    "d_avg_cm2_s",
    "lifetime_1e_ns",
    "diffusion_length_nm",
    "t_max_ns",
    "regimes",
    "msd",
    "mobility_cm2_Vs",
    "non_gaussianity",
    "input",
    "nctransport_version",
    "settings",
    "failed_frames",
    "warnings",
}


@pytest.fixture(scope="module")
def poisson_result():
    t = np.linspace(-0.5e-9, 5e-9, 56)
    ds = synthetic_map(
        t,
        X,
        sigma0=S0,
        D=D,
        amplitude=400.0,
        lifetime=TAU,
        background=5.0,
        noise="poisson",
        seed=11,
        attrs={"temperature": "300 K"},
    )
    return analyze_map(ds)


def test_poisson_gaussian_map_recovers_truth(poisson_result):
    r = poisson_result
    lo, hi = r.diffusivity.ci95
    assert lo < D < hi
    assert r.diffusivity.value == pytest.approx(D, rel=0.1)
    assert r.diffusivity.sigma0 == pytest.approx(S0, rel=0.05)
    assert r.lifetime.value == pytest.approx(TAU, rel=0.1)
    # Bornschlegl 2024 Eq. 2 for normal diffusion is D itself; L = sqrt(tau D) with no factor 2.
    assert r.d_avg.value == pytest.approx(D, rel=0.25)
    assert r.length_tau_d[0] == pytest.approx(math.sqrt(TAU * D), rel=0.15)
    assert r.length_msd[0] == pytest.approx(math.sqrt(2 * D * TAU), rel=0.15)
    assert r.t_max is None
    assert [g.kind for g in r.regimes.regimes] == ["normal"]
    assert r.temperature == 300.0
    assert r.mobility == pytest.approx(D / 0.025852, rel=0.1)


def test_results_layout(poisson_result):
    res = poisson_result.to_results()
    assert ISSUE_KEYS <= set(res)
    assert set(res["diffusivity"]) >= {
        "value_cm2_s",
        "ci95_cm2_s",
        "t_start_ns",
        "t_end_ns",
        "method",
    }
    assert res["diffusivity"]["value_cm2_s"] == pytest.approx(0.5, rel=0.1)
    assert "sigma0 free" in res["diffusivity"]["method"]
    assert "Shcherbakov-Wu 2024" in res["diffusivity_origin_fit"]["method"]
    assert set(res["msd"]) >= {"t_ns", "msd_nm2", "err_nm2"}
    assert set(res["regimes"][0]) == {"t_start_ns", "t_end_ns", "alpha", "alpha_err", "kind"}
    assert set(res["diffusion_length_nm"]) >= {"sqrt_msd_at_lifetime", "sqrt_lifetime_times_d_avg"}
    assert res["t_max_ns"] is None
    assert set(res["input"]) == {"path", "sha256"}
    # Late frames with no signal are listed with a reason and counted in a warning.
    assert res["failed_frames"] and all(f["reason"] for f in res["failed_frames"])
    assert any("excluded" in w for w in res["warnings"])
    used_t = np.asarray(res["msd"]["t_ns"])
    assert not set(np.round(used_t, 6)) & {round(f["t_ns"], 6) for f in res["failed_frames"]}


def test_contracting_msd_reports_t_max_not_failure():
    t = np.linspace(0, 8e-9, 81)
    ds = synthetic_map(
        t,
        X,
        sigma0=S0,
        msd=contracting_msd(2e-5, 2.5e-9),
        amplitude=1000.0,
        noise="gaussian",
        noise_sigma=5.0,
        seed=3,
    )
    r = analyze_map(ds)
    assert r.t_max is not None
    assert r.t_max.value == pytest.approx(2.5e-9, rel=0.15)
    assert r.window.end <= r.t_max.value + 1e-15  # D window stops where the MSD contracts
    assert any("contracts" in w for w in r.warnings)
    assert r.to_results()["t_max_ns"] == pytest.approx(2.5, rel=0.15)
    assert r.mobility is None and "temperature" in r.to_results()["mobility_reason"]


def test_negative_tam_signal():
    t = np.linspace(-0.5e-9, 3e-9, 36)
    ds = synthetic_map(
        t,
        X,
        sigma0=S0,
        D=D,
        amplitude=-2e-3,
        lifetime=5e-9,
        background=1e-4,
        noise="gaussian",
        noise_sigma=2e-5,
        seed=5,
        signal_units="dT/T",
    )
    r = analyze_map(ds, AnalysisSettings(window="0ns:3ns", temperature=77.0))
    lo, hi = r.diffusivity.ci95
    assert lo < D < hi and r.diffusivity.value == pytest.approx(D, rel=0.1)
    assert r.window.source == "user" and r.diffusivity.t_end <= 3e-9
    assert r.mobility == pytest.approx(einstein(r.diffusivity.value, 77.0))


def einstein(d, temp):
    return d / (1.380649e-23 * temp / 1.602176634e-19)


def test_isotropic_stack():
    t = np.linspace(0, 2e-9, 11)
    g = np.linspace(-1.2e-6, 1.2e-6, 25)
    ds = synthetic_stack(
        t, g, g, sigma0=S0, D=D, amplitude=200.0, background=2.0, noise="poisson", seed=2
    )
    r = analyze_map(ds)
    lo, hi = r.diffusivity.ci95
    assert lo < D < hi and r.diffusivity.value == pytest.approx(D, rel=0.1)
    assert r.fits.profile == "gaussian2d"


def test_broken_power_law_map_two_regimes():
    t = np.linspace(0, 5e-9, 101)
    truth = broken_power_law_msd(1e-9, 1.0, 0.3, 8e-14)
    ds = synthetic_map(
        t,
        np.linspace(-2e-6, 2e-6, 61),
        sigma0=S0,
        msd=truth,
        amplitude=3000.0,
        noise="gaussian",
        noise_sigma=3.0,
        seed=4,
    )
    r = analyze_map(ds)
    kinds = [g.kind for g in r.regimes.regimes]
    assert len(kinds) == 2 and kinds[1] == "sub"
    assert r.regimes.regimes[1].alpha == pytest.approx(0.3, abs=0.1)
    assert r.regimes.breakpoints[0] == pytest.approx(1e-9, rel=0.25)


def test_bad_settings_and_inputs():
    with pytest.raises(ConfigError):
        AnalysisSettings(window="3ns:1ns")
    with pytest.raises(ConfigError):
        AnalysisSettings(profile="lorentz")
    with pytest.raises(ConfigError):
        AnalysisSettings(temperature=-3.0)
    from nctransport.dataset import make_dataset

    with pytest.raises(InputError):
        analyze_map(make_dataset(np.ones(3), {"t": [0, 1e-9, 2e-9]}))


def test_voigt_profile_bornschlegl2024():
    t = np.linspace(0, 3e-9, 31)
    x = np.linspace(-2e-6, 2e-6, 81)
    ds = synthetic_map(
        t,
        x,
        sigma0=1.5e-7,
        D=D,
        profile="voigt",
        lorentz_hwhm=1e-7,
        amplitude=1000.0,
        noise="gaussian",
        noise_sigma=5.0,
        seed=1,
    )
    r = analyze_map(ds, AnalysisSettings(profile="voigt"))
    lo, hi = r.diffusivity.ci95
    assert lo < D < hi
    assert r.diffusivity.sigma0 == pytest.approx(1.5e-7, rel=0.05)
    # A Gaussian fit of the same Voigt map overestimates D: the shape matters.
    g = analyze_map(ds, AnalysisSettings(profile="gaussian"))
    assert g.diffusivity.ci95[0] > D


def test_anisotropic_stack_reports_both_axes():
    t = np.linspace(0, 2e-9, 11)
    g = np.linspace(-1.2e-6, 1.2e-6, 25)
    ds = synthetic_stack(
        t,
        g,
        g,
        sigma0=2e-7,
        D=D,
        D_y=2 * D,
        amplitude=400.0,
        background=2.0,
        noise="poisson",
        seed=3,
    )
    r = analyze_map(ds, AnalysisSettings(profile="gaussian2d-aniso"))
    res = r.to_results()["diffusivity_axes"]
    d_axes = sorted([res["sigma_x"]["value_cm2_s"], res["sigma_y"]["value_cm2_s"]])
    assert d_axes[0] == pytest.approx(D * 1e4, rel=0.15)
    assert d_axes[1] == pytest.approx(2 * D * 1e4, rel=0.15)
    assert "angle_rad" in res


def test_structured_baseline_is_subtracted_and_its_noise_propagated():
    """A static pattern needs the pre-pulse baseline; its noise (shared by all frames) must
    widen the D interval: jackknife error ~ the real scatter of D over repeated maps."""
    from nctransport.dataset import make_dataset
    from nctransport.microscopy.analysis import resolve_background

    x = np.linspace(-1.5e-6, 1.5e-6, 41)
    t = np.linspace(-0.4e-9, 3e-9, 35)  # 5 pre-pulse frames
    pattern = 30 * np.sin(x / 2e-7)
    values, se, se_fit = [], [], []
    for seed in range(30):
        clean = synthetic_map(
            t,
            x,
            sigma0=S0,
            D=D,
            amplitude=1000.0,
            lifetime=5e-9,
            noise="gaussian",
            noise_sigma=20.0,
            seed=seed,
        )
        ds = make_dataset(clean.signal.values + pattern, {"t": t, "x": x})
        if seed == 0:
            assert resolve_background(ds, "auto", None)[0] == "pre-pulse"
            flat = make_dataset(clean.signal.values, {"t": t, "x": x})
            assert resolve_background(flat, "auto", None)[0] == "none"
        r = analyze_map(ds, AnalysisSettings(window="0ns:3ns"))
        assert "jackknife" in r.diffusivity.method
        values.append(r.diffusivity.value)
        se.append(r.diffusivity.stderr)
        se_fit.append(np.sqrt(r.diffusivity.stderr**2 - r.diffusivity.baseline_stderr**2))
    sd = np.std(values, ddof=1)
    assert abs(np.mean(values) - D) < 3 * sd / np.sqrt(30)
    assert 0.7 < sd / np.mean(se) < 1.4
    assert sd / np.mean(se_fit) > 1.8  # per-frame errors alone would be far too small


def test_bornschlegl2024_bright_dark_negative_diffusion():
    """Bornschlegl 2024 at 10 K: bright/dark biexponential PL, MSD that rises and contracts."""
    from scipy.optimize import brentq

    from nctransport.microscopy.lengths import pl_weighted_diffusivity

    def pop(tt):
        return 0.6 * np.exp(-tt / 0.48e-9) + 0.4 * np.exp(-tt / 20e-9)

    msd = contracting_msd(2e-5, 1.5e-9)
    t = np.linspace(0, 6e-9, 61)
    ds = synthetic_map(
        t,
        X,
        sigma0=S0,
        msd=msd,
        population=pop,
        amplitude=3000.0,
        noise="gaussian",
        noise_sigma=5.0,
        seed=8,
    )
    r = analyze_map(ds)
    assert r.t_max is not None and r.t_max.value == pytest.approx(1.5e-9, rel=0.15)
    tau = brentq(lambda tt: pop(tt) - 1 / np.e, 0, 20e-9)
    assert r.lifetime.value == pytest.approx(tau, rel=0.1)
    # Eq. 2 on the noise-free truth over the same frames (Gaussian-profile integral ~ pop).
    tt = r.msd.t[r.msd.t <= r.d_avg.t_end]
    assert tt[-1] > 2 * 1.5e-9  # the contraction is inside the Eq. 2 sum
    truth = pl_weighted_diffusivity(tt, msd(tt), pop(tt), tau)
    assert r.d_avg.value == pytest.approx(truth.value, abs=3 * r.d_avg.err + 0.1 * truth.value)
    # Contraction lowers D_avg below the initial slope D = 2e-5 (Bornschlegl 2024).
    assert r.d_avg.value < 0.5 * 2e-5


def test_non_gaussian_warning_only_beyond_chance():
    from nctransport.microscopy.analysis import AnalysisSettings, analyze_map
    from nctransport.microscopy.synthetic import synthetic_map

    t = np.arange(-3, 60) * 0.1e-9
    x = (np.arange(161) - 80) * 20e-9
    common = dict(
        sigma0=150e-9,
        D=1e-6,
        amplitude=3000.0,
        lifetime=3e-9,
        background=2.0,
        noise="poisson",
        signal_units="counts",
    )
    gauss = analyze_map(synthetic_map(t, x, seed=7, **common), AnalysisSettings())
    assert not any("non-Gaussian" in w for w in gauss.to_results()["warnings"])
    # Heavy Lorentzian tails (Bornschlegl 2024's Voigt) are not Gaussian in most frames.
    voigt = analyze_map(
        synthetic_map(t, x, seed=7, profile="voigt", lorentz_hwhm=120e-9, **common),
        AnalysisSettings(),
    )
    assert any("non-Gaussian" in w for w in voigt.to_results()["warnings"])
