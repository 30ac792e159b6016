"""The engine against independently known truth (docs/science.md, lattice random walks)."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.kmc import engine, simulate
from nctransport.kmc.rates import forster_radius_from_diffusivity

from .kmc_configs import walk_config

D_TRUE = 1e10 * (10e-9) ** 2  # k_n a^2 = 1e-6 m^2/s per axis (docs/science.md)


def _d_last(result, key="all"):
    """Per-axis D from the tracer MSD at the last frame: MSD = 2 D t."""
    return result.tracer_msd[key][-1] / (2 * result.times[-1])


def _tol(n, dim, sigmas=4.5):
    # displacement per axis is ~Gaussian at late times: Var(d^2) = 2 MSD^2
    return sigmas * np.sqrt(2.0 / (n * dim))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_random_walk_diffusivity_per_axis(dim):
    r = simulate(walk_config(dim), seed=11)
    assert _d_last(r) == pytest.approx(D_TRUE, rel=_tol(4000, dim))
    # the cloud's variance grows by the same 2 D t (per-axis convention)
    assert r.msd["all"][-1] / (2 * r.times[-1]) == pytest.approx(D_TRUE, rel=0.1)


@pytest.mark.parametrize("stepping", ["continuous", "fixed"])
def test_exponential_population_and_fixed_step_agree(stepping):
    cfg = walk_config(2, stepping=stepping, step="1ps", **{"states.exciton.lifetime": "0.5ns"})
    r = simulate(cfg, seed=5)
    n0 = r.populations["exciton"][0]
    p = np.exp(-r.times / 0.5e-9)
    err = np.sqrt(p * (1 - p) / n0) + 1e-12
    assert np.all(np.abs(r.populations["exciton"] / n0 - p) < 4.5 * err + 2e-3)
    # D of the survivors: fixed steps (per-step probability = rate x step) and continuous
    # time are the same walk
    n_end = r.populations["exciton"][-1]
    assert _d_last(r) == pytest.approx(D_TRUE, rel=_tol(n_end, 2))


def test_forster_hops_reproduce_science_md_radius():
    # R0 for D = 0.01 cm^2/s at r = 10 nm, tau = 2.5 ns (~17 nm); KMC must give that D back
    r0 = forster_radius_from_diffusivity(1e-6, 10e-9, 2.5e-9)
    cfg = walk_config(2, hops={"model": "forster", "r0": f"{r0 * 1e9}nm", "tau": "2.5ns"})
    r = simulate(cfg, seed=3)
    assert _d_last(r) == pytest.approx(1e-6, rel=_tol(4000, 2))


def test_next_nearest_forster_hops_add_diffusivity():
    # Bornschlegl 2024: per-axis D = k_nn a^2 (1 + 2 * (1/8) / 1) with nnn hops at (a/r)^6 = 1/8
    cfg = walk_config(2, hops={"model": "forster", "rate": "1e10/s", "reach": "nnn"})
    r = simulate(cfg, seed=4)
    assert _d_last(r) == pytest.approx(D_TRUE * 1.25, rel=_tol(4000, 2))


def _packed_chain(occupancy, stepping="continuous"):
    # alpha = 1 and a huge spot fill every site of a short open chain exactly once
    return walk_config(
        1,
        occupancy=occupancy,
        stepping=stepping,
        step="1ps",
        lattice={"dim": 1, "size": 51, "spacing": "10nm"},
        excitation={"kind": "bernoulli", "alpha": 1.0, "sigma": "1m"},
    )


@pytest.mark.parametrize("stepping", ["continuous", "fixed"])
def test_single_occupancy_blocks_every_hop(stepping):
    r = simulate(_packed_chain("single", stepping), seed=1)
    assert r.populations["exciton"][0] == 51
    assert r.events["hops"] == 0
    if stepping == "fixed":
        assert r.events["null"] > 0  # attempts were made and refused


def test_annihilation_removes_one_of_two():
    r = simulate(_packed_chain("annihilate"), seed=1)
    pop = r.populations["exciton"]
    assert pop[-1] < pop[0]
    assert r.events["annihilations"] == pop[0] - pop[-1]  # no other loss channel here
    assert r.events["hops"] > 0


def test_fixed_and_continuous_agree_with_blocking():
    # a dense lattice gas (single occupancy): stepped (small per-step probabilities) and
    # rejection-free continuous time are the same process
    base = dict(
        occupancy="single",
        step="1ps",
        excitation={"kind": "bernoulli", "alpha": 0.5, "sigma": "150nm"},
        lattice={"dim": 2, "size": 81, "spacing": "10nm"},
    )
    rc = simulate(walk_config(2, stepping="continuous", **base), seed=8)
    rf = simulate(walk_config(2, stepping="fixed", **base), seed=8)
    n = rc.populations["exciton"][0]
    dc, df = _d_last(rc), _d_last(rf)
    assert dc < 0.97 * D_TRUE  # blocking slows tracer diffusion
    assert df == pytest.approx(dc, rel=2 * _tol(n, 2))


def test_relax_memory_survival_is_exponential():
    # Shcherbakov-Wu 2024: fast stays fast when -tau ln(1-f) > period: probability exp(-T/tau).
    # Relaxation walks the list of fast sites (issue 17: cost proportional to fast sites).
    n = 200_000
    states = np.zeros(2 * n, dtype=np.int8)
    fast = np.arange(0, 2 * n, 2, dtype=np.int64)  # every other site is fast
    states[fast] = 1
    nfast = np.array([n], dtype=np.int64)
    kept = engine.relax_memory(states, fast, nfast, np.exp(-8.1e-6 / 8.1e-6), 7)
    p = np.exp(-1.0)
    assert kept == int(states.sum()) == nfast[0]
    assert kept / n == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / n))
    # the list holds exactly the sites still fast, and nothing else changed
    assert np.array_equal(np.sort(fast[:kept]), np.flatnonzero(states))
    assert states[1::2].sum() == 0


def test_jitter_and_vacancies_paths():
    # tiny positional jitter barely changes Forster hopping: D stays k_nn a^2 (continuity)
    cfg = walk_config(
        2,
        hops={"model": "forster", "rate": "1e10/s"},
        lattice={"dim": 2, "size": 121, "spacing": "10nm", "jitter": "0.01nm"},
    )
    r = simulate(cfg, seed=12)
    assert _d_last(r) == pytest.approx(D_TRUE, rel=_tol(4000, 2) + 0.01)
    # missing sites block hops: slower transport, and every particle still moves only
    # between existing sites (no particle is ever created on a vacancy)
    cfg = walk_config(2, lattice={"dim": 2, "size": 121, "spacing": "10nm", "vacancies": 0.3})
    r = simulate(cfg, seed=12)
    assert r.populations["exciton"][0] == 4000
    assert _d_last(r) < 0.8 * D_TRUE


@pytest.mark.parametrize(
    ("periodic", "until_decay", "frame", "dim"),
    [
        (False, True, "50ps", 2),
        (True, True, "50ps", 2),
        (False, False, "7ps", 2),
        (True, False, "13ps", 2),
        (False, True, "7ps", 1),
    ],
)
def test_plane_kernel_gives_the_general_stepping_kernels_bytes(periodic, until_decay, frame, dim):
    # issue 17: Shcherbakov-Wu 2024's model runs in a specialised kernel; it must draw and add
    # exactly as engine.run_stepping does, pulse after pulse of a chain (memory carried over).
    # The plane kernel runs the steps between two decays, records and the stop in one call:
    # frame intervals that do not divide the lifetime and a stop before all decay check that
    # the runs of steps end where the general kernel records, decays and stops
    from nctransport.kmc import load_preset
    from nctransport.kmc.run import Accumulators, Chain, _prepare, _stream

    cfg = load_preset(
        "memory",
        {
            "size": "30",
            "alpha_pulse": "0.4",
            "sigma_pulse": "60nm",
            "duration": "0.5ns",
            "frame_interval": frame,
        },
    )
    update = {"until_decay": until_decay}
    if periodic or dim == 1:
        # a 1D lattice of 40 sites (walls left and right only), its ends reached often
        lat = {"periodic": periodic} if dim == 2 else {"dim": 1, "size": 40}
        update["lattice"] = cfg.lattice.model_copy(update=lat)
    cfg = cfg.model_copy(update=update)
    model, lattice = _prepare(cfg, 4)
    plane, general = Chain(model, lattice), Chain(model, lattice, specialised=False)
    assert plane.plane and not general.plane
    accs = []
    for chain in (plane, general):
        acc = Accumulators.empty(model)
        for i in range(4):
            if i:
                chain.relax(100 + i)
            chain.pulse(acc, np.random.default_rng(_stream(4, 1, i)), 1000 + i)
        accs.append(acc)
    a, b = accs
    assert a.stats[engine.S_HOPS] > 0 and a.stats[engine.S_NULL] > 0
    assert np.array_equal(a.stats, b.stats)
    assert np.array_equal(a.mom, b.mom)
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(plane.site_states(), general.site_state)  # no occupancy bit left
    assert set(np.unique(plane.site_states())) <= {0, 1}
    n = plane.nfast[0]
    assert n == general.nfast[0] and np.array_equal(plane.fast_sites(), general.fast[:n])
    if not periodic:  # the walls around the open lattice are still walls, and only they
        walls = plane.site_state.size - lattice.n_sites
        assert walls > 0 and np.count_nonzero(plane.site_state == engine.OCCUPIED_BIT) == walls
