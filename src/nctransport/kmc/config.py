"""Simulation configuration: TOML validated by pydantic, every quantity a unit string.

A config is a TOML document (see ``kmc/presets/*.toml``). Rates are written with units
(``"0.4/ns"``, ``"1e10/s"``; note ``"1/(2.5ns)"``, not ``"1/2.5ns"``) or, for fixed-step
models, as per-step probabilities ``"0.03/step"``. In fixed-step mode the per-step
probability of a channel is rate x step (Shcherbakov-Wu 2024: P_decay = 4e-4 per 1 ps = 1/2.5 ns).

Short keys for ``--set`` are declared by a preset in its ``[keys]`` table (``hop_rate =
"hops.rate"``); any dotted path into the document works too. Unknown keys and wrong units
raise :class:`~nctransport.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from nctransport.errors import ConfigError, UnitError
from nctransport.units import parse_quantity

_PER_STEP = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*/\s*step\s*$")


class QuantityUnit(str):
    """Marks a config field as a quantity in this SI unit (used to read plain SI numbers)."""


def _quantity(unit: str, *, per_step: bool = False, positive: bool = False) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a quantity in {unit}, got {value!r}")
        if per_step and isinstance(value, str) and _PER_STEP.match(value):
            if float(_PER_STEP.match(value).group(1)) < 0:  # type: ignore[union-attr]
                raise ValueError(f"{value!r} is negative")
            return value
        try:
            v = parse_quantity(value, unit)
        except UnitError as exc:
            raise ValueError(exc.message.removeprefix("value: ")) from None
        if v < 0:
            raise ValueError(f"{value!r} is negative")
        if positive and v == 0:
            raise ValueError(f"{value!r} must be > 0")
        return value

    return Annotated[str | float | int, AfterValidator(check), QuantityUnit(unit)]


Length = _quantity("m")
Time = _quantity("s")
Rate = _quantity("1/s", per_step=True)
Energy = _quantity("eV")
Temperature = _quantity("K")
# physical quantities that cannot be zero (a zero spacing or step divides by zero later)
PosLength = _quantity("m", positive=True)
PosTime = _quantity("s", positive=True)
PosTemperature = _quantity("K", positive=True)

#: numpy's SeedSequence takes any non-negative int, but seeds are written to config.toml
#: (TOML integers are signed 64-bit) and NetCDF attributes: 0 <= seed < 2**63.
MAX_SEED = 2**63 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatticeConfig(_Strict):
    dim: Literal[1, 2, 3] = 2
    size: int | list[int] = Field(101)
    spacing: PosLength = "10nm"
    periodic: bool = False
    jitter: Length = "0nm"
    vacancies: float = Field(0.0, ge=0.0, lt=1.0)
    energy_sigma: Energy = "0eV"
    temperature: PosTemperature = "300K"

    @model_validator(mode="after")
    def _sizes(self) -> LatticeConfig:
        sizes = [self.size] * self.dim if isinstance(self.size, int) else self.size
        if len(sizes) != self.dim or any(int(s) < 1 for s in sizes):
            raise ValueError(f"size must be a positive int or {self.dim} positive ints")
        jitter = parse_quantity(self.jitter, "m")
        # A displacement beyond a spacing reorders sites (nearest-neighbour hops no longer
        # connect neighbours) and 1e308 nm overflows the distances.
        if not 0 <= jitter <= parse_quantity(self.spacing, "m"):
            raise ValueError(f"jitter must be in [0, spacing], got {self.jitter!r}")
        return self


class HopConfig(_Strict):
    model: Literal["constant", "forster", "miller-abrahams"] = "constant"
    reach: Literal["nn", "nnn"] = "nn"
    rate: Rate | None = None
    rate_nnn: Rate = "0/s"
    r0: PosLength | None = None
    tau: PosTime | None = None
    nu0: Rate | None = None
    loc_length: PosLength | None = None

    @model_validator(mode="after")
    def _needs(self) -> HopConfig:
        need = {
            "constant": ("rate",),
            "forster": ("r0", "tau") if self.rate is None else ("rate",),
            "miller-abrahams": ("nu0", "loc_length"),
        }[self.model]
        for key in need:
            if getattr(self, key) is None:
                raise ValueError(f"hop model {self.model!r} needs {key!r}")
        return self


class MemoryConfig(_Strict):
    enabled: bool = False
    slow_rate: Rate = "0/s"
    tau_relax: PosTime = "8.1us"


class StateConfig(_Strict):
    radiative: Rate = "0/s"
    nonradiative: Rate = "0/s"
    lifetime: PosTime | None = None
    quantum_yield: float = Field(1.0, ge=0.0, le=1.0)
    hop: float = Field(1.0, ge=0.0)
    absorption: float = 1.0
    initial: float = Field(1.0, ge=0.0)
    to: dict[str, Rate] = Field(default_factory=dict)


class ExcitationConfig(_Strict):
    kind: Literal["particles", "bernoulli", "poisson"] = "particles"
    particles: int = Field(1000, ge=1)
    sigma: PosLength | None = None
    fwhm: PosLength | None = None
    alpha: float = Field(0.5, ge=0.0)
    period: PosTime = "1us"
    pulses: int = Field(1, ge=1)
    chains: int = Field(1, ge=1)
    #: Pulses run before each chain's recorded pulses (site memory only): "auto" runs
    #: enough that the fast-site population reaches its steady state (see docs/simulate.md).
    warmup_pulses: int | Literal["auto"] = "auto"

    @model_validator(mode="after")
    def _spot(self) -> ExcitationConfig:
        if (self.sigma is None) == (self.fwhm is None):
            raise ValueError("give exactly one of 'sigma' and 'fwhm'")
        if self.kind == "bernoulli" and self.alpha > 1:
            raise ValueError("alpha is a probability for bernoulli excitation (<= 1)")
        if self.chains > self.pulses:
            raise ValueError("chains cannot exceed pulses")
        if isinstance(self.warmup_pulses, int) and self.warmup_pulses < 0:
            raise ValueError("warmup_pulses must be >= 0 or 'auto'")
        return self


class ShrinkingConfig(_Strict):
    """Li 2023's shrinking-hop walk (off-lattice): hops every ~hop_time whose length
    shrinks with time. The paper gives no law; ``law`` and ``motion`` are our assumptions
    (see :mod:`nctransport.kmc.shrinking`)."""

    first_hop: Length = "1.1um"
    hop_time: PosTime = "0.7ps"
    shrink_time: PosTime = "0.7ps"
    exponent: float = Field(0.5, ge=0.0)
    law: Literal["power", "exponential"] = "power"
    motion: Literal["jump", "flight"] = "jump"


class OutputConfig(_Strict):
    """What the simulated microscope records (docs/simulate.md, "What a frame holds")."""

    signal: Literal["emission", "population"] = "emission"
    geometry: Literal["line", "stack"] = "line"
    frame_interval: PosTime = "50ps"
    duration: PosTime = "5ns"
    roi: PosLength | None = None
    pixel: PosLength | None = None
    #: "snapshot": the signal at the frame time t; "integrated": averaged over the frame's
    #: exposure [t, t + frame_interval) (photons emitted within it, per second).
    frames: Literal["snapshot", "integrated"] = "snapshot"
    #: Snapshots averaged per frame when integrating (None: every step of a fixed-step
    #: model up to 64, else 16 at the midpoints of equal sub-intervals).
    frame_samples: int | None = Field(None, ge=1, le=1000)
    #: Gaussian instrument response in time (FWHM); 0 = none.
    irf_fwhm: Time = "0ps"
    #: Gaussian point-spread function in space: give its sigma or its FWHM; 0 = none.
    psf_sigma: Length = "0nm"
    psf_fwhm: Length = "0nm"
    #: "sampled": the map of the simulated particles (KMC sampling noise);
    #: "expected": the expectation value of the map (noise free; independent particles).
    mode: Literal["sampled", "expected"] = "sampled"
    #: Expected photon counts in the map (Poisson draws need lam < ~1e18 per pixel).
    photons: float | None = Field(None, gt=0, le=1e18)

    @model_validator(mode="after")
    def _psf(self) -> OutputConfig:
        if parse_quantity(self.psf_sigma, "m") > 0 and parse_quantity(self.psf_fwhm, "m") > 0:
            raise ValueError("give at most one of 'psf_sigma' and 'psf_fwhm'")
        return self


class SimulationConfig(_Strict):
    name: str = "custom"
    description: str = ""
    seed: int = Field(0, ge=0, le=MAX_SEED)
    stepping: Literal["continuous", "fixed"] = "continuous"
    step: PosTime | None = None
    step_rule: Literal["sequential", "competing"] = "sequential"
    occupancy: Literal["multiple", "single", "annihilate"] = "multiple"
    until_decay: bool = False
    lattice: LatticeConfig = Field(default_factory=LatticeConfig)
    hops: HopConfig = Field(default_factory=lambda: HopConfig(rate="1e10/s"))
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    states: dict[str, StateConfig] = Field(default_factory=lambda: {"exciton": StateConfig()})
    excitation: ExcitationConfig = Field(default_factory=lambda: ExcitationConfig(sigma="50nm"))
    output: OutputConfig = Field(default_factory=OutputConfig)
    shrinking: ShrinkingConfig | None = None
    keys: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> SimulationConfig:
        if not self.states:
            raise ValueError("at least one state is needed")
        for name, st in self.states.items():
            for target in st.to:
                if target not in self.states:
                    raise ValueError(f"states.{name}.to: unknown state {target!r}")
                if target == name:
                    raise ValueError(f"states.{name}.to: a state cannot convert to itself")
        if sum(st.initial for st in self.states.values()) <= 0:
            raise ValueError("states: at least one state needs initial > 0")
        _check_blur(self)
        uses_step = _uses_per_step(self.model_dump())
        if (self.stepping == "fixed" or uses_step) and self.step is None:
            raise ValueError("'step' is required for fixed stepping and '/step' rates")
        if self.hops.model == "miller-abrahams" and self.stepping == "fixed":
            raise ValueError("miller-abrahams hops need stepping = 'continuous'")
        return self


#: FWHM of a Gaussian in units of its sigma, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def _check_blur(cfg: SimulationConfig) -> None:
    """An IRF longer than the record or a PSF wider than the lattice blurs the map away and
    its kernel (size ~ width / step) could need any amount of memory: refused."""
    oc, lc = cfg.output, cfg.lattice
    duration = parse_quantity(oc.duration, "s")
    if parse_quantity(oc.irf_fwhm, "s") > duration:
        raise ValueError(
            f"output.irf_fwhm ({oc.irf_fwhm}) is longer than output.duration ({oc.duration})"
        )
    sizes = [lc.size] if isinstance(lc.size, int) else lc.size
    extent = max(int(v) for v in sizes) * parse_quantity(lc.spacing, "m")
    psf = max(parse_quantity(oc.psf_sigma, "m"), parse_quantity(oc.psf_fwhm, "m") / FWHM_PER_SIGMA)
    if psf > extent:
        raise ValueError(
            f"the PSF (output.psf_sigma/psf_fwhm) is wider than the lattice ({extent:.3g} m)"
        )


def _uses_per_step(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_uses_per_step(v) for v in obj.values())
    return isinstance(obj, str) and bool(_PER_STEP.match(obj))


def _format_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown key"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def validate_config(data: dict[str, Any], path: str | Path | None = None) -> SimulationConfig:
    """Validate a config document; errors become one-line :class:`ConfigError`."""
    try:
        return SimulationConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc), path) from None
    except RecursionError:
        raise ConfigError("config nested too deeply", path) from None


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed as an int in ``0 <= seed < 2**63``, checked before anything runs.

    >>> check_seed(3)
    3
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            if isinstance(seed, bool) or float(seed) != int(seed):
                raise ValueError
            seed = int(seed)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{name} must be a whole number, got {seed!r}") from None
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{name} must be in 0 .. 2**63 - 1, got {seed}")
    return seed


def _unit_of(metadata: Any, annotation: Any) -> str | None:
    import typing

    for m in (*metadata, *getattr(annotation, "__metadata__", ())):
        if isinstance(m, QuantityUnit):
            return str(m)
    for arg in typing.get_args(annotation):
        unit = _unit_of((), arg)
        if unit is not None:
            return unit
    return None


def field_unit(path: str) -> str | None:
    """The SI unit of the quantity at dotted config ``path`` (None if not a quantity).

    >>> field_unit("lattice.spacing"), field_unit("states.exciton.to.dark"), field_unit("seed")
    ('m', '1/s', None)
    """
    model: Any = SimulationConfig
    parts = path.split(".")
    while parts:
        part = parts.pop(0)
        if model is StateConfig and part == "to":
            return "1/s" if len(parts) == 1 else None
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return None
        if not parts:
            return _unit_of(info.metadata, info.annotation)
        if model is SimulationConfig and part == "states":
            parts.pop(0)  # the state's name
            model = StateConfig
            continue
        args = getattr(info.annotation, "__args__", (info.annotation,))
        model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return None
    return None


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal when it is one (``3``, ``true``, ``[1, 2]``),
    otherwise the text itself (``10nm``).

    >>> parse_value("3"), parse_value("0.5"), parse_value("10nm"), parse_value("[2, 3]")
    (3, 0.5, '10nm', [2, 3])
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip().strip('"').strip("'")


#: Short keys every config understands (a preset's ``[keys]`` table may add or redefine).
COMMON_KEYS = {
    "warmup_pulses": "excitation.warmup_pulses",
    "frames": "output.frames",
    "frame_samples": "output.frame_samples",
    "irf_fwhm": "output.irf_fwhm",
    "psf_fwhm": "output.psf_fwhm",
    "psf_sigma": "output.psf_sigma",
    "output_mode": "output.mode",
}


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``data`` with ``key=value`` overrides applied (text is read as a
    ``--set`` value; a table from Python is set as it is).

    A key is a preset short key (from ``[keys]``) or a dotted path (``lattice.spacing``).
    """
    out = copy.deepcopy(data)
    aliases = {**COMMON_KEYS, **dict(out.get("keys", {}))}
    for key, raw in overrides.items():
        path = aliases.get(key, key)
        parts = path.split(".")
        node = out
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise ConfigError(f"--set {key}: {p!r} is not a table")
            node = nxt
        node[parts[-1]] = parse_value(raw) if isinstance(raw, str) else raw
    return out


