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
from pipeline.render.issues_json import ArrayRecords, Column, arrow_text, choose, dump, group_lists, offsets, slices
from pipeline.render.issues_pages import PAGE_LEVELS
from pipeline.render.issues_records import Names, timing, timing_text

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
FORMAT = "rows-v2"


class Coder:
    """A dictionary of repeated values (a label, a name, a place): each distinct entry gets the next
    number, in the order first asked for (so the same data gives the same table)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.table: list = []

    def __call__(self, entry: object) -> int:
        key = dump(entry)
        if key not in self.codes:
            self.codes[key] = len(self.table)
            self.table.append(entry)
        return self.codes[key]


class Schema:
    """What each slot of a record's array holds, written into index.json as ``fields`` for the decoder.

    A slot is ``["value", name]`` (the JSON value as published), ``["date", name]`` (days before as_of,
    or null), ``["dict", [names…], table]`` (an entry number: the entry's values fill those names),
    ``["dicts", name, table]`` (a list of entry numbers: the list of entries), ``["timing", name,
    {states, low, text}]`` (one integer: state and days), ``["list", name, schema]`` (a list of records)
    or ``["object", name, schema]`` (a record, or null)."""

    def __init__(self, as_of: pd.Timestamp):
        self.as_of = as_of
        self.slots: list[list] = []
        self.columns: list[Column] = []

    def add(self, slot: list, column: Column) -> None:
        self.slots.append(slot)
        self.columns.append(column)

    def day(self, value: object) -> int | None:
        return None if value is None or pd.isna(value) else (self.as_of - pd.Timestamp(value)).days

    def value(self, name: str, column: Column) -> None:
        self.add(["value", name], column)

    def date(self, name: str, series: pd.Series) -> None:
        self.add(["date", name], Column.of(series, self.day))

    def dict(self, names: list[str], series: pd.Series, entry) -> None:
        coder = Coder()
        self.add(["dict", names, coder.table], Column.of(series, lambda v: coder(entry(v))))

    def dicts(self, name: str, series: pd.Series, entries) -> None:
        coder = Coder()
        self.add(["dicts", name, coder.table], Column.of(series, lambda v: [coder(e) for e in entries(v)]))

    def records(self) -> ArrayRecords:
        return ArrayRecords(self.columns, len(self.columns[0]) if self.columns else 0)


def evaluation_lists(ledger: Ledger, as_of: pd.Timestamp) -> tuple[list, pd.Index, pa.Array]:
    """(schema, issue ids, JSON list of each one's evaluations, oldest first — id breaks ties)."""
    methods = ledger.labels("evaluations", "method")
    ratings = ledger.labels("evaluations", "rating")
    rows = ledger.evaluations[EVALUATION_COLUMNS].sort_values(["evaluated_on", "id"], kind="stable")
    s = Schema(as_of)
    s.value("id", Column.text(rows["id"]))
    s.dict(["evaluator"], rows["evaluator"], lambda v: [text(v)])
    s.date("evaluated_on", rows["evaluated_on"])
    s.dict(["method"], rows["method"], lambda m: [methods.get(m, text(m))])
    s.dict(["rating", "rating_label"], rows["rating"],
           lambda r: [None, None] if r is None else [int(r), ratings.get(int(r))])
    s.date("rectified_on", rows["rectified_on"])
    return [s.slots, *group_lists(s.records(), rows["issue_id"])]


def inspection_lists(ledger: Ledger, as_of: pd.Timestamp) -> tuple[list, pd.Index, pa.Array]:
    """(schema, issue ids, JSON list of each one's inspections, oldest first — id breaks ties)."""
    verdicts = ledger.labels("inspections", "verdict")
    rows = ledger.inspections[INSPECTION_COLUMNS].sort_values(["inspected_on", "id"], kind="stable")
    s = Schema(as_of)
    s.value("id", Column.text(rows["id"]))
    s.dict(["officer"], rows["officer"], lambda v: [text(v)])
    s.date("inspected_on", rows["inspected_on"])
    # The page tells 未解决 by the code, not the label.
    s.dict(["verdict", "verdict_code"], rows["verdict"], lambda v: [verdicts.get(v, text(v)), text(v)])
    s.value("note", Column.text(rows["note"]))
    return [s.slots, *group_lists(s.records(), rows["issue_id"])]


def event_lists(ledger: Ledger, names: Names, as_of: pd.Timestamp) -> tuple[list, pd.Index, pa.Array]:
    """(schema, issue ids, JSON list of each one's events in ``seq`` order: 办理过程 as it ran).

    ``event`` is the Chinese label and ``code`` the enum value the page tells 延期 and 重办 by; the
    department is its Chinese name; ``new_due_on`` is null except for 延期."""
    kinds = ledger.labels("issue_events", "event") if "issue_events" in ledger.package.resource_names else {}
    rows = issue_events(ledger)
    s = Schema(as_of)
    s.date("on", rows["on"])
    s.dict(["event", "code"], rows["event"], lambda e: [kinds.get(e, text(e)), text(e)])
    s.dict(["department"], rows["department"], lambda d: [names.department(d) if isinstance(d, str) else None])
    s.date("new_due_on", rows["new_due_on"])
    s.value("note", Column.text(rows["note"]))
    return [s.slots, *group_lists(s.records(), rows["issue_id"])]


def meeting_slot(ledger: Ledger, names: Names, s: Schema, meeting_ids: pd.Series) -> None:
    """The issue's meeting (a repeated id: the last row), or null: ``[id, held_on, host and place]``.

    Only meetings that issues name are looked up, each once (``Column.of`` calls it per distinct id)."""
    hosts = ledger.labels("meetings", "host_level")
    m = ledger.meetings
    row = {mid: n for n, mid in enumerate(m["id"].tolist())}
    host, region = m["host_level"].tolist(), m["region_code"].tolist()
    # Per meeting row, not per call: a million issues name about 100,000 meetings (3 s done one by one).
    held = [None if days != days else int(days) for days in (s.as_of - m["held_on"]).dt.days.tolist()]  # NaN: no date
    pair, _ = pd.factorize(pd.Series([f"{h!r}\x1f{r!r}" for h, r in zip(host, region)], dtype=object))
    where, sub, coded = Coder(), Schema(s.as_of), {}
    sub.slots = [["value", "id"], ["date", "held_on"], ["dict", ["host_level", "place"], where.table]]

    def place_code(n: int) -> int:  # numbered in the order first asked for, as ``where`` alone numbers them
        if pair[n] not in coded:
            coded[pair[n]] = where((hosts.get(host[n], host[n]), names.place(region[n])))
        return coded[pair[n]]

    def record(mid: object) -> list | None:
        n = row.get(mid) if isinstance(mid, str) else None
        if n is None:
            return None
        return [mid, held[n], place_code(n)]
    s.add(["object", "meeting", sub.slots], Column.of(meeting_ids, record))


def timing_slot(s: Schema, issues: pd.DataFrame) -> None:
    """Where each issue stands against its deadline: one integer per (state, days) pair."""
    when = timing(issues, s.as_of)
    states, state_names = pd.factorize(when["state"])
    days = when["days"].to_numpy(dtype=np.int64)
    low = int(days.min()) if len(days) else 0
    n = max(len(state_names), 1)
    pairs = (days - low) * n + states
    # The wording with {days} left for the page to fill ("超期 {days} 个自然日办结").
    spec = {"states": [str(x) for x in state_names], "low": low,
            "text": [timing_text(str(x), "{days}", DAYS_UNIT) for x in state_names]}  # type: ignore[arg-type]
    s.add(["timing", "timing", spec], Column.of(pairs, int))


def issue_table(ledger: Ledger, names: Names) -> tuple[pd.DataFrame, Schema]:
    """(the issues published, one per id — a repeated id keeps its last row; their records' schema)."""
    issues = ledger.issues
    keep = issues["id"].notna() & ~issues["id"].duplicated(keep="last")
    if not keep.all():  # a copy of a million rows only when there is something to drop
        issues = issues[keep]
    s = Schema(ledger.as_of)

    def label(field: str) -> None:
        labels = ledger.labels("issues", field)
        s.dict([field], issues[field], lambda code: [labels.get(code, code) if isinstance(code, str) else None])

    s.value("id", Column.text(issues["id"]))  # first: the page finds a record by it
    s.value("title", Column.text(issues["title"]))
    s.value("summary", Column.text(issues["summary"]))
    for field in ("mechanism", "request_type", "category", "tier", "status", "resolved_at_level"):
        label(field)
    meeting_slot(ledger, names, s, issues["meeting_id"])
    # The place's page (issues/region/<code>/): the region or, for a village, its township.
    s.dict(["region_code", "place", "region_page"], issues["region_code"],
           lambda code: [code, [names.regions.get(c, c) for c in names.chain(code)],
                         names.page_region(code, PAGE_LEVELS)])
    s.dict(["lead", "lead_code"], issues["lead_department"],
           lambda code: [names.department(code), code if isinstance(code, str) else None])
    s.dicts("co", issues["co_departments"], names.department_list)
    for field in ("raised_on", "assigned_on", "due", "resolved_on", "archived_on"):
        s.date(field, issues[field])
    flags = pd.DataFrame({"due_given": issues["due_on"].notna().to_numpy(),
                          "due_provisional": issues["due_provisional"].fillna(False).astype(bool).to_numpy(),
                          "escalated": issues["escalated"].fillna(False).astype(bool).to_numpy()})
    s.dict(list(flags.columns), flags["due_given"] * 1 + flags["due_provisional"] * 2 + flags["escalated"] * 4,
           lambda bits: [bool(int(bits) & 1), bool(int(bits) & 2), bool(int(bits) & 4)])
    timing_slot(s, issues)
    for name, (slots, keys, lists) in (("evaluations", evaluation_lists(ledger, ledger.as_of)),
                                       ("inspections", inspection_lists(ledger, ledger.as_of)),
                                       ("events", event_lists(ledger, names, ledger.as_of))):
        s.add(["list", name, slots], Column.lookup(issues["id"], keys, lists, b"[]"))
    return issues, s


def decode_records(index: dict, shard: dict) -> dict[str, dict]:
    """Issue id → its record as the lookup page shows it, from index.json and one shard (what
    issue-lookup.js does; for tests and for anyone reading the API)."""
    epoch = pd.Timestamp(index["as_of"])

    def record(slots: list, row: list) -> dict:
        out: dict = {}
        for slot, value in zip(slots, row):
            kind, name = slot[0], slot[1]
            if kind == "value":
                out[name] = value
            elif kind == "date":
                out[name] = None if value is None else (epoch - pd.Timedelta(days=value)).strftime("%Y-%m-%d")
            elif kind == "dict":
                out.update(zip(name, slot[2][value]))
            elif kind == "dicts":
                out[name] = [slot[2][v] for v in value]
            elif kind == "timing":
                spec, states = slot[2], len(slot[2]["states"])
                state, days = value % states, value // states + spec["low"]
                out[name] = {"state": spec["states"][state], "days": days,
                             "text": spec["text"][state].replace("{days}", str(days))}
            elif kind == "list":
                out[name] = [record(slot[2], item) for item in value]
            else:  # object
                out[name] = None if value is None else record(slot[2], value)
        return out
    return {row[0]: record(index["fields"], row) for row in shard["issues"]}


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
        issues, schema = issue_table(ledger, names)
        self.fields, self.table = schema.slots, schema.records()
        self.issues = len(issues)
        ids = arrow_text(issues["id"])
        sizes = self.table.sizes() + 1  # what a shard entry costs: [record] and a comma
        hashes = fnv1a_utf8(ids)
        self.count = _count(hashes, sizes)
        shard = (hashes % self.count).astype(np.intp)
        # Ids in Python string order (as sorted() and sort_keys use): for UTF-8 that is byte order.
        by_id = pc.sort_indices(ids.cast(pa.large_binary())).to_numpy()
        self.order = by_id[np.argsort(shard[by_id], kind="stable")]
        self.bounds = np.r_[0, np.cumsum(np.bincount(shard, minlength=self.count))]

    def files(self, as_of: str) -> Iterator[tuple[str, str | bytes]]:
        """(path, content) of every shard in order, then ``index.json``, which says how to find a record."""
        head = b'{"as_of":' + dump(as_of).encode("utf-8") + b',"issues":['
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
            entries = self.table.joined(rows, choose(opens, b",", head), choose(closes, b"", b"]}\n"))
            for n, content in zip(range(first, last), slices(entries, bounds)):
                yield f"{API_DIR}/{n}.json", content or head + b"]}\n"
            first = last
        # The decoder's key: a shard's "issues" is a list of records, each an array whose slots
        # "fields" describes (dates as days before as_of; repeated names as entries of its tables).
        yield f"{API_DIR}/index.json", json.dumps(
            {"as_of": as_of, "hash": "fnv1a-32 over the UTF-8 bytes of the id, modulo shards",
             "path": f"{API_DIR}/<hash % shards>.json", "shards": self.count, "issues": self.issues,
             "format": FORMAT, "fields": self.fields},
            ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
