"""MSD from per-frame widths: hand-computed values, error propagation, frame selection."""

from __future__ import annotations

import numpy as np
import pytest

from nctransport.errors import FitError
from nctransport.microscopy.msd import compute_msd, select_frames


def test_msd_relative_to_first_usable_frame_after_t0():
    t = np.array([-1e-9, 0.0, 1e-9, 2e-9, 3e-9])
    s = np.array([5e-7, 2e-7, 3e-7, 9e-7, 4e-7])
    e = np.array([1e-8, 1e-8, 2e-8, 3e-8, 4e-8])
    ok = np.array([True, True, True, False, True])
    r = compute_msd(t, s, e, ok)
    np.testing.assert_allclose(r.t, [0.0, 1e-9, 3e-9])
    # sigma^2(t) - sigma^2(t_ref), by hand in nm^2: 300^2-200^2 = 50000, 400^2-200^2 = 120000.
    np.testing.assert_allclose(r.msd * 1e18, [0.0, 50000.0, 120000.0])
    # err = 2 sigma sigma_err: 2*200*10, 2*300*20, 2*400*40 nm^2.
    np.testing.assert_allclose(r.err * 1e18, [4000.0, 12000.0, 32000.0])
    assert r.t_ref == 0.0 and r.sigma_ref == 2e-7 and r.sigma_ref_err == 1e-8
    np.testing.assert_array_equal(r.frames, [1, 2, 4])
    np.testing.assert_allclose(r.elapsed, [0.0, 1e-9, 3e-9])
    d = r.to_dict()
    assert d["t_ns"][1] == pytest.approx(1.0) and d["msd_nm2"][2] == pytest.approx(120000.0)
    assert r.has_errors


def test_reference_is_first_frame_when_t0_frame_failed_and_window():
    t = np.arange(6) * 1e-9
    s = np.sqrt(4e-14 + 2e-5 * t)
    r = compute_msd(t, s, ok=[False, True, True, True, True, True], t_max=3.5e-9)
    assert r.t_ref == 1e-9
    np.testing.assert_allclose(r.msd, 2e-5 * (r.t - 1e-9), rtol=1e-9)
    assert not r.has_errors and np.all(np.isnan(r.err))


def test_nan_and_nonpositive_widths_are_excluded():
    t = np.arange(5) * 1e-9
    s = np.array([1e-7, np.nan, 0.0, -1e-7, 2e-7])
    np.testing.assert_array_equal(select_frames(t, s), [0, 4])


def test_too_few_frames():
    with pytest.raises(FitError):
        compute_msd([0.0, 1e-9], [1e-7, 2e-7], ok=[True, False])
    with pytest.raises(FitError):
        compute_msd([0.0, 1e-9], [1e-7])
