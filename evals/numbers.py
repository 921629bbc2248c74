"""Numbers read back from result files: one NaN-aware parser, and seed means with 95 % CIs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any


def num(value: Any) -> float | None:
    """`value` as a float; None for blanks, text and NaN."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def nums(values: Iterable[Any]) -> list[float]:
    """The values that are numbers."""
    return [x for x in (num(v) for v in values) if x is not None]


def mean(values: Iterable[Any]) -> float | None:
    """Mean of the values that are numbers; None when there are none."""
    xs = nums(values)
    return sum(xs) / len(xs) if xs else None


def ci95(values: Iterable[Any]) -> float | None:
    """Half-width of the 95 % confidence interval of the mean (Student t); None below 2."""
    xs = nums(values)
    if len(xs) < 2:
        return None
    from scipy import stats  # imported here: reading a number must not load scipy

    sd = statistics.stdev(xs)  # exact for equal values, where scipy warns
    return float(stats.t.ppf(0.975, len(xs) - 1) * sd / math.sqrt(len(xs)))
