"""Bornschlegl 2024: the bright/dark emission MSD that rises and falls ("negative diffusion").

Two presets are compared with what the paper reports for 5 nm NC superlattices at 9 K:

* ``bright-dark``: the paper's Monte Carlo parameters as printed (Experimental Section):
  per 25 ps step gamma_B = 0.03, gamma_D = 0.0003, gamma_BD = 0.15, gamma_DB = 0,
  gamma_FRET = 0.09, excitons created half bright, half dark.
* ``bright-dark-fitted``: gamma_B, gamma_BD and gamma_D refitted (by :func:`fit_rates`, the
  rate equations below) so that the model gives the paper's observables: ~58 % of photons
  from the dark state (Sec. 2.2, Fig. S10), PL 1/e time ~0.8 ns (the tau_PL gamma_B was
  said to reproduce) and an MSD that rises for 1-2 ns (Fig. 2a: maximum at ~1.5 ns).

Rate equations of the fixed-step competing model (one channel per step; only bright
excitons hop, to 4 nearest and 4 next-nearest neighbours at gamma_FRET and gamma_FRET/8,
which adds 2 gamma_FRET + 4 gamma_FRET/8 = 2.25 gamma_FRET a^2 of per-axis variance per step):
B' = B (1 - gB - gBD) + D gDB, D' = D (1 - gD - gDB) + B gBD, and the per-axis second
moments of the displacements M_B, M_D follow the same flows plus B 2.25 gF for M_B. The
emission MSD is (gB M_B + gD M_D) / (gB B + gD D) (docs/science.md: PL from bright and
dark states weighted by their radiative rates).
"""

from __future__ import annotations

import numpy as np

from nctransport.kmc.presets import load_preset
from nctransport.reproduce import ReproductionResult, ReproductionRow
from nctransport.reproduce._sim import (
    Moments,
    block_seeds,
    fmt,
    jackknife,
    one_over_e_time,
    peak_time,
    run_moments,
)

PAPER = "Bornschlegl 2024, Fig. 2a,e"
STEP_NS = 0.025  # the paper's 25 ps step
#: Sec. 2.2 (5 nm NCs, 10 K): ~58 % of photons from the dark state (tau_B 480 ps, tau_D 52 ns)
PAPER_DARK_SHARE = 0.58
#: Experimental Section: gamma_B = 0.03 "to reproduce ... tau_PL = 0.8 ns"
PAPER_PL_1E_NS = 0.8
#: Fig. 2a: the MSD "increases rapidly and nearly linearly within the first one to two
#: nanoseconds", plateaus, and is back to 0 after four ns (5 nm SLs, 9 K)
PAPER_TMAX_NS = (1.0, 2.0)
PAPER_TMAX_TARGET_NS = 1.5

FULL = {"particles": 200_000, "blocks": 10}
QUICK = {"particles": 6000, "blocks": 4}


