"""Exit codes of the CLI: errors 2, Ctrl-C 130, explicit exits pass through."""

import numpy as np
import pytest
import typer

from nctransport import __version__
from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.io import save


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "m.nc"
    save(make_dataset(np.ones((3, 4)), {"t": [0, 1e-9, 2e-9], "x": np.arange(4) * 1e-7}), path)
    return path


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nctransport {__version__}"


@pytest.mark.parametrize(
    ("exc", "code"), [(KeyboardInterrupt(), 130), (typer.Exit(3), 3), (RuntimeError("x"), 1)]
)
def test_interrupts_and_exits_reach_the_shell(monkeypatch, small_file, exc, code, capsys):
    def fail(ds):
        raise exc

    monkeypatch.setattr("nctransport.commands.data.describe", fail)
    assert main(["info", str(small_file)]) == code
    if code == 1:  # an unexpected error is one line, never a traceback
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_usage_error_is_exit_2(capsys):
    assert main(["info"]) == 2
