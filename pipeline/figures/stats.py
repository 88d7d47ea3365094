"""Small statistics for outcome figures: the Wilson score interval and grade counts.

Pure functions on plain numbers and iterables, so that pages, the API and the
tests all use the same arithmetic (a pandas column is counted once per distinct
value instead of once per row, with the same result). The grades are those of the national
政务服务"好差评" scale: 5 非常满意 … 1 非常不满意, where 1–2 are 差评.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

# The 0.975 quantile of the standard normal distribution: a two-sided 95 % interval.
Z95 = 1.959963984540054


def wilson_interval(successes: int | float, n: int | float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` out of ``n``; None when n = 0.

    centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²),  p = successes / n.
    Unlike p ± z√(p(1−p)/n) it stays inside [0, 1] and is not empty at p = 0 or 1.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 ≤ successes ≤ n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding must not move it outside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Grade:
    rating: int
    field: str  # the survey column that counts this grade
    label: str


GRADES: tuple[Grade, ...] = (
    Grade(5, "very_satisfied", "非常满意"),
    Grade(4, "satisfied", "满意"),
    Grade(3, "basic", "基本满意"),
    Grade(2, "dissatisfied", "不满意"),
    Grade(1, "very_dissatisfied", "非常不满意"),
)
SATISFIED_RATINGS = frozenset({3, 4, 5})
NEGATIVE_RATINGS = frozenset({1, 2})  # 差评


@dataclass(frozen=True)
class Distribution:
    """How many answers fell in each grade, in the order of ``GRADES`` (5 first)."""

    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return sum(self.counts)

    def count(self, rating: int) -> int:
        return self.counts[5 - rating]

    @property
    def satisfied(self) -> int:
        return sum(self.count(r) for r in SATISFIED_RATINGS)

    @property
    def negative(self) -> int:
        return sum(self.count(r) for r in NEGATIVE_RATINGS)

    def cells(self) -> list[tuple[Grade, int]]:
        return list(zip(GRADES, self.counts))

    def to_dict(self) -> dict[str, int]:
        return {grade.field: count for grade, count in self.cells()}


def rating_distribution(ratings: Iterable[object]) -> Distribution:
    """Counts of single ratings 5…1; missing or out-of-scale values are not counted."""
    counts = dict.fromkeys(range(1, 6), 0)
    if isinstance(ratings, pd.Series) and pd.api.types.is_integer_dtype(ratings.dtype):
        # A column of whole numbers (missing cells dropped): one count per value, not a loop per answer.
        for value, n in ratings.value_counts().items():
            if value in counts:
                counts[int(value)] += int(n)
        return Distribution(tuple(counts[g.rating] for g in GRADES))
    for rating in ratings:
        try:
            value = int(rating)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # None, NaN, pd.NA
            continue
        if value in counts:
            counts[value] += 1
    return Distribution(tuple(counts[g.rating] for g in GRADES))


def survey_distribution(surveys: Iterable[Mapping[str, object]]) -> Distribution:
    """Summed grade counts of several surveys (each a mapping with the five grade columns)."""
    totals = dict.fromkeys((g.field for g in GRADES), 0)
    for survey in surveys:
        for grade in GRADES:
            value = survey.get(grade.field)
            try:
                totals[grade.field] += int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):  # a missing count adds nothing
                continue
    return Distribution(tuple(totals[g.field] for g in GRADES))


def category_counts(values: Iterable[object], order: Iterable[str]) -> dict[str, int]:
    """How often each of ``order`` occurs in ``values`` (others ignored), in that order."""
    counts = dict.fromkeys(order, 0)
    if isinstance(values, pd.Series):  # one count per distinct value (missing cells dropped), not per row
        for value, n in values.value_counts().items():
            if isinstance(value, str) and value in counts:
                counts[value] += int(n)
        return counts
    for value in values:
        if isinstance(value, str) and value in counts:
            counts[value] += 1
    return counts
