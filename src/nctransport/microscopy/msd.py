"""Mean square displacement from per-frame profile widths.

Per-axis convention (docs/science.md): sigma is the standard deviation of the profile along one
axis and MSD(t) = sigma^2(t) - sigma^2(t_ref), where t_ref is the first usable frame at or
after time zero (Li 2023, Liu 2021,
Shcherbakov-Wu 2024 and Bornschlegl 2024 use sigma^2(t) - sigma^2(0)). For normal diffusion
MSD = 2 D (t - t_ref) in 1D and in isotropic 2D.

Only frames whose fit succeeded (``ok``) and whose width is finite are used; the others
are reported as excluded, never silently kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nctransport.errors import FitError

__all__ = ["MsdResult", "compute_msd", "select_frames"]


@dataclass(frozen=True, eq=False)
class MsdResult:
    """MSD per usable frame (SI units).

    Attributes
    ----------
    t
        Frame times from time zero [s] (ascending, ``t >= t_ref``).
    msd
        sigma^2(t) - sigma_ref^2 [m^2].
    err
        One-sigma error of each point from that frame's width error,
        ``2 sigma(t) sigma_err(t)`` [m^2]; NaN where the frame gave none. The reference
        frame's own error shifts every point equally and is kept apart in ``sigma_ref_err``.
    sigma
        The per-axis widths the MSD was computed from [m].
    sigma_err
        Their one-sigma errors [m] (NaN when unknown).
    t_ref, sigma_ref, sigma_ref_err
        Reference frame time [s], width [m] and its error [m].
    frames
        Indices of the used frames in the input arrays.
    """

    t: np.ndarray
    msd: np.ndarray
    err: np.ndarray
    sigma: np.ndarray
    sigma_err: np.ndarray
    t_ref: float
    sigma_ref: float
    sigma_ref_err: float
    frames: np.ndarray = field(repr=False)

    @property
    def elapsed(self) -> np.ndarray:
        """Time since the reference frame, ``t - t_ref`` [s]."""
        return self.t - self.t_ref

    @property
    def has_errors(self) -> bool:
        """True when every point has a finite, positive error."""
        return bool(np.all(np.isfinite(self.err)) and np.all(self.err[1:] > 0))

    def to_dict(self) -> dict[str, Any]:
        """Field units: ``t_ns``, ``msd_nm2``, ``err_nm2`` (the results.json ``msd`` block)."""
        return {
            "t_ns": self.t * 1e9,
            "msd_nm2": self.msd * 1e18,
            "err_nm2": self.err * 1e18,
            "t_ref_ns": self.t_ref * 1e9,
            "sigma_ref_nm": self.sigma_ref * 1e9,
            "sigma_ref_err_nm": self.sigma_ref_err * 1e9,
        }


def select_frames(
    t: np.ndarray,
    sigma: np.ndarray,
    ok: np.ndarray | None = None,
    *,
    t_min: float = 0.0,
    t_max: float | None = None,
) -> np.ndarray:
    """Indices of usable frames: ``ok``, finite positive width, ``t_min <= t <= t_max``."""
    t = np.asarray(t, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    use = np.isfinite(t) & np.isfinite(sigma) & (sigma > 0) & (t >= t_min)
    if t_max is not None:
        use &= t <= t_max
    if ok is not None:
        use &= np.asarray(ok, dtype=bool)
    idx = np.flatnonzero(use)
    return idx[np.argsort(t[idx], kind="stable")]


def compute_msd(
    t: Any,
    sigma: Any,
    sigma_err: Any | None = None,
    ok: Any | None = None,
    *,
    t_min: float = 0.0,
    t_max: float | None = None,
) -> MsdResult:
    """MSD(t) = sigma^2(t) - sigma^2(t_ref) from per-frame widths.

    Parameters
    ----------
    t
        Frame times [s] from time zero (pulse peak).
    sigma, sigma_err
        Per-axis widths and their one-sigma errors [m].
    ok
        Per-frame fit success flags; failed frames are excluded.
    t_min, t_max
        Time range [s]; the first usable frame at or after ``t_min`` is the reference.

    Raises
    ------
    FitError
        When fewer than two usable frames remain.

    Examples
    --------
    >>> r = compute_msd([0.0, 1e-9, 2e-9], [1e-7, 1.1e-7, 1.2e-7])
    >>> [round(v * 1e18) for v in r.msd]
    [0, 2100, 4400]
    """
    t = np.asarray(t, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if t.shape != sigma.shape or t.ndim != 1:
        raise FitError("t and sigma must be 1D arrays of the same length")
    err_s = np.full_like(sigma, np.nan) if sigma_err is None else np.asarray(sigma_err, dtype=float)
    idx = select_frames(t, sigma, ok, t_min=t_min, t_max=t_max)
    if idx.size < 2:
        raise FitError(f"only {idx.size} usable frame(s) at t >= {t_min:g} s; need at least 2")
    ts, ss, es = t[idx], sigma[idx], err_s[idx]
    msd = ss**2 - ss[0] ** 2
    # Linear propagation d(sigma^2) = 2 sigma d(sigma); fine while sigma_err << sigma.
    err = 2.0 * ss * np.where(np.isfinite(es) & (es >= 0), es, np.nan)
    return MsdResult(
        t=ts,
        msd=msd,
        err=err,
        sigma=ss,
        sigma_err=es,
        t_ref=float(ts[0]),
        sigma_ref=float(ss[0]),
        sigma_ref_err=float(es[0]),
        frames=idx,
    )
