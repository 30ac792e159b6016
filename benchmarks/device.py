"""Device speed, end to end and in the kernel.

1. End to end (issue 17): CPU time of ``nctransport device simulate`` of a 41-point J-V with
   its report (constant mobility, 110 nm, 0..10 V), beyond the CPU of
   ``python -c "import numpy, scipy.sparse"`` (target <= 1.5 s), and as a ratio to a plain
   ``scipy.integrate.solve_bvp`` script solving the same device (drift-diffusion + Poisson,
   Boltzmann, Ohmic contacts, continuation in V). All three run as subprocesses, interleaved,
   in the same run; medians of ``--repeat``.
2. Kernel: wall and CPU time (best of ``--repeat``) of the 41-point solve with the EGDM +
   Gauss-Fermi next to the constant mobility, then a 3-temperature EGDM fit.

    .venv/bin/python benchmarks/device.py [--repeat 3] [--points 200] [--no-fit] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nctransport.device.drift_diffusion import Device, Statistics, _gauss_fermi_table, solve_jv
from nctransport.device.fit import JVCurve, fit_egdm, simulate_egdm_jv
from nctransport.device.mobility import ConstantMobility, EGDMMobility

L, EPS_R, A, SIGMA, MU0 = 110e-9, 3.5, 2.8e-9, 0.12, 2.1e-8
VOLTAGES = np.linspace(0.0, 10.0, 41)


def best_of(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


#: The plain-scipy reference: the same device solved by solve_bvp (dimensionless variables
#: u = psi/V_t, e = E L/V_t, ln n = ln p/N; j = J L/(q mu N V_t) a free parameter).
BVP_SCRIPT = r"""
import numpy as np
from scipy.integrate import solve_bvp
q, kb, eps0 = 1.602176634e-19, 1.380649e-23, 8.8541878128e-12
L, eps_r, T, N, mu = 110e-9, 3.5, 297.0, 1e27, 4.4e-11
vt = kb * T / q
lam2 = eps0 * eps_r * vt / (q * N * L * L)
def rhs(x, y, p):
    return np.vstack([-y[1], np.exp(y[2]) / lam2, y[1] - p[0] * np.exp(-y[2])])
g = np.geomspace(1e-7, 0.5, 100)
x = np.concatenate([[0.0], g[:-1], 1 - g[::-1], [1.0]])
x0 = np.sqrt(2 * lam2)
ln_n = np.maximum(np.log(2 * lam2) - 2 * np.log(x + x0), np.log(2 * lam2) - 2 * np.log(1 - x + x0))
y = np.vstack([np.zeros_like(x), -2 / (x + x0) * (x < 0.5) + 2 / (1 - x + x0) * (x >= 0.5), ln_n])
p, out = np.array([0.0]), []
for v in np.linspace(0.0, 10.0, 41):
    uv = v / vt
    y[0] = y[0] + (uv - y[0][0]) * (1 - x)
    sol = solve_bvp(rhs, lambda a, b, p: np.array([a[0] - uv, b[0], a[2], b[2]]), x, y, p=p,
                    tol=1e-6, max_nodes=100000)
    assert sol.success, sol.message
    x, y, p = sol.x, sol.y, sol.p
    out.append(p[0] * q * mu * N * vt / L)
print(out[-1])
"""


def _child_cpu(cmd: list[str]) -> tuple[float, str]:
    """CPU seconds (user + sys) of a child process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.stdout


