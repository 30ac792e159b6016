"""The unit fast path (no pint registry) gives exactly pint's SI values, or defers to pint."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nctransport.errors import UnitError
from nctransport.units import (
    _BASE_UNITS,
    _PREFIXES,
    _SYMBOLS,
    SI_UNIT,
    _fast_quantity,
    _normalise,
    _pint_quantity,
    conversion_factor,
    parse_quantity,
    registry,
)

#: Strings users and the CLI pass, with their SI unit; all must take the fast path.
PLAIN = [
    ("110nm", "m"),
    ("110 nm", "m"),
    ("2.8nm", "m"),
    ("1um", "m"),
    ("1µm", "m"),
    ("0.5 mm", "m"),
    ("4.4e-11 m^2/V/s", "m**2/(V*s)"),
    ("4.4e-11m2/V/s", "m**2/V/s"),
    ("2e-8m2/V/s", "m**2/(V*s)"),
    ("1.3 cm^2/V/s", "m**2/(V*s)"),
    ("1.3 cm²/(V*s)", "m**2/(V*s)"),
    ("297K", "K"),
    ("297 K", "K"),
    ("-5K", "K"),
    ("1e27m-3", "1/m**3"),
    ("1e27 m^-3", "1/m**3"),
    ("3e20 cm-3", "1/m**3"),
    ("10uJ/cm2", "J/m**2"),
    ("10 uJ/cm^2", "J/m**2"),
    ("1e10/s", "Hz"),
    ("1e10 /s", "Hz"),
    ("5 GHz", "Hz"),
    ("0eV", "eV"),
    ("0.12eV", "eV"),
    ("50 meV", "eV"),
    ("1.2 keV", "eV"),
    ("2.5ns", "s"),
    ("100 ps", "s"),
    ("30 fs", "s"),
    ("3 us", "s"),
    ("0.05 cm2/s", "m**2/s"),
    ("0.05 cm2/s", "cm**2/s"),
    ("2 mA/cm2", "A/m**2"),
    ("135.2 A/m2", "A/m**2"),
    ("12 kV/cm", "V/m"),
    ("5 V", "V"),
    ("250 mV", "V"),
    ("3 mW", "W"),
    ("2 nJ", "J"),
    ("1e-3 C/m2", "C/m**2"),
    ("7 kg", "g"),
    (".5m", "m"),
    ("5.m", "m"),
    ("+5e+3 nm", "m"),
]


def test_plain_strings_take_the_fast_path_and_equal_pint() -> None:
    for text, unit in PLAIN:
        fast = _fast_quantity(text, unit)
        assert fast is not None, (text, unit)
        assert fast == _pint_quantity(text, unit), (text, unit)
        assert parse_quantity(text, unit) == fast


@pytest.mark.parametrize("symbol", sorted(_SYMBOLS))
def test_every_symbol_is_pints(symbol: str) -> None:
    """Each prefixed symbol of the table means what pint means by it (no clashes such as
    pint's own 'Gs' or 'dC'), in its base units and in every other symbol of its dimension."""
    dims = _SYMBOLS[symbol][1]
    fast_count = 0
    for other, (_, other_dims) in _SYMBOLS.items():
        if other_dims != dims:
            continue
        text = f"1.7 {symbol}"
        fast = _fast_quantity(text, other)
        if fast is not None:  # None: three or more scales left, pint's order matters
            fast_count += 1
            assert fast == _pint_quantity(text, other), (symbol, other)
    assert fast_count >= 10
    assert _fast_quantity(f"3 {symbol}", f"{symbol}") == 3.0


def test_errors_and_unknowns_defer_to_pint() -> None:
    for text, unit in [
        ("110nm", "s"),  # wrong dimension
        ("3", "m"),  # no unit
        ("1e400 m", "m"),  # not finite
        ("25 degC", "K"),  # offset temperature
        ("300 mK", "K"),
        ("5 Vs", "V*s"),  # implicit product
        ("2 m s", "m*s"),
        ("1 m**0.5", "m**0.5"),
        ("10**3 m", "m"),
        ("(2) m", "m"),
        ("1 furlong", "m"),
        ("1 m/(V*s)**2", "m/(V*s)**2"),
        ("nan m", "m"),
        ("", "m"),
        ("5 nm", "K"),
        ("1.6 aJ", "J"),  # atto: not in the table
        ("1e0J", "J"),  # an imaginary literal to pint's tokenizer
    ]:
        assert _fast_quantity(text, unit) is None, (text, unit)
    with pytest.raises(UnitError, match="has units of"):
        parse_quantity("110nm", "s", name="--thickness")
    with pytest.raises(UnitError, match="no unit"):
        parse_quantity("3", "m")
    assert parse_quantity("2 inch", "m") == pytest.approx(0.0508)  # pint, not the fast path


def test_conversion_factor_fast_equals_pint() -> None:
    ureg = registry()
    for a, b in [("ps", "s"), ("um", "m"), ("cm2/s", "m**2/s"), ("meV", "eV"), ("A/m2", "mA/cm2")]:
        src, dst = ureg.Unit(_normalise(a)), ureg.Unit(_normalise(b))
        expected = float(ureg.Quantity(1.0, src).to(dst).magnitude)
        assert conversion_factor(a, b) == expected


# -- property: random plain quantities --------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(1e-30, 1e30, allow_nan=False, allow_infinity=False).map(repr),
    st.tuples(st.integers(1, 999), st.integers(-40, 40)).map(lambda t: f"{t[0]}e{t[1]}"),
    st.tuples(st.integers(0, 99), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}"),
)
_SYMBOL = st.sampled_from(sorted(_SYMBOLS))
_POWER = st.sampled_from([1, 1, 1, 2, 3, -1, -2, -3])


