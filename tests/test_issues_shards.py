"""The compact lookup shards decode to exactly the records a dict per issue would give.

The shards are built column by column for speed (pipeline/render/issues_json.py) in
the compact format (``rows-v2``: a record is an array, dates are days before as_of,
repeated names are entries of index.json's tables). ``reference_records`` below is the
simple, slow version of the records (one dict per issue), kept as the oracle: on the
600-issue demo, on the hostile package (quotes, control characters, markup and long
text in every free-text cell) and on the tiny package with a repeated id, the shards
decoded by ``decode_records`` (what issue-lookup.js does) must give the same records,
each shard must be what ``json.dumps`` writes, and the shard count the smallest that
keeps each under the limit. ``DEMO_SHARDS_SHA256`` pins the demo's shards; if the demo
generator changes, re-pin it only after the oracle test passes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from pipeline.render import issues_lookup
from pipeline.render.issues_json import Column, JsonRecords, dump, grouped_lists
from pipeline.render.issues_lookup import API_DIR, Shards, decode_records, fnv1a, shard_count, text
from pipeline.render.issues_pages import PAGE_LEVELS
from pipeline.render.issues_records import Names, iso, timing, timing_text
from pipeline.validate import validate
from tests.hostile import make_hostile

# sha256 over "path\0content\0" of every file under api/v1/issues/ except breakdowns.json, paths sorted:
# the 600-issue demo (seed 7) as the per-issue-dict implementation writes it (re-pinned when the records
# gained region_page, lead_code, each inspection's verdict_code and 自然日 in the timing text; and when
# the demo's callbacks rated returned issues less kindly: their evaluations' ratings changed; and when the
# records gained each issue's events, 办理过程, in seq order; and when the shards became compact
# rows-v2: 8 shards of 186,451 bytes in all instead of 32 of about 666,000).
DEMO_SHARDS_SHA256 = "1bd50536f2b173f589d1fdcaf184de149406f62725d15b0f8760e54327708b00"


def reference_records(ledger) -> dict[str, dict]:
    """One dict per issue: the record as the lookup page reads it (the original implementation)."""
    names = Names.of(ledger)
    issues = ledger.issues
    labels = {f: ledger.labels("issues", f) for f in ("mechanism", "category", "tier", "status", "request_type",
                                                      "resolved_at_level")}
    hosts, methods = ledger.labels("meetings", "host_level"), ledger.labels("evaluations", "method")
    ratings, verdicts = ledger.labels("evaluations", "rating"), ledger.labels("inspections", "verdict")
    meetings = {row.id: row for row in ledger.meetings.itertuples(index=False)}

    def grouped(frame, sort):
        out: dict[str, list] = {}
        for row in frame.sort_values(sort, kind="stable").itertuples(index=False):
            out.setdefault(row.issue_id, []).append(row)
        return out

    evaluations = grouped(ledger.evaluations, ["evaluated_on", "id"])
    inspections = grouped(ledger.inspections, ["inspected_on", "id"])
    events = grouped(ledger.issue_events, ["seq"])
    kinds = ledger.labels("issue_events", "event")
    when = timing(issues, ledger.as_of)

    def label(field, code):
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
            "region_page": names.page_region(row.region_code, PAGE_LEVELS),
            "lead_code": row.lead_department if isinstance(row.lead_department, str) else None,
            "category": label("category", row.category), "tier": label("tier", row.tier),
            "lead": names.department(row.lead_department), "co": names.department_list(row.co_departments),
            "status": label("status", row.status), "resolved_at_level": label("resolved_at_level",
                                                                              row.resolved_at_level),
            "raised_on": iso(row.raised_on), "assigned_on": iso(row.assigned_on), "due": iso(row.due),
            "due_given": iso(row.due_on) is not None, "due_provisional": bool(row.due_provisional),
            "resolved_on": iso(row.resolved_on), "archived_on": iso(row.archived_on),
            "timing": {"state": state, "days": int(days), "text": timing_text(state, int(days), "个自然日")},
            "escalated": bool(row.escalated),
            "evaluations": [{"id": e.id, "evaluator": text(e.evaluator), "evaluated_on": iso(e.evaluated_on),
                             "method": methods.get(e.method, text(e.method)),
                             "rating": None if pd.isna(e.rating) else int(e.rating),
                             "rating_label": None if pd.isna(e.rating) else ratings.get(int(e.rating)),
                             "rectified_on": iso(e.rectified_on)} for e in evaluations.get(row.id, [])],
            "inspections": [{"id": i.id, "officer": text(i.officer), "inspected_on": iso(i.inspected_on),
                             "verdict": verdicts.get(i.verdict, text(i.verdict)), "verdict_code": text(i.verdict),
                             "note": text(i.note)}
                            for i in inspections.get(row.id, [])],
            "events": [{"on": iso(e.on), "event": kinds.get(e.event, text(e.event)), "code": text(e.event),
                        "department": names.department(e.department) if isinstance(e.department, str) else None,
                        "new_due_on": iso(e.new_due_on), "note": text(e.note)} for e in events.get(row.id, [])],
        }
    return records


def dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def shard_bytes(ledger) -> dict[str, bytes]:
    files = dict(Shards(ledger, Names.of(ledger)).files(ledger.as_of.strftime("%Y-%m-%d")))
    return {path: content if isinstance(content, bytes) else content.encode("utf-8")
            for path, content in files.items()}


def assert_same(ledger) -> dict[str, bytes]:
    """The compact shards, decoded as the page decodes them, are the reference records; each shard is
    what json.dumps writes, holds the ids its hash names in sorted order, and the count is the smallest
    that keeps every shard under the limit."""
    new = shard_bytes(ledger)
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    index = json.loads(new[f"{API_DIR}/index.json"])
    records = reference_records(ledger)
    count = index["shards"]
    assert {k: v for k, v in index.items() if k not in ("fields",)} == {
        "as_of": as_of, "hash": "fnv1a-32 over the UTF-8 bytes of the id, modulo shards",
        "path": f"{API_DIR}/<hash % shards>.json", "shards": count, "issues": len(records),
        "format": "rows-v2"}
    assert sorted(new) == sorted([f"{API_DIR}/{n}.json" for n in range(count)] + [f"{API_DIR}/index.json"])
    decoded, sizes = {}, {}
    for n in range(count):
        content = new[f"{API_DIR}/{n}.json"]
        shard = json.loads(content)
        assert content == dumps(shard).encode("utf-8")
        assert shard["as_of"] == as_of
        ids = [row[0] for row in shard["issues"]]
        assert ids == sorted(ids) and all(fnv1a(i) % count == n for i in ids)
        sizes.update({row[0]: len(dumps(row).encode("utf-8")) for row in shard["issues"]})  # "\n" for ","
        decoded.update(decode_records(index, shard))
    assert decoded == records
    assert count == shard_count(sizes)
    return new


def digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + files[path] + b"\0")
    return h.hexdigest()


def test_demo_shards_are_the_reference_bytes(demo_ledger):
    files = assert_same(demo_ledger)
    assert len(files) == 9  # 8 shards and index.json
    assert digest(files) == DEMO_SHARDS_SHA256


def test_demo_shards_do_not_depend_on_the_chunk_size(demo_ledger, monkeypatch):
    whole = shard_bytes(demo_ledger)
    monkeypatch.setattr(issues_lookup, "CHUNK_ROWS", 7)  # many chunks, some cut inside a shard's range
    assert shard_bytes(demo_ledger) == whole


def test_hostile_shards_are_the_reference_bytes(demo_dir, demo_ledger, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    make_hostile(folder)
    report, ledger = validate(folder)
    assert report.valid
    files = assert_same(ledger)
    # The payloads make records long: more bytes than the demo's shards.
    assert sum(map(len, files.values())) > sum(map(len, shard_bytes(demo_ledger).values()))


def test_a_repeated_id_publishes_its_last_row(tiny_ledger):
    issues = tiny_ledger.issues
    last = issues[issues["id"].eq("Q-002")].assign(title="后一行的标题")
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "issues": pd.concat([issues, last])})
    files = assert_same(ledger)
    index = json.loads(files[f"{API_DIR}/index.json"])
    assert index["issues"] == 8
    assert decode_records(index, json.loads(files[f"{API_DIR}/0.json"]))["Q-002"]["title"] == "后一行的标题"


def test_a_meeting_without_a_date_shows_none_and_a_repeated_meeting_its_last_row(demo_ledger):
    meetings, named = demo_ledger.meetings, demo_ledger.issues["meeting_id"].dropna()
    undated, twice = [m for m in meetings["id"] if m in set(named)][:2]
    changed = meetings.copy()
    changed.loc[changed["id"].eq(undated), "held_on"] = pd.NaT
    later = changed[changed["id"].eq(twice)].assign(held_on=pd.Timestamp("2026-01-05"), host_level="county")
    ledger = replace(demo_ledger, frames={**demo_ledger.frames, "meetings": pd.concat([changed, later])})
    files = assert_same(ledger)  # the decoded records are the reference's, which takes a repeated id's last row
    index = json.loads(files[f"{API_DIR}/index.json"])
    records = {}
    for n in range(index["shards"]):
        records.update(decode_records(index, json.loads(files[f"{API_DIR}/{n}.json"])))
    by_meeting = {r["meeting"]["id"]: r["meeting"] for r in records.values() if r["meeting"]}
    slot = [f[1] for f in index["fields"]].index("meeting")
    days = {row[slot][1] for n in range(index["shards"])
            for row in json.loads(files[f"{API_DIR}/{n}.json"])["issues"] if row[slot] is not None}
    assert None in days and all(type(d) is int for d in days - {None})  # whole days, never 12.0
    assert by_meeting[undated]["held_on"] is None
    assert by_meeting[twice]["held_on"] == "2026-01-05"
    assert by_meeting[twice]["host_level"] == ledger.labels("meetings", "host_level")["county"]


def test_column_json_is_json_dumps():
    frame = pd.DataFrame({"a": pd.Series(["x", None, 'q"\\\n\x01\u2028😀', "x", ""], dtype="str"),
                          "b": pd.Series([1, None, 3, 1, 2], dtype="Int64"),
                          "d": pd.to_datetime(["2026-01-02", None, "1999-12-31", "2026-01-02", None])})
    table = JsonRecords({"text": Column.of(frame["a"], text),
                   "n": Column.of(frame["b"], lambda v: None if v is None else int(v)),
                   "on": Column.of(frame["d"], iso), "list": Column.of(frame["a"], lambda v: [v, {"k": v}]),
                   "row": Column.each(range(len(frame)))}, len(frame))
    expected = [json.dumps({"text": text(a), "n": None if pd.isna(b) else int(b), "on": iso(d),
                            "list": [text(a), {"k": text(a)}], "row": n},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
                for n, (a, b, d) in enumerate(zip(frame["a"], frame["b"], frame["d"]))]
    rows = table.rows(pd.RangeIndex(len(frame)).to_numpy()[::-1])
    assert rows == expected[::-1]
    assert table.sizes().tolist() == [len(r) for r in expected]
    assert dump(None) == "null"
    with pytest.raises(ValueError):
        dump(float("nan"))  # never NaN in a shard: JSON.parse would refuse the whole file


def test_grouped_lists_keep_row_order_and_skip_rows_without_a_group():
    keys = pd.Series(["B", "A", None, "B", "A"], dtype="str")
    table = JsonRecords({"n": Column.each(range(5))}, 5)
    assert grouped_lists(table, keys) == {"B": b'[{"n":0},{"n":3}]', "A": b'[{"n":1},{"n":4}]'}


def test_no_issues_one_empty_shard(tiny_ledger):
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "issues": tiny_ledger.issues.iloc[:0]})
    files = assert_same(ledger)
    assert files[f"{API_DIR}/0.json"] == b'{"as_of":"2026-04-30","issues":[]}\n' and len(files) == 2


def test_text_columns_are_json_dumps_of_each_cell_also_across_chunks():
    """Unique text is quoted by Arrow, only for the rows taken; escapes come from json's own encoder."""
    cells = ["x", None, 'q"\\\n\x01\u2028😀', "", "末尾\t", "plain"]
    # Two files' rows concatenated: an Arrow-backed column in two chunks.
    series = pd.concat([pd.Series(cells[:3], dtype="str"), pd.Series(cells[3:], dtype="str")], ignore_index=True)
    column = Column.text(series)
    expected = [dump(text(cell)).encode("utf-8") for cell in cells]
    assert column.lengths().tolist() == [len(e) for e in expected]
    order = [5, 2, 0, 1, 4, 3, 2]
    assert column.take(pd.Series(order).to_numpy()).to_pylist() == [expected[n] for n in order]
    table = JsonRecords({"t": column}, len(cells))
    assert table.rows(pd.RangeIndex(len(cells)).to_numpy()) == [b'{"t":' + e + b"}" for e in expected]


