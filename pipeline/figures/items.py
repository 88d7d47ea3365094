"""赋权事项: the figures the item pages show, all through the metric functions.

The uptake metrics (items_devolved, items_zero_use, cases_handled,
within_promise_rate, items_review_overdue) live in ``pipeline.figures.metrics``; this
module only applies them to parts of the ledger (per item, per devolution, per
breakdown value), and names the item ids behind the two counts that the pages list
(零办件, 评估逾期) by the very selections the metric functions count
(``metrics.zero_use_items``, ``metrics.review_overdue_items``). The time saved by
promised limits is computed here too (described on the methodology page).
Everything here is pure: a ledger in, data out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipeline.figures.scope import kept_rows, metric_for, scope
from pipeline.core.ledger import Ledger
from pipeline.figures import metrics as m
from pipeline.figures.metrics import METRICS, Metric, active_items, count, exact_sum, rate
from pipeline.figures.registry import checked_total
from pipeline.validate.rules_totals import exact_total

# The only frames and columns the item metrics, the item scopes (scope.COLUMNS) and these pages read.
ITEM_COLUMNS = {
    "devolved_items": ["id", "from_department", "power_type", "effective_on", "revoked_on", "last_reviewed_on",
                       "statutory_limit", "promised_limit", "limit_unit"],
    "devolutions": ["item_id", "region_code", "effective_on", "item_from_department", "item_power_type",
                    "item_effective_on"],
    "item_cases": ["item_id", "region_code", "month", "cases", "within_promise", "item_from_department",
                   "item_power_type"],
}
UPTAKE = ["items_devolved", "items_zero_use", "items_review_overdue", "cases_handled", "within_promise_rate"]
CASE_METRICS = ["cases_handled", "within_promise_rate"]
UNIT_ZH = {"working_days": "工作日", "calendar_days": "自然日"}


def item_ledger(ledger: Ledger) -> Ledger:
    """The ledger narrowed to the item frames and the columns read from them (plus regions, for region
    scopes). Item metrics give the same values on it (a test pins that for every breakdown shown), and a
    scope costs a fraction: it filters three narrow frames instead of eleven wide ones."""
    if set(ledger.frames) == {*ITEM_COLUMNS, "regions"}:
        return ledger
    frames = {name: ledger.frames[name][columns] for name, columns in ITEM_COLUMNS.items()}
    return replace(ledger, frames={**frames, "regions": ledger.frames["regions"]})


# --- the ids behind the counts -------------------------------------------------------

def zero_use_ids(ledger: Ledger) -> list[str]:
    """The ids of the items ``items_zero_use`` counts, sorted."""
    return sorted(m.zero_use_items(ledger)["id"])


def review_overdue_ids(ledger: Ledger) -> list[str]:
    """The ids of the items ``items_review_overdue`` counts, sorted."""
    return sorted(m.review_overdue_items(ledger)["id"])


def last_case_month(ledger: Ledger) -> dict[str, str]:
    """Item id → the latest month with at least one case (any township); items never used are absent."""
    cases = ledger.item_cases
    used = cases[cases["cases"].fillna(0) > 0]
    return {str(k): str(v) for k, v in used.groupby("item_id")["month"].max().items()}


# --- the case metrics of many parts at once -------------------------------------------------

class CaseRows:
    """item_cases as the two case metrics read it (``CASE_METRICS``: cases_handled, within_promise_rate),
    for the figures of hundreds of parts (each item, each devolution, each month): ``figures(rows)`` is
    what the metric functions give on a frame of those rows alone (tests/test_items_metrics.py pins the
    equality on random parts), at microseconds a part where a frame a part took a millisecond or more."""

    def __init__(self, cases: pd.DataFrame):
        self.cases = cases["cases"].to_numpy(dtype=np.int64, na_value=0)  # a missing count adds nothing
        self.given = cases["within_promise"].notna().to_numpy(dtype=bool)
        self.within = cases["within_promise"].to_numpy(dtype=np.int64, na_value=0)

    def figures(self, rows: np.ndarray, names: list[str] = CASE_METRICS) -> dict[str, Metric]:
        """The metrics ``names`` (of CASE_METRICS) over ``rows`` (positions or a boolean mask), each
        total checked as ``exact_sum`` checks it, in the order the metric functions check theirs."""
        out = {}
        for name in names:
            if name == "cases_handled":
                out[name] = count(checked_total(exact_total(self.cases[rows]), "item_cases", ("cases",)))
            elif name == "within_promise_rate":
                given = self.given[rows]
                within = checked_total(exact_total(self.within[rows][given]), "item_cases", ("within_promise",))
                cases = checked_total(exact_total(self.cases[rows][given]), "item_cases", ("cases",))
                out[name] = rate(within, cases)
            else:
                raise ValueError(f"{name} is not one of the case metrics {CASE_METRICS}")
        return out


NO_ROWS = np.zeros(0, dtype=np.int64)


# --- the same metric per item, per month, per place -------------------------------------

def per_item(ledger: Ledger, names: list[str]) -> dict[str, dict[str, Metric]]:
    """item id → {name → Metric}: each metric function applied to the ledger restricted to one item's rows
    (the case metrics through ``CaseRows``, which gives the same)."""
    part = item_ledger(ledger)
    frames = part.frames
    keys = {"devolved_items": "id", "devolutions": "item_id", "item_cases": "item_id"}
    positions = {resource: frames[resource].groupby(column, sort=False).indices for resource, column in keys.items()}
    empty = {resource: frames[resource].iloc[0:0] for resource in keys}
    cases = CaseRows(frames["item_cases"])
    case_names = [name for name in names if name in CASE_METRICS]
    others = [name for name in names if name not in CASE_METRICS]
    out = {}
    for item_id in sorted(set(frames["devolved_items"]["id"].dropna())):
        found = cases.figures(positions["item_cases"].get(item_id, NO_ROWS), case_names)
        if others:
            rows = {resource: frames[resource].iloc[positions[resource][item_id]] if item_id in positions[resource]
                    else empty[resource] for resource in keys}
            one = replace(part, frames={**frames, **rows})
            found |= {name: METRICS[name].fn(one) for name in others}
        out[item_id] = {name: found[name] for name in names}
    return out


def per_devolution(ledger: Ledger, names: list[str] = CASE_METRICS) -> dict[tuple[str, str], dict[str, Metric]]:
    """(region code, item id) → {name → Metric} for every devolution, for the case metrics only.

    cases_handled and within_promise_rate read item_cases alone, so each devolution's figure is the
    metric on that devolution's item_cases rows: one partition per devolution instead of one per item
    per township page (a test pins equality with ``per_item`` on each township's scope).
    """
    if not set(names) <= set(CASE_METRICS):
        raise ValueError(f"per_devolution computes metrics that read item_cases only ({CASE_METRICS}), not {names}")
    part = item_ledger(ledger)
    cases = part.item_cases
    positions = cases.groupby(["region_code", "item_id"], sort=False).indices
    rows = CaseRows(cases)
    pairs = part.devolutions[["region_code", "item_id"]].dropna()
    return {key: rows.figures(positions.get(key, NO_ROWS), names)
            for key in sorted(set(zip(pairs["region_code"], pairs["item_id"])))}


def uptake(ledger: Ledger, names: list[str] = UPTAKE, **filters: str) -> dict[str, Metric]:
    """The uptake metrics of a part of the ledger (no filter: the whole ledger), by ``scope.metric_for``."""
    part = item_ledger(ledger)
    return {name: metric_for(part, name, **filters) for name in names}


def table(ledger: Ledger, dimension: str, values: list[str], names: list[str] = UPTAKE) -> dict[str, dict[str, Metric]]:
    """value → {name → Metric}: what ``scope.breakdown`` gives, with one scope per value shared by all
    the metrics of the row, the case metrics read from the value's item_cases rows alone (a test pins
    the equality with ``breakdown``)."""
    refused = [name for name in names if dimension not in METRICS[name].dims]
    if refused:
        raise ValueError(f"{refused} cannot be broken down by {dimension!r}")
    part = item_ledger(ledger)
    cases = CaseRows(part.item_cases)
    case_names = [name for name in names if name in CASE_METRICS]
    others = [name for name in names if name not in CASE_METRICS]
    rows = {}
    for value in values:
        found = cases.figures(kept_rows(part, "item_cases", dimension, value), case_names)
        if others:
            one = scope(part, **{dimension: value})
            found |= {name: METRICS[name].fn(one) for name in others}
        rows[value] = {name: found[name] for name in names}
    return rows


def case_months(ledger: Ledger) -> list[str]:
    """Every month from the first item's effect (or first case) to as_of's month."""
    starts = list(ledger.item_cases["month"].dropna())
    starts += list(ledger.devolved_items["effective_on"].dropna().dt.strftime("%Y-%m"))
    if not starts:
        return []
    return [str(p) for p in pd.period_range(min(starts), ledger.as_of.to_period("M"), freq="M")]


# --- time saved: promised vs statutory limit ---------------------------------------------------

@dataclass(frozen=True)
class TimeSaved:
    unit: str  # working_days | calendar_days: never added across units
    items: int  # active items giving both limits in this unit
    statutory_total: int
    promised_total: int

    @property
    def saved_total(self) -> int:
        return self.statutory_total - self.promised_total

    @property
    def saved_share(self) -> Metric:
        """Saved ÷ statutory: how much shorter the promise is than the law allows, over these items."""
        return rate(self.saved_total, self.statutory_total)

    @property
    def unit_zh(self) -> str:
        return UNIT_ZH[self.unit]


def time_saved(ledger: Ledger) -> list[TimeSaved]:
    """Per unit, over active items that give both limits and a unit (units are never mixed)."""
    items = active_items(ledger)
    both = items[items["statutory_limit"].notna() & items["promised_limit"].notna() & items["limit_unit"].notna()]
    out = []
    for unit in UNIT_ZH:
        part = both[both["limit_unit"].eq(unit)]
        if len(part):
            out.append(TimeSaved(unit, len(part), exact_sum(part, "devolved_items", "statutory_limit"),
                                 exact_sum(part, "devolved_items", "promised_limit")))
    return out


def saved_days(item: pd.Series) -> int | None:
    """Statutory − promised for one item, in its own unit; None without both limits and a unit."""
    if pd.isna(item["statutory_limit"]) or pd.isna(item["promised_limit"]) or pd.isna(item["limit_unit"]):
        return None
    return int(item["statutory_limit"]) - int(item["promised_limit"])


# --- places ------------------------------------------------------------------------------------

LEVEL_ZH = {"township": "乡镇", "street": "街道"}


def township_regions(ledger: Ledger) -> list[dict]:
    """Every township and street (the only levels items are devolved to), with its county's name, by code."""
    regions = ledger.regions.dropna(subset=["code"]).drop_duplicates("code")
    names = dict(zip(regions["code"], regions["name"]))
    towns = regions[regions["level"].isin(list(LEVEL_ZH))].sort_values("code")
    return [{"code": code, "name": name, "level_zh": LEVEL_ZH[level], "county": names.get(parent, "")}
            for code, name, level, parent in zip(towns["code"], towns["name"], towns["level"], towns["parent_code"])]


def review_age_days(ledger: Ledger) -> dict[str, int]:
    """Active item id → days from its last evaluation (else its effective date) to as_of."""
    items = active_items(ledger)
    return {str(k): int(v) for k, v in zip(items["id"], m.review_age_days(items, ledger.as_of))}


def status_counts(ledger: Ledger) -> dict[str, int]:
    """How many catalogue items (one per id) are active (在用, the items items_devolved counts), revoked
    (已收回) and pending (未生效) at as_of."""
    items = ledger.devolved_items.dropna(subset=["id"]).drop_duplicates("id")
    states = m.item_status(items, ledger.as_of)
    return {state: int(states.eq(state).sum()) for state in ("active", "revoked", "pending")}


def item_townships(ledger: Ledger) -> dict[str, list[str]]:
    """Item id → the codes of the townships (streets) it is devolved to, sorted; items devolved nowhere are absent."""
    townships = ledger.devolutions.groupby("item_id")["region_code"].apply(lambda s: sorted(set(s.dropna())))
    return dict(townships.items())
