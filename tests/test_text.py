from hypothesis import given
from hypothesis import strategies as st

from crimestats.text import count, join_words, ordinal, percent, place


@given(st.integers(1, 10_000))
def test_ordinal_suffixes(n):
    word = ordinal(n)
    assert word.startswith(str(n))
    suffix = word[len(str(n)) :]
    if n % 100 in (11, 12, 13):
        assert suffix == "th"
    else:
        assert suffix == {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def test_numbers_and_places():
    assert count(21225) == "21,225"
    assert percent(13.59987) == "13.6%" and percent(-4.44) == "4.4%"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert place("West Midlands") == "the West Midlands" and place("Kent") == "Kent"
    assert place("region:North West") == "the North West"
