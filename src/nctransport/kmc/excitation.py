"""Initial particles created by an excitation pulse at t = 0.

* ``particles``: a fixed number of particles at sites drawn from a Gaussian spot.
* ``bernoulli``: every site is excited with probability alpha exp(-r^2 / (2 sigma^2))
  (Shcherbakov-Wu 2024, Eq. 6), so at most one particle per site.
* ``poisson``: the number of particles on a site is Poisson with mean
  alpha exp(-r^2 / (2 sigma^2)) (docs/science.md: Poisson occupation, <N> at the spot centre).
"""

from __future__ import annotations

import numpy as np

from nctransport.kmc.lattice import Lattice

#: Half-width of the excitation window in units of sigma; the Gaussian beyond it is < 1e-13.
WINDOW_SIGMAS = 8.0


def _unique_in_order(sites: np.ndarray) -> np.ndarray:
    _, first = np.unique(sites, return_index=True)
    return sites[np.sort(first)]


def gaussian_particles(
    lattice: Lattice, n: int, sigma: float, rng: np.random.Generator, *, unique: bool = False
) -> np.ndarray:
    """Sites of ``n`` particles placed at Gaussian positions (std ``sigma`` in m per axis),
    rounded to the nearest site. Off an open lattice or on a vacancy they are redrawn;
    with ``unique`` a second particle drawn onto an occupied site is dropped."""
    out: list[np.ndarray] = []
    need = n
    centre = np.array(lattice.centre, dtype=float)
    shape = np.array(lattice.shape)
    for _ in range(1000):
        if need <= 0:
            break
        c = np.zeros((need, 3), dtype=np.int64)
        c[:, : lattice.dim] = np.rint(
            centre[: lattice.dim] + rng.normal(0.0, sigma / lattice.spacing, (need, lattice.dim))
        ).astype(np.int64)
        if lattice.periodic:
            c %= shape
            ok = np.ones(need, dtype=bool)
        else:
            ok = np.all((c >= 0) & (c < shape), axis=1)
        sites = lattice.site_index(c[ok])
        if lattice.vacancies.shape[0]:
            sites = sites[lattice.vacancies[sites] == 0]
        out.append(sites)
        need -= sites.size
    sites = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    return _unique_in_order(sites) if unique else sites


def _window(lattice: Lattice, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Sites within WINDOW_SIGMAS sigma of the centre and their squared distance (m^2)."""
    half = int(np.ceil(WINDOW_SIGMAS * sigma / lattice.spacing))
    axes = []
    for ax in range(3):
        n = lattice.shape[ax]
        c = lattice.centre[ax]
        axes.append(
            np.arange(max(0, c - half), min(n, c + half + 1)) if ax < lattice.dim else np.array([0])
        )
    gz, gy, gx = np.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
    coords = np.stack([gx.ravel(), gy.ravel(), gz.ravel()], axis=1)
    sites = lattice.site_index(coords)
    d = (coords - np.array(lattice.centre)) * lattice.spacing
    return sites, (d.astype(float) ** 2).sum(axis=1)


def pulse_window(lattice: Lattice, amplitude: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Sites a pulse can excite (no vacancies) and their mean excitation
    ``amplitude exp(-r^2 / (2 sigma^2))``; computed once per chain, reused by every pulse."""
    sites, r2 = _window(lattice, sigma)
    mean = amplitude * np.exp(-r2 / (2.0 * sigma**2))
    if lattice.vacancies.shape[0]:
        keep = lattice.vacancies[sites] == 0
        sites, mean = sites[keep], mean[keep]
    return sites, mean


def bernoulli_pulse(
    lattice: Lattice,
    alpha: float,
    sigma: float,
    rng: np.random.Generator,
    window: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Shcherbakov-Wu 2024, Eq. 6: P_excite = alpha exp(-r^2/(2 sigma^2)), independent per site.

    ``window`` is :func:`pulse_window` ``(lattice, alpha, sigma)`` when already computed.
    """
    sites, p = window if window is not None else pulse_window(lattice, alpha, sigma)
    return sites[rng.random(sites.size) < p]


def poisson_pulse(
    lattice: Lattice,
    mean_peak: float,
    sigma: float,
    rng: np.random.Generator,
    window: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Poisson number of particles per site, mean ``mean_peak`` exp(-r^2/(2 sigma^2))."""
    sites, mean = window if window is not None else pulse_window(lattice, mean_peak, sigma)
    return np.repeat(sites, rng.poisson(mean))


def initial_states(n: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """States of ``n`` new particles drawn with probabilities ``weights`` (normalised)."""
    w = np.asarray(weights, dtype=float)
    if w.size == 1:
        return np.zeros(n, dtype=np.int64)
    return rng.choice(w.size, size=n, p=w / w.sum()).astype(np.int64)
