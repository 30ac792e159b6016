"""Keep xarray from importing dask, distributed and pint when no data of theirs exists.

xarray asks, while building any Variable, whether the data is a dask array
(``isinstance(data, array_type("dask"))``) or a pint Quantity, and answers by importing
``dask.array`` or ``pint``; writing NetCDF asks for the active dask scheduler, which imports
``dask.distributed``. Together about 1 s of CPU for a short command whose data are NumPy
arrays (issue 17). Both questions have a cheaper exact answer while those packages are not
imported yet: no object can be an instance of a class that is not loaded, and no dask
scheduler or distributed client can be active without dask.

:func:`install` (idempotent, called where nctransport imports xarray) therefore

* puts a lazy stand-in for xarray's ``DuckArrayModule("dask")`` / ``("pint")`` into xarray's
  cache: its ``type`` is ``()`` while ``dask.array`` / ``pint`` are not in ``sys.modules``
  and the real module's array type from the moment they are (any other attribute, such as
  ``version`` or ``available``, imports the module as xarray would);
* wraps xarray's ``is_dask_collection`` to answer ``False`` while dask is not imported (it
  imports ``dask`` to ask);
* wraps xarray's ``get_dask_scheduler`` to answer ``"threaded"`` (what dask answers with no
  client and no configuration) when dask is not imported and no dask configuration exists
  (no ``DASK_*`` environment variable, no dask YAML directory); otherwise dask is asked.

If xarray's internals differ from what is expected, nothing is patched (only slower).
"""

from __future__ import annotations

import os
import site
import sys
from typing import Any

_installed = False

#: xarray duck-array module name -> the module whose presence makes its arrays possible.
_TRIGGERS = {"dask": "dask.array", "pint": "pint"}


class _LazyDuckArrayModule:
    """Stands in for ``xarray.namedarray.pycompat.DuckArrayModule(mod)`` until ``mod`` loads."""

    def __init__(self, mod: str, trigger: str, pycompat: Any) -> None:
        self._mod = mod
        self._trigger = trigger
        self._pycompat = pycompat
        self._real: Any = None

    def _resolve(self) -> Any:
        if self._real is None:
            self._real = self._pycompat.DuckArrayModule(self._mod)
            self._pycompat._cached_duck_array_modules[self._mod] = self._real
        return self._real

    @property
    def type(self) -> tuple[type, ...]:
        if self._real is None and self._trigger not in sys.modules:
            return ()  # nothing can be an instance of a class that is not loaded
        return self._resolve().type

    def __getattr__(self, name: str) -> Any:  # module, version, available
        return getattr(self._resolve(), name)


def _dask_configured() -> bool:
    """Whether dask could find any configuration (environment or YAML directories)."""
    if any(k.startswith("DASK_") for k in os.environ):
        return True
    dirs = [
        "/etc/dask",
        os.path.join(sys.prefix, "etc", "dask"),
        *[os.path.join(p, "etc", "dask") for p in getattr(site, "PREFIXES", [])],
        os.path.join(os.path.expanduser("~"), ".config", "dask"),
    ]
    return any(os.path.exists(d) for d in dirs)


def _wrap_scheduler(original: Any) -> Any:
    def get_dask_scheduler(get: Any = None, collection: Any = None) -> str | None:
        if get is None and collection is None and "dask" not in sys.modules:
            if not _dask_configured():
                return "threaded"
        return original(get, collection)

    get_dask_scheduler.__wrapped__ = original  # type: ignore[attr-defined]
    get_dask_scheduler.__doc__ = original.__doc__
    return get_dask_scheduler


def _wrap_is_dask_collection(original: Any) -> Any:
    def is_dask_collection(x: object) -> bool:
        if "dask" not in sys.modules:
            return False  # no dask collection exists before dask is imported
        return original(x)

    is_dask_collection.__wrapped__ = original  # type: ignore[attr-defined]
    is_dask_collection.__doc__ = original.__doc__
    return is_dask_collection


def install() -> None:
    """Install the two shims once (see the module docstring)."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        from xarray.backends import locks, writers
        from xarray.core import utils as core_utils
        from xarray.namedarray import pycompat
        from xarray.namedarray import utils as named_utils
    except ImportError:  # pragma: no cover - another xarray layout
        return
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and hasattr(pycompat, "DuckArrayModule"):
        for mod, trigger in _TRIGGERS.items():
            if mod not in cache and trigger not in sys.modules:
                cache[mod] = _LazyDuckArrayModule(mod, trigger, pycompat)
    _patch("is_dask_collection", _wrap_is_dask_collection, named_utils, core_utils)
    _patch("get_dask_scheduler", _wrap_scheduler, locks, writers)


def _patch(name: str, wrap: Any, home: Any, importer: Any) -> None:
    """Replace ``home.name`` by ``wrap(original)``, and ``importer``'s copy of the same
    function (imported by name, so it does not see the first replacement)."""
    original = getattr(home, name, None)
    if not callable(original) or hasattr(original, "__wrapped__"):
        return
    wrapped = wrap(original)
    setattr(home, name, wrapped)
    if getattr(importer, name, None) is original:
        setattr(importer, name, wrapped)
