"""The ``simulate`` command in-process (tests/commands mirror: the KMC area owns it)."""

from __future__ import annotations

import json

from nctransport.cli import main
from nctransport.io import load


def test_simulate_preset_writes_outputs(tmp_path, capsys):
    out = tmp_path / "rw"
    rc = main(
        [
            "simulate",
            "--preset",
            "random-walk",
            "--set",
            "particles=300",
            "--set",
            "duration=0.5ns",
            "--seed",
            "4",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert rc == 0
    body = json.loads(capsys.readouterr().out)
    assert body["seed"] == 4 and body["total_events"] > 0
    for name in ("simulation.nc", "populations.csv", "config.toml", "results.json", "report.html"):
        assert (out / name).is_file()
    ds = load(out / "simulation.nc")
    assert ds.attrs["technique"] == "SIM" and int(ds.attrs["seed"]) == 4


def test_simulate_config_file_and_errors(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('name = "x"\n[lattice]\ndim = 1\nsize = 51\nspacing = "10 ns"\n')
    rc = main(["simulate", str(cfg), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "lattice.spacing" in err and len(err.strip().splitlines()) == 1
    rc = main(["simulate", "--preset", "random-walk", "--set", "lattice.bogus=1"])
    err = capsys.readouterr().err
    assert rc == 2 and "lattice.bogus: unknown key" in err
    assert main(["simulate", "--preset", "nope"]) == 2
    assert main(["simulate"]) == 2
    assert not (tmp_path / "o").exists()


def test_bare_preset_name_is_the_preset_and_gives_the_same_bytes(tmp_path, monkeypatch):
    # `nctransport simulate random-walk` is what users type; a file of that name would win
    monkeypatch.chdir(tmp_path)
    keys = ["--set", "particles=200", "--set", "duration=0.3ns", "--seed", "9", "--no-report"]
    assert main(["simulate", "random-walk", *keys, "--out", "bare"]) == 0
    assert main(["simulate", "--preset", "random-walk", *keys, "--out", "opt"]) == 0
    bare, opt = load(tmp_path / "bare" / "simulation.nc"), load(tmp_path / "opt" / "simulation.nc")
    assert bare["signal"].values.tobytes() == opt["signal"].values.tobytes()
    (tmp_path / "memory").write_text("not toml [")
    assert main(["simulate", "memory", "--out", "file"]) == 2
