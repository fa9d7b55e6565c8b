"""Numbers in report sentences: British English, thousands separators, one decimal, ordinals."""

from __future__ import annotations

from collections.abc import Sequence

_COMPASS = ("north", "south", "east", "west", "thames", "metropolitan")


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd".

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def count(n: float) -> str:
    """21225 -> "21,225"."""
    return f"{round(float(n)):,}"


def percent(value: float) -> str:
    """13.5999 -> "13.6%" (one decimal, magnitude only: the words carry the sign)."""
    return f"{abs(value):.1f}%"


def join_words(items: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b and c" (no Oxford comma, as UK reports write it)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def place(name: str) -> str:
    """A place as it reads after "across": "the West Midlands", "Kent"."""
    name = name.split(":", 1)[-1].strip()
    return f"the {name}" if name.lower().startswith(_COMPASS) else name


def capitalise(text: str) -> str:
    """Upper-case the first letter only ("vehicle offences" -> "Vehicle offences")."""
    return text[:1].upper() + text[1:]
