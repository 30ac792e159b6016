"""Drift-diffusion solver: Mott-Gurney limit, contacts, grid convergence, continuity."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.device.drift_diffusion import (
    Device,
    Statistics,
    _System,
    grid,
    mott_gurney_current,
    solve_jv,
)
from nctransport.device.mobility import ConstantMobility, EGDMMobility, PooleFrenkelMobility
from nctransport.errors import ConvergenceError, InputError

L, EPS_R, MU = 110e-9, 3.5, 4.4e-11
A = 2.8e-9
KB_EV = 8.617333262e-5


@pytest.fixture(scope="module")
def mg_solution():
    """Ohmic contacts (zero barrier), Boltzmann statistics, N = 1e27 m^-3."""
    v = np.array([0.0, 1.0, 2.0, 5.0, 10.0])
    return solve_jv(
        v,
        device=Device(L, EPS_R),
        mobility=ConstantMobility(MU),
        statistics=Statistics("boltzmann", 1e27),
        n_points=400,
        keep_profiles=True,
    )


def test_mott_gurney_limit_with_diffusion_correction(mg_solution):
    v = mg_solution.voltages_V[1:]
    ratio = mg_solution.current_density_A_m2[1:] / mott_gurney_current(
        v, thickness_m=L, eps_r=EPS_R, mobility_m2_Vs=MU
    )
    # Diffusion raises J above Mott-Gurney; the excess shrinks with voltage. At 10 V for
    # 110 nm and N = 1e27 m^-3 the diffusion-corrected ratio is ~1.17.
    assert ratio[-1] == pytest.approx(1.17, abs=0.01)
    assert np.all(np.diff(ratio) < 0)
    assert np.all(ratio > 1.0)


def test_ohmic_contact_density_and_equilibrium(mg_solution):
    p = mg_solution.density_m3
    assert p[:, 0] == pytest.approx(1e27, rel=1e-9)  # zero barrier: p = N at the anode
    assert p[:, -1] == pytest.approx(1e27, rel=1e-9)
    assert mg_solution.current_density_A_m2[0] == pytest.approx(0.0, abs=1e-9)
    assert np.ptp(mg_solution.quasi_fermi_V[0]) < 1e-12  # flat Fermi level at V = 0
    pot = mg_solution.potential_V
    assert pot[:, 0] - pot[:, -1] == pytest.approx(mg_solution.voltages_V, abs=1e-9)


def test_current_continuity(mg_solution):
    assert np.all(mg_solution.continuity_error[1:] < 1e-10)


def test_grid_convergence_second_order():
    dev = Device(L, EPS_R)
    j = [
        solve_jv(
            [10.0], device=dev, mobility=ConstantMobility(MU), n_points=n
        ).current_density_A_m2[0]
        for n in (100, 200, 400, 800)
    ]
    err = np.abs(np.diff(j))
    assert err[1] < err[0] / 3 and err[2] < err[1] / 3  # ~h^2
    assert err[2] / j[-1] < 2e-3


def test_gauss_fermi_egdm_continuity_and_contact_density():
    T = 250.0
    sol = solve_jv(
        [0.0, 0.5, 3.0, 8.0],
        device=Device(L, EPS_R, temperature_K=T),
        mobility=EGDMMobility(4.5e-7, 0.12, A, T),
        statistics=Statistics("gauss-fermi", 1 / A**3, 0.12),
        n_points=160,
        keep_profiles=True,
    )
    assert np.all(sol.continuity_error[1:] < 1e-9)
    assert sol.density_m3[:, 0] == pytest.approx(0.5 / A**3, rel=1e-6)  # E_F at DOS centre
    assert np.all(np.diff(sol.current_density_A_m2) > 0)


def test_barriers_built_in_voltage_and_symmetry():
    v = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    sym = solve_jv(v, device=Device(L, EPS_R), mobility=ConstantMobility(MU), n_points=120)
    assert sym.current_density_A_m2[:2] == pytest.approx(-sym.current_density_A_m2[-1:-3:-1])
    dev = Device(L, EPS_R, barrier_anode_eV=0.3, barrier_cathode_eV=0.8)
    sol = solve_jv(
        [0.0, 2.0], device=dev, mobility=ConstantMobility(MU), n_points=120, keep_profiles=True
    )
    kt = KB_EV * 297.0
    assert sol.density_m3[0, 0] == pytest.approx(1e27 * np.exp(-0.3 / kt), rel=1e-6)
    # equilibrium potential drop = -V_bi = -(0.8 - 0.3) V
    drop = sol.potential_V[0, 0] - sol.potential_V[0, -1]
    assert drop == pytest.approx(-dev.built_in_V, abs=1e-9)
    # an injection barrier lowers the current; image-force lowering raises it again
    ohmic = solve_jv([2.0], device=Device(L, EPS_R), mobility=ConstantMobility(MU), n_points=120)
    assert sol.current_density_A_m2[1] < 0.1 * ohmic.current_density_A_m2[0]
    blocked = Device(L, EPS_R, barrier_anode_eV=0.4)
    lowered = Device(L, EPS_R, barrier_anode_eV=0.4, image_force=True)
    j_b = solve_jv([5.0], device=blocked, mobility=ConstantMobility(MU), n_points=120)
    j_l = solve_jv([5.0], device=lowered, mobility=ConstantMobility(MU), n_points=120)
    assert j_l.current_density_A_m2[0] > 1.5 * j_b.current_density_A_m2[0]


def test_poole_frenkel_reduces_to_constant_and_enhances():
    dev = Device(L, EPS_R)
    v = [1.0, 5.0]
    c = solve_jv(v, device=dev, mobility=ConstantMobility(MU), n_points=100)
    p0 = solve_jv(v, device=dev, mobility=PooleFrenkelMobility(MU, 0.0), n_points=100)
    pf = solve_jv(v, device=dev, mobility=PooleFrenkelMobility(MU, 3e-4), n_points=100)
    assert p0.current_density_A_m2 == pytest.approx(c.current_density_A_m2, rel=1e-10)
    assert np.all(pf.current_density_A_m2 > 2 * c.current_density_A_m2)


@pytest.mark.parametrize("kind", ["boltzmann", "gauss-fermi"])
def test_analytic_jacobian_matches_finite_differences(kind):
    n = 24
    stats = Statistics(kind, 1 / A**3, 0.12 if kind == "gauss-fermi" else None)
    system = _System(Device(L, EPS_R), EGDMMobility(1e-6, 0.12, A, 297.0), stats, grid(n))
    rng = np.random.default_rng(3)
    u = np.linspace(20, 3, n) + rng.normal(0, 0.5, n)
    phi = np.linspace(0, -10, n) + rng.normal(0, 0.5, n)
    c = np.zeros(n)
    _, _, ab = system.residual(u, phi, c)
    m = 2 * (n - 2)
    dense = np.zeros((m, m))
    for i in range(m):
        for k in range(max(0, i - 3), min(m, i + 4)):
            dense[i, k] = ab[3 + i - k, k]
    num = np.zeros_like(dense)
    h = 1e-6
    for k in range(m):
        node, var = k // 2 + 1, k % 2
        plus, minus = [u.copy(), phi.copy()], [u.copy(), phi.copy()]
        plus[var][node] += h
        minus[var][node] -= h
        num[:, k] = (system.residual(*plus, c, False)[0] - system.residual(*minus, c, False)[0]) / (
            2 * h
        )
    assert np.max(np.abs(dense - num)) < 1e-6 * np.max(np.abs(num))


def test_bad_inputs_and_non_convergence():
    with pytest.raises(InputError):
        Device(-110e-9, 3.5)
    with pytest.raises(InputError):
        solve_jv([5000.0], device=Device(L, EPS_R), mobility=ConstantMobility(MU))
    with pytest.raises(ConvergenceError, match="V = "):
        solve_jv([10.0], device=Device(L, EPS_R), mobility=ConstantMobility(MU), max_iter=1)


def test_large_disorder_continuation_and_loud_failure(monkeypatch):
    import nctransport.device.drift_diffusion as dd

    widths = []
    original = dd._System.__init__

    def spy(self, device, mobility, statistics, x):
        widths.append(statistics.sigma_eV)
        original(self, device, mobility, statistics, x)

    monkeypatch.setattr(dd._System, "__init__", spy)
    T, sigma = 150.0, 0.16  # sigma/kT = 12.4: direct Newton fails at V = 0
    sol = solve_jv(
        [0.0],
        device=Device(L, EPS_R, temperature_K=T),
        mobility=EGDMMobility(1e-3, sigma, A, T),
        statistics=Statistics("gauss-fermi", 1 / A**3, sigma),
        n_points=200,
        keep_profiles=True,
    )
    assert np.ptp(sol.quasi_fermi_V[0]) < 1e-9  # equilibrium: one Fermi level throughout
    assert sol.density_m3[0, 0] == pytest.approx(0.5 / A**3, rel=1e-6)
    assert len(widths) > 2 and widths[1] < widths[-1] == pytest.approx(sigma)
    # Beyond double precision (sigma/kT ~ 16): an error naming the voltage, no silent curve.
    with pytest.raises(ConvergenceError, match="V = "):
        solve_jv(
            [0.0, 2.0],
            device=Device(L, EPS_R, temperature_K=160.0),
            mobility=EGDMMobility(1e-3, 0.22, A, 160.0),
            statistics=Statistics("gauss-fermi", 1 / A**3, 0.22),
            n_points=200,
        )


def test_gauss_fermi_dilute_limit_equals_boltzmann_with_effective_dos():
    # Deep in the Gaussian tail n = N exp(eta + s^2/2): Gauss-Fermi must reproduce Boltzmann
    # statistics with N_eff = N exp(s^2 / 2) (and D/mu = kT/q), here with 0.7 eV barriers.
    T, sigma = 297.0, 0.08
    s = sigma / (KB_EV * T)
    dev = Device(L, EPS_R, temperature_K=T, barrier_anode_eV=0.7, barrier_cathode_eV=0.7)
    v = [0.5, 2.0, 5.0]
    gf = solve_jv(
        v,
        device=dev,
        mobility=ConstantMobility(MU),
        statistics=Statistics("gauss-fermi", 1 / A**3, sigma),
        n_points=120,
    )
    bz = solve_jv(
        v,
        device=dev,
        mobility=ConstantMobility(MU),
        statistics=Statistics("boltzmann", np.exp(0.5 * s * s) / A**3),
        n_points=120,
    )
    assert gf.current_density_A_m2 == pytest.approx(bz.current_density_A_m2, rel=1e-5)


@pytest.mark.parametrize(("gamma", "volts"), [(1e-4, 2.0), (2e-4, 5.0), (3e-4, 5.0)])
def test_poole_frenkel_sclc_against_murgatroyd(gamma, volts):
    # Murgatroyd, J. Phys. D 3, 151 (1970): J_PF / J_MG ~ exp(0.891 gamma sqrt(V/L)),
    # an approximation good to a few percent for gamma sqrt(E) <~ 2.
    dev = Device(L, EPS_R)
    pf = solve_jv([volts], device=dev, mobility=PooleFrenkelMobility(MU, gamma), n_points=200)
    c = solve_jv([volts], device=dev, mobility=ConstantMobility(MU), n_points=200)
    ratio = pf.current_density_A_m2[0] / c.current_density_A_m2[0]
    assert ratio == pytest.approx(np.exp(0.891 * gamma * np.sqrt(volts / L)), rel=0.07)


def test_band_solver_is_solve_bandeds_lapack_call():
    # the Newton step calls LAPACK's gbsv directly (SciPy's wrapper cost more than the
    # solve): the same numbers as scipy.linalg.solve_banded, and a singular matrix raises
    from scipy.linalg import LinAlgError, solve_banded

    from nctransport.device.drift_diffusion import _solve_band3

    rng = np.random.default_rng(3)
    for n in (4, 51, 398):
        ab = rng.normal(size=(7, n))
        ab[3] += 4.0
        b = rng.normal(size=n)
        ref = solve_banded((3, 3), ab, b, check_finite=False)
        assert np.array_equal(_solve_band3(ab.copy(), b.copy()), ref)
    with pytest.raises(LinAlgError):
        _solve_band3(np.zeros((7, 6)), np.ones(6))
