"""Device workflows: the Python API, drift-diffusion fits against an independent solver,
calibrated covariances, thickness scaling and hostile inputs (Li 2024)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import epsilon_0

import nctransport as nct
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.device.fit import JVCurve, fit_drift_diffusion, simulate_jv_model
from nctransport.errors import ConfigError, InputError, NctransportError, ResourceError
from nctransport.io import save

L, EPS_R = 110e-9, 3.5
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
REFERENCE = json.loads((Path(__file__).with_name("data") / "bvp_reference.json").read_text())


def _reference(case: str):
    v = np.array(REFERENCE["voltages_V"])
    return v, np.array(REFERENCE[case]["current_density_A_m2"])


def _csv(path: Path, v, j, *, temperature=297.0, thickness=110e-9) -> Path:
    lines = [f"# temperature: {temperature:g} K", f"# thickness: {thickness * 1e9:g} nm"]
    lines += ["V [V],J [A/m2]"]
    lines += [f"{a!r},{b!r}" for a, b in zip(v.tolist(), j.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


# ----------------------------------------------------------------- the API of issue 13


def test_api_examples_return_results_with_the_protocol(tmp_path):
    r = nct.sclc([EXAMPLES / "jv_220K.csv", EXAMPLES / "jv_297K.csv"], thickness="110nm", eps_r=3.5)
    d = r.to_dict()
    assert len(d["files"]) == 2 and d["files"][1]["mobility_m2_Vs"] > 0
    assert "mobility_drift_diffusion" in d["files"][1]
    assert r.summary_rows() and r.plot_jv(None) is not None
    s = nct.simulate_jv(
        model="constant",
        mobility="4.4e-11 m^2/V/s",
        thickness="110nm",
        eps_r=3.5,
        temperature="297K",
        voltages="0:10:11",
    )
    assert s.current_density_A_m2.shape == (11,)
    assert s.j_over_mott_gurney_at_max_V == pytest.approx(1.17, abs=0.03)
    written = s.write(tmp_path / "sim")
    assert {"results.json", "jv.csv", "profiles.nc", "report.html"} <= {p.name for p in written}
    # floats are SI, the same as text with units
    s2 = nct.simulate_jv(
        model="constant",
        mobility=4.4e-11,
        thickness=110e-9,
        eps_r=3.5,
        temperature=297.0,
        voltages=[0.0, 10.0],
    )
    assert s2.current_density_A_m2[-1] == pytest.approx(s.current_density_A_m2[-1], rel=1e-9)


def test_cli_and_api_give_the_same_numbers(tmp_path, capsys):
    files = [str(EXAMPLES / "jv_297K.csv")]
    assert main(["device", "sclc", *files, "--out", str(tmp_path / "o"), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = nct.sclc(files).to_dict()
    assert cli["mobility_m2_Vs"] == api["mobility_m2_Vs"]
    assert cli["mobility_drift_diffusion"] == api["mobility_drift_diffusion"]


@pytest.mark.parametrize(
    "args",
    [
        {"model": "constant", "mobility": "4.4e-11m2/V/s"},  # default statistics: boltzmann
        {"model": "egdm", "mu0": "2e-8m2/V/s", "sigma": "0.1eV", "a": "2.8nm"},  # gauss-fermi
    ],
)
def test_device_simulate_cli_equals_api_with_default_statistics(tmp_path, capsys, args):
    common = {"voltages": "0:8:5", "points": 40}
    argv = ["device", "simulate", "--out", str(tmp_path / "o"), "--json", "--no-report"]
    for k, v in {**args, **common}.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    api = nct.simulate_jv(**args, **common)
    assert api.settings["statistics"] == (
        "boltzmann" if args["model"] == "constant" else "gauss-fermi"
    )
    assert cli == json.loads(json.dumps(api.to_dict()))
    assert (tmp_path / "o" / "jv.csv").read_text() == api.jv_csv()


# ------------------------------------------- issue 15: fits against an independent solver


def test_constant_fit_recovers_mobility_of_independent_solver():
    v, j = _reference("constant_110nm")
    fit = fit_drift_diffusion([JVCurve(v, j, 297.0, thickness_m=L)], model="constant")
    mu = fit.parameters["mobility_m2_Vs"]
    assert mu.value == pytest.approx(4.4e-11, rel=0.01)


def test_poole_frenkel_fit_recovers_gamma_of_independent_solver():
    v, j = _reference("poole_frenkel_110nm")
    fit = fit_drift_diffusion([JVCurve(v, j, 297.0, thickness_m=L)], model="poole-frenkel")
    assert fit.parameters["gamma_sqrt_m_V"].value == pytest.approx(3e-4, rel=0.05)
    assert fit.parameters["mu0_m2_Vs"].value == pytest.approx(2e-11, rel=0.05)
    c = fit.correlations["mu0_m2_Vs"]["gamma_sqrt_m_V"]
    assert -1.0 <= c <= 1.0


def test_sclc_prints_mott_gurney_and_drift_diffusion_mobility(tmp_path, capsys):
    v, j = _reference("constant_110nm")
    path = _csv(tmp_path / "ref.csv", v, j)
    assert (
        main(
            [
                "device",
                "sclc",
                str(path),
                "--fit-range",
                "0.4:9",
                "--no-leak",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "mu Mott-Gurney" in out and "mu drift-diffusion" in out
    res = json.loads((tmp_path / "o" / "results.json").read_text())
    dd = res["mobility_drift_diffusion"]
    assert dd["value_m2_V_s"] == pytest.approx(4.4e-11, rel=0.01)
    assert res["mobility_m2_Vs"] > 1.1 * 4.4e-11  # Mott-Gurney is biased by diffusion
    assert any("differ by more than their CIs" in w for w in res["warnings"])


def test_no_false_l3_warning_on_noise_free_drift_diffusion():
    series = []
    for thick in (63.5e-9, 90e-9, 130e-9):
        v = np.geomspace(0.3, 6, 16)
        j = simulate_jv_model(
            v,
            model="constant",
            mobility_m2_Vs=4.4e-11,
            temperature_K=297,
            thickness_m=thick,
            eps_r=EPS_R,
            n_points=120,
        )
        series.append(
            make_dataset(
                j,
                {"V": v},
                signal_units="A/m**2",
                signal_name="J",
                attrs={"thickness": f"{thick * 1e9:g} nm", "temperature": "297 K"},
            )
        )
    r = nct.sclc(series, drift_diffusion=False)
    ts = r.to_dict()["thickness_series"]
    assert ts["exponent"] == pytest.approx(3.0, abs=0.03)
    assert ts["consistent_with_l3"] is True
    assert not any("L^-3" in w for w in r.warnings)


def test_l3_warning_when_scaling_is_clearly_not_sclc():
    series = []
    for thick in (63.5e-9, 90e-9, 130e-9):
        v = np.geomspace(0.3, 6, 16)
        j = 9 / 8 * epsilon_0 * EPS_R * 1e-10 * v**2 / thick**2  # L^-2: not SCLC
        series.append(
            make_dataset(
                j,
                {"V": v},
                signal_units="A/m**2",
                signal_name="J",
                attrs={"thickness": f"{thick * 1e9:g} nm"},
            )
        )
    r = nct.sclc(series, drift_diffusion=False)
    assert any("not the SCLC L^-3" in w for w in r.warnings)


def test_sclc_mobility_at_field(tmp_path):
    v = np.geomspace(0.2, 8, 30)
    mu0 = 4.4e-11
    j = 9 / 8 * epsilon_0 * EPS_R * mu0 * v**2 / L**3 * (1 + (v / 2.3) ** 2)
    ds = make_dataset(
        j,
        {"V": v},
        signal_units="A/m**2",
        signal_name="J",
        attrs={"thickness": "110nm", "temperature": "297 K"},
    )
    r = nct.sclc(
        ds, at_field=f"{2.3 / L}V/m", fit_range=(0.2, 0.6), drift_diffusion=False, leak=False
    )
    at = r.to_dict()["at_field"]
    assert at["voltage_V"] == pytest.approx(2.3)
    assert at["j_over_mott_gurney"] == pytest.approx(2.0, rel=0.05)


def test_tel_with_built_in_voltage_and_stack():
    w = np.linspace(2e-6, 100e-6, 30)
    ds = make_dataset(2.0 * np.clip(w - 10e-6, 0, None), {"t": w}, signal_units="arb")
    stack = [("25nm", 3.0), ("25nm", 3.0), ("qd", 3.0), ("40nm", 3.0)]
    r = nct.tel(ds, thickness="30nm", voltage="4V", built_in="1.474V", stack=stack)
    f = r.to_dict()
    assert f["field_V_m"] == pytest.approx((4 - 1.474) / 120e-9)
    assert f["sqrt_field_sqrt_V_cm"] == pytest.approx(458.8, abs=0.2)  # Li 2024 at 4 V
    assert f["mobility_m2_Vs"] == pytest.approx(30e-9 / (10e-6 * f["field_V_m"]), rel=1e-6)


# ------------------------------------------------- calibrated covariances (issue 15 item 1)


def _coverage(model, truth, curves_truth, noise, n_rep, seed, **kw):
    rng = np.random.default_rng(seed)
    hits = {k: 0 for k in truth}
    for _ in range(n_rep):
        curves = [
            JVCurve(v, j * np.exp(noise * rng.standard_normal(v.size)), t, thickness_m=L)
            for v, j, t in curves_truth
        ]
        fit = fit_drift_diffusion(curves, model=model, relative_noise=noise, **kw)
        for corr_row in fit.correlations.values():
            assert all(-1.0 <= c <= 1.0 for c in corr_row.values())
        for k, val in truth.items():
            lo, hi = fit.parameters[k].ci95
            hits[k] += lo <= val <= hi
    return {k: h / n_rep for k, h in hits.items()}


@pytest.mark.slow
def test_poole_frenkel_ci_coverage():
    v = np.geomspace(0.5, 8, 8)
    j = simulate_jv_model(
        v,
        model="poole-frenkel",
        mu0_m2_Vs=2e-11,
        gamma_sqrt_m_V=3e-4,
        temperature_K=297,
        thickness_m=L,
        eps_r=EPS_R,
        n_points=40,
    )
    cov = _coverage(
        "poole-frenkel",
        {"mu0_m2_Vs": 2e-11, "gamma_sqrt_m_V": 3e-4},
        [(v, j, 297.0)],
        0.03,
        60,
        3,
        n_points=40,
        ci="curvature",
    )
    # 95 % intervals: P(<= 51 of 60 | p = 0.95) ~ 1.5 %
    assert all(c >= 52 / 60 for c in cov.values()), cov


@pytest.mark.slow
def test_egdm_fit_a_covariance_valid_and_calibrated():
    v = np.geomspace(0.3, 8, 8)
    truth = {"sigma_eV": 0.12, "mu0_m2_Vs": 2.1e-8, "a_m": 2.8e-9}
    curves = []
    for t in (220.0, 260.0, 297.0):
        j = simulate_jv_model(
            v,
            model="egdm",
            mu0_m2_Vs=2.1e-8,
            sigma_eV=0.12,
            a_m=2.8e-9,
            statistics="gauss-fermi",
            temperature_K=t,
            thickness_m=L,
            eps_r=EPS_R,
            n_points=40,
        )
        curves.append((v, j, t))
    cov = _coverage(
        "egdm",
        truth,
        curves,
        0.02,
        24,
        5,
        fit_a=True,
        n_points=40,
        sigma_init_eV=0.12,
        mobility_init_m2_Vs=2.1e-8,
        ci="curvature",
    )
    # P(<= 19 of 24 | p = 0.95) ~ 0.7 %
    assert all(c >= 20 / 24 for c in cov.values()), cov


@pytest.mark.slow
def test_fit_a_on_bundled_data_has_a_sane_covariance():
    # The bundled curves were solved on 160 grid points: the fit uses the same grid.
    files = [EXAMPLES / f"jv_{t}K.csv" for t in (220, 260, 297)]
    r = nct.fit_jv(files, model="egdm", fit_a=True, noise=0.02, points=160, ci="curvature")
    p = r.parameters
    corr = r.fit.correlations
    assert all(-1.0 <= c <= 1.0 for row in corr.values() for c in row.values())
    sig = p["sigma_eV"]
    assert sig.ci95[0] < 0.12 < sig.ci95[1]
    assert 0.0005 < (sig.ci95[1] - sig.ci95[0]) < 0.01  # not the 1e-4-wide broken interval
    rel = (p["mu0_m2_Vs"].ci95[1] - p["mu0_m2_Vs"].ci95[0]) / p["mu0_m2_Vs"].value
    assert rel > 0.01


def test_profile_interval_is_used_and_labelled():
    v, j = _reference("constant_110nm")
    fit = fit_drift_diffusion(
        [JVCurve(v, j * np.exp(0.02 * np.sin(7 * v)), 297.0, thickness_m=L)],
        model="constant",
        ci="profile",
        n_points=60,
    )
    e = fit.parameters["mobility_m2_Vs"]
    assert e.ci_method == "profile" and e.ci95[0] < e.value < e.ci95[1]


# ---------------------------------------------------------------- hostile inputs (issue 16)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            [
                "simulate",
                "--model",
                "constant",
                "--mobility",
                "1e-10m2/V/s",
                "--statistics",
                "boltzmann",
                "--points",
                "100000000",
            ],
            "--points",
        ),
        (
            [
                "simulate",
                "--model",
                "constant",
                "--mobility",
                "1e-10m2/V/s",
                "--statistics",
                "boltzmann",
                "--voltages=-1e308:1e308:3",
            ],
            "--voltages",
        ),
        (
            [
                "simulate",
                "--model",
                "constant",
                "--mobility",
                "1e-10m2/V/s",
                "--statistics",
                "boltzmann",
                "--temperature",
                "-5K",
            ],
            "--temperature",
        ),
        (["simulate", "--model", "nope"], "--model"),
        (["fit", "JV", "--noise", "-1"], "--noise"),
        (["fit", "JV", "--noise", "0"], "--noise"),
        (["fit", "JV", "--model", "nope"], "--model"),
        (["sclc", "JV", "--eps-r", "-2"], "--eps-r"),
        (["sclc", "JV", "--thickness", "0nm"], "--thickness"),
        (["sclc", "JV", "--fit-range", "3V:1V"], "--fit-range"),
        (["tel", "JV", "--thickness", "30nm", "--voltage", "4V"], "JV"),
        # absurd magnitudes: Mott-Gurney's d^3 overflowed; a fit never ended
        (["sclc", "JV", "--thickness", "1e308m"], "--thickness"),
        (["tel", "JV", "--thickness", "1e308m", "--voltage", "4V"], "--thickness"),
        (["sclc", "JV", "--thickness", "110nm", "--temperature", "1e-300K"], "--temperature"),
        (["fit", "JV", "--points", "100000000"], "--points"),
        (["fit", "JV", "--points", "3"], "--points"),
    ],
)
def test_hostile_inputs_one_error_line_naming_the_option(tmp_path, capsys, args, needle):
    jv = _csv(
        tmp_path / "jv.csv",
        np.geomspace(0.2, 4, 12),
        9 / 8 * epsilon_0 * EPS_R * 1e-10 * np.geomspace(0.2, 4, 12) ** 2 / L**3,
    )
    args = [str(jv) if a == "JV" else a for a in args]
    needle = jv.name if needle == "JV" else needle
    with _no_runtime_warning():
        rc = main(["device", *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert needle in lines[0]
    assert not (tmp_path / "o").exists()


class _no_runtime_warning:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_memory_refused_before_allocating():
    with pytest.raises(ResourceError, match="--points"):
        nct.simulate_jv(
            model="constant", mobility=1e-10, statistics="boltzmann", points=100_000_000
        )


def test_temperature_option_overriding_metadata_warns_and_names_files(tmp_path):
    paths = [
        _csv(tmp_path / f"jv_{t}K.csv", *_reference("constant_110nm"), temperature=t)
        for t in (220, 260, 297)
    ]
    r = nct.fit_jv(paths, model="constant", temperatures="200K", points=40)
    msg = " ".join(r.warnings)
    assert "--temperatures overrides" in msg
    for p in paths:
        assert p.name in msg
    r2 = nct.sclc(paths, temperatures="297K", drift_diffusion=False)
    msg2 = " ".join(r2.warnings)
    assert "jv_220K.csv" in msg2 and "jv_260K.csv" in msg2 and "jv_297K.csv" not in msg2


@pytest.mark.parametrize(
    ("kw", "err"),
    [
        ({"noise": -1}, InputError),
        ({"noise": float("nan")}, InputError),
        ({"model": "quadratic"}, ConfigError),
        ({"fit_a": True, "model": "constant"}, ConfigError),
        ({"eps_r": 0}, InputError),
    ],
)
def test_fit_jv_validates_settings(kw, err):
    with pytest.raises(err):
        nct.fit_jv(EXAMPLES / "jv_297K.csv", **{"model": "constant", **kw})


def test_errors_name_the_file(tmp_path):
    bad = save(make_dataset(np.ones(5), {"t": np.arange(5) * 1e-9}), tmp_path / "d.nc")
    with pytest.raises(NctransportError) as exc:
        nct.sclc(bad, thickness="100nm")
    assert "d.nc" in str(exc.value)


def test_temperature_option_replaces_invalid_metadata_and_names_the_file(tmp_path):
    # the rule of every option that overrides file metadata: a -5 K in the file is an error
    # only when the file's value is used
    v, j = _reference("constant_110nm")
    cold = _csv(tmp_path / "cold.csv", v, j, temperature=-5.0)
    with pytest.raises(InputError, match="cold.csv"):
        nct.sclc(cold, eps_r=EPS_R)
    r = nct.sclc(cold, eps_r=EPS_R, temperatures="297K")
    assert r.to_dict()["temperature_K"] == 297.0
    assert any("--temperatures overrides" in w and "cold.csv" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("kw", "err"),
    [
        ({"thickness": -1}, InputError),  # a bare number was "TypeError: not iterable"
        ({"temperatures": -3}, InputError),
        ({"thickness": 1e308}, InputError),
    ],
)
def test_sclc_api_bare_numbers_give_typed_errors(kw, err):
    with pytest.raises(err):
        nct.sclc(EXAMPLES / "jv_220K.csv", **kw)


def test_sclc_api_accepts_one_bare_number_for_every_file():
    r = nct.sclc(EXAMPLES / "jv_220K.csv", thickness=110e-9)
    assert r is not None


def test_simulation_report_figure_is_svg_without_matplotlib(tmp_path, write_without_matplotlib):
    # The J-V of a simulation report is drawn by nctransport's SVG axes (a fresh process, so
    # an import of matplotlib would show); PNG through matplotlib on request, same curves.
    setup = (
        "r = nct.simulate_jv(model='constant', mobility='4.4e-11 m^2/V/s', thickness='110nm',"
        " eps_r=3.5, voltages='0:10:11')"
    )
    assert "simulation.svg" in write_without_matplotlib(setup, tmp_path / "svg")
    svg = (tmp_path / "svg" / "simulation.svg").read_text()
    assert svg.count("<polyline") + svg.count("<path") >= 2  # simulated and Mott-Gurney curves
    assert "Mott-Gurney" in svg and "drift-diffusion" in svg
    s = nct.simulate_jv(model="constant", mobility="4.4e-11 m^2/V/s", thickness="110nm",
                        eps_r=3.5, voltages="0:10:11")  # fmt: skip
    png = s.write(tmp_path / "png", figure_formats=("png",))
    assert "simulation.png" in {p.name for p in png}
    ax = s.plot_jv()
    assert ax.get_xscale() == ax.get_yscale() == "log"


# ------------------------------------------- report figures without matplotlib (issue 17)


def _svg_curves(svg: str) -> tuple[list[int], list[bool]]:
    """Markers per marker series, and for each drawn line (not legend samples) whether it
    is dashed, in drawing order, from an SVG written by nctransport.report.svg."""
    import re

    markers = [
        d.count("M")
        for d in re.findall(r'<path d="([^"]*)" fill="#[0-9A-Fa-f]{6}" stroke="none"', svg)
    ]
    lines = [
        "stroke-dasharray" in tag
        for tag in re.findall(r"<path [^>]*stroke-linejoin=\"round\"[^>]*>", svg)
    ]
    return markers, lines


def test_sclc_report_figures_are_svg_without_matplotlib(tmp_path, write_without_matplotlib):
    # Three temperatures: the J-V panel has each curve's markers, its Mott-Gurney fit
    # (solid) and drift-diffusion fit (dotted); the slope panel one line per curve; the
    # Arrhenius figure the three mobilities and the fitted line with the activation energy.
    files = [str(EXAMPLES / f"jv_{t}K.csv") for t in (220, 260, 297)]
    names = write_without_matplotlib(f"r = nct.sclc({files!r}, eps_r=3.5)", tmp_path / "svg")
    assert {"sclc.svg", "arrhenius.svg", "report.html"} <= set(names)
    assert not any(n.endswith(".png") for n in names)
    r = nct.sclc(files, eps_r=3.5)
    n_points = [int(np.sum((v > 0) & (j > 0))) for _, v, j, *_ in r.curves]
    markers, lines = _svg_curves((tmp_path / "svg" / "sclc.svg").read_text())
    # J-V data markers, then the slope panel's "." markers (one fewer point each)
    assert markers[:3] == n_points and len(markers) == 6
    assert lines == [False, True] * 3 + [False] * 3  # MG solid, DD dotted; slope lines
    arr = (tmp_path / "svg" / "arrhenius.svg").read_text()
    assert _svg_curves(arr) == ([3], [False])
    assert f"Δ = {r.arrhenius.activation_eV:.3f} eV" in arr
    # the same figures through matplotlib on request
    png = {p.name for p in r.write(tmp_path / "png", figure_formats=("png",))}
    assert {"sclc.png", "arrhenius.png"} <= png
    ax = r.plot_jv()
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_sclc_thickness_collapse_is_svg(tmp_path, write_without_matplotlib):
    setup = (
        "from nctransport.dataset import make_dataset\n"
        "series = []\n"
        "for thick in (63.5e-9, 90e-9, 130e-9):\n"
        "    v = np.geomspace(0.3, 6, 16)\n"
        "    j = 9 / 8 * 8.854e-12 * 3.5 * 1e-10 * v**2 / thick**3\n"
        "    series.append(make_dataset(j, {'V': v}, signal_units='A/m**2', signal_name='J',"
        " attrs={'thickness': f'{thick * 1e9:g} nm'}))\n"
        "r = nct.sclc(series, drift_diffusion=False)\n"
    )
    names = write_without_matplotlib(setup, tmp_path)
    assert "thickness_collapse.svg" in names
    svg = (tmp_path / "thickness_collapse.svg").read_text()
    markers, lines = _svg_curves(svg)
    assert markers == [16, 16, 16] and lines == [False, False, False]  # "o-": markers + line
    assert "J ∝ L^-3.00" in svg  # the fitted exponent in the title


def test_fit_report_figure_is_svg_without_matplotlib(tmp_path, write_without_matplotlib):
    files = [str(EXAMPLES / f"jv_{t}K.csv") for t in (220, 297)]
    setup = f"r = nct.fit_jv({files!r}, model='constant', points=40)"
    names = write_without_matplotlib(setup, tmp_path / "svg")
    assert "jv_fit.svg" in names and not any(n.endswith(".png") for n in names)
    r = nct.fit_jv(files, model="constant", points=40)
    svg = (tmp_path / "svg" / "jv_fit.svg").read_text()
    markers, lines = _svg_curves(svg)
    assert markers == [int(np.sum((v > 0) & (j > 0))) for _, v, j, *_ in r.curves]
    assert lines == [False, False]  # one fitted curve per file
    assert "drift-diffusion fit: constant" in svg and "220 K, 110 nm" in svg
    assert "jv_fit.png" in {p.name for p in r.write(tmp_path / "png", figure_formats=("png",))}


def test_tel_report_figure_is_svg_without_matplotlib(tmp_path, write_without_matplotlib):
    setup = (
        "from nctransport.dataset import make_dataset\n"
        "w = np.linspace(2e-6, 100e-6, 30)\n"
        "ds = [make_dataset(2.0 * np.clip(w - tau, 0, None), {'t': w}, signal_units='arb')"
        " for tau in (8e-6, 6e-6)]\n"
        "r = nct.tel(ds, thickness='30nm', voltage=['4V', '5V'])\n"
    )
    names = write_without_matplotlib(setup, tmp_path)
    assert "tel.svg" in names
    svg = (tmp_path / "tel.svg").read_text()
    assert _svg_curves(svg) == ([30, 30], [False, False])  # data and the transit lines
    assert "4 V" in svg and "5 V" in svg and "pulse width (µs)" in svg


def test_dense_jv_markers_are_thinned_for_display(tmp_path):
    # 5000 points: at most 200 drawn (a few kB of SVG), the fit sees all of them
    v = np.geomspace(0.1, 8, 5000)
    j = 9 / 8 * epsilon_0 * EPS_R * 4.4e-11 * v**2 / L**3
    r = nct.sclc(_csv(tmp_path / "dense.csv", v, j), drift_diffusion=False, leak=False)
    assert r.files[0]["mobility_m2_Vs"] == pytest.approx(4.4e-11, rel=1e-3)
    r.write(tmp_path / "out")
    markers, _ = _svg_curves((tmp_path / "out" / "sclc.svg").read_text())
    assert 100 < markers[0] <= 200
