"""Generate the bundled example data in ``examples/data/`` with nctransport's own models.

Run from the repository root (takes a few seconds)::

    .venv/bin/python examples/make_data.py

Every file states its truth in its metadata (``# truth_...`` lines) so the demo's reports
can be read against it:

* ``tplm_map.csv`` -- a TPLM line scan (wide CSV, ``t [ns] \\ x [um]``, photon counts) made
  by :func:`nctransport.microscopy.synthetic.synthetic_map`: a Gaussian spot of per-axis
  sigma0 = 110 nm spreading with per-axis D = 0.05 cm^2/s (MSD = 2 D t, docs/science.md),
  decaying with tau = 2.5 ns (Shcherbakov-Wu 2024's CsPbBr3 NC lifetime) seen through a Gaussian
  instrument response (FWHM 0.12 ns), Poisson-counted.
* ``jv_220K.csv``, ``jv_260K.csv``, ``jv_297K.csv`` -- hole-only J-V curves of a 110 nm QD
  layer solved by :func:`nctransport.device.drift_diffusion.solve_jv` with the EGDM mobility
  and Gauss-Fermi statistics at Li 2024's fit (sigma = 0.12 eV, a = 2.8 nm) and
  mu0 = 2.1e-8 m^2/Vs, chosen so that the *Mott-Gurney* mobility of the 297 K curve is Li
  2024's 4.4e-11 m^2/Vs (the paper's 4.4e-11 is a Mott-Gurney mobility, not the EGDM
  zero-density limit, which is ~2e-12 here), with 2 % multiplicative noise (fixed seed).
  The constants live in :mod:`nctransport.reproduce.qled`, which reproduces the paper's rows.

* ``ta_spectra.csv`` -- a transient-absorption bleach map ``t [ps] \\ energy [eV]`` whose peak
  red-shifts exponentially (time constant 2 ps) to Delta E = -sigma^2 / (2 kT) (Liu 2021,
  :func:`nctransport.photophysics.disorder.bleach_shift`) for sigma_inh = 50 meV at 300 K,
  with Gaussian noise.

The outputs are deterministic: the same code gives the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.special import erfc

from nctransport.io import load
from nctransport.io.atomic import write_text
from nctransport.reproduce import qled as QLED

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

# ---- TPLM map truth (SI) ---------------------------------------------------------------
MAP_D_M2_S = 0.05e-4  # 0.05 cm^2/s, per axis
MAP_SIGMA0_M = 110e-9  # Shcherbakov-Wu 2024: pump FWHM ~250 nm -> sigma ~106 nm
MAP_LIFETIME_S = 2.5e-9  # Shcherbakov-Wu 2024: tau = 2.5 ns
MAP_IRF_SIGMA_S = 0.05e-9  # instrument response (Gaussian), FWHM 0.12 ns
MAP_PEAK_COUNTS = 400.0
MAP_BACKGROUND_COUNTS = 3.0

# ---- J-V truth (Li 2024; one source of truth with the reproduction) -------------------
JV_THICKNESS_M = QLED.THICKNESS_M
JV_EPS_R = QLED.EPS_R
JV_SIGMA_EV = QLED.SIGMA_EV
JV_A_M = QLED.A_M
JV_MU0_M2_VS = QLED.MU0_M2_VS
JV_TEMPERATURES_K = (220.0, 260.0, 297.0)
JV_NOISE = QLED.NOISE


def _fmt(v: float) -> str:
    return f"{v + 0.0:.6g}"  # no "-0"


def make_tplm_map(path: Path, seed: int = 20251123) -> Path:
    """Write the TPLM line-scan CSV; return its path."""
    from nctransport.microscopy.synthetic import synthetic_map

    t = np.round(np.arange(-0.5, 8.0 + 1e-9, 0.1), 6) * 1e-9  # 5 pre-pulse frames
    x = np.round(np.arange(-1.0, 1.0 + 1e-9, 0.025), 6) * 1e-6  # 81 pixels of 25 nm
    # The pulse peaks at t = 0 but the instrument response starts before it: build the map
    # on a time axis shifted by `lead` (synthetic_map shows nothing before its own zero),
    # with an IRF-convolved exponential population and transport starting at the pulse.
    lead = -float(t[0])
    tau, s = MAP_LIFETIME_S, MAP_IRF_SIGMA_S

    def population(tt: np.ndarray) -> np.ndarray:
        # exp(-t/tau) convolved with a unit-area Gaussian of std s (exponentially modified
        # Gaussian); peak-normalised below so MAP_PEAK_COUNTS stays the peak.
        u = np.asarray(tt) - lead
        return (
            0.5
            * np.exp(s * s / (2 * tau * tau) - u / tau)
            * erfc((s * s / tau - u) / (np.sqrt(2) * s))
        )

    peak = population(np.linspace(0, lead + 1e-9, 20001)).max()
    ds = synthetic_map(
        t + lead,
        x,
        sigma0=MAP_SIGMA0_M,
        msd=lambda tt: 2.0 * MAP_D_M2_S * np.clip(np.asarray(tt) - lead, 0.0, None),
        population=lambda tt: population(tt) / peak,
        amplitude=MAP_PEAK_COUNTS,
        background=MAP_BACKGROUND_COUNTS,
        noise="poisson",
        seed=seed,
    )
    counts = np.asarray(ds["signal"].values)
    lines = [
        "# technique: TPLM",
        "# sample: CsPbBr3 nanocrystal film (synthetic, examples/make_data.py)",
        "# temperature: 295 K",
        "# wavelength: 405 nm",
        "# power: 10 nW",
        "# rep_rate: 2.5 MHz",
        "# pixel_size: 25 nm",
        "# signal: PL",
        "# signal_units: counts",
        f"# truth_diffusivity: {MAP_D_M2_S * 1e4:g} cm2/s (per axis)",
        f"# truth_sigma0: {MAP_SIGMA0_M * 1e9:g} nm",
        f"# truth_lifetime: {MAP_LIFETIME_S * 1e9:g} ns",
        f"# truth_irf_fwhm: {MAP_IRF_SIGMA_S * 2.3548e9:.3g} ns",
        "t [ns] \\ x [um]," + ",".join(_fmt(v * 1e6) for v in x),
    ]
    for ti, row in zip(t, counts, strict=True):
        lines.append(_fmt(ti * 1e9) + "," + ",".join(str(int(c)) for c in row))
    write_text(path, "\n".join(lines) + "\n")
    return path


# ---- TA spectra truth (Liu 2021) -------------------------------------------------------
TA_SIGMA_INH_EV = 0.050
TA_TEMPERATURE_K = 300.0
TA_E0_EV = 1.40
TA_WIDTH_EV = 0.045
TA_TAU_SHIFT_S = 2e-12


def make_ta_spectra(path: Path, seed: int = 7) -> Path:
    """Write the transient-absorption map with a red-shifting bleach; return its path."""
    from nctransport.photophysics.disorder import bleach_shift

    shift = bleach_shift(TA_SIGMA_INH_EV, TA_TEMPERATURE_K)  # eV, negative
    t = np.round(np.arange(-1.0, 20.0 + 1e-9, 0.5), 6) * 1e-12
    e = np.round(np.arange(1.25, 1.55 + 1e-9, 0.004), 6)
    tp = np.clip(t, 0.0, None)
    centre = TA_E0_EV + shift * (1.0 - np.exp(-tp / TA_TAU_SHIFT_S))
    amp = np.where(t >= 0.0, -1e-3 * np.exp(-tp / 200e-12), 0.0)  # bleach: negative dT/T
    signal = amp[:, None] * np.exp(-((e[None, :] - centre[:, None]) ** 2) / (2 * TA_WIDTH_EV**2))
    signal = signal + np.random.default_rng(seed).normal(0.0, 1.5e-5, signal.shape)
    lines = [
        "# technique: TA",
        "# sample: PbS quantum-dot solid (synthetic, examples/make_data.py)",
        f"# temperature: {TA_TEMPERATURE_K:g} K",
        "# signal: dT/T",
        "# signal_units: 1",
        f"# truth_sigma_inh: {TA_SIGMA_INH_EV * 1e3:g} meV",
        f"# truth_shift: {shift * 1e3:.4g} meV",
        f"# truth_shift_time_constant: {TA_TAU_SHIFT_S * 1e12:g} ps",
        "t [ps] \\ energy [eV]," + ",".join(_fmt(v) for v in e),
    ]
    for ti, row in zip(t, signal, strict=True):
        lines.append(_fmt(ti * 1e12) + "," + ",".join(f"{v:.4e}" for v in row))
    write_text(path, "\n".join(lines) + "\n")
    return path


def make_jv(path: Path, temperature_K: float, seed: int) -> Path:
    """Write one EGDM J-V CSV at ``temperature_K``; return its path."""
    mu0 = JV_MU0_M2_VS
    voltages, j = QLED.synthetic_jv(temperature_K, n_points=160, noise=JV_NOISE, seed=seed)
    lines = [
        "# technique: J-V (hole-only device)",
        "# sample: QD hole-only diode (synthetic, examples/make_data.py)",
        f"# temperature: {temperature_K:g} K",
        f"# thickness: {JV_THICKNESS_M * 1e9:g} nm",
        f"# truth_model: EGDM, Gauss-Fermi, sigma {JV_SIGMA_EV} eV, a {JV_A_M * 1e9:g} nm",
        f"# truth_mu0: {mu0:.4g} m2/Vs",
        f"# truth_eps_r: {JV_EPS_R:g}",
        "V [V],J [A/m2]",
    ]
    lines += [f"{v:g},{ji:.6g}" for v, ji in zip(voltages, j, strict=True)]
    write_text(path, "\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    written = [make_tplm_map(out / "tplm_map.csv")]
    written.append(make_ta_spectra(out / "ta_spectra.csv"))
    for i, temp in enumerate(JV_TEMPERATURES_K):
        written.append(make_jv(out / f"jv_{temp:.0f}K.csv", temp, seed=1000 + i))
    for p in written:
        ds = load(p)  # every file must read back through the project's own reader
        print(
            f"{p.relative_to(out.parent) if out.parent in p.parents else p}: "
            f"{ds.attrs['kind']} {dict(ds.sizes)} {p.stat().st_size / 1e3:.1f} kB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
