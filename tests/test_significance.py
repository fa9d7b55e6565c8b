import pytest
from hypothesis import given
from hypothesis import strategies as st

import crimestats as cs
from crimestats.significance import change_p_value

counts = st.integers(min_value=0, max_value=100_000)


@given(counts, counts)
def test_p_value_is_a_symmetric_probability(base, current):
    p = change_p_value(base, current)
    assert 0 <= p <= 1
    assert p == pytest.approx(change_p_value(current, base))


@pytest.mark.parametrize(("base", "current", "bad"), [(-1, 3, "base"), (3, -2, "current")])
def test_negative_counts_are_a_schema_error(base, current, bad):
    with pytest.raises(cs.SchemaError, match=f"non-negative.*{bad} = -") as error:
        change_p_value(base, current)
    assert isinstance(error.value, cs.CrimestatsError) and isinstance(error.value, ValueError)
    assert error.value.failure_cases[["column", "check"]].values.tolist() == [[bad, "count >= 0"]]
