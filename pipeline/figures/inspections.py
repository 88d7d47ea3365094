"""体验官待核查: per township/street, what reform experience officers have left to check.

Two lists, both pure functions of the Ledger at its ``as_of``:

- **not yet inspected** (``uninspected``): issues done (resolved, evaluated or archived) that no
  inspection names; waiting since their ``resolved_on``, oldest resolution first (the ones waiting
  longest come first);
- **still disputed** (``disputed``): issues whose latest inspection (by ``inspected_on``, the
  inspection id breaking ties — as the issue search's ``disputed`` filter reads it) says 未解决;
  waiting since that inspection, longest first. An issue found 未解决 once and confirmed later is
  not listed (the ``issues_disputed`` metric still counts it: it counts issues ever found 未解决).

Waiting is counted in calendar days (自然日) from the date to ``as_of``. An issue belongs to the
township or street it lies in (itself or an ancestor in regions.csv); an issue placed above any
township (at a county) is in no township's list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger, text_in

TOWN_LEVELS = ("township", "street")
NOT_RESOLVED = "not_resolved"


def towns(ledger: Ledger) -> list[str]:
    """Township and street codes, in the order of regions.csv."""
    regions = ledger.regions.dropna(subset=["code"]).drop_duplicates("code")
    return regions.loc[regions["level"].isin(TOWN_LEVELS), "code"].tolist()


def town_of(ledger: Ledger) -> dict[str, str]:
    """Region code → the township/street it lies in (a township or street maps to itself)."""
    found: dict[str, str] = {}
    for town in towns(ledger):
        for code in ledger.region_codes(town):
            found.setdefault(code, town)
    return found


def latest_checks(ledger: Ledger) -> pd.DataFrame:
    """Per inspected issue id (the index): its latest inspection's ``verdict`` and ``inspected_on``."""
    rows = ledger.inspections[["id", "issue_id", "inspected_on", "verdict"]].dropna(subset=["issue_id"])
    rows = rows.sort_values(["inspected_on", "id"], kind="stable")
    return rows.drop_duplicates("issue_id", keep="last").set_index("issue_id")[["verdict", "inspected_on"]]


