"""Synthetic decays with known truth for the kinetics tests."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.kinetics import models as M

DT_NS = 0.08


@pytest.fixture
def grid_ns() -> np.ndarray:
    """TCSPC-like grid, -2 .. 30 ns."""
    return np.arange(-2.0, 30.0, DT_NS)


@pytest.fixture
def biexp_truth() -> dict:
    """Two lifetimes, amplitudes (counts/bin), Gaussian IRF centre and FWHM (ns)."""
    return {"a": [4000 * DT_NS, 1000 * DT_NS], "tau": [0.6, 5.0], "t0": 0.4, "fwhm": 0.3, "bg": 2.0}


def biexp_mean(t_ns: np.ndarray, truth: dict, period: float | None = None) -> np.ndarray:
    return (
        M.exp_sum_gaussian_irf(t_ns, truth["a"], truth["tau"], truth["t0"], truth["fwhm"], period)
        + truth["bg"]
    )
