"""Per-frame fits of the spatial profile of a transient map or image stack.

Every frame ``t >= t0`` of a ``map`` (t, x) or ``stack`` (t, y, x) is fitted with a profile
model whose per-axis standard deviation ``sigma(t)`` gives the MSD, ``sigma^2(t) -
sigma^2(t0)`` (per-axis convention, docs/science.md;
Li 2023, Liu 2021, Shcherbakov-Wu 2024 and Bornschlegl 2024):

- ``gaussian``: ``A exp(-(x-x0)^2 / (2 sigma^2)) + B`` (Li 2023, Shcherbakov-Wu 2024).
- ``gaussian2d``: isotropic 2D Gaussian, one sigma for both axes (Liu 2021).
- ``gaussian2d_aniso``: rotated 2D Gaussian with ``sigma_x``, ``sigma_y``, angle; reports
  ``sigma = sqrt(sigma_x sigma_y)`` (a check of isotropy).
- ``voigt``: Bornschlegl 2024 Eq. 3: Lorentzian (HWHM) convolved with a Gaussian; both widths free
  on the first good frame after ``t0``, then the Lorentzian is held FIXED and sigma(t),
  centre, amplitude and background are fitted; ``sigma`` is the Gaussian part. The error
  of the frozen Lorentzian (``extra["lorentz_hwhm_err"]``) is common to all frames and is
  not in the per-frame ``sigma_err``.
- ``moments``: background-subtracted second central moment, no shape assumed (see
  :mod:`nctransport.microscopy.moments` for the window that keeps wing noise in check);
  started from, and flagged with, the Gaussian fit of the same frame.

Noise models (``noise=``): ``poisson`` for photon counts (variance = model counts, plus the
subtracted baseline; errors from the weighted Jacobian, NOT rescaled by chi2, so
``reduced_chi2`` tests the model); ``prepulse`` (variance of a pixel measured from the
frames before the pulse; not rescaled); ``residual`` (variance estimated per frame from the
scatter of the fit residuals, i.e. errors rescaled by chi2/dof as curve_fit does).
``auto`` = ``poisson`` for signals in counts, else ``prepulse`` when two or more pre-pulse
frames exist, else ``residual``.

All frames are fitted together by a batched Levenberg-Marquardt solver
(:mod:`nctransport.microscopy.batched_lm`, driven by
:mod:`nctransport.microscopy.batched_fits`), not a loop of ``curve_fit`` calls; parameter
errors are the square roots of the diagonal of the inverse weighted normal matrix
``(J^T W J)^-1`` at the minimum. A frame is
flagged ``ok=False`` (with a reason) when the fit did not converge, its amplitude is not
significant (``|A| < snr_min * err(A)``, default 5), a width or centre sits at its bound,
or an error is not finite; its numbers are kept for inspection but must not be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import voigt_profile

from nctransport.dataset import SIGNAL, kind_of
from nctransport.errors import ConfigError, InputError
from nctransport.microscopy import profile_models as pm
from nctransport.microscopy.background import subtract_background
from nctransport.microscopy.batched_fits import (
    ROI_SIGMAS,
    NoiseModel,
    RawFits,
    at_bounds,
    axis_scale,
    fit_images,
    fit_lines,
    frame_scale,
    guess_image,
    guess_line,
    integrated_data,
    reduced_chi2,
    resolve_noise,
    stack_axes,
    std_errors,
)
from nctransport.microscopy.moments import WINDOW_SIGMAS, windowed_moments

PROFILES = ("auto", "gaussian", "gaussian2d", "gaussian2d_aniso", "voigt", "moments")
#: A frame has signal when its fitted amplitude exceeds this many standard errors.
SNR_MIN = 5.0


@dataclass(frozen=True)
class ProfileFits:
    """Per-frame profile parameters with 1-sigma standard errors (SI units).

    ``center`` is ``(n,)`` for maps and ``(n, 2)`` ``[y, x]`` for stacks. ``reduced_chi2``
    is NaN with the ``residual`` noise model (there it is 1 by construction). Frames with
    ``ok=False`` keep their numbers for inspection; ``reason`` says why they failed.
    ``extra`` holds per-frame arrays that depend on the profile (``sigma_x``, ``sigma_y``,
    ``angle_rad``, ``lorentz_hwhm``, ``integrated`` (fitted spatial integral),
    ``integrated_data`` (sum of the background-subtracted frame times pixel size),
    ``noise_var``, each ``*_err`` where known).
    """

    profile: str
    t: np.ndarray
    sigma: np.ndarray
    sigma_err: np.ndarray
    amplitude: np.ndarray
    amplitude_err: np.ndarray
    center: np.ndarray
    center_err: np.ndarray
    background: np.ndarray
    background_err: np.ndarray
    reduced_chi2: np.ndarray
    ok: np.ndarray
    reason: tuple[str, ...]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    noise: str = ""
    background_mode: str = ""
    t0: float = 0.0
    signal_units: str = "arb"
    snr_min: float = SNR_MIN

    @property
    def n_frames(self) -> int:
        return int(self.t.size)

    def to_dataset(self) -> xr.Dataset:
        """Per-frame parameters as float64 variables along ``t`` with ``units`` attrs."""
        su = self.signal_units
        two_d = self.center.ndim == 2
        area = "m**2" if two_d else "m"
        units = {
            "sigma": "m",
            "amplitude": su,
            "background": su,
            "reduced_chi2": "1",
            "sigma_x": "m",
            "sigma_y": "m",
            "angle_rad": "rad",
            "lorentz_hwhm": "m",
            "integrated": f"({su})*{area}",
            "integrated_data": f"({su})*{area}",
            "noise_var": f"({su})**2",
            "n_iter": "1",
            "gaussian_sigma": "m",
            "kurtosis_excess": "1",
        }
        data: dict[str, Any] = {}

        def put(name: str, values: np.ndarray, unit: str) -> None:
            data[name] = ("t", np.asarray(values, dtype=float), {"units": unit})

        for name in ("sigma", "amplitude", "background"):
            put(name, getattr(self, name), units[name])
            put(f"{name}_err", getattr(self, f"{name}_err"), units[name])
        if two_d:
            for i, ax in enumerate("yx"):
                put(f"center_{ax}", self.center[:, i], "m")
                put(f"center_{ax}_err", self.center_err[:, i], "m")
        else:
            put("center", self.center, "m")
            put("center_err", self.center_err, "m")
        put("reduced_chi2", self.reduced_chi2, "1")
        for name, values in self.extra.items():
            base = name[:-4] if name.endswith("_err") else name
            put(name, values, units.get(base, "1"))
        data["ok"] = ("t", np.asarray(self.ok, dtype=np.int8), {"units": "1"})
        data["reason"] = ("t", np.asarray(self.reason, dtype=str))
        ds = xr.Dataset(data, coords={"t": ("t", np.asarray(self.t, float), {"units": "s"})})
        ds.attrs.update(
            profile=self.profile,
            noise=self.noise,
            background=self.background_mode,
            t0=f"{self.t0!r} s",
            snr_min=self.snr_min,
            signal_units=su,
        )
        return ds

    def to_dict(self) -> dict:
        """JSON-friendly dict (arrays become lists via :func:`nctransport.results.to_jsonable`)."""
        out: dict[str, Any] = {
            "profile": self.profile,
            "noise": self.noise,
            "background": self.background_mode,
            "t0_s": self.t0,
            "signal_units": self.signal_units,
            "snr_min": self.snr_min,
            "t_s": self.t,
            "sigma_m": self.sigma,
            "sigma_err_m": self.sigma_err,
            "amplitude": self.amplitude,
            "amplitude_err": self.amplitude_err,
            "center_m": self.center,
            "center_err_m": self.center_err,
            "background_signal": self.background,
            "background_err": self.background_err,
            "reduced_chi2": self.reduced_chi2,
            "ok": self.ok,
            "reason": list(self.reason),
        }
        out["extra"] = dict(self.extra)
        return out


# --------------------------------------------------------------------------- noise model


# ------------------------------------------------------------------------ 1D machinery


# --------------------------------------------------------------------------- public API


def fit_profiles(
    ds: xr.Dataset,
    *,
    profile: str = "auto",
    noise: str = "auto",
    background: str = "auto",
    t0: float | None = None,
    snr_min: float = SNR_MIN,
) -> ProfileFits:
    """Fit the spatial profile of every frame at or after ``t0``.

    Parameters
    ----------
    ds
        ``map`` (t, x) or ``stack`` (t, y, x) dataset with SI coordinates (not modified).
    profile
        ``gaussian`` | ``gaussian2d`` | ``gaussian2d_aniso`` | ``voigt`` | ``moments`` |
        ``auto`` (``gaussian`` for maps, isotropic ``gaussian2d`` for stacks).
    noise
        ``poisson`` | ``prepulse`` | ``residual`` | ``auto`` (see the module docstring).
    background
        ``pre-pulse`` | ``none`` | ``auto``, passed to
        :func:`~nctransport.microscopy.background.subtract_background`.
    t0
        Pulse time [s] in the dataset's time frame (default 0: the time axis is already
        relative to the pulse peak, docs/science.md). Frames before it are baseline only.
    snr_min
        Frames whose amplitude is below ``snr_min`` standard errors are flagged.

    Returns
    -------
    ProfileFits
        One entry per frame with ``t >= t0``.

    Raises
    ------
    InputError
        Not a map/stack, or no frame at or after ``t0``.
    ConfigError
        Unknown or incompatible ``profile``/``noise``/``background``.

    Examples
    --------
    >>> from nctransport.dataset import make_dataset
    >>> x = np.linspace(-2e-6, 2e-6, 81); t = np.array([0.0, 1e-9])
    >>> sig = np.exp(-x**2 / (2 * np.array([[3e-7], [4e-7]])**2))
    >>> fits = fit_profiles(make_dataset(sig, {"t": t, "x": x}), noise="residual")
    >>> np.round(fits.sigma * 1e9, 3).tolist(), fits.ok.tolist()
    ([300.0, 400.0], [True, True])
    """
    kind = kind_of(ds)
    if kind not in ("map", "stack"):
        raise InputError(f"profile fits need a map (t, x) or stack (t, y, x), got a {kind}")
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; expected one of {PROFILES}")
    if profile == "auto":
        profile = "gaussian" if kind == "map" else "gaussian2d"
    if kind == "map" and profile in ("gaussian2d", "gaussian2d_aniso"):
        raise ConfigError(f"profile {profile!r} needs an image stack (t, y, x), got a map")
    if kind == "stack" and profile in ("gaussian", "voigt"):
        raise ConfigError(
            f"profile {profile!r} is for line maps (t, x); use gaussian2d for a stack"
        )
    t0 = 0.0 if t0 is None else float(t0)
    sub, bg = subtract_background(ds, background, t0=t0)
    t_all = np.asarray(sub["t"].values, dtype=float)
    post = t_all >= t0
    if not post.any():
        raise InputError(f"no frames at or after t0 = {t0:g} s")
    # t is ascending (make_dataset), so the post-pulse frames are a suffix: a view, no copy.
    first = int(np.argmax(post))
    data = np.asarray(sub[SIGNAL].values)[first:]
    if kind == "map" or data.dtype != np.float32:
        data = np.asarray(data, dtype=float)
    # else a float32 stack stays float32: the image kernels read it as is (no 2x copy)
    units = str(ds[SIGNAL].attrs.get("units", "arb"))
    nz = resolve_noise(noise, units, bg)
    common = dict(
        t=t_all[first:],
        noise=nz.kind,
        background_mode=bg.mode,
        t0=t0,
        signal_units=units,
        snr_min=snr_min,
    )
    if kind == "map":
        x = np.asarray(sub["x"].values, dtype=float)
        gauss = _fit_gaussian_map(data, x, nz, snr_min, common)
        if profile == "gaussian":
            return gauss
        if profile == "voigt":
            return _fit_voigt_map(data, x, nz, snr_min, common, gauss)
        return _moments_fits(data, (x,), nz, gauss, common)
    y = np.asarray(sub["y"].values, dtype=float)
    x = np.asarray(sub["x"].values, dtype=float)
    iso = _fit_gaussian_stack(data, y, x, nz, snr_min, common)
    if profile == "gaussian2d":
        return iso
    if profile == "gaussian2d_aniso":
        return _fit_aniso_stack(data, y, x, nz, snr_min, common, iso)
    return _moments_fits(data, (y, x), nz, iso, common)


# ------------------------------------------------------------------ per-profile drivers


def _flags(
    fit: RawFits,
    amp: np.ndarray,
    amp_err: np.ndarray,
    at_bound: dict[str, np.ndarray],
    snr_min: float,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """``ok`` and per-frame reasons, the first failing check wins."""
    errs = std_errors(fit.cov)
    reasons = []
    for i in range(fit.p.shape[0]):
        r = ""
        if fit.dof[i] <= 0:
            r = "too few valid pixels"
        elif not fit.converged[i]:
            r = "did not converge"
        elif not np.all(np.isfinite(errs[i])) or not np.isfinite(amp_err[i]):
            r = "singular fit (errors not finite)"
        elif not abs(amp[i]) >= snr_min * amp_err[i]:
            r = f"no signal (|A| < {snr_min:g} err)"
        else:
            for name, hit in at_bound.items():
                if hit[i]:
                    r = f"{name} at bound"
                    break
        reasons.append(r)
    ok = np.array([r == "" for r in reasons], dtype=bool)
    return ok, tuple(reasons)


def _fit_gaussian_map_raw(
    data: np.ndarray, x: np.ndarray, nz: NoiseModel
) -> tuple[RawFits, np.ndarray, float, float, np.ndarray, np.ndarray]:
    """Scaled 1D Gaussian fit of every frame: returns the fit, scale, axis centre/pitch, bounds."""
    xc, pitch = axis_scale(x)
    xs = (x - xc) / pitch
    scale = frame_scale(data)
    p0 = guess_line(data / scale[:, None], xs)
    span = xs[-1] - xs[0]
    lo = np.array([-np.inf, xs[0], 0.25, -np.inf])
    hi = np.array([np.inf, xs[-1], span, np.inf])
    fit = fit_lines(
        lambda p, f: pm.gaussian1d(p, xs),
        data,
        scale,
        nz,
        p0,
        lo,
        hi,
        # NumPy normal equations (equal to the Numba kernel's to rounding): a line map
        # fits in ~0.1 s, less than importing Numba and loading the compiled kernel.
        kernel=lambda *a: pm.gaussian1d_normal_eq_numpy(a[0], a[1], xs, *a[2:]),
    )
    return fit, scale, xc, pitch, lo, hi


def _fit_gaussian_map(
    data: np.ndarray, x: np.ndarray, nz: NoiseModel, snr_min: float, common: dict
) -> ProfileFits:
    fit, scale, xc, pitch, lo, hi = _fit_gaussian_map_raw(data, x, nz)
    err = std_errors(fit.cov)
    A = fit.p[:, 0] * scale
    A_err = err[:, 0] * scale
    sigma = fit.p[:, 2] * pitch
    ok, reasons = _flags(
        fit,
        A,
        A_err,
        {"sigma": at_bounds(fit.p, lo, hi, 2), "center": at_bounds(fit.p, lo, hi, 1)},
        snr_min,
    )
    # Integral of A exp(-(x-x0)^2/2s^2) = sqrt(2 pi) A s; error from the A-s covariance.
    c = fit.cov
    rel = (
        c[:, 0, 0] / fit.p[:, 0] ** 2
        + c[:, 2, 2] / fit.p[:, 2] ** 2
        + 2 * c[:, 0, 2] / (fit.p[:, 0] * fit.p[:, 2])
    )
    integ = np.sqrt(2 * np.pi) * A * sigma
    extra = {
        "integrated": integ,
        "integrated_err": np.abs(integ) * np.sqrt(np.clip(rel, 0, None)),
        "integrated_data": integrated_data(data, fit.p[:, 3] * scale, pitch),
        "noise_var": fit.noise_var,
        "n_iter": fit.n_iter.astype(float),
    }
    return ProfileFits(
        profile="gaussian",
        sigma=sigma,
        sigma_err=err[:, 2] * pitch,
        amplitude=A,
        amplitude_err=A_err,
        center=xc + fit.p[:, 1] * pitch,
        center_err=err[:, 1] * pitch,
        background=fit.p[:, 3] * scale,
        background_err=err[:, 3] * scale,
        reduced_chi2=reduced_chi2(fit),
        ok=ok,
        reason=reasons,
        extra=extra,
        **common,
    )


# ------------------------------------------------------------------------ 2D machinery


def _fit_gaussian_stack(
    data: np.ndarray, y: np.ndarray, x: np.ndarray, nz: NoiseModel, snr_min: float, common: dict
) -> ProfileFits:
    xs, ys, xc, yc, pitch = stack_axes(y, x)
    start, _, _ = guess_image(data, xs, ys)
    scale = np.abs(start[:, 0])
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    p0 = np.stack(
        [
            start[:, 0] / scale,
            start[:, 1],
            start[:, 2],
            np.sqrt(start[:, 3] * start[:, 4]),
            start[:, 5] / scale,
        ],
        axis=1,
    )
    p0 = np.where(np.isfinite(p0), p0, np.array([1.0, 0.0, 0.0, 1.0, 0.0]))
    span = max(xs[-1] - xs[0], ys[-1] - ys[0])
    lo = np.array([-np.inf, ys[0], xs[0], 0.25, -np.inf])
    hi = np.array([np.inf, ys[-1], xs[-1], span, np.inf])
    fit, totals, counts = fit_images(
        pm.gaussian2d_iso_normal_eq, lambda p: p[:, 3], data, xs, ys, scale, nz, p0, lo, hi
    )
    err = std_errors(fit.cov)
    A = fit.p[:, 0] * scale
    A_err = err[:, 0] * scale
    sigma = fit.p[:, 3] * pitch
    ok, reasons = _flags(
        fit,
        A,
        A_err,
        {
            "sigma": at_bounds(fit.p, lo, hi, 3),
            "center": at_bounds(fit.p, lo, hi, 1) | at_bounds(fit.p, lo, hi, 2),
        },
        snr_min,
    )
    # Integral of the isotropic 2D Gaussian: 2 pi A sigma^2.
    c = fit.cov
    rel = (
        c[:, 0, 0] / fit.p[:, 0] ** 2
        + 4 * c[:, 3, 3] / fit.p[:, 3] ** 2
        + 4 * c[:, 0, 3] / (fit.p[:, 0] * fit.p[:, 3])
    )
    integ = 2 * np.pi * A * sigma**2
    dy = float(np.median(np.abs(np.diff(y)))) if y.size > 1 else pitch
    extra = {
        "integrated": integ,
        "integrated_err": np.abs(integ) * np.sqrt(np.clip(rel, 0, None)),
        "integrated_data": (totals - fit.p[:, 4] * scale * counts) * pitch * dy,
        "noise_var": fit.noise_var,
        "n_iter": fit.n_iter.astype(float),
    }
    center = np.stack([yc + fit.p[:, 1] * pitch, xc + fit.p[:, 2] * pitch], axis=1)
    center_err = np.stack([err[:, 1], err[:, 2]], axis=1) * pitch
    return ProfileFits(
        profile="gaussian2d",
        sigma=sigma,
        sigma_err=err[:, 3] * pitch,
        amplitude=A,
        amplitude_err=A_err,
        center=center,
        center_err=center_err,
        background=fit.p[:, 4] * scale,
        background_err=err[:, 4] * scale,
        reduced_chi2=reduced_chi2(fit),
        ok=ok,
        reason=reasons,
        extra=extra,
        **common,
    )


# ------------------------------------------------------------------------------ Voigt

#: Starting Lorentzian HWHM / Gaussian-fit sigma tried on the first frame (best chi2 wins).
_VOIGT_GAMMA_STARTS = (0.1, 0.4, 1.0)


def _fit_voigt_map(
    data: np.ndarray,
    x: np.ndarray,
    nz: NoiseModel,
    snr_min: float,
    common: dict,
    gauss: ProfileFits,
) -> ProfileFits:
    """Bornschlegl 2024: Lorentzian HWHM and Gaussian sigma free on the first good frame after t0,
    then the Lorentzian is held fixed and sigma(t), centre, amplitude, background fitted."""
    xc, pitch = axis_scale(x)
    xs = (x - xc) / pitch
    n = data.shape[0]
    span = xs[-1] - xs[0]
    good = np.flatnonzero(gauss.ok)
    nan = np.full(n, np.nan)
    if good.size == 0:
        reasons = tuple(r or "no good Gaussian start" for r in gauss.reason)
        return replace(
            gauss,
            profile="voigt",
            ok=np.zeros(n, dtype=bool),
            reason=reasons,
            extra={**gauss.extra, "lorentz_hwhm": nan, "lorentz_hwhm_err": nan},
        )
    i0 = int(good[0])
    g_sig = gauss.sigma / pitch
    g_cen = (gauss.center - xc) / pitch
    scale = frame_scale(data)
    a_s = gauss.amplitude / scale
    b_s = gauss.background / scale
    # First frame: a few starting splits between the Lorentzian and Gaussian widths.
    starts = np.array(
        [[a_s[i0], g_cen[i0], 0.8 * g_sig[i0], r * g_sig[i0], b_s[i0]] for r in _VOIGT_GAMMA_STARTS]
    )
    rep = np.repeat(data[i0 : i0 + 1], len(starts), axis=0)
    rep_scale = np.repeat(scale[i0 : i0 + 1], len(starts))
    lo5 = np.array([-np.inf, xs[0], 0.25, 0.0, -np.inf])
    hi5 = np.array([np.inf, xs[-1], span, span, np.inf])
    first = fit_lines(lambda p, f: pm.voigt1d(p, xs, None), rep, rep_scale, nz, starts, lo5, hi5)
    best = int(np.nanargmin(np.where(first.converged, first.chi2, np.inf)))
    gamma = float(first.p[best, 3])
    gamma_err = (
        float(np.sqrt(first.cov[best, 3, 3])) if np.isfinite(first.cov[best, 3, 3]) else np.nan
    )
    gam = np.full(n, gamma)
    # Start each frame's Gaussian part so that the Voigt FWHM matches the Gaussian fit's
    # (Olivero & Longbothum 1977: f_V = 0.5346 f_L + sqrt(0.2166 f_L^2 + f_G^2)).
    k = 2.0 * np.sqrt(2.0 * np.log(2.0))
    f_v = k * g_sig
    f_l = 2.0 * gamma
    f_g2 = (f_v - 0.5346 * f_l) ** 2 - 0.2166 * f_l**2
    s0 = np.sqrt(np.clip(f_g2, 0.25**2 * k**2, None)) / k
    p0 = np.stack([a_s, g_cen, s0, b_s], axis=1)
    p0 = np.where(np.isfinite(p0), p0, np.array([1.0, 0.0, 1.0, 0.0]))
    p0[:, 1] = np.clip(p0[:, 1], xs[0], xs[-1])
    p0[:, 2] = np.clip(p0[:, 2], 0.25, span)
    lo = np.array([-np.inf, xs[0], 0.25, -np.inf])
    hi = np.array([np.inf, xs[-1], span, np.inf])
    fit = fit_lines(lambda p, f: pm.voigt1d(p, xs, gam[f]), data, scale, nz, p0, lo, hi)
    err = std_errors(fit.cov)
    A = fit.p[:, 0] * scale
    A_err = err[:, 0] * scale
    ok, reasons = _flags(
        fit,
        A,
        A_err,
        {"sigma": at_bounds(fit.p, lo, hi, 2), "center": at_bounds(fit.p, lo, hi, 1)},
        snr_min,
    )
    if not first.converged[best]:
        ok[:] = False
        reasons = tuple("Lorentzian width fit did not converge" for _ in reasons)
    sigma = fit.p[:, 2] * pitch
    # Spatial integral = A / V(0; sigma, gamma) (the profile is peak-normalised).
    integ = A / pm.voigt_peak(fit.p[:, 2], gam) * pitch
    extra = {
        "lorentz_hwhm": gam * pitch,
        "lorentz_hwhm_err": np.full(n, gamma_err * pitch),
        "integrated": integ,
        "integrated_data": integrated_data(data, fit.p[:, 3] * scale, pitch),
        "noise_var": fit.noise_var,
        "n_iter": fit.n_iter.astype(float),
    }
    return ProfileFits(
        profile="voigt",
        sigma=sigma,
        sigma_err=err[:, 2] * pitch,
        amplitude=A,
        amplitude_err=A_err,
        center=xc + fit.p[:, 1] * pitch,
        center_err=err[:, 1] * pitch,
        background=fit.p[:, 3] * scale,
        background_err=err[:, 3] * scale,
        reduced_chi2=reduced_chi2(fit),
        ok=ok,
        reason=reasons,
        extra=extra,
        **common,
    )


# ------------------------------------------------------------------ anisotropic Gaussian


def _aniso_start(
    data: np.ndarray, xs: np.ndarray, ys: np.ndarray, p_iso: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Start ``A, y0, x0, sx, sy, theta, B`` (scaled) from Gaussian-weighted image moments.

    Multiplying a Gaussian of covariance C by the isotropic fitted Gaussian (variance s^2)
    gives covariance C' = (C^-1 + I/s^2)^-1, so C = (C'^-1 - I/s^2)^-1 recovers the shape
    and its orientation from the weighted second moments C' (low noise: the weight
    suppresses the wings).
    """
    n = data.shape[0]
    out = np.empty((n, 7))
    for i in range(n):
        A, y0, x0, s, B = p_iso[i]
        out[i] = [A, y0, x0, s, s, 0.0, B]
        if not np.all(np.isfinite(p_iso[i])):
            continue
        half = ROI_SIGMAS * s
        iy = slice(np.searchsorted(ys, y0 - half), np.searchsorted(ys, y0 + half, "right"))
        ix = slice(np.searchsorted(xs, x0 - half), np.searchsorted(xs, x0 + half, "right"))
        dy = ys[iy][:, None] - y0
        dx = xs[ix][None, :] - x0
        wgt = np.exp(-0.5 * (dx * dx + dy * dy) / s**2)
        sig = (np.nan_to_num(data[i, iy, ix]) / scale[i] - B) * wgt
        tot = sig.sum()
        if not tot != 0:
            continue
        c = (
            np.array(
                [
                    [(sig * dx * dx).sum(), (sig * dx * dy).sum()],
                    [(sig * dx * dy).sum(), (sig * dy * dy).sum()],
                ]
            )
            / tot
        )
        try:
            inner = np.linalg.inv(c) - np.eye(2) / s**2
            evals, evecs = np.linalg.eigh(inner)
        except np.linalg.LinAlgError:
            continue
        if not np.all(evals > 0):
            continue
        var = 1.0 / evals  # eigen-variances of C, same eigenvectors
        theta = float(np.arctan2(evecs[1, 0], evecs[0, 0]))
        out[i, 3:6] = [np.sqrt(var[0]), np.sqrt(var[1]), theta]
    return out


