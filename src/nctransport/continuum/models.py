"""Linear reaction-diffusion models, solved exactly mode by mode in Fourier space.

For rates that do not depend on position and a diffusivity that does not depend on
position, every spatial Fourier mode k evolves independently: a species that diffuses
picks up exp(-k^2 D t) per axis (variances add, sigma^2(t) = sigma0^2 + 2 D t;
docs/science.md "Spatial profiles"), and linear conversions couple species within a mode.
Solving per mode is exact in time (no time-step error), and the initial condition is the
measured t0 profile itself, so the model is "convolved with the measured t0 profile".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

# Response(k2, t, params) -> multiplier of shape (len(t), *k2.shape) applied to the
# Fourier transform of the initial emission profile.
Response = Callable[[np.ndarray, np.ndarray, dict[str, float]], np.ndarray]


@dataclass(frozen=True)
class ContinuumModel:
    """A model: parameter names with SI units, defaults, which are fitted by default."""

    name: str
    units: dict[str, str]
    defaults: dict[str, float]
    fitted: tuple[str, ...]
    response: Response
    description: str


def _diffusion(k2: np.ndarray, t: np.ndarray, p: dict[str, float]) -> np.ndarray:
    # n(k,t) = n(k,0) exp(-D k^2 t - t/tau): Fick diffusion with first-order decay.
    tt = t.reshape((-1,) + (1,) * k2.ndim)
    return np.exp(-p["D"] * k2 * tt - tt / p["tau"])


def _power_law(k2: np.ndarray, t: np.ndarray, p: dict[str, float]) -> np.ndarray:
    # MSD(t) = 2 D_1ns t_ns^alpha ns (per axis): D(t) = MSD/2t (Liu 2021) equals D_1ns at
    # 1 ns; the Gaussian kernel's variance is the MSD, so the mode factor is exp(-k^2 MSD/2).
    tt = t.reshape((-1,) + (1,) * k2.ndim)
    msd = 2.0 * p["D_1ns"] * 1e-9 * np.power(np.clip(tt, 0, None) / 1e-9, p["alpha"])
    return np.exp(-0.5 * k2 * msd - tt / p["tau"])


def bright_dark_matrix(k2: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Rate matrices M(k) of shape (*k2.shape, 3, 3) for the state vector [B, D, T].

    Bornschlegl 2024 (Experimental Section and SI): bright excitons hop (diffusivity D), decay with
    k_B, turn dark with k_BD and become trapped with k_trap; dark excitons decay with k_D
    and return with k_DB; trapped ones decay with k_T and do not move.
    """
    M = np.zeros(k2.shape + (3, 3))
    M[..., 0, 0] = -(p["D"] * k2 + p["k_B"] + p["k_BD"] + p["k_trap"])
    M[..., 0, 1] = p["k_DB"]
    M[..., 1, 0] = p["k_BD"]
    M[..., 1, 1] = -(p["k_D"] + p["k_DB"])
    M[..., 2, 0] = p["k_trap"]
    M[..., 2, 2] = -p["k_T"]
    return M


def _bright_dark(k2: np.ndarray, t: np.ndarray, p: dict[str, float]) -> np.ndarray:
    # Emission = photons per unit time = k_B B + k_D D + k_T T (every decay radiative, as
    # in Bornschlegl 2024's Monte Carlo); excitons start with a fraction f_dark0 dark (ibid.:
    # "created nearly equally in bright/dark states"). The response is normalised so that
    # it maps the measured emission profile at t0 onto the emission at t.
    M = bright_dark_matrix(k2.ravel(), p)
    s0 = np.array([1.0 - p["f_dark0"], p["f_dark0"], 0.0])
    w = np.array([p["k_B"], p["k_D"], p["k_T"]])
    e0 = float(w @ s0)
    # exp(M t) s0 for every mode at once from M = V diag(lam) V^-1; modes whose
    # eigenvectors are nearly parallel (degenerate rates) fall back to expm.
    lam, V = np.linalg.eig(M)
    cond = np.linalg.cond(V)
    good = np.isfinite(cond) & (cond < 1e8)
    out = np.empty((t.size, M.shape[0]))
    if good.any():
        c = np.linalg.solve(V[good], np.broadcast_to(s0, (good.sum(), 3))[..., None])[..., 0]
        wv = np.einsum("j,kji->ki", w, V[good])  # w . V for each mode
        growth = np.exp(lam[good][None] * t[:, None, None])  # (nt, nk, 3)
        out[:, good] = np.real(np.sum(wv[None] * c[None] * growth, axis=-1)) / e0
    for j in np.nonzero(~good)[0]:
        for i, ti in enumerate(t):
            out[i, j] = (expm(M[j] * ti) @ s0) @ w / e0
    return out.reshape((t.size,) + k2.shape)


