"""Photophysics calculators on the command line, each with ``--json``.

``excitation``, ``forster``, ``cross-section``, ``einstein``, ``bright-dark``,
``disorder``, ``saha``. Quantities carry units (``10nW``, ``2.5MHz``); a bare number where a
unit is needed, a negative power or a zero width is a one-line error (exit 2). The
calculators live in :mod:`nctransport.photophysics.workflow`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nctransport.commands.common import JsonFlag, OutDir, console

Q = Annotated  # short alias for option declarations


def _check_out(out: Path | None, inputs: list[Path | None] = ()) -> None:
    if out is not None:
        from nctransport.io.output import check_output_dir

        check_output_dir(out, inputs=[p for p in inputs if p is not None])


def _emit(result: Any, title: str, json: bool, out: Path | None = None) -> None:
    if out is not None:
        result.write(out, report=False)
    if json:
        from nctransport.results import dumps

        typer.echo(dumps(result.to_dict()), nl=False)
        return
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("quantity")
    table.add_column("value")
    for name, value, _ in result.summary_rows():
        table.add_row(name, value)
    console.print(table)
    for w in result.result_warnings:
        console.print(f"[yellow]warning:[/] {w}")


def excitation_cmd(
    power: Q[str, typer.Option("--power", help="Average laser power, e.g. 10nW.")],
    rep_rate: Q[str, typer.Option("--rep-rate", help="Repetition rate, e.g. 2.5MHz.")],
    fwhm: Q[str, typer.Option("--fwhm", help="Spot intensity FWHM, e.g. 500nm.")],
    wavelength: Q[str, typer.Option("--wavelength", help="Laser wavelength, e.g. 405nm.")],
    cross_section: Q[
        str | None, typer.Option("--cross-section", help="Absorption cross-section, e.g. 1e-14cm2.")
    ] = None,
    n_max: Q[float, typer.Option("--n-max", help="Highest occupation reported (0 to 1000).")] = 4,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Pulse energy, peak/mean fluence, <N> = j sigma, occupation, time between excitations."""
    from nctransport.photophysics.workflow import excitation_density

    _check_out(out)
    r = excitation_density(
        power, rep_rate, fwhm, wavelength, cross_section=cross_section, n_max=n_max
    )
    _emit(r, "excitation", json, out)


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
    from nctransport.photophysics.workflow import forster_hopping

    _check_out(out, [donor_emission, acceptor_absorption])
    r = forster_hopping(
        spacing,
        lifetime,
        diffusivity=diffusivity,
        forster_radius=forster_radius,
        neighbours=neighbours,
        donor_emission=donor_emission,
        acceptor_absorption=acceptor_absorption,
        quantum_yield=quantum_yield,
        refractive_index=refractive_index,
        kappa2=kappa2,
    )
    spectral = donor_emission is not None or acceptor_absorption is not None
    _emit(r, "forster (spectral overlap)" if spectral else "forster", json, out)


def cross_section_cmd(
    file: Q[Path, typer.Argument(help="CSV: fluence [unit], signal[, error].")],
    wavelength: Q[
        str | None, typer.Option("--wavelength", help="Needed for energy fluence, e.g. 450nm.")
    ] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Absorption cross-section from signal vs fluence: S = A (1 - exp(-j sigma)) (Li 2023)."""
    from nctransport.photophysics.workflow import absorption_cross_section

    _check_out(out, [file])
    _emit(absorption_cross_section(file, wavelength=wavelength), "cross-section", json, out)


def einstein_cmd(
    temperature: Q[str, typer.Option("--temperature", help="e.g. 300K.")],
    diffusivity: Q[str | None, typer.Option("--diffusivity", help="e.g. 102cm2/s.")] = None,
    mobility: Q[str | None, typer.Option("--mobility", help="e.g. 1cm2/(V*s).")] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Einstein relation mu = e D / (k_B T) (Liu 2021), either direction."""
    from nctransport.photophysics.workflow import einstein_relation

    _check_out(out)
    r = einstein_relation(temperature, diffusivity=diffusivity, mobility=mobility)
    _emit(r, "einstein", json, out)


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
    from nctransport.photophysics.workflow import bright_dark_occupation

    _check_out(out)
    r = bright_dark_occupation(
        splitting,
        temperature,
        degeneracy=degeneracy,
        tau_bright=tau_bright,
        tau_dark=tau_dark,
        amplitude_ratio=amplitude_ratio,
        dark_photon_fraction=dark_photon_fraction,
    )
    _emit(r, "bright/dark", json, out)


def disorder_cmd(
    temperature: Q[str, typer.Option("--temperature", help="e.g. 300K.")],
    sigma: Q[str | None, typer.Option("--sigma", help="Disorder width, e.g. 50meV.")] = None,
    shift: Q[str | None, typer.Option("--shift", help="Bleach red-shift, e.g. -48meV.")] = None,
    json: JsonFlag = False,
    out: OutDir = None,
) -> None:
    """Disorder width <-> bleach red-shift, Delta E = -sigma^2/(2 k_B T) (Liu 2021)."""
    from nctransport.photophysics.workflow import energetic_disorder

    _check_out(out)
    _emit(energetic_disorder(temperature, sigma=sigma, shift=shift), "disorder", json, out)


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
    from nctransport.photophysics.workflow import saha_fraction

    _check_out(out)
    r = saha_fraction(
        binding_energy, density, temperature, reduced_mass=reduced_mass, dimension=dimension
    )
    _emit(r, "saha", json, out)


def register(app: typer.Typer) -> None:
    app.command("excitation")(excitation_cmd)
    app.command("forster")(forster_cmd)
    app.command("cross-section")(cross_section_cmd)
    app.command("einstein")(einstein_cmd)
    app.command("bright-dark")(bright_dark_cmd)
    app.command("disorder")(disorder_cmd)
    app.command("saha")(saha_cmd)
