"""Baseline removal for transient maps and stacks from the frames before the pump pulse.

Time zero is the pump-pulse peak (SCIENCE.md); frames at ``t < t0`` record the baseline
(probe-only TAM, dark counts in TPLM). Their per-pixel mean is the background image that
is subtracted from every frame, and their frame-to-frame scatter is a direct measurement of
the noise, which :mod:`nctransport.microscopy.profiles` uses to weight its fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from nctransport.dataset import SIGNAL, kind_of
from nctransport.errors import ConfigError, InputError

BACKGROUND_MODES = ("auto", "none", "pre-pulse")

#: ``auto`` subtracts a pre-pulse baseline only from this many pre-pulse frames on: with
#: fewer, the baseline's own noise (variance / n_pre per pixel) costs more than it removes.
MIN_AUTO_PREPULSE_FRAMES = 3


@dataclass(frozen=True)
class BackgroundInfo:
    """What :func:`subtract_background` did.

    Attributes
    ----------
    mode : ``"none"`` or ``"pre-pulse"`` (what was applied, ``auto`` resolved).
    t0 : pulse time [s]; frames with ``t < t0`` are pre-pulse.
    n_prepulse : number of pre-pulse frames.
    baseline : per-pixel baseline subtracted (signal units), shape of one frame; zeros for
        ``none``.
    baseline_mean : spatial mean of ``baseline``.
    noise_var : per-pixel noise variance of one frame measured from the pre-pulse frames
        (mean over pixels of the frame-to-frame variance, ddof=1; signal units^2), NaN with
        fewer than two pre-pulse frames.
    """

    mode: str
    t0: float
    n_prepulse: int
    baseline: np.ndarray
    baseline_mean: float
    noise_var: float

    def to_dict(self) -> dict:
        """JSON-friendly summary (the baseline image itself is left out)."""
        return {
            "mode": self.mode,
            "t0_s": self.t0,
            "n_prepulse": self.n_prepulse,
            "baseline_mean": self.baseline_mean,
            "noise_var": self.noise_var,
        }


def prepulse_mask(ds: xr.Dataset, t0: float = 0.0) -> np.ndarray:
    """Boolean mask over ``t``: True for frames before the pulse (``t < t0``)."""
    return np.asarray(ds["t"].values, dtype=float) < t0


def subtract_background(
    ds: xr.Dataset, mode: str = "auto", *, t0: float = 0.0
) -> tuple[xr.Dataset, BackgroundInfo]:
    """Subtract the pre-pulse baseline from a ``map`` or ``stack``.

    Parameters
    ----------
    ds
        Dataset of kind ``map`` (t, x) or ``stack`` (t, y, x); not modified.
    mode
        ``"pre-pulse"``: subtract the per-pixel mean of the frames with ``t < t0`` (at least
        one needed); ``"none"``: leave the data as they are (a fitted constant then carries
        the background); ``"auto"``: ``pre-pulse`` when at least
        :data:`MIN_AUTO_PREPULSE_FRAMES` pre-pulse frames exist, else ``none``.
    t0
        Pulse time [s] in the dataset's time frame.

    Returns
    -------
    (xarray.Dataset, BackgroundInfo)
        A new dataset (attribute ``background`` records the mode) and what was done. The
        noise variance is measured from the pre-pulse frames whatever the mode.

    Examples
    --------
    >>> from nctransport.dataset import make_dataset
    >>> sig = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 9.0]])
    >>> ds = make_dataset(sig, {"t": [-2e-9, -1e-9, 1e-9], "x": [0.0, 1e-7]})
    >>> out, info = subtract_background(ds, "pre-pulse")
    >>> out.signal.values[-1].tolist(), info.n_prepulse
    ([3.0, 7.0], 2)
    """
    if mode not in BACKGROUND_MODES:
        raise ConfigError(f"unknown background mode {mode!r}; expected one of {BACKGROUND_MODES}")
    kind = kind_of(ds)
    if kind not in ("map", "stack"):
        raise InputError(f"background subtraction needs a map or stack, got a {kind}")
    pre = prepulse_mask(ds, t0)
    n_pre = int(pre.sum())
    data = np.asarray(ds[SIGNAL].values, dtype=float)
    frame_shape = data.shape[1:]
    noise_var = float("nan")
    if n_pre >= 2:
        # Frame-to-frame scatter of each pixel before the pulse = the noise of one frame.
        noise_var = float(np.nanmean(np.nanvar(data[pre], axis=0, ddof=1)))
    if mode == "auto":
        mode = "pre-pulse" if n_pre >= MIN_AUTO_PREPULSE_FRAMES else "none"
    if mode == "pre-pulse":
        if n_pre == 0:
            raise InputError(
                f"background 'pre-pulse' needs frames before t0 = {t0:g} s; there are none"
            )
        baseline = np.nanmean(data[pre], axis=0)
        baseline = np.where(np.isfinite(baseline), baseline, np.nanmean(baseline))
        out = ds.copy(data=None)
        out[SIGNAL] = (ds[SIGNAL].dims, data - baseline[None], dict(ds[SIGNAL].attrs))
    else:
        baseline = np.zeros(frame_shape)
        out = ds.copy()
    out.attrs = dict(ds.attrs)
    out.attrs["background"] = mode
    info = BackgroundInfo(
        mode=mode,
        t0=float(t0),
        n_prepulse=n_pre,
        baseline=baseline,
        baseline_mean=float(np.mean(baseline)),
        noise_var=noise_var,
    )
    return out, info
