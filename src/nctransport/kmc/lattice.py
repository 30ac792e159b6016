"""Lattices of nanocrystal sites: 1D chain, 2D square, 3D simple cubic.

Sites are indexed ``ix + nx * (iy + ny * iz)``; positions are measured from the spot
centre, the site ``(nx // 2, ny // 2, nz // 2)`` (Shcherbakov-Wu 2024 centres its pulse on site
(500, 500) of a 1000 x 1000 lattice). A lattice realisation (jitter, vacancies, site
energies) is drawn once per run from its own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Lattice:
    """A lattice realisation. Lengths in m, energies in eV.

    Attributes
    ----------
    dim
        1, 2 or 3.
    shape
        Sites per axis ``(nx, ny, nz)`` (unused axes have 1 site).
    spacing
        Centre-to-centre distance a (m).
    periodic
        Periodic boundaries (otherwise open: hops off the edge do not exist).
    jitter
        ``(n_sites, 3)`` displacement of each site from its ideal position (m), or ``(0, 3)``.
    vacancies
        ``(n_sites,)`` uint8, 1 where the site is missing, or empty.
    energies
        ``(n_sites,)`` site energies (eV; Gaussian disorder), or empty.
    """

    dim: int
    shape: tuple[int, int, int]
    spacing: float
    periodic: bool
    jitter: np.ndarray
    vacancies: np.ndarray
    energies: np.ndarray

    @property
    def n_sites(self) -> int:
        return int(np.prod(self.shape))

    @property
    def centre(self) -> tuple[int, int, int]:
        return tuple(n // 2 for n in self.shape)  # type: ignore[return-value]

    def kernel_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Integer and float parameter vectors the Numba kernels take."""
        lat_i = np.array([self.dim, *self.shape, int(self.periodic)], dtype=np.int64)
        lat_f = np.array([self.spacing, *map(float, self.centre)], dtype=np.float64)
        return lat_i, lat_f

    def site_index(self, coords: np.ndarray) -> np.ndarray:
        """Site indices of integer coordinates ``(n, 3)``."""
        c = np.asarray(coords, dtype=np.int64)
        nx, ny, _ = self.shape
        return c[:, 0] + nx * (c[:, 1] + ny * c[:, 2])

    def positions(self, sites: np.ndarray) -> np.ndarray:
        """Positions (m) of ``sites`` relative to the spot centre, shape ``(n, 3)``.

        >>> lat = build_lattice(2, (5, 5), 10e-9, periodic=False)
        >>> lat.positions(np.array([12]))[0].tolist()  # the centre site
        [0.0, 0.0, 0.0]
        """
        s = np.asarray(sites, dtype=np.int64)
        nx, ny, _ = self.shape
        c = np.stack([s % nx, (s // nx) % ny, s // (nx * ny)], axis=1).astype(float)
        pos = (c - np.array(self.centre, dtype=float)) * self.spacing
        if self.jitter.shape[0]:
            pos = pos + self.jitter[s]
        return pos


def build_lattice(
    dim: int,
    size: tuple[int, ...] | int,
    spacing: float,
    *,
    periodic: bool = False,
    jitter: float = 0.0,
    vacancy_fraction: float = 0.0,
    energy_sigma: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Lattice:
    """Build a lattice realisation.

    Parameters
    ----------
    dim
        1 (chain), 2 (square) or 3 (simple cubic).
    size
        Sites per axis (one int for all axes, or one per axis).
    spacing
        Lattice constant a in m.
    periodic
        Periodic boundaries.
    jitter
        Standard deviation (m) of a Gaussian displacement of each site along each axis.
    vacancy_fraction
        Fraction of sites removed at random.
    energy_sigma
        Standard deviation (eV) of Gaussian site energies (disorder).
    rng
        Random generator for the realisation (required when any of the above is non-zero).
    """
    sizes = [int(size)] * dim if np.isscalar(size) else [int(v) for v in size]  # type: ignore[arg-type]
    if len(sizes) != dim:
        raise ValueError(f"size has {len(sizes)} entries for a {dim}D lattice")
    shape = tuple(sizes + [1] * (3 - dim))
    n = int(np.prod(shape))
    rng = rng if rng is not None else np.random.default_rng(0)
    jit = np.zeros((0, 3))
    if jitter > 0:
        jit = np.zeros((n, 3))
        jit[:, :dim] = rng.normal(0.0, jitter, size=(n, dim))
    vac = np.zeros(0, dtype=np.uint8)
    if vacancy_fraction > 0:
        vac = (rng.random(n) < vacancy_fraction).astype(np.uint8)
    energies = np.zeros(0)
    if energy_sigma > 0:
        energies = rng.normal(0.0, energy_sigma, size=n)
    return Lattice(dim, shape, float(spacing), bool(periodic), jit, vac, energies)  # type: ignore[arg-type]


def neighbour_offsets(dim: int, reach: str = "nn") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hop offsets: nearest neighbours (class 0, r = a) and, with ``reach="nnn"``,
    next-nearest neighbours (class 1, r = sqrt(2) a), as in Bornschlegl 2024's FRET model.

    Returns ``(offsets (z, 3) int64, classes (z,) int64, distances (z,) in units of a)``.

    >>> offs, cls, r = neighbour_offsets(2, "nnn")
    >>> len(offs), int(cls.sum()), float(r.max()) ** 2
    (8, 4, 2.0000000000000004)
    """
    offs: list[tuple[int, int, int]] = []
    for ax in range(dim):
        for sgn in (1, -1):
            o = [0, 0, 0]
            o[ax] = sgn
            offs.append(tuple(o))  # type: ignore[arg-type]
    n_nn = len(offs)
    if reach == "nnn":
        for a1 in range(dim):
            for a2 in range(a1 + 1, dim):
                for s1 in (1, -1):
                    for s2 in (1, -1):
                        o = [0, 0, 0]
                        o[a1] = s1
                        o[a2] = s2
                        offs.append(tuple(o))  # type: ignore[arg-type]
    arr = np.array(offs, dtype=np.int64)
    cls = np.array([0] * n_nn + [1] * (len(offs) - n_nn), dtype=np.int64)
    return arr, cls, np.sqrt((arr.astype(float) ** 2).sum(axis=1))
