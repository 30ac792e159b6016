"""Steady-state 1D single-carrier (hole) drift-diffusion + Poisson solver.

Equations (SI), holes of charge +q in a layer 0 <= x <= L without doping or traps:

    d/dx (eps dpsi/dx) = -q p,        J = -q mu p dpsi/dx - q D dp/dx = const,

with the generalised Einstein relation D = mu (kT/q) / r, r = d ln p / d eta
(:mod:`nctransport.device.statistics`); r = 1 for Boltzmann statistics.

Discretisation (finite volumes on a grid refined towards both contacts):

* Scharfetter-Gummel flux (Scharfetter & Gummel, IEEE TED 16, 64 (1969)) generalised to
  diffusion enhancement with the "modified thermal voltage" g = Delta eta / Delta ln p on
  each edge, the thermodynamically consistent choice (flux vanishes exactly in equilibrium)
  of Koprucki, Rotundo, Farrell, Doan & Fuhrmann, Opt. Quantum Electron. 47, 1327 (2015)
  and Bessemoulin-Chatard, Numer. Math. 121, 637 (2012):
  J = (q mu kT g / h) [p_i B(Du / g) - p_{i+1} B(-Du / g)], B(y) = y / (e^y - 1),
  Du = (psi_{i+1} - psi_i) / V_t. It is evaluated in the equivalent Slotboom form
  -p_i B(Du/g) expm1(D phi / g), which avoids the cancellation of the huge drift and
  diffusion terms of an accumulation layer. The mobility of an edge is evaluated at the
  geometric mean density of its nodes and at the edge field.
* Unknowns per interior node: u = psi / V_t and the hole electrochemical potential
  phi (in kT), eta = phi - u; Newton's method on the coupled system with the analytic
  Jacobian, assembled into a banded matrix (LAPACK ``gbsv``, as ``solve_banded`` calls it).
* Continuation: in voltage from equilibrium (secant predictor, step halving on failure),
  and in reduced disorder sigma/kT for the equilibrium of a strongly disordered DOS.

Contacts: anode at x = 0 (potential V), cathode at x = L. The hole injection barrier
phi_b (eV, from the contact Fermi level to the centre of the transport level) fixes
eta = -phi_b / kT at the contact (Ohmic = zero barrier: p = N for Boltzmann, N/2 for
Gauss-Fermi). Built-in voltage V_bi = (phi_cathode - phi_anode) / q. Optional image-force
(Schottky) lowering of an injecting contact's barrier by sqrt(q E / (4 pi eps)) with E the
field at that contact (Schottky lowering; Sze & Ng, Physics of Semiconductor Devices,
3rd ed., ch. 3).

Range: tested for sigma/kT up to ~12; beyond, the EGDM mobility spans more decades than
double precision resolves and the solver raises ConvergenceError (it checks that the
discrete current is constant to 1e-5 before returning).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.linalg import LinAlgError, get_lapack_funcs

from nctransport.constants import EPS0, Q_E
from nctransport.device.mobility import K_B_EV
from nctransport.device.statistics import log_density_boltzmann, log_density_gauss_fermi
from nctransport.errors import ConvergenceError, InputError

__all__ = [
    "Device",
    "Statistics",
    "JVSolution",
    "solve_jv",
    "mott_gurney_current",
    "grid",
]

STATISTICS = ("boltzmann", "gauss-fermi")
#: Largest accepted relative spread of the discrete current over the edges.
MAX_CONTINUITY_ERROR = 1e-5


@dataclass(frozen=True)
class Device:
    """A single-carrier layer between two contacts.

    Parameters
    ----------
    thickness_m, eps_r, temperature_K
        Layer thickness (m), relative permittivity, temperature (K).
    barrier_anode_eV, barrier_cathode_eV
        Hole injection barriers (eV) of the contacts at x = 0 and x = L; 0 is Ohmic.
    image_force
        Lower the barrier of an injecting contact by the image-force (Schottky) term.
    """

    thickness_m: float
    eps_r: float
    temperature_K: float = 297.0
    barrier_anode_eV: float = 0.0
    barrier_cathode_eV: float = 0.0
    image_force: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.thickness_m) and self.thickness_m > 0):
            raise InputError(f"thickness must be positive, got {self.thickness_m!r} m")
        if not (np.isfinite(self.eps_r) and self.eps_r > 0):
            raise InputError(f"relative permittivity must be positive, got {self.eps_r!r}")
        if not (np.isfinite(self.temperature_K) and self.temperature_K > 0):
            raise InputError(f"temperature must be positive, got {self.temperature_K!r} K")
        for name in ("barrier_anode_eV", "barrier_cathode_eV"):
            b = getattr(self, name)
            if not (np.isfinite(b) and -0.5 <= b <= 3.0):
                raise InputError(f"{name} must be within [-0.5, 3] eV, got {b!r}")

    @property
    def built_in_V(self) -> float:
        """V_bi = (phi_cathode - phi_anode) / q."""
        return self.barrier_cathode_eV - self.barrier_anode_eV


@dataclass(frozen=True)
class Statistics:
    """Carrier statistics: ``boltzmann`` (effective DOS ``site_density_m3``) or
    ``gauss-fermi`` (Gaussian DOS of width ``sigma_eV`` with ``site_density_m3`` = 1/a^3)."""

    kind: str = "boltzmann"
    site_density_m3: float = 1e27
    sigma_eV: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in STATISTICS:
            raise InputError(f"statistics must be one of {STATISTICS}, got {self.kind!r}")
        if not (np.isfinite(self.site_density_m3) and self.site_density_m3 > 0):
            raise InputError(f"site density must be positive, got {self.site_density_m3!r}")
        if self.kind == "gauss-fermi" and not (self.sigma_eV is not None and self.sigma_eV > 0):
            raise InputError("gauss-fermi statistics need a positive sigma")


@dataclass(frozen=True)
class JVSolution:
    """Result of :func:`solve_jv` (SI units). Profiles are (n_voltages, n_points)."""

    voltages_V: np.ndarray
    current_density_A_m2: np.ndarray
    continuity_error: np.ndarray  # max relative spread of J over the edges, per voltage
    newton_iterations: np.ndarray
    x_m: np.ndarray = field(repr=False)
    density_m3: np.ndarray | None = field(default=None, repr=False)
    potential_V: np.ndarray | None = field(default=None, repr=False)
    field_V_m: np.ndarray | None = field(default=None, repr=False)
    quasi_fermi_V: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "voltages_V": self.voltages_V,
            "current_density_A_m2": self.current_density_A_m2,
            "max_continuity_error": float(np.max(self.continuity_error)),
            "newton_iterations": self.newton_iterations,
        }


def mott_gurney_current(voltage_V, *, thickness_m: float, eps_r: float, mobility_m2_Vs: float):
    """Mott-Gurney law J = (9/8) eps0 eps_r mu V^2 / L^3 (Li 2024 Eq. 1), A/m^2."""
    v = np.asarray(voltage_V, dtype=float)
    return 9.0 / 8.0 * EPS0 * eps_r * mobility_m2_Vs * v * np.abs(v) / thickness_m**3


def grid(n_points: int, stretch: float = 2.0) -> np.ndarray:
    """Normalised grid on [0, 1], refined towards both ends (tanh stretching)."""
    if n_points < 8:
        raise InputError(f"need at least 8 grid points, got {n_points}")
    xi = np.linspace(-1.0, 1.0, n_points)
    x = 0.5 * (1.0 + np.tanh(stretch * xi) / np.tanh(stretch))
    x[0], x[-1] = 0.0, 1.0
    return x


# --- statistics tables ------------------------------------------------------------------


@lru_cache(maxsize=64)
def _gauss_fermi_table(s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln(n/N) and r on an eta grid of step 0.125 (cubic Hermite error ~1e-8)."""
    eta = np.arange(-(s * s) - 5.0 * s - 30.0, 40.0 + 0.125, 0.125)
    ln_n, r = log_density_gauss_fermi(eta, s)
    for arr in (eta, ln_n, r):
        arr.setflags(write=False)
    return eta, ln_n, r


