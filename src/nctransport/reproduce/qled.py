"""Li 2024 (hole transport in blue QLEDs): the device numbers, end to end.

A synthetic hole-only device with the paper's EGDM parameters (sigma = 0.12 eV, a = 2.8 nm,
L = 110 nm, eps_r = 3.5) and mu0 chosen so that the Mott-Gurney mobility at 297 K is the
paper's 4.4e-11 m^2/Vs is put through the same analyses as the paper: Mott-Gurney SCLC with
its diffusion-corrected counterpart, the SCLC mobility at the transient-EL field, the field in
the QLED stack at 4 V, Arrhenius over 217-297 K, J L^3 scaling over 63.5-130 nm and the EGDM
fit at several temperatures. Where the paper's numbers cannot all hold at once, the row says
why. ``examples/make_data.py`` makes the bundled J-V files from the constants below.
"""

from __future__ import annotations

import numpy as np

from nctransport.reproduce import ReproductionResult, ReproductionRow

#: The synthetic device (Li 2024: 110 nm QD layer, EGDM sigma 0.12 eV, a 2.8 nm).
THICKNESS_M = 110e-9
EPS_R = 3.5
SIGMA_EV = 0.12
A_M = 2.8e-9
#: EGDM mu0 giving the paper's Mott-Gurney mu(297 K) = 4.4e-11 m^2/Vs (calibrated with
#: ``sclc`` on the noise-free 297 K curve; the zero-density zero-field EGDM mobility
#: mu0 exp(-0.42 (sigma/kT)^2) is then ~2e-12, the SCLC densities enhance it ~20x).
MU0_M2_VS = 2.1e-8
NOISE = 0.02
VOLTAGES_V = tuple(float(x) for x in np.round(np.geomspace(0.2, 8.0, 24), 4))

# Li 2024's reported numbers.
PAPER_MU_297K = 4.4e-11
PAPER_ACTIVATION_EV = 0.30
PAPER_MU_INF = 4.5e-6
PAPER_SQRT_FIELD = 458.8  # (V/cm)^0.5 at 4 V in the QLED
PAPER_TEL_MU = 9.1e-11
PAPER_J_RATIO = 5.0
PAPER_MU_AT_FIELD = 2.2e-10
#: The QLED of the TEL measurement: PEDOT:PSS 25 nm / TFB 25 nm / QD 30 nm / ZnMgO 40 nm.
QLED_STACK = (("25nm", 3.0), ("25nm", 3.0), ("qd", 3.0), ("40nm", 3.0))
QLED_QD_M = 30e-9

COMMAND = "nctransport reproduce qled"


def synthetic_jv(
    temperature_K: float,
    *,
    thickness_m: float = THICKNESS_M,
    n_points: int = 160,
    voltages=VOLTAGES_V,
    noise: float = NOISE,
    seed: int | None = None,
):
    """J (A/m^2) of the synthetic device at ``voltages``; multiplicative noise with a seed."""
    from nctransport.device.fit import simulate_egdm_jv

    v = np.asarray(voltages, dtype=float)
    j = simulate_egdm_jv(
        v,
        temperature_K=temperature_K,
        sigma_eV=SIGMA_EV,
        mu0_m2_Vs=MU0_M2_VS,
        a_m=A_M,
        thickness_m=thickness_m,
        eps_r=EPS_R,
        n_points=n_points,
    )
    if seed is not None and noise > 0:
        j = j * np.exp(noise * np.random.default_rng(seed).standard_normal(v.size))
    return v, j


def _dataset(v, j, temperature_K, thickness_m):
    from nctransport.dataset import make_dataset

    return make_dataset(
        j,
        {"V": v},
        signal_units="A/m**2",
        signal_name="J",
        attrs={
            "temperature": f"{temperature_K:g} K",
            "thickness": f"{thickness_m * 1e9:g} nm",
            "name": f"jv_{temperature_K:.0f}K_{thickness_m * 1e9:g}nm",
        },
    )


