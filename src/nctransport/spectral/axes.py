"""Wavelength <-> photon-energy axes, with the Jacobian for spectral densities.

Convention (stated once, used everywhere in :mod:`nctransport.spectral`):

* ``E = h c / lambda``; with ``h c = 1239.841984 eV nm`` (CODATA 2018, exact SI constants).
* A spectral *density* (PL counts per wavelength interval, an emission spectrum) changes
  with the axis: ``I(E) |dE| = I(lambda) |dlambda|``, so
  ``I(E) = I(lambda) * lambda^2 / (h c)``. ``I(lambda)`` is taken per nm and ``I(E)`` per eV,
  hence ``integral I(E) dE [eV] == integral I(lambda) dlambda [nm]``.
* A *ratio* measured at each wavelength (absorbance, Delta T/T, Delta OD, molar
  absorption coefficient epsilon) is not a density: it is only re-labelled, no Jacobian.

:func:`to_energy` / :func:`to_wavelength` take ``density=`` to say which applies.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nctransport.constants import C_LIGHT, H_PLANCK, Q_E
from nctransport.dataset import SIGNAL, kind_of, make_dataset
from nctransport.errors import InputError

#: h c in eV nm (exact SI constants).
HC_EV_NM: float = H_PLANCK * C_LIGHT / Q_E * 1e9

__all__ = [
    "HC_EV_NM",
    "energy_eV_from_wavelength_m",
    "wavelength_m_from_energy_eV",
    "density_per_eV",
    "density_per_nm",
    "spectral_axis",
    "to_energy",
    "to_wavelength",
]


def energy_eV_from_wavelength_m(wavelength_m: np.ndarray | float) -> np.ndarray:
    """Photon energy in eV of a wavelength in metres, ``E = h c / lambda``.

    >>> round(float(energy_eV_from_wavelength_m(500e-9)), 6)
    2.479684
    """
    lam = np.asarray(wavelength_m, dtype=float)
    if np.any(lam <= 0):
        raise InputError("wavelengths must be positive")
    return HC_EV_NM / (lam * 1e9)


def wavelength_m_from_energy_eV(energy_eV: np.ndarray | float) -> np.ndarray:
    """Wavelength in metres of a photon energy in eV."""
    e = np.asarray(energy_eV, dtype=float)
    if np.any(e <= 0):
        raise InputError("photon energies must be positive")
    return HC_EV_NM / e * 1e-9


def density_per_eV(intensity_per_nm: np.ndarray, wavelength_m: np.ndarray) -> np.ndarray:
    """Jacobian: ``I(E) = I(lambda) lambda^2 / (h c)`` (per nm -> per eV).

    >>> round(float(density_per_eV(np.array([1.0]), np.array([HC_EV_NM * 1e-9]))[0]), 4)
    1239.842
    """
    lam_nm = np.asarray(wavelength_m, dtype=float) * 1e9
    return np.asarray(intensity_per_nm, dtype=float) * lam_nm**2 / HC_EV_NM


def density_per_nm(intensity_per_eV: np.ndarray, energy_eV: np.ndarray) -> np.ndarray:
    """Inverse Jacobian: ``I(lambda) = I(E) E^2 / (h c)`` (per eV -> per nm)."""
    e = np.asarray(energy_eV, dtype=float)
    return np.asarray(intensity_per_eV, dtype=float) * e**2 / HC_EV_NM


def spectral_axis(ds: xr.Dataset) -> str:
    """Name of the spectral dim of a ``spectrum`` or ``spectral`` dataset."""
    kind = kind_of(ds)
    if kind not in ("spectrum", "spectral"):
        raise InputError(
            f"expected spectral data (kind 'spectrum' or 'spectral'), got kind {kind!r}",
            ds.attrs.get("source_file"),
        )
    return "energy" if "energy" in ds[SIGNAL].dims else "wavelength"


def _rebuild(ds: xr.Dataset, values: np.ndarray, new_dim: str, axis: np.ndarray, note: str):
    coords = {d: ds[d].values for d in ds[SIGNAL].dims}
    coords = {(new_dim if d in ("wavelength", "energy") else d): v for d, v in coords.items()}
    coords[new_dim] = axis
    attrs = {k: v for k, v in ds.attrs.items() if k != "kind"}
    attrs["spectral_conversion"] = note
    return make_dataset(
        values,
        coords,
        signal_units=ds[SIGNAL].attrs.get("units", "arb"),
        signal_name=ds[SIGNAL].attrs.get("long_name", "signal"),
        attrs=attrs,
        path=ds.attrs.get("source_file"),
    )


def to_energy(ds: xr.Dataset, *, density: bool) -> xr.Dataset:
    """Return ``ds`` on a photon-energy axis (eV, ascending).

    Parameters
    ----------
    ds
        ``spectrum`` or ``spectral`` dataset on ``wavelength`` (m) or ``energy`` (eV).
    density
        ``True`` for spectral densities (emission): the Jacobian
        ``I(E) = I(lambda) lambda^2/(h c)`` is applied (per nm -> per eV). ``False`` for
        absorbance-like ratios (bleach, PIA, epsilon), which are only re-labelled.

    Examples
    --------
    >>> lam = np.linspace(500e-9, 600e-9, 5)
    >>> ds = make_dataset(np.ones(5), {"wavelength": lam})
    >>> e = to_energy(ds, density=False)
    >>> bool(np.all(np.diff(e.energy.values) > 0))
    True
    """
    dim = spectral_axis(ds)
    if dim == "energy":
        return ds
    lam = np.asarray(ds["wavelength"].values, dtype=float)
    energy = energy_eV_from_wavelength_m(lam)
    values = np.asarray(ds[SIGNAL].values, dtype=float)
    if density:
        values = density_per_eV(values, lam)  # broadcasts over the last (spectral) axis
        note = "wavelength->energy with Jacobian I(E)=I(lambda)*lambda^2/(hc) (per nm -> per eV)"
    else:
        note = "wavelength->energy relabelled (ratio quantity, no Jacobian)"
    return _rebuild(ds, values, "energy", energy, note)


def to_wavelength(ds: xr.Dataset, *, density: bool) -> xr.Dataset:
    """Return ``ds`` on a wavelength axis (m, ascending); inverse of :func:`to_energy`."""
    dim = spectral_axis(ds)
    if dim == "wavelength":
        return ds
    e = np.asarray(ds["energy"].values, dtype=float)
    lam = wavelength_m_from_energy_eV(e)
    values = np.asarray(ds[SIGNAL].values, dtype=float)
    if density:
        values = density_per_nm(values, e)
        note = "energy->wavelength with Jacobian I(lambda)=I(E)*E^2/(hc) (per eV -> per nm)"
    else:
        note = "energy->wavelength relabelled (ratio quantity, no Jacobian)"
    return _rebuild(ds, values, "wavelength", lam, note)
