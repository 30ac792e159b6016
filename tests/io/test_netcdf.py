"""NetCDF is the lossless native format: everything written comes back."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from nctransport.dataset import make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io import load, save
from nctransport.io.netcdf import read_netcdf, save_netcdf


@pytest.fixture
def rich_dataset(rng) -> xr.Dataset:
    ds = make_dataset(
        rng.normal(size=(4, 6)),
        {"t": np.array([0, 1, 2, 4]) * 1e-9, "x": np.linspace(-1, 1, 6) * 1e-6},
        signal_units="dOD",
        signal_name="dT/T",
        attrs={
            "temperature": "10 K",
            "technique": "TAM",
            "sample": "CdSe/CdS",
            "fluence": "10 uJ/cm2",
            "n_frames": 4,
            "gain": 1.5,
        },
    )
    ds["msd"] = ("t", np.array([0.0, 1e-14, 2e-14, 4e-14]), {"units": "m**2"})
    ds["fit_D"] = ((), 1.2e-4, {"units": "m**2/s", "stderr": 1e-6})
    return ds


def test_round_trip_loses_nothing(tmp_path: Path, rich_dataset: xr.Dataset) -> None:
    out = save_netcdf(rich_dataset, tmp_path / "d.nc")
    back = read_netcdf(out)
    xr.testing.assert_identical(back[["signal", "msd", "fit_D"]], rich_dataset)
    assert back.attrs == rich_dataset.attrs
    assert back.msd.attrs == {"units": "m**2"}
    assert back.fit_D.attrs["stderr"] == 1e-6


def test_round_trip_through_load_adds_provenance_only(
    tmp_path: Path, rich_dataset: xr.Dataset, file_hash
) -> None:
    p = save(rich_dataset, tmp_path / "d.nc")
    back = load(p)
    for k, v in rich_dataset.attrs.items():
        assert back.attrs[k] == v
    assert back.attrs["source_sha256"] == file_hash(p)
    assert back.attrs["source_format"] == "netcdf"
    np.testing.assert_array_equal(back.signal.values, rich_dataset.signal.values)


def test_second_generation_keeps_origin(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("t [ns],counts\n0,1\n1,2\n")
    first = load(csv)
    nc = save(first, tmp_path / "a.nc")
    second = load(nc)
    assert second.attrs["source_file"] == str(nc)
    assert second.attrs["origin_file"] == str(csv)
    assert second.attrs["origin_sha256"] == first.attrs["source_sha256"]


def test_non_si_units_in_foreign_netcdf_are_converted(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"signal": (("t", "x"), np.ones((2, 3)))},
        coords={"t": ("t", [0.0, 5.0], {"units": "ps"}), "x": ("x", [0, 1, 2], {"units": "um"})},
    )
    p = tmp_path / "f.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    back = load(p)
    np.testing.assert_allclose(back.t.values, [0, 5e-12], rtol=1e-15)
    np.testing.assert_allclose(back.x.values, [0, 1e-6, 2e-6], rtol=1e-15)


def test_missing_units_attribute_is_an_error(tmp_path: Path) -> None:
    ds = xr.Dataset({"signal": (("t",), [1.0, 2.0])}, coords={"t": [0.0, 1.0]})
    p = tmp_path / "nounits.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    with pytest.raises(InputError, match="units"):
        load(p)


def test_wrong_unit_dimension_is_unit_error(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"signal": (("t",), [1.0, 2.0])}, coords={"t": ("t", [0.0, 1.0], {"units": "nm"})}
    )
    p = tmp_path / "wrong.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    with pytest.raises(UnitError) as info:
        load(p)
    assert info.value.path == str(p)


def test_hdf5_without_signal_is_input_error(tmp_path: Path) -> None:
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f["a"] = np.arange(3)
        f["b"] = np.arange(4)
    with pytest.raises(InputError):
        load(p)


def test_truncated_netcdf(tmp_path: Path, rich_dataset) -> None:
    good = save(rich_dataset, tmp_path / "d.nc")
    bad = tmp_path / "cut.nc"
    bad.write_bytes(good.read_bytes()[:700])
    with pytest.raises(InputError, match="NetCDF"):
        load(bad)


def test_outputs_get_normal_permissions(tmp_path):
    import os

    from nctransport.io.atomic import write_text

    target = write_text(tmp_path / "out.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~mask)


@pytest.mark.parametrize(
    ("dtype", "encoding", "fast"),
    [
        (np.float32, {"zlib": True, "complevel": 4, "chunksizes": (3, 4, 5)}, True),
        (np.float64, {"zlib": True, "complevel": 1, "chunksizes": (2, 7, 3)}, True),
        (np.float32, {"zlib": True, "shuffle": True, "chunksizes": (3, 4, 5)}, False),
        (np.float32, {}, False),  # contiguous, uncompressed
    ],
)
def test_signal_read_chunk_by_chunk_equals_xarray(
    tmp_path: Path, dtype: type, encoding: dict, fast: bool
) -> None:
    """The zlib chunk reader (edge chunks padded, NaN pixels) gives xarray's array, and
    leaves files with other filters or layouts to xarray."""
    from nctransport.io.netcdf import _read_deflated

    rng = np.random.default_rng(0)
    sig = rng.poisson(5.0, (7, 9, 11)).astype(dtype)
    sig[2, 3, 4] = np.nan
    ds = make_dataset(sig, {"t": np.arange(7) * 1e-9, "y": np.arange(9) * 1e-7,
                            "x": np.arange(11) * 1e-7})  # fmt: skip
    path = tmp_path / "s.nc"
    ds.to_netcdf(path, engine="h5netcdf", encoding={"signal": encoding})
    with xr.open_dataset(path, engine="h5netcdf") as raw:
        chunked = _read_deflated(path, raw)
        expected = raw["signal"].values
    assert (chunked is not None) == fast
    if fast:
        assert chunked.dtype == expected.dtype
        np.testing.assert_array_equal(chunked, expected)
    loaded = read_netcdf(path)
    assert loaded["signal"].dtype == dtype
    np.testing.assert_array_equal(loaded["signal"].values, sig)


def test_corrupt_chunk_is_an_input_error(tmp_path: Path) -> None:
    """A damaged compressed chunk (a broken disk) is neither read as numbers nor a crash."""
    import h5py

    from nctransport.errors import InputError
    from nctransport.io.netcdf import _read_deflated

    sig = np.random.default_rng(1).poisson(5.0, (6, 8, 8)).astype(np.float32)
    ds = make_dataset(sig, {"t": np.arange(6) * 1e-9, "y": np.arange(8) * 1e-7,
                            "x": np.arange(8) * 1e-7})  # fmt: skip
    path = tmp_path / "s.nc"
    ds.to_netcdf(path, engine="h5netcdf",
                 encoding={"signal": {"zlib": True, "chunksizes": (3, 8, 8)}})  # fmt: skip
    with h5py.File(path, "r") as f:
        info = f["signal"].id.get_chunk_info(1)
    with open(path, "r+b") as fh:  # keep the zlib header, scramble the deflate stream
        fh.seek(info.byte_offset + 2)
        fh.write(b"\xff" * min(40, info.size - 2))
    with xr.open_dataset(path, engine="h5netcdf") as raw:
        assert _read_deflated(path, raw) is None  # left to xarray, which reports it
    with pytest.raises(InputError, match="s.nc"):
        read_netcdf(path)
