"""Options a user can give when a file does not state everything (units, time axis...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """Overrides passed to every reader.

    Attributes
    ----------
    t_unit, x_unit
        Units of the time and position axes for files that do not state them
        (``--t-unit ps``). A file that states a unit and an override that disagrees is
        resolved in favour of the override, which is the user's explicit word.
    times
        TIFF stacks: frame times as ``start:step`` or ``start:stop:count`` with units,
        e.g. ``0ns:0.1ns`` (``--times``).
    pixel
        TIFF stacks: pixel size with unit, e.g. ``50nm`` (``--pixel``).
    signal_units
        Unit of the signal when the file does not say (default ``arb``; ``counts`` for
        photon histograms).
    """

    t_unit: str | None = None
    x_unit: str | None = None
    times: str | None = None
    pixel: str | None = None
    signal_units: str | None = None
