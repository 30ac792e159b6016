"""One line with the headline numbers of any command's results (for reports and indexes).

Given a result object (anything with the result protocol's ``summary_rows()``), the line is
built from the result's own rows, so reports, indexes and the CLI show the same numbers.
Given only a ``results.json`` dict (an index of folders written earlier, the demo), it reads
the layouts of ``analyze``, ``kinetics``, ``simulate``, ``device sclc|fit`` and ``spectra``;
anything else gives an empty line rather than a guess.
"""

from __future__ import annotations

from typing import Any

from nctransport.report.html import format_interval, format_number, format_value_error

__all__ = ["summarize", "summarize_result"]


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def _with_ci(value: Any, ci: Any, unit: str) -> str:
    text = format_number(value)
    if isinstance(ci, list) and len(ci) == 2:
        text += f" {unit} (95% CI {format_interval(ci)})"
    else:
        text += f" {unit}"
    return text


def summarize_result(result: Any) -> str:
    """One line from a result's own ``summary_rows()`` (and its warning count).

    >>> from nctransport.results import Estimate
    >>> class R:
    ...     result_warnings = ("poor fit",)
    ...     def summary_rows(self):
    ...         return [("D", "0.012 cm^2/s", "95% CI [0.011, 0.013]"), ("tau", "2.5 ns", "")]
    >>> summarize_result(R())
    'D = 0.012 cm^2/s (95% CI [0.011, 0.013]); tau = 2.5 ns; 1 warning'
    """
    parts = [
        f"{q} = {v}" + (f" ({n})" if n else "") if v else q for q, v, n in result.summary_rows()
    ]
    n_warn = len(getattr(result, "result_warnings", ()) or ())
    if n_warn:
        parts.append(f"{n_warn} warning{'s' if n_warn != 1 else ''}")
    return "; ".join(parts)


def summarize(results: Any) -> str:
    """One line with the headline numbers of a result, or of a ``results.json`` dict.

    A result object speaks for itself (:func:`summarize_result`); for a dict the known
    layouts are read:

    >>> summarize({"diffusivity": {"value_cm2_s": 0.0512, "ci95_cm2_s": [0.049, 0.053]},
    ...            "lifetime_1e_ns": 2.49})
    'D = 0.0512 cm²/s (95% CI [0.049, 0.053]); τ(1/e) = 2.49 ns'
    """
    if hasattr(results, "summary_rows"):
        return summarize_result(results)
    parts: list[str] = []
    d = _get(results, "diffusivity.value_cm2_s")
    if d is not None:
        parts.append("D = " + _with_ci(d, _get(results, "diffusivity.ci95_cm2_s"), "cm²/s"))
    t_max = _get(results, "t_max_ns")
    if t_max is not None:
        parts.append(f"t_max = {format_number(t_max)} ns")
    comps = _get(results, "components")
    if isinstance(comps, list) and comps:
        taus = [
            format_value_error(c.get("tau_ns"), c.get("tau_err_ns"))
            for c in comps
            if isinstance(c, dict)
        ]
        model = _get(results, "model")
        parts.append(f"{model or 'fit'}: τ = " + ", ".join(taus) + " ns")
    elif _get(results, "lifetime_1e_ns") is not None:
        parts.append(f"τ(1/e) = {format_number(_get(results, 'lifetime_1e_ns'))} ns")
    act = _get(results, "arrhenius.activation_eV")
    if act is not None:
        parts.append(
            "Arrhenius Δ = " + _with_ci(act, _get(results, "arrhenius.activation_ci95_eV"), "eV")
        )
    sigma_inh = _get(results, "sigma_inh_meV.value")
    if isinstance(sigma_inh, int | float):
        parts.append("σ_inh = " + _with_ci(sigma_inh, _get(results, "sigma_inh_meV.ci95"), "meV"))
    sigma = _get(results, "sigma_eV")
    if sigma is not None:
        parts.append("σ = " + _with_ci(sigma, _get(results, "sigma_ci95_eV"), "eV"))
    mu0 = _get(results, "mu0_m2_Vs")
    if mu0 is not None:
        parts.append("μ0 = " + _with_ci(mu0, _get(results, "mu0_ci95_m2_Vs"), "m²/(V·s)"))
    files = _get(results, "files")
    if isinstance(files, list):
        mus = [
            f"{format_number(f['mobility_m2_Vs'], 3)} ({format_number(f.get('temperature_K'))} K)"
            for f in files
            if isinstance(f, dict) and f.get("mobility_m2_Vs") is not None
        ]
        if mus and sigma is None:
            parts.insert(0, "μ_SCLC = " + ", ".join(mus) + " m²/(V·s)")
    parts.extend(_simulation_summary(results))
    warnings = _get(results, "warnings")
    if isinstance(warnings, list) and warnings:
        parts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
    return "; ".join(parts)


def _simulation_summary(results: dict[str, Any]) -> list[str]:
    """KMC headline: D(1 ns) = MSD/2t of the emission (Shcherbakov-Wu 2024 reads D_sim at 1 ns), the
    MSD maximum (Bornschlegl 2024's t_max), and the event rate."""
    parts: list[str] = []
    t = _get(results, "t_s")
    msds = _get(results, "msd_per_axis_m2")
    if isinstance(t, list) and isinstance(msds, dict) and msds:
        key = "emission" if "emission" in msds else next(iter(msds))
        msd = msds[key]
        pairs = [(ti, m) for ti, m in zip(t, msd, strict=False) if ti and m is not None]
        if pairs:
            t1, m1 = min(pairs, key=lambda p: abs(p[0] - 1e-9))
            d = m1 / (2 * t1) * 1e4  # m^2/s -> cm^2/s
            parts.append(f"{key} D(t={t1 * 1e9:.3g} ns) = MSD/2t = {format_number(d, 3)} cm²/s")
            tm, mm = max(pairs, key=lambda p: p[1])
            parts.append(f"MSD max {format_number(mm * 1e18, 3)} nm² at {tm * 1e9:.3g} ns")
    pulses, rate = _get(results, "pulses"), _get(results, "events_per_second")
    if isinstance(pulses, int) and isinstance(rate, int | float):
        parts.append(
            f"{pulses} pulse{'s' if pulses != 1 else ''}, {format_number(rate, 2)} events/s"
        )
    return parts
