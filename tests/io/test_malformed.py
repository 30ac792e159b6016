"""Every malformed input: a typed error naming the file, and from the CLI one line + exit 2.

Each case is a file the way users get them wrong; the test checks (1) the library raises
the typed error, (2) ``nctransport info FILE`` exits with 2 and prints exactly one line on
stderr that names the file, with no traceback, and (3) the file is left unchanged.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nctransport.cli import main
from nctransport.errors import InputError, NctransportError, UnitError
from nctransport.io import load


def _text(s: str) -> Callable[[Path], None]:
    return lambda p: p.write_text(s, encoding="utf-8")


def _bytes(b: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(b)


def _npz(**arrays) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        with open(p, "wb") as fh:
            np.savez(fh, **arrays)

    return make


def _truncated_npz(p: Path) -> None:
    _npz(signal=np.arange(500.0), t=np.arange(500.0), t_unit="ns")(p)
    p.write_bytes(p.read_bytes()[:-300])


def _npz_bad_member(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("signal.npy", b"\x93NUMPY garbage that is not an array header")


def _tiff_plain(p: Path) -> None:
    import tifffile

    tifffile.imwrite(p, np.ones((3, 4, 5), np.uint16), photometric="minisblack")


def _tiff_truncated(p: Path) -> None:
    _tiff_plain(p)
    p.write_bytes(p.read_bytes()[:50])


WIDE = "t [ns] \\ x [um],0,1,2\n"

CASES: dict[str, tuple[str, Callable[[Path], None], type[NctransportError], str]] = {
    "ragged": ("a.csv", _text(WIDE + "0,1,2,3\n1,4,5\n"), InputError, "ragged"),
    "non_numeric": ("a.csv", _text(WIDE + "0,1,2,3\n1,4,five,6\n"), InputError, "line 3"),
    "non_monotonic": ("a.csv", _text("t [ns],counts\n0,1\n2,2\n1,3\n"), InputError, "monotonic"),
    "duplicate_axis": ("a.csv", _text(WIDE + "0,1,2,3\n0,4,5,6\n"), InputError, "duplicate"),
    "duplicate_position": (
        "a.csv", _text("t [ns] \\ x [um],0,1,1\n0,1,2,3\n1,4,5,6\n"), InputError, "duplicate",
    ),
    "unknown_unit": ("a.csv", _text("t [blorps],counts\n0,1\n1,2\n"), UnitError, "unknown"),
    "missing_unit": ("a.csv", _text("t,counts\n0,1\n1,2\n"), UnitError, "no unit"),
    "runaway_unit": ("a.csv", _text("t [10**10**10],c\n0,1\n1,2\n"), UnitError, "plausible"),
    "runaway_metadata": (
        "a.csv", _text("# power: 9^9^9 W\nt [ns],c\n0,1\n1,2\n"), UnitError, "plausible",
    ),
    "wrong_dimension": ("a.csv", _text("t [nm],counts\n0,1\n1,2\n"), UnitError, "not a time"),
    "empty": ("a.csv", _bytes(b""), InputError, "empty"),
    "blank_lines_only": ("a.csv", _text("\n  \n\t\n"), InputError, "empty"),
    "comments_only": (
        "a.csv", _text("# temperature: 10 K\n# nothing else\n"), InputError, "no table",
    ),
    "header_only": ("a.csv", _text("t [ns],counts\n"), InputError, "no data rows"),
    "nan_axis": ("a.csv", _text("t [ns],counts\n0,1\nnan,2\n"), InputError, "NaN"),
    "inf_axis": ("a.csv", _text(WIDE + "0,1,2,3\ninf,4,5,6\n"), InputError, "infinite"),
    "nan_position": ("a.csv", _text("t [ns] \\ x [um],0,nan\n0,1,2\n"), InputError, "NaN"),
    "bad_position": ("a.csv", _text("t [ns] \\ x [um],0,a1\n0,1,2\n"), InputError, "not a number"),
    "empty_axis_cell": ("a.csv", _text("t [ns],counts\n0,1\n,2\n"), InputError, "empty"),
    "shape_wide": ("a.csv", _text(WIDE + "0,1,2\n1,4,5\n"), InputError, "cells"),
    "binary_garbage": ("a.csv", _bytes(bytes(range(256)) * 8), InputError, "binary"),
    "undecodable": ("a.csv", _bytes(b"t [ns],counts\n0,1\n1,\x81\x8d\xff\n"), InputError, "decode"),
    "long_missing_cell": (
        "a.csv", _text("t [ps],x [nm],s\n0,0,1\n0,5,2\n1,0,3\n"), InputError, "incomplete",
    ),
    "long_duplicate": (
        "a.csv", _text("t [ps],x [nm],s\n0,0,1\n0,5,2\n1,0,3\n1,5,4\n0,5,9\n"), InputError,
        "duplicate",
    ),
    "no_header": ("a.csv", _text("0,1\n1,2\n"), InputError, "header"),
    "not_an_axis": ("a.csv", _text("foo [s],bar\n0,1\n1,2\n"), InputError, "not an axis"),
    "jv_without_unit": ("a.csv", _text("V [V],J\n0,1\n1,2\n"), UnitError, "no unit"),
    "metadata_wrong_unit": (
        "a.csv", _text("# temperature: 5 nm\nt [ns],counts\n0,1\n1,2\n"), UnitError, "temperature",
    ),
    "npz_truncated": ("a.npz", _truncated_npz, InputError, "npz"),
    "npz_missing_signal": ("a.npz", _npz(t=[0, 1], t_unit="ns"), InputError, "no 'signal'"),
    "npz_shape_mismatch": (
        "a.npz", _npz(signal=np.ones(3), t=[0, 1], t_unit="ns"), InputError, "shape",
    ),
    "npz_object_array": (
        "a.npz", _npz(signal=np.array([None, 1], dtype=object), t=[0, 1], t_unit="ns"),
        InputError, "pickled",
    ),
    "npz_missing_unit": ("a.npz", _npz(signal=np.ones(2), t=[0, 1]), UnitError, "t_unit"),
    "npz_bad_member": ("a.npz", _npz_bad_member, InputError, "npz"),
    "zip_named_nc": ("a.nc", _npz(signal=np.ones(2)), InputError, "axis array"),
    "text_named_nc": ("a.nc", _text("hello\n"), InputError, "not a valid .nc"),
    "tiff_uncalibrated": ("a.tif", _tiff_plain, UnitError, "--times"),
    "tiff_truncated": ("a.tif", _tiff_truncated, InputError, "TIFF"),
    "ptu_garbage": (
        "a.ptu", _bytes(b"PQTTTR\x00\x00" + bytes(range(7, 250)) * 3), InputError, "PicoQuant",
    ),
    "ptu_text": ("a.ptu", _text("t [ns],counts\n0,1\n"), InputError, "not a valid .ptu"),
    "phu_header_cut": (
        "a.phu", _bytes(b"PQHISTO\x001.0.00\x00\x00Measurement"), InputError, "corrupt",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_input(tmp_path: Path, case: str, capsys, file_hash) -> None:
    name, make, error, match = CASES[case]
    p = tmp_path / name
    make(p)
    before = file_hash(p)
    with pytest.raises(error, match=match) as info:
        load(p)
    assert info.value.path == str(p)
    capsys.readouterr()
    rc = main(["info", str(p)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and str(p) in lines[0]
    assert "Traceback" not in err
    assert file_hash(p) == before
    assert sorted(q.name for q in tmp_path.iterdir()) == [name]
