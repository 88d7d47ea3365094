"""The issue lookup's data: one JSON record per issue, in shards small enough for a phone.

The lookup page ``issue/?id=…`` is one static page; its script hashes the id
(FNV-1a 32-bit over the UTF-8 bytes) modulo the shard count and fetches
``api/v1/issues/<n>.json``. The shard count is a power of two chosen from the
data's size, so it grows with the number of issues and every shard stays under
``SHARD_LIMIT`` bytes. Records carry Chinese names, not codes to resolve, so a
shard is all the page needs.

Scale: a build may have a million issues. Records are built column by column
(``issues_json``): each date, label and place is formatted once per distinct
value, a record's size is known before it is built, and shards are built a few
thousand records at a time as compact UTF-8 bytes — never a dict per issue.
"""

from __future__ import annotations

import json
import math
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.ledger import Ledger
from pipeline.figures.events import issue_events
from pipeline.render.issues_json import Column, JsonRecords, arrow_text, choose, dump, group_lists, offsets, slices
from pipeline.render.issues_pages import PAGE_LEVELS
from pipeline.render.issues_records import Names, iso, timing, timing_text

SHARD_TARGET = 32 * 1024  # average shard size to aim for
SHARD_LIMIT = 50 * 1024  # no shard above this (unless a single record is larger)
MAX_SHARDS = 1 << 16
API_DIR = "api/v1/issues"
CHUNK_ROWS = 20_000  # records built at once while writing shards (bounds memory, not output)
FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193
DAYS_UNIT = "个自然日"  # the page counts calendar days only, and says so


def fnv1a(text: str) -> int:
    """FNV-1a 32-bit; issue-lookup.js computes the same."""
    value = FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return value


def fnv1a_many(texts: list[str]) -> np.ndarray:
    """``fnv1a`` of every text at once (uint32)."""
    return fnv1a_utf8(pa.array(texts, type=pa.large_string()))


def fnv1a_utf8(texts: pa.Array) -> np.ndarray:
    """``fnv1a`` of every text of an Arrow string array: one numpy step per byte position, not per byte."""
    ends = offsets(texts)
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8) if len(texts) and ends[-1] > ends[0] else \
        np.zeros(0, dtype=np.uint8)
    lengths = np.diff(ends)
    # Longest first, so the texts that still have a byte at position p are a prefix.
    order = np.argsort(-lengths, kind="stable")
    starts, lengths = ends[:-1][order], lengths[order]
    hashes = np.full(len(texts), FNV_OFFSET, dtype=np.uint32)
    prime = np.uint32(FNV_PRIME)
    for p in range(int(lengths[0]) if len(lengths) else 0):
        k = int(np.searchsorted(-lengths, -p, side="left"))  # texts longer than p
        hashes[:k] ^= data[starts[:k] + p]
        hashes[:k] *= prime  # uint32 arithmetic wraps modulo 2**32, as the & 0xFFFFFFFF does
    out = np.empty_like(hashes)
    out[order] = hashes
    return out


def text(value: object) -> str | None:
    """A cell as JSON text: missing cells (NaN/None) become null, never NaN."""
    if value is None or type(value) is str:  # the common cases, without pd.isna's cost
        return value
    return None if pd.isna(value) else str(value)


EVALUATION_COLUMNS = ["id", "issue_id", "evaluator", "evaluated_on", "method", "rating", "rectified_on"]
INSPECTION_COLUMNS = ["id", "issue_id", "officer", "inspected_on", "verdict", "note"]


def evaluation_lists(ledger: Ledger) -> tuple[pd.Index, pa.Array]:
    """(issue ids, JSON list of each one's evaluations, oldest first — id breaks ties)."""
    methods = ledger.labels("evaluations", "method")
    ratings = ledger.labels("evaluations", "rating")
    rows = ledger.evaluations[EVALUATION_COLUMNS].sort_values(["evaluated_on", "id"], kind="stable")
    table = JsonRecords({
        "id": Column.text(rows["id"]), "evaluator": Column.of(rows["evaluator"], text),
        "evaluated_on": Column.of(rows["evaluated_on"], iso),
        "method": Column.of(rows["method"], lambda m: methods.get(m, text(m))),
        "rating": Column.of(rows["rating"], lambda r: None if r is None else int(r)),
        "rating_label": Column.of(rows["rating"], lambda r: None if r is None else ratings.get(int(r))),
        "rectified_on": Column.of(rows["rectified_on"], iso),
    }, len(rows))
    return group_lists(table, rows["issue_id"])


