"""Issue metrics broken down by region, department, mechanism, category, tier and month.

``aggregate.metric_for`` scopes the whole ledger once per group and metric, and
a metric function costs a few milliseconds of pandas overhead however small the
group; a site with thousands of groups (regions × months) cannot afford that.
So a breakdown here is ONE groupby per dimension that computes the eight issue
metrics for every group at once, building each ``Metric`` with the metric
module's own ``rate``/``count``. ``tests/test_issues_groups.py`` proves that every
group equals ``metric_for(ledger, name, **{dimension: value})`` (also for groups
within a region), so this cannot drift from the vocabulary's functions. Single
groups (a page's own figures) call the metric functions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipeline.frames import Ledger
from pipeline.metrics import METRICS, Metric, _plain, count, last_twelve_months, rate

ISSUE_METRICS = ("issues_raised", "issues_resolved", "resolution_rate", "on_time_rate", "overdue_open",
                 "median_days_to_resolve", "township_resolution_share", "escalated_count")
MEETING_METRICS = ("meetings_held", "persons_received")
DIMENSIONS = ("region", "department", "mechanism", "category", "tier", "month")
# The issues column that places an issue in a dimension (as in aggregate.COLUMNS).
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


def split_by_region(ledger: Ledger, frame: pd.DataFrame, codes: list[str]) -> dict[str, pd.DataFrame]:
    """Each region's rows, everything below it included (as ``aggregate.scope`` does)."""
    groups = _positions(frame, "region_code")
    out = {}
    for code in codes:
        parts = [groups[c] for c in ledger.region_codes(code) if c in groups]
        positions = np.sort(np.concatenate(parts)) if parts else np.array([], dtype=int)
        out[code] = frame.iloc[positions]
    return out


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


def _flags(ledger: Ledger, issues: pd.DataFrame) -> pd.DataFrame:
    """Per issue, what each metric counts (the same tests as pipeline.metrics)."""
    done = issues["done"]
    days = (issues["resolved_on"] - issues["raised_on"]).dt.days.where(done)
    return pd.DataFrame({
        "done": done, "withdrawn": issues["withdrawn"],
        "on_time": done & (issues["resolved_on"] <= issues["due"]),
        "overdue": ~done & ~issues["withdrawn"] & (issues["due"] < ledger.as_of),
        "township": done & issues["resolved_at_level"].eq("township").fillna(False).astype(bool),
        "escalated": issues["escalated"], "days": days.astype("float64")}, index=issues.index)


EMPTY = {"rows": 0, "done": 0, "withdrawn": 0, "on_time": 0, "overdue": 0, "township": 0, "escalated": 0,
         "days_n": 0, "days_median": float("nan")}


def _figures(row: dict) -> Figures:
    n, done, withdrawn = row["rows"], row["done"], row["withdrawn"]
    days_n, median = int(row["days_n"]), row["days_median"]
    return {
        "issues_raised": count(n), "issues_resolved": count(done),
        "resolution_rate": rate(done, n - withdrawn), "on_time_rate": rate(row["on_time"], done),
        "overdue_open": count(row["overdue"]),
        "median_days_to_resolve": Metric(_plain(median) if days_n else None, None, days_n),
        "township_resolution_share": rate(row["township"], done), "escalated_count": count(row["escalated"]),
    }


def grouped_figures(ledger: Ledger, issues: pd.DataFrame, keys: pd.Series | pd.DataFrame) -> dict[object, Figures]:
    """The eight issue metrics for each key found in ``keys``, whose index points at rows of ``issues``
    (an index may repeat: an issue counts in its region and every region above it).

    A frame of keys gives tuple keys: one groupby for a whole cross table (region × month …).
    """
    keys = keys.to_frame("key0") if isinstance(keys, pd.Series) else keys
    flags = _flags(ledger, issues).loc[keys.index]
    names = [f"key{n}" for n in range(keys.shape[1])]
    for name, column in zip(names, keys.columns):
        flags[name] = keys[column].to_numpy()
    groups = flags.groupby(names if len(names) > 1 else names[0], sort=False)
    table = groups[["done", "withdrawn", "on_time", "overdue", "township", "escalated"]].sum()
    table["rows"] = groups.size()
    table["days_n"] = groups["days"].count()
    table["days_median"] = groups["days"].median()
    return {key: _figures(row) for key, row in table.to_dict("index").items()}


def empty_figures() -> Figures:
    return _figures(EMPTY)


def region_keys(ledger: Ledger, issues: pd.DataFrame) -> pd.Series:
    """Each issue once for every region it counts in (its own and every one above it), as scope() sees it."""
    above: dict[str, list[str]] = {}
    for region, below in ledger.descendants.items():
        for code in below:
            above.setdefault(code, []).append(region)
    codes = issues["region_code"]
    return codes.map(lambda c: above.get(c, [c]) if isinstance(c, str) else []).explode().dropna()


def dimension_keys(ledger: Ledger, issues: pd.DataFrame, dimension: str) -> pd.Series:
    return region_keys(ledger, issues) if dimension == "region" else issues[ISSUE_COLUMN[dimension]].dropna()


def breakdown_figures(ledger: Ledger, dimension: str, values: list[str] | None = None,
                      issues: pd.DataFrame | None = None) -> dict[str, Figures]:
    """Every issue metric for each value of ``dimension`` (over ``issues``, default all)."""
    values = dimension_values(ledger, dimension) if values is None else values
    issues = ledger.issues if issues is None else issues
    found = grouped_figures(ledger, issues, dimension_keys(ledger, issues, dimension))
    return {value: found.get(value) or empty_figures() for value in values}


def region_cross(ledger: Ledger, dimension: str) -> dict[tuple[str, str], Figures]:
    """Every issue metric for each (region, value of ``dimension``) pair that has issues; absent pairs are empty."""
    issues = ledger.issues
    regions = region_keys(ledger, issues)
    other = issues[ISSUE_COLUMN[dimension]].loc[regions.index]
    keys = pd.DataFrame({"region": regions.to_numpy(), "other": other.to_numpy()}, index=regions.index)
    return grouped_figures(ledger, issues, keys.dropna())


def all_breakdowns(ledger: Ledger) -> dict[str, dict[str, Figures]]:
    return {dimension: breakdown_figures(ledger, dimension) for dimension in DIMENSIONS}


def meetings_by_region(ledger: Ledger, codes: list[str]) -> dict[str, Figures]:
    parts = split_by_region(ledger, ledger.meetings, codes)
    return {code: meeting_figures(ledger, part) for code, part in parts.items()}


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
