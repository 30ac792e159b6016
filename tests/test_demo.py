"""The demo: the whole loop on bundled data as a library call, every report linked from index.

The Python call and the command shown for each step under "Reproduce" give the demo's numbers.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import typer.main

import nctransport
from nctransport.cli import app, main
from nctransport.demo import (
    BUNDLED_DATA,
    EXAMPLE_FILES,
    DemoResult,
    demo_steps,
    run_demo,
)
from nctransport.results import ResultProtocol, to_jsonable


class _Index(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.status: list[str] = []
        self.python: list[str] = []
        self.commands: list[str] = []
        self._cls = None
        self._pre = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a["href"])
        self._cls = a.get("class", "") if tag == "td" else None
        self._pre = a.get("class", "") if tag == "pre" else None

    def handle_endtag(self, tag):
        self._pre = None

    def handle_data(self, data):
        if self._cls and self._cls.startswith("status-") and data.strip():
            self.status.append(data.strip())
        if self._pre == "cmd python":
            self.python.append(data)
        elif self._pre == "cmd":
            self.commands.append(data)


def _parse(index: Path) -> _Index:
    p = _Index()
    p.feed(index.read_text(encoding="utf-8"))
    return p


def _strip_timing(d):
    """A results dict without wall-clock numbers (the only things two runs may differ in)."""
    if isinstance(d, dict):
        return {
            k: _strip_timing(v)
            for k, v in d.items()
            if k not in ("wall_time_s", "events_per_second")
        }
    if isinstance(d, list):
        return [_strip_timing(v) for v in d]
    return d


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory) -> DemoResult:
    """Every step, once for the module (about half a minute)."""
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    seen = []
    result = run_demo(out, progress=seen.append)
    assert [o.status for o in seen] == ["running", "ok"] * len(demo_steps())
    return result


def test_bundled_example_data_is_small_and_readable():
    from nctransport.io import load

    total = sum((BUNDLED_DATA / f).stat().st_size for f in EXAMPLE_FILES)
    assert total < 5e6
    kinds = [load(BUNDLED_DATA / f).attrs["kind"] for f in EXAMPLE_FILES]
    assert kinds == ["map", "jv", "jv", "jv", "spectral"]


def test_demo_runs_every_step_and_links_every_report(full_demo):
    out = full_demo.out_dir
    steps = demo_steps()
    assert [s.status for s in full_demo.steps] == ["ok"] * len(steps), full_demo.summary()
    assert full_demo.exit_code == 0 and not full_demo.interrupted
    index = _parse(out / "index.html")
    assert index.status == ["ok"] * len(steps)
    assert sorted(index.hrefs) == sorted(f"./{s.name}/report.html" for s in steps)
    assert all((out / unquote(h)).is_file() for h in index.hrefs)  # every link resolves
    for step in steps:
        page = (out / step.name / "report.html").read_text(encoding="utf-8")
        # every report carries its figures (analyze draws SVG, the others PNG)
        assert re.search(r"data:image/(png|svg\+xml);base64,", page), step.name
        # the report's "Reproduce" shows the step's own command line, not the demo's
        shown = re.search(r'<pre class="cmd">(.*?)</pre>', page, re.S).group(1)
        assert html.unescape(shown) == shlex.join(["nctransport", *step.command(out)])
    # the index shows the Python call and the command of every step under "Reproduce"
    assert 'id="reproduce"' in (out / "index.html").read_text(encoding="utf-8")
    assert index.python == [s.python_call(out) for s in steps]
    assert index.commands == [s.command_line(out) for s in steps]
    # the inputs were copied next to the reports, unchanged; no partial folder is left
    for f in EXAMPLE_FILES:
        assert (out / "data" / f).read_bytes() == (BUNDLED_DATA / f).read_bytes()
    assert not list(out.glob(".*partial*"))


def test_demo_result_follows_the_result_protocol(full_demo, tmp_path):
    from matplotlib.figure import Figure

    assert isinstance(full_demo, ResultProtocol)
    with pytest.raises(dataclasses.FrozenInstanceError):
        full_demo.seconds = 0.0  # type: ignore[misc]
    d = full_demo.to_dict()
    assert json.loads(json.dumps(d)) == d  # JSON-ready
    assert [s["status"] for s in d["steps"]] == ["ok"] * len(demo_steps())
    text = full_demo.summary()
    assert "✓ 01-analyze-map" in text and f"index: {full_demo.index}" in text
    assert "<table>" in full_demo._repr_html_()
    assert repr(full_demo).startswith("<DemoResult: 9 of 9 demo steps ok")
    ax = full_demo.plot(Figure().add_subplot())  # no pyplot, no backend
    assert len(ax.patches) == len(demo_steps())
    written = full_demo.write(tmp_path / "again")
    assert {p.name for p in written} == {"results.json", "index.html"}
    assert json.loads((tmp_path / "again" / "results.json").read_text()) == d


def test_every_truth_of_the_example_data_is_inside_its_95ci(full_demo):
    checks = full_demo.truth_checks
    assert {c.truth.quantity for c in checks} == {"D", "τ", "σ", "μ0", "σ_inh"}
    assert all(c.covered for c in checks), [str(c) for c in checks]
    assert not full_demo.result_warnings


def test_demo_truths_are_the_files_own_truths():
    # The constants in nctransport.demo must say what the files' "# truth_..." lines say.
    import nctransport.demo as demo
    from nctransport.io import load

    def truth(name, key):
        return float(str(load(BUNDLED_DATA / name).attrs[key]).split()[0])

    assert truth("tplm_map.csv", "truth_diffusivity") == demo.MAP_D_CM2_S
    assert truth("tplm_map.csv", "truth_lifetime") == demo.MAP_LIFETIME_NS
    assert truth("ta_spectra.csv", "truth_sigma_inh") == demo.TA_SIGMA_INH_MEV
    for f in demo.JV_FILES:
        assert truth(f, "truth_mu0") == demo.JV_MU0_M2_VS
        assert f"sigma {demo.JV_SIGMA_EV} eV" in load(BUNDLED_DATA / f).attrs["truth_model"]


@pytest.mark.parametrize("name", ["01-analyze-map", "02-kinetics-map", "07-device-sclc"])
def test_demo_numbers_equal_the_shown_python_call(full_demo, name, tmp_path):
    # The "Reproduce" Python call, evaluated, gives exactly the numbers the demo reports.
    step = full_demo[name]
    call = step.python.rsplit(".write(", 1)[0]
    direct = eval(call, {"nct": nctransport})  # the text shown under "Reproduce"
    assert type(direct) is type(step.result)
    want = _strip_timing(to_jsonable(direct.to_dict()))
    assert _strip_timing(to_jsonable(step.result.to_dict())) == want
    # ... and the results.json the demo wrote is that dict
    on_disk = json.loads((full_demo.out_dir / name / "results.json").read_text())
    assert _strip_timing(on_disk) == want


def test_demo_numbers_equal_the_workflow_called_directly(full_demo):
    out = full_demo.out_dir
    a = nctransport.analyze(out / "data" / "tplm_map.csv")
    got = full_demo["01-analyze-map"].result
    assert got.to_dict()["diffusivity"] == a.to_dict()["diffusivity"]
    s = nctransport.spectra(str(out / "data" / "ta_spectra.csv"))
    assert (
        full_demo["09-spectra"].result.to_dict()["sigma_inh_meV"] == (s.to_dict()["sigma_inh_meV"])
    )


@pytest.mark.parametrize("name", ["09-spectra", "07-device-sclc"])
def test_the_shown_command_gives_the_same_numbers(full_demo, name, tmp_path):
    step = next(s for s in demo_steps() if s.name == name)
    argv = step.command(full_demo.out_dir)
    argv[argv.index("--out") + 1] = str(tmp_path / name)
    assert main(argv) == 0
    cli = json.loads((tmp_path / name / "results.json").read_text())
    demo = json.loads((full_demo.out_dir / name / "results.json").read_text())
    assert cli == demo


def test_demo_never_imports_the_cli(tmp_path):
    code = (
        "import sys\n"
        "from nctransport.demo import run_demo\n"
        f"r = run_demo({str(tmp_path / 'o')!r}, steps=['09-spectra'])\n"
        "assert r.exit_code == 0, r.summary()\n"
        "bad = sorted(m for m in sys.modules if m == 'nctransport.cli'\n"
        "             or m.startswith(('nctransport.commands', 'typer', 'click')))\n"
        "print(bad)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_cli_face_prints_one_line_per_step_and_the_index(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["demo", "--out", str(out), "--step", "09-spectra"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"✓ 09-spectra \(\d+\.\d s\) σ_inh = 49\.8\d meV", err), err
    assert f"index: {out / 'index.html'}" in err
    assert _parse(out / "index.html").status == ["ok"]


def test_failed_step_is_listed_and_exit_status_is_nonzero(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for f in EXAMPLE_FILES:
        shutil.copyfile(BUNDLED_DATA / f, data / f)
    (data / "tplm_map.csv").write_text("t [ns] \\ x [um],0,1\n0,1\n")  # ragged: unreadable
    out = tmp_path / "out"
    argv = ["demo", "--out", str(out), "--data", str(data), "--step", "01-analyze-map"]
    rc = main(argv + ["--step", "09-spectra"])
    assert rc == 1
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "1 step did not succeed" in page
    assert "error: " in page and "tplm_map.csv" in page  # the step's own error line
    assert "did not succeed" in capsys.readouterr().err
    index = _parse(out / "index.html")
    assert index.status == ["failed", "ok"]  # a failure does not stop the others
    # the failed step links its log (with the traceback) instead of a report
    assert index.hrefs == ["./01-analyze-map/log.txt", "./09-spectra/report.html"]
    log = (out / "01-analyze-map" / "log.txt").read_text()
    assert "Traceback" in log and "nct.analyze(" in log
    assert sorted(p.name for p in (out / "01-analyze-map").iterdir()) == ["log.txt"]


def test_a_step_whose_input_step_failed_is_skipped(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise nctransport.errors.ConfigError("broken on purpose")

    monkeypatch.setattr(nctransport, "simulate", broken)
    r = run_demo(tmp_path, steps=["03-simulate-memory", "05-analyze-memory"])
    assert [s.status for s in r.steps] == ["failed", "skipped"]
    assert r["05-analyze-memory"].error == "needs 03-simulate-memory"
    assert r.exit_code == 1


def test_missing_data_is_a_one_line_error(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "nowhere")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "make_data.py" in err[0]


def test_unknown_step_is_rejected(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--step", "99-nothing"]) == 2
    with pytest.raises(nctransport.errors.ConfigError, match="99-nothing"):
        run_demo(tmp_path, steps=["99-nothing"])


@pytest.mark.parametrize("name", [s.name for s in demo_steps()])
def test_every_step_uses_a_registered_command_and_workflow(name):
    step = next(s for s in demo_steps() if s.name == name)
    group = typer.main.get_command(app)
    assert step.argv[0] in group.commands, f"{step.argv[0]} is not a command"
    assert step.workflow in nctransport.__all__, f"{step.workflow} is not a public workflow"


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


@dataclasses.dataclass(frozen=True)
class _Quick(ResultProtocol):
    workflow = "quick"

    def to_dict(self):
        return {"lifetime_1e_ns": 2.5}


def test_ctrl_c_stops_the_demo_writes_the_index_and_exits_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nctransport, "analyze", lambda *a, **k: _Quick())
    monkeypatch.setattr(nctransport, "fit_decay", interrupted)
    out = tmp_path / "o"
    argv = ["demo", "--out", str(out), "--step", "01-analyze-map"]
    argv += ["--step", "02-kinetics-map", "--step", "07-device-sclc"]
    rc = main(argv)
    assert rc == 130
    index = _parse(out / "index.html")
    assert index.status == ["ok", "interrupted", "skipped"]
    assert index.hrefs == ["./01-analyze-map/report.html"]
    assert not (out / "02-kinetics-map").exists()  # the interrupted step left nothing
    assert not list(out.glob(".*partial*"))


def test_ctrl_c_inside_a_real_workflow_stops_the_demo(tmp_path, monkeypatch):
    # A real SIGINT inside the library call the analyze step makes (nct.analyze reading its
    # file), through the real CLI: exit status 130, the index kept, the partial folder gone,
    # the SIGINT handler restored.
    import nctransport.microscopy.workflow as workflow

    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        raise AssertionError("SIGINT did not interrupt")

    monkeypatch.setattr(workflow, "load_data", interrupted)
    before = signal.getsignal(signal.SIGINT)
    out = tmp_path / "o"
    rc = main(["demo", "--out", str(out), "--step", "01-analyze-map", "--step", "07-device-sclc"])
    assert rc == 130
    assert _parse(out / "index.html").status == ["interrupted", "skipped"]
    assert not (out / "01-analyze-map").exists() and not list(out.glob(".*partial*"))
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    assert before is signal.default_int_handler


def test_a_workflow_that_swallows_ctrl_c_still_stops_the_demo(tmp_path, monkeypatch):
    # Whatever a workflow makes of the interrupt (here: another error), it was a Ctrl-C.
    def swallowed(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise RuntimeError("worker pool died") from None

    monkeypatch.setattr(nctransport, "sclc", swallowed)
    r = run_demo(tmp_path, steps=["07-device-sclc", "09-spectra"])
    assert [s.status for s in r.steps] == ["interrupted", "skipped"]
    assert r.exit_code == 130 and r.interrupted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
