"""Model functions and normal equations of the profile fits."""

import numpy as np
import pytest

from nctransport.microscopy import profile_models as pm


@pytest.fixture
def line_problem():
    rng = np.random.default_rng(7)
    n, m = 40, 60
    xs = np.linspace(-6.0, 6.0, m)
    params = np.column_stack(
        [
            rng.uniform(-2.0, 2.0, n),  # amplitude of either sign (bleach or absorption)
            rng.uniform(-2.0, 2.0, n),
            rng.uniform(0.3, 4.0, n),
            rng.uniform(-0.2, 0.2, n),
        ]
    )
    ds = rng.normal(size=(n, m))
    w = rng.uniform(0.2, 3.0, size=(n, m))
    w[rng.random((n, m)) < 0.1] = 0.0  # masked pixels
    frames = np.sort(rng.choice(n, 25, replace=False))  # LM iterates on a subset
    return xs, ds, w, params, frames


def test_numpy_normal_equations_equal_the_jacobian_route(line_problem):
    # Reference: J^T W J, J^T W r and chi2 from gaussian1d's explicit Jacobian.
    xs, ds, w, params, frames = line_problem
    p = params[frames]
    model, J = pm.gaussian1d(p, xs)
    r = ds[frames] - model
    wf = w[frames]
    H_ref = np.einsum("fmi,fm,fmj->fij", J, wf, J)
    g_ref = np.einsum("fmi,fm,fm->fi", J, wf, r)
    c_ref = (wf * r * r).sum(1)
    H = np.empty((frames.size, 4, 4))
    g = np.empty((frames.size, 4))
    chi2 = np.empty(frames.size)
    pm.gaussian1d_normal_eq_numpy(ds, w, xs, p, frames, H, g, chi2)
    np.testing.assert_allclose(H, H_ref, rtol=1e-10, atol=1e-12 * np.abs(H_ref).max())
    np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12 * np.abs(g_ref).max())
    np.testing.assert_allclose(chi2, c_ref, rtol=1e-12)
    assert np.array_equal(H, H.transpose(0, 2, 1))


def test_numpy_and_compiled_normal_equations_agree(line_problem):
    xs, ds, w, params, frames = line_problem
    p = np.ascontiguousarray(params[frames])
    out = []
    for kernel in (pm.gaussian1d_normal_eq_numpy, pm.gaussian1d_normal_eq):
        H = np.empty((frames.size, 4, 4))
        g = np.empty((frames.size, 4))
        chi2 = np.empty(frames.size)
        kernel(ds, w, xs, p, frames, H, g, chi2)
        out.append((H, g, chi2))
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max())
