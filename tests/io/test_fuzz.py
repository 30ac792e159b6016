"""Hypothesis fuzzing of the CSV and NPZ readers: no exception escapes but the typed ones.

Whatever the bytes, ``load`` either returns a validated dataset (SI axes, monotonic,
finite) or raises a :class:`nctransport.errors.NctransportError` naming the file.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nctransport.errors import NctransportError
from nctransport.io import load

# NCT_FUZZ_EXAMPLES=5000 for a deep run; the default keeps the suite fast.
FUZZ = settings(
    max_examples=int(os.environ.get("NCT_FUZZ_EXAMPLES", "80")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADERS = [
    "t [ns] \\ x [um]", "t (ns) / x (um)", "t \\ x", "", "t [ps] \\ wavelength [nm]",
    "x [um] \\ t [ns]", "t [nm]", "t [ns]", "counts", "V [V]", "J [mA/cm2]", "x [nm]",
    "y [nm]", "signal", "wavelength [nm]", "energy [eV]", "epsilon [1/(M cm)]", "t [blorp]",
    "t [s**2]", "J", "V", "t [", "[ns]", "t [ns] \\", "\\ x [um]", "energy [K]",
    "J [10**10**10]", "t [2^3^4]", "J [mA/cm2]",
]  # fmt: skip
CELLS = [
    "0", "1", "-1", "2.5", "1e-3", "1e400", "-0", "nan", "NaN", "inf", "-inf", "", " ",
    "abc", "1,5", '"3"', "0x10", "1_000", "++1", "1e", ".", "٣", "3", "4", "5", "10",
]  # fmt: skip
META = [
    "# temperature: 10 K", "# temperature: 10", "# technique: tam", "# signal_units: counts",
    "# sample: a: b", "#", "# power: 5 nm", "# kind: stack", "# power: 10**10**10 W",
]  # fmt: skip


def _check(path: Path) -> None:
    try:
        ds = load(path)
    except NctransportError as exc:
        assert exc.path == str(path)
        assert exc.message and "\n" not in exc.message
        return
    assert ds.attrs["kind"] in {"map", "stack", "decay", "jv", "spectrum", "spectral"}
    for d in ds.signal.dims:
        v = ds[d].values
        assert np.all(np.isfinite(v))
        assert v.size == 1 or np.all(np.diff(v) > 0)


@st.composite
def csv_tables(draw) -> str:
    sep = draw(st.sampled_from([",", ";", "\t", " "]))
    ncol = draw(st.integers(1, 5))
    header = [draw(st.sampled_from(HEADERS + CELLS)) for _ in range(ncol)]
    nrows = draw(st.integers(0, 6))
    rows = []
    for _ in range(nrows):
        width = ncol if draw(st.booleans()) or ncol == 0 else draw(st.integers(0, ncol + 1))
        rows.append(sep.join(draw(st.sampled_from(CELLS)) for _ in range(width)))
    meta = draw(st.lists(st.sampled_from(META), max_size=3))
    return "\n".join([*meta, sep.join(header), *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))


@FUZZ
@given(text=csv_tables())
def test_structured_csv_fuzz(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.csv"
        p.write_text(text, encoding="utf-8")
        _check(p)


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text_csv_fuzz(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.csv"
        p.write_bytes(text.encode("utf-8", "surrogatepass"))
        _check(p)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_csv_fuzz(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.csv"
        p.write_bytes(raw)
        _check(p)


NAMES = [
    "signal", "t", "x", "y", "V", "wavelength", "energy", "t_unit", "x_unit", "y_unit",
    "V_unit", "wavelength_unit", "dims", "metadata", "signal_units", "temperature",
]  # fmt: skip
STRINGS = ["ns", "um", "nm", "eV", "V", "", "blorp", "t,x", "t,y,x", "x", '{"a": 1}', "{",
           "[1, 2]", "10 K", "10", "s**2"]  # fmt: skip


@st.composite
def npz_arrays(draw) -> dict[str, np.ndarray]:
    out = {}
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=8)):
        kind = draw(st.sampled_from(["float", "int", "str", "bool", "complex", "empty"]))
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        n = int(np.prod(shape))
        if kind == "float":
            vals = draw(st.lists(st.sampled_from([0.0, 1.0, -2.5, np.nan, np.inf, 3.0, 1e300]),
                                 min_size=n, max_size=n))  # fmt: skip
            arr = np.array(vals, dtype=float).reshape(shape)
        elif kind == "int":
            arr = np.arange(n, dtype=np.int32).reshape(shape)
        elif kind == "str":
            arr = np.array(draw(st.sampled_from(STRINGS)))
        elif kind == "bool":
            arr = np.ones(shape, dtype=bool)
        elif kind == "complex":
            arr = np.ones(shape, dtype=complex)
        else:
            arr = np.zeros((0,))
        out[name] = arr
    return out


@FUZZ
@given(arrays=npz_arrays())
def test_npz_contents_fuzz(arrays: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.npz"
        np.savez(p, **arrays)
        _check(p)


def _valid_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, signal=np.ones((2, 3)), t=[0, 1], x=[0, 1, 2], t_unit="ns", x_unit="um")
    return buf.getvalue()


VALID_NPZ = _valid_npz()


@FUZZ
@given(
    cut=st.integers(0, len(VALID_NPZ)),
    flips=st.lists(st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(0, 255)), max_size=4),
)
def test_corrupted_npz_fuzz(cut: int, flips: list[tuple[int, int]]) -> None:
    raw = bytearray(VALID_NPZ)
    for i, b in flips:
        raw[i] = b
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.npz"
        p.write_bytes(bytes(raw[: max(cut, 1)]))
        _check(p)
