"""Photophysics calculators as workflows: quantities with units in, a small result out.

Each function takes quantities as text with units (``"10nW"``), pint Quantities, or plain
numbers in the unit its docstring states (SI, energies in eV, temperatures in K), wraps the
calculator of :mod:`nctransport.photophysics`, and returns a :class:`CalculatorResult`:
``to_dict()`` is what ``results.json`` (and ``--json``) of the matching command holds, and
the typed calculator result is ``result.detail`` (its fields are also readable directly,
e.g. ``r.peak_fluence_J_m2``).

>>> r = excitation_density("10nW", "2.5MHz", "500nm", "405nm", cross_section="5e-14cm2")
>>> round(r.to_dict()["peak_fluence_uJ_cm2"], 3), round(r.mean_excitations_per_nc, 4)
(1.412, 0.1439)
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nctransport.errors import ConfigError, InputError
from nctransport.kinetics.inputs import as_quantity
from nctransport.results import ResultProtocol, SummaryRow, provenance, to_jsonable

#: Highest Poisson occupation reported: P(n) is listed in full (results.json, the terminal),
#: and a NC never holds more than a few excitons for longer than Auger recombination allows.
MAX_OCCUPATION = 1000

# key suffix -> unit shown in summaries (longest first so "_cm2_s" wins over "_s")
_SUFFIX_UNITS = (
    ("_uJ_cm2", "uJ/cm^2"),
    ("_cm2_Vs", "cm^2/(V s)"),
    ("_m2_Vs", "m^2/(V s)"),
    ("_cm2_s", "cm^2/s"),
    ("_per_ns", "1/ns"),
    ("_cm-3", "cm^-3"),
    ("_cm-2", "cm^-2"),
    ("_cm2", "cm^2"),
    ("_meV", "meV"),
    ("_eV", "eV"),
    ("_nm", "nm"),
    ("_ns", "ns"),
    ("_ps", "ps"),
    ("_Hz", "Hz"),
    ("_me", "m_e"),
    ("_K", "K"),
    ("_J", "J"),
    ("_W", "W"),
    ("_V", "V"),
    ("_s", "s"),
)


#: the number each calculator's one-line headline shows (the first one present)
_HEADLINES = {
    "excitation": ("mean_excitations_per_nc", "peak_fluence_uJ_cm2"),
    "forster": ("forster_radius_nm",),
    "cross-section": ("cross_section_cm2",),
    "einstein": ("mobility_cm2_Vs",),
    "bright-dark": ("bright_fraction",),
    "disorder": ("sigma_meV",),
    "saha": ("free_carrier_fraction",),
}

#: keys whose suffix is not their unit
_KEY_UNITS = {"photon_fluence_cm2": ("photon_fluence", "photons/cm^2")}


def _temperature(value: Any) -> float:
    """--temperature in K, within the range every command accepts (limits.MAX_TEMPERATURE_K)."""
    from nctransport.limits import check_temperature

    return check_temperature(as_quantity(value, "K", name="--temperature"), "--temperature")


def _split_unit(key: str) -> tuple[str, str]:
    if key in _KEY_UNITS:
        return _KEY_UNITS[key]
    for sfx, unit in _SUFFIX_UNITS:
        if key.endswith(sfx):
            return key[: -len(sfx)], unit
    return key, ""


def _format(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict):
        return ", ".join(
            f"{k}: {x:.4g}" if isinstance(x, float) else f"{k}: {x}" for k, x in v.items()
        )
    return str(v)


@dataclass(frozen=True, repr=False, eq=False)
class CalculatorResult(ResultProtocol):
    """The result of a photophysics calculator: numbers with units.

    ``values`` is exactly ``results.json``; ``detail`` is the typed result of the underlying
    calculator (``Excitation``, ``ForsterHopping``, ``CrossSection``, ...).
    """

    calculator: str  # the command's name: "excitation", "forster", ...
    values: dict[str, Any]
    detail: Any = None
    warnings: tuple[str, ...] = ()

    @property
    def workflow(self) -> str:  # type: ignore[override]
        return self.calculator

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self.values)

    def summary_rows(self) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        for k, v in self.to_dict().items():
            if k in ("input", "settings", "nctransport_version"):
                continue
            name, unit = _split_unit(k)
            text = _format(v)
            rows.append((name, f"{text} {unit}".strip() if unit and v is not None else text, ""))
        return rows

    def headline(self) -> str:
        rows: dict[str, str] = {}
        for q, v, _ in self.summary_rows():
            rows.setdefault(q, v)  # mobility in cm^2/(V s) before m^2/(V s)
        for key in _HEADLINES.get(self.calculator, ()):
            name = _split_unit(key)[0]
            if rows.get(name) not in (None, "None"):
                return f"{self.calculator}: {name} = {rows[name]}"
        return self.calculator

    def __getattr__(self, name: str) -> Any:
        # typed fields of the calculator's own result, e.g. r.peak_fluence_J_m2
        if name.startswith("_"):
            raise AttributeError(name)
        detail = self.__dict__.get("detail")
        if detail is not None and hasattr(detail, name):
            return getattr(detail, name)
        raise AttributeError(f"{type(self).__name__} ({self.workflow}) has no attribute {name!r}")


def _in_range(func):
    """Arithmetic that overflows (a wavelength of 1e300 m, a temperature of 1e300 K) is a
    one-line error naming the calculator, never a ZeroDivisionError or an infinite result."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> CalculatorResult:
        try:
            with np.errstate(all="ignore"):
                result = func(*args, **kwargs)
        except (ZeroDivisionError, OverflowError, FloatingPointError):
            raise InputError(
                f"{func.__name__}: the inputs are outside the range that can be computed "
                "(a value overflows or underflows); check their units"
            ) from None
        bad = [
            k
            for k, v in result.values.items()
            if isinstance(v, float | np.floating) and not math.isfinite(v)
        ]
        if bad:
            raise InputError(
                f"{func.__name__}: the inputs are outside the range that can be computed "
                f"({', '.join(bad)} not finite); check their units"
            )
        return result

    return wrapper


