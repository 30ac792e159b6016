"""NPZ reader: layouts, units, metadata, and refusal of unsafe or inconsistent archives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nctransport.errors import InputError, UnitError
from nctransport.io import load


def test_map_with_units_and_json_metadata(tmp_path: Path, rng) -> None:
    sig = rng.normal(size=(3, 4))
    p = tmp_path / "m.npz"
    np.savez(
        p,
        signal=sig,
        t=[0.0, 2.0, 4.0],
        x=[-1.0, 0.0, 1.0, 2.0],
        t_unit="ps",
        x_unit="nm",
        signal_units="dOD",
        metadata=json.dumps({"temperature": "77 K", "sample": "PbS", "fluence": "10 uJ/cm2"}),
        technique="TAM",
    )
    ds = load(p)
    assert ds.attrs["kind"] == "map"
    np.testing.assert_allclose(ds.t.values, [0, 2e-12, 4e-12], rtol=1e-15)
    np.testing.assert_allclose(ds.x.values, [-1e-9, 0, 1e-9, 2e-9], rtol=1e-15)
    np.testing.assert_array_equal(ds.signal.values, sig)
    assert ds.signal.attrs["units"] == "dOD"
    assert ds.attrs["temperature"] == "77 K"
    assert ds.attrs["fluence"] == "10 uJ/cm2"
    assert ds.attrs["technique"] == "TAM"


def test_stack_and_compressed(tmp_path: Path) -> None:
    sig = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)
    p = tmp_path / "s.npz"
    np.savez_compressed(
        p, signal=sig, t=[0, 1], y=[0, 1, 2], x=[0, 1, 2, 3], t_unit="ns", x_unit="um"
    )
    ds = load(p)
    assert ds.signal.dims == ("t", "y", "x")
    np.testing.assert_allclose(ds.y.values, [0, 1e-6, 2e-6], rtol=1e-15)  # y takes x_unit
    np.testing.assert_array_equal(ds.signal.values, sig)


def test_y_unit_of_its_own(tmp_path: Path) -> None:
    p = tmp_path / "s.npz"
    np.savez(
        p,
        signal=np.ones((1, 2, 2)),
        t=[0],
        y=[0, 1],
        x=[0, 1],
        t_unit="ns",
        x_unit="um",
        y_unit="nm",
    )
    np.testing.assert_allclose(load(p).y.values, [0, 1e-9], rtol=1e-15)


@pytest.mark.parametrize(
    ("axis", "unit", "kind", "factor"),
    [
        ("t", "ns", "decay", 1e-9),
        ("V", "mV", "jv", 1e-3),
        ("wavelength", "nm", "spectrum", 1e-9),
        ("energy", "eV", "spectrum", 1.0),
    ],
)
def test_one_dimensional(tmp_path: Path, axis: str, unit: str, kind: str, factor: float) -> None:
    p = tmp_path / "c.npz"
    np.savez(p, **{"signal": [3.0, 2.0, 1.0], axis: [1.0, 2.0, 3.0], f"{axis}_unit": unit})
    ds = load(p)
    assert ds.attrs["kind"] == kind
    np.testing.assert_allclose(ds[axis].values, np.array([1.0, 2, 3]) * factor, rtol=1e-15)


def test_spectral_with_dims(tmp_path: Path) -> None:
    p = tmp_path / "ta.npz"
    np.savez(
        p,
        signal=np.ones((2, 3)),
        t=[0, 1],
        wavelength=[500, 510, 520],
        t_unit="ps",
        wavelength_unit="nm",
        dims="t,wavelength",
    )
    ds = load(p)
    assert ds.attrs["kind"] == "spectral"
    np.testing.assert_allclose(ds.wavelength.values, [5e-7, 5.1e-7, 5.2e-7], rtol=1e-15)


def test_missing_unit_and_overrides(tmp_path: Path) -> None:
    p = tmp_path / "bare.npz"
    np.savez(p, signal=np.ones((2, 2)), t=[0, 1], x=[0, 1])
    with pytest.raises(UnitError, match="'t_unit'.*--t-unit"):
        load(p)
    ds = load(p, t_unit="ns", x_unit="nm")
    np.testing.assert_allclose(ds.t.values, [0, 1e-9], rtol=1e-15)
    np.testing.assert_allclose(ds.x.values, [0, 1e-9], rtol=1e-15)


def test_override_wins_over_stored_unit(tmp_path: Path) -> None:
    p = tmp_path / "d.npz"
    np.savez(p, signal=[1.0, 2.0], t=[0, 1], t_unit="ns")
    np.testing.assert_allclose(load(p, t_unit="ps").t.values, [0, 1e-12], rtol=1e-15)


@pytest.mark.parametrize(
    ("arrays", "error", "match"),
    [
        ({"t": [0, 1], "t_unit": "ns"}, InputError, "no 'signal'"),
        ({"signal": np.ones((2, 3)), "t": [0, 1], "t_unit": "ns"}, InputError, "no 'x'"),
        (
            {"signal": np.ones((2, 3)), "t": [0, 1], "x": [0, 1], "t_unit": "ns", "x_unit": "um"},
            InputError,
            "shape",
        ),
        ({"signal": [1.0, 2.0], "t": [0, 1], "t_unit": "nm"}, UnitError, "not a time"),
        ({"signal": [1.0, 2.0], "t": [0, 1], "t_unit": "parsec/fortnight"}, UnitError, "t"),
        ({"signal": [1.0, 2.0], "t": [0, 0], "t_unit": "ns"}, InputError, "duplicate"),
        ({"signal": [1.0, 2.0], "t": [0, np.nan], "t_unit": "ns"}, InputError, "NaN"),
        ({"signal": ["a", "b"], "t": [0, 1], "t_unit": "ns"}, InputError, "numeric"),
        ({"signal": [1.0, 2.0], "t": [[0, 1]], "t_unit": "ns"}, InputError, "1D"),
        ({"signal": [1.0, 2.0], "t": [0, 1], "t_unit": ["ns", "ps"]}, InputError, "string"),
        ({"signal": np.ones((2, 2, 2, 2))}, InputError, "4D"),
        (
            {"signal": [1.0, 2.0], "t": [0, 1], "t_unit": "ns", "metadata": "{not json"},
            InputError,
            "JSON",
        ),
        (
            {"signal": [1.0, 2.0], "t": [0, 1], "t_unit": "ns", "temperature": "300"},
            UnitError,
            "temperature",
        ),
        ({"signal": [1.0, 2.0], "t": [0, 1], "x": [0, 1]}, InputError, "exactly one axis"),
    ],
)
def test_bad_archives(tmp_path: Path, arrays: dict, error: type, match: str) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(error, match=match) as info:
        load(p)
    assert info.value.path == str(p)


def test_object_arrays_are_refused_not_unpickled(tmp_path: Path) -> None:
    p = tmp_path / "obj.npz"
    np.savez(p, signal=np.array([1, {"a": 1}], dtype=object), t=[0, 1], t_unit="ns")
    with pytest.raises(InputError, match="pickled"):
        load(p)


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_archive(tmp_path: Path, keep: float) -> None:
    good = tmp_path / "good.npz"
    np.savez_compressed(good, signal=np.arange(2000.0), t=np.arange(2000.0), t_unit="ns")
    raw = good.read_bytes()
    p = tmp_path / "cut.npz"
    p.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(InputError, match="npz"):
        load(p)
