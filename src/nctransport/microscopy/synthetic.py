"""Synthetic transient-microscopy maps and stacks with known truth.

A population created at t = 0 by the pump spreads so that the per-axis variance of its
profile is ``sigma^2(t) = sigma0^2 + MSD(t)`` (docs/science.md: variances add under diffusion,
MSD = 2 D t per axis), decays as ``N(t)`` and is seen with a background and counting noise.
Frames before t = 0 (pre-pulse) show the background only. With ``conserve=True`` the
spatial integral is ``amplitude * N(t) * (area of the t=0 profile)``: the peak drops as the
profile widens, as for a real population.

Everything is SI (t in s, x in m, MSD in m^2). Random noise is drawn from a
``numpy.random.default_rng(seed)`` stream, so a seed reproduces a map bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy.special import voigt_profile

from nctransport.dataset import make_dataset
from nctransport.errors import ConfigError

MsdFunc = Callable[[np.ndarray], np.ndarray]
Noise = Literal["none", "poisson", "gaussian"]
Profile = Literal["gaussian", "voigt"]

__all__ = [
    "linear_msd",
    "broken_power_law_msd",
    "contracting_msd",
    "exponential_decay",
    "synthetic_map",
    "synthetic_stack",
]


def linear_msd(D: float) -> MsdFunc:
    """Normal diffusion, per axis: MSD(t) = 2 D t (docs/science.md). ``D`` in m^2/s."""
    return lambda t: 2.0 * D * np.asarray(t, dtype=float)


def broken_power_law_msd(
    t_break: float, alpha1: float, alpha2: float, msd_at_break: float
) -> MsdFunc:
    """MSD = K t^alpha (Liu 2021) with exponent ``alpha1`` before ``t_break`` and ``alpha2``
    after it, continuous at the break where it equals ``msd_at_break`` [m^2].

    >>> f = broken_power_law_msd(1e-9, 1.0, 0.5, 1e-14)
    >>> bool(np.isclose(f(np.array([4e-9]))[0], 2e-14))
    True
    """
    if t_break <= 0 or msd_at_break <= 0:
        raise ConfigError("broken power law needs t_break > 0 and msd_at_break > 0")

    def msd(t: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(t, dtype=float), 0.0, None) / t_break
        return msd_at_break * np.where(u < 1.0, u**alpha1, u**alpha2)

    return msd


def contracting_msd(D: float, t_max: float) -> MsdFunc:
    """Rise-then-contract MSD (Bornschlegl 2024 "negative diffusion"): 2 D t exp(-t / t_max).

    Initial slope 2 D, maximum exactly at ``t_max``, back towards 0 later.
    """
    if t_max <= 0:
        raise ConfigError("t_max must be > 0")
    return lambda t: 2.0 * D * np.asarray(t, dtype=float) * np.exp(-np.asarray(t) / t_max)


def exponential_decay(lifetime: float) -> Callable[[np.ndarray], np.ndarray]:
    """Population N(t) = exp(-t / lifetime) (1/e time = ``lifetime`` [s])."""
    if lifetime <= 0:
        raise ConfigError("lifetime must be > 0")
    return lambda t: np.exp(-np.asarray(t, dtype=float) / lifetime)


def _profile_1d(
    x: np.ndarray, center: float, sigma: np.ndarray, profile: str, hwhm: float
) -> np.ndarray:
    """Area-normalised profile along one axis; ``sigma`` has one value per frame -> (t, x)."""
    dx = x[None, :] - center
    s = sigma[:, None]
    if profile == "gaussian":
        return np.exp(-(dx**2) / (2.0 * s**2)) / (np.sqrt(2.0 * np.pi) * s)
    if profile == "voigt":
        # Bornschlegl 2024: Lorentzian (HWHM lambda) convolved with the diffusing Gaussian.
        return voigt_profile(dx, s, hwhm)
    raise ConfigError(f"unknown profile {profile!r}; expected 'gaussian' or 'voigt'")


def _sigma_of_t(t: np.ndarray, sigma0: float, msd: MsdFunc) -> np.ndarray:
    tp = np.clip(t, 0.0, None)
    var = sigma0**2 + np.asarray(msd(tp), dtype=float)
    if var.shape != t.shape:
        raise ConfigError("msd(t) must return one value per time")
    if np.any(var <= 0) or not np.all(np.isfinite(var)):
        raise ConfigError("sigma0^2 + MSD(t) must stay positive and finite")
    return np.sqrt(var)


def _population(
    t: np.ndarray, lifetime: float | None, population: Callable[[np.ndarray], np.ndarray] | None
) -> np.ndarray:
    if population is not None and lifetime is not None:
        raise ConfigError("give either lifetime or population, not both")
    if population is None:
        population = (
            (lambda tt: np.ones_like(tt)) if lifetime is None else exponential_decay(lifetime)
        )
    n = np.asarray(population(np.clip(t, 0.0, None)), dtype=float)
    if n.shape != t.shape:
        raise ConfigError("population(t) must return one value per time")
    return np.where(t >= 0.0, n, 0.0)  # nothing before the pulse


def _add_noise(
    clean: np.ndarray, noise: str, noise_sigma: float, rng: np.random.Generator
) -> np.ndarray:
    if noise == "none":
        return clean
    if noise == "poisson":
        if np.any(clean < 0):
            raise ConfigError(
                "Poisson noise needs a non-negative expected signal: raise the background"
            )
        return rng.poisson(clean).astype(float)
    if noise == "gaussian":
        if noise_sigma <= 0:
            raise ConfigError("gaussian noise needs noise_sigma > 0")
        return clean + rng.normal(0.0, noise_sigma, size=clean.shape)
    raise ConfigError(f"unknown noise {noise!r}; expected none, poisson or gaussian")


def _resolve_msd(D: float | None, msd: MsdFunc | None) -> MsdFunc:
    if (D is None) == (msd is None):
        raise ConfigError("give exactly one of D (m^2/s) or msd (callable of t in s)")
    return linear_msd(D) if msd is None else msd


def synthetic_map(
    t: Any,
    x: Any,
    *,
    sigma0: float,
    D: float | None = None,
    msd: MsdFunc | None = None,
    profile: Profile = "gaussian",
    lorentz_hwhm: float = 0.0,
    amplitude: float = 1.0,
    lifetime: float | None = None,
    population: Callable[[np.ndarray], np.ndarray] | None = None,
    center: float = 0.0,
    background: float = 0.0,
    noise: Noise = "none",
    noise_sigma: float = 0.0,
    conserve: bool = True,
    seed: int | None = 0,
    attrs: Mapping[str, Any] | None = None,
    signal_units: str | None = None,
) -> xr.Dataset:
    """A ``(t, x)`` map whose truth is known.

    Parameters
    ----------
    t, x
        Time [s] (negative times are pre-pulse frames) and position [m] axes.
    sigma0
        Per-axis standard deviation of the Gaussian part at t = 0 [m].
    D, msd
        Exactly one: per-axis diffusivity [m^2/s] (MSD = 2 D t) or any ``msd(t)`` [m^2]
        (see :func:`broken_power_law_msd`, :func:`contracting_msd`).
    profile, lorentz_hwhm
        ``gaussian``, or ``voigt`` (Bornschlegl 2024) with a fixed Lorentzian HWHM [m].
    amplitude
        Peak signal at t = 0 above the background; negative for a TAM bleach.
    lifetime, population
        Population decay: ``exp(-t/lifetime)`` or any ``population(t)`` (default: none).
    background
        Constant offset (counts or signal units).
    noise, noise_sigma
        ``poisson`` (signal is then expected counts), ``gaussian`` (std ``noise_sigma``)
        or ``none``.
    conserve
        Keep the spatial integral ``amplitude * N(t) * area0`` (peak falls as sigma grows);
        ``False`` keeps the peak at ``amplitude * N(t)``.
    seed
        Seed of the noise stream (bit-for-bit reproducible).

    Returns
    -------
    xarray.Dataset
        ``make_dataset`` map; signal units ``counts`` for Poisson noise, else ``arb``.

    Examples
    --------
    >>> ds = synthetic_map(np.linspace(0, 1e-9, 3), np.linspace(-1e-6, 1e-6, 41),
    ...                    sigma0=2e-7, D=1e-5)
    >>> ds.attrs["kind"], ds.signal.shape
    ('map', (3, 41))
    """
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    if sigma0 <= 0:
        raise ConfigError("sigma0 must be > 0")
    sig = _sigma_of_t(t, sigma0, _resolve_msd(D, msd))
    shape_t = _profile_1d(x, center, sig, profile, lorentz_hwhm)
    peak0 = _profile_1d(np.array([center]), center, np.array([sigma0]), profile, lorentz_hwhm)[0, 0]
    if conserve:
        shape_t = shape_t / peak0
    else:
        shape_t = shape_t / shape_t.max(axis=1, keepdims=True)
    n = _population(t, lifetime, population)
    clean = background + amplitude * n[:, None] * shape_t
    data = _add_noise(clean, noise, noise_sigma, np.random.default_rng(seed))
    units = signal_units or ("counts" if noise == "poisson" else "arb")
    return make_dataset(data, {"t": t, "x": x}, signal_units=units, attrs=dict(attrs or {}))


def synthetic_stack(
    t: Any,
    y: Any,
    x: Any,
    *,
    sigma0: float,
    D: float | None = None,
    msd: MsdFunc | None = None,
    sigma0_y: float | None = None,
    D_y: float | None = None,
    amplitude: float = 1.0,
    lifetime: float | None = None,
    population: Callable[[np.ndarray], np.ndarray] | None = None,
    center: tuple[float, float] = (0.0, 0.0),
    background: float = 0.0,
    noise: Noise = "none",
    noise_sigma: float = 0.0,
    seed: int | None = 0,
    attrs: Mapping[str, Any] | None = None,
    signal_units: str | None = None,
) -> xr.Dataset:
    """A ``(t, y, x)`` stack of a 2D Gaussian whose per-axis widths are known.

    Isotropic by default (Liu 2021); ``sigma0_y``/``D_y`` make the y axis differ
    (anisotropic check). ``center`` is ``(y0, x0)`` [m]. The integral is conserved.
    Other parameters as in :func:`synthetic_map`.

    >>> ds = synthetic_stack([0, 1e-9], np.linspace(-1e-6, 1e-6, 9),
    ...                      np.linspace(-1e-6, 1e-6, 11), sigma0=2e-7, D=1e-5)
    >>> ds.attrs["kind"], ds.signal.shape
    ('stack', (2, 9, 11))
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if sigma0 <= 0 or (sigma0_y is not None and sigma0_y <= 0):
        raise ConfigError("sigma0 must be > 0")
    msd_x = _resolve_msd(D, msd)
    msd_y = msd_x if D_y is None else linear_msd(D_y)
    s0y = sigma0 if sigma0_y is None else sigma0_y
    sx = _sigma_of_t(t, sigma0, msd_x)
    sy = _sigma_of_t(t, s0y, msd_y)
    px = _profile_1d(x, center[1], sx, "gaussian", 0.0) * np.sqrt(2 * np.pi) * sigma0
    py = _profile_1d(y, center[0], sy, "gaussian", 0.0) * np.sqrt(2 * np.pi) * s0y
    n = _population(t, lifetime, population)
    clean = background + amplitude * n[:, None, None] * py[:, :, None] * px[:, None, :]
    data = _add_noise(clean, noise, noise_sigma, np.random.default_rng(seed))
    units = signal_units or ("counts" if noise == "poisson" else "arb")
    return make_dataset(data, {"t": t, "y": y, "x": x}, signal_units=units, attrs=dict(attrs or {}))
