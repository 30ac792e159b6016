"""Shared fixtures: small synthetic data with known truth, written to a temp dir."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Figures are rendered headless in every test.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
