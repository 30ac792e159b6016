"""``nct.fit_decay``: the Python API, its identity with the CLI, and hostile inputs."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nctransport as nct
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError, FitError, InputError, NctransportError
from nctransport.kinetics import models as M
from nctransport.kinetics.workflow import DecayFitResult, GlobalDecayResult
from nctransport.results import Estimate

TRUE_TAUS = (0.6, 5.0)  # ns
T0, FWHM = 0.4, 0.3  # ns, Gaussian IRF


def _write_csv(path, t_ns, y):
    rows = "".join(f"{a:.4f},{b:d}\n" for a, b in zip(t_ns, y, strict=True))
    path.write_text("t [ns],counts\n" + rows)
    return path


@pytest.fixture
def decay_csv(tmp_path, rng):
    t = np.arange(-2.0, 30.0, 0.08)
    mu = M.exp_sum_gaussian_irf(t, [400.0, 100.0], list(TRUE_TAUS), T0, FWHM) + 2
    return _write_csv(tmp_path / "decay.csv", t, rng.poisson(mu))


@pytest.fixture
def decay_files(tmp_path, rng):
    t = np.arange(0.0, 15.0, 0.1)
    return [
        _write_csv(tmp_path / f"d{i}.csv", t, rng.poisson(a * np.exp(-t / 2.0) + 1))
        for i, a in enumerate((300.0, 100.0, 50.0))
    ]


def _cli_json(capsys, argv):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_fit_decay_on_a_csv_path_recovers_the_lifetimes(decay_csv):
    k = nct.fit_decay(str(decay_csv), model="exp2", irf="fit")
    assert isinstance(k, DecayFitResult) and k.converged
    taus = k.lifetimes
    assert all(isinstance(e, Estimate) and e.unit == "ns" for e in taus)
    for est, true in zip(taus, TRUE_TAUS, strict=True):
        assert est.ci95[0] - 2 * est.stderr <= true <= est.ci95[1] + 2 * est.stderr
    d = k.to_dict()
    assert d["irf_fwhm_ns"] == pytest.approx(FWHM, abs=0.05)
    assert d["input"]["path"] == str(decay_csv) and d["input"]["sha256"]
    assert "tau1" in k.summary() and "ns" in k.summary()
    assert "DecayFitResult" in repr(k) and "<table>" in k._repr_html_()


def test_api_and_cli_give_identical_results(decay_csv, tmp_path, capsys):
    api = nct.fit_decay(decay_csv, model="auto", window="0ns:25ns").to_dict()
    cli = _cli_json(
        capsys, ["kinetics", str(decay_csv), "--window", "0ns:25ns", "--out", str(tmp_path / "o")]
    )
    from nctransport.results import to_jsonable

    assert to_jsonable(api) == cli
    assert cli["selection"]["chosen"] == "exp2"
    written = json.loads((tmp_path / "o" / "results.json").read_text())
    assert written == cli


def test_global_api_on_a_list_of_paths_equals_cli(decay_files, tmp_path, capsys):
    from nctransport.results import to_jsonable

    g = nct.fit_decay(decay_files, model="exp1", irf="none")  # a list means a global fit
    assert isinstance(g, GlobalDecayResult)
    cli = _cli_json(
        capsys,
        [
            "kinetics",
            *map(str, decay_files),
            "--global",
            "--model",
            "exp1",
            "--irf",
            "none",
            "--out",
            str(tmp_path / "g"),
        ],
    )
    assert to_jsonable(g.to_dict()) == cli
    tau = g.lifetimes[0]
    assert abs(tau.value - 2.0) < 3 * tau.stderr
    amp = g.amplitudes
    assert amp.amplitude.sel(component=amp.component.values[0]).values == pytest.approx(
        [300.0, 100.0, 50.0], rel=0.1
    )
    assert cli["amplitudes_file"] == "amplitudes.nc"
    assert (tmp_path / "g" / "amplitudes.nc").stat().st_size > 0


def test_dataset_input_global_map_and_plots(rng, tmp_path):
    import matplotlib.pyplot as plt

    t = np.arange(-1.0, 20.0, 0.1)
    x = np.linspace(-1e-6, 1e-6, 7)
    fast = np.exp(-(x**2) / (2 * (0.5e-6) ** 2))
    b1 = M.exp_sum_gaussian_irf(t, [30.0], [0.7], 0.3, 0.25)
    b2 = M.exp_sum_gaussian_irf(t, [8.0], [4.0], 0.3, 0.25)
    mu = np.outer(b1, fast) + np.outer(b2, np.ones_like(x)) + 0.2
    ds = make_dataset(rng.poisson(mu), {"t": t * 1e-9, "x": x}, signal_units="counts")
    g = nct.fit_decay(ds, model="exp2", global_fit=True)
    assert g.to_dict()["n_decays"] == 7 and g.to_dict()["input"]["path"] is None
    fig, (a1, a2, a3) = plt.subplots(3)
    assert g.plot(a1) is a1 and g.plot_residuals(a2) is a2 and g.plot_amplitudes(a3) is a3
    assert a1.get_yscale() == "log" and len(a1.lines) >= 2
    plt.close(fig)
    written = {p.name for p in g.write(tmp_path / "gm")}
    assert {"results.json", "amplitudes.nc", "decay_fit.csv", "decay_fit.svg"} <= written
    assert {"amplitudes.svg", "report.html"} <= written


def test_single_fit_writes_curves_and_plots(decay_csv, tmp_path):
    import matplotlib.pyplot as plt

    k = nct.fit_decay(decay_csv, model="exp2")
    top = k.plot()  # no Axes: a new figure with the residuals underneath
    assert len(top.figure.axes) == 2
    plt.close(top.figure)
    names = {p.name for p in k.write(tmp_path / "w")}
    assert {"results.json", "decay_fit.csv", "decay_fit.svg", "report.html"} <= names
    rows = (tmp_path / "w" / "decay_fit.csv").read_text().splitlines()
    assert rows[0] == "t [ns],data,fit,weighted_residual" and len(rows) == k.fit.t_s.size + 1


def test_gaussian_irf_of_known_width(decay_csv):
    k = nct.fit_decay(decay_csv, model="exp2", irf="gaussian:300ps")
    d = k.to_dict()
    assert d["irf_shift_ns"] == pytest.approx(T0, abs=0.03)  # time zero is fitted
    assert d["settings"]["irf"] == "gaussian:300ps"
    for est, true in zip(k.lifetimes, TRUE_TAUS, strict=True):
        assert abs(est.value - true) < 4 * est.stderr


def test_quantities_as_pint_and_tuples(decay_csv):
    from nctransport.units import ureg

    a = nct.fit_decay(decay_csv, model="exp1", irf="none", window=("2ns", "20ns"))
    b = nct.fit_decay(decay_csv, model="exp1", irf="none", window="2ns:20ns")
    c = nct.fit_decay(
        decay_csv, model="exp1", irf="none", window=(2 * ureg.ns, 20e-9), rep_rate=80 * ureg.MHz
    )
    assert a.to_dict()["components"] == b.to_dict()["components"]
    assert c.to_dict()["settings"]["rep_period_s"] == pytest.approx(12.5e-9)


# ------------------------------------------------------------------------------ hostile
def _csv_rows(tmp_path, name, rows, header="t [ns],counts"):
    p = tmp_path / name
    p.write_text(header + "\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return p


HOSTILE = {
    "all-zero": ([(i, 0) for i in range(40)], "no counts"),
    "three points": ([(0, 1), (1, 2), (2, 1)], "points in the fit window"),
    "all-NaN": ([(i, "nan") for i in range(40)], "NaN"),
}


@pytest.mark.parametrize("model", ["auto", "exp1"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_decays_name_the_file_in_one_line(tmp_path, capsys, case, model):
    rows, words = HOSTILE[case]
    p = _csv_rows(tmp_path, "bad.csv", rows)
    rc = main(["kinetics", str(p), "--model", model, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:") and str(p.name) in err and words in err
    assert len(err.strip().splitlines()) == 1 and "Warning" not in err
    assert not (tmp_path / "o").exists()  # nothing written for a refused input


def test_no_resolved_model_says_why_for_every_candidate(tmp_path):
    p = _csv_rows(tmp_path, "zero.csv", [(i, 0) for i in range(40)])
    with pytest.raises(FitError) as exc:
        nct.fit_decay(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: no candidate model gave a resolved fit: ")
    for name in ("exp1", "exp2", "exp3"):
        assert f"{name}: fit failed (no counts in the fit window)" in msg


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"model": "exp9"}, ConfigError, "--model"),
        ({"irf": "gaussian:-1ns"}, ConfigError, "--irf"),
        ({"irf": "gaussian:abc"}, NctransportError, "--irf"),
        ({"irf": "no_such_irf.csv"}, ConfigError, "--irf"),
        ({"rep_rate": "-5MHz"}, ConfigError, "--rep-rate"),
        ({"rep_rate": "0Hz"}, ConfigError, "--rep-rate"),
        ({"window": "5ns:1ns"}, ConfigError, "--window"),
        ({"window": (1, 2, 3)}, ConfigError, "--window"),
        ({"position": "1um"}, ConfigError, "--position"),
        ({"global_fit": False, "data2": True}, ConfigError, "--global"),
        ({"load_options": {"bogus": 1}}, ConfigError, "bogus"),
    ],
)
def test_bad_settings_are_typed_errors_naming_the_option(decay_csv, kwargs, error, words):
    kwargs = dict(kwargs)
    data = [decay_csv, decay_csv] if kwargs.pop("data2", False) else decay_csv
    with pytest.raises(error) as exc:
        nct.fit_decay(data, **kwargs)
    assert words in str(exc.value)


def test_negative_rep_rate_in_metadata_is_refused_with_the_file(decay_csv):
    with pytest.raises(InputError) as exc:
        nct.fit_decay(decay_csv, load_options={"meta": ["rep_rate=-5MHz"]})
    assert str(decay_csv) in str(exc.value) and "rep_rate" in str(exc.value)


def test_fixed_width_irf_needs_a_uniform_grid(tmp_path):
    t = np.concatenate([np.arange(0, 5, 0.1), np.arange(5, 20, 0.3)])
    p = _csv_rows(tmp_path, "nonuniform.csv", [(a, int(500 * np.exp(-a / 2))) for a in t])
    with pytest.raises(InputError) as exc:
        nct.fit_decay(p, model="exp1", irf="gaussian:0.2ns")
    assert "uniform time grid" in str(exc.value) and "nonuniform.csv" in str(exc.value)


def test_input_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        nct.fit_decay(fifo)


@given(
    y=arrays(
        np.float64,
        st.integers(4, 40),
        elements=st.one_of(
            st.floats(-1e3, 1e6, allow_nan=False),
            st.just(np.nan),
            st.just(np.inf),
            st.just(1e300),
        ),
    ),
    method=st.sampled_from(["mle", "lsq"]),
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_garbage_decays_raise_typed_errors_and_no_warnings(y, method):
    t = np.arange(y.size) * 1e-10
    try:
        ds = make_dataset(y, {"t": t}, signal_units="counts")
    except NctransportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            r = nct.fit_decay(ds, model="exp1", irf="none", method=method)
        except NctransportError:
            return
    assert r.to_dict()["model"] == "exp1"


def _plain(obj) -> bool:
    """Only JSON's own Python types, all the way down (no NumPy scalars or arrays)."""
    if isinstance(obj, dict):
        return all(type(k) is str and _plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain(v) for v in obj)
    return obj is None or type(obj) in (str, int, float, bool)


def test_fit_decay_to_dict_holds_plain_python_numbers(decay_csv):
    d = nct.fit_decay(decay_csv, model="exp2", irf="fit").to_dict()
    assert _plain(d)
    json.dumps(d, allow_nan=False)  # no default= hook needed
