"""Shared fixtures: small synthetic data with known truth, written to a temp dir."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

# Figures are rendered headless in every test.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Close figures a test left open in pyplot, so that tests checking that our code closes
    its own figures do not see another test's."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
