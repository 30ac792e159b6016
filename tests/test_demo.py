"""The demo: the whole loop on bundled data, every report linked from index.html."""

from __future__ import annotations

import html
import re
import shlex
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import typer.main

from nctransport.cli import app, main
from nctransport.commands.demo import BUNDLED_DATA, EXAMPLE_FILES, demo_steps


class _Index(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.status: list[str] = []
        self._cls = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a["href"])
        self._cls = a.get("class", "") if tag == "td" else None

    def handle_data(self, data):
        if self._cls and self._cls.startswith("status-") and data.strip():
            self.status.append(data.strip())


def _parse(index: Path) -> _Index:
    p = _Index()
    p.feed(index.read_text(encoding="utf-8"))
    return p


def test_bundled_example_data_is_small_and_readable():
    from nctransport.io import load

    total = sum((BUNDLED_DATA / f).stat().st_size for f in EXAMPLE_FILES)
    assert total < 5e6
    kinds = [load(BUNDLED_DATA / f).attrs["kind"] for f in EXAMPLE_FILES]
    assert kinds == ["map", "jv", "jv", "jv", "spectral"]


def test_demo_runs_every_step_and_links_every_report(tmp_path, capsys):
    out = tmp_path / "demo-output"
    rc = main(["demo", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 0, err
    index = _parse(out / "index.html")
    steps = demo_steps(out / "data", out)
    assert index.status == ["ok"] * len(steps), err
    assert sorted(index.hrefs) == sorted(f"./{s.name}/report.html" for s in steps)
    assert all((out / unquote(h)).is_file() for h in index.hrefs)  # every link resolves
    for step in steps:
        report = out / step.name / "report.html"
        page = report.read_text(encoding="utf-8")
        assert "data:image/png;base64," in page, step.name  # every report carries its figures
        # "Reproduce" shows the step's own command line (commands must not override it)
        shown = re.search(r'<pre class="cmd">(.*?)</pre>', page, re.S).group(1)
        assert html.unescape(shown) == shlex.join(["nctransport", *step.argv]), step.name
    # the inputs were copied next to the reports, unchanged
    for f in EXAMPLE_FILES:
        assert (out / "data" / f).read_bytes() == (BUNDLED_DATA / f).read_bytes()


def test_failed_step_is_listed_and_exit_status_is_nonzero(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for f in EXAMPLE_FILES:
        shutil.copyfile(BUNDLED_DATA / f, data / f)
    (data / "tplm_map.csv").write_text("t [ns] \\ x [um],0,1\n0,1\n")  # ragged: unreadable
    out = tmp_path / "out"
    rc = main(["demo", "--out", str(out), "--data", str(data), "--step", "01-analyze-map"])
    assert rc == 1
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "1 step did not succeed" in html
    assert "error: " in html and "tplm_map.csv" in html  # the step's own error line
    assert "did not succeed" in capsys.readouterr().err
    # the failed step links its log instead of a report
    assert _parse(out / "index.html").hrefs == ["./01-analyze-map/log.txt"]


def test_missing_data_is_a_one_line_error(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "nowhere")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "make_data.py" in err[0]


def test_unknown_step_is_rejected(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--step", "99-nothing"]) == 2


@pytest.mark.parametrize("name", [s.name for s in demo_steps(Path("d"), Path("o"))])
def test_every_step_uses_a_registered_command(name):
    step = next(s for s in demo_steps(Path("d"), Path("o")) if s.name == name)
    group = typer.main.get_command(app)
    assert step.argv[0] in group.commands, f"{step.argv[0]} is not a command"


def _make_data_module():
    import importlib.util

    path = BUNDLED_DATA.parent / "make_data.py"
    spec = importlib.util.spec_from_file_location("make_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_map_and_spectra_are_what_the_generator_writes(tmp_path):
    # The example data come from the project's own models: regenerate and compare bytes.
    md = _make_data_module()
    for name, make in (("tplm_map.csv", md.make_tplm_map), ("ta_spectra.csv", md.make_ta_spectra)):
        fresh = make(tmp_path / name)
        assert fresh.read_bytes() == (BUNDLED_DATA / name).read_bytes(), name


def test_ctrl_c_stops_the_demo_writes_the_index_and_exits_130(tmp_path, monkeypatch):
    import nctransport.cli

    def fake_main(argv):
        if argv[0] == "kinetics":
            raise KeyboardInterrupt
        out = Path(argv[argv.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.html").write_text("<!DOCTYPE html><title>r</title>")
        (out / "results.json").write_text('{"lifetime_1e_ns": 2.5}')
        return 0

    real_main = nctransport.cli.main
    monkeypatch.setattr(nctransport.cli, "main", fake_main)
    out = tmp_path / "o"
    argv = ["demo", "--out", str(out), "--step", "01-analyze-map"]
    argv += ["--step", "02-kinetics-map", "--step", "07-device-sclc"]
    rc = real_main(argv)
    assert rc == 130
    index = _parse(out / "index.html")
    assert index.status == ["ok", "interrupted", "skipped"]
    assert index.hrefs[0] == "./01-analyze-map/report.html"


def test_ctrl_c_inside_a_real_command_stops_the_demo(tmp_path, monkeypatch):
    # A real SIGINT while `analyze` runs, through the real CLI: the demo must stop with 130
    # and keep the index, whatever exit status the CLI layers turn the interrupt into.
    import signal

    import nctransport.commands.analyze as analyze_cmd

    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        raise AssertionError("SIGINT did not interrupt")

    monkeypatch.setattr(analyze_cmd, "load_input", interrupted)
    out = tmp_path / "o"
    rc = main(["demo", "--out", str(out), "--step", "01-analyze-map", "--step", "07-device-sclc"])
    assert rc == 130
    assert _parse(out / "index.html").status == ["interrupted", "skipped"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
