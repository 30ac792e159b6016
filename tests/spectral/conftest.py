"""Fixtures of the spectra tests."""

from __future__ import annotations

import pytest

from nctransport.dataset import make_dataset

from .synthetic import RedShiftTruth, redshift_map


@pytest.fixture
def truth() -> RedShiftTruth:
    return RedShiftTruth()


@pytest.fixture
def redshift_dataset(rng, truth):
    t, lam, sig = redshift_map(rng, truth)
    return make_dataset(
        sig,
        {"t": t, "wavelength": lam},
        signal_units="dOD",
        signal_name="dOD",
        attrs={"temperature": f"{truth.temperature_K} K", "technique": "TA"},
    )
