"""基层减负 views: the monthly load series, the demanders ranking and the cut list.

Pure functions over frames with the data standard's columns ("Burden reduction"):
``burden_reports`` (region_code, month, documents_received, meetings_attended, report_forms, …)
and ``burden_cuts`` (id, region_code, kind, name, cut_on, department, source_ref). Labels (the
kinds' Chinese names, departments' and regions' names) come in as plain dicts, so each view can
be tested with a few hand-made rows. The five published burden metrics are computed in
``pipeline.figures.burden``; these views only arrange the rows behind them for the pages:

- ``monthly_series``: documents, meetings and report forms month by month, summed over the
  reports given (all of them: the jurisdiction; one township's: its own trend). Every month from
  the first report to the month of as_of is listed; a month without any report is listed with
  no values (``None``), never as zero, because nothing was reported.
- ``demanders``: departments ranked by how many cuts name them as the demander. It is what the
  data shows — the cuts attributed to a department — not a measure of the burden it imposes.
- ``cut_list``: every cut made on or before as_of, newest first, with kind and department in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

LOAD_COLUMNS = ("documents_received", "meetings_attended", "report_forms")


@dataclass(frozen=True)
class MonthLoad:
    """One month's load, summed over the reports of that month (None: no report for the month)."""

    month: str  # YYYY-MM
    documents: int | None
    meetings: int | None
    report_forms: int | None
    reports: int  # how many township-month reports the sums are over

    @property
    def total(self) -> int | None:
        return None if self.documents is None else self.documents + self.meetings + self.report_forms


def month_of(as_of: pd.Timestamp) -> str:
    return f"{as_of.year:04d}-{as_of.month:02d}"


def month_span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM), both included; empty when first is after last."""
    if first > last:
        return []
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _valid(reports: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Reports with a month on or before the month of as_of (a later one is a validation finding)."""
    month = reports["month"]
    return reports[month.notna() & (month <= month_of(as_of))]


def monthly_series(reports: pd.DataFrame, as_of: pd.Timestamp, *, first: str | None = None) -> list[MonthLoad]:
    """The load month by month, oldest first, from ``first`` (default: the earliest report) to as_of's month.

    A missing count in a report counts as 0 in the sum (the standard requires all three)."""
    reports = _valid(reports, as_of)
    if reports.empty and first is None:
        return []
    start = first or str(reports["month"].min())
    span = month_span(start, month_of(as_of))
    counts = reports[["month", *LOAD_COLUMNS]].astype({c: "Int64" for c in LOAD_COLUMNS}).fillna(
        {c: 0 for c in LOAD_COLUMNS})
    sums = counts.groupby("month").agg(documents=("documents_received", "sum"),
                                       meetings=("meetings_attended", "sum"),
                                       report_forms=("report_forms", "sum"),
                                       reports=("documents_received", "size"))
    series = []
    for month in span:
        if month in sums.index:
            row = sums.loc[month]
            series.append(MonthLoad(month, int(row["documents"]), int(row["meetings"]), int(row["report_forms"]),
                                    int(row["reports"])))
        else:
            series.append(MonthLoad(month, None, None, None, 0))
    return series


def town_series(reports: pd.DataFrame, as_of: pd.Timestamp, towns: list[str]) -> dict[str, list[MonthLoad]]:
    """Each township's (street's) own monthly series, over the jurisdiction's span of months (from the
    earliest report of any township), so every township's chart covers the same months."""
    valid = _valid(reports, as_of)
    if valid.empty:
        return {code: [] for code in towns}
    first = str(valid["month"].min())
    groups = {code: frame for code, frame in valid.groupby("region_code", sort=False)}
    empty = valid.iloc[0:0]
    return {code: monthly_series(groups.get(code, empty), as_of, first=first) for code in towns}


@dataclass(frozen=True)
class Demander:
    rank: int  # 1, 1, 3: departments with the same count share a rank
    code: str
    name: str
    cuts: int
    by_kind: dict[str, int]  # kind label → cuts of that kind, most first


@dataclass(frozen=True)
class Demanders:
    rows: list[Demander]
    attributed: int  # cuts naming a department
    unattributed: int  # cuts naming none (counted, never guessed)


def _kind_order(kinds: dict[str, str], kind: str) -> tuple[int, str]:
    """A kind's place in the standard's order (unknown kinds after, by code)."""
    order = list(kinds)
    return (order.index(kind) if kind in order else len(order), kind)