def _opt(value: Any, unit: str, name: str) -> float | None:
    return None if value is None else as_quantity(value, unit, name=name)


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None


# ------------------------------------------------------------------------------ excitation
@_in_range
def excitation_density(
    power: Any,
    rep_rate: Any,
    fwhm: Any,
    wavelength: Any,
    *,
    cross_section: Any = None,
    n_max: Any = 4,
) -> CalculatorResult:
    """Pulse energy, peak/mean fluence, excitations per NC ``<N> = j sigma`` (Li 2023),
    Poisson occupation and time between excitations (Shcherbakov-Wu 2024).

    Parameters
    ----------
    power, rep_rate, fwhm, wavelength
        Average power (W), repetition rate (Hz), spot intensity FWHM (m), wavelength (m).
    cross_section
        Absorption cross-section of one NC (m^2, or ``"5e-14cm2"``); enables <N>.
    n_max
        Highest occupation n for which P(n) is reported (0 to 1000).

    Examples
    --------
    >>> r = excitation_density("10nW", "2.5MHz", "500nm", "405nm")
    >>> round(r.pulse_energy_J * 1e15, 3)
    4.0
    """
    from nctransport.photophysics.excitation import excitation

    n = _number(n_max, "--n-max")
    if not (math.isfinite(n) and n == int(n) and 0 <= n <= MAX_OCCUPATION):
        raise ConfigError(
            f"--n-max must be a whole number from 0 to {MAX_OCCUPATION}, got {n:g} "
            "(P(n) is listed in full; a NC holds only a few excitons)"
        )
    r = excitation(
        as_quantity(power, "W", name="--power"),
        as_quantity(rep_rate, "Hz", name="--rep-rate"),
        as_quantity(fwhm, "m", name="--fwhm"),
        as_quantity(wavelength, "m", name="--wavelength"),
        _opt(cross_section, "m**2", "--cross-section"),
        n_max=int(n),
    )
    return CalculatorResult("excitation", r.to_dict(), r)


