"""Photophysics calculators on the command line, each with ``--json``.

``excitation``, ``forster``, ``cross-section``, ``einstein``, ``bright-dark``,
``disorder``, ``saha``. Quantities carry units (``10nW``, ``2.5MHz``); a bare number where a
unit is needed, a negative power or a zero width is a one-line error (exit 2).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from nctransport.commands.common import JsonFlag, OutDir, console
from nctransport.errors import ConfigError, InputError
from nctransport.results import dumps, to_jsonable, write_json
from nctransport.units import parse_quantity

Q = Annotated  # short alias for option declarations


def _q(text: str | None, unit: str, name: str) -> float | None:
    return None if text is None else parse_quantity(text, unit, name=name)


def _emit(result: dict[str, Any], title: str, json: bool, out: Path | None = None) -> None:
    if out is not None:
        write_json(Path(out) / "results.json", result)
    if json:
        typer.echo(dumps(result), nl=False)
        return
    table = Table(title=title, show_header=False)
    table.add_column("quantity")
    table.add_column("value")
    for k, v in to_jsonable(result).items():
        if isinstance(v, dict):
            v = ", ".join(
                f"{kk}: {vv:.4g}" if isinstance(vv, float) else f"{kk}: {vv}"
                for kk, vv in v.items()
            )
        elif isinstance(v, float):
            v = f"{v:.6g}"
        table.add_row(k, str(v))
    console.print(table)


def excitation_cmd(
    power: Q[str, typer.Option("--power", help="Average laser power, e.g. 10nW.")],
    rep_rate: Q[str, typer.Option("--rep-rate", help="Repetition rate, e.g. 2.5MHz.")],
    fwhm: Q[str, typer.Option("--fwhm", help="Spot intensity FWHM, e.g. 500nm.")],
    wavelength: Q[str, typer.Option("--wavelength", help="Laser wavelength, e.g. 405nm.")],
    cross_section: Q[
        str | None, typer.Option("--cross-section", help="Absorption cross-section, e.g. 1e-14cm2.")
    ] = None,
    n_max: Q[int, typer.Option("--n-max", help="Highest occupation reported.")] = 4,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Pulse energy, peak/mean fluence, <N> = j sigma, occupation, time between excitations."""
    from nctransport.photophysics.excitation import excitation

    r = excitation(
        parse_quantity(power, "W", name="--power"),
        parse_quantity(rep_rate, "Hz", name="--rep-rate"),
        parse_quantity(fwhm, "m", name="--fwhm"),
        parse_quantity(wavelength, "m", name="--wavelength"),
        _q(cross_section, "m**2", "--cross-section"),
        n_max=n_max,
    )
    _emit(r.to_dict(), "excitation", json, out)


