"""Lifetime, D_avg (Bornschlegl 2024 Eq. 2), diffusion lengths, t_max and the Einstein relation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from nctransport.errors import FitError
from nctransport.microscopy.lengths import (
    diffusion_length_msd,
    diffusion_length_tau_d,
    einstein_mobility,
    find_t_max,
    lifetime_1e,
    pl_weighted_diffusivity,
)
from nctransport.microscopy.synthetic import contracting_msd


def test_lifetime_of_exponential_and_biexponential():
    t = np.arange(-100, 2001) * 1e-11  # exact zero on the grid
    one = np.where(t >= 0, np.exp(-t / 2.5e-9), 0.0)
    assert lifetime_1e(t, one).value == pytest.approx(2.5e-9, rel=1e-3)

    # Bornschlegl 2024 bright/dark: 480 ps and 52 ns, 42% of the amplitude-weighted start bright.
    def bi(tt):
        return 0.9 * np.exp(-tt / 0.48e-9) + 0.1 * np.exp(-tt / 52e-9)

    truth = brentq(lambda tt: bi(tt) - 1 / math.e, 0, 20e-9)
    r = lifetime_1e(t, np.where(t >= 0, bi(t), 0.0))
    assert r.found and r.value == pytest.approx(truth, rel=1e-3)
    # A bleach (negative signal) gives the same lifetime.
    assert lifetime_1e(t, -one).value == pytest.approx(2.5e-9, rel=1e-3)


def test_lifetime_not_reached():
    t = np.linspace(0, 1e-9, 11)
    r = lifetime_1e(t, np.exp(-t / 5e-9))
    assert not r.found and math.isnan(r.value)
    with pytest.raises(FitError):
        lifetime_1e([0.0], [1.0])


def test_d_avg_eq2_by_hand():
    # Four frames, three bins; 5 tau covers them all.
    t = np.array([0.0, 1.0, 2.0, 4.0]) * 1e-9
    msd = np.array([0.0, 4.0, 6.0, 7.0]) * 1e-14
    inten = np.array([4.0, 2.0, 1.0, 0.5])
    # Bin D: (4-0)/(2*1), (6-4)/(2*1), (7-6)/(2*2) in 1e-14/1e-9 = 1e-5 m^2/s -> 2, 1, 0.25.
    expect = (4 * 2 + 2 * 1 + 1 * 0.25) / (4 + 2 + 1) * 1e-5
    err = np.array([1.0, 1.0, 2.0, 2.0]) * 1e-15
    r = pl_weighted_diffusivity(t, msd, inten, 1e-9, msd_err=err, smooth=0)
    assert r.value == pytest.approx(expect, rel=1e-12)
    assert r.n_bins == 3 and r.t_end == 4e-9
    # Linear error propagation: D_avg = sum_j c_j MSD_j.
    w = np.array([4, 2, 1]) / 7
    dt = np.array([1.0, 1.0, 2.0]) * 1e-9
    c = np.zeros(4)
    c[1:] += w / (2 * dt)
    c[:-1] -= w / (2 * dt)
    assert r.err == pytest.approx(np.sqrt(np.sum((c * err) ** 2)), rel=1e-12)
    # Bins end at 5 tau: tau = 0.3 ns -> frames up to 1.5 ns -> one bin.
    r1 = pl_weighted_diffusivity(t, msd, inten, 0.3e-9, smooth=0)
    assert r1.n_bins == 1 and r1.value == pytest.approx(2e-5)
    # A negative (bleach) signal weights identically.
    assert pl_weighted_diffusivity(t, msd, -inten, 1e-9, smooth=0).value == pytest.approx(expect)


def test_d_avg_recovers_normal_diffusion_and_reference_cancels():
    t = np.linspace(0, 8e-9, 81)
    msd = 2 * 3e-5 * t + 1e-14  # an offset in the reference width cancels in Eq. 2
    r = pl_weighted_diffusivity(t, msd, np.exp(-t / 1.5e-9), 1.5e-9)
    assert r.value == pytest.approx(3e-5, rel=1e-10)


def test_diffusion_lengths():
    L, e = diffusion_length_tau_d(2e-9, 0.5e-4, 0.05e-4)
    assert L == pytest.approx(math.sqrt(2e-9 * 0.5e-4))  # Bornschlegl 2024: no factor 2
    assert e == pytest.approx(0.5 * L * 0.1)
    t = np.array([0.0, 1e-9, 2e-9])
    msd = np.array([0.0, 1e-13, 3e-13])
    L, e = diffusion_length_msd(t, msd, 1.5e-9, np.array([0.0, 1e-14, 1e-14]))
    assert L == pytest.approx(math.sqrt(2e-13)) and e == pytest.approx(1e-14 / (2 * L))
    assert math.isnan(diffusion_length_msd(t, msd, 5e-9)[0])
    assert math.isnan(diffusion_length_tau_d(math.nan, 1e-5)[0])


@pytest.mark.parametrize("t_max", [1e-9, 2e-9, 3e-9])
def test_t_max_of_contracting_msd(t_max):
    rng = np.random.default_rng(int(t_max * 1e10))
    t = np.linspace(0, 8e-9, 161)
    m = contracting_msd(1e-5, t_max)(t)
    err = np.full_like(t, 0.05 * m.max())
    r = find_t_max(t, m + rng.normal(0, err), err)
    assert r is not None
    assert r.value == pytest.approx(t_max, rel=0.1)
    assert 0 < r.err < 0.3 * t_max
    assert r.contraction_z > 3


def test_no_t_max_when_msd_keeps_rising_or_plateaus():
    rng = np.random.default_rng(5)
    t = np.linspace(0, 8e-9, 161)
    rising = 2e-5 * t
    plateau = np.maximum.accumulate(contracting_msd(1e-5, 2e-9)(t))
    for m in (rising, plateau):
        for _ in range(5):
            err = np.full_like(t, 0.05 * m.max())
            assert find_t_max(t, m + rng.normal(0, err), err) is None


def test_einstein_mobility_science_md_figure():
    # docs/science.md / Liu 2021: D = 102 cm^2/s at room temperature -> mu ~ 3.9e3 cm^2/Vs.
    mu_cm2 = einstein_mobility(102e-4, 300.0) * 1e4
    assert mu_cm2 == pytest.approx(3.9e3, rel=0.02)
    assert mu_cm2 == pytest.approx(102 / 0.025852, rel=1e-3)  # kT/e = 25.852 mV at 300 K
    with pytest.raises(FitError):
        einstein_mobility(1e-4, 0.0)
