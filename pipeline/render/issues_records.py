"""One issue as the public reads it: names instead of codes, and where it stands against its deadline.

Timing is counted at as_of, never at build time, by ``pipeline.figures.timing``
(the same per-issue tests as the ``on_time_rate`` and ``overdue_open`` metrics);
this module words it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import is_open
from pipeline.figures.timing import timing

TIMING_ZH = {
    "on_time": "按期办结",
    "late": "超期 {days} 天办结",
    "overdue": "已超期 {days} 天",
    "open": "办理中，未超期",
    "unassigned": "尚未交办，未起算期限",
    "withdrawn": "已撤回",
    "no_due": "无办结期限",
}


def timing_text(state: str, days: int, unit: str = "天") -> str:
    """The state in words; ``unit`` names the days ("个自然日" on the lookup page, which counts no other days)."""
    return TIMING_ZH[state].replace(" 天", f" {unit}").format(days=days)


@dataclass(frozen=True)
class Names:
    """Code → Chinese name look-ups shared by every issues page and the lookup records."""

    regions: dict[str, str]
    parents: dict[str, str]
    levels: dict[str, str]
    departments: dict[str, str]

    @classmethod
    def of(cls, ledger: Ledger) -> "Names":
        regions = ledger.regions.dropna(subset=["code"])
        parents = {c: p for c, p in zip(regions["code"], regions["parent_code"]) if isinstance(p, str)}
        departments = ledger.departments.dropna(subset=["code"])
        return cls(regions=dict(zip(regions["code"], regions["name"])), parents=parents,
                   levels=dict(zip(regions["code"], regions["level"])),
                   departments=dict(zip(departments["code"], departments["name"])))

    def chain(self, code: str) -> list[str]:
        """The region and its parents, top first."""
        out, seen = [], set()
        while isinstance(code, str) and code not in seen:
            seen.add(code)
            out.append(code)
            code = self.parents.get(code)
        return out[::-1]

    def place(self, code: str, below: str | None = None) -> str:
        """The region's name with its parents below ``below`` (e.g. 甲镇 甲一村 below the county)."""
        chain = self.chain(code)
        if below in chain:
            chain = chain[chain.index(below) + 1:]
        return " ".join(self.regions.get(c, c) for c in chain) or self.regions.get(code, code)

    def page_region(self, code: object, levels: tuple[str, ...]) -> str | None:
        """The nearest of the region and its parents whose level has a page (a village → its township)."""
        for c in reversed(self.chain(code) if isinstance(code, str) else []):
            if self.levels.get(c) in levels:
                return c
        return None

    def department(self, code: object) -> str:
        return self.departments.get(code, str(code)) if isinstance(code, str) else "—"

    def department_list(self, codes: object) -> list[str]:
        if not isinstance(codes, str):
            return []
        return [self.department(c) for c in codes.split(";") if c]


def iso(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def open_issue_rows(ledger: Ledger, issues: pd.DataFrame, names: Names, *, below: str | None = None,
                    overdue_only: bool = False, limit: int | None = None) -> list[dict]:
    """Open issues (neither done nor withdrawn), most overdue first, for a page's bounded list."""
    ordered = open_issues_in_order(ledger, issues, overdue_only=overdue_only)
    return listed_open_issues(ledger, issues, ordered if limit is None else ordered.head(limit), names, below=below)


def open_issues_in_order(ledger: Ledger, issues: pd.DataFrame, *, overdue_only: bool = False) -> pd.DataFrame:
    """The open issues' ids, due dates and timing (``t_state``, ``t_days``), in ``open_issue_rows``' order:
    most overdue first, then the nearest due date, then unassigned issues; id breaks ties. Only the few
    columns the order needs are read, so that a caller can choose the rows to list before any text is."""
    open_ = issues.loc[is_open(issues), ["id", "done", "withdrawn", "due", "resolved_on"]]
    when = timing(open_, ledger.as_of)
    open_ = open_.assign(t_state=when["state"], t_days=when["days"])
    if overdue_only:
        open_ = open_[open_["t_state"] == "overdue"]
    open_ = open_.assign(t_rank=open_["t_state"].map({"overdue": 0, "open": 1}).fillna(2), t_neg=-open_["t_days"])
    return open_.sort_values(["t_rank", "t_neg", "due", "id"], kind="stable", na_position="last")


def listed_open_issues(ledger: Ledger, issues: pd.DataFrame, open_: pd.DataFrame, names: Names, *,
                       below: str | None = None) -> list[dict]:
    """The rows of ``open_`` (rows of ``open_issues_in_order``, in its order) as ``open_issue_rows`` lists them."""
    listed = issues.loc[open_.index, ["title", "region_code", "lead_department", "tier", "escalated"]]
    tiers = ledger.labels("issues", "tier")
    return [{"id": row.id, "title": more.title, "place": names.place(more.region_code, below),
             "region_code": more.region_code, "lead": names.department(more.lead_department),
             "lead_code": more.lead_department,
             "tier": tiers.get(more.tier, more.tier), "due": iso(row.due), "state": row.t_state,
             "days": int(row.t_days), "timing": timing_text(row.t_state, int(row.t_days)),
             "escalated": bool(more.escalated)}
            for row, more in zip(open_.itertuples(index=False), listed.itertuples(index=False))]


def meeting_rows(ledger: Ledger, meetings: pd.DataFrame, names: Names, *, below: str | None = None,
                 limit: int | None = None) -> list[dict]:
    """Meetings newest first (id breaks ties), with names instead of codes."""
    mechanisms = ledger.labels("meetings", "mechanism")
    hosts = ledger.labels("meetings", "host_level")
    ordered = meetings.sort_values(["held_on", "id"], ascending=[False, True], kind="stable")
    if limit is not None:
        ordered = ordered.head(limit)
    return [{"id": row.id, "held_on": iso(row.held_on), "mechanism": mechanisms.get(row.mechanism, row.mechanism),
             "place": names.place(row.region_code, below), "host": hosts.get(row.host_level, row.host_level or "—"),
             "departments": names.department_list(row.departments),
             "persons": None if pd.isna(row.persons_received) else int(row.persons_received)}
            for row in ordered.itertuples(index=False)]
