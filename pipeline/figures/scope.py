"""Scopes and breakdowns: the same metric functions over a part of the ledger.

``scope(ledger, region=…, department=…)`` returns a ledger whose frames hold
only the rows that belong to that part; a metric computed on it is the
metric for that part. A region includes everything below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric
from pipeline.figures.callbacks import LIFECYCLE_EVENTS, event_column, issues_with  # noqa: I001 (after metrics: it registers v2)

# Which column of each resource places a row in a dimension.
COLUMNS: dict[str, dict[str, str]] = {
    "region": {"issues": "region_code", "meetings": "region_code", "devolutions": "region_code",
               "item_cases": "region_code", "evaluations": "issue_region_code",
               "inspections": "issue_region_code", "surveys": "region_code", "duty_items": "region_code",
               "burden_reports": "region_code", "burden_cuts": "region_code"},
    "department": {"issues": "lead_department", "devolved_items": "from_department",
                   "devolutions": "item_from_department", "item_cases": "item_from_department",
                   "evaluations": "issue_lead_department", "inspections": "issue_lead_department",
                   "burden_cuts": "department"},
    "mechanism": {"issues": "mechanism", "meetings": "mechanism", "evaluations": "issue_mechanism",
                  "inspections": "issue_mechanism"},
    "month": {"issues": "month", "meetings": "month", "item_cases": "month", "evaluations": "month",
              "inspections": "month", "surveys": "month"},
    "category": {"issues": "category", "evaluations": "issue_category", "inspections": "issue_category"},
    "tier": {"issues": "tier", "evaluations": "issue_tier", "inspections": "issue_tier"},
    "power_type": {"devolved_items": "power_type", "devolutions": "item_power_type",
                   "item_cases": "item_power_type"},
}
# Surveys name a mechanism or department by subject + subject_ref.
SURVEY_SUBJECT = {"mechanism": "mechanism", "department": "department"}


def _mask(ledger: Ledger, resource: str, dimension: str, value: str) -> pd.Series | None:
    frame = ledger.frames[resource]
    if dimension == "department" and resource == "meetings":
        # ``value`` is one of the ;-separated codes: ";a;b;" holds ";a;" (no split into a list per row).
        if ";" in value:
            return pd.Series(False, index=frame.index)
        return (";" + frame["departments"].fillna("") + ";").str.contains(f";{value};", regex=False)
    if dimension in SURVEY_SUBJECT and resource == "surveys":
        return frame["subject"].eq(SURVEY_SUBJECT[dimension]) & frame["subject_ref"].eq(value)
    column = COLUMNS[dimension].get(resource)
    if column is None:
        return None
    if dimension == "region":
        inside = frame[column].isin(ledger.region_codes(value))
        if resource == "burden_cuts" and value in set(ledger.regions.loc[ledger.regions["parent_code"].isna(), "code"]):
            inside |= frame[column].isna()  # a cut without a region is the whole jurisdiction's
        return inside
    return frame[column].eq(value)


def _known(dimension: str) -> None:
    if dimension not in COLUMNS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {sorted(COLUMNS)}")


def kept_rows(ledger: Ledger, resource: str, dimension: str, value: str) -> np.ndarray:
    """Which rows of ``resource`` ``scope(ledger, dimension=value)`` keeps, as a boolean array: for figures
    of many parts that read one frame, without a scoped ledger per part."""
    _known(dimension)
    mask = _mask(ledger, resource, dimension, value)
    if mask is None:
        return np.ones(len(ledger.frames[resource]), dtype=bool)
    return mask.fillna(False).astype(bool).to_numpy()


def scope(ledger: Ledger, **filters: str) -> Ledger:
    """The part of the ledger that ``filters`` (dimension=value) select."""
    frames = dict(ledger.frames)
    for dimension, value in filters.items():
        _known(dimension)
        current = replace(ledger, frames=frames)
        for resource in frames:
            mask = _mask(current, resource, dimension, value)
            if mask is not None:
                frames[resource] = frames[resource][mask.fillna(False).astype(bool)]
        if dimension == "region":
            # An item belongs to a region through its devolutions there.
            items = frames["devolved_items"]
            frames["devolved_items"] = items[items["id"].isin(frames["devolutions"]["item_id"])]
    return replace(ledger, frames=frames)


# --- the ledger as metrics read it ----------------------------------------------------------

LARGE = ("issues", "meetings", "evaluations", "inspections")  # the frames that grow with the records
# Columns a scope reads besides those of COLUMNS: a meeting's departments (_mask).
SCOPE_READS = {"meetings": ("departments",)}


def metric_columns() -> dict[str, list[str]]:
    """The large frames' columns that the metric functions read (their registry ``reads``) or a scope
    reads, besides those placing a row in a dimension."""
    found: dict[str, dict[str, None]] = {resource: {} for resource in LARGE}
    for spec in METRICS.values():
        for resource, columns in spec.reads.items():
            if resource in found:
                found[resource].update(dict.fromkeys(columns))
    for resource, columns in SCOPE_READS.items():
        found[resource].update(dict.fromkeys(columns))
    return {resource: list(columns) for resource, columns in found.items()}


METRIC_COLUMNS: dict[str, list[str]] = metric_columns()
# The dates a claim's period is taken by (pipeline.figures.claims.PERIOD_COLUMN; a test pins that they agree).
PERIOD_COLUMNS = {"issues": "raised_on", "meetings": "held_on", "evaluations": "evaluated_on",
                  "inspections": "inspected_on", "burden_cuts": "cut_on"}
CODED = ["resolved_at_level", "verdict"]  # codes compared with eq/isin only, besides the dimension columns


def metric_ledger(ledger: Ledger, resources: Iterable[str] = tuple(METRIC_COLUMNS)) -> Ledger:
    """The ledger as metrics, scopes and period scopes read it: each large frame (issues, meetings,
    evaluations, inspections) narrowed to the columns they read, its codes as categoricals.

    Every metric, scoped or not, has the same value on it (tests/test_aggregate.py); a scope costs a
    fraction, because filtering rows copies a dozen narrow columns instead of every text column, and a
    categorical copies one small integer per row where a text column copies the text. ``resources``
    limits the narrowing to the frames a caller scopes; the others stay as they are.
    """
    frames = dict(ledger.frames)
    for resource in resources:
        reads = METRIC_COLUMNS.get(resource)
        if reads is None:  # a small frame: kept whole
            continue
        frame = frames[resource]
        dims = [columns[resource] for columns in COLUMNS.values() if resource in columns]
        kept = list(dict.fromkeys([*reads, *dims, PERIOD_COLUMNS[resource]]))
        codes = [c for c in kept if (c in dims and c != "month") or c in CODED]  # never month: it is compared by order
        frames[resource] = frame[kept].astype({c: "category" for c in codes})
        if resource == "issues" and "issue_events" in frames:
            frames[resource] = frames[resource].assign(**{
                event_column(event): issues_with(frame, frames["issue_events"], event) for event in LIFECYCLE_EVENTS})
    return replace(ledger, frames=frames)


def metric_for(ledger: Ledger, name: str, **filters: str) -> Metric:
    spec = METRICS[name]
    unsupported = set(filters) - spec.dims
    if unsupported:
        raise ValueError(f"{name} cannot be broken down by {sorted(unsupported)}")
    return spec.fn(scope(ledger, **filters) if filters else ledger)


def breakdown(ledger: Ledger, name: str, dimension: str, values: list[str], **filters: str) -> dict[str, Metric]:
    """``name`` for each value of ``dimension`` (within ``filters``), in the order given."""
    return {value: metric_for(ledger, name, **filters, **{dimension: value}) for value in values}
