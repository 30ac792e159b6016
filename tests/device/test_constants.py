"""The device solver's constants are SciPy's (CODATA 2022), without importing scipy.constants."""

from __future__ import annotations

import scipy.constants as sc

from nctransport.device import _constants


def test_constants_equal_scipy() -> None:
    assert _constants.Q_E == sc.e
    assert _constants.K_B == sc.k
    assert _constants.EPS0 == sc.epsilon_0
