"""``nctransport.analyze`` / ``nctransport.series``: the Python API, its identity with the CLI,
hostile inputs (issue 16) and D(t) from the second moment (issue 14)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import xarray as xr

import nctransport as nct
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError, FitError, InputError, OutputError
from nctransport.io import save
from nctransport.microscopy.synthetic import synthetic_map
from nctransport.results import ResultProtocol, dumps

D = 0.5e-4
T = np.linspace(-0.5e-9, 3e-9, 36)
X = np.linspace(-1.5e-6, 1.5e-6, 41)


def _map(seed=1, **attrs):
    return synthetic_map(
        T, X, sigma0=2e-7, D=D, amplitude=300.0, lifetime=3e-9, background=5.0,
        noise="poisson", seed=seed, attrs=attrs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def map_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("api") / "map.csv"
    save(_map(temperature="300 K"), p)
    return p


@pytest.fixture(scope="module")
def result(map_csv):
    return nct.analyze(str(map_csv), window="0ns:3ns")


def test_api_example_from_the_issue(result, map_csv, tmp_path):
    import matplotlib

    matplotlib.use("Agg", force=False)  # the test session has no display
    assert isinstance(result, ResultProtocol)
    ax = result.plot()
    assert ax.get_lines()  # the MSD fit was drawn
    written = result.write(tmp_path / "out")
    names = {p.name for p in written}
    assert {"results.json", "msd.csv", "profiles.nc", "report.html", "map.svg"} <= names
    d = result.to_dict()["diffusivity"]["value_cm2_s"]
    lo, hi = result.to_dict()["diffusivity"]["ci95_cm2_s"]
    assert lo < D * 1e4 < hi and lo < d < hi
    on_disk = json.loads((tmp_path / "out" / "results.json").read_text())
    assert on_disk == json.loads(dumps(result.to_dict()))
    assert result.to_dict()["input"]["path"] == str(map_csv)
    assert "D =" in result.headline() and "D (sigma0 free)" in result.summary()
    assert "<table>" in result._repr_html_()


def test_api_on_a_dataset_matches_the_file(result, map_csv):
    from nctransport.io import load

    r = nct.analyze(load(map_csv), window=(0.0, "3ns"))
    a, b = r.to_dict(), result.to_dict()
    assert a["diffusivity"] == b["diffusivity"]
    assert a["msd"] == b["msd"]


def test_api_example_on_a_dataset_without_a_file(tmp_path):
    import matplotlib

    matplotlib.use("Agg", force=False)
    r = nct.analyze(_map(seed=7), window="0ns:3ns")
    assert r.plot().get_lines()
    r.write(tmp_path / "ds")
    assert (tmp_path / "ds" / "report.html").is_file()
    assert r.to_dict()["input"]["path"] is None
    assert r.to_dict()["diffusivity"]["value_cm2_s"] == pytest.approx(D * 1e4, rel=0.2)


def test_plot_methods_draw_on_given_axes(result):
    from nctransport.plotting import new_figure

    fig, axes = new_figure(2, 2)
    for ax, name in zip(axes.ravel(), ("plot_msd", "plot_profiles", "plot_map", "plot_decay"),
                        strict=True):  # fmt: skip
        assert getattr(result, name)(ax=ax) is ax
        assert ax.has_data()


def test_map_figure_is_first_and_dense_series_are_binned(tmp_path):
    from nctransport.microscopy.analysis_figures import MAX_POINTS

    t = np.linspace(0, 3e-9, 800)
    ds = synthetic_map(t, X, sigma0=2e-7, D=D, amplitude=2e3, lifetime=5e-9,
                       noise="gaussian", noise_sigma=5.0, seed=2)  # fmt: skip
    r = nct.analyze(ds)
    figs = r._figures()
    assert figs[0][0] == "map"
    ax = figs[[f[0] for f in figs].index("msd")][2].axes[0]
    n_markers = max(len(line.get_xdata()) for line in ax.get_lines())
    assert n_markers <= MAX_POINTS < r.msd.t.size  # display binned, data complete
    r.write(tmp_path / "o")
    assert len((tmp_path / "o" / "msd.csv").read_text().splitlines()) == r.msd.t.size + 1


def test_api_and_cli_give_identical_results(map_csv, tmp_path, capsys):
    args = ["--window", "0ns:2.5ns", "--temperature", "77K", "--profile", "gaussian"]
    out = tmp_path / "cli"
    assert main(["analyze", str(map_csv), "--out", str(out), *args]) == 0
    capsys.readouterr()
    r = nct.analyze(map_csv, window="0ns:2.5ns", temperature="77K", profile="gaussian")
    cli = json.loads((out / "results.json").read_text())
    assert cli == json.loads(dumps(r.to_dict()))
    assert (out / "msd.csv").read_text() == _msd_text(r, tmp_path)


def _msd_text(r, tmp_path):
    r.write(tmp_path / "api", report=False)
    return (tmp_path / "api" / "msd.csv").read_text()


def test_quantities_as_pint_and_si_floats(map_csv):
    from nctransport.units import ureg

    a = nct.analyze(map_csv, window="0ns:2.5ns", temperature=ureg.Quantity(77, "K"))
    b = nct.analyze(map_csv, window=(0.0, 2.5e-9), temperature=77.0)
    assert a.to_dict()["mobility_cm2_Vs"] == pytest.approx(b.to_dict()["mobility_cm2_Vs"])
    with pytest.raises(ConfigError, match="temperature"):
        nct.analyze(map_csv, temperature="-5K")
    with pytest.raises(ConfigError, match="snr"):
        nct.analyze(map_csv, snr=0)


def test_meta_and_t0_apply_to_a_dataset_as_to_a_file(map_csv):
    from nctransport.io import load

    r = nct.analyze(load(map_csv), meta={"temperature": "150K"}, window="0ns:2.5ns")
    assert r.to_dict()["temperature_K"] == pytest.approx(150.0)
    r2 = nct.analyze(map_csv, meta=["temperature=150K"], window="0ns:2.5ns")
    assert r2.to_dict()["mobility_cm2_Vs"] == pytest.approx(r.to_dict()["mobility_cm2_Vs"])
    assert r2.to_dict()["settings"]["load"]["meta"] == ["temperature=150K"]


# ---------------------------------------------------------------- hostile inputs (issue 16)


def _hostile(kind: str):
    ds = _map(seed=3)
    sig, t, x = ds.signal.values, ds.t.values, ds.x.values
    if kind == "one-pixel":
        return make_dataset(sig[:, 20:21], {"t": t, "x": x[20:21]})
    if kind == "two-pixels":
        return make_dataset(sig[:, 19:21], {"t": t, "x": x[19:21]})
    if kind == "t-times-1e300":
        # make_dataset itself refuses such an axis, so the file is built as another tool would
        raw = xr.Dataset({"signal": (("t", "x"), sig)}, coords={"t": t * 1e300, "x": x})
        raw["t"].attrs["units"], raw["x"].attrs["units"] = "s", "m"
        return raw
    if kind == "t-times-1e-300":
        return make_dataset(sig, {"t": t * 1e-300, "x": x})
    if kind == "x-times-1e-300":
        return make_dataset(sig, {"t": t, "x": x * 1e-300})
    if kind == "signal-1e300":
        return make_dataset(sig * 1e300, {"t": t, "x": x})
    if kind == "one-frame":
        return make_dataset(sig[-1:], {"t": t[-1:], "x": x})
    if kind == "no-signal":
        return make_dataset(np.full_like(sig, 5.0), {"t": t, "x": x}, signal_units="counts")
    if kind == "all-zero":
        return make_dataset(np.zeros_like(sig), {"t": t, "x": x})
    raise AssertionError(kind)


HOSTILE = [
    "one-pixel", "two-pixels", "t-times-1e300", "t-times-1e-300", "x-times-1e-300",
    "signal-1e300", "one-frame", "no-signal", "all-zero",
]  # fmt: skip


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_maps_give_one_error_naming_the_file(kind, tmp_path, capsys):
    path = tmp_path / f"{kind}.nc"
    if kind == "t-times-1e300":
        _hostile(kind).to_netcdf(path, engine="h5netcdf")
    else:
        save(_hostile(kind), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may escape
        with pytest.raises((InputError, FitError)) as info:
            nct.analyze(path)
        assert info.value.path == str(path)
        rc = main(["analyze", str(path), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and str(path.name) in err
    assert "Traceback" not in err and "unexpected" not in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_refuses_out_dir_that_would_overwrite_its_input(tmp_path, capsys):
    d = tmp_path / "D"
    d.mkdir()
    src = d / "profiles.nc"
    save(_map(seed=5), src)
    before = src.read_bytes()
    assert main(["analyze", str(src), "--out", str(d)]) == 2
    err = capsys.readouterr().err
    assert "overwrite the input" in err and err.count("\n") == 1
    assert src.read_bytes() == before
    r = nct.analyze(src)
    with pytest.raises(OutputError):
        r.write(d)  # the result protects its own input, as write() promises
    assert src.read_bytes() == before
    # An input's own folder is fine when no output name collides with the input.
    e = tmp_path / "E"
    e.mkdir()
    other = e / "scan.nc"
    save(_map(seed=5), other)
    assert main(["analyze", str(other), "--out", str(e), "--no-report"]) == 0
    assert (e / "results.json").is_file()


def test_bad_data_argument():
    with pytest.raises(InputError):
        nct.analyze(42)


# ------------------------------------------------- D(t) from the second moment (issue 14)


def test_moments_give_d_of_t_from_the_variance_of_a_flat_topped_profile():
    """A top hat of width w diffusing: box * Gaussian(2 D t). Its variance is exactly
    w^2 / 12 + 2 D t (per axis), so D(t) = change of variance / 2t = D at every t, while a
    Gaussian fit of the flat top is biased."""
    from scipy.special import erf

    w, d_true = 1.2e-6, 2e-4
    t = np.linspace(0, 2e-9, 21)
    x = np.linspace(-4e-6, 4e-6, 401)
    s = np.sqrt(np.maximum(2 * d_true * t, 1e-30))[:, None]
    prof = 0.5 * (erf((x + w / 2) / (np.sqrt(2) * s)) - erf((x - w / 2) / (np.sqrt(2) * s)))
    rng = np.random.default_rng(0)
    ds = make_dataset(1e3 * prof + rng.normal(0, 0.5, prof.shape), {"t": t, "x": x})
    r = nct.analyze(ds, profile="moments", window="0ns:2ns")
    tdd = r.to_dict()["time_dependent_diffusivity"]
    assert tdd["width"] == "moments"
    d_t = np.asarray(tdd["d_cm2_s"]) * 1e-4
    assert np.all(np.abs(d_t[2:] - d_true) < 0.03 * d_true)  # D(t) flat at the true D
    assert r.diffusivity.value == pytest.approx(d_true, rel=0.02)
    var0 = r.msd.sigma_ref**2
    assert var0 == pytest.approx(w**2 / 12, rel=0.01)  # exact variance of the top hat


# --------------------------------------------------------------------------- series


def test_series_api_matches_cli(tmp_path, capsys):
    files = []
    for i, p in enumerate((10.0, 20.0, 40.0)):
        f = tmp_path / f"p{i}.nc"
        save(_map(seed=10 + i, power=f"{p} nW"), f)
        files.append(f)
    r = nct.series(files, by="power", window="0ns:2.5ns")
    assert isinstance(r, ResultProtocol) and len(r.summary_rows()) >= 3
    out = tmp_path / "s"
    assert main(["series", *map(str, files), "--by", "power", "--window", "0ns:2.5ns",
                 "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    assert json.loads((out / "results.json").read_text()) == json.loads(dumps(r.to_dict()))
    assert (out / "series.csv").is_file() and (out / "report.html").is_file()
    v = nct.series(files, by="power", values="10nW,20nW,40nW", window="0ns:2.5ns")
    assert [p["value"] for p in v.to_dict()["points"]] == pytest.approx([10.0, 20.0, 40.0])