def made(cuts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The cuts made on or before as_of (the ``burden_cuts_count`` rule)."""
    return cuts[cuts["cut_on"].notna() & (cuts["cut_on"] <= as_of)]


def demanders(cuts: pd.DataFrame, as_of: pd.Timestamp, departments: dict[str, str],
              kinds: dict[str, str]) -> Demanders:
    """Departments ranked by the number of cuts that name them as the demander (most first, then by code)."""
    done = made(cuts, as_of)
    named = done[done["department"].notna()]
    counts = named.groupby("department").size()
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    rows, rank, previous = [], 0, None
    for position, (code, n) in enumerate(ordered, start=1):
        if n != previous:
            rank, previous = position, n
        per_kind = named.loc[named["department"].eq(code), "kind"].value_counts()
        by_kind = sorted(((str(k), int(v)) for k, v in per_kind.items()), key=lambda kv: (-kv[1], _kind_order(kinds, kv[0])))
        rows.append(Demander(rank, str(code), departments.get(code, str(code)), int(n),
                             {kinds.get(k, k): v for k, v in by_kind}))
    return Demanders(rows, attributed=len(named), unattributed=len(done) - len(named))


@dataclass(frozen=True)
class Cut:
    id: str
    name: str
    kind: str
    kind_label: str
    cut_on: str  # YYYY-MM-DD
    department: str | None
    department_label: str  # "未注明" when the cut names no department
    region_code: str | None
    region_label: str  # "全域" when the cut covers the whole jurisdiction
    source_ref: str


NO_DEPARTMENT = "未注明"
NONE_VALUE = "-"  # the department filter's value for cuts naming none (no department code is "-")
WHOLE = "全域"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def cut_list(cuts: pd.DataFrame, as_of: pd.Timestamp, kinds: dict[str, str], departments: dict[str, str],
             regions: dict[str, str]) -> list[Cut]:
    """Every cut made on or before as_of, newest first (same day: by id)."""
    done = made(cuts, as_of).sort_values("id", kind="stable").sort_values("cut_on", ascending=False, kind="stable")
    rows = []
    for row in done.itertuples(index=False):
        department, region = _text(row.department), _text(row.region_code)
        rows.append(Cut(id=str(row.id), name=str(row.name), kind=str(row.kind), kind_label=kinds.get(row.kind, str(row.kind)),
                        cut_on=pd.Timestamp(row.cut_on).strftime("%Y-%m-%d"), department=department,
                        department_label=departments.get(department, department) if department else NO_DEPARTMENT,
                        region_code=region, region_label=regions.get(region, region) if region else WHOLE,
                        source_ref=str(row.source_ref) if _text(row.source_ref) else ""))
    return rows


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int


def filter_options(rows: list[Cut], kinds: dict[str, str]) -> tuple[list[Option], list[Option]]:
    """The cut list's filters: each kind (in the standard's order) and each department (most cuts first,
    then by name; 未注明 last) that the list holds, with how many cuts it has."""
    kind_counts: dict[str, int] = {}
    dept_counts: dict[str, tuple[str, int]] = {}
    for row in rows:
        kind_counts[row.kind] = kind_counts.get(row.kind, 0) + 1
        key = row.department or ""
        label, n = dept_counts.get(key, (row.department_label, 0))
        dept_counts[key] = (label, n + 1)
    kind_options = [Option(k, kinds.get(k, k), n) for k, n in
                    sorted(kind_counts.items(), key=lambda kv: _kind_order(kinds, kv[0]))]
    dept_options = [Option(k or NONE_VALUE, label, n) for k, (label, n) in
                    sorted(dept_counts.items(), key=lambda kv: (kv[0] == "", -kv[1][1], kv[1][0], kv[0]))]
    return kind_options, dept_options


def latest_reported(series: list[MonthLoad]) -> MonthLoad | None:
    """The newest month of a series that has reports (None when none has)."""
    return next((m for m in reversed(series) if m.reports), None)


def uneven_coverage(series: list[MonthLoad]) -> bool:
    """Whether the months with reports differ in how many reports they sum (their totals are then not
    comparable month to month: a township that starts or stops reporting moves the sum)."""
    return len({m.reports for m in series if m.reports}) > 1