def end_to_end(repeat: int) -> None:
    exe = Path(sys.executable)
    cli = exe.with_name("nctransport")
    base_cmd = [str(exe), "-c", "import numpy, scipy.sparse"]
    bvp_cmd = [str(exe), "-c", BVP_SCRIPT]
    rows = {"baseline": [], "ours": [], "solve_bvp": []}
    j_ours = j_bvp = None
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            out = os.path.join(tmp, f"sim{k}")
            ours_cmd = [
                str(cli),
                "device",
                "simulate",
                "--model",
                "constant",
                "--statistics",
                "boltzmann",
                "--site-density",
                "1e27m-3",
                "--mobility",
                "4.4e-11m2/V/s",
                "--thickness",
                "110nm",
                "--eps-r",
                "3.5",
                "--voltages",
                "0:10:41",
                "--out",
                out,
            ]
            rows["baseline"].append(_child_cpu(base_cmd)[0])
            cpu, _ = _child_cpu(ours_cmd)
            rows["ours"].append(cpu)
            cpu, text = _child_cpu(bvp_cmd)
            rows["solve_bvp"].append(cpu)
            j_bvp = float(text.split()[-1])
            j_ours = float(Path(out, "jv.csv").read_text().strip().splitlines()[-1].split(",")[1])
    med = {k: float(np.median(v)) for k, v in rows.items()}
    beyond = med["ours"] - med["baseline"]
    print(f"end to end, 41-point J-V with report (median CPU of {repeat}, subprocesses):")
    print(f"  python -c 'import numpy, scipy.sparse' : {med['baseline']:.2f} s")
    print(
        f"  nctransport device simulate           : {med['ours']:.2f} s "
        f"({beyond:.2f} s beyond the imports; target <= 1.5 s)"
    )
    print(f"  plain scipy solve_bvp script          : {med['solve_bvp']:.2f} s")
    print(f"  ratio ours / solve_bvp                : {med['ours'] / med['solve_bvp']:.2f}")
    print(
        f"  J(10 V): ours {j_ours:.5g}, solve_bvp {j_bvp:.5g} A/m2 "
        f"(differ {abs(j_ours / j_bvp - 1):.2%})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--no-fit", action="store_true")
    ap.add_argument("--quick", action="store_true", help="end-to-end case only, 1 repeat")
    args = ap.parse_args()
    end_to_end(1 if args.quick else args.repeat)
    if args.quick:
        return

    def constant():
        return solve_jv(
            VOLTAGES,
            device=Device(L, EPS_R),
            mobility=ConstantMobility(4.4e-11),
            statistics=Statistics("boltzmann", 1e27),
            n_points=args.points,
        )

    def egdm(temperature=297.0):
        _gauss_fermi_table.cache_clear()  # include the Gauss-Fermi table build every time
        return solve_jv(
            VOLTAGES,
            device=Device(L, EPS_R, temperature_K=temperature),
            mobility=EGDMMobility(MU0, SIGMA, A, temperature),
            statistics=Statistics("gauss-fermi", 1 / A**3, SIGMA),
            n_points=args.points,
        )

    constant(), egdm()  # warm-up (imports, caches)
    wc, cc = best_of(constant, args.repeat)
    we, ce = best_of(egdm, args.repeat)
    we2, ce2 = best_of(lambda: egdm(217.0), args.repeat)
    print(f"grid points: {args.points}, voltages: {VOLTAGES.size} (0..10 V), best of {args.repeat}")
    print(f"constant mobility, Boltzmann  : wall {wc:.3f} s  cpu {cc:.3f} s")
    print(f"EGDM, Gauss-Fermi, 297 K      : wall {we:.3f} s  cpu {ce:.3f} s")
    print(f"EGDM, Gauss-Fermi, 217 K      : wall {we2:.3f} s  cpu {ce2:.3f} s")
    print(f"ratio EGDM(297 K) / constant  : {ce / cc:.2f} (cpu)")
    if args.no_fit:
        return
    rng = np.random.default_rng(1)
    v = np.geomspace(0.3, 10.0, 15)
    curves = []
    for t in (217.0, 257.0, 297.0):
        j = simulate_egdm_jv(
            v,
            temperature_K=t,
            sigma_eV=SIGMA,
            mu0_m2_Vs=MU0,
            a_m=A,
            thickness_m=L,
            eps_r=EPS_R,
            n_points=args.points,
        )
        curves.append(JVCurve(v, j * np.exp(rng.normal(0, 0.03, v.size)), t))
    w0, c0 = time.perf_counter(), time.process_time()
    fit = fit_egdm(
        curves,
        thickness_m=L,
        eps_r=EPS_R,
        a_m=A,
        sigma_init_eV=0.09,
        relative_noise=0.03,
        n_points=args.points,
    )
    wf, cf = time.perf_counter() - w0, time.process_time() - c0
    print(
        f"3-temperature EGDM fit (15 V each): wall {wf:.2f} s  cpu {cf:.2f} s; "
        f"sigma = {fit.sigma_eV:.4f} eV [{fit.sigma_ci95_eV[0]:.4f}, {fit.sigma_ci95_eV[1]:.4f}]"
        f", mu0 = {fit.mu0_m2_Vs:.3g} m2/Vs (true 0.12 eV, 2.1e-08)"
    )


if __name__ == "__main__":
    main()
