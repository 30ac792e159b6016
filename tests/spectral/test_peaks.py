"""Per-frame peak fits against known Gaussian features."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError, InputError
from nctransport.spectral.peaks import feature_sign, fit_peaks, gaussian

E = np.linspace(1.20, 1.60, 161)


def test_noise_free_gaussian_is_recovered_exactly():
    y = np.vstack([gaussian(E, -0.01, 1.38, 0.03, 1e-4), gaussian(E, -0.02, 1.41, 0.05, 0.0)])
    pk = fit_peaks(E, y, np.array([0.0, 1e-12]), mode="bleach")
    assert pk.valid.all()
    np.testing.assert_allclose(pk.energy_eV, [1.38, 1.41], atol=1e-9)
    np.testing.assert_allclose(pk.width_eV, [0.03, 0.05], rtol=1e-7)
    np.testing.assert_allclose(pk.amplitude, [-0.01, -0.02], rtol=1e-7)  # sign kept
    np.testing.assert_allclose(pk.baseline, [1e-4, 0.0], atol=1e-10)


@pytest.mark.parametrize("mode", ["pl", "pia"])
def test_positive_features(mode):
    y = gaussian(E, 5.0, 1.45, 0.04, 0.2)
    pk = fit_peaks(E, y, mode=mode)
    assert pk.energy_eV[0] == pytest.approx(1.45, abs=1e-9)
    assert pk.amplitude[0] == pytest.approx(5.0, rel=1e-7)


def test_wrong_sign_finds_no_valid_peak():
    # A bleach analysed as a positive feature has no positive peak.
    y = gaussian(E, -0.01, 1.38, 0.03, 0.0)[None, :] + 1e-4 * np.random.default_rng(0).normal(
        size=(1, E.size)
    )
    assert not fit_peaks(E, y, mode="pia").valid[0]
    assert fit_peaks(E, y, mode="pia", sign=-1).valid[0]


def test_error_bars_match_the_scatter(rng):
    # 300 noisy frames of the same peak: the fitted errors must describe the spread
    # (z-scores with unit standard deviation), for the Gaussian fit and the centroid.
    n = 300
    y = gaussian(E, -0.01, 1.38, 0.03, 0.0)[None, :] + 4e-4 * rng.standard_normal((n, E.size))
    for method in ("gaussian", "centroid"):
        pk = fit_peaks(E, y, mode="bleach", method=method)
        assert pk.valid.all()
        z = (pk.energy_eV - 1.38) / pk.energy_err_eV
        assert abs(np.mean(z)) < 0.2, method
        assert 0.8 < np.std(z) < 1.25, method
        zw = (pk.width_eV - 0.03) / pk.width_err_eV
        assert 0.75 < np.std(zw) < 1.3, method
        assert abs(np.mean(pk.width_eV) - 0.03) < 3 * np.std(pk.width_eV) / np.sqrt(n)


def test_window_selects_one_of_two_features():
    y = gaussian(E, -0.01, 1.30, 0.02, 0.0) + gaussian(E, -0.02, 1.50, 0.02, 0.0)
    pk = fit_peaks(E, y, mode="bleach", window_eV=(1.22, 1.40))
    assert pk.energy_eV[0] == pytest.approx(1.30, abs=1e-8)
    # Without the window the stronger feature wins.
    assert fit_peaks(E, y, mode="bleach").energy_eV[0] == pytest.approx(1.50, abs=1e-3)


def test_centroid_with_peak_near_the_edge_is_unbiased():
    # Symmetric window about the centroid: a peak 1.5 widths from the edge is still centred.
    y = gaussian(E, 1.0, 1.245, 0.03, 0.0)
    pk = fit_peaks(E, y, mode="pl", method="centroid")
    assert pk.energy_eV[0] == pytest.approx(1.245, abs=2e-4)


def test_descending_axis_and_nan_points():
    y = gaussian(E, -0.01, 1.38, 0.03, 0.0)
    y[10] = np.nan
    pk = fit_peaks(E[::-1], y[::-1], mode="bleach")
    assert pk.energy_eV[0] == pytest.approx(1.38, abs=1e-9)


def test_bad_input_raises_typed_errors():
    with pytest.raises(InputError, match="does not match"):
        fit_peaks(E, np.zeros((2, E.size + 1)))
    with pytest.raises(FitError, match="spectral points"):
        fit_peaks(E, np.zeros((1, E.size)), window_eV=(1.2, 1.21))
    with pytest.raises(InputError, match="mode"):
        feature_sign("absorbance")
    with pytest.raises(InputError, match="method"):
        fit_peaks(E, gaussian(E, 1, 1.4, 0.03, 0), mode="pl", method="median")