def waiting_days(since: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Calendar days from each date to ``as_of`` (missing where the date is)."""
    return (as_of - since).dt.days.astype("Int64")


def _placed(ledger: Ledger, issues: pd.DataFrame) -> pd.DataFrame:
    """``issues`` with ``town`` (their township/street), those in none left out."""
    town = issues["region_code"].map(town_of(ledger))
    return issues.assign(town=town.astype(object)).loc[town.notna()]


def uninspected(ledger: Ledger) -> pd.DataFrame:
    """Done issues no inspection names: ``id``, ``region_code``, ``town``, ``resolved_on``, ``waiting_days``,
    oldest resolution first (a missing date last), then by id. Made once a ledger: three sections read it
    (about a second each at a million issues)."""
    return ledger.remembered("uninspected", lambda: _uninspected(ledger))


def _uninspected(ledger: Ledger) -> pd.DataFrame:
    issues = ledger.issues
    inspected = ledger.inspections["issue_id"].dropna().unique()
    rows = issues.loc[issues["done"].to_numpy(dtype=bool) & ~text_in(issues["id"], inspected), ["id", "region_code", "resolved_on"]]
    rows = _placed(ledger, rows).sort_values(["resolved_on", "id"], kind="stable", na_position="last")
    rows = rows.assign(waiting_days=waiting_days(rows["resolved_on"], ledger.as_of))
    return rows[["id", "region_code", "town", "resolved_on", "waiting_days"]].reset_index(drop=True)


def disputed(ledger: Ledger) -> pd.DataFrame:
    """Issues whose latest inspection says 未解决: ``id``, ``region_code``, ``town``, ``resolved_on``,
    ``disputed_on`` (that inspection's date) and ``waiting_days`` since it, longest wait first, then by id.
    Made once a ledger: the officers' page and its documents both read it."""
    return ledger.remembered("disputed", lambda: _disputed(ledger))


def _disputed(ledger: Ledger) -> pd.DataFrame:
    latest = latest_checks(ledger)
    ids = latest.index[latest["verdict"].eq(NOT_RESOLVED).fillna(False).to_numpy(dtype=bool)]
    issues = ledger.issues
    rows = issues.loc[text_in(issues["id"], pd.Series(ids)), ["id", "region_code", "resolved_on"]].drop_duplicates("id")
    rows = _placed(ledger, rows)
    rows = rows.assign(disputed_on=latest["inspected_on"].reindex(rows["id"]).to_numpy())
    rows = rows.sort_values(["disputed_on", "id"], kind="stable", na_position="last")
    rows = rows.assign(waiting_days=waiting_days(rows["disputed_on"], ledger.as_of))
    return rows[["id", "region_code", "town", "resolved_on", "disputed_on", "waiting_days"]].reset_index(drop=True)


def checks_of(ledger: Ledger, ids: pd.Series) -> dict[str, list[dict]]:
    """Issue id → every inspection of it (``id``, ``inspected_on``, ``officer``, ``verdict``, ``note``), oldest first."""
    rows = ledger.inspections
    rows = rows.loc[text_in(rows["issue_id"], ids.dropna().unique()), ["id", "issue_id", "inspected_on", "officer",
                                                                   "verdict", "note"]]
    rows = rows.sort_values(["inspected_on", "id"], kind="stable")
    found: dict[str, list[dict]] = {}
    columns = {name: rows[name].tolist() for name in rows.columns}
    for values in zip(*columns.values()):
        record = dict(zip(columns, values))
        found.setdefault(record.pop("issue_id"), []).append(record)
    return found


def officers_by_town(ledger: Ledger) -> dict[str, list[str]]:
    """Township/street → the officer codes that inspected any issue in it, sorted."""
    rows = ledger.inspections[["officer", "issue_region_code"]].dropna()
    rows = rows.assign(town=rows["issue_region_code"].map(town_of(ledger)).astype(object)).dropna(subset=["town"])
    found: dict[str, set[str]] = {}
    for town, officer in zip(rows["town"], rows["officer"]):
        found.setdefault(town, set()).add(officer)
    return {town: sorted(codes) for town, codes in found.items()}


@dataclass(frozen=True)
class TownCounts:
    """A township's figures: done issues, of them inspected and not, still disputed, the longest waits."""

    resolved: int
    inspected: int
    uninspected: int
    disputed: int
    longest_uninspected: int | None  # days the oldest uninspected issue has waited
    longest_disputed: int | None


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def town_counts(ledger: Ledger, waiting: pd.DataFrame | None = None,
                still: pd.DataFrame | None = None) -> dict[str, TownCounts]:
    """Every township/street's counts (zeros included), in the order of regions.csv. Without ``waiting`` and
    ``still`` (``uninspected`` and ``disputed`` of the ledger), made once a ledger: the officers' page and its
    documents both read them."""
    if waiting is None and still is None:
        return dict(ledger.kept("town_counts", lambda: _town_counts(ledger, uninspected(ledger), disputed(ledger))))
    return _town_counts(ledger, uninspected(ledger) if waiting is None else waiting,
                        disputed(ledger) if still is None else still)


def _town_counts(ledger: Ledger, waiting: pd.DataFrame, still: pd.DataFrame) -> dict[str, TownCounts]:
    done = _placed(ledger, ledger.issues.loc[ledger.issues["done"], ["id", "region_code"]])
    resolved = done["town"].value_counts()
    open_ = waiting["town"].value_counts()
    disputes = still["town"].value_counts()
    longest_open = waiting.dropna(subset=["waiting_days"]).groupby("town")["waiting_days"].max()
    longest_disputed = still.dropna(subset=["waiting_days"]).groupby("town")["waiting_days"].max()
    out = {}
    for town in towns(ledger):
        total, left = int(resolved.get(town, 0)), int(open_.get(town, 0))
        out[town] = TownCounts(resolved=total, inspected=total - left, uninspected=left,
                               disputed=int(disputes.get(town, 0)), longest_uninspected=_int(longest_open.get(town)),
                               longest_disputed=_int(longest_disputed.get(town)))
    return out


def by_town(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Town → the positions of its rows in ``frame``, in the frame's order."""
    codes, uniques = pd.factorize(frame["town"])
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {town: order[a:b] for town, a, b in zip(uniques.tolist(), cuts[:-1], cuts[1:])}