@st.composite
def _expression(draw) -> tuple[str, str]:
    """A unit expression and a target with the same dimensions (same base units, other
    prefixes), written in the spellings users type."""
    n = draw(st.integers(1, 3))
    terms = []
    for _ in range(n):
        sym = draw(_SYMBOL)
        base = next(b for b in sorted(_BASE_UNITS, key=len, reverse=True) if sym.endswith(b))
        if sym != base and sym[: -len(base)] not in _PREFIXES:
            base = sym
        other = draw(st.sampled_from(["", *_PREFIXES])) + base
        if other not in _SYMBOLS:
            other = base
        terms.append((sym, other, draw(_POWER)))
    ops = [draw(st.sampled_from(["*", "/"])) for _ in range(n - 1)]

    def spell(name: str, p: int) -> str:
        style = draw(st.sampled_from(["**", "^", ""]))  # "cm2" as typed, "cm^2", "cm**2"
        return name if p == 1 else f"{name}{style}{p}"

    src = spell(terms[0][0], terms[0][2])
    dst = f"{terms[0][1]}**{terms[0][2]}"
    for op, (sym, other, p) in zip(ops, terms[1:], strict=True):
        src += op + spell(sym, p)
        dst += f"{op}{other}**{p}"
    return src, dst


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=_NUMBERS, expr=_expression(), space=st.sampled_from(["", " "]))
def test_fast_path_is_pint_on_random_quantities(number: str, expr: tuple[str, str], space: str):
    src, dst = expr
    text = f"{number}{space}{src}"
    fast = _fast_quantity(text, dst)
    try:
        slow = _pint_quantity(text, dst)
    except UnitError:
        assert fast is None, (text, dst, fast)
        return
    if fast is not None:
        assert fast == slow, (text, dst, fast, slow)


def test_si_targets_parse_fast() -> None:
    for key in ("time", "length", "diffusivity", "mobility", "energy", "temperature"):
        assert _fast_quantity(f"2 {SI_UNIT[key]}", SI_UNIT[key]) == 2.0, key


def test_simulate_jv_does_not_build_the_registry() -> None:
    code = (
        "import sys, nctransport as nct\n"
        "nct.simulate_jv(model='constant', mobility='4.4e-11 m^2/V/s', thickness='110nm',"
        " eps_r=3.5, temperature='297K', voltages='0:10:11', points=40)\n"
        "print('pint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