def _wrap_angle(sx: np.ndarray, sy: np.ndarray, th: np.ndarray):
    """Canonical form: theta in (-pi/2, pi/2] (a rotation by pi is the same ellipse)."""
    th = (th + np.pi / 2) % np.pi - np.pi / 2
    return sx, sy, th


def _fit_aniso_stack(
    data: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    nz: NoiseModel,
    snr_min: float,
    common: dict,
    iso: ProfileFits,
) -> ProfileFits:
    xs, ys, xc, yc, pitch = stack_axes(y, x)
    scale = np.abs(iso.amplitude)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    p_iso = np.stack(
        [
            iso.amplitude / scale,
            (iso.center[:, 0] - yc) / pitch,
            (iso.center[:, 1] - xc) / pitch,
            iso.sigma / pitch,
            iso.background / scale,
        ],
        axis=1,
    )
    p0 = _aniso_start(data, xs, ys, p_iso, scale)
    p0 = np.where(np.isfinite(p0), p0, np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]))
    span = max(xs[-1] - xs[0], ys[-1] - ys[0])
    lo = np.array([-np.inf, ys[0], xs[0], 0.25, 0.25, -2 * np.pi, -np.inf])
    hi = np.array([np.inf, ys[-1], xs[-1], span, span, 2 * np.pi, np.inf])
    p0[:, 1:5] = np.clip(p0[:, 1:5], lo[1:5], hi[1:5])
    fit, totals, counts = fit_images(
        pm.gaussian2d_aniso_normal_eq,
        lambda p: np.maximum(p[:, 3], p[:, 4]),
        data,
        xs,
        ys,
        scale,
        nz,
        p0,
        lo,
        hi,
    )
    err = std_errors(fit.cov)
    A = fit.p[:, 0] * scale
    A_err = err[:, 0] * scale
    sx, sy, th = _wrap_angle(fit.p[:, 3], fit.p[:, 4], fit.p[:, 5])
    ok, reasons = _flags(
        fit,
        A,
        A_err,
        {
            "sigma": at_bounds(fit.p, lo, hi, 3) | at_bounds(fit.p, lo, hi, 4),
            "center": at_bounds(fit.p, lo, hi, 1) | at_bounds(fit.p, lo, hi, 2),
        },
        snr_min,
    )
    # Geometric-mean width sqrt(sx sy) and its error from the sx-sy covariance.
    c = fit.cov
    sg = np.sqrt(sx * sy)
    sg_var = 0.25 * sg**2 * (c[:, 3, 3] / sx**2 + c[:, 4, 4] / sy**2 + 2 * c[:, 3, 4] / (sx * sy))
    dy = float(np.median(np.abs(np.diff(y)))) if y.size > 1 else pitch
    extra = {
        "sigma_x": sx * pitch,
        "sigma_x_err": err[:, 3] * pitch,
        "sigma_y": sy * pitch,
        "sigma_y_err": err[:, 4] * pitch,
        "angle_rad": th,
        "angle_rad_err": err[:, 5],
        "integrated": 2 * np.pi * A * sx * sy * pitch**2,
        "integrated_data": (totals - fit.p[:, 6] * scale * counts) * pitch * dy,
        "noise_var": fit.noise_var,
        "n_iter": fit.n_iter.astype(float),
    }
    center = np.stack([yc + fit.p[:, 1] * pitch, xc + fit.p[:, 2] * pitch], axis=1)
    center_err = np.stack([err[:, 1], err[:, 2]], axis=1) * pitch
    return ProfileFits(
        profile="gaussian2d_aniso",
        sigma=sg * pitch,
        sigma_err=np.sqrt(np.clip(sg_var, 0, None)) * pitch,
        amplitude=A,
        amplitude_err=A_err,
        center=center,
        center_err=center_err,
        background=fit.p[:, 6] * scale,
        background_err=err[:, 6] * scale,
        reduced_chi2=reduced_chi2(fit),
        ok=ok,
        reason=reasons,
        extra=extra,
        **common,
    )


