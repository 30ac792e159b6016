"""Temperature models: Arrhenius and the bright/dark fine structure of Bornschlegl 2024."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError, InputError
from nctransport.spectral.temperature import (
    KB_MEV_PER_K,
    bright_fraction,
    fit_temperature,
    log_model,
)

T = np.array([9.0, 15, 20, 30, 40, 60, 80, 100, 140, 180, 220, 260, 300])


def test_bright_fraction_limits():
    # Threefold bright level above one dark level (Bornschlegl 2024): f_B -> 3/4 at high T, -> 0
    # at low T, and f_B / (1 - f_B) = 3 exp(-dE/kT) everywhere (Boltzmann).
    assert bright_fraction(1e8, 15.0) == pytest.approx(0.75, rel=1e-6)
    assert bright_fraction(9.0, 15.0) < 1e-7
    for t in (10.0, 50.0, 174.0, 300.0):
        f = bright_fraction(t, 6.0)
        assert f / (1 - f) == pytest.approx(3 * np.exp(-6.0 / (KB_MEV_PER_K * t)), rel=1e-12)


def test_arrhenius_recovers_activation_energy_with_coverage():
    # Li 2024: mu(0) = mu_inf exp(-Delta/kT); here D with E_a = 45 meV and 5% noise.
    rng = np.random.default_rng(11)
    t = np.linspace(150, 320, 8)
    hits = 0
    for _ in range(40):
        d = 3.0 * np.exp(-45.0 / (KB_MEV_PER_K * t)) * np.exp(0.05 * rng.standard_normal(t.size))
        f = fit_temperature(t, d, 0.05 * d, quantity="D", model="arrhenius")
        lo, hi = f.parameters["E_a"]["ci95"]
        hits += lo <= 45.0 <= hi
    assert hits >= 34  # Binomial(40, 0.95): P(< 34) ~ 1%
    assert f.activation_energy_meV["unit"] == "meV"
    assert f.parameters["D_inf"]["ci95"][0] < f.parameters["D_inf"]["value"]


@pytest.mark.parametrize(
    ("quantity", "theta", "name"),
    [
        ("D", [np.log(0.5), 15.0], "delta_E_BD"),  # 5 nm: Delta E_BD = 15 meV (Bornschlegl 2024)
        ("tau", [np.log(0.4), np.log(36.0), 6.0], "delta_E_BD"),  # 8 nm: 6 meV, 0.4/36 ns
        ("L", [np.log(800.0), np.log(0.01), 10.0], "delta_E_BD"),
    ],
)
def test_bright_dark_recovers_splitting(quantity, theta, name):
    rng = np.random.default_rng(5)
    clean = np.exp(log_model("bright-dark", quantity, T, np.array(theta)))
    y = clean * np.exp(0.03 * rng.standard_normal(T.size))
    f = fit_temperature(T, y, 0.03 * y, quantity=quantity, model="bright-dark")
    assert f.converged
    de = f.delta_e_bd_meV
    assert de["ci95"][0] <= theta[-1] <= de["ci95"][1]
    assert de["value"] == pytest.approx(theta[-1], rel=0.1)
    assert f.predict(T) == pytest.approx(clean, rel=0.1)


def test_bright_dark_tau_limits():
    # tau -> tau_D at low T and -> 1/(0.75/tau_B + 0.25/tau_D) at high T.
    theta = np.array([np.log(0.48), np.log(52.0), 15.0])  # 5 nm NCs at 10 K (Bornschlegl 2024)
    tau = np.exp(log_model("bright-dark", "tau", np.array([2.0, 1e7]), theta))
    assert tau[0] == pytest.approx(52.0, rel=1e-6)
    assert tau[1] == pytest.approx(1 / (0.75 / 0.48 + 0.25 / 52.0), rel=1e-5)


def test_combined_model_recovers_both_energies():
    theta = np.array([np.log(1.0), 10.0, 20.0])
    rng = np.random.default_rng(8)
    clean = np.exp(log_model("combined", "D", T, theta))
    y = clean * np.exp(0.02 * rng.standard_normal(T.size))
    f = fit_temperature(T, y, 0.02 * y, quantity="D", model="combined")
    for name, true in (("delta_E_BD", 10.0), ("E_a", 20.0)):
        lo, hi = f.parameters[name]["ci95"]
        assert lo <= true <= hi, name


def test_arrhenius_cannot_describe_bright_dark_data():
    clean = np.exp(log_model("bright-dark", "D", T, np.array([np.log(0.5), 15.0])))
    y = clean * (1 + 0.01 * np.sin(np.arange(T.size)))
    arr = fit_temperature(T, y, 0.01 * y, quantity="D", model="arrhenius")
    bd = fit_temperature(T, y, 0.01 * y, quantity="D", model="bright-dark")
    assert arr.reduced_chi2 > 10 * bd.reduced_chi2


def test_bad_input():
    with pytest.raises(FitError, match="need at least"):
        fit_temperature(T[:3], np.ones(3), quantity="tau", model="bright-dark")
    with pytest.raises(InputError, match="positive"):
        fit_temperature(T, -np.ones(T.size))
    with pytest.raises(InputError, match="quantity"):
        fit_temperature(T, np.ones(T.size), quantity="mu")
    with pytest.raises(InputError, match="model"):
        fit_temperature(T, np.ones(T.size), model="vft")
