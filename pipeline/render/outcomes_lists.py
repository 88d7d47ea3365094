"""The two record lists of the outcome pages: 差评 with their rectification, and disputed issues.

One row per record (a 差评) or per issue (a disputed issue), with the issue's
title, place and lead department, so an officer can go and look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures import metrics
from pipeline.figures.stats import GRADES

# A list longer than this is cut (the rest is in the downloadable CSV): pages stay small at any scale.
LIST_LIMIT = 150  # rows per list page: keeps every page under 200 KB at a million issues; the CSV has all
RATING_LABELS = {g.rating: g.label for g in GRADES}


def places(ledger: Ledger) -> dict[str, str]:
    """Region code → where it is: its name after those of the regions above it, without the city."""
    regions = ledger.regions.dropna(subset=["code"]).drop_duplicates("code")
    parent = dict(zip(regions["code"], regions["parent_code"]))
    shown = {c: n for c, n, level in zip(regions["code"], regions["name"], regions["level"]) if level != "city"}
    out = {}
    for code in regions["code"]:
        names, seen, current = [], set(), code
        while isinstance(current, str) and current in parent and current not in seen:  # a cycle is reported elsewhere
            seen.add(current)
            if current in shown:
                names.append(shown[current])
            current = parent[current]
        out[code] = " ".join(reversed(names)) or code
    return out


def issue_titles(ledger: Ledger, ids: pd.Series) -> dict[str, object]:
    """Issue id → title of its first row, for the ``ids`` listed only (not a million-row index)."""
    issues = ledger.issues
    wanted = issues.loc[issues["id"].isin(ids.dropna().unique()), ["id", "title"]].drop_duplicates("id")
    return dict(zip(wanted["id"].tolist(), wanted["title"].tolist()))


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, like ``to_dict("records")``, built column by column."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _department_names(ledger: Ledger) -> dict[str, str]:
    return dict(zip(ledger.departments["code"], ledger.departments["name"]))


def _text(value: object, default: str = "—") -> str:
    # Missing text cells are NaN or None depending on the pandas string dtype.
    return value if isinstance(value, str) and value else default


def _date(value: object) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


# --- 差评 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class NegativeRow:
    evaluation_id: str
    issue_id: str
    title: str
    place: str
    department: str
    rating: int
    rating_label: str
    evaluator: str
    method: str
    evaluated_on: pd.Timestamp | None
    rectified_on: pd.Timestamp | None
    days_to_rectify: int | None  # calendar days from the rating to the completed rectification
    days_waiting: int | None  # not rectified: calendar days from the rating to as_of


def negative_rows(ledger: Ledger, limit: int | None = None) -> list[NegativeRow]:
    """Every 差评, or the first ``limit``: not yet rectified first (longest waiting first), then rectified
    (latest rating first). The order is found on two columns; only the rows listed are written out (a page
    lists 150 of about 35,000 at a million issues)."""
    e = ledger.evaluations
    negative = e[metrics.is_negative(e)]  # the 差评 negative_count counts
    chosen = negative.iloc[negative_order(negative)[:limit]]
    titles = issue_titles(ledger, chosen["issue_id"])
    departments = _department_names(ledger)
    methods = ledger.labels("evaluations", "method")
    where = places(ledger)
    rows = []
    for rec in _records(chosen):
        issue_id = rec["issue_id"]
        rated, fixed = _date(rec["evaluated_on"]), _date(rec["rectified_on"])
        dept = rec["issue_lead_department"]
        rows.append(NegativeRow(
            evaluation_id=rec["id"], issue_id=issue_id,
            title=_text(titles[issue_id]) if issue_id in titles else "—",
            place=where.get(rec["issue_region_code"], "—"),
            department=departments.get(dept, _text(dept)),
            rating=int(rec["rating"]), rating_label=RATING_LABELS[int(rec["rating"])],
            evaluator=_text(rec["evaluator"]), method=methods.get(rec["method"], _text(rec["method"])),
            evaluated_on=rated, rectified_on=fixed,
            days_to_rectify=(fixed - rated).days if fixed is not None and rated is not None else None,
            days_waiting=(ledger.as_of - rated).days if fixed is None and rated is not None else None,
        ))
    return rows


def negative_order(negative: pd.DataFrame) -> list[int]:
    """Positions of the 差评 rows in ``negative_rows``' order: those without ``rectified_on`` by (rating day,
    id), a missing day first; then the others by the same key, latest first."""
    # The ledger's dates as integers in their own unit: NaT is the smallest, where a missing day sorts.
    days = negative["evaluated_on"].to_numpy().view("i8").tolist()
    keys = list(zip(days, negative["id"].tolist()))
    waiting = negative["rectified_on"].isna().to_numpy()
    return (sorted(np.flatnonzero(waiting).tolist(), key=keys.__getitem__)
            + sorted(np.flatnonzero(~waiting).tolist(), key=keys.__getitem__, reverse=True))


# --- disputed issues -----------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    inspection_id: str
    inspected_on: pd.Timestamp | None
    officer: str
    verdict: str
    verdict_label: str
    note: str


@dataclass(frozen=True)
class DisputedRow:
    issue_id: str
    title: str
    place: str
    department: str
    resolved_on: pd.Timestamp | None
    checks: list[Check]  # every inspection of the issue, oldest first

    @property
    def latest_dispute(self) -> pd.Timestamp | None:
        dates = [c.inspected_on for c in self.checks if c.verdict == "not_resolved" and c.inspected_on is not None]
        return max(dates) if dates else None


def disputed_rows(ledger: Ledger) -> list[DisputedRow]:
    """Each issue an officer found not resolved (the issues ``issues_disputed`` counts), latest dispute first."""
    i = ledger.inspections
    disputed_ids = i.loc[metrics.is_dispute(i), "issue_id"].dropna().unique()
    titles = issue_titles(ledger, pd.Series(disputed_ids))
    departments = _department_names(ledger)
    verdicts = ledger.labels("inspections", "verdict")
    where = places(ledger)
    # The disputed issues' inspections by issue, each issue's in file order (the rows are sorted below).
    # One pass over plain rows: a pandas group per issue costs milliseconds, and there are thousands.
    checked = i[i["issue_id"].isin(disputed_ids)]
    groups: dict[str, list[dict]] = {}
    for rec in _records(checked[["id", "issue_id", "inspected_on", "officer", "verdict", "note",
                                 "issue_region_code", "issue_lead_department", "issue_resolved_on"]]):
        groups.setdefault(rec["issue_id"], []).append(rec)
    rows = []
    for issue_id, group in groups.items():
        checks = sorted((Check(rec["id"], _date(rec["inspected_on"]), _text(rec["officer"]), rec["verdict"],
                               verdicts.get(rec["verdict"], "—"), _text(rec["note"], ""))
                         for rec in group),
                        key=lambda c: (c.inspected_on or pd.Timestamp.min, c.inspection_id))
        first = group[0]
        dept = first["issue_lead_department"]
        rows.append(DisputedRow(issue_id, _text(titles[issue_id]) if issue_id in titles else "—",
                                where.get(first["issue_region_code"], "—"), departments.get(dept, _text(dept)),
                                _date(first["issue_resolved_on"]), checks))
    return sorted(rows, key=lambda r: (-(r.latest_dispute or pd.Timestamp.min).value, r.issue_id))