MODELS: dict[str, ContinuumModel] = {
    "diffusion": ContinuumModel(
        "diffusion",
        units={"D": "m^2/s", "tau": "s"},
        defaults={"D": 1e-6, "tau": 2e-9},
        fitted=("D", "tau"),
        response=_diffusion,
        description="one species: dn/dt = D lap n - n/tau",
    ),
    "power-law": ContinuumModel(
        "power-law",
        units={"D_1ns": "m^2/s", "alpha": "1", "tau": "s"},
        defaults={"D_1ns": 1e-6, "alpha": 1.0, "tau": 2e-9},
        fitted=("D_1ns", "alpha", "tau"),
        response=_power_law,
        description="time-dependent D: MSD = 2 D_1ns (t/1ns)^alpha x 1ns, decay 1/tau",
    ),
    "bright-dark-trap": ContinuumModel(
        "bright-dark-trap",
        units={
            "D": "m^2/s",
            "k_B": "1/s",
            "k_D": "1/s",
            "k_BD": "1/s",
            "k_DB": "1/s",
            "k_trap": "1/s",
            "k_T": "1/s",
            "f_dark0": "1",
        },
        # Bornschlegl 2024 per-25-ps-step probabilities as rates: gamma_B 0.03, gamma_D 3e-4,
        # gamma_BD 0.15, gamma_DB 0 (9 K), trap 0, trap emission at 1/100 of bright.
        defaults={
            "D": 1e-6,
            "k_B": 0.03 / 25e-12,
            "k_D": 3e-4 / 25e-12,
            "k_BD": 0.15 / 25e-12,
            "k_DB": 0.0,
            "k_trap": 0.0,
            "k_T": 0.01 * 0.03 / 25e-12,
            "f_dark0": 0.5,
        },
        fitted=("D", "k_BD", "k_DB"),
        response=_bright_dark,
        description="Bornschlegl 2024 bright/dark/trap species, only bright excitons hop",
    ),
}


def wavenumbers_sq(shape: tuple[int, ...], spacing: tuple[float, ...]) -> np.ndarray:
    """|k|^2 on the FFT grid (rad^2/m^2)."""
    ks = [2 * np.pi * np.fft.fftfreq(n, d) for n, d in zip(shape, spacing, strict=True)]
    grids = np.meshgrid(*ks, indexing="ij")
    return sum(g**2 for g in grids)


def propagate(
    n0: np.ndarray,
    spacing: tuple[float, ...],
    t: np.ndarray,
    model: ContinuumModel,
    params: dict[str, float],
    *,
    pad_factor: float = 1.0,
) -> np.ndarray:
    """Evolve the initial emission profile ``n0`` (1D or 2D, uniform grid) to times ``t``.

    The grid is zero-padded by ``pad_factor`` of its size on each side so that the
    circular FFT does not wrap emission around the edges.

    Examples
    --------
    >>> x = np.arange(-200, 201) * 10e-9
    >>> n0 = np.exp(-x**2 / (2 * (100e-9) ** 2))
    >>> out = propagate(n0, (10e-9,), np.array([1e-9]), MODELS["diffusion"],
    ...                 {"D": 1e-8, "tau": np.inf})
    >>> var = np.sum(out[0] * x**2) / np.sum(out[0])
    >>> round(float(var / (100e-9) ** 2), 3)  # sigma^2 grows by 2 D t = 2e-17 m^2
    1.002
    """
    n0 = np.asarray(n0, float)
    pads = [int(np.ceil(pad_factor * n)) for n in n0.shape]
    padded = np.pad(n0, [(p, p) for p in pads])
    k2 = wavenumbers_sq(padded.shape, spacing)
    f0 = np.fft.fftn(padded)
    resp = model.response(k2, np.asarray(t, float), params)
    out = np.fft.ifftn(f0[None] * resp, axes=tuple(range(1, padded.ndim + 1))).real
    crop = (slice(None),) + tuple(slice(p, p + n) for p, n in zip(pads, n0.shape, strict=True))
    return out[crop]


#: Physical range of every parameter name the models use: (low, high, low included,
#: high included). Diffusivities and rates cannot be negative (D = 0 is no transport, a
#: zero rate a closed channel); lifetimes are positive; fractions lie in [0, 1]; the power
#: law's exponent is positive and at most 2 (ballistic).
PARAMETER_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "D": (0.0, np.inf, True, False),
    "D_1ns": (0.0, np.inf, True, False),
    "tau": (0.0, np.inf, False, False),
    "alpha": (0.0, 2.0, False, True),
    "k_B": (0.0, np.inf, True, False),
    "k_D": (0.0, np.inf, True, False),
    "k_BD": (0.0, np.inf, True, False),
    "k_DB": (0.0, np.inf, True, False),
    "k_trap": (0.0, np.inf, True, False),
    "k_T": (0.0, np.inf, True, False),
    "f_dark0": (0.0, 1.0, True, True),
}


def parameter_range_text(name: str) -> str:
    """``"D >= 0"``, ``"0 <= f_dark0 <= 1"``, ``"0 < alpha <= 2"``.

    >>> parameter_range_text("f_dark0"), parameter_range_text("tau")
    ('0 <= f_dark0 <= 1', 'tau > 0')
    """
    lo, hi, lo_in, hi_in = PARAMETER_RANGES[name]
    left = f"{lo:g} {'<=' if lo_in else '<'} " if np.isfinite(hi) else ""
    if not np.isfinite(hi):
        return f"{name} {'>=' if lo_in else '>'} {lo:g}"
    return f"{left}{name} {'<=' if hi_in else '<'} {hi:g}"


def in_range(name: str, value: float, *, fitted: bool = False) -> bool:
    """Whether ``value`` is physical for ``name``; a fitted start value must also be > 0
    (the fit works in log coordinates)."""
    if not np.isfinite(value):
        return False
    lo, hi, lo_in, hi_in = PARAMETER_RANGES.get(name, (-np.inf, np.inf, True, True))
    ok = (value >= lo if lo_in else value > lo) and (value <= hi if hi_in else value < hi)
    return ok and (value > 0 or not fitted)
