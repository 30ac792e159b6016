"""Hostile inputs to ``simulate`` (issue 16): refused before anything is allocated or run,
with one ``error:`` line naming the key, file or option, exit 2, and no output left."""

from __future__ import annotations

import os

import pytest

from nctransport.cli import main
from nctransport.errors import ConfigError, ResourceError
from nctransport.kmc import simulate


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("sets", "named"),
    [
        (["particles=1e10"], "excitation.particles"),
        (["size=1000000"], "lattice.size"),
        (["duration=1s", "frame_interval=1fs"], "output.duration"),
        (["duration=1s"], "output.duration"),
        (["pulses=1e12"], "excitation.pulses"),
        (["spacing=0nm"], "lattice.spacing"),
        (["lifetime=0ns"], "states.exciton.lifetime"),
        (["hop_rate=-1/s"], "hops.rate"),
        (["frame_interval=0ps"], "output.frame_interval"),
        (["sigma0=0nm"], "excitation.sigma"),
        (["excitation.warmup_pulses=-1"], "warmup_pulses"),
        (["output.psf_sigma=10nm", "output.psf_fwhm=10nm"], "psf_fwhm"),
        # absurd magnitudes that used to overflow, raise ValueError or allocate a kernel
        (["lattice.jitter=1e308nm"], "jitter"),
        (["hop_rate=1e308/s"], "excitation.pulses"),
        (["output.irf_fwhm=1e9s"], "output.irf_fwhm"),
        (["output.psf_sigma=1e9m"], "output.psf_sigma"),
        (["output.psf_fwhm=1km"], "psf_fwhm"),
        (["output.photons=1e300"], "output.photons"),
        (["--preset=memory", "tau_relax=1e308s"], "excitation.warmup_pulses"),
    ],
)
def test_refused_before_running(sets, named, tmp_path, capsys):
    preset = next((s.split("=")[1] for s in sets if s.startswith("--preset=")), "random-walk")
    sets = [s for s in sets if not s.startswith("--preset=")]
    argv = ["simulate", "--preset", preset, "--out", str(tmp_path / "o")]
    for s in sets:
        argv += ["--set", s]
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert named in line
    assert not (tmp_path / "o").exists()


def test_memory_model_lattice_refused_in_the_library():
    with pytest.raises(ResourceError, match="lattice.size"):
        simulate("memory", size=10**6)


@pytest.mark.parametrize("seed", [10**20, -1, 2**63])
def test_seed_out_of_range_refused_before_simulating(seed, tmp_path, capsys):
    # a 20-digit seed used to fail after the whole simulation (TOML/NetCDF int64)
    argv = ["simulate", "--preset", "memory", "--seed", str(seed), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "seed" in _one_error_line(capsys)
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="seed"):
        simulate("memory", seed=seed)


def test_largest_seed_is_accepted_and_written(tmp_path):
    s = simulate("random-walk", seed=2**63 - 1, particles=50, duration="0.2ns")
    s.write(tmp_path, report=False)
    assert "seed = 9223372036854775807" in (tmp_path / "config.toml").read_text()


@pytest.mark.parametrize("nest", ["[", "{b = "])
def test_deeply_nested_toml_is_a_config_error(nest, tmp_path, capsys):
    close = "]" if nest == "[" else "}"
    path = tmp_path / "deep.toml"
    path.write_text("a = " + nest * 100_000 + ("1" if close == "}" else "") + close * 100_000)
    assert main(["simulate", str(path), "--out", str(tmp_path / "o")]) == 2
    line = _one_error_line(capsys)
    assert "deep.toml" in line and "nested too deeply" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_config_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)
    assert main(["simulate", str(fifo), "--out", str(tmp_path / "o")]) == 2
    line = _one_error_line(capsys)
    assert "c.toml" in line and "FIFO" in line


def test_directory_as_config_refused(tmp_path, capsys):
    assert main(["simulate", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "directory" in _one_error_line(capsys)


def test_output_never_replaces_the_input_config(tmp_path, capsys):
    d = tmp_path / "D"
    d.mkdir()
    text = (
        'name = "mine"\n[lattice]\ndim = 1\nsize = 51\n[excitation]\nparticles = 20\n'
        'sigma = "20nm"\n[output]\nduration = "0.2ns"\n'
    )
    (d / "config.toml").write_text(text)
    assert main(["simulate", str(d / "config.toml"), "--out", str(d)]) == 2
    line = _one_error_line(capsys)
    assert "input config" in line
    assert (d / "config.toml").read_text() == text
    assert sorted(p.name for p in d.iterdir()) == ["config.toml"]
    # the library refuses it too
    s = simulate(d / "config.toml", seed=1)
    with pytest.raises(Exception, match="input config"):
        s.write(d)
    assert (d / "config.toml").read_text() == text


def test_unknown_preset_option_is_not_read_as_a_path(tmp_path, capsys):
    (tmp_path / "x.toml").write_text('name = "x"\n')
    assert main(["simulate", "--preset", str(tmp_path / "x.toml")]) == 2
    assert "unknown preset" in _one_error_line(capsys)


def test_no_stray_stderr_line_off_a_terminal(tmp_path, capsys):
    # the transient progress bar left an empty stderr line, so an error after it was two
    argv = ["simulate", "--preset", "random-walk", "--set", "particles=200", "--no-report"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err == ""
