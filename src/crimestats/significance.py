"""Whether a change in a count is beyond normal (Poisson) variation.

The test is the exact conditional test for two Poisson counts (Przyborowski and Wilenski, 1940):
if offences occur at the same rate in two periods of equal length, then given the total
n = base + current, the current count is Binomial(n, 1/2). The two-sided p-value is
``scipy.stats.binomtest(current, n, 0.5)``. It is exact for small counts (where a rise from 6 to 9
is a "50% surge" that means nothing) and needs no normal approximation; for large counts it
agrees with the usual z-test on the difference. Recorded crime is usually over-dispersed
relative to Poisson (seasonality, recording changes, linked series), so a "significant" change is
a necessary, not a sufficient, condition for a real change in risk: the wording says "beyond
normal variation", never "caused by".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import SchemaError

ALPHA = 0.05


def change_p_value(base: int, current: int) -> float:
    """Two-sided exact p-value that two equal-length periods share one Poisson rate.

    Raises
    ------
    SchemaError
        When a count is negative (counts are never below zero).

    Examples
    --------
    >>> round(change_p_value(6, 9), 2)
    0.61
    >>> change_p_value(18684, 21225) < 1e-10
    True
    """
    base, current = int(base), int(current)
    negative = [(name, value) for name, value in (("base", base), ("current", current)) if value < 0]
    if negative:
        cases = pd.DataFrame(
            [{"column": name, "check": "count >= 0", "row": None, "value": value} for name, value in negative],
            columns=["column", "check", "row", "value"],
        )
        listed = ", ".join(f"{name} = {value}" for name, value in negative)
        raise SchemaError(f"counts must be non-negative for a Poisson test; got {listed}", cases)
    total = base + current
    if total == 0:
        return 1.0
    from scipy import stats  # here, not at the top: scipy.stats costs most of a second to import

    return float(stats.binomtest(current, total, 0.5).pvalue)


def describe_change(base: pd.Series, current: pd.Series, *, alpha: float = ALPHA) -> pd.DataFrame:
    """P-value, significance flag and plain words for each pair of counts.

    Returns a frame with ``p_value``, ``significant`` and ``significance`` ("significant
    increase", "significant decrease" or "no significant change").
    """
    p_values = np.array([change_p_value(b, c) for b, c in zip(base, current, strict=True)], dtype=float)
    significant = p_values < alpha
    words = np.where(
        ~significant,
        "no significant change",
        np.where(np.asarray(current) > np.asarray(base), "significant increase", "significant decrease"),
    )
    return pd.DataFrame({"p_value": p_values, "significant": significant, "significance": words}, index=base.index)
