import pytest
from hypothesis import given
from hypothesis import strategies as st

from nctransport.errors import ConfigError
from nctransport.sweeps.grid import parse_grid, point_seed, si_value, sweep_points


def test_product_order_ids_and_seeds():
    pts = sweep_points([parse_grid("a=1,2"), parse_grid("b=x,y,z")], base_seed=7)
    assert [p.param_dict() for p in pts[:2]] == [{"a": "1", "b": "x"}, {"a": "1", "b": "y"}]
    assert len(pts) == 6 and len({p.point_id for p in pts}) == 6
    # The seed depends on the parameters, not on the position in the grid.
    reordered = sweep_points([parse_grid("b=z,y,x"), parse_grid("a=2,1")], base_seed=7)
    by_params = {tuple(sorted(p.params)): p.seed for p in reordered}
    for p in pts:
        assert by_params[tuple(sorted(p.params))] == p.seed
    assert point_seed(8, {"a": "1"}) != point_seed(7, {"a": "1"})


@pytest.mark.parametrize("bad", ["a", "=1,2", "a=", "a=1,,2", "a=1,1", "1a=2"])
def test_bad_grid(bad):
    with pytest.raises(ConfigError):
        parse_grid(bad)


def test_si_values():
    assert si_value("2us") == (pytest.approx(2e-6), "s")
    assert si_value("1e10/s")[0] == pytest.approx(1e10)
    assert si_value("0.25") == (0.25, "")


@given(st.text(max_size=30))
def test_parse_grid_never_crashes(text):
    try:
        axis = parse_grid(text)
    except ConfigError:
        return
    assert axis.values and all(axis.values)