# ---------------------------------------------------------------------------- moments


def _moments_fits(
    data: np.ndarray,
    coords: tuple[np.ndarray, ...],
    nz: NoiseModel,
    gauss: ProfileFits,
    common: dict,
    window_sigmas: float = WINDOW_SIGMAS,
) -> ProfileFits:
    """``moments`` profile: windowed second moment (see :mod:`.moments`), started from the
    Gaussian fit of the same frame (centre, width, background); flagged where that fit is.

    Per-pixel variance: Poisson -> expected counts from the Gaussian model plus baseline
    (floored at 1); otherwise the noise variance of the Gaussian fit (pre-pulse or
    residual scatter; for a non-Gaussian profile the residual scatter overestimates it,
    which errs on the safe side).
    """
    if nz.kind == "poisson":
        var = poisson_variance(gauss, coords, nz.offset, nz.offset_var)
    else:
        var = np.where(np.isfinite(gauss.extra["noise_var"]), gauss.extra["noise_var"], np.nan)
    m = windowed_moments(
        data,
        coords,
        gauss.center,
        gauss.sigma,
        gauss.background,
        var,
        window_sigmas=window_sigmas,
    )
    pixel = np.prod([float(np.median(np.abs(np.diff(c)))) if c.size > 1 else 1.0 for c in coords])
    reasons = []
    for i in range(m.sigma.size):
        r = gauss.reason[i]
        if not r and not m.ok[i]:
            r = "moments undefined (non-positive second moment)"
        if not r and m.clipped[i]:
            r = f"moment window ({window_sigmas:g} sigma) exceeds the field of view"
        if not r and not abs(m.total[i]) >= common["snr_min"] * m.total_err[i]:
            r = f"no signal (|sum| < {common['snr_min']:g} err)"
        reasons.append(r)
    ok = np.array([r == "" for r in reasons])
    extra = {
        "integrated": m.total * pixel,
        "integrated_err": m.total_err * pixel,
        "kurtosis_excess": m.kurtosis_excess,
        "kurtosis_excess_err": m.kurtosis_excess_err,
        "gaussian_sigma": gauss.sigma,
        "gaussian_sigma_err": gauss.sigma_err,
        "noise_var": gauss.extra["noise_var"],
    }
    nan = np.full_like(m.sigma, np.nan)
    return ProfileFits(
        profile="moments",
        sigma=m.sigma,
        sigma_err=m.sigma_err,
        amplitude=gauss.amplitude,
        amplitude_err=gauss.amplitude_err,
        center=m.center,
        center_err=np.full_like(m.center, np.nan),
        background=m.background,
        background_err=m.background_err,
        reduced_chi2=nan,
        ok=ok,
        reason=tuple(reasons),
        extra=extra,
        **common,
    )


