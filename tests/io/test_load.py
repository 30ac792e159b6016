"""load(): format chosen by content, provenance attributes, overrides, inputs untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from nctransport.dataset import get_quantity, make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io import load, save, sha256_of


def test_provenance_attributes(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("t [ns],counts\n0,3\n1,2\n")
    ds = load(p)
    assert ds.attrs["source_file"] == str(p)
    assert ds.attrs["source_sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert ds.attrs["source_format"] == "csv"
    assert sha256_of(p) == ds.attrs["source_sha256"]


def test_content_wins_over_extension(tmp_path: Path) -> None:
    # An NPZ archive and a CSV table under misleading names.
    npz = tmp_path / "really_npz.dat"
    with open(npz, "wb") as fh:
        np.savez(fh, signal=[1.0, 2.0], t=[0, 1], t_unit="ns")
    assert load(npz).attrs["source_format"] == "npz"
    nc = tmp_path / "really_nc.bin"
    save(make_dataset([1.0, 2.0], {"t": [0, 1e-9]}), tmp_path / "x.nc").rename(nc)
    assert load(nc).attrs["source_format"] == "netcdf"


def test_metadata_overrides_replace_file_values(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("# temperature: 10 K\nt [ns],counts\n0,3\n1,2\n")
    ds = load(p, temperature="77K", sample="film B")
    assert get_quantity(ds, "temperature", "K") == 77
    assert ds.attrs["sample"] == "film B"
    with pytest.raises(UnitError, match="temperature"):
        load(p, temperature="77 nm")


@pytest.mark.parametrize(("t0", "shift"), [("2ns", 2e-9), ("500ps", 5e-10), (1e-9, 1e-9)])
def test_t0_shifts_time_axis(tmp_path: Path, t0, shift: float) -> None:
    p = tmp_path / "d.csv"
    p.write_text("t [ns],counts\n0,3\n1,2\n2,1\n3,0\n")
    ds = load(p, t0=t0)
    np.testing.assert_allclose(ds.t.values, np.arange(4) * 1e-9 - shift, atol=1e-24)
    assert ds.t.attrs["units"] == "s"
    np.testing.assert_array_equal(ds.signal.values, [3, 2, 1, 0])


def test_t0_on_data_without_time_axis(tmp_path: Path) -> None:
    p = tmp_path / "jv.csv"
    p.write_text("V [V],J [A/m2]\n0,1\n1,2\n")
    with pytest.raises(InputError, match="no time axis") as info:
        load(p, t0="1ns")
    assert info.value.path == str(p)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        load(tmp_path)


def test_save_unknown_extension(tmp_path: Path) -> None:
    ds = make_dataset([1.0, 2.0], {"t": [0, 1e-9]})
    with pytest.raises(InputError, match=r"\.xlsx"):
        save(ds, tmp_path / "a.xlsx")


@pytest.mark.parametrize("name", ["d.csv", "d.npz", "d.nc", "d.tif", "d.phu", "d.ptu"])
def test_inputs_are_never_modified(
    tmp_path: Path, name: str, file_hash, write_phu, ptu_image
) -> None:
    p = tmp_path / name
    ds = make_dataset(np.arange(6.0).reshape(2, 3), {"t": [0, 1e-9], "x": [0, 1e-7, 2e-7]})
    if name.endswith(".csv") or name.endswith(".nc"):
        save(ds, p)
    elif name.endswith(".npz"):
        np.savez(p, signal=ds.signal.values, t=[0, 1], x=[0, 1, 2], t_unit="ns", x_unit="um")
    elif name.endswith(".tif"):
        import tifffile

        tifffile.imwrite(p, np.ones((2, 3, 4), np.uint16), photometric="minisblack")
    elif name.endswith(".phu"):
        write_phu(p, [np.arange(5)])
    else:
        ptu_image(p)
    before = (file_hash(p), p.stat().st_mtime_ns)
    load(p, times="0ns:1ns", pixel="1um")
    assert (file_hash(p), p.stat().st_mtime_ns) == before
    assert sorted(q.name for q in tmp_path.iterdir()) == [name]  # nothing written beside it
