"""Config validation: unknown keys and wrong units are one-line ConfigErrors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nctransport.errors import ConfigError
from nctransport.kmc import load_config, load_preset
from nctransport.kmc.config import apply_overrides, parse_value, si, to_toml, validate_config
from nctransport.kmc.model import build_model


def test_unknown_key_names_the_key():
    with pytest.raises(ConfigError, match=r"lattice\.spacng: unknown key"):
        load_preset("random-walk", {"lattice.spacng": "10nm"})


def test_wrong_unit_names_the_key():
    with pytest.raises(ConfigError, match=r"lattice\.spacing") as exc:
        load_preset("random-walk", {"spacing": "10ns"})
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match=r"hops\.rate"):
        load_preset("random-walk", {"hop_rate": "10nm"})
    with pytest.raises(ConfigError, match="no unit"):
        load_preset("random-walk", {"lifetime": "3"})


def test_short_keys_and_dotted_paths():
    cfg = load_preset(
        "memory", {"alpha_pulse": "0.25", "pulse_period": "2us", "lattice.periodic": "true"}
    )
    assert cfg.excitation.alpha == 0.25 and cfg.excitation.period == "2us"
    assert cfg.lattice.periodic is True
    assert si("0.7/step", "1/s", step=1e-12) == pytest.approx(0.7e12)


def test_fixed_step_probabilities_must_not_exceed_one():
    with pytest.raises(ConfigError, match="> 1"):
        build_model(load_preset("bright-dark", {"gamma_fret": "0.5/step"}))


def test_config_file_round_trip(tmp_path):
    cfg = load_preset("traps")
    path = tmp_path / "c.toml"
    path.write_text(to_toml(cfg))
    assert load_config(path) == cfg
    bad = tmp_path / "bad.toml"
    bad.write_text("[lattice]\ndim = 2\nfoo = 1\n")
    with pytest.raises(ConfigError, match=r"lattice\.foo: unknown key") as exc:
        load_config(bad)
    assert exc.value.path == str(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[lattice\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(broken)


def test_conversion_target_must_exist():
    data = apply_overrides({"states": {"a": {"to": {"b": "1/ns"}}}}, {})
    with pytest.raises(ConfigError, match="unknown state 'b'"):
        validate_config(data)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_fuzzed_spacing_is_valid_or_config_error(text):
    try:
        cfg = validate_config({"lattice": {"spacing": parse_value(text)}})
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert si(cfg.lattice.spacing, "m") >= 0