def poisson_variance(
    fits: ProfileFits, coords: tuple[np.ndarray, ...], offset: Any, offset_var: Any
):
    """``var(i)``: expected counts of frame ``i`` (fitted model + subtracted baseline,
    floored at 1) plus the baseline's own variance, one frame at a time (saves memory)."""

    def var(i: int) -> np.ndarray:
        model = evaluate_model(fits, coords, i)[0]
        return np.maximum(model + offset, 1.0) + offset_var

    if fits.profile == "gaussian2d" and len(coords) == 2:
        # Images: the parameters of frame i, so compiled passes evaluate only the pixels
        # they visit (see nctransport.microscopy.moments._frame_var).
        shape = (len(coords[0]), len(coords[1]))
        off2 = np.ascontiguousarray(np.broadcast_to(offset, shape), dtype=float)
        ov2 = np.ascontiguousarray(np.broadcast_to(offset_var, shape), dtype=float)

        def gaussian_frame(i: int) -> tuple:
            cy, cx = (float(v) for v in fits.center[i])
            A, B, s = float(fits.amplitude[i]), float(fits.background[i]), float(fits.sigma[i])
            return (A, B, s, cy, cx, off2, ov2)

        var.gaussian_frame = gaussian_frame  # type: ignore[attr-defined]
    return var


