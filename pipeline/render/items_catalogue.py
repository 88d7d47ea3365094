"""赋权事项目录: one record per item, and the small JSON chunks the catalogue page loads on demand.

The records feed both the JSON chunks (for the filterable catalogue) and the
complete HTML tables of the department and township pages, so a reader
without JavaScript sees the same items.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.items import (CASE_METRICS, UNIT_ZH, item_townships, last_case_month, per_item, review_age_days,
                                   review_overdue_ids, saved_days, zero_use_ids)
from pipeline.figures import metrics
from pipeline.figures.metrics import SMALL_SAMPLE, Metric

API = "api/v1/items"
CHUNK_SIZE = 60  # items per JSON chunk: a department with more is split


def _date(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _text(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


STATUS_ZH = {"active": "在用", "revoked": "已收回", "pending": "未生效"}


def department_names(ledger: Ledger) -> dict[str, str]:
    departments = ledger.departments.dropna(subset=["code"]).drop_duplicates("code")
    return dict(zip(departments["code"], departments["name"]))


def item_records(ledger: Ledger, uptake: dict[str, dict[str, Metric]] | None = None) -> list[dict]:
    """Every catalogue item with its fields, labels and uptake (``per_item`` of the case metrics,
    computed here unless given), sorted by department then id."""
    items = ledger.devolved_items.dropna(subset=["id"]).drop_duplicates("id")
    types = ledger.labels("devolved_items", "power_type")
    names = department_names(ledger)
    uptake = per_item(ledger, CASE_METRICS) if uptake is None else uptake
    zero, overdue, last_used = set(zero_use_ids(ledger)), set(review_overdue_ids(ledger)), last_case_month(ledger)
    ages = review_age_days(ledger)
    townships = item_townships(ledger)
    statuses = metrics.item_status(items, ledger.as_of)  # active · revoked · pending, as metrics.active_items decides
    records = []
    for index, item in items.iterrows():
        item_id = item["id"]
        records.append({
            "id": item_id, "name": _text(item["name"]),
            "power_type": _text(item["power_type"]), "power_type_zh": types.get(item["power_type"], item["power_type"]),
            "department": _text(item["from_department"]),
            "department_zh": names.get(item["from_department"], item["from_department"]),
            "list_name": _text(item["list_name"]), "legal_basis": _text(item["legal_basis"]),
            "decision_ref": _text(item["decision_ref"]),
            "effective_on": _date(item["effective_on"]), "revoked_on": _date(item["revoked_on"]),
            "status": statuses[index],
            "statutory_limit": _int(item["statutory_limit"]), "promised_limit": _int(item["promised_limit"]),
            "limit_unit": _text(item["limit_unit"]), "limit_unit_zh": UNIT_ZH.get(item["limit_unit"]),
            "saved": saved_days(item), "last_reviewed_on": _date(item["last_reviewed_on"]),
            "townships": list(townships.get(item_id, [])),
            "cases": uptake[item_id]["cases_handled"].value,
            "within_promise": [uptake[item_id]["within_promise_rate"].numerator,
                               uptake[item_id]["within_promise_rate"].denominator],
            "zero_use": item_id in zero, "review_overdue": item_id in overdue,
            "last_case_month": last_used.get(item_id), "review_age_days": ages.get(item_id),
        })
    records.sort(key=lambda r: (r["department"] or "", r["id"]))
    return records


def chunk_records(records: list[dict]) -> list[tuple[str, list[dict]]]:
    """(file name, records): one chunk per department, split every CHUNK_SIZE items."""
    by_department: dict[str, list[dict]] = {}
    for record in records:
        by_department.setdefault(record["department"] or "", []).append(record)
    chunks = []
    for department in sorted(by_department):
        part = by_department[department]
        for number, start in enumerate(range(0, len(part), CHUNK_SIZE), 1):
            chunks.append((f"chunks/{department}-{number}.json", part[start:start + CHUNK_SIZE]))
    return chunks


def catalogue_index(ledger: Ledger, records: list[dict], chunks: list[tuple[str, list[dict]]],
                    townships: list[dict]) -> dict:
    """What the catalogue page loads first: labels, filter options with counts, and where the chunks are."""
    types = ledger.labels("devolved_items", "power_type")
    type_counts = Counter(r["power_type"] for r in records)
    department_counts = Counter(r["department"] for r in records)
    list_counts = Counter(r["list_name"] for r in records)
    township_counts = Counter(code for r in records for code in r["townships"])
    names = department_names(ledger)
    return {
        "as_of": ledger.as_of.strftime("%Y-%m-%d"),
        "items": len(records),
        "small_sample": SMALL_SAMPLE,
        "power_types": [{"code": code, "label": label, "items": type_counts[code]}
                        for code, label in types.items() if type_counts[code]],
        "departments": [{"code": code, "name": names.get(code, code), "items": department_counts[code]}
                        for code in sorted(department_counts)],
        "lists": [{"name": name, "items": list_counts[name]} for name in sorted(list_counts)],
        "townships": [{"code": t["code"], "name": t["name"], "county": t["county"], "items": township_counts[t["code"]]}
                      for t in townships if township_counts[t["code"]]],
        "status": STATUS_ZH,
        "units": UNIT_ZH,
        "chunks": [{"file": file, "department": part[0]["department"], "items": len(part),
                    "power_types": sorted({r["power_type"] for r in part}),
                    "lists": sorted({r["list_name"] for r in part}),
                    "townships": sorted({code for r in part for code in r["townships"]})}
                   for file, part in chunks],
    }


def to_json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def api_files(ledger: Ledger, records: list[dict], townships: list[dict]) -> dict[str, str]:
    chunks = chunk_records(records)
    files = {f"{API}/{file}": to_json({"items": part}) for file, part in chunks}
    files[f"{API}/index.json"] = to_json(catalogue_index(ledger, records, chunks, townships))
    return files
