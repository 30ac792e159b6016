"""Helpers of the batched profile fits."""

import numpy as np
import pytest

from nctransport.microscopy.batched_fits import image_marginals


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_image_marginals_are_the_means_over_each_axis(dtype):
    rng = np.random.default_rng(3)
    data = (rng.poisson(50.0, size=(7, 33, 20)) * rng.uniform(0.5, 2.0)).astype(dtype)
    over_y, over_x = image_marginals(data)
    # float64 sums in the same order as NumPy's own mean with dtype=float: identical
    assert np.array_equal(over_y, data.mean(axis=1, dtype=float))
    assert np.array_equal(over_x, data.mean(axis=2, dtype=float))
    assert over_y.dtype == over_x.dtype == np.float64


def test_image_marginals_ignore_nan_pixels_like_nanmean():
    rng = np.random.default_rng(4)
    data = rng.normal(size=(5, 12, 9)).astype(np.float32)
    data[2, 3, 4] = np.nan
    data[4, :, 0] = np.nan  # a whole column of one frame: its y-mean stays NaN
    over_y, over_x = image_marginals(data)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        ref_y = np.nanmean(data, axis=1, dtype=float)
    np.testing.assert_allclose(over_y, ref_y, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(over_x, np.nanmean(data, axis=2, dtype=float), rtol=1e-12)
    assert np.isnan(over_y[4, 0]) and np.isfinite(over_y[4, 1:]).all()
