"""``--figures svg|png|png,svg`` of every command that writes report figures.

One option (``Figures`` in commands/common.py, parsed by ``figure_formats``): SVG drawn by
nctransport by default, PNG through matplotlib on request, or both; a bad value is one line
``error: --figures ...`` and exit 2 before anything runs. Inputs are the smallest the
commands' own tests use, so each run costs a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.io import save
from nctransport.kinetics import models as M
from nctransport.microscopy.synthetic import synthetic_map

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
HELP = "Figure file format(s): svg (default, drawn without matplotlib), png, or png,svg."


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    """Tiny input files, made once for the module."""
    d = tmp_path_factory.mktemp("figures-inputs")
    rng = np.random.default_rng(7)
    t = np.linspace(-0.5e-9, 3e-9, 24)
    x = np.linspace(-1.5e-6, 1.5e-6, 25)
    tmap = synthetic_map(
        t, x, sigma0=2e-7, D=0.5e-4, amplitude=300.0, lifetime=3e-9, background=5.0,
        noise="poisson", seed=1,
    )  # fmt: skip
    td = np.arange(-2.0, 20.0, 0.1)
    decay = rng.poisson(M.exp_sum_gaussian_irf(td, [400.0], [3.0], 0.4, 0.3) + 2)
    temps = np.array([100.0, 150, 200, 250, 300])
    dvals = 0.05 * np.exp(-0.010 / (8.617333e-5 * temps))
    table = d / "d_vs_t.csv"
    table.write_text(
        "T [K],D [cm2/s],err [cm2/s]\n"
        + "".join(f"{a},{b:.6g},{0.03 * b:.6g}\n" for a, b in zip(temps, dvals, strict=True))
    )
    widths = np.linspace(2, 100, 12)
    tel = d / "tel.csv"
    tel.write_text(
        "t [us],integrated EL [arb]\n"
        + "".join(f"{float(w)!r},{3 * max(float(w) - 5.0, 0.0)!r}\n" for w in widths)
    )
    return {
        "map": str(save(tmap, d / "map.nc")),
        "decay": str(
            save(make_dataset(decay, {"t": td * 1e-9}, signal_units="counts"), d / "decay.nc")
        ),
        "spectra": str(EXAMPLES / "ta_spectra.csv"),
        "table": str(table),
        "tel": str(tel),
        "jv": str(EXAMPLES / "jv_297K.csv"),
    }


#: Command -> its arguments (without --out and --figures), given the inputs.
COMMANDS = {
    "analyze": lambda f: ["analyze", f["map"], "--window", "0ns:2.5ns"],
    "simulate": lambda f: (
        "simulate --preset random-walk --set particles=100 --set duration=0.2ns --seed 1"
    ).split(),
    "kinetics": lambda f: ["kinetics", f["decay"], "--model", "exp1"],
    "spectra": lambda f: ["spectra", f["spectra"]],
    "temperature": lambda f: ["temperature", f["table"], "--quantity", "D"],
    "device sclc": lambda f: [
        *"device sclc".split(),
        f["jv"],
        *"--thickness 110nm --no-drift-diffusion".split(),
    ],
    "device tel": lambda f: ["device", "tel", f["tel"], "--thickness", "30nm", "--voltage", "4V"],
    "device simulate": lambda f: (
        "device simulate --model constant --mobility 4.4e-11m2/V/s --voltages 0:2:3 --points 40"
    ).split(),
    "device fit": lambda f: [
        *"device fit".split(),
        f["jv"],
        *"--model constant --thickness 110nm --points 40".split(),
    ],
}


FORMATS = {
    "default": ([], {".svg"}),
    "png": (["--figures", "png"], {".png"}),
    "png+svg": (["--figures", "png,svg"], {".png", ".svg"}),
}
#: analyze's default and png,svg are tested in tests/microscopy/test_cli_analyze.py.
CASES = [
    pytest.param(command, *FORMATS[name], id=f"{name}-{command}")
    for name in FORMATS
    for command in COMMANDS
    if not (command == "analyze" and name != "png")
]


@pytest.mark.parametrize(("command", "option", "suffixes"), CASES)
def test_figures_option_chooses_the_figure_files(
    inputs, tmp_path, capsys, command, option, suffixes
):
    out = tmp_path / "out"
    rc = main([*COMMANDS[command](inputs), "--out", str(out), "--json", *option])
    assert rc == 0, capsys.readouterr().err
    figures = [p for p in out.iterdir() if p.suffix in (".png", ".svg")]
    assert figures and {p.suffix for p in figures} == suffixes
    stems = {p.stem for p in figures}
    for stem in stems:  # with png,svg every figure comes in both formats
        assert {p.suffix for p in figures if p.stem == stem} == suffixes, stem
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_figures_value_is_one_line_exit_2(inputs, tmp_path, capsys, command):
    out = tmp_path / "out"
    rc = main([*COMMANDS[command](inputs), "--out", str(out), "--figures", "gif"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("error:") and "--figures" in err and "'gif'" in err
    assert "\n" not in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_the_figures_option(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the help text on one line
    assert main([*command.split(), "--help"]) == 0
    text = capsys.readouterr().out
    assert "--figures" in text and HELP in " ".join(text.split())
