"""Förster radius from the donor emission and acceptor absorption spectra.

Overlap integral (Lakowicz, *Principles of Fluorescence Spectroscopy*, 3rd ed., 2006,
Sec. 13.1; IUPAC Gold Book "Förster-resonance-energy transfer", doi:10.1351/goldbook.FT07381):

    J = integral F_D(lambda) eps_A(lambda) lambda^4 dlambda,   integral F_D dlambda = 1,

with F_D the donor emission area-normalised on the wavelength axis (per nm), eps_A the
acceptor's molar decadic absorption coefficient in M^-1 cm^-1 and lambda in nm, so J is
in M^-1 cm^-1 nm^4. Förster distance (Lakowicz Eq. 13.5):

    R0^6 = 9 ln(10) kappa^2 Q_D J / (128 pi^5 N_A n^4),

evaluated here in SI (J converted to m^6 mol^-1; Lakowicz writes the same expression
with a factor 9000 for J in M^-1 cm^3 and R0 in cm). Its numerical form for J in
M^-1 cm^-1 nm^4 is ``R0 = 0.02108 (kappa^2 Q_D n^-4 J)^(1/6) nm`` (Lakowicz Ch. 13;
IUPAC Gold Book FT07381, note 3), which the tests check against the SI evaluation.

The donor spectrum is normalised over its whole recorded range; J integrates over the
wavelength range common to both spectra (outside it one of them is unknown).
Spectra given on an energy axis are converted with :mod:`nctransport.spectral.axes`: the
emission as a density (Jacobian applied), epsilon re-labelled (it is not a density).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from nctransport.constants import N_A
from nctransport.dataset import SIGNAL, kind_of
from nctransport.errors import InputError, UnitError
from nctransport.spectral.axes import to_wavelength
from nctransport.units import conversion_factor

#: M^-1 cm^-1 nm^4 -> m^6 mol^-1: (1e-3 m^3/mol / 1e-2 m) * (1e-9 m)^4 = 1e-37.
_J_TO_SI = 1e-3 / 1e-2 * 1e-36
#: Negative values smaller than this fraction of the maximum are baseline noise (set to 0).
NEGATIVE_TOLERANCE = 0.01


@dataclass(frozen=True)
class SpectralForster:
    """Overlap integral and Förster radius from spectra (inputs kept for the record)."""

    overlap_M1cm1nm4: float
    forster_radius_m: float
    quantum_yield: float
    refractive_index: float
    kappa2: float
    overlap_range_nm: tuple[float, float]

    @property
    def forster_radius_nm(self) -> float:
        return self.forster_radius_m * 1e9

    def to_dict(self) -> dict:
        return {
            "overlap_M-1cm-1nm4": self.overlap_M1cm1nm4,
            "forster_radius_nm": self.forster_radius_nm,
            "quantum_yield": self.quantum_yield,
            "refractive_index": self.refractive_index,
            "kappa2": self.kappa2,
            "overlap_range_nm": list(self.overlap_range_nm),
            "equation": "R0^6 = 9 ln10 kappa2 Q J / (128 pi^5 N_A n^4) (Lakowicz 3rd ed. Eq. 13.5)",
        }


def forster_radius_from_overlap(
    overlap_M1cm1nm4: float, *, quantum_yield: float, refractive_index: float, kappa2: float = 2 / 3
) -> float:
    """R0 in metres from J in M^-1 cm^-1 nm^4 (Lakowicz Eq. 13.5, evaluated in SI).

    >>> r0 = forster_radius_from_overlap(1e15, quantum_yield=1, refractive_index=1, kappa2=1)
    >>> round(r0 * 1e9, 3)  # the rounded prefactor gives 0.02108 * 1e15**(1/6) = 6.666
    6.667
    """
    _check_params(quantum_yield, refractive_index, kappa2)
    if not overlap_M1cm1nm4 >= 0:
        raise InputError(f"overlap integral must be >= 0, got {overlap_M1cm1nm4!r}")
    j_si = overlap_M1cm1nm4 * _J_TO_SI
    r6 = (
        9.0
        * math.log(10.0)
        * kappa2
        * quantum_yield
        * j_si
        / (128.0 * math.pi**5 * N_A * refractive_index**4)
    )
    return r6 ** (1.0 / 6.0)


def _check_params(quantum_yield: float, refractive_index: float, kappa2: float) -> None:
    if not 0 < quantum_yield <= 1:
        raise InputError(f"quantum yield must be in (0, 1], got {quantum_yield!r}")
    if not refractive_index >= 1:
        raise InputError(f"refractive index must be >= 1, got {refractive_index!r}")
    if not 0 <= kappa2 <= 4:
        raise InputError(f"kappa^2 must be in [0, 4], got {kappa2!r}")


def _spectrum_nm(ds: xr.Dataset, what: str, *, density: bool) -> tuple[np.ndarray, np.ndarray]:
    path = ds.attrs.get("source_file")
    try:
        kind = kind_of(ds)
    except InputError as exc:
        raise InputError(f"{what}: {exc.message}", path) from None
    if kind != "spectrum":
        raise InputError(f"{what}: expected a 1D spectrum, got kind {kind!r}", path)
    dim = ds[SIGNAL].dims[0]
    axis = np.asarray(ds[dim].values, dtype=float)
    d = np.diff(axis)
    if axis.size < 3:
        raise InputError(f"{what}: needs at least 3 points, got {axis.size}", path)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise InputError(f"{what}: {dim} axis is not strictly monotonic", path)
    if dim == "energy":
        ds = to_wavelength(ds, density=density)
    lam_nm = np.asarray(ds["wavelength"].values, dtype=float) * conversion_factor(
        ds["wavelength"].attrs.get("units", "m"), "nm"
    )
    y = np.asarray(ds[SIGNAL].values, dtype=float)
    if lam_nm[0] > lam_nm[-1]:
        lam_nm, y = lam_nm[::-1], y[::-1]
    if not np.all(np.diff(lam_nm) > 0):
        raise InputError(f"{what}: wavelength axis is not strictly monotonic", path)
    if np.any(lam_nm <= 0):
        raise InputError(f"{what}: wavelengths must be positive", path)
    if not np.all(np.isfinite(y)):
        raise InputError(f"{what}: contains NaN or infinite values", path)
    peak = float(np.max(y))
    if peak <= 0:
        raise InputError(f"{what}: no positive values", path)
    if np.min(y) < -NEGATIVE_TOLERANCE * peak:
        i = int(np.argmin(y))
        raise InputError(
            f"{what}: negative value {y[i]:.4g} at {lam_nm[i]:.4g} nm "
            f"(more than {NEGATIVE_TOLERANCE:.0%} of the maximum)",
            path,
        )
    return lam_nm, np.clip(y, 0.0, None)


def _epsilon_factor(ds: xr.Dataset) -> float:
    unit = str(ds[SIGNAL].attrs.get("units", "")).strip()
    path = ds.attrs.get("source_file")
    if unit in ("", "arb", "a.u.", "au", "counts", "dimensionless", "1"):
        raise UnitError(
            f"acceptor absorption must be a molar absorption coefficient with units "
            f"(e.g. 1/(M cm)), got {unit or 'no unit'!r}",
            path,
        )
    try:
        return conversion_factor(unit, "1/(M*cm)", name="acceptor epsilon")
    except UnitError as exc:
        raise UnitError(exc.message, path) from None


def overlap_integral(
    donor_wavelength_nm: np.ndarray,
    donor_emission: np.ndarray,
    acceptor_wavelength_nm: np.ndarray,
    acceptor_epsilon_M1cm1: np.ndarray,
) -> tuple[float, tuple[float, float]]:
    """J in M^-1 cm^-1 nm^4 and the common wavelength range (nm) used.

    Both spectra are linearly interpolated onto the union of their grids inside the
    common range and integrated with the trapezoid rule; the donor is normalised by its
    trapezoid area over its full range.
    """
    ld, fd = np.asarray(donor_wavelength_nm, float), np.asarray(donor_emission, float)
    la, ea = np.asarray(acceptor_wavelength_nm, float), np.asarray(acceptor_epsilon_M1cm1, float)
    lo, hi = max(ld[0], la[0]), min(ld[-1], la[-1])
    if not hi > lo:
        raise InputError(
            f"no common wavelength range: donor {ld[0]:.4g}-{ld[-1]:.4g} nm, "
            f"acceptor {la[0]:.4g}-{la[-1]:.4g} nm"
        )
    area = float(np.trapezoid(fd, ld))
    if not area > 0:
        raise InputError("donor emission has zero area")
    grid = np.union1d(ld[(ld >= lo) & (ld <= hi)], la[(la >= lo) & (la <= hi)])
    grid = np.union1d(grid, [lo, hi])
    integrand = np.interp(grid, ld, fd) / area * np.interp(grid, la, ea) * grid**4
    j = float(np.trapezoid(integrand, grid))
    if not j > 0:
        raise InputError(f"spectral overlap is zero in the common range {lo:.4g}-{hi:.4g} nm")
    return j, (float(lo), float(hi))


def forster_from_spectra(
    donor_emission: xr.Dataset,
    acceptor_absorption: xr.Dataset,
    *,
    quantum_yield: float,
    refractive_index: float,
    kappa2: float = 2 / 3,
) -> SpectralForster:
    """Overlap integral J and Förster radius R0 from two measured spectra.

    Parameters
    ----------
    donor_emission
        ``spectrum`` dataset (wavelength in m or energy in eV); any intensity unit.
    acceptor_absorption
        ``spectrum`` dataset whose signal is the molar absorption coefficient, with units
        convertible to M^-1 cm^-1 (``ds.signal.attrs["units"]``).
    quantum_yield
        Donor photoluminescence quantum yield in the absence of acceptor, (0, 1].
    refractive_index
        Refractive index of the medium between donor and acceptor.
    kappa2
        Orientation factor (2/3 for isotropic, dynamically averaged dipoles).

    Raises
    ------
    InputError
        Non-monotonic axis, negative epsilon or emission, no common wavelength range.
    UnitError
        Epsilon without a molar-absorption unit.

    Examples
    --------
    >>> from nctransport.dataset import make_dataset
    >>> lam = np.linspace(450e-9, 650e-9, 401)
    >>> em = make_dataset(np.exp(-0.5 * ((lam - 520e-9) / 15e-9) ** 2), {"wavelength": lam})
    >>> ab = make_dataset(9e4 * np.exp(-0.5 * ((lam - 555e-9) / 15e-9) ** 2),
    ...                   {"wavelength": lam}, signal_units="1/(M*cm)")
    >>> r = forster_from_spectra(em, ab, quantum_yield=0.9, refractive_index=1.33)
    >>> round(r.forster_radius_nm, 2)
    5.33
    """
    _check_params(quantum_yield, refractive_index, kappa2)
    factor = _epsilon_factor(acceptor_absorption)
    ld, fd = _spectrum_nm(donor_emission, "donor emission", density=True)
    la, ea = _spectrum_nm(acceptor_absorption, "acceptor absorption", density=False)
    try:
        j, rng = overlap_integral(ld, fd, la, ea * factor)
    except InputError as exc:
        raise InputError(exc.message, acceptor_absorption.attrs.get("source_file")) from None
    r0 = forster_radius_from_overlap(
        j, quantum_yield=quantum_yield, refractive_index=refractive_index, kappa2=kappa2
    )
    return SpectralForster(
        overlap_M1cm1nm4=j,
        forster_radius_m=r0,
        quantum_yield=float(quantum_yield),
        refractive_index=float(refractive_index),
        kappa2=float(kappa2),
        overlap_range_nm=rng,
    )
