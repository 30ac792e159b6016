"""Carrier statistics: Boltzmann (effective DOS) and Gauss-Fermi (Gaussian DOS, Fermi-Dirac).

Convention: eta = (E_F - E_0) / (k_B T) is the (quasi-)Fermi level measured from the centre
E_0 of the transport level, positive towards higher occupation (for holes: the hole energy
picture). Densities are in m^-3.

* Boltzmann: n = N exp(eta) (non-degenerate effective DOS N).
* Gauss-Fermi: n = N int g(E) f(E) dE with g a Gaussian of width sigma (unit area),
  N = 1/a^3 the site density, f the Fermi-Dirac function (e.g. Pasveer et al. PRL 94,
  206601 (2005); Coehoorn et al. PRB 72, 155206 (2005)). With x = (E - E_0)/sigma and
  s = sigma/(k_B T): n/N = (2 pi)^-1/2 int exp(-x^2/2) / (1 + exp(s x - eta)) dx.

The integral is computed with the trapezoidal rule on a uniform grid centred on the peak of
the integrand; for an analytic integrand decaying like a Gaussian the trapezoidal rule
converges exponentially (Trefethen & Weideman, SIAM Rev. 56, 385 (2014)); the Fermi
function has poles at distance pi/s from the real x axis, so a step h = 0.55/s gives an
error ~exp(-2 pi^2 / (s h)) ~ 3e-16. This is as accurate as Gauss-Hermite and, unlike a
fixed Gauss-Hermite rule, stays accurate deep in the tail (eta << -s^2) where the
integrand is a Gaussian centred at x = -s.

Generalised Einstein relation: D / mu = (1/q) n / (dn/dE_F) (e.g. Roichman & Tessler,
APL 80, 1948 (2002)); in the Boltzmann limit it is k_B T / q.
"""

from __future__ import annotations

import numpy as np

from nctransport.device.mobility import K_B_EV
from nctransport.errors import InputError

__all__ = [
    "log_density_boltzmann",
    "log_density_gauss_fermi",
    "boltzmann_density",
    "gauss_fermi_density",
    "einstein_ratio",
]

_HALF_WIDTH = 10.0  # integration half-range in units of the DOS width (exp(-50) tails)
_SQRT_2PI = np.sqrt(2.0 * np.pi)


def log_density_boltzmann(eta) -> tuple[np.ndarray, np.ndarray]:
    """ln(n/N) and d ln n / d eta for Boltzmann statistics: (eta, 1)."""
    eta = np.asarray(eta, dtype=float)
    return eta.copy(), np.ones_like(eta)


def log_density_gauss_fermi(eta, s: float) -> tuple[np.ndarray, np.ndarray]:
    """ln(n/N) and r = d ln n / d eta for a Gaussian DOS of reduced width s = sigma/kT.

    Vectorised over ``eta``. ``r`` is the inverse of the diffusion enhancement:
    D / mu = (k_B T / q) / r.

    >>> ln_n, r = log_density_gauss_fermi(np.array([-40.0]), 4.0)
    >>> bool(np.isclose(ln_n[0], -40.0 + 8.0)), bool(np.isclose(r[0], 1.0))
    (True, True)
    """
    if not (np.isfinite(s) and s > 0):
        raise InputError(f"reduced disorder sigma/kT must be positive, got {s!r}")
    eta = np.asarray(eta, dtype=float)
    flat = eta.reshape(-1, 1)
    h = min(0.55 / s, 0.25)
    y = np.arange(-_HALF_WIDTH, _HALF_WIDTH + 0.5 * h, h)
    # Centre of the integrand: the Fermi level if it lies between the transport energy
    # (-s, the peak of the occupied DOS in the Boltzmann tail) and the DOS centre.
    centre = np.clip(flat / s, -s, 0.0)
    x = centre + y  # (n, m)
    u = s * x - flat
    log_f = -np.logaddexp(0.0, u)  # ln f, f = 1/(1+e^u)
    log_w = -0.5 * x * x + log_f
    peak = log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w - peak)
    total = w.sum(axis=1)
    one_minus_f = np.exp(u + log_f)  # 1 - f = e^u f, exponent <= 0
    dtotal = (w * one_minus_f).sum(axis=1)
    ln_n = np.log(total * h / _SQRT_2PI) + peak[:, 0]
    r = dtotal / total
    return ln_n.reshape(eta.shape), r.reshape(eta.shape)


def boltzmann_density(fermi_level_eV, *, temperature_K: float, density_of_states_m3: float):
    """n = N exp((E_F - E_0) / k_B T) in m^-3 (``fermi_level_eV`` measured from E_0)."""
    kt = K_B_EV * temperature_K
    return density_of_states_m3 * np.exp(np.asarray(fermi_level_eV, dtype=float) / kt)


def gauss_fermi_density(
    fermi_level_eV, *, sigma_eV: float, temperature_K: float, site_density_m3: float
) -> tuple[np.ndarray, np.ndarray]:
    """Density (m^-3) and dn/dE_F (m^-3 eV^-1) of a Gaussian DOS with Fermi-Dirac occupation.

    ``fermi_level_eV`` is measured from the DOS centre (positive = more occupied).

    >>> n, dn = gauss_fermi_density(0.0, sigma_eV=0.1, temperature_K=300, site_density_m3=1e27)
    >>> round(float(n / 1e27), 6)
    0.5
    """
    kt = K_B_EV * temperature_K
    ln_n, r = log_density_gauss_fermi(np.asarray(fermi_level_eV, dtype=float) / kt, sigma_eV / kt)
    n = site_density_m3 * np.exp(ln_n)
    return n, n * r / kt


def einstein_ratio(fermi_level_eV, *, sigma_eV: float | None, temperature_K: float) -> np.ndarray:
    """Generalised Einstein ratio D/mu in volts: (1/q) n / (dn/dE_F).

    ``sigma_eV=None`` means Boltzmann statistics (ratio k_B T / q).
    """
    kt = K_B_EV * temperature_K
    eta = np.asarray(fermi_level_eV, dtype=float) / kt
    if sigma_eV is None:
        return np.full_like(eta, kt)
    _, r = log_density_gauss_fermi(eta, sigma_eV / kt)
    return kt / r
