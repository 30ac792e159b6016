"""Spatial profile models with analytic Jacobians, evaluated for many frames at once.

All functions work in *scaled* units chosen by :mod:`nctransport.microscopy.profiles`:
positions in pixels, signal divided by a per-frame scale, so every parameter is of order
one. Parameter order (each row of ``p`` is one frame):

- ``gaussian`` (1D): ``A, x0, sigma, B``; ``A exp(-(x-x0)^2 / (2 sigma^2)) + B`` (Li 2023,
  docs/science.md "Spatial profiles").
- ``voigt`` (1D, Bornschlegl 2024 Eq. 3): ``A, x0, sigma, B`` with the Lorentzian HWHM ``gamma``
  held fixed, or ``A, x0, sigma, gamma, B`` when it is free (first frame). The model is
  ``A V(x-x0; sigma, gamma) / V(0; sigma, gamma) + B`` so that ``A`` is the peak height;
  ``V`` is :func:`scipy.special.voigt_profile` (Gaussian std ``sigma`` convolved with a
  Lorentzian of half width at half maximum ``gamma``).
- ``gaussian2d`` (isotropic, Liu 2021): ``A, y0, x0, sigma, B``.
- ``gaussian2d_aniso``: ``A, y0, x0, sigma_x, sigma_y, theta, B`` with rotated axes
  ``u = cos(theta)(x-x0) + sin(theta)(y-y0)``, ``v = -sin(theta)(x-x0) + cos(theta)(y-y0)``
  and ``A exp(-u^2/(2 sigma_x^2) - v^2/(2 sigma_y^2)) + B``.

1D models return ``(model, jacobian)``; the 2D models are Numba kernels that accumulate
the weighted normal equations pixel by pixel without materialising the Jacobian (a
200 x 512 x 512 stack would need gigabytes for it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import voigt_profile, wofz

#: ``range`` in plain Python; :class:`LazyKernel` binds ``numba.prange`` before compiling.
prange = range


class LazyKernel:
    """A Numba kernel compiled (or loaded from Numba's on-disk cache) on its first call.

    Importing Numba and loading cached kernels costs ~0.4 s of CPU per process; a line
    map is fitted without them (NumPy normal equations), so only image stacks pay it.
    """

    def __init__(self, func: Any, **options: Any) -> None:
        self.py_func, self._options, self._jit = func, options, None
        self.__doc__, self.__name__ = func.__doc__, func.__name__

    def __call__(self, *args: Any) -> Any:
        if self._jit is None:
            import numba

            self.py_func.__globals__["prange"] = numba.prange
            self._jit = numba.njit(**self._options)(self.py_func)
        return self._jit(*args)


def lazy_njit(**options: Any) -> Any:
    """``numba.njit(**options)`` applied on first call (see :class:`LazyKernel`)."""
    return lambda func: LazyKernel(func, **options)


_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)
_SQRTPI = np.sqrt(np.pi)


def gaussian1d(p: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Model ``(f, m)`` and Jacobian ``(f, m, 4)`` of the 1D Gaussian for ``p`` ``(f, 4)``."""
    A, x0, s, B = (p[:, i : i + 1] for i in range(4))
    u = x[None, :] - x0
    e = np.exp(-0.5 * (u / s) ** 2)
    Ae = A * e
    J = np.empty(u.shape + (4,))
    J[..., 0] = e
    J[..., 1] = Ae * u / s**2
    J[..., 2] = Ae * u**2 / s**3
    J[..., 3] = 1.0
    return Ae + B, J


def gaussian1d_normal_eq_numpy(ds, w, xs, params, frames, H, g, chi2) -> None:
    """NumPy twin of :func:`gaussian1d_normal_eq` (same arguments, equal to rounding).

    The Jacobian columns are ``e``, ``A e u / s^2``, ``A e u^2 / s^3`` and 1 (``u = x - x0``,
    ``e`` the unit Gaussian), so every entry of ``J^T W J`` and ``J^T W r`` is a moment in
    ``u`` of ``w e^2``, ``w e``, ``w e r``, ``w`` or ``w r`` times powers of ``A`` and ``1/s``:
    a dozen sums over ``(f, m)`` arrays instead of the ``(f, m, 4)`` Jacobian and a batched
    matrix product, ~2.5x less time on a 2000 x 200 map.
    """
    A, x0, s, B = (params[:, i : i + 1] for i in range(4))
    wf = w[frames]
    u = xs[None, :] - x0
    e = np.exp(-0.5 * (u / s) ** 2)
    r = ds[frames] - (A * e + B)
    we = wf * e
    m = np.empty((frames.size, 11))  # moments: w e^2 u^0..4, w e u^0..2, w e r u^0..2
    t = we * e
    m[:, 0] = t.sum(1)
    for k in range(1, 5):
        t *= u
        m[:, k] = t.sum(1)
    for first, factor in ((5, we), (8, we * r)):
        t = factor.copy()
        m[:, first] = t.sum(1)
        for k in (1, 2):
            t *= u
            m[:, first + k] = t.sum(1)
    wr = wf * r
    chi2[:] = (wr * r).sum(1)
    c1 = (A / s**2)[:, 0]
    c2 = (A / s**3)[:, 0]
    H[:, 0, 0] = m[:, 0]
    H[:, 0, 1] = H[:, 1, 0] = c1 * m[:, 1]
    H[:, 0, 2] = H[:, 2, 0] = c2 * m[:, 2]
    H[:, 0, 3] = H[:, 3, 0] = m[:, 5]
    H[:, 1, 1] = c1 * c1 * m[:, 2]
    H[:, 1, 2] = H[:, 2, 1] = c1 * c2 * m[:, 3]
    H[:, 1, 3] = H[:, 3, 1] = c1 * m[:, 6]
    H[:, 2, 2] = c2 * c2 * m[:, 4]
    H[:, 2, 3] = H[:, 3, 2] = c2 * m[:, 7]
    H[:, 3, 3] = wf.sum(1)
    g[:, 0] = m[:, 8]
    g[:, 1] = c1 * m[:, 9]
    g[:, 2] = c2 * m[:, 10]
    g[:, 3] = wr.sum(1)


@lazy_njit(cache=True)
def gaussian1d_normal_eq(ds, w, xs, params, frames, H, g, chi2):  # pragma: no cover - compiled
    """Weighted normal equations of the 1D Gaussian for the listed frames.

    ``ds`` scaled data ``(n, m)``, ``w`` inverse variances ``(n, m)`` (0 = masked pixel).
    Same result as building :func:`gaussian1d`'s Jacobian, without the temporaries.
    """
    nf = frames.shape[0]
    m = xs.shape[0]
    for j in range(nf):  # serial: a 2000 x 200 map takes milliseconds, no thread start-up
        f = frames[j]
        A = params[j, 0]
        x0 = params[j, 1]
        s = params[j, 2]
        B = params[j, 3]
        is2 = 1.0 / (s * s)
        h = np.zeros((4, 4))
        gg = np.zeros(4)
        c = 0.0
        for i in range(m):
            wi = w[f, i]
            if wi == 0.0:
                continue
            u = xs[i] - x0
            e = np.exp(-0.5 * u * u * is2)
            Ae = A * e
            r = ds[f, i] - (Ae + B)
            j0 = e
            j1 = Ae * u * is2
            j2 = j1 * u / s
            w0 = wi * j0
            w1 = wi * j1
            w2 = wi * j2
            h[0, 0] += w0 * j0
            h[0, 1] += w0 * j1
            h[0, 2] += w0 * j2
            h[0, 3] += w0
            h[1, 1] += w1 * j1
            h[1, 2] += w1 * j2
            h[1, 3] += w1
            h[2, 2] += w2 * j2
            h[2, 3] += w2
            h[3, 3] += wi
            gg[0] += w0 * r
            gg[1] += w1 * r
            gg[2] += w2 * r
            gg[3] += wi * r
            c += wi * r * r
        for a in range(4):
            g[j, a] = gg[a]
            for b in range(a, 4):
                H[j, a, b] = h[a, b]
                H[j, b, a] = h[a, b]
        chi2[j] = c


def _voigt_and_grads(
    u: np.ndarray, s: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Voigt profile V(u; s, g) and dV/du, dV/ds, dV/dg via the Faddeeva function.

    V = Re w(z) / (s sqrt(2 pi)), z = (u + i g) / (s sqrt 2) (scipy.special.voigt_profile
    docs); w'(z) = -2 z w(z) + 2 i / sqrt(pi) (Abramowitz & Stegun 7.1.20).
    """
    z = (u + 1j * g) / (s * _SQRT2)
    w = wofz(z)
    norm = 1.0 / (s * _SQRT2PI)
    V = w.real * norm
    dw = -2.0 * z * w + 2j / _SQRTPI
    dzdu = 1.0 / (s * _SQRT2)
    dV_du = (dw * dzdu).real * norm
    dV_dg = (dw * 1j * dzdu).real * norm
    dV_ds = (dw * (-z / s)).real * norm - V / s
    return V, dV_du, dV_ds, dV_dg


def voigt1d(p: np.ndarray, x: np.ndarray, gamma: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Peak-normalised Voigt + background and its Jacobian.

    With ``gamma`` (``(f,)`` fixed HWHM) ``p`` is ``(f, 4)`` = ``A, x0, sigma, B``; with
    ``gamma=None`` ``p`` is ``(f, 5)`` = ``A, x0, sigma, gamma, B`` and gamma is fitted.
    """
    free = gamma is None
    A = p[:, 0:1]
    x0 = p[:, 1:2]
    s = p[:, 2:3]
    g = p[:, 3:4] if free else np.asarray(gamma, dtype=float)[:, None]
    B = p[:, -1:]
    u = x[None, :] - x0
    V, Vu, Vs, Vg = _voigt_and_grads(u, s, g)
    V0, _, V0s, V0g = _voigt_and_grads(np.zeros_like(s), s, g)
    P = V / V0
    J = np.empty(u.shape + (p.shape[1],))
    J[..., 0] = P
    J[..., 1] = -A * Vu / V0
    J[..., 2] = A * (Vs * V0 - V * V0s) / V0**2
    if free:
        J[..., 3] = A * (Vg * V0 - V * V0g) / V0**2
    J[..., -1] = 1.0
    return A * P + B, J


def voigt_peak(sigma: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Height of the area-normalised Voigt profile at its centre, V(0; sigma, gamma)."""
    return voigt_profile(0.0, sigma, gamma)


# Reassociation lets LLVM vectorise the sums; no "nnan", so NaN pixels are still detected.
_FAST = {"reassoc", "contract", "arcp", "nsz"}
#: Options of the vectorised pixel kernels. NumPy's error model: a division is a plain
#: division (no ZeroDivisionError branch, which stops LLVM from vectorising the weights
#: 1 / variance); their divisors (widths >= 0.25 px, scales, variances >= 1) are never 0.
_VECTOR = {"cache": True, "parallel": True, "fastmath": _FAST, "error_model": "numpy"}


@lazy_njit(**_VECTOR)
def gaussian2d_iso_normal_eq(
    data,
    xs,
    ys,
    params,
    frames,
    inv_scale,
    wconst,
    poisson,
    ref,
    offset,
    offset_var,
    roi,
    outs,
    cref,
    H,
    g,
    chi2,
):  # pragma: no cover - compiled
    """Accumulate ``H = J^T W J``, ``g = J^T W r``, ``chi2`` of the isotropic 2D Gaussian.

    ``data`` is the raw ``(n, ny, nx)`` stack (NaN pixels skipped), divided on the fly by the
    frame scale (``inv_scale``). Weights: ``wconst[f]`` per frame, or with ``poisson`` the
    inverse Poisson variance of the reference model ``ref`` (raw units, plus ``offset``, the
    subtracted baseline, and ``offset_var``, its variance), so weights stay fixed during LM.

    Only pixels inside the frame's region of interest ``roi[f] = (y0, y1, x0, x1)`` are
    visited; outside it the Gaussian is below exp(-18) of its peak and the pixels inform
    only the background, through the precomputed sums ``outs[f]`` = (sum w, sum w (d - c),
    sum w (d - c)^2) about ``c = cref[f]`` (see :func:`outside_sums`).
    """
    nf = frames.shape[0]
    for j in prange(nf):
        f = frames[j]
        A = params[j, 0]
        y0 = params[j, 1]
        x0 = params[j, 2]
        s = params[j, 3]
        B = params[j, 4]
        is2 = 1.0 / (s * s)
        is3 = is2 / s
        # Row segments are indexed from 0 (slices): with a non-negative index Numba emits no
        # wrap-around select, so LLVM vectorises the pixel loop (~2.5x faster).
        ix0 = roi[f, 2]
        ix1 = roi[f, 3]
        m = max(ix1 - ix0, 0)
        ux = np.empty(m)
        gx = np.empty(m)
        rgx = np.empty(m)
        wrow = np.empty(m)
        for k in range(m):
            ux[k] = xs[ix0 + k] - x0
            gx[k] = np.exp(-0.5 * ux[k] * ux[k] * is2)
            d = xs[ix0 + k] - ref[j, 2]
            rgx[k] = np.exp(-0.5 * d * d / (ref[j, 3] * ref[j, 3]))
        sc = inv_scale[f]
        sc2 = sc * sc
        wc = wconst[f]
        h00 = h01 = h02 = h03 = h04 = 0.0
        h11 = h12 = h13 = h14 = 0.0
        h22 = h23 = h24 = 0.0
        h33 = h34 = 0.0
        h44 = 0.0
        g0 = g1 = g2 = g3 = g4 = 0.0
        c = 0.0
        for iy in range(roi[f, 0], roi[f, 1]):
            uy = ys[iy] - y0
            gy = np.exp(-0.5 * uy * uy * is2)
            uy2 = uy * uy
            drow = data[f, iy, ix0:ix1]
            # The row's weights first (a branch-free loop each), then one uniform loop.
            if poisson:
                dr = ys[iy] - ref[j, 1]
                rgy = np.exp(-0.5 * dr * dr / (ref[j, 3] * ref[j, 3]))
                orow = offset[iy, ix0:ix1]
                vrow = offset_var[iy, ix0:ix1]
                for k in range(m):
                    mr = (ref[j, 0] * rgy * rgx[k] + ref[j, 4]) / sc + orow[k]
                    mr = max(mr, 1.0)
                    wrow[k] = 1.0 / ((mr + vrow[k]) * sc2)
            else:
                for k in range(m):
                    wrow[k] = wc
            for k in range(m):
                dv = drow[k]
                w = wrow[k]
                if dv != dv:  # missing pixel: no weight (a select, keeps the loop vectorisable)
                    w = 0.0
                    dv = 0.0
                e = gy * gx[k]
                Ae = A * e
                r = dv * sc - (Ae + B)
                j0 = e
                j1 = Ae * uy * is2
                j2 = Ae * ux[k] * is2
                j3 = Ae * (ux[k] * ux[k] + uy2) * is3
                w0 = w * j0
                w1 = w * j1
                w2 = w * j2
                w3 = w * j3
                h00 += w0 * j0
                h01 += w0 * j1
                h02 += w0 * j2
                h03 += w0 * j3
                h04 += w0
                h11 += w1 * j1
                h12 += w1 * j2
                h13 += w1 * j3
                h14 += w1
                h22 += w2 * j2
                h23 += w2 * j3
                h24 += w2
                h33 += w3 * j3
                h34 += w3
                h44 += w
                g0 += w0 * r
                g1 += w1 * r
                g2 += w2 * r
                g3 += w3 * r
                g4 += w * r
                c += w * r * r
        # Pixels outside the ROI: model = B there; B' = B - c keeps the sums well scaled.
        bp = B - cref[f]
        sw, swd, swd2 = outs[f, 0], outs[f, 1], outs[f, 2]
        h44 += sw
        g4 += swd - bp * sw
        c += swd2 - 2.0 * bp * swd + bp * bp * sw
        H[j, 0, 0] = h00
        H[j, 0, 1] = H[j, 1, 0] = h01
        H[j, 0, 2] = H[j, 2, 0] = h02
        H[j, 0, 3] = H[j, 3, 0] = h03
        H[j, 0, 4] = H[j, 4, 0] = h04
        H[j, 1, 1] = h11
        H[j, 1, 2] = H[j, 2, 1] = h12
        H[j, 1, 3] = H[j, 3, 1] = h13
        H[j, 1, 4] = H[j, 4, 1] = h14
        H[j, 2, 2] = h22
        H[j, 2, 3] = H[j, 3, 2] = h23
        H[j, 2, 4] = H[j, 4, 2] = h24
        H[j, 3, 3] = h33
        H[j, 3, 4] = H[j, 4, 3] = h34
        H[j, 4, 4] = h44
        g[j, 0] = g0
        g[j, 1] = g1
        g[j, 2] = g2
        g[j, 3] = g3
        g[j, 4] = g4
        chi2[j] = c


@lazy_njit(cache=True, parallel=True)
def gaussian2d_aniso_normal_eq(
    data,
    xs,
    ys,
    params,
    frames,
    inv_scale,
    wconst,
    poisson,
    ref,
    offset,
    offset_var,
    roi,
    outs,
    cref,
    H,
    g,
    chi2,
):  # pragma: no cover - compiled
    """Normal equations of the rotated anisotropic 2D Gaussian (7 parameters).

    Same conventions as :func:`gaussian2d_iso_normal_eq`; ``ref`` holds 7 reference
    parameters for the Poisson weights.
    """
    nf = frames.shape[0]
    for j in prange(nf):
        f = frames[j]
        A = params[j, 0]
        y0 = params[j, 1]
        x0 = params[j, 2]
        isx2 = 1.0 / (params[j, 3] * params[j, 3])
        isy2 = 1.0 / (params[j, 4] * params[j, 4])
        ct = np.cos(params[j, 5])
        st = np.sin(params[j, 5])
        B = params[j, 6]
        rct = np.cos(ref[j, 5])
        rst = np.sin(ref[j, 5])
        sc = inv_scale[f]
        hh = np.zeros((7, 7))
        gg = np.zeros(7)
        jv = np.empty(7)
        c = 0.0
        for iy in range(roi[f, 0], roi[f, 1]):
            dy = ys[iy] - y0
            rdy = ys[iy] - ref[j, 1]
            for ix in range(roi[f, 2], roi[f, 3]):
                dv = data[f, iy, ix]
                if dv != dv:
                    continue
                dx = xs[ix] - x0
                u = ct * dx + st * dy
                v = -st * dx + ct * dy
                e = np.exp(-0.5 * (u * u * isx2 + v * v * isy2))
                Ae = A * e
                if poisson:
                    rdx = xs[ix] - ref[j, 2]
                    ru = rct * rdx + rst * rdy
                    rv = -rst * rdx + rct * rdy
                    re = np.exp(-0.5 * (ru * ru / ref[j, 3] ** 2 + rv * rv / ref[j, 4] ** 2))
                    mr = (ref[j, 0] * re + ref[j, 6]) / sc + offset[iy, ix]
                    if mr < 1.0:
                        mr = 1.0
                    w = 1.0 / ((mr + offset_var[iy, ix]) * sc * sc)
                else:
                    w = wconst[f]
                r = dv * sc - (Ae + B)
                jv[0] = e
                jv[1] = Ae * (u * st * isx2 + v * ct * isy2)
                jv[2] = Ae * (u * ct * isx2 - v * st * isy2)
                jv[3] = Ae * u * u * isx2 * params[j, 3] ** -1
                jv[4] = Ae * v * v * isy2 * params[j, 4] ** -1
                jv[5] = Ae * u * v * (isy2 - isx2)
                jv[6] = 1.0
                for a in range(7):
                    wa = w * jv[a]
                    gg[a] += wa * r
                    for b in range(a, 7):
                        hh[a, b] += wa * jv[b]
                c += w * r * r
        bp = B - cref[f]
        hh[6, 6] += outs[f, 0]
        gg[6] += outs[f, 1] - bp * outs[f, 0]
        c += outs[f, 2] - 2.0 * bp * outs[f, 1] + bp * bp * outs[f, 0]
        for a in range(7):
            g[j, a] = gg[a]
            for b in range(a, 7):
                H[j, a, b] = hh[a, b]
                H[j, b, a] = hh[a, b]
        chi2[j] = c


@lazy_njit(**_VECTOR)
def outside_sums(
    data,
    frames,
    roi,
    inv_scale,
    wconst,
    poisson,
    ref_b,
    offset,
    offset_var,
    cref,
    outs,
    totals,
    counts,
):  # pragma: no cover - compiled
    """One pass over the listed frames: weighted background sums outside the ROI, totals.

    ``outs[f]`` = (sum w, sum w (d - c), sum w (d - c)^2) over valid pixels outside
    ``roi[f]`` in scaled units (d = raw * inv_scale, c = ``cref[f]``), with the weights of
    the 2D kernels (Poisson: from the reference background ``ref_b[f]`` (scaled) plus the
    subtracted baseline ``offset``). ``totals[f]``/``counts[f]``: raw sum and number of valid
    (non-NaN) pixels of the whole frame.
    """
    ny, nx = data.shape[1], data.shape[2]
    for j in prange(frames.shape[0]):
        f = frames[j]
        sc = inv_scale[f]
        c = cref[f]
        sw = 0.0
        swd = 0.0
        swd2 = 0.0
        tot = 0.0
        cnt = 0
        wc = wconst[f]
        m0 = ref_b[f] / sc
        x0 = min(max(roi[f, 2], 0), nx)
        x1 = min(max(roi[f, 3], x0), nx)
        for iy in range(ny):
            row = data[f, iy]
            for ix in range(nx):  # whole row: totals, NaN pixels skipped
                dv = row[ix]
                valid = dv == dv
                tot += dv if valid else 0.0
                cnt += valid  # a bool sum: "1 if valid else 0" would not vectorise
            # Outside the ROI: the row's left and right parts, or all of it. Each part is
            # indexed from 0 (a slice) so that LLVM vectorises it (see the 2D kernel).
            inside_y = roi[f, 0] <= iy < roi[f, 1]
            for part in range(2):
                lo = 0 if part == 0 else (x1 if inside_y else nx)
                hi = (x0 if inside_y else nx) if part == 0 else nx
                seg = row[lo:hi]
                oseg = offset[iy, lo:hi]
                vseg = offset_var[iy, lo:hi]
                for k in range(hi - lo):
                    dv = seg[k]
                    if poisson:
                        mr = max(m0 + oseg[k], 1.0)
                        w = 1.0 / ((mr + vseg[k]) * sc * sc)
                    else:
                        w = wc
                    if dv != dv:
                        w = 0.0
                        dv = 0.0
                    r = dv * sc - c
                    sw += w
                    swd += w * r
                    swd2 += w * r * r
        outs[f, 0] = sw
        outs[f, 1] = swd
        outs[f, 2] = swd2
        totals[f] = tot
        counts[f] = cnt
