"""Outputs, reproducibility and worker independence."""

from __future__ import annotations

import json
import os
import tomllib

import numpy as np
import pytest
import xarray as xr

from nctransport.io import load
from nctransport.kmc import load_preset, simulate, write_outputs
from nctransport.kmc.config import validate_config

SMALL = {"particles": "400", "pulses": "4", "duration": "1ns"}


def test_same_seed_same_bytes(tmp_path):
    cfg = load_preset("random-walk", SMALL)
    a = simulate(cfg, seed=7)
    b = simulate(cfg, seed=7)
    d = simulate(cfg, seed=8)
    for other in (b,):
        assert np.array_equal(a.dataset.signal.values, other.dataset.signal.values)
        for key in a.msd:
            assert np.array_equal(a.msd[key], other.msd[key], equal_nan=True)
        assert a.events == other.events
    assert not np.array_equal(a.dataset.signal.values, d.dataset.signal.values)
    write_outputs(a, tmp_path / "a")
    write_outputs(b, tmp_path / "b")
    for name in ("simulation.nc", "populations.csv", "config.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_workers_do_not_change_the_result():
    # two memory chains of two pulses each; units are fixed by the config, not by workers
    cfg = load_preset(
        "memory",
        {"pulses": "4", "chains": "2", "size": "120", "alpha_pulse": "0.2", "duration": "0.5ns"},
    )
    a = simulate(cfg, seed=3)
    b = simulate(cfg, seed=3, workers=2)
    assert np.array_equal(a.dataset.signal.values, b.dataset.signal.values)
    assert a.events == b.events


def test_outputs_readable_and_complete(tmp_path):
    cfg = load_preset("bright-dark", {"particles": "300", "duration": "1ns"})
    r = simulate(cfg, seed=1)
    paths = write_outputs(r, tmp_path)
    assert sorted(p.name for p in paths) == [
        "config.toml",
        "populations.csv",
        "results.json",
        "simulation.nc",
    ]
    ds = load(tmp_path / "simulation.nc")
    assert ds.attrs["kind"] == "map" and ds.attrs["technique"] == "SIM"
    with xr.open_dataset(tmp_path / "simulation.nc", engine="h5netcdf") as raw:
        assert raw.signal.dtype == np.float32  # stored compressed as float32
    assert ds.t.attrs["units"] == "s" and ds.x.attrs["units"] == "m"
    assert json.loads(ds.attrs["config"])["name"] == "bright-dark"
    assert int(ds.attrs["seed"]) == 1
    for v in ("msd_bright", "msd_dark", "msd_emission", "tracer_msd_all", "population_dark"):
        assert v in ds
    # the ROI is around the spot, not the whole 150 x 150 lattice
    assert ds.x.size < 150
    # expected emission rate: k_rad(bright) x bright + k_rad(dark) x dark, per pulse
    k_b, k_d = 0.03 / 25e-12, 0.0003 / 25e-12
    total = ds.signal.values.sum(axis=1)
    inside = k_b * r.populations["bright"] + k_d * r.populations["dark"]
    assert np.all(total <= inside * (1 + 1e-5) + 1e-3)
    assert total[0] == pytest.approx(inside[0], rel=0.05)
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["seed"] == 1 and res["events"]["hops"] > 0 and res["events_per_second"] > 0
    assert set(res["msd_per_axis_m2"]) >= {"bright", "dark", "emission"}
    resolved = tomllib.loads((tmp_path / "config.toml").read_text())
    assert validate_config(resolved).excitation.particles == 300
    lines = (tmp_path / "populations.csv").read_text().splitlines()
    assert lines[0] == "t [s],bright [per pulse],dark [per pulse]"
    assert len(lines) == 1 + r.times.size


def test_stack_psf_and_photon_counting():
    cfg = load_preset(
        "random-walk",
        {
            "particles": "2000",
            "duration": "0.5ns",
            "output.geometry": "stack",
            "output.psf_sigma": "30nm",
            "photons": "1e5",
        },
    )
    r = simulate(cfg, seed=2)
    sig = r.dataset.signal.values
    assert r.dataset.attrs["kind"] == "stack" and sig.ndim == 3
    assert np.all(sig == np.round(sig)) and sig.sum() == pytest.approx(1e5, rel=0.02)
    # the PSF widens the first frame: sigma^2 = sigma0^2 + psf^2 (+ pixel^2/12)
    x = r.dataset.x.values
    prof = sig[0].sum(axis=0)
    var = (prof * x**2).sum() / prof.sum() - ((prof * x).sum() / prof.sum()) ** 2
    assert var == pytest.approx(50e-9**2 + 30e-9**2 + 10e-9**2 / 12 * 2, rel=0.1)


def test_worker_pool_persists_between_runs():
    from nctransport.kmc import pool

    cfg = load_preset("random-walk", {**SMALL, "pulses": "2"})
    a = simulate(cfg, seed=7, workers=2)
    first = pool._POOL
    pids = set(first._processes)  # the worker processes
    b = simulate(cfg, seed=7, workers=2)
    assert pool._POOL is first  # imported once per worker, reused
    assert set(first._processes) == pids and os.getpid() not in pids
    assert np.array_equal(a.dataset.signal.values, b.dataset.signal.values)
    assert np.array_equal(a.dataset.signal.values, simulate(cfg, seed=7).dataset.signal.values)
