"""A persistent pool of worker processes for KMC work units (and sweep points).

Workers are started once per process (``spawn``), import nctransport once and load the
compiled kernels once (:func:`_init_worker`); every later :func:`simulate` call, every chain,
every chunk of pulses and every sweep point reuses them. A pool of another size replaces
it; it is shut down at interpreter exit.

>>> from nctransport.kmc.pool import worker_pool
>>> pool = worker_pool(2)  # doctest: +SKIP
>>> pool.submit(pow, 2, 10).result()  # doctest: +SKIP
1024
"""

from __future__ import annotations

import atexit
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def _init_worker() -> None:
    """Import the engine and load its compiled kernels once per worker process."""
    from nctransport.kmc import run  # noqa: F401  (imports numpy, numba and the kernels)
    from nctransport.kmc.config import validate_config
    from nctransport.kmc.run import _prepare, run_pulses

    # a tiny run of each kernel loads it from Numba's cache now, not in the first unit
    for data in _WARMUP_CONFIGS:
        model, lattice = _prepare(validate_config(data), 0)
        run_pulses(model, lattice, 0, 0, 1)


_WALK = {
    "lattice": {"dim": 2, "size": 9, "spacing": "10nm"},
    "hops": {"model": "constant", "rate": "1e10/s"},
    "states": {"exciton": {"lifetime": "1ns"}},
    "excitation": {"kind": "particles", "particles": 2, "sigma": "10nm"},
    "output": {"frame_interval": "100ps", "duration": "200ps"},
}
_WARMUP_CONFIGS = (
    _WALK,
    {**_WALK, "occupancy": "single"},
    {**_WALK, "occupancy": "single", "stepping": "fixed", "step": "1ps"},
)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool with ``workers`` processes (created on first use, then reused)."""
    global _POOL, _POOL_SIZE
    if _POOL is not None and _POOL_SIZE != workers:
        shutdown_pool()
    if _POOL is None:
        import multiprocessing as mp

        _POOL = ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker
        )
        _POOL_SIZE = workers
    return _POOL


def shutdown_pool(*, wait: bool = True) -> None:
    """Stop the worker processes (a later :func:`worker_pool` starts new ones)."""
    global _POOL, _POOL_SIZE
    pool, _POOL, _POOL_SIZE = _POOL, None, 0
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def is_broken(exc: BaseException) -> bool:
    """A worker died (killed, out of memory): the pool must be replaced."""
    return isinstance(exc, BrokenProcessPool)


atexit.register(shutdown_pool)
