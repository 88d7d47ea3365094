"""The issue lookup's data: one JSON record per issue, in shards small enough for a phone.

The lookup page ``issue/?id=…`` is one static page; its script hashes the id
(FNV-1a 32-bit over the UTF-8 bytes) modulo the shard count and fetches
``api/v1/issues/<n>.json``. The shard count is a power of two chosen from the
data's size, so it grows with the number of issues and every shard stays under
``SHARD_LIMIT`` bytes. Records carry Chinese names, not codes to resolve, so a
shard is all the page needs.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from pipeline.frames import Ledger
from pipeline.render.issues_records import Names, iso, timing, timing_text

SHARD_TARGET = 32 * 1024  # average shard size to aim for
SHARD_LIMIT = 50 * 1024  # no shard above this (unless a single record is larger)
MAX_SHARDS = 1 << 16
API_DIR = "api/v1/issues"


def fnv1a(text: str) -> int:
    """FNV-1a 32-bit; issue-lookup.js computes the same."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def text(value: object) -> str | None:
    """A cell as JSON text: missing cells (NaN/None) become null, never NaN."""
    return None if value is None or pd.isna(value) else str(value)


def _grouped(frame: pd.DataFrame, sort: list[str]) -> dict[str, list]:
    """issue_id → its rows in ``sort`` order (one pass; a groupby per issue is far slower)."""
    out: dict[str, list] = {}
    for row in frame.sort_values(sort, kind="stable").itertuples(index=False):
        out.setdefault(row.issue_id, []).append(row)
    return out


def issue_records(ledger: Ledger, names: Names) -> dict[str, dict]:
    """Issue id → the record the lookup page shows."""
    issues = ledger.issues
    labels = {f: ledger.labels("issues", f) for f in ("mechanism", "category", "tier", "status", "request_type",
                                                      "resolved_at_level")}
    hosts = ledger.labels("meetings", "host_level")
    methods = ledger.labels("evaluations", "method")
    ratings = ledger.labels("evaluations", "rating")
    verdicts = ledger.labels("inspections", "verdict")
    meetings = {row.id: row for row in ledger.meetings.itertuples(index=False)}
    evaluations = _grouped(ledger.evaluations, ["evaluated_on", "id"])
    inspections = _grouped(ledger.inspections, ["inspected_on", "id"])
    when = timing(issues, ledger.as_of)

    def label(field: str, code: object) -> str | None:
        return labels[field].get(code, code) if isinstance(code, str) else None

    records = {}
    for row, state, days in zip(issues.itertuples(index=False), when["state"], when["days"]):
        meeting = meetings.get(row.meeting_id) if isinstance(row.meeting_id, str) else None
        records[row.id] = {
            "id": row.id, "title": text(row.title), "summary": text(row.summary),
            "mechanism": label("mechanism", row.mechanism), "request_type": label("request_type", row.request_type),
            "meeting": None if meeting is None else {"id": meeting.id, "held_on": iso(meeting.held_on),
                                                     "host_level": hosts.get(meeting.host_level, meeting.host_level),
                                                     "place": names.place(meeting.region_code)},
            "place": [names.regions.get(c, c) for c in names.chain(row.region_code)], "region_code": row.region_code,
            "category": label("category", row.category), "tier": label("tier", row.tier),
            "lead": names.department(row.lead_department), "co": names.department_list(row.co_departments),
            "status": label("status", row.status),
            "resolved_at_level": label("resolved_at_level", row.resolved_at_level),
            "raised_on": iso(row.raised_on), "assigned_on": iso(row.assigned_on), "due": iso(row.due),
            "due_given": iso(row.due_on) is not None, "due_provisional": bool(row.due_provisional),
            "resolved_on": iso(row.resolved_on), "archived_on": iso(row.archived_on),
            "timing": {"state": state, "days": int(days), "text": timing_text(state, int(days))},
            "escalated": bool(row.escalated),
            "evaluations": [{"id": e.id, "evaluator": text(e.evaluator), "evaluated_on": iso(e.evaluated_on),
                             "method": methods.get(e.method, text(e.method)),
                             "rating": None if pd.isna(e.rating) else int(e.rating),
                             "rating_label": None if pd.isna(e.rating) else ratings.get(int(e.rating)),
                             "rectified_on": iso(e.rectified_on)} for e in evaluations.get(row.id, [])],
            "inspections": [{"id": i.id, "officer": text(i.officer), "inspected_on": iso(i.inspected_on),
                             "verdict": verdicts.get(i.verdict, text(i.verdict)), "note": text(i.note)}
                            for i in inspections.get(row.id, [])],
        }
    return records


def _dump(payload: object) -> str:
    # allow_nan=False: a NaN would make the whole shard unreadable by JSON.parse.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def shard_count(sizes: dict[str, int]) -> int:
    """The smallest power of two that keeps every shard under SHARD_LIMIT (aiming at SHARD_TARGET)."""
    count = 1 << max(0, math.ceil(math.log2(max(1, sum(sizes.values()) / SHARD_TARGET))))
    hashes = {key: fnv1a(key) for key in sizes}
    while count < MAX_SHARDS:
        totals: dict[int, int] = {}
        for key, size in sizes.items():
            totals[hashes[key] % count] = totals.get(hashes[key] % count, 0) + size
        if max(totals.values(), default=0) <= SHARD_LIMIT:
            break
        count *= 2
    return count


def shard_files(records: dict[str, dict], as_of: str) -> tuple[int, dict[str, str]]:
    """(shard count, {path: JSON}) including ``index.json``, which says how to find a record."""
    sizes = {key: len(_dump(record).encode("utf-8")) + len(key) + 4 for key, record in records.items()}
    count = shard_count(sizes)
    shards: dict[int, dict[str, dict]] = {n: {} for n in range(count)}
    for key in sorted(records):
        shards[fnv1a(key) % count][key] = records[key]
    files = {f"{API_DIR}/{n}.json": _dump({"as_of": as_of, "issues": part}) for n, part in shards.items()}
    files[f"{API_DIR}/index.json"] = json.dumps(
        {"as_of": as_of, "hash": "fnv1a-32 over the UTF-8 bytes of the id, modulo shards",
         "path": f"{API_DIR}/<hash % shards>.json", "shards": count, "issues": len(records)},
        ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    return count, files
