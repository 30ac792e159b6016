"""The one place where a sweep point meets the simulation and analysis libraries.

Everything a point needs from :mod:`nctransport.kmc` and :mod:`nctransport.microscopy` goes
through the functions below: the simulation is the public ``kmc.workflow.simulate`` with an
explicit warm-up, the analysis the library's ``analyze_map``. The rest of
``nctransport.sweeps`` only sees the dataset (``signal``, ``msd_all``) and the dictionaries
returned here. Nothing here imports the CLI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError

#: Warm-up before measuring a memory-model pulse train, in relaxation times: the fraction of
#: fast NCs converges at least as fast as exp(-t / tau_relax) (Shcherbakov-Wu 2024's relaxation
#: rate; excitation only speeds it up), so 5 tau_relax leaves < 1 % of the cold start.
WARMUP_TAU_RELAX = 5.0


def preload() -> None:
    """Import the simulation and analysis stacks (pool workers call this once at start)."""
    import nctransport.kmc.engine  # noqa: F401  (Numba kernels: cache load)
    import nctransport.kmc.run  # noqa: F401
    import nctransport.microscopy.analysis  # noqa: F401
    import nctransport.microscopy.profiles  # noqa: F401


# -- configuration --------------------------------------------------------------------------
def resolve_config(preset: str | None, config: str | None, overrides: Mapping[str, str]) -> Any:
    """Validated :class:`~nctransport.kmc.config.SimulationConfig` of a preset or TOML file."""
    from nctransport.kmc import load_config, load_preset

    ov = {str(k): str(v) for k, v in overrides.items()}
    return load_preset(preset, ov) if preset is not None else load_config(config, ov)


def known_keys(preset: str | None, config: str | None) -> list[str]:
    """Short keys of the preset or config (its ``[keys]`` table), for error messages."""
    from nctransport.kmc.config import read_toml
    from nctransport.kmc.presets import preset_data

    data = preset_data(preset) if preset is not None else read_toml(config)
    return sorted(data.get("keys", {}))


def is_unknown_key_error(exc: ConfigError) -> bool:
    """Whether a config validation error says that a key does not exist."""
    return exc.message.endswith("unknown key") or "is not a table" in exc.message


def excitation_timing(cfg: Any) -> dict[str, float | None]:
    """Pulse period, excitation probability at the spot centre and the time between
    excitations of the centre NC (None for single-shot particle excitation).

    Shcherbakov-Wu 2024 plot D against the mean time between excitations of the NC at the
    centre of the Gaussian pulse, 1 / (f <N>): f = 1 / period and <N> = alpha, the
    excitation probability (bernoulli) or mean (poisson) at the centre (their Eq. 6).
    """
    from nctransport.kmc.config import si

    ex = cfg.excitation
    if ex.kind not in ("bernoulli", "poisson"):
        return {"period_s": None, "alpha": None, "time_between_excitations_s": None}
    period = si(ex.period, "s")
    alpha = float(ex.alpha)
    tbe = period / alpha if alpha > 0 else math.inf
    return {"period_s": period, "alpha": alpha, "time_between_excitations_s": tbe}


def default_warmup(cfg: Any) -> int:
    """Warm-up pulses for a memory-model chain: ceil(5 tau_relax / period); 0 without memory."""
    from nctransport.kmc.config import si

    if not cfg.memory.enabled or cfg.excitation.kind == "particles":
        return 0
    period = si(cfg.excitation.period, "s")
    tau = si(cfg.memory.tau_relax, "s")
    if period <= 0:
        raise ConfigError("excitation.period must be > 0 for a memory-model pulse train")
    return int(math.ceil(WARMUP_TAU_RELAX * tau / period))


# -- running ----------------------------------------------------------------------------------
def simulate(cfg: Any, seed: int, warmup: int = 0) -> Any:
    """Run ``cfg`` in this process; every chain first runs ``warmup`` unrecorded pulses.

    The warm-up is always set explicitly (0 included), so a sweep point never inherits the
    engine's ``"auto"`` rule behind the sweep's own ``warmup`` setting.
    """
    from nctransport.kmc.workflow import simulate as kmc_simulate

    ex = cfg.excitation.model_copy(update={"warmup_pulses": int(warmup)})
    return kmc_simulate(cfg.model_copy(update={"excitation": ex}), seed=seed, workers=1)


def write_simulation(result: Any, out_dir: Path) -> None:
    """simulation.nc, populations.csv, config.toml and results.json of the point."""
    result.write(out_dir, report=False)


def analysis_settings(settings: Mapping[str, Any] | None) -> Any:
    """Analysis settings object from keyword settings (``profile``, ``window``, ...)."""
    from nctransport.microscopy.analysis import AnalysisSettings

    try:
        return AnalysisSettings(**dict(settings or {}))
    except TypeError as exc:
        raise ConfigError(f"analysis settings: {exc}") from None


def analyze(dataset: Any, settings: Any) -> Any:
    """Analyse the point's simulated map."""
    from nctransport.microscopy.analysis import analyze_map

    return analyze_map(dataset, settings)


def write_analysis(result: Any, out_dir: Path, report: bool) -> None:
    """analysis/results.json; with ``report``, everything ``analyze`` writes (data files,
    figures, report.html) through the result's own :meth:`write`."""
    from nctransport.results import write_json

    if report:
        result.write(out_dir, report=True)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "results.json", result.to_dict())


def analysis_metrics(result: Any) -> dict[str, float | None]:
    """The sweep table's numbers from an analysis result (cm^2/s, nm, ns)."""
    cm2 = 1e4
    d = result.diffusivity
    origin = result.diffusivity_origin
    lt = result.lifetime
    return {
        "diffusivity_cm2_s": _num(d.value * cm2),
        "diffusivity_ci95_lo_cm2_s": _num(d.ci95[0] * cm2),
        "diffusivity_ci95_hi_cm2_s": _num(d.ci95[1] * cm2),
        "diffusivity_origin_cm2_s": None if origin is None else _num(origin.value * cm2),
        "sigma0_nm": _num(d.sigma0 * 1e9),
        "d_avg_cm2_s": None if result.d_avg is None else _num(result.d_avg.value * cm2),
        "lifetime_1e_ns": None if lt is None or not lt.found else _num(lt.value * 1e9),
        "t_max_ns": None if result.t_max is None else _num(result.t_max.value * 1e9),
    }


def analysis_msd(result: Any) -> tuple[Any, Any]:
    """Frame times [s] and per-axis MSD [m^2] of the analysis (from its profile widths)."""
    return result.msd.t, result.msd.msd


def _num(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None
