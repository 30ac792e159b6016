"""``nctransport info`` and ``convert`` on every format, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from nctransport.cli import main
from nctransport.dataset import make_dataset
from nctransport.errors import UnitError
from nctransport.io import load, save


@pytest.fixture(scope="module")
def files(tmp_path_factory, write_phu, ptu_image) -> dict[str, tuple[Path, list[str]]]:
    """One small file per format, with the options it needs (read-only in the tests)."""
    tmp_path = tmp_path_factory.mktemp("formats")
    out: dict[str, tuple[Path, list[str]]] = {}
    p = tmp_path / "map.csv"
    p.write_text("# temperature: 10 K\nt [ns] \\ x [um],0,0.5,1\n0,1,2,3\n1,4,5,6\n")
    out["csv"] = (p, [])
    p = tmp_path / "d.npz"
    np.savez(p, signal=np.ones((2, 3)), t=[0, 1], x=[0, 1, 2], t_unit="ns", x_unit="um")
    out["npz"] = (p, [])
    p = tmp_path / "d.nc"
    save(make_dataset(np.ones(3), {"t": [0, 1e-9, 2e-9]}, attrs={"sample": "s1"}), p)
    out["netcdf"] = (p, [])
    p = tmp_path / "s.tif"
    tifffile.imwrite(p, np.arange(24, dtype=np.uint16).reshape(2, 3, 4), photometric="minisblack")
    out["tiff"] = (p, ["--times", "0ns:0.5ns", "--pixel", "50nm"])
    out["phu"] = (write_phu(tmp_path / "h.phu", [np.array([1, 9, 4, 2])], resolution=1e-11), [])
    out["ptu"] = (ptu_image(tmp_path / "i.ptu")[0], [])
    return out


FORMATS = ["csv", "npz", "netcdf", "tiff", "phu", "ptu"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_info_json_schema(files, fmt: str, capsys) -> None:
    path, opts = files[fmt]
    capsys.readouterr()
    assert main(["info", str(path), "--json", *opts]) == 0
    out, err = capsys.readouterr()
    info = json.loads(out)
    assert {"dims", "shape", "axes", "metadata"} <= set(info)
    ds = load(path, **_as_kwargs(opts))
    assert info["dims"] == list(ds.signal.dims)
    assert info["shape"] == list(ds.signal.shape)
    for d in info["dims"]:
        axis = info["axes"][d]
        assert {"unit", "min", "max", "n"} <= set(axis)
        assert axis["unit"] == ds[d].attrs["units"]
        assert axis["n"] == ds.sizes[d]
        assert axis["min"] == pytest.approx(float(ds[d].min()))
        assert axis["max"] == pytest.approx(float(ds[d].max()))
    assert info["metadata"]["source_sha256"] == ds.attrs["source_sha256"]


def _as_kwargs(opts: list[str]) -> dict[str, str]:
    return {opts[i].lstrip("-").replace("-", "_"): opts[i + 1] for i in range(0, len(opts), 2)}


def test_info_table_output(files, capsys) -> None:
    path, _ = files["csv"]
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "map.csv" in out and "temperature" in out and "10 K" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_convert_round_trips(files, fmt: str, tmp_path: Path, capsys) -> None:
    path, opts = files[fmt]
    dst = tmp_path / "out" / f"{fmt}.nc"
    assert main(["convert", str(path), str(dst), *opts]) == 0
    assert f"wrote {dst}" in capsys.readouterr().out.replace("\n", "")
    original = load(path, **_as_kwargs(opts))
    back = load(dst)
    assert back.signal.dims == original.signal.dims
    for d in original.signal.dims:
        np.testing.assert_array_equal(back[d].values, original[d].values)
    np.testing.assert_array_equal(back.signal.values, original.signal.values)
    for k, v in original.attrs.items():
        if k not in ("source_file", "source_sha256", "source_format"):
            assert back.attrs[k] == v
    assert back.attrs["origin_file"] == str(path)
    assert back.attrs["origin_sha256"] == original.attrs["source_sha256"]
    assert [p.name for p in dst.parent.iterdir()] == [dst.name]  # no temporaries left


def test_convert_to_csv_reads_back(files, tmp_path: Path) -> None:
    path, _ = files["npz"]
    dst = tmp_path / "d.csv"
    assert main(["convert", str(path), str(dst)]) == 0
    np.testing.assert_array_equal(load(dst).x.values, load(path).x.values)


def test_unit_and_t0_overrides_on_the_command_line(tmp_path: Path, capsys) -> None:
    p = tmp_path / "bare.csv"
    p.write_text("t \\ x,0,1,2\n0,1,2,3\n1,4,5,6\n2,7,8,9\n")
    assert main(["info", str(p), "--json"]) == 2
    assert "--t-unit" in capsys.readouterr().err
    rc = main(["info", str(p), "--json", "--t-unit", "ps", "--x-unit", "nm", "--t0", "1ps"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out)
    assert info["axes"]["t"]["min"] == pytest.approx(-1e-12)
    assert info["axes"]["t"]["max"] == pytest.approx(1e-12)
    assert info["axes"]["x"]["max"] == pytest.approx(2e-9)


def test_meta_override(files, capsys) -> None:
    path, _ = files["csv"]
    assert main(["info", str(path), "--json", "--meta", "temperature=77K"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["temperature"] == "77K"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    p = tmp_path / "bare.csv"
    p.write_text("t,counts\n0,1\n1,2\n")
    with pytest.raises(UnitError):
        main(["--debug", "info", str(p)])


def test_missing_file_is_one_line(tmp_path: Path, capsys) -> None:
    p = tmp_path / "nope.csv"
    assert main(["info", str(p)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(p) in err[0]


@pytest.mark.parametrize("n_keys", [250, 20_000])
def test_info_caps_the_metadata_rows_it_lays_out(tmp_path: Path, capsys, n_keys: int) -> None:
    # rich laid out every row: a file with 2e5 header lines took minutes to `info`
    import time

    lines = [f"# key{i}: {i}" for i in range(n_keys)]
    lines += ["t [ns] \\ x [um],-1,0,1", "0,1,2,1", "1,1,3,1"]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - t0 < 10
    assert "key199 " in out and "key200 " not in out and "more (all with --json)" in out
    assert main(["info", str(path), "--json"]) == 0
    assert f"key{n_keys - 1}" in json.loads(capsys.readouterr().out)["metadata"]
