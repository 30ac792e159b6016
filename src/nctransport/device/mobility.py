"""Charge-carrier mobility models: constant, Poole-Frenkel, GDM (Bassler) and EGDM (Pasveer).

All functions are vectorised (NumPy broadcasting) and work in SI: fields in V/m, densities
in m^-3, mobilities in m^2/(V s), energies in eV, temperatures in K.

The model classes at the end (:class:`ConstantMobility`, :class:`PooleFrenkelMobility`,
:class:`EGDMMobility`) are what the drift-diffusion solver uses: besides the mobility they
return the logarithmic derivatives with respect to density and field needed for an analytic
Newton Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nctransport.constants import K_B, Q_E
from nctransport.errors import InputError

__all__ = [
    "K_B_EV",
    "constant",
    "poole_frenkel",
    "gdm",
    "egdm",
    "egdm_delta",
    "ConstantMobility",
    "PooleFrenkelMobility",
    "EGDMMobility",
]

#: Boltzmann constant in eV/K.
K_B_EV = K_B / Q_E

#: Bassler's field coefficient C = 2.9e-4 (cm/V)^(1/2) (Bassler 1993), in (m/V)^(1/2):
#: sqrt(E[V/cm]) = sqrt(E[V/m]) / 10.
GDM_C_SQRT_M_V = 2.9e-4 / 10.0

# Pasveer et al., PRL 94, 206601 (2005), Eqs. (2)-(4) (Li 2024 Eqs. 5b-5d; docs/science.md).
_C2 = 0.42
_G2_A = 0.44
_G2_B = 2.2
_G2_C = 0.8
_LN_LN4 = np.log(np.log(4.0))


def constant(mobility_m2_Vs: float, *, shape: tuple[int, ...] = ()) -> np.ndarray:
    """A field- and density-independent mobility, broadcast to ``shape``.

    >>> constant(1e-9, shape=(2,))
    array([1.e-09, 1.e-09])
    """
    if not np.isfinite(mobility_m2_Vs) or mobility_m2_Vs <= 0:
        raise InputError(f"mobility must be positive, got {mobility_m2_Vs!r} m^2/Vs")
    return np.full(shape, float(mobility_m2_Vs))


def poole_frenkel(*, field_V_m, mu0_m2_Vs: float, gamma_sqrt_m_V: float) -> np.ndarray:
    """Poole-Frenkel field dependence mu = mu0 exp(gamma sqrt|E|).

    Parameters
    ----------
    field_V_m
        Electric field (V/m), any shape; only its magnitude matters.
    mu0_m2_Vs
        Zero-field mobility (m^2/Vs).
    gamma_sqrt_m_V
        Field-activation factor (m/V)^(1/2).

    >>> float(poole_frenkel(field_V_m=1e8, mu0_m2_Vs=1e-10, gamma_sqrt_m_V=1e-4))
    2.718281828459045e-10
    """
    e = np.abs(np.asarray(field_V_m, dtype=float))
    return mu0_m2_Vs * np.exp(gamma_sqrt_m_V * np.sqrt(e))


def gdm(
    *,
    temperature_K,
    field_V_m,
    sigma_eV: float,
    mu_inf_m2_Vs: float,
    positional_disorder: float = 2.0,
    c_sqrt_m_V: float = GDM_C_SQRT_M_V,
) -> np.ndarray:
    """Gaussian disorder model (Bassler, phys. stat. sol. (b) 175, 15 (1993), Eq. 41).

    mu = mu_inf exp[-(2 s / 3)^2] exp[C (s^2 - Sigma^2) sqrt(E)] for Sigma >= 1.5, with
    Sigma^2 replaced by 2.25 for Sigma < 1.5; s = sigma / (k_B T).

    >>> mu = gdm(temperature_K=300, field_V_m=0.0, sigma_eV=0.1, mu_inf_m2_Vs=1e-3)
    >>> round(float(mu) * 1e6, 4)
    1.2939
    """
    t = np.asarray(temperature_K, dtype=float)
    s = sigma_eV / (K_B_EV * t)
    big_sigma2 = max(positional_disorder, 1.5) ** 2
    e = np.abs(np.asarray(field_V_m, dtype=float))
    return mu_inf_m2_Vs * np.exp(
        -((2.0 * s / 3.0) ** 2) + c_sqrt_m_V * (s**2 - big_sigma2) * np.sqrt(e)
    )


def _reduced_disorder(temperature_K, sigma_eV) -> np.ndarray:
    t = np.asarray(temperature_K, dtype=float)
    if np.any(t <= 0) or not np.all(np.isfinite(t)):
        raise InputError("temperature must be positive")
    if not np.all(np.asarray(sigma_eV) > 0):
        raise InputError("sigma must be positive")
    s = np.asarray(sigma_eV, dtype=float) / (K_B_EV * t)
    # delta (Eq. 5d) needs ln(s^2 - s) > ln(ln 4), i.e. s > 1.76; outside, the EGDM
    # parametrisation has no meaning (Pasveer fitted 3 <~ s <~ 6).
    if np.any(s * s - s <= np.log(4.0)):
        raise InputError(
            f"EGDM needs sigma/kT > 1.76 (got min {float(np.min(s)):.3g}); "
            "disorder too small for this temperature"
        )
    return s


def egdm_delta(s) -> np.ndarray:
    """Exponent delta(s) = 2 [ln(s^2 - s) - ln(ln 4)] / s^2 (docs/science.md, seed typo fixed)."""
    s = np.asarray(s, dtype=float)
    return 2.0 * (np.log(s * s - s) - _LN_LN4) / (s * s)


def egdm(*, temperature_K, density_m3, field_V_m, sigma_eV, a_m, mu0_m2_Vs) -> np.ndarray:
    """Extended Gaussian disorder model mobility (Pasveer et al., PRL 94, 206601, 2005).

    mu(T, p, E) = mu0 exp(-c2 s^2) g1(p, T) g2(E, T), s = sigma / (k_B T), c2 = 0.42, with
    ``g1 = exp[(s^2 - s)/2 (2 p a^3)^delta]`` and
    ``g2 = exp{0.44 (s^1.5 - 2.2) [sqrt(1 + 0.8 (E e a / sigma)^2) - 1]}``
    (Li 2024 Eqs. 5a-5d with c1 folded into ``mu0``; delta as in :func:`egdm_delta`).
    Pasveer fitted the form for p a^3 < 0.1 and E e a / sigma < 2.

    Parameters
    ----------
    temperature_K, density_m3, field_V_m
        Broadcastable arrays (K, m^-3, V/m); the sign of the field does not matter.
    sigma_eV, a_m, mu0_m2_Vs
        Gaussian DOS width (eV), hopping distance / site spacing (m), prefactor (m^2/Vs).

    Examples
    --------
    >>> mu = egdm(temperature_K=297.0, density_m3=0.0, field_V_m=0.0,
    ...           sigma_eV=0.12, a_m=2.8e-9, mu0_m2_Vs=1.0)
    >>> bool(np.isclose(mu, np.exp(-0.42 * (0.12 / (K_B_EV * 297.0)) ** 2)))
    True
    """
    s = _reduced_disorder(temperature_K, sigma_eV)
    p = np.asarray(density_m3, dtype=float)
    if np.any(p < 0):
        raise InputError("density must be >= 0")
    e = np.abs(np.asarray(field_V_m, dtype=float))
    delta = egdm_delta(s)
    g1 = np.exp(0.5 * (s * s - s) * (2.0 * p * a_m**3) ** delta)
    reduced_field = e * a_m / sigma_eV  # E e a / sigma with sigma in eV -> dimensionless
    g2 = np.exp(_G2_A * (s**1.5 - _G2_B) * (np.sqrt(1.0 + _G2_C * reduced_field**2) - 1.0))
    return mu0_m2_Vs * np.exp(-_C2 * s * s) * g1 * g2


# --- models for the solver: mobility with d ln(mu)/d ln(p) and d ln(mu)/d|E| -------------


@dataclass(frozen=True)
class ConstantMobility:
    """mu = const."""

    mobility_m2_Vs: float

    @property
    def reference_m2_Vs(self) -> float:
        return self.mobility_m2_Vs

    def evaluate(self, density_m3: np.ndarray, field_abs_V_m: np.ndarray):
        """Return (mu, d ln mu / d ln p, d ln mu / d|E|)."""
        shape = np.broadcast(density_m3, field_abs_V_m).shape
        z = np.zeros(shape)
        return np.full(shape, self.mobility_m2_Vs), z, z


@dataclass(frozen=True)
class PooleFrenkelMobility:
    """mu = mu0 exp(gamma sqrt|E|) (the SIMsalabim field dependence)."""

    mu0_m2_Vs: float
    gamma_sqrt_m_V: float

    @property
    def reference_m2_Vs(self) -> float:
        return self.mu0_m2_Vs

    def evaluate(self, density_m3: np.ndarray, field_abs_V_m: np.ndarray):
        e = np.broadcast_to(np.abs(field_abs_V_m), np.broadcast(density_m3, field_abs_V_m).shape)
        se = np.sqrt(e)
        mu = self.mu0_m2_Vs * np.exp(self.gamma_sqrt_m_V * se)
        # d/d|E| of gamma sqrt|E| diverges at E = 0; a floor of 1 V/m keeps Newton finite.
        dlnmu_de = 0.5 * self.gamma_sqrt_m_V / np.sqrt(np.maximum(e, 1.0))
        return mu, np.zeros_like(mu), dlnmu_de


@dataclass(frozen=True)
class EGDMMobility:
    """EGDM mobility (:func:`egdm`) at one temperature, with analytic log-derivatives."""

    mu0_m2_Vs: float
    sigma_eV: float
    a_m: float
    temperature_K: float

    @property
    def reference_m2_Vs(self) -> float:
        return self.mu0_m2_Vs

    def __post_init__(self) -> None:
        s = float(_reduced_disorder(self.temperature_K, self.sigma_eV))
        object.__setattr__(self, "_s", s)
        object.__setattr__(self, "_delta", float(egdm_delta(s)))

    def evaluate(self, density_m3: np.ndarray, field_abs_V_m: np.ndarray):
        s, delta = self._s, self._delta
        p = np.maximum(np.asarray(density_m3, dtype=float), 0.0)
        e = np.abs(np.asarray(field_abs_V_m, dtype=float))
        x = (2.0 * p * self.a_m**3) ** delta
        ln_g1 = 0.5 * (s * s - s) * x
        dln_g1_dlnp = ln_g1 * delta  # d/dln p of A p^delta = delta A p^delta
        a2 = _G2_A * (s**1.5 - _G2_B)
        r = e * self.a_m / self.sigma_eV
        root = np.sqrt(1.0 + _G2_C * r * r)
        ln_g2 = a2 * (root - 1.0)
        dln_g2_de = a2 * _G2_C * r / root * (self.a_m / self.sigma_eV)
        mu = self.mu0_m2_Vs * np.exp(-_C2 * s * s + ln_g1 + ln_g2)
        return mu, dln_g1_dlnp, dln_g2_de
