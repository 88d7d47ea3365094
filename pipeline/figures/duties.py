"""履职事项清单: each township's (street's) three duty lists, and a county's townships side by side.

Pure functions over the Ledger, as data standard version 2 defines ``duty_items``:
an item is *active* at the snapshot when ``effective_on`` ≤ as_of and it was not
removed on or before it (``removed_on`` empty or later than as_of) — the
``duty_items_active`` metric's rule. The lists are ``basic`` 基本履职事项,
``cooperative`` 配合履职事项 (``department`` = the lead department) and
``returned_up`` 上级部门收回事项 (``department`` = the department that took it back).
An item may rest on a devolved power (``devolved_item_id``).
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.ledger import Ledger

LIST_TYPES = ("basic", "cooperative", "returned_up")
SHARED_LISTS = ("cooperative", "returned_up")  # the lists whose items go to a department
DUTY_COLUMNS = ["id", "region_code", "name", "list_type", "department", "devolved_item_id", "source_ref",
                "effective_on", "removed_on"]


def duty_items(ledger: Ledger) -> pd.DataFrame:
    """Every duty item row (none for a version-1 package)."""
    frames = ledger.__dict__.get("frames", {})
    if "duty_items" not in frames:
        return pd.DataFrame(columns=DUTY_COLUMNS)
    return frames["duty_items"][DUTY_COLUMNS]


def active_duty_items(ledger: Ledger) -> pd.DataFrame:
    """The items in force at as_of, in the file's order."""
    items = duty_items(ledger)
    started = items["effective_on"].notna() & (items["effective_on"] <= ledger.as_of)
    removed = items["removed_on"].notna() & (items["removed_on"] <= ledger.as_of)
    return items[started & ~removed]


def list_labels(ledger: Ledger) -> dict[str, str]:
    if "duty_items" not in ledger.package.resource_names:
        return {}
    return ledger.labels("duty_items", "list_type")


def _names(frame: pd.DataFrame, key: str = "code") -> dict[str, str]:
    frame = frame.dropna(subset=[key])
    return dict(zip(frame[key], frame["name"]))


def town_duties(ledger: Ledger, code: str) -> dict:
    """One township's (street's) active duty lists.

    ``lists``: each list type in the standard's order with its label, count and entries (its items, file order);
    ``devolved``: the items resting on a devolved power, with that power's id, name and department;
    ``departments``: for 配合 and 收回, each department with its number of items (most first, then code);
    ``total`` and ``shared`` (items of the two department lists)."""
    labels = list_labels(ledger)
    departments = _names(ledger.departments)
    powers = ledger.devolved_items.dropna(subset=["id"]).drop_duplicates("id", keep="last").set_index("id")
    items = active_duty_items(ledger)
    items = items[items["region_code"].eq(code)]

    def department(value: object) -> dict | None:
        return {"code": value, "name": departments.get(value, value)} if isinstance(value, str) else None

    def power(value: object) -> dict | None:
        if not isinstance(value, str):
            return None
        known = value in powers.index
        return {"id": value, "name": powers.at[value, "name"] if known else None,
                "department": powers.at[value, "from_department"] if known else None}

    rows = [{"id": r.id, "name": r.name, "list_type": r.list_type, "list": labels.get(r.list_type, r.list_type),
             "department": department(r.department), "devolved": power(r.devolved_item_id),
             "source_ref": r.source_ref, "effective_on": r.effective_on.strftime("%Y-%m-%d")}
            for r in items.itertuples(index=False)]
    lists = [{"type": t, "label": labels.get(t, t), "entries": [r for r in rows if r["list_type"] == t]}
             for t in LIST_TYPES]
    for entry in lists:
        entry["count"] = len(entry["entries"])
    by_department = {}
    for t in SHARED_LISTS:
        counts = items.loc[items["list_type"].eq(t) & items["department"].notna(), "department"].value_counts()
        ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        by_department[t] = [{"code": c, "name": departments.get(c, c), "count": int(n)} for c, n in ordered]
    return {"lists": lists, "devolved": [r for r in rows if r["devolved"]], "departments": by_department,
            "total": len(rows), "shared": sum(e["count"] for e in lists if e["type"] in SHARED_LISTS)}


def county_duties(ledger: Ledger, towns: list[str]) -> dict:
    """The townships' (streets') list counts side by side, in ``towns`` order, and their sums.

    Each row: ``code``, ``counts`` (list type → active items), ``total``, ``devolved`` (items resting on a
    devolved power)."""
    items = active_duty_items(ledger)
    items = items[items["region_code"].isin(towns)]
    counts = items.groupby(["region_code", "list_type"]).size()
    devolved = items[items["devolved_item_id"].notna()].groupby("region_code").size()
    rows = []
    for town in towns:
        per = {t: int(counts.get((town, t), 0)) for t in LIST_TYPES}
        rows.append({"code": town, "counts": per, "total": sum(per.values()), "devolved": int(devolved.get(town, 0))})
    total = {t: sum(r["counts"][t] for r in rows) for t in LIST_TYPES}
    return {"labels": list_labels(ledger), "rows": rows,
            "total": {"counts": total, "total": sum(total.values()), "devolved": sum(r["devolved"] for r in rows)}}
