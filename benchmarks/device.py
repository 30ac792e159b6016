"""Device solver speed: 41-point J-V (EGDM + Gauss-Fermi) next to a constant-mobility solve.

Prints wall and CPU time (best of ``--repeat``) and the ratio EGDM / constant measured in the
same run, then the time of a 3-temperature EGDM fit (sigma, mu0) to solver-made data.

    .venv/bin/python benchmarks/device.py [--repeat 3] [--points 200] [--no-fit]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nctransport.device.drift_diffusion import Device, Statistics, _gauss_fermi_table, solve_jv
from nctransport.device.fit import JVCurve, fit_egdm, simulate_egdm_jv
from nctransport.device.mobility import ConstantMobility, EGDMMobility

L, EPS_R, A, SIGMA, MU0 = 110e-9, 3.5, 2.8e-9, 0.12, 4.5e-7
VOLTAGES = np.linspace(0.0, 10.0, 41)


def best_of(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--no-fit", action="store_true")
    args = ap.parse_args()

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
        f", mu0 = {fit.mu0_m2_Vs:.3g} m2/Vs (true 0.12 eV, 4.5e-07)"
    )


if __name__ == "__main__":
    main()