def inspection_lists(ledger: Ledger) -> tuple[pd.Index, pa.Array]:
    """(issue ids, JSON list of each one's inspections, oldest first — id breaks ties)."""
    verdicts = ledger.labels("inspections", "verdict")
    rows = ledger.inspections[INSPECTION_COLUMNS].sort_values(["inspected_on", "id"], kind="stable")
    table = JsonRecords({
        "id": Column.text(rows["id"]), "officer": Column.of(rows["officer"], text),
        "inspected_on": Column.of(rows["inspected_on"], iso),
        "verdict": Column.of(rows["verdict"], lambda v: verdicts.get(v, text(v))),
        "verdict_code": Column.of(rows["verdict"], text),  # the page tells 未解决 by the code, not the label
        "note": Column.text(rows["note"]),
    }, len(rows))
    return group_lists(table, rows["issue_id"])


def event_lists(ledger: Ledger, names: Names) -> tuple[pd.Index, pa.Array]:
    """(issue ids, JSON list of each one's events in ``seq`` order: 办理过程 as it ran).

    ``event`` is the Chinese label and ``code`` the enum value the page tells 延期 and 重办 by; the
    department is its Chinese name; ``new_due_on`` is null except for 延期."""
    kinds = ledger.labels("issue_events", "event") if "issue_events" in ledger.package.resource_names else {}
    rows = issue_events(ledger)
    table = JsonRecords({
        "on": Column.of(rows["on"], iso), "event": Column.of(rows["event"], lambda e: kinds.get(e, text(e))),
        "code": Column.of(rows["event"], text),
        "department": Column.of(rows["department"], lambda d: names.department(d) if isinstance(d, str) else None),
        "new_due_on": Column.of(rows["new_due_on"], iso), "note": Column.text(rows["note"]),
    }, len(rows))
    return group_lists(table, rows["issue_id"])


def meeting_record(ledger: Ledger, names: Names):
    """Meeting id → what an issue's record says about its meeting (a repeated id: the last row), or None.

    Only meetings that issues name are looked up, each once (``Column.of`` calls it per distinct id).
    """
    hosts = ledger.labels("meetings", "host_level")
    m = ledger.meetings
    row = {mid: n for n, mid in enumerate(m["id"].tolist())}
    held, host, region = m["held_on"].tolist(), m["host_level"].tolist(), m["region_code"].tolist()
    days: dict[object, str | None] = {}  # a few hundred dates and regions for ~100,000 meetings
    places: dict[object, str] = {}

    def record(mid: object) -> dict | None:
        n = row.get(mid) if isinstance(mid, str) else None
        if n is None:
            return None
        day = days[held[n]] if held[n] in days else days.setdefault(held[n], iso(held[n]))
        place = places[region[n]] if region[n] in places else places.setdefault(region[n], names.place(region[n]))
        return {"id": mid, "held_on": day, "host_level": hosts.get(host[n], host[n]), "place": place}
    return record


def timing_column(issues: pd.DataFrame, as_of: pd.Timestamp) -> Column:
    """Where each issue stands against its deadline; the (state, days) pairs are few, so each is built once."""
    when = timing(issues, as_of)
    states, state_names = pd.factorize(when["state"])
    days = when["days"].to_numpy(dtype=np.int64)
    low = int(days.min()) if len(days) else 0
    pairs = (days - low) * max(len(state_names), 1) + states  # one integer per (state, days)

    def value(pair: int) -> dict:
        state, days = str(state_names[pair % len(state_names)]), pair // len(state_names) + low
        return {"state": state, "days": days, "text": timing_text(state, days, DAYS_UNIT)}
    return Column.of(pairs, value)


