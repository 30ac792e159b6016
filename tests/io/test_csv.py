"""CSV reader/writer: every layout, unit conversion against hand-computed SI values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.dataset import make_dataset
from nctransport.errors import InputError, UnitError
from nctransport.io import ReadOptions, load, save
from nctransport.io.csv import parse_label, read_csv, write_csv

T_NS = np.array([0.0, 0.5, 1.0, 2.0])
X_UM = np.array([-1.0, 0.0, 0.25, 1.5, 3.0])


@pytest.fixture
def grid(rng: np.random.Generator) -> np.ndarray:
    return np.round(rng.normal(size=(T_NS.size, X_UM.size)), 6)


def wide_text(signal: np.ndarray, corner: str = "t [ns] \\ x [um]", sep: str = ",") -> str:
    lines = [sep.join([corner, *map(repr, X_UM.tolist())])]
    for t, row in zip(T_NS.tolist(), signal.tolist(), strict=True):
        lines.append(sep.join([repr(t), *map(repr, row)]))
    return "\n".join(lines) + "\n"


def check_map(ds, signal: np.ndarray) -> None:
    assert ds.attrs["kind"] == "map"
    np.testing.assert_allclose(ds.t.values, T_NS * 1e-9, rtol=1e-15, atol=0)
    np.testing.assert_allclose(ds.x.values, X_UM * 1e-6, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(ds.signal.values, signal)
    assert ds.t.attrs["units"] == "s" and ds.x.attrs["units"] == "m"


def test_wide_map_with_metadata(tmp_path: Path, grid: np.ndarray) -> None:
    text = (
        "# temperature: 10 K\n# technique: tplm\n# sample: CdSe QD film\n# power (uW): 2.5\n"
        "# signal: dT/T\n# a free comment without a colon\n" + wide_text(grid)
    )
    p = tmp_path / "map.csv"
    p.write_text(text)
    ds = read_csv(p, ReadOptions())
    check_map(ds, grid)
    assert ds.attrs["temperature"] == "10 K"
    assert ds.attrs["technique"] == "TPLM"
    assert ds.attrs["sample"] == "CdSe QD film"
    assert ds.attrs["power"] == "2.5 uW"
    assert ds.signal.attrs["long_name"] == "dT/T"
    assert ds.signal.attrs["units"] == "arb"


@pytest.mark.parametrize(
    ("corner", "sep"),
    [
        ("t [ns] \\ x [um]", ","),
        ("t (ns) / x (um)", ","),
        ("t[ns]\\x[um]", ","),
        ("t [ns] \\ x [µm]", "\t"),
        ("Time [ns] \\ Position [um]", ";"),
        ("t (ns) / x (um)", " "),
        ("t[ns]\\x[um]", "   "),
    ],
)
def test_wide_map_corner_and_delimiter_variants(
    tmp_path: Path, grid: np.ndarray, corner: str, sep: str
) -> None:
    p = tmp_path / "map.txt"
    p.write_text(wide_text(grid, corner, sep), encoding="utf-8")
    check_map(load(p), grid)


def test_decimal_comma_with_semicolons(tmp_path: Path) -> None:
    p = tmp_path / "eu.csv"
    p.write_text("t [ns] \\ x [um];0;0,5\n0;1,5;2\n1,5;3;4,25\n")
    ds = load(p)
    np.testing.assert_allclose(ds.x.values, [0, 0.5e-6], rtol=1e-15)
    np.testing.assert_allclose(ds.t.values, [0, 1.5e-9], rtol=1e-15)
    np.testing.assert_array_equal(ds.signal.values, [[1.5, 2], [3, 4.25]])


def test_transposed_corner_is_transposed(tmp_path: Path, grid: np.ndarray) -> None:
    lines = ["x [um] \\ t [ns]," + ",".join(map(repr, T_NS.tolist()))]
    for x, col in zip(X_UM.tolist(), grid.T.tolist(), strict=True):
        lines.append(",".join([repr(x), *map(repr, col)]))
    p = tmp_path / "tr.csv"
    p.write_text("\n".join(lines))
    check_map(load(p), grid)


@pytest.mark.parametrize(
    ("axis", "unit", "factor"), [("wavelength", "nm", 1e-9), ("energy", "eV", 1.0)]
)
def test_spectral_corner(tmp_path: Path, axis: str, unit: str, factor: float) -> None:
    p = tmp_path / "ta.csv"
    p.write_text(f"t [ps] \\ {axis} [{unit}],2.0,2.5,3.0\n0,1,2,3\n1,4,5,6\n")
    ds = load(p)
    assert ds.attrs["kind"] == "spectral"
    assert ds.signal.dims == ("t", axis)
    np.testing.assert_allclose(ds[axis].values, np.array([2.0, 2.5, 3.0]) * factor, rtol=1e-15)
    np.testing.assert_allclose(ds.t.values, [0, 1e-12], rtol=1e-15)


def test_long_table_pivots_to_the_same_map(tmp_path: Path, grid: np.ndarray, rng) -> None:
    rows = [
        (float(t * 1e3), float(x * 1e3), float(grid[i, j]))  # ps and nm
        for i, t in enumerate(T_NS)
        for j, x in enumerate(X_UM)
    ]
    order = rng.permutation(len(rows))
    text = "t [ps],x [nm],signal\n" + "".join(
        f"{rows[k][0]!r},{rows[k][1]!r},{rows[k][2]!r}\n" for k in order
    )
    p = tmp_path / "long.csv"
    p.write_text(text)
    check_map(load(p), grid)


def test_long_stack(tmp_path: Path) -> None:
    t, y, x = np.arange(3), np.arange(2), np.arange(4)
    truth = t[:, None, None] * 100 + y[None, :, None] * 10 + x[None, None, :]
    text = "t [ns],y [nm],x [nm],counts [counts]\n" + "".join(
        f"{a},{b},{c},{truth[a, b, c]}\n" for c in x for b in y for a in t
    )
    p = tmp_path / "stack.csv"
    p.write_text(text)
    ds = load(p)
    assert ds.attrs["kind"] == "stack" and ds.signal.dims == ("t", "y", "x")
    np.testing.assert_array_equal(ds.signal.values, truth)
    np.testing.assert_allclose(ds.y.values, [0, 1e-9], rtol=1e-15)
    assert ds.signal.attrs["units"] == "counts"


def test_decay_two_columns(tmp_path: Path) -> None:
    p = tmp_path / "decay.csv"
    p.write_text("t [ns],counts\n0,100\n0.5,61\n1,37\n")
    ds = load(p)
    assert ds.attrs["kind"] == "decay"
    np.testing.assert_allclose(ds.t.values, [0, 0.5e-9, 1e-9], rtol=1e-15)
    np.testing.assert_array_equal(ds.signal.values, [100, 61, 37])
    assert ds.signal.attrs["units"] == "counts"


def test_jv_converts_to_si_current_density(tmp_path: Path) -> None:
    # 1 mA/cm^2 = 1e-3 A / 1e-4 m^2 = 10 A/m^2.
    p = tmp_path / "jv.csv"
    p.write_text("V [V],J [mA/cm2]\n-0.5,-2\n0,0\n0.5,1.5\n1.0,12\n")
    ds = load(p)
    assert ds.attrs["kind"] == "jv"
    assert ds.signal.attrs == {"units": "A/m**2", "long_name": "J"}
    np.testing.assert_allclose(ds.signal.values, [-20, 0, 15, 120], rtol=1e-12)
    np.testing.assert_array_equal(ds.V.values, [-0.5, 0, 0.5, 1.0])


def test_jv_wrong_dimension_is_unit_error(tmp_path: Path) -> None:
    p = tmp_path / "jv.csv"
    p.write_text("V [V],J [mA]\n0,1\n1,2\n")
    with pytest.raises(UnitError, match="current density"):
        load(p)


@pytest.mark.parametrize(
    ("header", "axis", "factor", "units"),
    [
        ("wavelength [nm],intensity", "wavelength", 1e-9, "arb"),
        ("wavelength [nm],epsilon [1/(M cm)]", "wavelength", 1e-9, "1/(M cm)"),
        ("energy [eV],absorbance", "energy", 1.0, "arb"),
        ("Wavelength (um),PL [counts]", "wavelength", 1e-6, "counts"),
    ],
)
def test_spectrum_two_columns(
    tmp_path: Path, header: str, axis: str, factor: float, units: str
) -> None:
    p = tmp_path / "spec.csv"
    p.write_text(f"{header}\n1.5,10\n2.5,20\n3.5,15\n")
    ds = load(p)
    assert ds.attrs["kind"] == "spectrum" and ds.signal.dims == (axis,)
    np.testing.assert_allclose(ds[axis].values, np.array([1.5, 2.5, 3.5]) * factor, rtol=1e-15)
    assert ds.signal.attrs["units"] == units


def test_decreasing_axis_is_reversed_with_signal(tmp_path: Path) -> None:
    p = tmp_path / "spec.csv"
    p.write_text("wavelength [nm],intensity\n700,1\n600,2\n500,3\n")
    ds = load(p)
    np.testing.assert_allclose(ds.wavelength.values, [500e-9, 600e-9, 700e-9], rtol=1e-15)
    np.testing.assert_array_equal(ds.signal.values, [3, 2, 1])


def test_missing_units_need_overrides(tmp_path: Path, grid: np.ndarray) -> None:
    p = tmp_path / "bare.csv"
    p.write_text(wide_text(grid, corner="t \\ x"))
    with pytest.raises(UnitError, match="axis 't' has no unit.*--t-unit"):
        load(p)
    with pytest.raises(UnitError, match="axis 'x' has no unit.*--x-unit"):
        load(p, t_unit="ns")
    check_map(load(p, t_unit="ns", x_unit="um"), grid)


def test_empty_corner_with_both_overrides(tmp_path: Path, grid: np.ndarray) -> None:
    p = tmp_path / "bare.csv"
    p.write_text(wide_text(grid, corner=""))
    with pytest.raises(UnitError, match="corner cell is empty"):
        load(p)
    check_map(load(p, t_unit="ns", x_unit="um"), grid)


def test_overrides_win_over_file_units(tmp_path: Path) -> None:
    p = tmp_path / "decay.csv"
    p.write_text("t [ns],counts\n0,1\n1,2\n")
    ds = load(p, t_unit="ps")
    np.testing.assert_allclose(ds.t.values, [0, 1e-12], rtol=1e-15)


def test_signal_units_from_comment_and_option(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("# signal_units: counts\nt [ns] \\ x [um],0,1\n0,1,2\n1,3,4\n")
    assert load(p).signal.attrs["units"] == "counts"
    assert load(p, signal_units="dOD").signal.attrs["units"] == "dOD"


def test_empty_signal_cells_are_nan(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("t [ns] \\ x [um],0,1\n0,1,\n1,3,4\n")
    ds = load(p)
    assert np.isnan(ds.signal.values[0, 1]) and ds.signal.values[1, 1] == 4


def test_spreadsheet_export_quotes_bom_trailing_delimiter(tmp_path: Path) -> None:
    p = tmp_path / "excel.csv"
    p.write_bytes('\ufeff"t [ns]","counts",\r\n"0","5",\r\n"1","3",\r\n'.encode())
    ds = load(p)
    np.testing.assert_array_equal(ds.signal.values, [5, 3])


def test_windows_1252_micro_sign(tmp_path: Path) -> None:
    p = tmp_path / "win.csv"
    p.write_bytes("t [ns] \\ x [µm],0,2\n0,1,2\n1,3,4\n".encode("cp1252"))
    np.testing.assert_allclose(load(p).x.values, [0, 2e-6], rtol=1e-15)


def test_parse_label_nested_units() -> None:
    assert parse_label("epsilon [1/(M cm)]") == ("epsilon", "1/(M cm)")
    assert parse_label(" J (mA/cm^2) ") == ("J", "mA/cm^2")
    assert parse_label("counts") == ("counts", None)


@pytest.mark.parametrize(
    "make",
    [
        lambda: make_dataset(
            np.arange(12.0).reshape(3, 4) / 7,
            {"t": np.array([0, 1, 3]) * 1e-9, "x": np.linspace(-1, 1, 4) * 1e-6},
            signal_units="dOD",
            signal_name="dT/T",
            attrs={"temperature": "10 K", "technique": "TAM", "sample": "x, y; z"},
        ),
        lambda: make_dataset(
            np.array([5.0, np.nan, 2.0]), {"t": [0, 1e-10, 2e-10]}, signal_units="counts"
        ),
        lambda: make_dataset(
            [-20.0, 0, 15.5], {"V": [-0.5, 0, 0.5]}, signal_units="A/m**2", signal_name="J"
        ),
        lambda: make_dataset(
            np.arange(24.0).reshape(2, 3, 4) / 3,
            {"t": [0, 1e-9], "y": [0, 1e-7, 2e-7], "x": np.arange(4) * 5e-8},
        ),
        lambda: make_dataset(
            np.ones((2, 3)) / 3, {"t": [0, 1e-12], "energy": [1.9, 2.0, 2.1]}, signal_units="dOD"
        ),
        lambda: make_dataset([1.0, 2.0], {"wavelength": [5e-7, 6e-7]}, signal_units="1/(M cm)"),
    ],
    ids=["map", "decay", "jv", "stack", "spectral", "spectrum"],
)
def test_write_csv_round_trip_is_lossless(tmp_path: Path, make) -> None:
    ds = make()
    out = write_csv(ds, tmp_path / "out.csv")
    back = load(out)
    assert back.signal.dims == ds.signal.dims
    for d in ds.signal.dims:
        np.testing.assert_array_equal(back[d].values, ds[d].values)
    np.testing.assert_array_equal(back.signal.values, ds.signal.values)
    assert back.signal.attrs["units"] == ds.signal.attrs["units"]
    assert back.signal.attrs["long_name"] == ds.signal.attrs["long_name"]
    for k, v in ds.attrs.items():
        assert back.attrs[k] == v
    assert not list(tmp_path.glob(".out.csv*"))  # no temporary left behind


def test_save_dispatches_csv(tmp_path: Path) -> None:
    ds = make_dataset([1.0, 2.0], {"t": [0, 1e-9]})
    assert save(ds, tmp_path / "a.csv") == tmp_path / "a.csv"
    np.testing.assert_array_equal(load(tmp_path / "a.csv").signal.values, [1, 2])


def test_large_map_reads_exactly(tmp_path: Path, rng) -> None:
    t = np.linspace(0, 10, 2000)
    x = np.linspace(-1, 1, 200)
    sig = rng.normal(size=(t.size, x.size))
    lines = ["t [ns] \\ x [um]," + ",".join(map(repr, x.tolist()))]
    rows = zip(t.tolist(), sig.tolist(), strict=True)
    lines += [repr(ti) + "," + ",".join(map(repr, row)) for ti, row in rows]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines))
    ds = load(p)
    np.testing.assert_array_equal(ds.signal.values, sig)
    assert ds.signal.shape == (2000, 200)


def test_header_without_layout_is_input_error(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("t [ns],counts,fit\n0,1,1\n1,2,2\n")
    with pytest.raises(InputError, match="layout"):
        load(p)


def test_utf16_spreadsheet_export(tmp_path: Path) -> None:
    p = tmp_path / "unicode.txt"
    p.write_bytes("t [ns]\tcounts\r\n0\t7\r\n1\t3\r\n".encode("utf-16"))  # with BOM
    ds = load(p)
    np.testing.assert_array_equal(ds.signal.values, [7, 3])
    np.testing.assert_allclose(ds.t.values, [0, 1e-9], rtol=1e-15)


def test_long_table_column_order_is_free(tmp_path: Path) -> None:
    p = tmp_path / "long.csv"
    p.write_text("signal,x [um],t [ns]\n1,0,0\n2,1,0\n3,0,1\n4,1,1\n")
    ds = load(p)
    assert ds.signal.dims == ("t", "x")
    np.testing.assert_array_equal(ds.signal.values, [[1, 2], [3, 4]])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False).map(repr)
            | st.integers(-(10**9), 10**9).map(str)
            | st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f" {v:.6e} "),
            min_size=3,
            max_size=3,
        ),
        min_size=2,
        max_size=6,
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_fast_numeric_parser_rounds_like_float(tmp_path_factory, rows, delimiter) -> None:
    # The body of a plain-number table goes through pandas' C reader; every cell must come
    # out as Python's float() of its text (pandas 2's default parser is off in the last bit).
    path = tmp_path_factory.mktemp("fast") / "m.csv"
    lines = [delimiter.join(["t [s] \\ x [m]", "0", "1e-6", "2e-6"])]
    lines += [delimiter.join([str(i), *r]) for i, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    ds = load(path)
    expect = np.array([[float(c) for c in r] for r in rows])
    np.testing.assert_array_equal(np.asarray(ds["signal"].values), expect)