# ------------------------------------------------------------------------------ Forster
@_in_range
def forster_hopping(
    spacing: Any = None,
    lifetime: Any = None,
    *,
    diffusivity: Any = None,
    forster_radius: Any = None,
    neighbours: str = "nearest",
    donor_emission: Any = None,
    acceptor_absorption: Any = None,
    quantum_yield: float | None = None,
    refractive_index: float | None = None,
    kappa2: float = 2.0 / 3.0,
) -> CalculatorResult:
    """Forster radius <-> per-axis hopping D on a 2D square lattice (Shcherbakov-Wu 2024),
    or R0 from the donor-emission / acceptor-absorption overlap (then D if spacing and
    lifetime are given).

    Parameters
    ----------
    spacing, lifetime
        NC centre-to-centre distance (m) and donor lifetime (s).
    diffusivity, forster_radius
        Give exactly one (m^2/s or m), unless spectra are given.
    neighbours
        ``nearest`` or ``next-nearest`` (Bornschlegl 2024 lattice).
    donor_emission, acceptor_absorption
        Spectrum files (or Datasets); with ``quantum_yield`` and ``refractive_index``.

    Examples
    --------
    >>> r = forster_hopping("10nm", "2.5ns", diffusivity="0.01cm2/s")
    >>> round(r.to_dict()["forster_radius_nm"], 1)
    17.1
    """
    from nctransport.photophysics.forster import (
        diffusivity_from_forster_radius,
        forster_radius_from_diffusivity,
    )

    if not (math.isfinite(kappa2) and 0 <= kappa2 <= 4):
        raise ConfigError(f"--kappa2 must be in [0, 4], got {kappa2!r}")
    if donor_emission is None and acceptor_absorption is None:
        if quantum_yield is not None or refractive_index is not None:
            raise ConfigError(
                "--quantum-yield and --refractive-index are used only with --donor-emission "
                "and --acceptor-absorption"
            )
    if donor_emission is not None or acceptor_absorption is not None:
        if donor_emission is None or acceptor_absorption is None:
            raise ConfigError("give both --donor-emission and --acceptor-absorption")
        if quantum_yield is None or refractive_index is None:
            raise ConfigError("spectral overlap needs --quantum-yield and --refractive-index")
        if diffusivity is not None or forster_radius is not None:
            raise ConfigError("with spectra, do not also give --diffusivity or --forster-radius")
        from nctransport.kinetics.inputs import load_data
        from nctransport.spectral.forster import forster_from_spectra

        spec = forster_from_spectra(
            load_data(donor_emission, what="--donor-emission"),
            load_data(acceptor_absorption, what="--acceptor-absorption"),
            quantum_yield=quantum_yield,
            refractive_index=refractive_index,
            kappa2=kappa2,
        )
        result = dict(spec.to_dict())
        if spacing is not None and lifetime is not None:
            hop = diffusivity_from_forster_radius(
                float(spec.forster_radius_m),
                as_quantity(spacing, "m", name="--spacing"),
                as_quantity(lifetime, "s", name="--lifetime"),
                neighbours,
            )
            result["hopping"] = hop.to_dict()
        return CalculatorResult("forster", result, spec)
    if spacing is None or lifetime is None:
        raise ConfigError("--spacing and --lifetime are required")
    a = as_quantity(spacing, "m", name="--spacing")
    tau = as_quantity(lifetime, "s", name="--lifetime")
    if (diffusivity is None) == (forster_radius is None):
        raise ConfigError("give exactly one of --diffusivity or --forster-radius")
    if diffusivity is not None:
        r = forster_radius_from_diffusivity(
            as_quantity(diffusivity, "m**2/s", name="--diffusivity"), a, tau, neighbours
        )
    else:
        r = diffusivity_from_forster_radius(
            as_quantity(forster_radius, "m", name="--forster-radius"), a, tau, neighbours
        )
    return CalculatorResult("forster", r.to_dict(), r)


# ------------------------------------------------------------------------------ cross-section
_HEADER = re.compile(r"^\s*([^\[]*?)\s*(?:\[(.*)\])?\s*$")


