"""``nctransport.fit_model``: the protocol result, CLI identity, KMC sampling noise (issue 14)
and hostile inputs (issue 16)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nctransport as nct
from nctransport import errors
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError, FitError
from nctransport.io import save
from nctransport.results import to_jsonable


def walker_map(rng, *, n=4000, d=1e-5, tau=2e-9, s0=150e-9, nx=81, nt=20, dx=25e-9, dt=0.15e-9):
    """A map as the KMC makes it: n random walkers (per-axis D, so MSD = 2 D t) that die at
    rate 1/tau, histogrammed into pixels at every frame. Its noise is sampling noise that the
    same walkers carry from frame to frame: correlated, not white."""
    x = (np.arange(nx) - nx // 2) * dx
    t = np.arange(nt) * dt
    steps = rng.normal(0.0, np.sqrt(2 * d * dt), (nt, n))
    steps[0] = rng.normal(0.0, s0, n)
    pos = np.cumsum(steps, axis=0)
    alive = t[:, None] < rng.exponential(tau, n)[None]
    idx = np.rint(pos / dx).astype(int) + nx // 2
    ok = alive & (idx >= 0) & (idx < nx)
    sig = np.zeros((nt, nx))
    np.add.at(sig, (np.nonzero(ok)[0], idx[ok]), 1.0 / (tau * n))
    return make_dataset(
        sig,
        {"t": t, "x": x},
        signal_units="1/s",
        attrs={"technique": "SIM", "simulated_technique": "TPLM"},
    )


@pytest.fixture
def map_file(tmp_path, rng):
    from tests.continuum.test_fit import gaussian_map

    path = tmp_path / "map.nc"
    save(gaussian_map(rng), path)
    return path


# ------------------------------------------------------------------ protocol and CLI identity


def test_api_result_is_the_cli_results_json(map_file, tmp_path, capsys):
    r = nct.fit_model(map_file, window="0ns:3ns", fix={"tau": "2ns"})
    assert main(
        ["fit-model", str(map_file), "--window", "0ns:3ns", "--fix", "tau=2ns", "--out",
         str(tmp_path / "cli")]
    ) == 0  # fmt: skip
    capsys.readouterr()
    on_disk = json.loads((tmp_path / "cli" / "results.json").read_text())
    assert json.loads(json.dumps(to_jsonable(r.to_dict()))) == on_disk
    assert on_disk["params"]["tau"]["fixed"] is True
    assert on_disk["settings"]["fix"] == ["tau=2ns"]
    d = on_disk["diffusivity"]
    assert d["name"] == "D" and d["unit"] == "cm^2/s" and d["ci_method"] == "normal"
    lo, hi = d["ci95_cm2_s"]
    assert lo <= 0.01 <= hi  # truth 1e-6 m^2/s per axis


def test_protocol_methods(map_file, tmp_path):
    import matplotlib.pyplot as plt

    r = nct.fit_model(map_file)
    rows = r.summary_rows()
    assert rows[0][0] == "D (per axis)" and "95% CI" in rows[0][2]
    assert r.headline().startswith("D = ")
    fig, (a, b) = plt.subplots(2)
    assert r.plot_profiles(a) is a and r.plot_residuals(b) is b
    assert r.plot(a) is a
    plt.close(fig)
    written = r.write(tmp_path / "out")
    names = {p.name for p in written}
    assert {"results.json", "model.nc", "fit_model_profiles.png", "report.html"} <= names
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'class="card"' in html and "D (per axis)" in html
    assert "<" not in repr(r)[1:-1]  # a short repr, no markup
    assert "fit_model" in r._repr_html_() or "FitModelResult" in r._repr_html_()


def test_dataset_input_and_stack(rng):
    t = np.arange(-3, 15) * 0.2e-9
    x = (np.arange(32) - 16) * 30e-9
    tp = np.clip(t, 0, None)
    var = (120e-9) ** 2 + 2 * 2e-6 * tp
    r2 = x[None, :, None] ** 2 + x[None, None, :] ** 2
    lam = 400 * np.exp(-tp / 3e-9)[:, None, None] * (t >= 0)[:, None, None]
    lam = lam * (120e-9) ** 2 / var[:, None, None] * np.exp(-r2 / (2 * var[:, None, None])) + 2
    ds = make_dataset(rng.poisson(lam), {"t": t, "y": x, "x": x}, signal_units="counts")
    r = nct.fit_model(ds)
    lo, hi = r.fit.params["D"].ci95
    assert lo <= 2e-6 <= hi
    assert r.to_dict()["input"]["path"] is None  # generated data, no file


# ------------------------------------------------------------------ KMC sampling noise


def test_single_simulated_map_gets_no_ci_and_a_warning(rng):
    r = nct.fit_model(walker_map(rng))
    d = r.to_dict()
    assert d["diffusivity"]["ci95_cm2_s"] is None and d["diffusivity"]["ci_method"] == "none"
    assert d["params"]["D"]["stderr_m2_s"] is None
    assert d["uncertainty"]["method"] == "none"
    assert any("simulated (KMC)" in w and "seeds" in w for w in d["warnings"])
    assert "no CI" in r.summary()
    # the white-noise CI is still available on request, with a warning that it is too narrow
    w = nct.fit_model(walker_map(rng), ci="residual")
    assert w.fit.params["D"].ci95 is not None
    assert any("too narrow" in x for x in w.warnings)


def test_kmc_dataset_attributes_are_recognised():
    from nctransport.kmc import load_preset, simulate

    cfg = load_preset("random-walk", {"particles": "2000", "duration": "1ns"})
    runs = [simulate(cfg, seed=s).dataset for s in (1, 2, 3)]
    one = nct.fit_model(runs[0])
    assert one.fit.params["D"].ci95 is None and one.warnings
    three = nct.fit_model(runs)
    assert three.uncertainty["repetitions"] == 3
    assert three.fit.params["D"].ci_method == "t"
    # D = hop_rate spacing^2 = 1e-6 m^2/s per axis (random-walk preset): a wide but honest CI
    lo, hi = three.fit.params["D"].ci95
    assert lo < hi


def test_repetitions_give_an_honest_ci_where_white_noise_does_not(rng):
    # 15 experiments of 6 independent walker maps each, truth D = 1e-5 m^2/s. The jackknife
    # z-scores scatter like a t(5) variable (sd ~1.3, measured 1.0); the white-noise ones are
    # ~2.5x too wide because the sampling noise is correlated across frames.
    z_jack, z_white = [], []
    for _ in range(15):
        reps = [walker_map(rng) for _ in range(6)]
        jack = nct.fit_model(reps).fit.params["D"]
        white = nct.fit_model(reps, ci="residual").fit.params["D"]
        assert jack.value == white.value  # same point estimate, the mean map
        z_jack.append((jack.value - 1e-5) / jack.stderr)
        z_white.append((white.value - 1e-5) / white.stderr)
    assert 0.5 < np.std(z_jack) < 1.8
    assert abs(np.mean(z_jack)) < 0.8
    assert np.std(z_white) > 1.6


def test_signal_repetitions_variable(rng):
    reps = [walker_map(rng) for _ in range(4)]
    ds = reps[0].copy()
    ds["signal_repetitions"] = (("repetition", "t", "x"), np.stack([r.signal.values for r in reps]))
    a = nct.fit_model(ds).fit.params["D"]
    b = nct.fit_model(reps).fit.params["D"]
    assert a.value == pytest.approx(b.value, rel=1e-9)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-6)


def test_repetitions_must_match(rng, tmp_path):
    a = walker_map(rng)
    b = walker_map(rng, nx=61)
    with pytest.raises(errors.InputError, match="not a repetition"):
        nct.fit_model([a, b])
    with pytest.raises(ConfigError, match="at least 3"):
        nct.fit_model([a, walker_map(rng)], ci="repetitions")


# ------------------------------------------------------------------ hostile inputs (issue 16)


def _save_map(tmp_path, name, sig):
    t = np.arange(-2, sig.shape[0] - 2) * 0.2e-9
    x = (np.arange(sig.shape[1]) - sig.shape[1] // 2) * 25e-9
    path = tmp_path / name
    save(make_dataset(sig, {"t": t, "x": x}, signal_units="counts"), path)
    return path


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:"), err
    assert "Traceback" not in err and "RuntimeWarning" not in err
    return err


@pytest.mark.parametrize(
    ("name", "fill"),
    [
        ("zeros.nc", lambda s: np.zeros(s)),
        ("constant.nc", lambda s: np.full(s, 7.0)),
        ("dark_after_t0.nc", lambda s: np.where(np.arange(s[0])[:, None] < 2, 3.0, 3.0 + 0 * s[1])),
        ("nan_after_t0.nc", lambda s: np.where(np.arange(s[0])[:, None] < 2, 3.0, np.nan)),
        ("one_pixel.nc", lambda s: np.ones((s[0], 1)) * np.arange(s[0])[:, None]),
    ],
)
def test_maps_without_signal_are_refused_naming_the_file(tmp_path, capsys, name, fill):
    path = _save_map(tmp_path, name, fill((12, 41)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rc = main(["fit-model", str(path), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert name in _one_error_line(capsys)
    assert not (tmp_path / "o").exists()  # nothing written
    with pytest.raises(errors.NctransportError) as exc:
        nct.fit_model(path)
    assert exc.value.path and name in exc.value.path


@pytest.mark.parametrize(
    ("model", "option"),
    [
        ("diffusion", ["--fix", "D=-1cm2/s"]),
        ("diffusion", ["--fix", "tau=0ns"]),
        ("diffusion", ["--fix", "tau=-2ns"]),
        ("diffusion", ["--init", "D=0cm2/s"]),
        ("diffusion", ["--init", "tau=-1ns"]),
        ("power-law", ["--fix", "alpha=3"]),
        ("power-law", ["--fix", "alpha=-0.5"]),
        ("power-law", ["--fix", "D_1ns=-1e-6m2/s"]),
        ("bright-dark-trap", ["--fix", "f_dark0=1.5"]),
        ("bright-dark-trap", ["--fix", "k_BD=-1e9/s"]),
        ("bright-dark-trap", ["--fix", "k_B=0/s", "--fix", "f_dark0=0"]),
        ("diffusion", ["--fix", "D=nan cm2/s"]),
        ("diffusion", ["--fix", "D=1e400cm2/s"]),
        ("diffusion", ["--fix", "D=1e308cm2/s"]),  # in range, but the model overflows
    ],
)
def test_unphysical_parameters_are_refused(map_file, tmp_path, capsys, model, option):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rc = main(
            ["fit-model", str(map_file), "--model", model, *option, "--out", str(tmp_path / "o")]
        )
    assert rc == 2, option
    err = _one_error_line(capsys)
    assert option[0] in err or "fix" in err, err
    assert not (tmp_path / "o").exists()


def test_api_refuses_unphysical_values(map_file):
    with pytest.raises(ConfigError, match=r"D >= 0"):
        nct.fit_model(map_file, fix={"D": -1e-4})
    with pytest.raises(ConfigError, match=r"0 <= f_dark0 <= 1"):
        nct.fit_model(map_file, model="bright-dark-trap", fix={"f_dark0": 2.0})
    with pytest.raises(ConfigError, match="--ci"):
        nct.fit_model(map_file, ci="bogus")


def test_output_checked_before_computing(map_file, tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert main(["fit-model", str(map_file), "--out", str(target)]) == 2
    assert "a_file" in _one_error_line(capsys)


def test_fixed_zero_diffusivity_is_legal(map_file):
    r = nct.fit_model(map_file, fix={"D": 0.0})
    assert r.fit.params["D"].value == 0.0 and r.fit.params["D"].fixed


def test_fit_errors_name_the_file(map_file):
    with pytest.raises(FitError) as exc:
        nct.fit_model(map_file, window="100ns:200ns")
    assert str(map_file) == exc.value.path and "--window" in exc.value.message


def test_report_shows_input_metadata_as_text(rng, tmp_path):
    from tests.continuum.test_fit import gaussian_map

    ds = gaussian_map(rng)
    ds.attrs["sample"] = "<script>alert(1)</script>"
    path = tmp_path / "<b>odd</b> name.nc"
    save(ds, path)
    nct.fit_model(path).write(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;odd&lt;/b&gt; name.nc" in html and "<b>odd" not in html


_VALUES = st.one_of(
    st.just(0.0),
    st.just(float("nan")),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nt=st.integers(min_value=1, max_value=6),
    nx=st.integers(min_value=1, max_value=9),
    data=st.data(),
    units=st.sampled_from(["counts", "arb"]),
)
def test_any_map_gives_a_result_or_a_typed_error(nt, nx, data, units):
    # Whatever the numbers: a result, or one of our errors -- never a raw exception or a
    # NumPy RuntimeWarning.
    sig = np.array(data.draw(st.lists(_VALUES, min_size=nt * nx, max_size=nt * nx))).reshape(nt, nx)
    if np.isnan(sig).all():
        sig[0, 0] = 1.0
    t = (np.arange(nt) - nt // 3) * 1e-10
    x = np.arange(nx) * 2e-8
    ds = make_dataset(sig, {"t": t, "x": x}, signal_units=units)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            r = nct.fit_model(ds)
        except errors.NctransportError:
            return
    assert np.isfinite(r.fit.params["D"].value)


def test_jackknife_refuses_a_ci_when_repetitions_disagree_wildly(rng):
    # Bornschlegl 2024 bright/dark preset at its default size: leave-one-out fits of D range
    # over many orders of magnitude (D is not constrained); reported as no CI, with why.
    import dataclasses

    from nctransport.continuum.workflow import _jackknife

    reps = [walker_map(rng) for _ in range(4)]
    fit = nct.fit_model(reps).fit
    arr = np.stack([r.signal.values for r in reps])
    values = iter([1e-5, 1e-25, 1e-5, 1e-25])

    def run(sub, start):
        p = dataclasses.replace(fit.params["D"], value=next(values))
        return dataclasses.replace(fit, params={**fit.params, "D": p})

    out, groups, why = _jackknife(fit, arr, reps[0], run)
    assert groups == 4 and out.params["D"].ci95 is None
    assert "disagree on D" in why

    def failing(sub, start):
        raise FitError("no signal")

    out, _, why = _jackknife(fit, arr, reps[0], failing)
    assert out.params["D"].ci95 is None and "failed (no signal)" in why
