"""Typed exceptions. Library code raises these; only the CLI turns them into messages.

Every error carries the offending file (when there is one) so the CLI can print a single
line ``error: <file>: <problem>`` and exit with status 2.
"""

from __future__ import annotations

from pathlib import Path


class NctransportError(Exception):
    """Base class of every error nctransport raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(NctransportError):
    """A file or array cannot be read: wrong format, ragged, non-numeric, bad axes..."""


class UnitError(NctransportError):
    """A unit is missing, unknown, or of the wrong dimension."""


class ConfigError(NctransportError):
    """A configuration (TOML, --set, CLI option) is invalid."""


class FitError(NctransportError):
    """A fit could not be performed at all (too few points, no signal)."""


class ConvergenceError(NctransportError):
    """An iterative solver did not converge; the message says where."""


class OutputError(NctransportError):
    """An output target cannot be written: not a directory, not writable, disk full, or it
    would overwrite an input."""


class ResourceError(NctransportError):
    """A request would need more memory or work than the configured cap; the message gives
    the estimate and the option that raises the cap."""
