"""Reduced (quick) runs of every reproduction, and the independent checks behind them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.errors import ConfigError
from nctransport.kmc.rates import K_B_EV
from nctransport.plotting import new_figure
from nctransport.reproduce import (
    DOC_HEADER,
    REGISTRY,
    ReproductionResult,
    bright_dark,
    disorder,
    memory,
    render_doc,
    reproduce,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "reproductions.md"


@pytest.fixture(scope="module")
def quick_results() -> dict[str, ReproductionResult]:
    return {name: reproduce(name, quick=True, seed=1) for name in REGISTRY}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_quick_reproduction_has_rows_figure_and_json(quick_results, name):
    r = quick_results[name]
    assert r.quick and r.rows and r.command.startswith(f"nctransport reproduce {name}")
    assert all(row.paper and row.ours for row in r.rows)
    json.dumps(r.to_dict())  # results.json is plain JSON
    fig, ax = new_figure()
    assert r.plot(ax) is ax
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend_handles_labels()[0]) >= 2


def test_memory_x_axis_is_time_between_excitations_and_d_falls(quick_results):
    # Shcherbakov-Wu 2024 Fig. 4E: D(1 ns) falls as excitations of a NC get rarer
    pts = quick_results["memory"].data["points"]
    for p in pts:
        assert p["time_between_excitations_us"] == pytest.approx(p["period_us"] / p["alpha"])
        assert p["burn_in_pulses"] >= 5
    d = [p["d_cm2_s"]["value_cm2_s"] for p in pts]
    assert d[0] > 3 * d[-1]
    fit = quick_results["memory"].data["fit_vs_time_between_excitations"]
    assert np.isfinite(fit["tau_s"]) and 1e-6 < fit["tau_s"] < 30e-6


def test_memory_burn_in_covers_the_memory():
    # 10 tau_relax of history: exp(-10) of the cold start left
    assert memory.burn_in(1e-6, 8.1e-6) == 81
    assert memory.burn_in(32e-6, 8.1e-6) == 5


def test_memory_d_is_exact_second_moment_after_burn_in():
    # D from the moments adapter equals (var(t) - var(0)) / 2t computed from the same
    # accumulated sums; burn-in pulses are excluded exactly (difference of two chains)
    from nctransport.kmc.presets import load_preset
    from nctransport.reproduce._sim import run_moments

    cfg = load_preset(
        "memory", {"size": "80", "duration": "1ns", "pulse_period": "1us", "alpha_pulse": "0.5"}
    )
    warm = run_moments(cfg, 4, pulses=3, warmup=4)
    cold_all = run_moments(cfg, 4, pulses=7)
    cold_first = run_moments(cfg, 4, pulses=4)
    diff = cold_all - cold_first
    np.testing.assert_allclose(warm.mom, diff.mom, rtol=1e-12, atol=1e-18)
    assert warm.pulses == 3


def test_bright_dark_paper_rates_are_inconsistent_with_the_paper():
    # Bornschlegl 2024's printed rates: 11/12 dark photons, PL 1/e 0.13 ns, t_max ~0.43 ns
    o = bright_dark.observables(0.03, 0.0003, 0.15)
    assert o["dark_share"] == pytest.approx(11 / 12)
    # independent: the bright emission decays as 0.82^n per 25 ps step
    assert o["pl_1e_ns"] == pytest.approx(-0.025 / np.log(0.82), rel=0.05)
    assert o["pl_1e_ns"] == pytest.approx(0.13, abs=0.005)
    assert 0.35 < o["t_max_ns"] < 0.5


def test_bright_dark_rate_equations_match_closed_form():
    # without dark->bright the bright population is 0.5 (1 - gB - gBD)^n
    r = bright_dark.rate_equations(0.03, 0.0003, 0.15, steps=50)
    n = np.arange(50)
    np.testing.assert_allclose(r["bright"], 0.5 * 0.82**n, rtol=1e-12)
    # only bright excitons: 2.25 gamma_FRET a^2 of per-axis variance per step, and with one
    # channel per step a survivor hopped with probability 0.225 / (1 - gamma_B)
    r = bright_dark.rate_equations(0.01, 0.0, 0.0, gamma_fret=0.1, bright0=1.0, steps=20)
    np.testing.assert_allclose(r["msd"], 0.225 / 0.99 * n[:20], rtol=1e-12)


def test_fitted_rates_give_the_papers_observables():
    fit = bright_dark.fit_rates()
    assert fit["max_residual"] < 1e-6
    o = bright_dark.observables(fit["gamma_b"], fit["gamma_d"], fit["gamma_bd"])
    assert o["dark_share"] == pytest.approx(0.58, abs=1e-4)
    assert o["pl_1e_ns"] == pytest.approx(0.8, abs=1e-3)
    assert o["t_max_ns"] == pytest.approx(1.5, abs=1e-2)


def test_bright_dark_quick_simulation_agrees_with_rate_equations(quick_results):
    d = quick_results["bright-dark"].data
    for name in ("bright-dark", "bright-dark-fitted"):
        sim = d[name]["simulation"]["dark_share"]
        lo, hi = sim["ci95"]
        theory = d[name]["rate_equations"]["dark_share"]
        assert lo - 0.01 <= theory <= hi + 0.01


def test_shrinking_quick_laws(quick_results):
    d = quick_results["shrinking-hop"].data
    flights = d["exponential flights (preset default)"]
    jumps = d["power-law jumps (earlier default)"]
    assert flights["early_exponent"]["value"] > 1.5  # ballistic-like early MSD
    assert abs(flights["growth_20_30ps_pct"]["value_%"]) < 2  # stable profile
    assert jumps["growth_20_30ps_pct"]["value_%"] > 3  # power law: never stable
    assert jumps["early_exponent"]["value"] < 1.2


def test_boltzmann_mean_is_the_weighted_average():
    rng = np.random.default_rng(0)
    e = rng.normal(0, 0.05, 5000)
    w = np.exp(-e / (K_B_EV * 300.0))  # unshifted weights: same average
    assert disorder.boltzmann_mean(e, 300.0) == pytest.approx((e * w).sum() / w.sum())
    # a large lattice approaches -sigma^2/kT (Bassler 1993)
    big = rng.normal(0, 0.05, 2_000_000)
    assert disorder.boltzmann_mean(big, 300.0) == pytest.approx(-(0.05**2) / (K_B_EV * 300), 0.02)


def test_disorder_quick_reaches_lattice_own_average(quick_results):
    d = quick_results["disorder"].data["late_minus_target_meV"]
    assert abs(d["value_meV"]) < 8


def test_render_doc_and_unknown_name(quick_results):
    text = render_doc(list(quick_results.values()))
    assert text.startswith(DOC_HEADER)
    for r in quick_results.values():
        assert r.command in text
    assert "--quick" in text
    with pytest.raises(ConfigError, match="unknown reproduction"):
        reproduce("fig-99")


def test_generated_doc_covers_every_reproduction():
    # docs/reproductions.md is written by `nctransport reproduce all --doc ...`, not by hand
    text = DOC.read_text(encoding="utf-8")
    assert text.startswith(DOC_HEADER)
    for name in REGISTRY:
        assert f"`nctransport reproduce {name}`" in text
    assert "~6 us" in text  # the memory-model row compares tau with the paper's ~6 us


def test_cli_reproduce_writes_outputs_and_doc(tmp_path, capsys):
    out, doc = tmp_path / "out", tmp_path / "doc.md"
    rc = main(["reproduce", "disorder", "--quick", "--out", str(out), "--doc", str(doc)])
    assert rc == 0
    assert (out / "disorder" / "results.json").exists()
    assert (out / "disorder" / "disorder.png").exists()
    assert doc.read_text().startswith(DOC_HEADER)
    capsys.readouterr()
    assert main(["reproduce", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown reproduction" in err


def test_top_level_reproduce_is_callable_after_submodule_import(quick_results):
    # importing nctransport.reproduce.<x> rebinds the package attribute to the module
    import nctransport as nct
    import nctransport.reproduce.disorder  # noqa: F401

    assert callable(nct.reproduce)
    with pytest.raises(ConfigError, match="unknown reproduction"):
        nct.reproduce("fig-99", quick=True)


@pytest.mark.parametrize("target", ["data.csv", "README.md", "sub", "/dev/full", "data.csv/x.md"])
def test_doc_target_refused_before_running_and_never_replaced(tmp_path, capsys, target):
    # --doc used to overwrite any file (a data file given by mistake) after the whole run
    (tmp_path / "data.csv").write_text("t,x\n1,2\n")
    (tmp_path / "README.md").write_text("# my notes\n")
    (tmp_path / "sub").mkdir()
    doc = target if target.startswith("/") else str(tmp_path / target)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    argv = ["reproduce", "disorder", "--quick", "--out", str(tmp_path / "o"), "--doc", doc]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:") and target in err, err
    assert not (tmp_path / "o").exists()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("seed", [str(10**25), str(2**63), "-1"])
def test_seed_out_of_range_refused_before_running(tmp_path, capsys, seed):
    # a 26-digit seed ran the whole (non-quick) reproduction first
    import nctransport as nct

    argv = ["reproduce", "memory", "--seed", seed, "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed" in err, err
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="seed"):
        nct.reproduce("memory", quick=True, seed=int(seed))
