"""Fit window: parsing with units (fuzzed) and the automatic SNR rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.errors import ConfigError
from nctransport.microscopy.window import default_window, parse_window


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("0ns:3ns", 0.0, 3e-9),
        ("200ps:2.5ns", 2e-10, 2.5e-9),
        ("0:500ps", 0.0, 5e-10),
        (":3 ns", None, 3e-9),
        ("1e-9s:", 1e-9, None),
        ("-0.5ns:1us", -5e-10, 1e-6),
    ],
)
def test_parse_valid(text, lo, hi):
    w = parse_window(text)
    assert w.start == (None if lo is None else pytest.approx(lo))
    assert w.end == (None if hi is None else pytest.approx(hi))
    assert w.source == "user"


@pytest.mark.parametrize(
    "text", ["3ns:1ns", "1ns:1ns", "0:3", "abc", "0ns-3ns", ":", "1ns:2ns:3ns", "0nm:3nm", "x:3ns"]
)
def test_parse_invalid(text):
    with pytest.raises(ConfigError):
        parse_window(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=20))
def test_parse_fuzz_only_config_errors(text):
    try:
        w = parse_window(text)
    except ConfigError:
        return
    assert w.start is None or w.end is None or w.start < w.end


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 100, allow_nan=False),
    st.floats(0.001, 100, allow_nan=False),
    st.sampled_from(["ps", "ns", "us"]),
)
def test_parse_roundtrip(a, width, unit):
    w = parse_window(f"{a!r}{unit}:{a + width!r}{unit}")
    f = {"ps": 1e-12, "ns": 1e-9, "us": 1e-6}[unit]
    assert w.start == pytest.approx(a * f) and w.end == pytest.approx((a + width) * f)


def test_default_window_ends_where_smooth_snr_crosses_threshold():
    t = np.arange(12) * 1e-9
    amp = 100 * np.exp(-t / 2e-9)
    err = np.full(12, 1.0)  # SNR = 100 exp(-t/2ns) >= 10 up to t = 2 ln 10 ns = 4.6 ns
    w = default_window(t, amp, err)
    assert w.start == 0.0 and w.end == pytest.approx(4e-9)
    assert "10" in w.source
    # One frame with a low (or high) SNR does not move the end: the SNR is smoothed.
    for factor in (0.01, 3.0):
        amp2 = amp.copy()
        amp2[4] *= factor
        amp2[5] *= 1 / factor
        assert default_window(t, amp2, err).end == pytest.approx(4e-9)
    # The window never ends on a failed frame.
    ok = np.ones(12, bool)
    ok[[4]] = False
    assert default_window(t, amp, err, ok).end == pytest.approx(3e-9)
    # Negative (bleach) amplitudes count by magnitude; a stricter SNR shortens the window.
    assert default_window(t, -amp, err, snr_min=40).end == pytest.approx(1e-9)
    # No frame reaches the threshold: open end, said so.
    w = default_window(t, amp, err * 100)
    assert w.end is None and "no frame" in w.source


def test_default_window_with_noisy_snr_is_stable():
    rng = np.random.default_rng(0)
    t = np.arange(40) * 0.1e-9
    true_snr = 60 * np.exp(-t / 1e-9)  # crosses 10 at 1.79 ns
    ends = []
    for _ in range(50):
        amp = true_snr + rng.normal(0, 1, t.size)
        ends.append(default_window(t, amp, np.ones(t.size)).end)
    assert np.median(ends) == pytest.approx(1.7e-9, abs=0.15e-9)
    assert np.std(ends) < 0.2e-9