def test_records_in_the_given_field_order_and_pairs_are_json_dumps():
    """``sort_keys=False`` keeps the fields as given (``json.dumps`` of a dict, as the officers' chunks write
    it); ``Column.of_pairs`` calls its function once per distinct pair, a missing cell as None."""
    first = pd.Series(["r1", "r2", None, "r1", "r2", "r1"], dtype="str")
    second = pd.Series(["t1", "t1", "t2", "t1", None, "t2"], dtype="str")
    calls = []

    def pair(a, b):
        calls.append((a, b))
        return f"{a}/{b}" if a else None

    table = JsonRecords({"z": Column.each(range(6)), "a": Column.of_pairs(first, second, pair),
                         "m": Column.text(first)}, 6, sort_keys=False)
    made = list(calls)
    cells = [[c if isinstance(c, str) else None for c in column.tolist()] for column in (first, second)]
    expected = [json.dumps({"z": n, "a": pair(a, b), "m": a}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                for n, (a, b) in enumerate(zip(*cells))]
    calls.clear()
    assert table.rows(pd.RangeIndex(6).to_numpy()[::-1]) == expected[::-1]
    assert sorted(made, key=repr) == sorted({("r1", "t1"), ("r2", "t1"), (None, "t2"), ("r2", None), ("r1", "t2")},
                                            key=repr)
    assert len(made) == 5
    assert json.loads(JsonRecords({"z": Column.each([1]), "a": Column.each([2])}, 1).rows([0])[0]) == {"a": 2, "z": 1}
