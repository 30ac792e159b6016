"""Global fit: many decays (files, or every pixel of a map) with shared lifetimes.

The lifetimes and IRF are shared; every decay has its own amplitudes and background. As
in global target analysis of TA data (van Stokkum et al., BBA 1657, 82 (2004); pyglotaran),
the amplitudes are linear and are projected out: for each trial set of lifetimes the basis
is computed once and each decay's amplitudes are solved by non-negative least squares
(variable projection), so the nonlinear problem has only the few shared parameters.

Uncertainty of the shared parameters: the Fisher information of all parameters has a
block-arrow structure (shared block A, per-decay blocks D_i, couplings B_i); the shared
covariance is ``(A - sum_i B_i D_i^-1 B_i^T)^-1`` (Schur complement), computed decay by
decay without forming the full matrix. Per-decay amplitude covariance adds the
propagated shared uncertainty: ``D_i^-1 + D_i^-1 B_i^T C B_i D_i^-1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from nctransport.errors import FitError
from nctransport.kinetics.fit import (
    NS,
    Z95,
    _design,
    _prepare,
    _variances,
    basis_jacobian,
    build_spec,
    default_window,
    log_likelihood,
    run_varpro,
    sort_lifetimes,
)


@dataclass(frozen=True)
class GlobalFit:
    """Shared lifetimes with errors, per-decay amplitudes with errors."""

    model: str
    method: str
    irf: str
    parameter_names: tuple[str, ...]
    theta: np.ndarray  # natural units; times in s
    theta_err: np.ndarray
    column_names: tuple[str, ...]
    amplitudes: np.ndarray = field(repr=False)  # (n_decays, n_columns [+ background])
    amplitude_errors: np.ndarray = field(repr=False)
    log_likelihood: float = float("nan")
    aic: float = float("nan")
    bic: float = float("nan")
    reduced_chi2: float | None = None
    n_points: int = 0
    n_params: int = 0
    converged: bool = False
    message: str = ""
    t_s: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    data: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    fitted: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def taus_s(self) -> np.ndarray:
        return np.array(
            [
                v
                for n, v in zip(self.parameter_names, self.theta, strict=True)
                if n.startswith("tau")
            ]
        )

    @property
    def tau_errs_s(self) -> np.ndarray:
        return np.array(
            [
                e
                for n, e in zip(self.parameter_names, self.theta_err, strict=True)
                if n.startswith("tau")
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        n_exp = len(self.taus_s)
        amps = self.amplitudes[:, :n_exp] if n_exp else np.zeros((len(self.amplitudes), 0))
        tot = amps.sum(axis=0)
        comps = []
        photons = tot * self.taus_s if n_exp else np.zeros(0)
        for i in np.argsort(self.taus_s):
            comps.append(
                {
                    "tau_ns": self.taus_s[i] / NS,
                    "tau_err_ns": self.tau_errs_s[i] / NS,
                    "tau_ci95_ns": [
                        (self.taus_s[i] - Z95 * self.tau_errs_s[i]) / NS,
                        (self.taus_s[i] + Z95 * self.tau_errs_s[i]) / NS,
                    ],
                    "amplitude": float(tot[i]),
                    "amplitude_fraction": float(tot[i] / tot.sum()) if tot.sum() else None,
                    "photon_fraction": float(photons[i] / photons.sum()) if photons.sum() else None,
                }
            )
        params = {}
        for n, v, e in zip(self.parameter_names, self.theta, self.theta_err, strict=True):
            key = n + ("_ns" if n.startswith(("tau", "irf")) else "")
            scale = 1 / NS if key.endswith("_ns") else 1.0
            params[key] = {"value": v * scale, "stderr": e * scale}
        return {
            "model": self.model,
            "method": self.method,
            "irf": self.irf,
            "n_decays": int(self.amplitudes.shape[0]),
            "components": comps,
            "shared_parameters": params,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "reduced_chi2": self.reduced_chi2,
            "n_points": self.n_points,
            "n_params": self.n_params,
            "converged": self.converged,
            "message": self.message,
        }

    def amplitude_dataset(self, coords: dict[str, Any] | None = None) -> xr.Dataset:
        """Amplitude maps as an xarray Dataset (``amplitude`` and ``amplitude_err``).

        ``coords`` maps the decay dimension(s) to coordinates, e.g. ``{"x": x_m}`` or
        ``{"y": y_m, "x": x_m}`` (SI, with units attrs added); default a ``decay`` index.
        """
        n_exp = len(self.taus_s)
        names = list(self.column_names) + (
            ["background"] if self.amplitudes.shape[1] > len(self.column_names) else []
        )
        order = list(np.argsort(self.taus_s)) + list(range(n_exp, len(names)))
        comp_names = [names[i] for i in order]
        a = self.amplitudes[:, order]
        e = self.amplitude_errors[:, order]
        if coords is None:
            coords = {"decay": np.arange(a.shape[0])}
        dims = list(coords)
        shape = [len(np.asarray(v)) for v in coords.values()]
        a = a.T.reshape([len(order), *shape])
        e = e.T.reshape([len(order), *shape])
        taus_ns = [self.taus_s[i] / NS if i < n_exp else np.nan for i in order]
        c = {
            "component": ("component", comp_names),
            "tau": ("component", np.array(taus_ns) * NS, {"units": "s"}),
        }
        for d, v in coords.items():
            c[d] = (d, np.asarray(v, dtype=float), {"units": "m" if d in ("x", "y") else ""})
        ds = xr.Dataset(
            {
                "amplitude": (["component", *dims], a, {"units": "counts/bin"}),
                "amplitude_err": (["component", *dims], e, {"units": "counts/bin"}),
            },
            coords=c,
        )
        ds.attrs.update({"model": self.model, "method": self.method, "irf": self.irf})
        return ds


def global_fit(
    t_s: np.ndarray,
    decays: np.ndarray,
    *,
    model: str = "exp2",
    irf: str | np.ndarray = "gaussian",
    window_s: tuple[float, float] | None = None,
    period_s: float | None = None,
    method: str = "mle",
    background: bool = True,
) -> GlobalFit:
    """Fit ``decays`` (shape ``(n_decays, n_t)``) with shared lifetimes and IRF.

    Parameters are as in :func:`~nctransport.kinetics.fit.fit_decay`; the starting
    values come from the summed decay.

    Examples
    --------
    >>> t = np.arange(200) * 0.1e-9
    >>> a = np.array([[1000.0], [300.0], [50.0]])
    >>> g = global_fit(t, a * np.exp(-t / 2e-9) + 1, model="exp1", irf="none", method="neyman")
    >>> round(float(g.taus_s[0] * 1e9), 3)
    2.0
    """
    ys_all = np.atleast_2d(np.asarray(decays, dtype=float))
    if ys_all.shape[0] < 1:
        raise FitError("no decays to fit")
    if window_s is None:
        window_s = default_window(np.asarray(t_s, dtype=float), ys_all, model, irf)
    t, _, win = _prepare(t_s, ys_all, window_s, method)
    ys = ys_all[:, win]
    if method != "lsq" and np.any(ys.sum(axis=1) <= 0):
        bad = int(np.sum(ys.sum(axis=1) <= 0))
        raise FitError(f"{bad} decay(s) have no counts in the window")
    period = None if period_s is None else float(period_s) / NS
    spec = build_spec(model, t, win, ys.sum(axis=0), irf=irf, period=period)
    # starting point: fit of the summed decay (cheap, one NNLS per evaluation)
    x_sum = spec.to_opt(run_varpro(spec, ys.sum(axis=0), method, background=background)[0])
    theta, amps, ok, msg = run_varpro(spec, ys, method, background=background, x0=x_sum)
    theta, amps = sort_lifetimes(spec, theta, amps)

    phi = _design(spec, theta, background)
    mus = amps @ phi.T
    p = theta.size
    k = phi.shape[1]
    # Schur complement of the block-arrow Fisher matrix
    dphi = basis_jacobian(spec, theta, background)  # (p, n, k), shared by all decays
    a_blk = np.zeros((p, p))
    b_blks, d_invs = [], []
    s2 = 1.0
    if method == "lsq":
        rss = float(np.sum((ys - mus) ** 2))
        s2 = rss / max(ys.size - p - k * len(ys), 1)
    for i in range(len(ys)):
        w = 1.0 / (_variances(method, ys[i], mus[i]) * s2)
        jt = (dphi @ amps[i]).T  # d mu_i / d theta, (n, p)
        jw = jt * w[:, None]
        a_blk += jt.T @ jw
        b = jw.T @ phi  # (p, k)
        d = phi.T @ (phi * w[:, None])
        try:
            d_inv = np.linalg.pinv(d)
        except np.linalg.LinAlgError:
            d_inv = np.full((k, k), np.nan)
        b_blks.append(b)
        d_invs.append(d_inv)
        a_blk -= b @ d_inv @ b.T
    try:
        cov = np.linalg.inv(a_blk) if p else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    theta_err = np.sqrt(np.abs(np.diag(cov)))
    if not np.all(np.isfinite(theta_err)):
        ok, msg = False, "shared-parameter covariance is singular"
    amp_err = np.empty_like(amps)
    for i in range(len(ys)):
        ci = d_invs[i] + d_invs[i] @ b_blks[i].T @ cov @ b_blks[i] @ d_invs[i]
        amp_err[i] = np.sqrt(np.abs(np.diag(ci)))

    n_pts = ys.size
    n_par = p + amps.size
    ll = sum(log_likelihood(ys[i], mus[i], method, n_par) for i in range(len(ys)))
    if method == "lsq":
        ll = log_likelihood(ys.ravel(), mus.ravel(), method, n_par)
    red = None
    if method != "lsq":
        red = float(np.sum((ys - mus) ** 2 / np.maximum(mus, 1e-12)) / max(n_pts - n_par, 1))
    scale = np.array([NS if nm.startswith(("tau", "irf")) else 1.0 for nm in spec.names])
    return GlobalFit(
        model=model,
        method=method,
        irf=spec.irf,
        parameter_names=tuple(spec.names),
        theta=theta * scale,
        theta_err=theta_err * scale,
        column_names=tuple(spec.column_names),
        amplitudes=amps,
        amplitude_errors=amp_err,
        log_likelihood=ll,
        aic=2 * n_par - 2 * ll,
        bic=n_par * math.log(n_pts) - 2 * ll,
        reduced_chi2=red,
        n_points=n_pts,
        n_params=n_par,
        converged=bool(ok),
        message=msg,
        t_s=t[win] * NS,
        data=ys,
        fitted=mus,
    )
