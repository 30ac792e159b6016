"""An independent drift-diffusion + Poisson solver (scipy.integrate.solve_bvp) for tests.

Holes only, Boltzmann statistics, Ohmic contacts p(0) = p(L) = N, mobility mu(E) (constant or
Poole-Frenkel mu0 exp(gamma sqrt|E|)), D = mu kT / q. Dimensionless (xi = x / L, u = psi / V_t,
e = E L / V_t, n = p / N, j = J L / (q mu0 N V_t), lam2 = eps V_t / (q N L^2)):

    du/dxi = -e,   de/dxi = n / lam2,   d ln n / dxi = e - j / (m(e) n),

with m = mu / mu0; boundary conditions u(0) = V / V_t, u(1) = 0, ln n(0) = ln n(1) = 0 and
j a free parameter. Continuation in V from equilibrium. It shares no code with
nctransport.device.drift_diffusion (Scharfetter-Gummel finite volumes + Newton).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import e as Q
from scipy.constants import epsilon_0 as EPS0
from scipy.constants import k as KB
from scipy.integrate import solve_bvp


def bvp_jv(voltages, *, mu0, gamma=0.0, thickness, eps_r, temperature=297.0, n_sites=1e27):
    vt = KB * temperature / Q
    lam2 = EPS0 * eps_r * vt / (Q * n_sites * thickness**2)
    e_scale = vt / thickness  # V/m per unit of e

    def m(e):
        # sqrt|E| smoothed below 1e4 V/m (a sliver of the layer; there mu changes by < 3 %)
        return np.exp(gamma * (np.hypot(e * e_scale, 1e4)) ** 0.5)

    def rhs(xi, y, p):
        u, e, ln_n = y
        n = np.exp(ln_n)
        return np.vstack([-e, n / lam2, e - p[0] / (m(e) * n)])

    x = np.concatenate([np.geomspace(1e-7, 0.5, 100)[:-1], 1 - np.geomspace(0.5, 1e-7, 100)])
    x = np.concatenate([[0.0], x, [1.0]])
    x0 = np.sqrt(2 * lam2)
    ln_n = np.maximum(
        np.log(2 * lam2) - 2 * np.log(x + x0), np.log(2 * lam2) - 2 * np.log(1 - x + x0)
    )
    e = np.gradient(np.zeros_like(x))
    # equilibrium field from Poisson with the Langmuir profile: e = -2/(xi + x0) near 0 etc.
    e = -2.0 / (x + x0) * (x < 0.5) + 2.0 / (1 - x + x0) * (x >= 0.5)
    y = np.vstack([np.zeros_like(x), e, ln_n])
    p = np.array([0.0])
    out = []
    v_done = 0.0
    for v_target in sorted(voltages):
        steps = max(1, int(np.ceil((v_target - v_done) / 0.25)))
        for v in np.linspace(v_done, v_target, steps + 1)[1:] if v_target > v_done else [v_target]:
            uv = v / vt
            y[0] = y[0] + (uv - y[0][0]) * (1 - x) if y[0][0] != uv else y[0]

            def bc(ya, yb, p, uv=uv):
                return np.array([ya[0] - uv, yb[0], ya[2], yb[2]])

            sol = solve_bvp(rhs, bc, x, y, p=p, tol=1e-6, max_nodes=100000)
            if not sol.success:
                raise RuntimeError(f"solve_bvp failed at V = {v}: {sol.message}")
            x, y, p = sol.x, sol.y, sol.p
        v_done = v_target
        out.append(p[0] * Q * mu0 * n_sites * vt / thickness)
    order = np.argsort(np.argsort(voltages))
    return np.array(out)[order]


#: The stored reference curves (tests/device/data/bvp_reference.json) and how they were made.
CASES = {
    "constant_110nm": dict(mu0=4.4e-11, gamma=0.0, thickness=110e-9),
    "poole_frenkel_110nm": dict(mu0=2e-11, gamma=3e-4, thickness=110e-9),
}
VOLTAGES = [0.5, 0.87055056, 1.51571657, 2.63901582, 4.59479342, 8.0]  # geomspace(0.5, 8, 6)
EPS_R, TEMPERATURE = 3.5, 297.0


def main() -> None:
    import json
    from pathlib import Path

    out = {"voltages_V": VOLTAGES, "eps_r": EPS_R, "temperature_K": TEMPERATURE}
    for name, kw in CASES.items():
        j = bvp_jv(VOLTAGES, eps_r=EPS_R, temperature=TEMPERATURE, **kw)
        out[name] = {**kw, "current_density_A_m2": [float(x) for x in j]}
    path = Path(__file__).with_name("data") / "bvp_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