#: Config files are a few kB; anything far larger is not a config (and is not read whole).
MAX_CONFIG_BYTES = 10 * 1024**2


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; syntax errors, absurd nesting and non-regular files are ConfigErrors."""
    from nctransport.errors import InputError
    from nctransport.io.output import check_input_path

    p = Path(path)
    try:
        check_input_path(p)  # a FIFO or a device would block in read_text()
    except InputError as exc:
        raise ConfigError(exc.message, p) from None
    if p.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // 1024**2} MB: not a config", p)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", p) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", p) from None


def load_config(path: str | Path, overrides: dict[str, str] | None = None) -> SimulationConfig:
    """Read, override and validate a TOML config file."""
    data = apply_overrides(read_toml(path), overrides or {})
    return validate_config(data, path)


def to_toml(config: SimulationConfig) -> str:
    """The resolved config as TOML text (None values left out)."""
    return tomli_w.dumps(config.model_dump(exclude_none=True))


def si(value: Any, unit: str, *, step: float | None = None) -> float:
    """Value of a validated quantity in ``unit``; ``"p/step"`` is p / step (a rate)."""
    if isinstance(value, str):
        m = _PER_STEP.match(value)
        if m:
            if step is None:
                raise ConfigError(f"{value!r} needs a 'step'")
            return float(m.group(1)) / step
    return parse_quantity(value, unit)
