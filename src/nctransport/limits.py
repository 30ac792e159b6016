"""Memory and work caps checked *before* anything that scales with user input is allocated.

Every allocation whose size a user controls (grid points, lattice sites, particles, frames,
decompressed arrays) is estimated first and refused above the cap with one line that states
the estimate and how to raise the cap. The default memory cap is 4 GiB (a laptop's share);
``--max-memory`` on the command line, :func:`set_max_memory` in Python, or the environment
variable ``NCTRANSPORT_MAX_MEMORY`` (e.g. ``16GiB``) raise it.

>>> check_memory(8 * 1000, "a test array")  # 8 kB: fine
>>> try:
...     check_memory(2**60, "a huge grid", option="--points")
... except ResourceError as e:
...     print(str(e).split(";")[0])
a huge grid needs about 1.2e+09 GB of memory, above the 4.3 GB cap
"""

from __future__ import annotations

import math
import os
import re

from nctransport.errors import ConfigError, InputError, ResourceError

DEFAULT_MAX_MEMORY = 4 * 1024**3  # bytes
#: Work cap in elementary steps (hops, time steps x particles): about an hour of CPU.
DEFAULT_MAX_WORK = 5e11
#: Highest temperature accepted anywhere (K): above it a value is a unit slip (1e308 K
#: silently gave a mobility of ~0), not a nanocrystal film.
MAX_TEMPERATURE_K = 1e5


def check_temperature(value: float, what: str = "temperature") -> float:
    """``value`` (K) as a float when finite and in (0, MAX_TEMPERATURE_K], else an InputError.

    >>> check_temperature(297)
    297.0
    """
    t = float(value)
    if not (math.isfinite(t) and 0 < t <= MAX_TEMPERATURE_K):
        raise InputError(f"{what} must be in (0, {MAX_TEMPERATURE_K:g}] K, got {value!r}")
    return t


_max_memory: int | None = None
_max_work: float | None = None

_SIZE = re.compile(r"^\s*([0-9.eE+-]+)\s*([kKmMgGtT]i?)?[bB]?\s*$")
_FACTOR = {
    None: 1,
    "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9, "t": 1e12, "T": 1e12,
    "ki": 1024, "Ki": 1024, "mi": 1024**2, "Mi": 1024**2,
    "gi": 1024**3, "Gi": 1024**3, "ti": 1024**4, "Ti": 1024**4,
}  # fmt: skip


def parse_size(text: str | int | float, *, name: str = "--max-memory") -> int:
    """``"16GiB"``, ``"500MB"``, ``2e9`` -> bytes.

    >>> parse_size("16GiB"), parse_size("500MB"), parse_size(2e9)
    (17179869184, 500000000, 2000000000)
    """
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = _SIZE.match(str(text))
        if not m:
            raise ConfigError(f"{name} must be a size such as 8GiB or 500MB, got {text!r}")
        try:
            value = float(m.group(1)) * _FACTOR[m.group(2)]
        except ValueError:
            raise ConfigError(f"{name} must be a size such as 8GiB, got {text!r}") from None
    if not (value > 0 and value < 2**63):
        raise ConfigError(f"{name} must be a positive size, got {text!r}")
    return int(value)


def max_memory() -> int:
    """The memory cap in bytes now in force."""
    if _max_memory is not None:
        return _max_memory
    env = os.environ.get("NCTRANSPORT_MAX_MEMORY")
    return parse_size(env, name="NCTRANSPORT_MAX_MEMORY") if env else DEFAULT_MAX_MEMORY


def set_max_memory(size: str | int | float | None) -> None:
    """Set the memory cap for this process (``None``: back to the default)."""
    global _max_memory
    _max_memory = None if size is None else parse_size(size)


def max_work() -> float:
    return DEFAULT_MAX_WORK if _max_work is None else _max_work


def set_max_work(steps: float | None) -> None:
    """Set the work cap (elementary steps) for this process (``None``: the default)."""
    global _max_work
    _max_work = None if steps is None else float(steps)


def check_memory(nbytes: float, what: str, *, option: str | None = None) -> None:
    """Refuse ``what`` if its estimated ``nbytes`` exceed the cap.

    ``option`` names the setting the user would change to ask for less (``--points``,
    ``size``); the message always names ``--max-memory`` as the way to raise the cap.
    """
    cap = max_memory()
    if not (nbytes <= cap):  # also catches NaN and inf
        hint = f"reduce {option} or " if option else ""
        raise ResourceError(
            f"{what} needs about {nbytes / 1e9:.2g} GB of memory, above the "
            f"{cap / 1e9:.2g} GB cap; {hint}raise the cap with --max-memory "
            "(or NCTRANSPORT_MAX_MEMORY)"
        )


def check_work(steps: float, what: str, *, option: str | None = None) -> None:
    """Refuse ``what`` if its estimated number of elementary steps exceeds the work cap."""
    cap = max_work()
    if not (steps <= cap):
        hint = f"reduce {option}" if option else "ask for less"
        raise ResourceError(
            f"{what} needs about {steps:.2g} elementary steps (above the {cap:.2g} cap, "
            f"hours of CPU); {hint}"
        )