def read_fluence_table(
    path: str | Path, wavelength_m: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Two or three columns: fluence with unit in the header, signal, [error].

    Header examples: ``fluence [uJ/cm2],signal`` (energy fluence, needs the wavelength) or
    ``j [cm-2],signal,err`` (photon fluence). Returns photon fluence (1/m^2), signal, error.
    """
    from nctransport.io.output import check_input_path
    from nctransport.units import parse_unit, ureg

    path = check_input_path(path)
    try:
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read ({type(exc).__name__})", path) from None
    if len(rows) < 2:
        raise InputError("needs a header and at least one data row", path)
    m = _HEADER.match(rows[0][0])
    unit = m.group(2) if m else None
    if not unit:
        raise InputError(
            "first header cell must state the fluence unit, e.g. 'fluence [uJ/cm2]'", path
        )
    try:
        data = np.array([[float(v) for v in r[:3]] for r in rows[1:]], dtype=float)
    except ValueError:
        raise InputError("non-numeric value or ragged row in the table", path) from None
    if data.ndim != 2 or data.shape[1] < 2:
        raise InputError("needs at least two columns (fluence, signal)", path)
    if not np.all(np.isfinite(data)):
        raise InputError("the table holds NaN or infinite values", path)
    u = parse_unit(unit, name="fluence unit")
    q = ureg.Quantity(1.0, u)
    if q.check("[mass] / [time] ** 2"):  # energy per area
        if wavelength_m is None:
            raise ConfigError("energy fluence needs --wavelength to count photons")
        from nctransport.constants import C_LIGHT, H_PLANCK

        j = data[:, 0] * float(q.to("J/m**2").magnitude) / (H_PLANCK * C_LIGHT / wavelength_m)
    elif q.check("1 / [length] ** 2"):
        j = data[:, 0] * float(q.to("1/m**2").magnitude)
    else:
        raise InputError(f"fluence unit {unit!r} is neither energy nor photons per area", path)
    err = data[:, 2] if data.shape[1] >= 3 else None
    return j, data[:, 1], err


@_in_range
def absorption_cross_section(data: Any, *, wavelength: Any = None) -> CalculatorResult:
    """Absorption cross-section from signal vs fluence, ``S = A (1 - exp(-j sigma))``
    (Li 2023).

    Parameters
    ----------
    data
        A CSV table (``fluence [uJ/cm2],signal[,err]`` or ``j [cm-2],signal``), or a tuple
        ``(photon_fluence_m2, signal[, errors])`` of arrays.
    wavelength
        Needed for an energy fluence (``"450nm"``).

    Examples
    --------
    >>> from nctransport.photophysics import saturation
    >>> j = np.logspace(13, 15.5, 12) * 1e4
    >>> r = absorption_cross_section((j, saturation(j, 5.0, 7.73e-19)))
    >>> round(r.to_dict()["cross_section_cm2"] * 1e15, 3)
    7.73
    """
    from nctransport.kinetics.inputs import naming
    from nctransport.photophysics.cross_section import fit_cross_section

    lam = _opt(wavelength, "m", "--wavelength")
    if lam is not None and not lam > 0:
        raise ConfigError(f"--wavelength must be positive, got {wavelength!r}")
    settings = {"wavelength": wavelength if wavelength is None else str(wavelength)}
    if isinstance(data, str | Path):
        j, s, e = read_fluence_table(data, lam)
        from nctransport.io import sha256_of

        with naming(data):
            r = fit_cross_section(j, s, e)
        prov = provenance(data, sha256_of(data), settings)
    elif isinstance(data, tuple | list) and len(data) in (2, 3):
        r = fit_cross_section(*data)
        prov = provenance(None, None, settings)
    else:
        raise ConfigError("data must be a fluence table (path) or (fluence, signal[, errors])")
    warnings = () if r.converged else ("saturation fit did not converge",)
    return CalculatorResult("cross-section", r.to_dict() | prov, r, warnings)


# ------------------------------------------------------------------------------ others
@_in_range
def einstein_relation(
    temperature: Any, *, diffusivity: Any = None, mobility: Any = None
) -> CalculatorResult:
    """Einstein relation ``mu = e D / (k_B T)`` (Liu 2021), either direction.

    Examples
    --------
    >>> r = einstein_relation("300K", diffusivity="102cm2/s")
    >>> round(r.to_dict()["mobility_cm2_Vs"], -1)
    3950.0
    """
    from nctransport.photophysics.einstein import einstein

    r = einstein(
        _temperature(temperature),
        diffusivity_m2_s=_opt(diffusivity, "m**2/s", "--diffusivity"),
        mobility_m2_Vs=_opt(mobility, "m**2/(V*s)", "--mobility"),
    )
    return CalculatorResult("einstein", r.to_dict(), r)


@_in_range
def bright_dark_occupation(
    splitting: Any,
    temperature: Any,
    *,
    degeneracy: int = 3,
    tau_bright: Any = None,
    tau_dark: Any = None,
    amplitude_ratio: float | None = None,
    dark_photon_fraction: float | None = None,
) -> CalculatorResult:
    """Boltzmann bright/dark occupation (3-fold bright level, Bornschlegl 2024) and the
    photon split of a bright/dark biexponential decay.

    Examples
    --------
    >>> r = bright_dark_occupation("15meV", "10K")
    >>> r.bright_fraction < 1e-6
    True
    """
    from nctransport.photophysics.occupation import bright_dark

    if amplitude_ratio is not None and dark_photon_fraction is not None:
        raise ConfigError("give --amplitude-ratio or --dark-photon-fraction, not both")
    if isinstance(degeneracy, bool) or not isinstance(degeneracy, int) or degeneracy < 1:
        raise ConfigError(f"--degeneracy must be a whole number >= 1, got {degeneracy!r}")
    # checked whether or not the lifetimes come with them: an option never passes unread
    ratio = amplitude_ratio
    if ratio is not None and not (math.isfinite(ratio) and ratio >= 0):
        raise ConfigError(f"--amplitude-ratio must be >= 0, got {amplitude_ratio!r}")
    if dark_photon_fraction is not None and not 0 < dark_photon_fraction < 1:
        raise ConfigError(f"--dark-photon-fraction must be in (0, 1), got {dark_photon_fraction!r}")
    if (amplitude_ratio, dark_photon_fraction) != (None, None) and None in (tau_bright, tau_dark):
        raise ConfigError(
            "--amplitude-ratio and --dark-photon-fraction need --tau-bright and --tau-dark"
        )
    r = bright_dark(
        as_quantity(splitting, "eV", name="--splitting"),
        _temperature(temperature),
        degeneracy=degeneracy,
        tau_bright_s=_opt(tau_bright, "s", "--tau-bright"),
        tau_dark_s=_opt(tau_dark, "s", "--tau-dark"),
        amplitude_ratio=_number(amplitude_ratio, "--amplitude-ratio"),
        dark_photon_fraction=_number(dark_photon_fraction, "--dark-photon-fraction"),
    )
    return CalculatorResult("bright-dark", r.to_dict(), r)


@_in_range
def energetic_disorder(
    temperature: Any, *, sigma: Any = None, shift: Any = None
) -> CalculatorResult:
    """Disorder width <-> bleach red-shift, ``Delta E = -sigma^2/(2 k_B T)`` (Liu 2021).

    Examples
    --------
    >>> round(energetic_disorder("300K", sigma="50meV").to_dict()["bleach_shift_meV"], 2)
    -48.35
    """
    from nctransport.photophysics.disorder import disorder

    r = disorder(
        _temperature(temperature),
        sigma_eV=_opt(sigma, "eV", "--sigma"),
        shift_eV=_opt(shift, "eV", "--shift"),
    )
    return CalculatorResult("disorder", r.to_dict(), r)


@_in_range
def saha_fraction(
    binding_energy: Any,
    density: Any,
    temperature: Any,
    *,
    reduced_mass: float = 0.15,
    dimension: int = 3,
) -> CalculatorResult:
    """Free-carrier vs exciton fraction from the Saha-Langmuir equation.

    ``density`` is per m^3 in 3D and per m^2 in 2D (or text such as ``"1e17cm-3"``);
    ``reduced_mass`` in electron masses.

    Examples
    --------
    >>> r = saha_fraction("30meV", "1e17cm-3", "300K")
    >>> 0 < r.free_carrier_fraction < 1
    True
    """
    from nctransport.photophysics.saha import saha

    if dimension not in (2, 3):
        raise ConfigError("--dimension must be 2 or 3")
    unit = "1/m**3" if dimension == 3 else "1/m**2"
    r = saha(
        as_quantity(binding_energy, "eV", name="--binding-energy"),
        as_quantity(density, unit, name="--density"),
        _temperature(temperature),
        _number(reduced_mass, "--reduced-mass"),
        dimension=dimension,
    )
    return CalculatorResult("saha", r.to_dict(), r)


__all__ = [
    "MAX_OCCUPATION",
    "CalculatorResult",
    "absorption_cross_section",
    "bright_dark_occupation",
    "einstein_relation",
    "energetic_disorder",
    "excitation_density",
    "forster_hopping",
    "read_fluence_table",
    "saha_fraction",
]