def forster_cmd(
    diffusivity: Q[
        str | None, typer.Option("--diffusivity", help="Per-axis D, e.g. 0.01cm2/s.")
    ] = None,
    forster_radius: Q[
        str | None, typer.Option("--forster-radius", help="R0, e.g. 17nm (gives D).")
    ] = None,
    spacing: Q[str | None, typer.Option("--spacing", help="NC centre-to-centre distance.")] = None,
    lifetime: Q[str | None, typer.Option("--lifetime", help="Donor lifetime, e.g. 2.5ns.")] = None,
    neighbours: Q[
        str, typer.Option("--neighbours", help="nearest | next-nearest (Bornschlegl 2024 lattice).")
    ] = "nearest",
    donor_emission: Q[
        Path | None, typer.Option("--donor-emission", help="Donor emission spectrum file.")
    ] = None,
    acceptor_absorption: Q[
        Path | None,
        typer.Option("--acceptor-absorption", help="Acceptor molar absorption spectrum file."),
    ] = None,
    quantum_yield: Q[float | None, typer.Option("--quantum-yield", help="Donor PL QY.")] = None,
    refractive_index: Q[
        float | None, typer.Option("--refractive-index", help="Medium refractive index.")
    ] = None,
    kappa2: Q[float, typer.Option("--kappa2", help="Orientation factor.")] = 2.0 / 3.0,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Forster radius <-> hopping D on a 2D square lattice (Shcherbakov-Wu 2024) or from spectra."""
    from nctransport.photophysics.forster import (
        diffusivity_from_forster_radius,
        forster_radius_from_diffusivity,
    )

    spectral = donor_emission is not None or acceptor_absorption is not None
    result: dict[str, Any] = {}
    if spectral:
        if donor_emission is None or acceptor_absorption is None:
            raise ConfigError("give both --donor-emission and --acceptor-absorption")
        if quantum_yield is None or refractive_index is None:
            raise ConfigError("spectral overlap needs --quantum-yield and --refractive-index")
        if diffusivity is not None or forster_radius is not None:
            raise ConfigError("with spectra, do not also give --diffusivity or --forster-radius")
        from nctransport.io import load
        from nctransport.spectral.forster import forster_from_spectra

        spec = forster_from_spectra(
            load(donor_emission),
            load(acceptor_absorption),
            quantum_yield=quantum_yield,
            refractive_index=refractive_index,
            kappa2=kappa2,
        )
        result.update(spec.to_dict())
        if spacing is not None and lifetime is not None:
            hop = diffusivity_from_forster_radius(
                float(spec.forster_radius_m),
                parse_quantity(spacing, "m", name="--spacing"),
                parse_quantity(lifetime, "s", name="--lifetime"),
                neighbours,
            )
            result["hopping"] = hop.to_dict()
        _emit(result, "forster (spectral overlap)", json, out)
        return
    if spacing is None or lifetime is None:
        raise ConfigError("--spacing and --lifetime are required")
    a = parse_quantity(spacing, "m", name="--spacing")
    tau = parse_quantity(lifetime, "s", name="--lifetime")
    if (diffusivity is None) == (forster_radius is None):
        raise ConfigError("give exactly one of --diffusivity or --forster-radius")
    if diffusivity is not None:
        r = forster_radius_from_diffusivity(
            parse_quantity(diffusivity, "m**2/s", name="--diffusivity"), a, tau, neighbours
        )
    else:
        r = diffusivity_from_forster_radius(
            parse_quantity(forster_radius, "m", name="--forster-radius"), a, tau, neighbours
        )
    _emit(r.to_dict(), "forster", json, out)


_HEADER = re.compile(r"^\s*([^\[]*?)\s*(?:\[(.*)\])?\s*$")


def read_fluence_table(path: Path, wavelength_m: float | None) -> tuple[np.ndarray, ...]:
    """Two or three columns: fluence with unit in the header, signal, [error].

    Header examples: ``fluence [uJ/cm2],signal`` (energy fluence, needs the wavelength) or
    ``j [cm-2],signal,err`` (photon fluence).
    """
    if not path.exists():
        raise InputError("no such file", path)
    try:
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
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
        raise InputError("non-numeric value in the table", path) from None
    if data.ndim != 2 or data.shape[1] < 2:
        raise InputError("needs at least two columns (fluence, signal)", path)
    from nctransport.units import parse_unit, ureg

    u = parse_unit(unit, name="fluence unit")
    q = ureg.Quantity(1.0, u)
    if q.check("[mass] / [time] ** 2"):  # energy per area
        if wavelength_m is None:
            raise ConfigError("energy fluence needs --wavelength to count photons")
        from scipy.constants import c, h

        j = data[:, 0] * float(q.to("J/m**2").magnitude) / (h * c / wavelength_m)
    elif q.check("1 / [length] ** 2"):
        j = data[:, 0] * float(q.to("1/m**2").magnitude)
    else:
        raise InputError(f"fluence unit {unit!r} is neither energy nor photons per area", path)
    err = data[:, 2] if data.shape[1] >= 3 else None
    return j, data[:, 1], err


def cross_section_cmd(
    file: Q[Path, typer.Argument(help="CSV: fluence [unit], signal[, error].")],
    wavelength: Q[
        str | None, typer.Option("--wavelength", help="Needed for energy fluence, e.g. 450nm.")
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Absorption cross-section from signal vs fluence: S = A (1 - exp(-j sigma)) (Li 2023)."""
    from nctransport.io import sha256_of
    from nctransport.photophysics.cross_section import fit_cross_section
    from nctransport.results import provenance

    lam = _q(wavelength, "m", "--wavelength")
    j, s, e = read_fluence_table(file, lam)
    r = fit_cross_section(j, s, e)
    res = r.to_dict() | provenance(file, sha256_of(file), {"wavelength": wavelength})
    _emit(res, "cross-section", json, out)


def einstein_cmd(
    temperature: Q[str, typer.Option("--temperature", help="e.g. 300K.")],
    diffusivity: Q[str | None, typer.Option("--diffusivity", help="e.g. 102cm2/s.")] = None,
    mobility: Q[str | None, typer.Option("--mobility", help="e.g. 1cm2/(V*s).")] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Einstein relation mu = e D / (k_B T) (Liu 2021), either direction."""
    from nctransport.photophysics.einstein import einstein

    r = einstein(
        parse_quantity(temperature, "K", name="--temperature"),
        diffusivity_m2_s=_q(diffusivity, "m**2/s", "--diffusivity"),
        mobility_m2_Vs=_q(mobility, "m**2/(V*s)", "--mobility"),
    )
    _emit(r.to_dict(), "einstein", json, out)


def bright_dark_cmd(
    splitting: Q[str, typer.Option("--splitting", help="Bright-dark splitting, e.g. 15meV.")],
    temperature: Q[str, typer.Option("--temperature", help="e.g. 10K.")],
    degeneracy: Q[int, typer.Option("--degeneracy", help="Bright-level degeneracy.")] = 3,
    tau_bright: Q[str | None, typer.Option("--tau-bright", help="e.g. 480ps.")] = None,
    tau_dark: Q[str | None, typer.Option("--tau-dark", help="e.g. 52ns.")] = None,
    amplitude_ratio: Q[
        float | None, typer.Option("--amplitude-ratio", help="A_dark / A_bright of the decay.")
    ] = None,
    dark_photon_fraction: Q[
        float | None, typer.Option("--dark-photon-fraction", help="e.g. 0.58 (Bornschlegl 2024).")
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Boltzmann bright/dark occupation (3-fold bright, Bornschlegl 2024), photon split."""
    from nctransport.photophysics.occupation import bright_dark

    if amplitude_ratio is not None and dark_photon_fraction is not None:
        raise ConfigError("give --amplitude-ratio or --dark-photon-fraction, not both")
    r = bright_dark(
        parse_quantity(splitting, "eV", name="--splitting"),
        parse_quantity(temperature, "K", name="--temperature"),
        degeneracy=degeneracy,
        tau_bright_s=_q(tau_bright, "s", "--tau-bright"),
        tau_dark_s=_q(tau_dark, "s", "--tau-dark"),
        amplitude_ratio=amplitude_ratio,
        dark_photon_fraction=dark_photon_fraction,
    )
    _emit(r.to_dict(), "bright/dark", json, out)


def disorder_cmd(
    temperature: Q[str, typer.Option("--temperature", help="e.g. 300K.")],
    sigma: Q[str | None, typer.Option("--sigma", help="Disorder width, e.g. 50meV.")] = None,
    shift: Q[str | None, typer.Option("--shift", help="Bleach red-shift, e.g. -48meV.")] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Disorder width <-> bleach red-shift, Delta E = -sigma^2/(2 k_B T) (Liu 2021)."""
    from nctransport.photophysics.disorder import disorder

    r = disorder(
        parse_quantity(temperature, "K", name="--temperature"),
        sigma_eV=_q(sigma, "eV", "--sigma"),
        shift_eV=_q(shift, "eV", "--shift"),
    )
    _emit(r.to_dict(), "disorder", json, out)


def saha_cmd(
    binding_energy: Q[str, typer.Option("--binding-energy", help="e.g. 30meV.")],
    density: Q[str, typer.Option("--density", help="Excitation density, e.g. 1e17cm-3.")],
    temperature: Q[str, typer.Option("--temperature", help="e.g. 300K.")],
    reduced_mass: Q[float, typer.Option("--reduced-mass", help="In electron masses.")] = 0.15,
    dimension: Q[int, typer.Option("--dimension", help="3 (density in volume) or 2.")] = 3,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Free-carrier vs exciton fraction from the Saha-Langmuir equation."""
    from nctransport.photophysics.saha import saha

    if dimension not in (2, 3):
        raise ConfigError("--dimension must be 2 or 3")
    unit = "1/m**3" if dimension == 3 else "1/m**2"
    r = saha(
        parse_quantity(binding_energy, "eV", name="--binding-energy"),
        parse_quantity(density, unit, name="--density"),
        parse_quantity(temperature, "K", name="--temperature"),
        reduced_mass,
        dimension=dimension,
    )
    _emit(r.to_dict(), "saha", json, out)


def register(app: typer.Typer) -> None:
    app.command("excitation")(excitation_cmd)
    app.command("forster")(forster_cmd)
    app.command("cross-section")(cross_section_cmd)
    app.command("einstein")(einstein_cmd)
    app.command("bright-dark")(bright_dark_cmd)
    app.command("disorder")(disorder_cmd)
    app.command("saha")(saha_cmd)
