"""Fit a continuum model to a whole map: every pixel of every frame from t0 on, at once."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import optimize, special

from nctransport.continuum.models import (
    MODELS,
    ContinuumModel,
    in_range,
    parameter_range_text,
    wavenumbers_sq,
)
from nctransport.dataset import SIGNAL, kind_of
from nctransport.errors import ConfigError, FitError
from nctransport.results import Estimate


@dataclass(frozen=True)
class ParameterEstimate:
    """A model parameter in SI units; ``ci95`` is None for fixed parameters and where no CI
    can be supported (``ci_method`` ``"none"``)."""

    value: float
    stderr: float | None
    ci95: tuple[float, float] | None
    unit: str
    fixed: bool
    ci_method: str = "normal"

    @property
    def estimate(self) -> Estimate:
        """As the project's :class:`~nctransport.results.Estimate` (unit ``""`` for ``"1"``)."""
        unit = "" if self.unit == "1" else self.unit
        method = "none" if self.ci95 is None else self.ci_method
        return Estimate(self.value, self.stderr, self.ci95, unit, method)

    def to_dict(self) -> dict:
        return {**self.estimate.to_dict(), "fixed": self.fixed}


@dataclass(frozen=True)
class ContinuumFit:
    """Result of :func:`fit_continuum` (SI units; ``diffusivity`` in cm^2/s, per axis)."""

    model: str
    params: dict[str, ParameterEstimate]
    background: float
    reduced_chi2: float
    noise: str
    n_data: int
    t0_frame_s: float
    edge_fraction: float
    converged: bool
    message: str
    correlations: dict[str, float] = field(default_factory=dict)
    model_map: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def diffusivity(self) -> Estimate | None:
        """The model's D (or D at 1 ns), per axis, in cm^2/s with its 95% CI."""
        key = "D" if "D" in self.params else "D_1ns" if "D_1ns" in self.params else None
        if key is None:
            return None
        return self.params[key].estimate.scaled(1e4, "cm^2/s")

    @property
    def diffusivity_cm2_s(self) -> dict | None:
        """:attr:`diffusivity` as results.json holds it (with the parameter's name)."""
        d = self.diffusivity
        if d is None:
            return None
        return {"name": "D" if "D" in self.params else "D_1ns", **d.to_dict()}

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "params": {k: p.to_dict() for k, p in self.params.items()},
            "diffusivity": self.diffusivity_cm2_s,
            "background": self.background,
            "reduced_chi2": self.reduced_chi2,
            "noise": self.noise,
            "n_data": self.n_data,
            "t0_frame_s": self.t0_frame_s,
            "edge_fraction": self.edge_fraction,
            "converged": self.converged,
            "message": self.message,
            "correlations": self.correlations,
        }


def _uniform_spacing(x: np.ndarray, name: str) -> float:
    if x.size < 3:
        raise FitError(f"axis {name!r} has {x.size} pixel(s); a continuum fit needs at least 3")
    d = np.diff(x)
    if d.size == 0 or not np.allclose(d, d[0], rtol=1e-6, atol=0):
        raise FitError(f"axis {name!r} must be uniformly spaced for a continuum fit")
    return float(d[0])


