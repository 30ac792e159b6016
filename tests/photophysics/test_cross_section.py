"""Absorption cross-section from saturation (Li 2023)."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError, InputError
from nctransport.photophysics import fit_cross_section, saturation

SIGMA_LI2023 = 7.73e-15 * 1e-4  # m^2 (7.73e-15 cm^2 at 450 nm)


def test_recovers_li2023_cross_section_within_ci(rng):
    j = np.logspace(13.3, 15.3, 15) * 1e4  # photons/m^2 around 1/sigma
    hits = 0
    for _ in range(60):
        err = 0.02 * np.ones_like(j)
        y = saturation(j, 1.0, SIGMA_LI2023) + rng.normal(0, 0.02, j.size)
        r = fit_cross_section(j, y, err)
        lo, hi = r.sigma_ci95_m2
        hits += lo <= SIGMA_LI2023 <= hi
        assert r.converged
    assert 0.88 <= hits / 60 <= 1.0


def test_unknown_errors_use_student_t(rng):
    j = np.logspace(13.3, 15.3, 6) * 1e4
    y = saturation(j, 3.0, SIGMA_LI2023) * (1 + rng.normal(0, 0.03, j.size))
    r = fit_cross_section(j, y)
    assert not r.errors_known
    half = (r.sigma_ci95_m2[1] - r.sigma_ci95_m2[0]) / 2
    assert half / r.sigma_err_m2 == pytest.approx(2.776, rel=1e-3)  # t(0.975, 4)
    assert r.sigma_m2 == pytest.approx(SIGMA_LI2023, rel=0.2)


def test_bad_inputs():
    with pytest.raises(FitError):
        fit_cross_section(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(InputError):
        fit_cross_section(np.array([-1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
