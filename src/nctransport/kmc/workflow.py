"""``nctransport.simulate``: a KMC preset, config file, dict or config object -> a result.

>>> import nctransport as nct
>>> s = nct.simulate("random-walk", seed=3, hop_rate="1e10/s", spacing="10nm",
...                  particles=500, duration="0.5ns")
>>> sorted(v for v in s.dataset.data_vars if v.startswith("d_sim"))[:2]
['d_sim_all', 'd_sim_emission']
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nctransport.errors import ConfigError
from nctransport.kmc.config import (
    SimulationConfig,
    apply_overrides,
    check_seed,
    field_unit,
    read_toml,
    validate_config,
)
from nctransport.kmc.presets import PRESETS, preset_data
from nctransport.kmc.result import SimulationResult

ConfigLike = str | Path | Mapping[str, Any] | SimulationConfig


def _override_text(path: str, value: Any) -> str:
    """An override value as the text ``--set`` would take: strings as they are, pint
    quantities with their unit, plain numbers at a quantity key in SI units."""
    if isinstance(value, str):
        return value
    if hasattr(value, "units") and hasattr(value, "magnitude"):  # a pint Quantity
        return f"{float(value.magnitude)!r} {value.units}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        unit = field_unit(path)
        return f"{float(value)!r} {unit}" if unit else repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_override_text(path, v) for v in value) + "]"
    if isinstance(value, Mapping):  # a whole table, e.g. states.exciton = {...}
        return {k: _override_value(f"{path}.{k}", v) for k, v in value.items()}  # type: ignore[return-value]
    raise ConfigError(f"{path}: cannot use a value of type {type(value).__name__}")


def _override_value(path: str, value: Any) -> Any:
    """Inside a table: the TOML value itself (quantities as unit strings)."""
    from nctransport.kmc.config import parse_value

    out = _override_text(path, value)
    return parse_value(out) if isinstance(out, str) and not isinstance(value, str) else out


def resolve_config(
    config_or_preset: ConfigLike, overrides: Mapping[str, Any] | None = None
) -> tuple[SimulationConfig, Path | None]:
    """The validated config of a preset name, a TOML path, a dict or a config, with overrides
    (preset short keys or dotted paths; ``a__b`` is ``a.b``). Returns it and the config file
    (None unless read from a file)."""
    path: Path | None = None
    where: str | Path | None
    if isinstance(config_or_preset, SimulationConfig):
        data, where = config_or_preset.model_dump(exclude_none=True), None
    elif isinstance(config_or_preset, Mapping):
        data, where = dict(config_or_preset), None
    elif isinstance(config_or_preset, str) and config_or_preset in PRESETS:
        data, where = preset_data(config_or_preset), f"preset {config_or_preset}"
    elif isinstance(config_or_preset, str | Path):
        path = Path(config_or_preset)
        if not path.suffix and not path.exists():
            raise ConfigError(
                f"unknown preset {str(config_or_preset)!r}; choose from {', '.join(PRESETS)} "
                "or give a TOML file"
            )
        data, where = read_toml(path), path
    else:
        raise ConfigError(
            f"simulate takes a preset name, a TOML path, a dict or a SimulationConfig, "
            f"not {type(config_or_preset).__name__}"
        )
    aliases = dict(data.get("keys", {}) or {})
    texts = {}
    for key, value in (overrides or {}).items():
        key = key.replace("__", ".")
        texts[key] = _override_text(aliases.get(key, key), value)
    return validate_config(apply_overrides(data, texts), where), path


def _progress_bar(total: int, name: str) -> tuple[Callable[[int, int], None], Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    bar = Progress(
        TextColumn(f"[bold]simulate {name}[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} pulses"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # off a terminal the bar only left an empty line on stderr (two lines with an error)
        disable=not console.is_terminal,
    )
    task = bar.add_task("pulses", total=total)
    return (lambda done, _total: bar.update(task, completed=done)), bar


def simulate(
    config_or_preset: ConfigLike,
    *,
    seed: int | None = None,
    workers: int = 1,
    progress: bool | Callable[[int, int], None] = False,
    **overrides: Any,
) -> SimulationResult:
    """Run a kinetic Monte Carlo simulation and return what a microscope would record.

    Parameters
    ----------
    config_or_preset
        A preset name (``"random-walk"``, ``"memory"``, ``"bright-dark"``, ``"traps"``,
        ``"disorder"``, ``"shrinking-hop"``), a TOML config path, a dict of the same
        document, or a :class:`~nctransport.kmc.config.SimulationConfig`.
    seed
        Random seed, ``0 <= seed < 2**63`` (default: the config's). The same seed gives the
        same bytes with any number of ``workers``.
    workers
        Worker processes; independent units are chains (site memory) or chunks of pulses.
        More workers than units run as many as there are units, with a warning in
        ``result.warnings``. The pool persists and is reused by later calls.
    progress
        ``True`` shows a progress bar on stderr; a callable gets ``(done, total)`` pulses.
    **overrides
        Preset short keys (``hop_rate="1e10/s"``, ``spacing="10nm"``, ``pulse_period="4us"``,
        ``warmup_pulses=50``) or dotted config keys (``**{"output.frames": "integrated"}``,
        or ``output__frames="integrated"``). Quantities are strings with units, pint
        quantities, or plain numbers in SI units.

    Returns
    -------
    SimulationResult
        ``.dataset`` (the map ``nct.analyze`` reads, with exact ``msd_*`` and ``d_sim_*``),
        ``.d_sim(t)``, ``.summary()``, ``.plot_msd()``, ``.plot_map()``, ``.write(dir)``.

    Examples
    --------
    >>> import nctransport as nct
    >>> s = nct.simulate("random-walk", seed=3, particles=300, duration="0.4ns")
    >>> s.pulses, s.dataset.attrs["technique"]
    (1, 'SIM')
    """
    from nctransport.kmc.run import _prepare, run_simulation

    if seed is not None:
        seed = check_seed(seed)
    cfg, path = resolve_config(config_or_preset, overrides)
    # model, resource estimates and lattice before any progress bar or worker (cached)
    _prepare(cfg, cfg.seed if seed is None else seed)
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None
    bar = None
    callback = progress if callable(progress) else None
    if progress is True:
        callback, bar = _progress_bar(cfg.excitation.pulses, cfg.name)
    if bar is not None:
        with bar:
            result = run_simulation(cfg, seed=seed, workers=workers, progress=callback)
    else:
        result = run_simulation(cfg, seed=seed, workers=workers, progress=callback)
    if path is None:
        return result
    import dataclasses

    return dataclasses.replace(result, config_path=str(path), config_sha256=sha)