def fit_continuum(
    ds: xr.Dataset,
    model: str | ContinuumModel = "diffusion",
    *,
    fix: dict[str, float] | None = None,
    init: dict[str, float] | None = None,
    window: tuple[float, float] | None = None,
) -> ContinuumFit:
    """Fit ``model`` to every pixel of the t0 frame and of every later frame in ``window``.

    The initial emission profile is not assumed: for given rates every spatial Fourier
    mode of frame t is ``p_t(k) n(k)`` (:mod:`nctransport.continuum.models`), and the
    profile ``n`` that best explains the t0 frame *and* all later frames is solved in
    closed form inside each residual evaluation (variable projection; Golub & Pereyra,
    SIAM J. Numer. Anal. 10, 413 (1973)). The measured t0 profile therefore enters as
    measured, noise included, without its noise biasing D, and the Jacobian of the
    projected residuals gives the covariance of the rates. The window is treated as
    periodic: keep the spot away from the edges (``edge_fraction`` reports how much
    signal the t0 frame has at its edges relative to its peak).

    Noise model: Poisson deviance for count data (maximum likelihood; the projected
    profile uses one weight per frame, which biases shape parameters such as alpha by
    about a third of a standard error at high counts); otherwise the
    variance of the pre-pulse frames when there are at least two; otherwise one variance
    estimated from the residuals (the covariance is then scaled by reduced chi^2).

    Parameters
    ----------
    ds
        A ``map`` (t, x) or ``stack`` (t, y, x) with a uniform spatial grid; t = 0 is
        the pulse peak (frames before it are background).
    model
        Name in :data:`MODELS` (``diffusion``, ``power-law``, ``bright-dark-trap``) or a
        :class:`ContinuumModel`.
    fix, init
        Parameter values (SI) to hold fixed, or to start from.
    window
        (t_start, t_end) in s of the frames fitted after the t0 frame.

    Returns
    -------
    ContinuumFit
        Fitted parameters with standard errors and 95% CIs (log-normal, so positive).
    """
    # Inputs are validated up front; what the optimiser meets at the edge of its search
    # (overflow in exp, a singular Jacobian) is handled from its results, so NumPy's
    # floating-point warnings would only be noise on the terminal.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _fit_continuum(ds, model, fix=fix, init=init, window=window)


