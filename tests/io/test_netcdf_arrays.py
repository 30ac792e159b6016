"""NetCDF written without xarray equals what save_netcdf (xarray) writes for the same data."""

from __future__ import annotations

import subprocess
import sys

import h5py
import numpy as np
import pytest
import xarray as xr

from nctransport.io.netcdf import save_netcdf
from nctransport.io.netcdf_arrays import save_netcdf_arrays


def _arrays(rng):
    v = np.array([0.0, 2.5, 5.0, 10.0])
    x = np.linspace(0, 1e-7, 30)
    data_vars = {
        "density": (("V", "x"), rng.lognormal(50, 2, (4, 30)), {"units": "m**-3"}),
        "field": (("V", "x"), rng.normal(0, 1e7, (4, 30)), {"units": "V/m"}),
        "J": (("V",), np.array([np.nan, 1.0, 2.0, 3.0]), {"units": "A/m**2", "flag": True}),
    }
    coords = {"V": (("V",), v, {"units": "V"}), "x": (("x",), x, {"units": "m"})}
    attrs = {"kind": "device_profiles", "temperature": "297.0 K", "none": None, "d": {"a": 1}}
    return data_vars, coords, attrs


def _h5_layout(path):
    """Every dataset's shape, dtype, chunks, filters, fill value and non-reference attrs."""
    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = {k: v for k, v in f.attrs.items() if k != "_NCProperties"}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                attrs = {
                    k: np.asarray(v).tolist()
                    for k, v in obj.attrs.items()
                    if k not in ("DIMENSION_LIST", "REFERENCE_LIST")
                }
                out[name] = (
                    obj.shape,
                    obj.dtype.str,
                    obj.chunks,
                    obj.compression,
                    obj.compression_opts,
                    obj.shuffle,
                    str(obj.fillvalue),
                    str(attrs),
                )

        f.visititems(visit)
    return out


def test_same_file_as_save_netcdf(tmp_path, rng) -> None:
    data_vars, coords, attrs = _arrays(rng)
    ref = save_netcdf(xr.Dataset(data_vars, coords=coords, attrs=attrs), tmp_path / "ref.nc")
    new = save_netcdf_arrays(tmp_path / "new.nc", data_vars, coords, attrs)
    with xr.open_dataset(ref, engine="h5netcdf") as a, xr.open_dataset(new, engine="h5netcdf") as b:
        xr.testing.assert_identical(a.load(), b.load())
        for name in a.variables:
            ea = {k: v for k, v in a[name].encoding.items() if k != "source"}
            eb = {k: v for k, v in b[name].encoding.items() if k != "source"}
            assert str(ea) == str(eb), name
    assert _h5_layout(ref) == _h5_layout(new)
    assert not list(tmp_path.glob(".*"))  # atomic: no temporaries left


def test_device_profiles_read_back_as_the_dataset(tmp_path) -> None:
    import nctransport as nct

    r = nct.simulate_jv(model="constant", mobility="4.4e-11 m^2/V/s", voltages="0:10:5", points=40)
    r.write(tmp_path / "sim", report=False)
    save_netcdf(r.profiles_dataset(), tmp_path / "ref.nc")
    with (
        xr.open_dataset(tmp_path / "sim" / "profiles.nc", engine="h5netcdf") as got,
        xr.open_dataset(tmp_path / "ref.nc", engine="h5netcdf") as ref,
    ):
        xr.testing.assert_identical(got.load(), ref.load())
        xr.testing.assert_identical(got, r.profiles_dataset())
    assert _h5_layout(tmp_path / "sim" / "profiles.nc") == _h5_layout(tmp_path / "ref.nc")


def test_refuses_what_it_cannot_write(tmp_path) -> None:
    x = np.arange(3.0)
    with pytest.raises(TypeError):
        save_netcdf_arrays(tmp_path / "a.nc", {"n": (("x",), np.arange(3), {})}, {})
    with pytest.raises(ValueError, match="its own dimension"):
        save_netcdf_arrays(tmp_path / "a.nc", {}, {"x": (("y",), x, {})})
    with pytest.raises(ValueError, match="length"):
        save_netcdf_arrays(
            tmp_path / "a.nc", {"a": (("x",), x, {})}, {"x": (("x",), np.arange(4.0), {})}
        )


def test_device_simulate_imports_neither_xarray_nor_pandas(tmp_path) -> None:
    out_dir = str(tmp_path / "o")
    code = (
        "import sys\n"
        "from nctransport.cli import main\n"
        f"sys.argv = ['nctransport', 'device', 'simulate', '--model', 'constant', '--mobility',"
        f" '4.4e-11m2/V/s', '--voltages', '0:10:5', '--points', '40', '--out', {out_dir!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('xarray', 'pandas', 'dask', 'distributed', 'pint')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "o" / "profiles.nc").is_file()
    assert (tmp_path / "o" / "report.html").is_file()


def test_xarray_shim_stays_exact_once_dask_is_imported(tmp_path) -> None:
    """NumPy data: no dask import; after dask.array is imported its arrays are still dask."""
    code = f"""
import sys
import numpy as np
import nctransport.dataset  # installs nctransport._xarray_compat
import xarray as xr
from nctransport.io.netcdf import save_netcdf
ds = xr.Dataset({{"a": (("x",), np.arange(4.0))}}, coords={{"x": np.arange(4.0)}})
save_netcdf(ds, {str(tmp_path / "n.nc")!r})
assert not any(m in sys.modules for m in ("dask", "distributed", "pint")), "imported"
import dask.array as da
dd = xr.Dataset({{"a": (("x",), da.arange(4.0, chunks=2))}}, coords={{"x": np.arange(4.0)}})
assert dd.chunks == {{"x": (2, 2)}}
save_netcdf(dd, {str(tmp_path / "d.nc")!r})
assert xr.open_dataset({str(tmp_path / "d.nc")!r}).a.values.tolist() == [0.0, 1.0, 2.0, 3.0]
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
