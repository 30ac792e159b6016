"""A persistent pool of worker processes for KMC work units (and sweep points).

Workers are started once per process (``spawn``) and import nctransport once
(:func:`_init_worker`); each loads a compiled kernel on its first use. Every later
:func:`simulate` call, every chain, every chunk of pulses and every sweep point reuses them.
A pool of another size replaces it; it is shut down at interpreter exit.

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
    """Import the engine once per worker process (numpy, numba, the kernel module).

    A kernel is loaded from Numba's cache by its first call in the worker and stays loaded
    for every later unit; a worker never loads kernels its work does not use (loading all
    of them cost ~0.7 s of CPU per worker start)."""
    from nctransport.kmc import run  # noqa: F401


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