def _fit_continuum(
    ds: xr.Dataset,
    model: str | ContinuumModel,
    *,
    fix: dict[str, float] | None,
    init: dict[str, float] | None,
    window: tuple[float, float] | None,
) -> ContinuumFit:
    m = MODELS.get(model) if isinstance(model, str) else model
    if m is None:
        raise ConfigError(f"unknown model {model!r}; choose from {sorted(MODELS)}")
    fix = dict(fix or {})
    init = dict(init or {})
    for k in (*fix, *init):
        if k not in m.units:
            raise ConfigError(f"model {m.name!r} has no parameter {k!r} ({sorted(m.units)})")
    for what, given in (("fix", fix), ("init", init)):
        for k, v in given.items():
            fitted = what == "init" and k in m.fitted and k not in fix
            if not in_range(k, float(v), fitted=fitted):
                rule = (
                    f"{k} > 0: it is fitted in log coordinates"
                    if fitted and in_range(k, float(v))
                    else parameter_range_text(k)
                )
                unit = "" if m.units[k] == "1" else f" {m.units[k]}"
                raise ConfigError(
                    f"--{what} {k}={float(v):g}{unit} is outside the physical range ({rule})"
                )
    if "f_dark0" in m.units:
        p0 = {**m.defaults, **init, **fix}
        # Bornschlegl 2024 emission at t0, k_B (1 - f_dark0) + k_D f_dark0: the response is
        # normalised by it, so it must not vanish.
        if not p0["k_B"] * (1 - p0["f_dark0"]) + p0["k_D"] * p0["f_dark0"] > 0:
            raise ConfigError(
                "--fix: k_B (1 - f_dark0) + k_D f_dark0 must be > 0 (no emission at t0)"
            )
    kind = kind_of(ds)
    if kind not in ("map", "stack"):
        raise FitError(f"a continuum fit needs a map or stack, got a {kind}")
    t = np.asarray(ds.t.values, float)
    sig = np.asarray(ds[SIGNAL].values, float)
    spatial = ["x"] if kind == "map" else ["y", "x"]
    spacing = tuple(_uniform_spacing(np.asarray(ds[d].values, float), d) for d in spatial)
    good = np.isfinite(sig)
    if not good.any():
        raise FitError("the signal has no finite values")
    if np.nanmin(sig) == np.nanmax(sig):
        raise FitError(f"the signal is constant ({np.nanmax(sig):g} everywhere): nothing to fit")
    i0 = int(np.argmin(np.abs(t)))
    pre = sig[:i0]
    # TAM bleach maps are negative: fit the magnitude, report in the data's sign.
    sign = -1.0 if np.nansum(sig[i0:]) < 0 else 1.0
    sig, pre = sign * sig, sign * pre
    lo, hi = window if window is not None else (t[i0], np.inf)
    sel = (t > t[i0]) & (t >= lo) & (t <= hi)
    if sel.sum() < 2:
        raise FitError("--window: fewer than two frames after t0 in the fit window")
    b0 = float(np.nanmedian(pre)) if pre.size else float(np.nanpercentile(sig[sel], 5))
    counts = str(ds[SIGNAL].attrs.get("units", "")).lower() in ("counts", "count", "cts")
    frames = np.concatenate([sig[i0][None], sig[sel]])
    times = np.concatenate([[0.0], t[sel] - t[i0]])
    finite = np.isfinite(frames)
    if not np.isfinite(b0):
        raise FitError("the frames before t0 (background) hold no finite values")
    frames0 = np.where(finite, frames, b0)
    if not np.nanmax(np.abs(frames0 - b0)) > 0:
        raise FitError("no signal above the background from t0 on: nothing to fit")
    if counts:
        var_all, noise = np.maximum(frames0, 1.0), "poisson"
    elif pre.shape[0] >= 2:
        # Per-pixel means removed (they hold the background pattern): n/(n-1) restores
        # an unbiased variance.
        n_pre = pre.shape[0]
        v = float(np.nanmean((pre - np.nanmean(pre, axis=0)) ** 2)) * n_pre / (n_pre - 1)
        var_all, noise = np.full(frames.shape, v), "pre-pulse variance"
    else:
        var_all, noise = None, "estimated from residuals"

    free = [k for k in m.fitted if k not in fix]
    values = {**m.defaults, **init, **fix}
    if "D" in free and "D" not in init:
        values["D"] = _initial_d(frames0, times, np.asarray(ds[spatial[-1]].values, float))
    if "tau" in free and "tau" not in init:
        values["tau"] = _initial_tau(frames0, times, b0)
    for k in free:
        if not values[k] > 0:
            values[k] = max(abs(m.defaults.get(k, 0.0)), 1.0) * 1e-3

    axes = tuple(range(1, frames.ndim))
    # One weight per frame for the per-mode profile estimate; per-pixel in the residuals.
    # The profile estimate is dominated by pixels where the spot is, so the frame's
    # weight uses the variance there (signal-weighted), not the background-heavy mean.
    if var_all is not None:
        spot = np.clip(frames0 - b0, 0, None) + 1e-12
        frame_w = np.sum(spot, axis=axes) / np.sum(var_all * spot, axis=axes)
    else:
        frame_w = np.ones(len(times))
    wr = frame_w.reshape((-1,) + (1,) * len(spatial))
    resid_w = 1.0 / np.sqrt(var_all) if var_all is not None else 1.0
    k2 = wavenumbers_sq(frames.shape[1:], spacing)

    def unpack(z):
        p = dict(values)
        p.update({k: float(np.exp(z[i])) for i, k in enumerate(free)})
        return p, float(z[len(free)])

    def predict(z):
        p, bg = unpack(z)
        resp = m.response(k2, times, p)
        fhat = np.fft.fftn(frames0 - bg, axes=axes)
        nhat = np.sum(wr * resp * fhat, axis=0) / np.maximum(np.sum(wr * resp**2, axis=0), 1e-300)
        return np.fft.ifftn(resp * nhat[None], axes=axes).real + bg

    def residuals(z):
        mm = predict(z)
        if counts:
            # Poisson deviance residuals (maximum likelihood for counts).
            mu = np.maximum(mm, 1e-9)
            dev = 2.0 * (mu - frames0 + frames0 * np.log(np.maximum(frames0, 1e-300) / mu))
            r = np.sign(mu - frames0) * np.sqrt(np.maximum(dev, 0.0))
        else:
            r = (mm - frames0) * resid_w
        return np.where(finite, r, 0.0).ravel()

    z0 = np.array([np.log(values[k]) for k in free] + [b0])
    with np.errstate(all="ignore"):
        start_ok = bool(np.all(np.isfinite(residuals(z0))))
    if not start_ok and (fix or init):
        # e.g. --fix D=1e308cm2/s: in range, but the model overflows on this map's grid
        given = ", ".join(f"--{w} {k}" for w, g in (("fix", fix), ("init", init)) for k in g)
        raise ConfigError(f"{given}: the model is not finite at these values on this map")
    try:
        sol = optimize.least_squares(residuals, z0, method="trf", x_scale="jac", max_nfev=300)
    except ValueError as exc:
        raise FitError(f"continuum fit failed: {exc}") from None
    n_data = int(finite.sum())
    n_profile = int(np.prod(frames.shape[1:]))  # the projected-out profile values
    dof = max(n_data - sol.x.size - n_profile, 1)
    chi2r = float(2 * sol.cost / dof)
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac)
    except np.linalg.LinAlgError:
        cov = np.full((sol.x.size, sol.x.size), np.nan)
    if var_all is None:
        cov = cov * chi2r
    p_best, bg = unpack(sol.x)
    if not (np.all(np.isfinite(sol.x)) and all(np.isfinite(p_best[k]) for k in free)):
        raise FitError(f"the {m.name} fit diverged (non-finite parameters)")
    q = float(special.ndtri(0.975))
    params: dict[str, ParameterEstimate] = {}
    for k in m.units:
        if k in free:
            i = free.index(k)
            s_log = float(np.sqrt(cov[i, i])) if np.isfinite(cov[i, i]) else None
            v = p_best[k]
            params[k] = ParameterEstimate(
                value=v,
                stderr=None if s_log is None else v * s_log,
                # Interval in the fit's own (log) coordinates keeps it positive.
                ci95=None if s_log is None else (v * np.exp(-q * s_log), v * np.exp(q * s_log)),
                unit=m.units[k],
                fixed=False,
            )
        else:
            params[k] = ParameterEstimate(p_best[k], None, None, m.units[k], True)
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    corr = {
        f"{a}~{free[j]}": float(cov[i, j] / (sd[i] * sd[j]))
        for i, a in enumerate(free)
        for j in range(i + 1, len(free))
    }
    amp0 = np.abs(frames0[0] - bg)
    peak = float(amp0.max())
    edges = np.concatenate([amp0[..., :2].ravel(), amp0[..., -2:].ravel()])
    full_map = np.full(sig.shape, np.nan)
    full_map[i0] = 0.0
    rows = np.concatenate([[i0], np.nonzero(sel)[0]])
    full_map[rows] = predict(sol.x)
    return ContinuumFit(
        model=m.name,
        params=params,
        background=sign * bg,
        reduced_chi2=chi2r,
        noise=noise,
        n_data=n_data,
        t0_frame_s=float(t[i0]),
        edge_fraction=float(edges.mean() / peak) if peak > 0 else 0.0,
        converged=bool(sol.success) and bool(np.all(np.isfinite(cov))),
        message=str(sol.message),
        correlations=corr,
        model_map=sign * full_map,
    )