def _ci(e_value, ci, fmt="{:.3g}") -> str:
    return f"{fmt.format(e_value)} [{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def run(*, quick: bool, seed: int) -> ReproductionResult:
    """The Li 2024 device rows (``quick``: fewer voltages, temperatures and grid points)."""
    from nctransport.device.workflow import fit_jv, sclc, stack_field, tel

    n_pts = 60 if quick else 160
    volts = VOLTAGES_V[::2] if quick else VOLTAGES_V
    temps = (217.0, 257.0, 297.0) if quick else (217.0, 237.0, 257.0, 277.0, 297.0)
    rng = np.random.default_rng(seed)
    datasets = []
    for t in temps:
        v, j = synthetic_jv(t, n_points=n_pts, voltages=volts, seed=int(rng.integers(2**31)))
        datasets.append(_dataset(v, j, t, THICKNESS_M))
    e_tel = PAPER_SQRT_FIELD**2 * 100.0  # (V/cm)^0.5 -> V/m
    s = sclc(datasets, eps_r=EPS_R, at_field=e_tel, n_points=n_pts)
    f297 = s.files[-1]
    dd = f297.get("mobility_drift_diffusion") or {}
    at = f297["at_field"]
    arr = s.arrhenius
    rows = [
        ReproductionRow(
            "Mott-Gurney hole mobility mu(297 K)",
            "4.4e-11 m^2/Vs",
            _ci(f297["mobility_m2_Vs"], f297["mobility_ci95_m2_Vs"]) + " m^2/Vs",
            bool(
                f297["mobility_ci95_m2_Vs"][0] * 0.95
                <= PAPER_MU_297K
                <= f297["mobility_ci95_m2_Vs"][1] * 1.05
            ),
            "an input here: the synthetic device's mu0 = 2.1e-8 m^2/Vs is chosen to give it; "
            "the drift-diffusion (diffusion-corrected, constant-mobility) value is "
            + (_ci(dd["value_m2_V_s"], dd["ci95_m2_V_s"]) if dd else "n/a")
            + " m^2/Vs",
        ),
        ReproductionRow(
            "J / J_Mott-Gurney at the TEL field (V = E L = 2.32 V at 110 nm)",
            "~5",
            f"{at['j_over_mott_gurney']:.2f}",
            False,
            "an EGDM with sigma = 0.12 eV, a = 2.8 nm and the 4.4e-11 low-field mobility "
            "enhances the current only this much at 2.3 V; the paper's 5x is not reachable "
            "with its own fit parameters at this field",
        ),
        ReproductionRow(
            "SCLC mobility at the TEL field",
            "~2.2e-10 m^2/Vs",
            f"{at['mobility_m2_Vs']:.3g} m^2/Vs",
            False,
            "= mu_MG x J/J_MG (the paper's procedure); low for the reason above. The paper "
            "also calls 2.2e-10 'in excellent agreement' with the TEL 9.1e-11 (a factor 2.4)",
        ),
    ]
    # Field in the QD layer of the QLED at 4 V (Li 2024: E^0.5 = 458.8 (V/cm)^0.5).
    e_plain = 4.0 / QLED_QD_M
    e_stack = stack_field(
        4.0, layers=[(25e-9, 3.0), (25e-9, 3.0), (30e-9, 3.0), (40e-9, 3.0)], index=2
    )
    vbi_needed = 4.0 - e_tel * 120e-9
    rows.append(
        ReproductionRow(
            "E^0.5 in the QD layer at 4 V",
            "458.8 (V/cm)^0.5",
            f"{np.sqrt(e_stack / 100):.1f} (stack, V_bi = 0); {np.sqrt(e_plain / 100):.0f} "
            "(V / d_QD)",
            False,
            f"458.8 follows from (V - V_bi) / d_stack over the 120 nm stack with V_bi = "
            f"{vbi_needed:.2f} V, which the paper does not state (nor the layer permittivities)",
        )
    )
    # TEL: a synthetic I_out(pulse width) with the transit time the paper's mobility implies.
    tau = QLED_QD_M / (PAPER_TEL_MU * e_tel)
    from nctransport.dataset import make_dataset

    w = np.linspace(2e-6, 100e-6, 30)
    pulse = make_dataset(
        2.0 * np.clip(w - tau, 0, None), {"t": w}, signal_units="arb", signal_name="integrated EL"
    )
    r_tel = tel(
        pulse, thickness="30nm", voltage="4V", built_in=f"{vbi_needed}V", stack=list(QLED_STACK)
    )
    mu_tel = r_tel.files[0]["mobility_m2_Vs"]
    rows.append(
        ReproductionRow(
            "TEL hole mobility at 4 V",
            "9.1e-11 m^2/Vs",
            f"{mu_tel:.3g} m^2/Vs",
            None,
            f"the paper gives no transit time; {tau * 1e6:.1f} us is what its mobility and field "
            "imply for the 30 nm QD layer, and `tel` with that stack and V_bi returns it",
        )
    )
    if arr is not None:
        k_b = 8.617333262e-5
        implied = PAPER_MU_INF * np.exp(-PAPER_ACTIVATION_EV / (k_b * 297.0))
        rows += [
            ReproductionRow(
                "activation energy of mu_MG (217-297 K)",
                "0.30 eV",
                _ci(arr.activation_eV, arr.activation_ci95_eV, "{:.3f}") + " eV",
                bool(arr.activation_ci95_eV[0] <= PAPER_ACTIVATION_EV <= arr.activation_ci95_eV[1]),
                "the paper's own EGDM (sigma = 0.12 eV) gives this over 217-297 K; 0.30 eV "
                "would need a wider DOS. The two reported results are not consistent",
            ),
            ReproductionRow(
                "Arrhenius prefactor mu_inf",
                "4.5e-6 m^2/Vs",
                _ci(arr.mu_inf_m2_Vs, arr.mu_inf_ci95_m2_Vs) + " m^2/Vs",
                bool(arr.mu_inf_ci95_m2_Vs[0] <= PAPER_MU_INF <= arr.mu_inf_ci95_m2_Vs[1]),
                f"the paper's 4.5e-6 exp(-0.30 eV / kT) at 297 K is {implied:.2g}, not its "
                "4.4e-11 (rounding: 0.295 eV or 5.4e-6 would agree); ours follows the lower "
                "activation energy",
            ),
        ]
    # Thickness series (Li 2024: 63.5-130 nm collapse as J L^3).
    thick = (63.5e-9, 90e-9, 130e-9) if quick else (63.5e-9, 90e-9, 110e-9, 130e-9)
    series = []
    for L in thick:
        v, j = synthetic_jv(
            297.0, thickness_m=L, n_points=n_pts, voltages=volts, seed=int(rng.integers(2**31))
        )
        series.append(_dataset(v, j, 297.0, L))
    ts = sclc(series, eps_r=EPS_R, drift_diffusion=False).thickness_series
    lo, hi = ts.exponent_ci95
    rows.append(
        ReproductionRow(
            "thickness scaling J ~ L^-m (63.5-130 nm)",
            "m = 3 (J L^3 collapses)",
            _ci(ts.exponent, ts.exponent_ci95, "{:.2f}"),
            bool(hi >= 2.9 and lo <= 3.1),
            "in the devices' common slope-2 range: the paper's own EGDM (density- and "
            "field-dependent mobility) makes thinner layers conduct more than L^-3 says; a "
            "constant mobility gives 3.0 (tests/device). The paper's J L^3 collapse and its "
            "EGDM fit are not both exact",
        )
    )
    # EGDM fit of all temperatures at once (Li 2024 Fig. 6).
    fit = fit_jv(
        datasets,
        model="egdm",
        a=f"{A_M}m",
        fit_a=not quick,
        noise=NOISE,
        points=n_pts,
        ci="curvature" if quick else "auto",
    )
    p = fit.parameters
    rows.append(
        ReproductionRow(
            "EGDM DOS width sigma",
            "0.12 eV",
            _ci(p["sigma_eV"].value, p["sigma_eV"].ci95, "{:.4f}") + " eV",
            bool(p["sigma_eV"].ci95[0] <= SIGMA_EV <= p["sigma_eV"].ci95[1]),
            "recovered from curves made with it: a check of the fit, not of the paper",
        )
    )
    if "a_m" in p:
        rows.append(
            ReproductionRow(
                "EGDM hopping distance a",
                "2.8 nm",
                _ci(
                    p["a_m"].value * 1e9, (p["a_m"].ci95[0] * 1e9, p["a_m"].ci95[1] * 1e9), "{:.3f}"
                )
                + " nm",
                bool(p["a_m"].ci95[0] <= A_M <= p["a_m"].ci95[1]),
                "fitted together with sigma and mu0 (correlated; CIs from well-scaled coordinates)",
            )
        )
    data = {
        "temperatures_K": list(temps),
        "mobility_mott_gurney_m2_Vs": [f["mobility_m2_Vs"] for f in s.files],
        "mobility_drift_diffusion_m2_Vs": [
            (f.get("mobility_drift_diffusion") or {}).get("value_m2_V_s") for f in s.files
        ],
        "thickness_exponent": ts.exponent,
    }

    def figure(ax):
        t = np.array(temps)
        ax.semilogy(1000 / t, data["mobility_mott_gurney_m2_Vs"], "o", label="ours, Mott-Gurney")
        tt = np.linspace(t.min(), t.max(), 20)
        ax.semilogy(
            1000 / tt,
            PAPER_MU_INF * np.exp(-PAPER_ACTIVATION_EV / (8.617e-5 * tt)),
            "--",
            label="Li 2024: 4.5e-6 exp(-0.30 eV/kT)",
        )
        ax.set_xlabel("1000 / T (1/K)")
        ax.set_ylabel("μ (m²/Vs)")
        ax.legend(fontsize=7)

    return ReproductionResult(
        name="qled",
        paper="Li 2024, hole-only QD devices and QLED (Figs. 2, 4-6)",
        command=COMMAND + (" --quick" if quick else ""),
        rows=tuple(rows),
        data=data,
        quick=quick,
        warnings=tuple(s.warnings),
        figure=figure,
    )
