"""nctransport's constants are SciPy's (CODATA 2022), without importing scipy.constants."""

from __future__ import annotations

import numpy as np
import scipy.constants as sc

from nctransport import constants


def test_constants_equal_scipy() -> None:
    assert constants.Q_E == sc.e
    assert constants.K_B == sc.k
    assert constants.H_PLANCK == sc.h
    assert constants.C_LIGHT == sc.c
    assert constants.N_A == sc.N_A
    assert constants.EPS0 == sc.epsilon_0
    assert constants.M_E == sc.m_e


def test_t_and_normal_quantiles_from_scipy_special_are_scipy_stats():
    # the CIs take Student-t quantiles from scipy.special (scipy.stats costs ~0.5 s to
    # import); they must be scipy.stats' numbers
    from scipy import stats

    from nctransport.device._regression import t95
    from nctransport.spectral.peaks import _truncated_variance

    for dof in (1, 2, 3, 7, 30, 1000):
        assert t95(dof) == stats.t.ppf(0.975, dof)
    k = np.array([0.5, 1.0, 2.5, 4.0])
    ref = 1 - 2 * k * stats.norm.pdf(k) / (2 * stats.norm.cdf(k) - 1)
    np.testing.assert_allclose(_truncated_variance(k), ref, rtol=1e-13)


def test_calculators_import_no_scipy_optimisers_statistics_or_xarray():
    # a one-line calculator starts in a fraction of a second (issue 17)
    import subprocess
    import sys

    code = (
        "import sys; from nctransport.cli import main\n"
        "rc = main(['excitation', '--power', '10nW', '--rep-rate', '2.5MHz', '--fwhm', "
        "'250nm', '--wavelength', '405nm', '--cross-section', '1e-14cm2'])\n"
        "heavy = ['scipy.optimize', 'scipy.stats', 'scipy.constants', 'xarray', 'matplotlib']\n"
        "print(rc, [m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split("\n")[-2] == "0 []", out.stdout[-500:] + out.stderr[-2000:]