def rate_equations(
    gamma_b: float,
    gamma_d: float,
    gamma_bd: float,
    gamma_db: float = 0.0,
    gamma_fret: float = 0.09,
    bright0: float = 0.5,
    steps: int = 800,
) -> dict[str, np.ndarray]:
    """Expected populations and emission MSD (per axis, in lattice units^2) per step.

    >>> r = rate_equations(0.03, 0.0003, 0.15)
    >>> round(float(r["bright"][1]), 4)  # 0.5 (1 - 0.03 - 0.15)
    0.41
    """
    s2 = 2.25 * gamma_fret  # per-axis variance added per step by a bright exciton's hops
    b, d, mb, md = bright0, 1.0 - bright0, 0.0, 0.0
    out = np.empty((steps, 4))
    for n in range(steps):
        out[n] = b, d, mb, md
        stay_b, stay_d = 1.0 - gamma_b - gamma_bd, 1.0 - gamma_d - gamma_db
        b, d, mb, md = (
            b * stay_b + d * gamma_db,
            d * stay_d + b * gamma_bd,
            mb * stay_b + b * s2 + md * gamma_db,
            md * stay_d + mb * gamma_bd,
        )
    intensity = gamma_b * out[:, 0] + gamma_d * out[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        msd = (gamma_b * out[:, 2] + gamma_d * out[:, 3]) / intensity
    return {
        "t_ns": np.arange(steps) * STEP_NS,
        "bright": out[:, 0],
        "dark": out[:, 1],
        "intensity": intensity,
        "msd": msd,
    }


def dark_photon_share(gamma_b: float, gamma_bd: float, bright0: float = 0.5) -> float:
    """Share of photons from the dark state when gamma_DB = 0 and decay is radiative.

    Every dark exciton emits; a bright one ends dark with probability gBD / (gB + gBD).

    >>> round(dark_photon_share(0.03, 0.15), 4)  # the paper's rates: 11/12
    0.9167
    """
    return (1.0 - bright0) + bright0 * gamma_bd / (gamma_b + gamma_bd)


def observables(gamma_b, gamma_d, gamma_bd, gamma_db=0.0, gamma_fret=0.09, bright0=0.5):
    """Dark-photon share, PL 1/e time (ns), MSD maximum time (ns), MSD(4 ns)/max."""
    r = rate_equations(gamma_b, gamma_d, gamma_bd, gamma_db, gamma_fret, bright0)
    t, msd = r["t_ns"], r["msd"]
    k4 = int(np.argmin(np.abs(t - 4.0)))
    return {
        "dark_share": dark_photon_share(gamma_b, gamma_bd, bright0)
        if gamma_db == 0
        else float("nan"),
        "pl_1e_ns": one_over_e_time(t, r["intensity"]),
        "t_max_ns": peak_time(t, msd),
        "msd_4ns_over_max": float(msd[k4] / np.nanmax(msd)),
    }


def fit_rates(
    dark_share: float = PAPER_DARK_SHARE,
    pl_1e_ns: float = PAPER_PL_1E_NS,
    t_max_ns: float = PAPER_TMAX_TARGET_NS,
    gamma_fret: float = 0.09,
    bright0: float = 0.5,
) -> dict[str, float]:
    """gamma_B, gamma_BD, gamma_D (per 25 ps step) that give the three observables.

    Three equations, three unknowns, solved by least squares in log space (relative
    residuals); gamma_DB = 0 (9 K), gamma_FRET and the initial bright share as printed.
    This is how ``bright-dark-fitted.toml`` was obtained.
    """
    from scipy.optimize import least_squares

    def resid(p):
        gb, gbd, gd = np.exp(p)
        o = observables(gb, gd, gbd, 0.0, gamma_fret, bright0)
        return [
            o["dark_share"] / dark_share - 1,
            o["pl_1e_ns"] / pl_1e_ns - 1,
            o["t_max_ns"] / t_max_ns - 1,
        ]

    sol = least_squares(resid, np.log([0.03, 0.006, 0.003]), xtol=1e-12, ftol=1e-12)
    gb, gbd, gd = (float(v) for v in np.exp(sol.x))
    return {
        "gamma_b": gb,
        "gamma_bd": gbd,
        "gamma_d": gd,
        "max_residual": float(np.max(np.abs(sol.fun))),
    }


def _rates(name: str) -> dict[str, float]:
    from nctransport.kmc.config import si

    cfg = load_preset(name)
    step = si(cfg.step, "s")
    b, d = cfg.states["bright"], cfg.states["dark"]
    return {
        "gamma_b": si(b.radiative, "1/s", step=step) * step,
        "gamma_d": si(d.radiative, "1/s", step=step) * step,
        "gamma_bd": si(b.to["dark"], "1/s", step=step) * step,
        "gamma_db": si(d.to["bright"], "1/s", step=step) * step,
        "gamma_fret": si(cfg.hops.rate, "1/s", step=step) * step,
        "bright0": b.initial / (b.initial + d.initial),
    }


def _sim_dark_share(m: Moments, gb: float, gbd: float) -> float:
    """Photons from the dark state / all photons: frames every step, plus the tails."""
    b, d = m.population("bright"), m.population("dark")
    kb, kd = m.krad
    dt = float(m.times[1] - m.times[0])
    # after the last frame (gamma_DB = 0): every dark exciton still emits; a bright one
    # emits or turns dark in the ratio of their rates (gB : gBD)
    bright_ph = kb * b.sum() * dt + b[-1] * gb / (gb + gbd)
    dark_ph = kd * d.sum() * dt + d[-1] + b[-1] * gbd / (gb + gbd)
    return float(dark_ph / (dark_ph + bright_ph))


def measure(name: str, *, particles: int, blocks: int, seed: int) -> dict:
    """Simulated observables of preset ``name`` with jackknife CIs over ``blocks`` repetitions."""
    cfg = load_preset(name, {"particles": str(max(1, particles // blocks))})
    rates = _rates(name)
    runs = [run_moments(cfg, s) for s in block_seeds(seed, blocks)]
    t_ns = runs[0].times * 1e9
    k4 = int(np.argmin(np.abs(t_ns - 4.0)))
    a2 = 1.0 / (7e-9) ** 2  # lattice units^2 (spacing 7 nm)
    out = {
        "dark_share": jackknife(
            runs, lambda m: _sim_dark_share(m, rates["gamma_b"], rates["gamma_bd"]), ""
        ),
        "pl_1e_ns": jackknife(
            runs, lambda m: one_over_e_time(t_ns, m.population("emission")), "ns"
        ),
        "t_max_ns": jackknife(runs, lambda m: peak_time(t_ns, m.msd("emission")), "ns"),
        "msd_max_a2": jackknife(runs, lambda m: np.nanmax(m.msd("emission")) * a2, "a^2"),
        "msd_4ns_over_max": jackknife(
            runs, lambda m: m.msd("emission")[k4] / np.nanmax(m.msd("emission")), ""
        ),
    }
    total = runs[0]
    for r in runs[1:]:
        total = total + r
    out["t_ns"] = t_ns
    out["msd_a2"] = total.msd("emission") * a2
    out["tracer_a2"] = total.tracer("emission") * a2
    out["particles"] = particles
    return out


def run(*, quick: bool = False, seed: int = 1) -> ReproductionResult:
    s = QUICK if quick else FULL
    cmd = "nctransport reproduce bright-dark" + (" --quick" if quick else "")
    res = {}
    theory = {}
    for name in ("bright-dark", "bright-dark-fitted"):
        rates = _rates(name)
        theory[name] = (rates, observables(**rates), rate_equations(**rates))
        res[name] = measure(name, particles=s["particles"], blocks=s["blocks"], seed=seed)
    fitted = fit_rates()
    p, f = res["bright-dark"], res["bright-dark-fitted"]
    tp, tf = theory["bright-dark"][1], theory["bright-dark-fitted"][1]
    rf = theory["bright-dark-fitted"][0]
    n_part = f"{s['particles']:,} excitons in {s['blocks']} repetitions"

    def agrees(e, lo, hi):
        return None if e.ci95 is None else bool(e.ci95[1] >= lo and e.ci95[0] <= hi)

    rows = (
        ReproductionRow(
            "dark-photon share, paper's rates (bright-dark)",
            "~58 % (PL decay, Sec. 2.2)",
            fmt(p["dark_share"].scaled(100, "%")),
            False,
            f"rate equations: 50 % + 50 % x 0.15/(0.15+0.03) = 11/12 = "
            f"{100 * tp['dark_share']:.1f} %: the printed rates are inconsistent with the "
            "paper's own PL decay (not our bug).",
        ),
        ReproductionRow(
            "PL 1/e time, paper's rates",
            f"~{PAPER_PL_1E_NS:g} ns (what gamma_B was set to reproduce)",
            fmt(p["pl_1e_ns"]),
            False,
            f"rate equations {tp['pl_1e_ns']:.3g} ns: the bright state is left at "
            "gamma_B + gamma_BD = 0.18 per 25 ps, not 0.03; gamma_B = 0.03 alone is 1/0.83 ns.",
        ),
        ReproductionRow(
            "emission MSD maximum t_max, paper's rates",
            "MSD rises for ~1-2 ns (Fig. 2a)",
            fmt(p["t_max_ns"]),
            False,
            f"rate equations {tp['t_max_ns']:.3g} ns; MSD(4 ns)/max = "
            f"{fmt(p['msd_4ns_over_max'])} (paper: back to ~0). Rise and fall reproduced, "
            "on a 3-4x shorter time scale.",
        ),
        ReproductionRow(
            "dark-photon share, fitted rates (bright-dark-fitted)",
            "~58 %",
            fmt(f["dark_share"].scaled(100, "%")),
            agrees(f["dark_share"].scaled(100, "%"), 55, 61),
            f"gamma_B = {rf['gamma_b']:.4g}, gamma_BD = {rf['gamma_bd']:.4g}, gamma_D = "
            f"{rf['gamma_d']:.4g} per 25 ps (gamma_FRET = 0.09, gamma_DB = 0, half bright at "
            f"t = 0), from fit_rates() on the rate equations (refit now: "
            f"{fitted['gamma_b']:.4g}, {fitted['gamma_bd']:.4g}, {fitted['gamma_d']:.4g}).",
        ),
        ReproductionRow(
            "PL 1/e time, fitted rates",
            f"~{PAPER_PL_1E_NS:g} ns",
            fmt(f["pl_1e_ns"]),
            agrees(f["pl_1e_ns"], 0.75, 0.85),
            f"rate equations {tf['pl_1e_ns']:.3g} ns.",
        ),
        ReproductionRow(
            "emission MSD maximum t_max, fitted rates",
            "~1-2 ns (fit target 1.5 ns)",
            fmt(f["t_max_ns"]),
            agrees(f["t_max_ns"], *PAPER_TMAX_NS),
            f"rate equations {tf['t_max_ns']:.3g} ns; {n_part}.",
        ),
        ReproductionRow(
            "MSD(4 ns) / MSD max, fitted rates",
            "~0 (5 nm SLs, 9 K)",
            fmt(f["msd_4ns_over_max"]),
            False,
            f"rate equations {tf['msd_4ns_over_max']:.2g}. Not reached together with 58 % "
            "dark photons and a 0.8 ns PL: the fitted dark lifetime "
            f"({STEP_NS / rf['gamma_d']:.3g} ns, paper's PL: 52 ns) makes dark emission take "
            "over only slowly, and excitons that turned dark after hopping keep their "
            "displacement. The paper's observables do not fit one set of these rates.",
        ),
    )

    def figure(ax):
        for name, style in (("bright-dark", "C0"), ("bright-dark-fitted", "C1")):
            r = res[name]
            ax.plot(
                r["t_ns"],
                r["msd_a2"],
                color=style,
                lw=1,
                label=f"{name}: simulation (exact moments)",
            )
            te = theory[name][2]
            ax.plot(te["t_ns"], te["msd"], "--", color=style, label=f"{name}: rate equations")
        ax.axvspan(*PAPER_TMAX_NS, color="#999999", alpha=0.25, label="paper: MSD maximum 1-2 ns")
        ax.plot([4.0], [0.0], "kv", label="paper: MSD back to ~0 at 4 ns")
        ax.set_xlim(0, 6)
        ax.set_xlabel("time (ns)")
        ax.set_ylabel("emission MSD per axis (lattice spacing$^2$)")
        ax.set_title(PAPER)
        ax.legend(fontsize=7)
        return ax

    data = {
        name: {
            "rates_per_step": theory[name][0],
            "rate_equations": theory[name][1],
            "simulation": {
                k: (v.to_dict() if hasattr(v, "to_dict") else v)
                for k, v in res[name].items()
                if k not in ("t_ns", "msd_a2", "tracer_a2")
            },
        }
        for name in res
    }
    data["refit"] = fitted
    return ReproductionResult(
        name="bright-dark",
        paper=PAPER,
        command=cmd,
        rows=rows,
        data=data,
        quick=quick,
        figure=figure,
    )
