"""Issue metrics broken down by region, department, mechanism, category, tier and month.

``scope.metric_for`` scopes the whole ledger once per group and metric, and
a metric function costs a few milliseconds of pandas overhead however small the
group; a site with thousands of groups (regions × months) cannot afford that.
So a breakdown here is ONE pass per dimension that totals, per group, the per-issue
terms the issue metrics count (``metrics.ISSUE_TERMS``) and makes each figure with
that metric's own ``combine`` (``metrics.ISSUE_COMBINE``): the tests of what an issue
counts toward and how the totals make a rate exist once, in ``metrics``.
``tests/test_issues_groups.py`` checks every group against ``metric_for`` and against
an independent recomputation. Single groups (a page's own figures) call the metric
functions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger, month_text
from pipeline.figures.metrics import (ISSUE_COMBINE, ISSUE_TERMS, METRICS, IssueTotals, Metric, days_to_resolve,
                                      is_open, issue_term, issue_totals, last_twelve_months)

ISSUE_METRICS = tuple(ISSUE_COMBINE)  # issues_raised … escalated_count, in the registry's order
MEETING_METRICS = ("meetings_held", "persons_received")
DIMENSIONS = ("region", "department", "mechanism", "category", "tier", "month")
# The issues column that places an issue in a dimension (as in scope.COLUMNS).
ISSUE_COLUMN = {"department": "lead_department", "mechanism": "mechanism", "category": "category",
                "tier": "tier", "month": "month"}

Figures = dict[str, Metric]  # metric name → value, for one group


def with_frames(ledger: Ledger, **frames: pd.DataFrame) -> Ledger:
    """The ledger with some frames replaced: what a metric function sees for one group."""
    return replace(ledger, frames={**ledger.frames, **frames})


def issue_figures(ledger: Ledger, issues: pd.DataFrame) -> Figures:
    """One group's figures, from the metric functions themselves."""
    part = with_frames(ledger, issues=issues)
    return {name: METRICS[name].fn(part) for name in ISSUE_METRICS}


def meeting_figures(ledger: Ledger, meetings: pd.DataFrame) -> Figures:
    part = with_frames(ledger, meetings=meetings)
    return {name: METRICS[name].fn(part) for name in MEETING_METRICS}


def _positions(frame: pd.DataFrame, column: str) -> dict[str, np.ndarray]:
    """Value → row positions, one groupby for the whole frame."""
    if frame.empty:
        return {}
    return {key: positions for key, positions in frame.groupby(column, sort=False).indices.items()}


def by_region(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Region code → positions of the rows placed at exactly that region."""
    return _positions(frame, "region_code")


def region_rows(ledger: Ledger, groups: dict[str, np.ndarray], code: str) -> np.ndarray:
    """Positions of a region's rows, everything below it included (as ``scope.scope`` does), in row order."""
    parts = [groups[c] for c in ledger.region_codes(code) if c in groups]
    return np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.intp)


def months(ledger: Ledger) -> list[str]:
    """Every month from the first raised issue to the month of as_of."""
    raised = ledger.issues["month"].dropna()
    if raised.empty:
        return []
    first = min(raised.min(), ledger.as_of.strftime("%Y-%m"))
    return [str(p) for p in pd.period_range(first, ledger.as_of.to_period("M"), freq="M")]


def dimension_values(ledger: Ledger, dimension: str) -> list[str]:
    """The values a breakdown lists: every code the reference data or schema knows, in its order."""
    if dimension == "region":
        return list(ledger.regions["code"].dropna())
    if dimension == "department":
        return list(ledger.departments["code"].dropna())
    if dimension == "month":
        return months(ledger)
    return list(ledger.labels("issues", ISSUE_COLUMN[dimension]))


def issue_flags(ledger: Ledger, issues: pd.DataFrame) -> pd.DataFrame:
    """Per issue, each term of ``metrics.ISSUE_TERMS`` (whether it counts toward it) and its days to resolve."""
    flags = {term: issue_term(issues, ledger.as_of, term) for term in ISSUE_TERMS}
    return pd.DataFrame({**flags, "days": days_to_resolve(issues)}, index=issues.index)


COUNTED = tuple(ISSUE_TERMS)
EMPTY: IssueTotals = {"raised": 0, **dict.fromkeys(COUNTED, 0), "days_n": 0, "days_median": float("nan")}


def _figures(totals: IssueTotals) -> Figures:
    """A group's issue metrics from its totals, by each metric's own ``combine``."""
    return {name: ISSUE_COMBINE[name](totals) for name in ISSUE_METRICS}