def evaluate_model(
    fits: ProfileFits, coords: tuple[np.ndarray, ...], frames: Any = None
) -> np.ndarray:
    """The fitted profile of every frame on a pixel grid (for residuals and figures).

    ``coords`` is ``(x,)`` or ``(y, x)`` in metres; ``frames`` (index, slice or None = all)
    picks frames. Returns ``(n, m)`` or ``(n, ny, nx)`` in signal units (background
    included). ``moments`` fits are drawn as their Gaussian start.

    >>> from nctransport.dataset import make_dataset
    >>> x = np.linspace(-1e-6, 1e-6, 41)
    >>> ds = make_dataset(2 * np.exp(-x**2 / 2 / 2e-7**2)[None], {"t": [0.0], "x": x})
    >>> fits = fit_profiles(ds, noise="residual")
    >>> float(np.round(evaluate_model(fits, (x,))[0, 20], 6))
    2.0
    """
    sel = slice(None) if frames is None else frames
    sel = [sel] if isinstance(sel, int | np.integer) else sel
    A = fits.amplitude[sel]
    B = fits.background[sel]
    sigma = (fits.extra["gaussian_sigma"] if fits.profile == "moments" else fits.sigma)[sel]
    center = fits.center[sel]
    ex = {k: v[sel] for k, v in fits.extra.items()}
    if len(coords) == 1:
        x = np.asarray(coords[0], dtype=float)
        u = x[None, :] - center[:, None]
        if fits.profile == "voigt":
            g = ex["lorentz_hwhm"][:, None]
            s = sigma[:, None]
            return A[:, None] * voigt_profile(u, s, g) / voigt_profile(0.0, s, g) + B[:, None]
        return A[:, None] * np.exp(-0.5 * (u / sigma[:, None]) ** 2) + B[:, None]
    y, x = (np.asarray(c, dtype=float) for c in coords)
    dy = y[None, :, None] - center[:, 0, None, None]
    dx = x[None, None, :] - center[:, 1, None, None]
    if fits.profile == "gaussian2d_aniso":
        th = ex["angle_rad"][:, None, None]
        u = np.cos(th) * dx + np.sin(th) * dy
        v = -np.sin(th) * dx + np.cos(th) * dy
        sx = ex["sigma_x"][:, None, None]
        sy = ex["sigma_y"][:, None, None]
        e = np.exp(-0.5 * (u**2 / sx**2 + v**2 / sy**2))
    else:  # isotropic: separable, two short exponentials instead of one per pixel
        inv = -0.5 / sigma[:, None, None] ** 2
        e = np.exp(dy**2 * inv) * np.exp(dx**2 * inv)
    return A[:, None, None] * e + B[:, None, None]