def issue_table(ledger: Ledger, names: Names) -> tuple[pd.DataFrame, JsonRecords]:
    """(the issues published, one per id — a repeated id keeps its last row; their records)."""
    issues = ledger.issues
    keep = issues["id"].notna() & ~issues["id"].duplicated(keep="last")
    if not keep.all():  # a copy of a million rows only when there is something to drop
        issues = issues[keep]

    def label(field: str):
        labels = ledger.labels("issues", field)
        return lambda code: labels.get(code, code) if isinstance(code, str) else None

    def column(field: str, fn) -> Column:
        return Column.of(issues[field], fn)

    columns = {
        "id": Column.text(issues["id"]), "title": Column.text(issues["title"]),
        "summary": Column.text(issues["summary"]),
        "mechanism": column("mechanism", label("mechanism")), "request_type": column("request_type",
                                                                                     label("request_type")),
        "meeting": column("meeting_id", meeting_record(ledger, names)),
        "place": column("region_code", lambda code: [names.regions.get(c, c) for c in names.chain(code)]),
        "region_code": column("region_code", lambda code: code),
        # The place's page (issues/region/<code>/): the region or, for a village, its township.
        "region_page": column("region_code", lambda code: names.page_region(code, PAGE_LEVELS)),
        "category": column("category", label("category")), "tier": column("tier", label("tier")),
        "lead": column("lead_department", names.department),
        "lead_code": column("lead_department", lambda code: code if isinstance(code, str) else None),
        "co": column("co_departments", names.department_list),
        "status": column("status", label("status")),
        "resolved_at_level": column("resolved_at_level", label("resolved_at_level")),
        "raised_on": column("raised_on", iso), "assigned_on": column("assigned_on", iso), "due": column("due", iso),
        "due_given": Column.of(issues["due_on"].notna(), bool), "due_provisional": column("due_provisional", bool),
        "resolved_on": column("resolved_on", iso), "archived_on": column("archived_on", iso),
        "timing": timing_column(issues, ledger.as_of),
        "escalated": column("escalated", bool),
        "evaluations": Column.lookup(issues["id"], *evaluation_lists(ledger), b"[]"),
        "inspections": Column.lookup(issues["id"], *inspection_lists(ledger), b"[]"),
        "events": Column.lookup(issues["id"], *event_lists(ledger, names), b"[]"),
    }
    # Keyed by id: a shard is an object of "id":{record} members.
    return issues, JsonRecords(columns, len(issues), key=columns["id"])


def shard_count(sizes: dict[str, int]) -> int:
    """The smallest power of two that keeps every shard under SHARD_LIMIT (aiming at SHARD_TARGET)."""
    return _count(fnv1a_many(list(sizes)), np.fromiter(sizes.values(), dtype=np.int64, count=len(sizes)))


def _count(hashes: np.ndarray, sizes: np.ndarray) -> int:
    count = 1 << max(0, math.ceil(math.log2(max(1, int(sizes.sum()) / SHARD_TARGET))))
    while count < MAX_SHARDS:
        totals = np.bincount((hashes % count).astype(np.intp), weights=sizes, minlength=count)
        if totals.max(initial=0) <= SHARD_LIMIT:
            break
        count *= 2
    return count


class Shards:
    """Every issue's record, placed in its shard; ``files`` builds the shards a chunk at a time."""

    def __init__(self, ledger: Ledger, names: Names):
        issues, self.table = issue_table(ledger, names)
        self.issues = len(issues)
        ids = arrow_text(issues["id"])
        # What a shard entry costs: "id":{record}, and the old per-record measure's newline.
        sizes = self.table.sizes() + 1 + pc.utf8_length(ids).to_numpy(zero_copy_only=False).astype(np.int64) + 4
        hashes = fnv1a_utf8(ids)
        self.count = _count(hashes, sizes)
        shard = (hashes % self.count).astype(np.intp)
        # Ids in Python string order (as sorted() and sort_keys use): for UTF-8 that is byte order.
        by_id = pc.sort_indices(ids.cast(pa.large_binary())).to_numpy()
        self.order = by_id[np.argsort(shard[by_id], kind="stable")]
        self.bounds = np.r_[0, np.cumsum(np.bincount(shard, minlength=self.count))]

    def files(self, as_of: str) -> Iterator[tuple[str, str | bytes]]:
        """(path, content) of every shard in order, then ``index.json``, which says how to find a record."""
        head = b'{"as_of":' + dump(as_of).encode("utf-8") + b',"issues":{'
        first = 0
        while first < self.count:
            # Shards first … last-1 hold about CHUNK_ROWS records (at least one shard).
            last = max(first + 1, int(np.searchsorted(self.bounds, self.bounds[first] + CHUNK_ROWS, "right")) - 1)
            last = min(last, self.count)
            bounds = self.bounds[first:last + 1] - self.bounds[first]  # each shard's records in this chunk
            rows = self.order[self.bounds[first]:self.bounds[last]]
            filled = np.flatnonzero(np.diff(bounds))  # shards of the chunk with at least one record
            opens, closes = np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool)
            opens[bounds[filled]], closes[bounds[filled + 1] - 1] = True, True
            # A shard's first entry opens it, its last closes it, the others follow a comma: each shard
            # is then one stretch of the chunk's buffer.
            entries = self.table.joined(rows, choose(opens, b",", head), choose(closes, b"", b"}}\n"))
            for n, content in zip(range(first, last), slices(entries, bounds)):
                yield f"{API_DIR}/{n}.json", content or head + b"}}\n"
            first = last
        yield f"{API_DIR}/index.json", json.dumps(
            {"as_of": as_of, "hash": "fnv1a-32 over the UTF-8 bytes of the id, modulo shards",
             "path": f"{API_DIR}/<hash % shards>.json", "shards": self.count, "issues": self.issues},
            ensure_ascii=False, sort_keys=True, indent=2) + "\n"