def _grouped(flags: pd.DataFrame, positions: np.ndarray, codes: np.ndarray, keys: list) -> dict[object, Figures]:
    """The eight issue metrics per group: row ``positions[i]`` of the issues (``flags``: ``issue_flags``)
    counts in group ``codes[i]``, whose key is ``keys[codes[i]]`` (a position may repeat: an issue counts
    in every region above it). Groups without rows are left out.

    Integer group codes and one ``bincount`` per term: a million (issue, region) pairs stay fast.
    """
    codes = np.asarray(codes, dtype=np.intp)
    rows = np.bincount(codes, minlength=len(keys))
    sums = {name: np.bincount(codes, weights=flags[name].to_numpy(dtype=np.float64)[positions], minlength=len(keys))
            for name in COUNTED}
    days = flags["days"].to_numpy(dtype=np.float64)[positions]
    known = ~np.isnan(days)
    days_n = np.bincount(codes[known], minlength=len(keys))
    median = group_medians(days[known], codes[known], len(keys))
    return {keys[code]: _figures({"raised": int(rows[code]), **{name: sums[name][code] for name in COUNTED},
                                  "days_n": int(days_n[code]), "days_median": median[code]})
            for code in np.flatnonzero(rows).tolist()}


COUNT_CELLS = 1 << 22  # (group, day) cells counted at most, 32 MB: beyond, pandas' groupby median