def _initial_d(frames: np.ndarray, times: np.ndarray, x: np.ndarray) -> float:
    """Start value for D from second moments of the t0 frame and a later one."""
    prof = frames.sum(axis=1) if frames.ndim == 3 else frames
    prof = np.clip(prof - np.percentile(prof, 10, axis=1, keepdims=True), 0, None)

    def var(p):
        s = p.sum()
        if s <= 0:
            return np.nan
        mu = (p * x).sum() / s
        return (p * (x - mu) ** 2).sum() / s

    j = min(len(times) - 1, max(1, len(times) // 3))
    dv = var(prof[j]) - var(prof[0])
    d = dv / (2 * times[j]) if times[j] > 0 and np.isfinite(dv) and dv > 0 else 0.0
    floor = np.diff(x)[0] ** 2 / (2 * max(times[-1], 1e-15)) * 1e-2
    return float(max(d, floor))


def _initial_tau(frames: np.ndarray, times: np.ndarray, b0: float) -> float:
    total = np.sum(frames - b0, axis=tuple(range(1, frames.ndim)))
    if total[0] <= 0:
        return float(max(times[-1], 1e-12))
    below = np.nonzero(total < total[0] / np.e)[0]
    return float(times[below[0]]) if below.size else float(3 * times[-1])