class _LogDensity:
    """ln(p/N)(eta) and r = d ln p / d eta; Gauss-Fermi via a cubic Hermite table.

    The table is built once per solve from the quadrature of :mod:`statistics` (its
    derivative r is exact there), so the interpolant and its derivative are consistent,
    which keeps the Newton Jacobian exact.
    """

    def __init__(self, kind: str, s: float | None) -> None:
        self.kind = kind
        self.s = s
        if kind == "gauss-fermi":
            from scipy.interpolate import CubicHermiteSpline  # only Gauss-Fermi needs it

            assert s is not None
            # Below lo the Fermi factor is 1 to < 1e-13 over the occupied states and the
            # Boltzmann tail ln n = eta + s^2/2 is exact; eta > 40 is never physical here.
            self.lo = -(s * s) - 5.0 * s - 30.0
            self.hi = 40.0
            eta, ln_n, r = _gauss_fermi_table(round(s, 12))
            self.spline = CubicHermiteSpline(eta, ln_n, r)
            self.dspline = self.spline.derivative()
            self.eta_table, self.ln_table = eta, ln_n

    def __call__(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "boltzmann":
            return log_density_boltzmann(eta)
        s = self.s
        e = np.clip(eta, self.lo, self.hi)
        ln_n = self.spline(e)
        r = self.dspline(e)
        tail = eta < self.lo
        if np.any(tail):
            ln_n = np.where(tail, eta + 0.5 * s * s, ln_n)
            r = np.where(tail, 1.0, r)
        return ln_n, r

    def inverse(self, ln_p: np.ndarray) -> np.ndarray:
        """eta for a given ln(p/N) (used for initial guesses only)."""
        if self.kind == "boltzmann":
            return np.asarray(ln_p, dtype=float)
        lp = np.asarray(ln_p, dtype=float)
        eta = np.interp(lp, self.ln_table, self.eta_table)
        return np.where(lp < self.ln_table[0], lp - 0.5 * self.s**2, eta)


# --- Bernoulli function -----------------------------------------------------------------


def _bernoulli(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B(y) = y / (e^y - 1) and B'(y), stable for all y."""
    small = np.abs(y) < 1e-4
    ys = np.where(small, 1.0, y)
    with np.errstate(over="ignore"):
        em1 = np.expm1(ys)
        b = np.where(small, 1.0 - 0.5 * y + y * y / 12.0, ys / em1)
    # B' = B (1 - B) / y - B  (from d ln B / dy = 1/y - 1 - B/y)
    db = np.where(small, -0.5 + y / 6.0, b * (1.0 - b) / ys - b)
    return b, db


# --- the discrete system ----------------------------------------------------------------


class _System:
    """Residual and banded Jacobian of the scaled equations for one device/model."""

    def __init__(self, device, mobility, statistics: Statistics, x: np.ndarray) -> None:
        self.device = device
        self.mobility = mobility
        self.stats = statistics
        kt = K_B_EV * device.temperature_K  # eV, = V_t in volts
        self.vt = kt
        self.n_sites = statistics.site_density_m3
        s = None if statistics.kind == "boltzmann" else statistics.sigma_eV / kt
        self.logdens = _LogDensity(statistics.kind, s)
        self.x = x
        self.h = np.diff(x)
        self.w = 0.5 * (self.h[:-1] + self.h[1:])
        L = device.thickness_m
        self.eps = EPS0 * device.eps_r
        self.lam2 = self.eps * kt / (Q_E * self.n_sites * L * L)
        self.mu_ref = mobility.reference_m2_Vs
        self.j_scale = Q_E * self.mu_ref * self.n_sites * kt / L  # A/m^2
        self.e_scale = kt / (self.h * L)  # V/m per unit of Delta u on each edge

    # boundary values -------------------------------------------------------------------
    def offsets(self, voltage: float) -> np.ndarray:
        """Per-node offset c of both u and phi: 0 in the anode half, -V/V_t in the other.

        The hole electrochemical potential is 0 at the anode and -V/V_t at the cathode.
        Storing u - c and phi - c keeps the numbers small next to *both* contacts, so the
        tiny differences of phi across an accumulation layer are not lost to rounding
        (the flux there is a small difference of huge drift and diffusion terms).
        """
        return np.where(self.x >= 0.5, -voltage / self.vt, 0.0)

    def boundary(self, voltage: float, barrier_a: float, barrier_c: float):
        """(u0, phi0, uN, phiN) relative to :meth:`offsets`."""
        eta_a = -barrier_a / self.vt
        eta_c = -barrier_c / self.vt
        return -eta_a, 0.0, -eta_c, 0.0

    # edge fluxes -----------------------------------------------------------------------
    def fluxes(self, u: np.ndarray, phi: np.ndarray, c: np.ndarray, want_jac: bool = True):
        # Far-off Newton iterates may overflow; they give non-finite residuals, which the
        # Newton loop treats as failure (the step is then halved), so no warnings here.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._fluxes(u, phi, c, want_jac)

    def _fluxes(self, u, phi, c, want_jac):
        eta = phi - u
        lnp, r = self.logdens(eta)
        p = np.exp(lnp)
        # slices, not np.diff (the same differences; np.diff's overhead was ~5% of a fit)
        dc = c[1:] - c[:-1]
        a = (u[1:] - u[:-1]) + dc
        if self.stats.kind == "boltzmann":
            g = np.ones_like(a)
            dg0 = dg1 = np.zeros_like(a)
        else:
            d = eta[1:] - eta[:-1]
            ell = lnp[1:] - lnp[:-1]
            ok = np.abs(d) > 1e-7
            ell_s = np.where(ok, ell, 1.0)
            g = np.where(ok, d / ell_s, 0.5 * (1.0 / r[:-1] + 1.0 / r[1:]))
            dg1 = np.where(ok, (1.0 - g * r[1:]) / ell_s, 0.0)
            dg0 = np.where(ok, -(1.0 - g * r[:-1]) / ell_s, 0.0)
        y = a / g
        bp, dbp = _bernoulli(y)
        bm, dbm = _bernoulli(-y)
        p0, p1 = p[:-1], p[1:]
        S = p0 * bp - p1 * bm
        T = p0 * dbp + p1 * dbm
        # Same flux in Slotboom form, free of the cancellation between the huge drift and
        # diffusion terms of an accumulation layer: with g = D eta / D ln p,
        # p0 B(y) - p1 B(-y) = -p0 B(y) expm1(D phi / g), D phi = D eta + D u.
        dphi = (phi[1:] - phi[:-1]) + dc
        Q = -g * p0 * bp * np.expm1(dphi / g)
        p_edge = np.exp(0.5 * (lnp[:-1] + lnp[1:])) * self.n_sites
        e_abs = np.abs(a) * self.e_scale
        mu, dlnmu_dlnp, dlnmu_de = self.mobility.evaluate(p_edge, e_abs)
        muh = mu / self.mu_ref
        j = muh * Q / self.h
        if not want_jac:
            return j, p, r, None
        pref = muh / self.h
        dq_dg = S - y * T
        dj_da = pref * (T + Q * dlnmu_de * np.sign(a) * self.e_scale)
        dj_de0 = pref * (g * bp * p0 * r[:-1] + dq_dg * dg0 + Q * dlnmu_dlnp * 0.5 * r[:-1])
        dj_de1 = pref * (-g * bm * p1 * r[1:] + dq_dg * dg1 + Q * dlnmu_dlnp * 0.5 * r[1:])
        # (d/du0, d/dphi0, d/du1, d/dphi1) with eta = phi - u and a = u1 - u0
        jac = (-dj_da - dj_de0, dj_de0, dj_da - dj_de1, dj_de1)
        return j, p, r, jac

    def residual(self, u, phi, c, want_jac=True):
        """Residual vector [P_1, C_1, P_2, C_2, ...] and banded Jacobian (l = u = 3)."""
        n = u.size
        m = n - 2
        j, p, r, jac = self.fluxes(u, phi, c, want_jac)
        lam2, h, w = self.lam2, self.h, self.w
        pi = p[1:-1]
        res = np.empty(2 * m)
        slope = ((u[1:] - u[:-1]) + (c[1:] - c[:-1])) / h
        res[0::2] = lam2 * (slope[1:] - slope[:-1]) + pi * w
        with np.errstate(invalid="ignore", over="ignore"):
            res[1::2] = j[1:] - j[:-1]
        if not want_jac:
            return res, j, None
        # Banded storage ab[3 + row - col, col]; every block below is one diagonal, so it is
        # written with a strided slice (rows P_i = 2k, C_i = 2k+1; cols u_i = 2k, phi_i = 2k+1).
        ab = np.zeros((7, 2 * m))
        pr = pi * r[1:-1] * w
        du0, dphi0, du1, dphi1 = jac  # per edge; edge i joins nodes i and i+1
        # Poisson rows P_i (row 2k)
        ab[3, 0::2] = -lam2 * (1.0 / h[1:] + 1.0 / h[:-1]) - pr  # u_i
        ab[2, 1::2] = pr  # phi_i (col = row + 1)
        ab[5, 0:-2:2] = lam2 / h[1:-1]  # u_{i-1}: row 2k, col 2k-2 -> stored at col 2k-2
        ab[1, 2::2] = lam2 / h[1:-1]  # u_{i+1}: row 2k, col 2k+2
        # Continuity rows C_i (row 2k+1) = J_i - J_{i-1}
        ab[4, 0::2] = du0[1:] - du1[:-1]  # u_i (row - col = 1)
        ab[3, 1::2] = dphi0[1:] - dphi1[:-1]  # phi_i
        ab[2, 2::2] = du1[1:-1]  # u_{i+1} (row - col = -1)
        ab[1, 3::2] = dphi1[1:-1]  # phi_{i+1} (row - col = -2)
        ab[6, 0:-2:2] = -du0[1:-1]  # u_{i-1} (row - col = 3)
        ab[5, 1:-2:2] = -dphi0[1:-1]  # phi_{i-1} (row - col = 2)
        return res, j, ab


@dataclass
class _State:
    """u = psi/V_t - c and phi/kT - c, with the per-node offset c (see _System.offsets)."""

    u: np.ndarray
    phi: np.ndarray
    c: np.ndarray

    def absolute(self) -> tuple[np.ndarray, np.ndarray]:
        return self.u + self.c, self.phi + self.c

    @classmethod
    def from_absolute(cls, u: np.ndarray, phi: np.ndarray, c: np.ndarray) -> _State:
        return cls(u - c, phi - c, c)


def _solve_band3(ab: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``scipy.linalg.solve_banded((3, 3), ab, b)``: the same LAPACK ``gbsv`` call on the same
    storage, so the same numbers, without SciPy's argument checks and array-API dispatch
    (45 us instead of 119 us for a 200-node device; a J-V fit makes ~10^4 of them)."""
    (gbsv,) = get_lapack_funcs(("gbsv",), (ab, b))
    lab = np.empty((10, ab.shape[1]))
    lab[:3] = 0.0  # gbsv's room for the fill-in of its LU factors
    lab[3:] = ab
    _, _, x, info = gbsv(3, 3, lab, b, overwrite_ab=True, overwrite_b=True)
    if info > 0:
        raise LinAlgError("singular matrix")
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of gbsv")
    return x


def _newton(system: _System, state: _State, bc, *, max_iter: int, tol: float, max_step: float):
    """Damped Newton; returns (state, iterations) or raises _NoConvergence."""
    u = state.u.copy()
    phi = state.phi.copy()
    u[0], phi[0], u[-1], phi[-1] = bc
    for it in range(1, max_iter + 1):
        res, _, ab = system.residual(u, phi, state.c)
        if not np.all(np.isfinite(res)):
            raise _NoConvergence(it, float("nan"))
        try:
            delta = _solve_band3(ab, -res)
        except (LinAlgError, ValueError):
            raise _NoConvergence(it, float("nan")) from None
        size = float(np.max(np.abs(delta))) if delta.size else 0.0
        if not np.isfinite(size):
            raise _NoConvergence(it, size)
        if size > max_step:
            delta *= max_step / size
        u[1:-1] += delta[0::2]
        phi[1:-1] += delta[1::2]
        if size < tol:
            return _State(u, phi, state.c), it
    raise _NoConvergence(max_iter, size)


class _NoConvergence(Exception):
    def __init__(self, iterations: int, last_step: float) -> None:
        super().__init__(iterations, last_step)
        self.iterations = iterations
        self.last_step = last_step


def _equilibrium_guess(system: _System, bc) -> _State:
    """Accumulation-layer (Langmuir) profile from each contact, p = 2 eps kT/(q^2 (x+x0)^2)."""
    x = system.x
    u0, phi0, un, phin = bc
    lnp_a, _ = system.logdens(np.array([phi0 - u0]))
    lnp_c, _ = system.logdens(np.array([phin - un]))
    lam2 = system.lam2
    x0a = np.sqrt(2.0 * lam2 / np.exp(lnp_a[0]))
    x0c = np.sqrt(2.0 * lam2 / np.exp(lnp_c[0]))
    ln_left = np.log(2.0 * lam2) - 2.0 * np.log(x + x0a)
    ln_right = np.log(2.0 * lam2) - 2.0 * np.log(1.0 - x + x0c)
    lnp = np.maximum(ln_left, ln_right)
    eta = system.logdens.inverse(lnp)
    phi = phi0 + (phin - phi0) * x
    u = phi - eta
    u[0], phi[0], u[-1], phi[-1] = bc
    return _State(u, phi, np.zeros_like(x))


def _image_force_barriers(system: _System, state: _State, device: Device) -> tuple[float, float]:
    """Barriers lowered by sqrt(q E / (4 pi eps)) at a contact whose field injects holes."""
    du = np.diff(state.u) + np.diff(state.c)
    e0 = -du[0] * system.e_scale[0]  # V/m, > 0 pushes holes to +x
    en = -du[-1] * system.e_scale[-1]
    low_a = np.sqrt(Q_E * max(e0, 0.0) / (4.0 * np.pi * system.eps))
    low_c = np.sqrt(Q_E * max(-en, 0.0) / (4.0 * np.pi * system.eps))
    return device.barrier_anode_eV - low_a, device.barrier_cathode_eV - low_c


def solve_jv(
    voltages_V,
    *,
    device: Device,
    mobility,
    statistics: Statistics | None = None,
    n_points: int = 200,
    stretch: float = 2.0,
    tol: float = 1e-9,
    max_iter: int = 40,
    keep_profiles: bool = False,
) -> JVSolution:
    """Solve the steady state at each voltage (V, anode relative to cathode).

    Parameters
    ----------
    voltages_V
        Applied voltages (any order; solved along a continuation path from 0 V).
    device
        Layer and contacts (:class:`Device`).
    mobility
        A mobility model with ``evaluate(p, |E|)`` and ``reference_m2_Vs``, e.g.
        :class:`~nctransport.device.mobility.EGDMMobility`.
    statistics
        :class:`Statistics`; default Boltzmann with N = 1e27 m^-3.
    n_points, stretch
        Grid size and refinement towards the contacts.
    tol, max_iter
        Newton tolerance (max update, in units of kT) and iteration limit per step.
    keep_profiles
        Also return density, potential, field and quasi-Fermi level profiles.

    Returns
    -------
    JVSolution

    Raises
    ------
    ConvergenceError
        When Newton fails even after step halving; the message names the voltage.

    Examples
    --------
    >>> from nctransport.device.mobility import ConstantMobility
    >>> sol = solve_jv([0.0, 5.0], device=Device(110e-9, 3.5), mobility=ConstantMobility(1e-10),
    ...                n_points=120)
    >>> j_mg = mott_gurney_current(5.0, thickness_m=110e-9, eps_r=3.5, mobility_m2_Vs=1e-10)
    >>> j = sol.current_density_A_m2
    >>> bool(abs(j[0]) < 1e-12), round(float(j[1] / j_mg), 1)
    (True, 1.3)
    """
    stats = statistics or Statistics()
    v_in = np.atleast_1d(np.asarray(voltages_V, dtype=float))
    if v_in.size == 0 or not np.all(np.isfinite(v_in)):
        raise InputError("voltages must be finite and non-empty")
    if np.max(np.abs(v_in)) > 1000.0:
        raise InputError(f"voltage {float(np.max(np.abs(v_in))):g} V is outside [-1000, 1000] V")
    x = grid(n_points, stretch)
    system = _System(device, mobility, stats, x)
    state = _equilibrium(system, device, stats, mobility, x, tol, max_iter)

    n_v = v_in.size
    j_out = np.empty(n_v)
    cont = np.empty(n_v)
    iters = np.zeros(n_v, dtype=int)
    profiles: dict[int, _State] = {}
    order = np.argsort(v_in)
    positives = [i for i in order if v_in[i] >= 0]
    negatives = [i for i in order[::-1] if v_in[i] < 0]
    for branch in (positives, negatives):
        st, v_prev, prev2 = state, 0.0, None
        for i in branch:
            st_new, it, prev2 = _continue_to(
                system, device, st, v_prev, v_in[i], prev2, tol, max_iter
            )
            st, v_prev = st_new, v_in[i]
            iters[i] = it
            j_out[i], cont[i] = _current(system, st)
            if not (np.isfinite(j_out[i]) and cont[i] < MAX_CONTINUITY_ERROR):
                # Newton stopped moving but the discrete current is not constant: the
                # problem is beyond double precision here (e.g. sigma/kT far above ~12).
                raise ConvergenceError(
                    f"no converged solution at V = {v_in[i]:.6g} V: the current varies by "
                    f"{cont[i]:.3g} (relative) across the device"
                )
            profiles[i] = st
    sol_kw = {}
    if keep_profiles:
        dens, pot, qf = [], [], []
        for i in range(n_v):
            st_i = profiles[i]
            dens.append(np.exp(system.logdens(st_i.phi - st_i.u)[0]))
            ua, pa = st_i.absolute()
            # Report potentials with the cathode at 0 V (anode at V).
            pot.append((ua - pa[-1]) * system.vt)
            qf.append((pa - pa[-1]) * system.vt)
        dens, pot, qf = np.array(dens), np.array(pot), np.array(qf)
        sol_kw = dict(
            density_m3=dens * system.n_sites,
            potential_V=pot,
            field_V_m=-np.gradient(pot, x * device.thickness_m, axis=1),
            quasi_fermi_V=qf,
        )
    return JVSolution(
        voltages_V=v_in,
        current_density_A_m2=j_out,
        continuity_error=cont,
        newton_iterations=iters,
        x_m=x * device.thickness_m,
        **sol_kw,
    )


def _current(system: _System, st: _State) -> tuple[float, float]:
    j, _, _, _ = system.fluxes(st.u, st.phi, st.c, want_jac=False)
    jm = float(np.mean(j))
    spread = float(np.max(j) - np.min(j))
    # Relative to |J|; in equilibrium (J ~ 0 in units of q mu N V_t / L) the absolute spread.
    return jm * system.j_scale, (spread / abs(jm) if abs(jm) > 1e-12 else spread)


def _barriers_for(system, device, st):
    if device.image_force:
        return _image_force_barriers(system, st, device)
    return device.barrier_anode_eV, device.barrier_cathode_eV


def _solve_at(system, device, guess: _State, voltage, tol, max_iter):
    """Newton at one voltage; with image-force lowering, a fixed-point loop around it."""
    ba, bc_ = device.barrier_anode_eV, device.barrier_cathode_eV
    if device.image_force:
        ba, bc_ = _image_force_barriers(system, guess, device)
    st, it = _newton(
        system, guess, system.boundary(voltage, ba, bc_), max_iter=max_iter, tol=tol, max_step=5.0
    )
    if not device.image_force:
        return st, it
    for _ in range(60):
        na, nc = _image_force_barriers(system, st, device)
        if abs(na - ba) < 1e-7 and abs(nc - bc_) < 1e-7:
            return st, it
        ba, bc_ = ba + 0.7 * (na - ba), bc_ + 0.7 * (nc - bc_)  # under-relaxed
        st, it2 = _newton(
            system, st, system.boundary(voltage, ba, bc_), max_iter=max_iter, tol=tol, max_step=5.0
        )
        it += it2
    raise _NoConvergence(it, float("nan"))


#: Above this reduced disorder sigma/kT the equilibrium is always reached by continuation in
#: disorder: a direct Newton solve there converges or not depending on rounding (LAPACK build,
#: SIMD exp), so the outcome would not be reproducible across machines.
DIRECT_EQUILIBRIUM_MAX_S = 8.0


def _equilibrium(system, device, stats, mobility, x, tol, max_iter) -> _State:
    bc = system.boundary(0.0, device.barrier_anode_eV, device.barrier_cathode_eV)
    kt = system.vt
    s_target = None if stats.kind != "gauss-fermi" else stats.sigma_eV / kt
    if s_target is None or s_target <= DIRECT_EQUILIBRIUM_MAX_S:
        guess = _equilibrium_guess(system, bc)
        try:
            st = _solve_at(system, device, guess, 0.0, tol, 4 * max_iter)[0]
            if s_target is None or _current(system, st)[1] < MAX_CONTINUITY_ERROR:
                return st
        except _NoConvergence as exc:
            if s_target is None:
                raise ConvergenceError(
                    f"equilibrium (V = 0 V) did not converge after {exc.iterations} Newton "
                    f"iterations (last update {exc.last_step:.3g} kT)"
                ) from None
    # Continuation in sigma/kT: solve a weakly disordered DOS first, then widen it.
    st = None
    for s in np.linspace(min(2.0, s_target), s_target, max(8, int(np.ceil(s_target)))):
        mob = mobility
        if hasattr(mobility, "sigma_eV"):  # the same disorder in the mobility (EGDM)
            mob = dataclasses.replace(mobility, sigma_eV=s * kt)
        sub = system if s == s_target and mob is mobility else None
        if sub is None:
            sub = _System(device, mob, dataclasses.replace(stats, sigma_eV=s * kt), x)
        start = _equilibrium_guess(sub, bc) if st is None else st
        try:
            st = _solve_at(sub, device, start, 0.0, tol, 4 * max_iter)[0]
        except _NoConvergence as exc:
            raise ConvergenceError(
                f"equilibrium (V = 0 V) did not converge at sigma/kT = {s:.3g} "
                f"(continuation in disorder) after {exc.iterations} Newton iterations"
            ) from None
    return st


def _continue_to(system, device, st, v_from, v_to, prev2, tol, max_iter):
    """Step from v_from to v_to with a secant predictor, halving the step on failure."""
    v, cur, hist = v_from, st, prev2
    total_it = 0
    step = v_to - v_from
    halvings = 0
    while v != v_to:
        target = v_to if abs(v_to - v) <= abs(step) else v + step
        guess = _predict(system, cur, v, target, hist)
        try:
            new, it = _solve_at(system, device, guess, target, tol, max_iter)
        except _NoConvergence as exc:
            halvings += 1
            if halvings > 14:
                raise ConvergenceError(
                    f"no convergence at V = {target:.6g} V (stepping from {v:.6g} V) after "
                    f"{exc.iterations} Newton iterations; last update {exc.last_step:.3g} kT"
                ) from None
            step = 0.5 * (target - v)
            continue
        total_it += it
        hist = (cur, v)
        cur, v = new, target
    return cur, total_it, hist


def _predict(system, cur: _State, v: float, target: float, hist) -> _State:
    dv = target - v
    c_new = system.offsets(target)
    u, phi = cur.absolute()
    if hist is not None and hist[1] != v:
        prev, v_prev = hist
        f = dv / (v - v_prev)
        pu, pphi = prev.absolute()
        return _State.from_absolute(u + f * (u - pu), phi + f * (phi - pphi), c_new)
    # First step: add the voltage change as a linear drop across the layer.
    lin = -(dv / system.vt) * system.x
    return _State.from_absolute(u + lin, phi + lin, c_new)