def group_medians(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """Each group's median of ``values`` (no NaN; value i is in group ``codes[i]``), NaN for a group without
    values: what ``Series.groupby(codes).median()`` gives, the mean of the two middle values of an even count.

    Days to resolve are whole days in a short span, so each group's values are counted per day (one
    bincount) and the middle ones read off the running counts: pandas' groupby median took 1.4 s of the
    issues pages at a million issues, nine breakdowns of up to 3.7 million (issue, region) pairs each."""
    median = np.full(groups, np.nan)
    if not len(values):
        return median
    low, high = float(values.min()), float(values.max())
    # Whole numbers only (from a whole lowest value, each value minus it is exact) and not too many cells.
    countable = np.isfinite(high - low) and low.is_integer() and (int(high - low) + 1) * groups <= COUNT_CELLS
    if countable:
        shifted = values - low
        day = shifted.astype(np.intp)
        countable = np.array_equal(day, shifted)
    if not countable:
        found = pd.Series(values).groupby(codes, sort=False).median()
        median[found.index.to_numpy(dtype=np.intp)] = found.to_numpy()
        return median
    span = int(high - low) + 1
    counts = np.bincount(codes * span + day, minlength=groups * span)
    running = np.cumsum(counts.reshape(groups, span), axis=1)
    total = running[:, -1]
    has = total > 0

    def at_rank(rank: np.ndarray) -> np.ndarray:  # each group's value at a 0-based rank: the first day past it
        return (running[has] <= rank[has, None]).sum(axis=1) + low

    median[has] = (at_rank((total - 1) // 2) + at_rank(total // 2)) / 2
    return median


def empty_figures() -> Figures:
    return _figures(EMPTY)


def _region_pairs(ledger: Ledger, issues: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row positions, region codes, region names by code): each issue once for every region it counts in
    (its own and every one above it), as scope() sees it; built with integer arrays, not a list per issue.
    Those of the ledger's own issues are made once per ledger (read-only): the region breakdown and the
    three region crosses all read them."""
    if issues is ledger.issues:
        return ledger.kept("region_pairs", lambda: _pairs_made(ledger, issues))  # type: ignore[return-value]
    return _pairs_made(ledger, issues)


def _pairs_made(ledger: Ledger, issues: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    above: dict[str, list[str]] = {}
    for region, below in ledger.descendants.items():
        for code in below:
            above.setdefault(code, []).append(region)
    codes, uniques = pd.factorize(issues["region_code"])
    lists = [above.get(code, [code]) for code in uniques]
    regions = sorted({region for regions in lists for region in regions})
    number = {region: n for n, region in enumerate(regions)}
    flat = np.array([number[region] for regions in lists for region in regions], dtype=np.int64)
    lengths = np.array([len(regions) for regions in lists], dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    rows = np.flatnonzero(codes >= 0)
    counts = lengths[codes[rows]]
    # Pair j of row r takes flat[offsets[code of r] + k], k = 0 … counts[r] − 1.
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    positions, region_codes = np.repeat(rows, counts), flat[np.repeat(offsets[codes[rows]], counts) + within]
    positions.setflags(write=False)
    region_codes.setflags(write=False)
    return positions, region_codes, regions


def _dimension_groups(ledger: Ledger, issues: pd.DataFrame, dimension: str) -> tuple[np.ndarray, np.ndarray, list]:
    """(row positions, group codes, keys) of ``issues`` for one dimension."""
    if dimension == "region":
        return _region_pairs(ledger, issues)
    codes, uniques = pd.factorize(issues[ISSUE_COLUMN[dimension]])
    positions = np.flatnonzero(codes >= 0)
    return positions, codes[positions], list(uniques)


def breakdown_figures(ledger: Ledger, dimension: str, values: list[str] | None = None,
                      issues: pd.DataFrame | None = None, flags: pd.DataFrame | None = None) -> dict[str, Figures]:
    """Every issue metric for each value of ``dimension`` (over ``issues``, default all; ``flags``: their
    ``issue_flags``, when already computed)."""
    values = dimension_values(ledger, dimension) if values is None else values
    issues = ledger.issues if issues is None else issues
    flags = issue_flags(ledger, issues) if flags is None else flags
    found = _grouped(flags, *_dimension_groups(ledger, issues, dimension))
    return {value: found.get(value) or empty_figures() for value in values}


def region_cross(ledger: Ledger, dimension: str, flags: pd.DataFrame | None = None) -> dict[tuple[str, str], Figures]:
    """Every issue metric for each (region, value of ``dimension``) pair that has issues; absent pairs are empty."""
    issues = ledger.issues
    flags = issue_flags(ledger, issues) if flags is None else flags
    positions, regions, region_names = _region_pairs(ledger, issues)
    other, values = pd.factorize(issues[ISSUE_COLUMN[dimension]])
    other = other[positions]
    keep = other >= 0
    pairs = regions[keep] * len(values) + other[keep]  # one integer per (region, value)
    codes, pair_keys = pd.factorize(pairs)
    keys = [(region_names[key // len(values)], values[key % len(values)]) for key in pair_keys.tolist()]
    return _grouped(flags, positions[keep], codes, keys)


def all_breakdowns(ledger: Ledger, flags: pd.DataFrame | None = None) -> dict[str, dict[str, Figures]]:
    flags = issue_flags(ledger, ledger.issues) if flags is None else flags
    return {dimension: breakdown_figures(ledger, dimension, flags=flags) for dimension in DIMENSIONS}


def monthly_counts(ledger: Ledger) -> pd.DataFrame:
    """The home page's trend: per month, from the first month an issue was raised to as_of's month,
    ``raised`` (issues_raised of the issues whose raised_on falls in that month) and ``resolved``
    (issues_resolved of the issues whose resolved_on falls in it), from the registry's per-issue terms."""
    issues = ledger.issues
    flags = issue_flags(ledger, issues)
    by_month = {}
    for column in ("raised_on", "resolved_on"):
        codes, found = pd.factorize(month_text(issues[column]))
        positions = np.flatnonzero(codes >= 0)
        by_month[column] = _grouped(flags, positions, codes[positions], list(found))
    if not by_month["raised_on"]:
        return pd.DataFrame(columns=["month", "raised", "resolved"])
    months = [str(p) for p in pd.period_range(min(by_month["raised_on"]), ledger.as_of.to_period("M"), freq="M")]
    empty = empty_figures()
    return pd.DataFrame({"month": months,
                         "raised": [(by_month["raised_on"].get(m) or empty)["issues_raised"].value for m in months],
                         "resolved": [(by_month["resolved_on"].get(m) or empty)["issues_resolved"].value
                                      for m in months]})


def escalated_issues(ledger: Ledger) -> pd.DataFrame:
    """The issues escalated_count counts (督办)."""
    issues = ledger.issues
    return issues[issue_term(issues, ledger.as_of, "escalated")]


def issue_states(ledger: Ledger, issues: pd.DataFrame) -> dict[str, int]:
    """How many of ``issues`` there are, are resolved, withdrawn and still open (by the metrics' terms)."""
    totals = issue_totals(issues, ledger.as_of, ("done", "withdrawn"))
    return {"total": int(totals["raised"]), "done": int(totals["done"]), "withdrawn": int(totals["withdrawn"]),
            "open": int(is_open(issues).sum())}


def open_by_region(ledger: Ledger, codes: list[str]) -> dict[str, int]:
    """Region code → its open issues (everything below it included), for each of ``codes``."""
    open_ = is_open(ledger.issues).to_numpy(dtype=bool)
    groups = by_region(ledger.issues)
    return {code: int(open_[region_rows(ledger, groups, code)].sum()) for code in codes}


def meetings_by_region(ledger: Ledger, codes: list[str]) -> dict[str, Figures]:
    # One region's rows at a time: the parts overlap (a county holds its townships), so all at once
    # would hold the meetings several times over.
    groups, meetings = by_region(ledger.meetings), ledger.meetings
    return {code: meeting_figures(ledger, meetings.iloc[region_rows(ledger, groups, code)]) for code in codes}


@dataclass(frozen=True)
class Window:
    """The league table's period: the 12 calendar months ending with the month of as_of, by raised_on."""

    first: str
    last: str

    def issues(self, ledger: Ledger) -> pd.DataFrame:
        month = ledger.issues["month"]
        return ledger.issues[(month >= self.first) & (month <= self.last)]


def league_window(ledger: Ledger) -> Window:
    return Window(*last_twelve_months(ledger.as_of))
