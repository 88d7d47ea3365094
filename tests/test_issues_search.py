"""The issue search index (pipeline/render/issues_search.py): exact records, chunk selection,
determinism and escaping. The browser side is tests/test_issues_search_browser.py."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.render.issues_records import Names
from pipeline.render.issues_search import (SEARCH_DIR, SearchIndex, decode, encoded, facet_postings, query_files,
                                           search_page, word_keys)
from pipeline.render.issues_search_grams import Postings, key_hash, normalise, text_postings
from pipeline.validate import validate


def index_of(ledger) -> tuple[SearchIndex, dict[str, bytes]]:
    index = SearchIndex(ledger, Names.of(ledger))
    return index, dict(index.files())


def postings(files: dict[str, bytes], total: int) -> dict[str, list[int]]:
    out = {}
    for path, content in files.items():
        if path.startswith(f"{SEARCH_DIR}/terms/"):
            out.update({k: decode(v, total) for k, v in json.loads(content).items()})
    return out


@pytest.fixture(scope="module")
def tiny_index(tiny_ledger):
    return index_of(tiny_ledger)


def test_rows_of_the_tiny_package_are_oldest_first_with_computed_timing(tiny_index):
    _, files = tiny_index
    assert json.loads(files[f"{SEARCH_DIR}/rows/0.json"]) == [
        ["Q-001", "村道路灯损坏需维修", "990121001001", "jtj", "archived", "infrastructure", "2026-03-02", "2026-03-02",
         "2026-03-02", "on_time", 0, "confirmed", ["TYG-01"]],
        ["Q-002", "河道垃圾长期无人清理", "990121001001", "jtj", "evaluated", "environment", "2026-03-03", "2026-03-06",
         "2026-03-09", "late", 3, "not_resolved", ["TYG-02", "TYG-03"]],
        ["Q-003", "宅基地审批材料反复退回", "990121002001", "zrzyj", "resolved", "land", "2026-03-05", "2026-03-26",
         "2026-03-20", "on_time", 0, "partly", ["TYG-01"]],
        ["Q-004", "村口桥梁护栏缺失", "990121002001", "jtj", "assigned", "safety", "2026-03-09", "2026-03-12", None,
         "overdue", 49, None, []],
        ["Q-006", "重复上报的道路积水", "990121001000", "jtj", "withdrawn", "infrastructure", "2026-04-01", None, None,
         "withdrawn", 0, None, []],
        ["Q-008", "农田灌溉渠堵塞", "990121002001", "zrzyj", "archived", "infrastructure", "2026-04-02", "2026-04-02",
         "2026-04-03", "late", 1, None, []],
        ["Q-007", "建议增设村级快递点", "990121001001", "zrzyj", "registered", "public_service", "2026-04-10", None, None,
         "unassigned", 0, None, []],
        ["Q-005", "公交站台遮雨棚破损", "990121002000", "zrzyj", "assigned", "infrastructure", "2026-04-28", "2026-05-06",
         None, "open", 0, None, []],
    ]


def test_filters_of_the_tiny_package(tiny_index):
    index, files = tiny_index
    found = postings(files, index.total)
    assert {k: v for k, v in found.items() if "=" in k} == {
        "category=environment": [1], "category=infrastructure": [0, 4, 5, 7], "category=land": [2],
        "category=public_service": [6], "category=safety": [3],
        "flag=disputed": [1],  # its latest inspection says not resolved
        "flag=overdue": [3],  # open, due 2026-03-12
        "flag=uninspected": [5],  # archived, never inspected (Q-007 is not done)
        "lead=jtj": [0, 1, 3, 4], "lead=zrzyj": [2, 5, 6, 7],
        "officer=TYG-01": [0, 2], "officer=TYG-02": [1], "officer=TYG-03": [1],
        "place=990100000000": list(range(8)), "place=990121000000": list(range(8)),
        "place=990121001000": [0, 1, 4, 6], "place=990121001001": [0, 1, 6],
        "place=990121002000": [2, 3, 5, 7], "place=990121002001": [2, 3, 5],
        "status=archived": [0, 5], "status=assigned": [3, 7], "status=evaluated": [1], "status=registered": [6],
        "status=resolved": [2], "status=withdrawn": [4],
    }
    # Text grams: the title and the summary (Q-001 已更换路灯, Q-002 已清理河道).
    assert found["路灯"] == [0] and found["河道"] == [1] and found["更换"] == [0] and found["已"] == [0, 1, 2, 5]


def test_every_key_sits_in_the_bucket_its_hash_names(demo_ledger):
    index, files = index_of(demo_ledger)
    assert index.buckets > 1
    for path, content in files.items():
        if path.startswith(f"{SEARCH_DIR}/terms/"):
            bucket = int(path.rsplit("/", 1)[1].split(".")[0])
            keys = list(json.loads(content))
            assert keys == sorted(keys)
            assert all(key_hash(k) % index.buckets == bucket for k in keys)
    assert (key_hash("补贴"), key_hash("\U00020000a")) == (0x36D7D2BC, 0x65492D5A)  # as issue-search.js (node) computes


def brute(ledger, words: list[str]) -> list[str]:
    """Ids of the issues whose title or summary holds every word (substring), newest first (the later id
    first on one day: the reverse of the index's positions, oldest first)."""
    issues = ledger.issues.sort_values(["raised_on", "id"], ascending=[False, False], kind="stable")
    keep = []
    for row in issues.itertuples():
        text = normalise(f"{row.title or ''} {row.summary if isinstance(row.summary, str) else ''}")
        if all(normalise(w) in text for w in words):
            keep.append(row.id)
    return keep


@pytest.mark.parametrize("words", [["补贴"], ["路"], ["消防", "通道"], ["残疾人补贴"], ["没有这种说法"]])
def test_a_query_loads_only_its_buckets_and_finds_the_issues_holding_the_words(demo_ledger, words):
    index, files = index_of(demo_ledger)
    loaded, positions = query_files(files.__getitem__, {"words": " ".join(words)})
    ids = [r[0] for c in range(index.chunks()) for r in json.loads(files[f"{SEARCH_DIR}/rows/{c}.json"])]
    assert [ids[p] for p in positions] == brute(demo_ledger, words)
    buckets = {key_hash(k) % index.buckets for w in words for k in word_keys(w)}
    assert loaded[:1 + len(buckets)] == [f"{SEARCH_DIR}/index.json"] + [f"{SEARCH_DIR}/terms/{b}.json"
                                                                         for b in sorted(buckets)]
    assert loaded[1 + len(buckets):] == [f"{SEARCH_DIR}/rows/{c}.json" for c in sorted({p // 16 for p in positions[:20]})]


def test_disputed_and_uninspected_match_the_inspections(demo_ledger):
    index, files = index_of(demo_ledger)
    ids = [r[0] for c in range(index.chunks()) for r in json.loads(files[f"{SEARCH_DIR}/rows/{c}.json"])]
    found = postings(files, index.total)
    checks = demo_ledger.inspections.sort_values(["inspected_on", "id"], kind="stable")
    last = checks.drop_duplicates("issue_id", keep="last").set_index("issue_id")["verdict"]
    assert sorted(ids[p] for p in found["flag=disputed"]) == sorted(last[last == "not_resolved"].index)
    done = demo_ledger.issues.loc[demo_ledger.issues["done"], "id"]
    assert sorted(ids[p] for p in found["flag=uninspected"]) == sorted(set(done) - set(checks["issue_id"]))
    officer = sorted(checks["officer"])[0]
    assert sorted(ids[p] for p in found[f"officer={officer}"]) == sorted(
        set(checks.loc[checks["officer"] == officer, "issue_id"]))


def test_issues_added_after_the_newest_leave_every_earlier_position_as_it_was(demo_ledger):
    """What a pull request that adds issues does to the index: the demo's ten newest issues (by raised_on,
    then id) are "added" to the demo without them. Every earlier issue keeps its position, so the rows
    chunks before the new positions are the same bytes and each posting list only gains positions at
    its end; the 590 issues before fill 36 chunks of 16, so chunk 36 gains the first new ones and chunk 37
    is new."""
    issues = demo_ledger.issues
    newest = issues.sort_values(["raised_on", "id"], kind="stable").index[-10:]
    before = replace(demo_ledger, frames={**demo_ledger.frames, "issues": issues.drop(index=newest)})
    old_index, old_files = index_of(before)
    new_index, new_files = index_of(demo_ledger)
    assert (old_index.total, new_index.total) == (590, 600)
    rows = {p for p in old_files.keys() | new_files.keys() if p.startswith(f"{SEARCH_DIR}/rows/")}
    assert sorted(p for p in rows if old_files.get(p) != new_files.get(p)) == [f"{SEARCH_DIR}/rows/36.json",
                                                                              f"{SEARCH_DIR}/rows/37.json"]
    old_postings, new_postings = postings(old_files, 590), postings(new_files, 600)
    assert set(old_postings) <= set(new_postings)
    for key, new in new_postings.items():
        assert [p for p in new if p < 590] == old_postings.get(key, []), key
    added = {p for new in new_postings.values() for p in new if p >= 590}
    assert added == set(range(590, 600))


def test_the_index_is_byte_identical_across_builds(demo_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(demo_dir, copy)
    first = index_of(validate(demo_dir)[1])[1]
    second = index_of(validate(copy)[1])[1]
    assert first.keys() == second.keys()
    assert [p for p in first if first[p] != second[p]] == []


def test_titles_with_markup_stay_text(tiny, tmp_path):
    issues = tiny / "issues" / "2026.csv"
    hostile = 'A<b>&"x"</script><script>alert(1)</script>\\'
    issues.write_text(issues.read_text(encoding="utf-8").replace("村道路灯损坏需维修", f'"{hostile.replace(chr(34), chr(34) * 2)}"'),
                      encoding="utf-8")
    regions = tiny / "regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8").replace("甲镇", "甲</script>镇"), encoding="utf-8")
    report, ledger = validate(tiny)
    assert report.valid, [f.message_en for f in report.errors]
    index, files = index_of(ledger)
    rows = json.loads(files[f"{SEARCH_DIR}/rows/0.json"])
    assert [r[1] for r in rows if r[0] == "Q-001"] == [hostile]
    assert postings(files, index.total)["<b"] == [0]  # Q-001, the oldest
    page = search_page(index)
    assert "甲&lt;/script&gt;镇" in page and "</script>镇" not in page


@given(st.lists(st.integers(0, 4999), unique=True, max_size=300), st.integers(5000, 5100))
@settings(max_examples=60, deadline=None)
def test_posting_lists_decode_to_their_positions(rows, total):
    """Either encoding (gaps or bitmap) gives back the positions, for sparse and dense lists."""
    built = facet_postings({"k=v": np.array(rows, dtype=np.int64)})
    values = encoded(built, total)
    assert [decode(v, total) for v in values] == ([sorted(rows)] if rows else [])


def reference_encoding(rows: list[int], total: int) -> str:
    """One posting list as the index's reader expects it, position by position: LEB128 gaps ("v") unless
    they take more bytes than a bitmap of every issue ("b")."""
    data, previous = bytearray(), None
    for row in rows:
        value = row if previous is None else row - previous
        previous = row
        while True:
            data.append((value & 0x7F) | (0x80 if value >= 0x80 else 0))
            value >>= 7
            if not value:
                break
    bitmap = bytearray((total + 7) // 8)
    for row in rows:
        bitmap[row // 8] |= 1 << (row % 8)
    if len(data) > len(bitmap):
        return "b" + base64.b64encode(bytes(bitmap)).decode("ascii")
    return "v" + base64.b64encode(bytes(data)).decode("ascii")


@st.composite
def posting_lists(draw):
    total = draw(st.integers(1, 3000))
    lists = draw(st.lists(st.lists(st.integers(0, total - 1), unique=True, max_size=450), min_size=1, max_size=6))
    return [sorted(rows) for rows in lists], total


@given(posting_lists())
@settings(max_examples=200, deadline=None)
def test_lists_longer_than_a_bitmap_skip_the_gaps_and_encode_as_before(case):
    """Lists longer than the bitmap's bytes are bitmaps without their gaps being encoded; every list, dense,
    sparse or at the bound, is encoded exactly as position-by-position LEB128 and the smaller-wins rule give."""
    lists, total = case
    lengths = [len(rows) for rows in lists]
    built = Postings([f"k{n}" for n in range(len(lists))], np.r_[0, np.cumsum(lengths)].astype(np.int64),
                     np.array([r for rows in lists for r in rows], dtype=np.int64))
    assert encoded(built, total) == [reference_encoding(rows, total) for rows in lists]


def test_a_list_one_longer_than_the_bitmap_is_a_bitmap_and_one_as_long_may_be_gaps():
    total = 80  # a bitmap of 10 bytes
    built = Postings(["long", "as_long"], np.array([0, 11, 21], dtype=np.int64),
                     np.r_[np.arange(11), np.arange(10)].astype(np.int64))
    assert encoded(built, total) == ["b" + base64.b64encode(bytes([0xFF, 0x07]) + bytes(8)).decode("ascii"),
                                     "v" + base64.b64encode(bytes([0] + [1] * 9)).decode("ascii")]


@given(st.lists(st.text(alphabet="路灯 河道Ａa\u3000<&\n\rΣσ\u0301eﬁ①㎏", max_size=12), min_size=1, max_size=20))
@settings(max_examples=120, deadline=None)
def test_text_postings_hold_each_gram_of_each_text(texts):
    """Each text normalised alone (the index normalises a block at once): combining marks, final sigma and
    compatibility characters next to the line breaks between texts change nothing."""
    built = text_postings(texts)
    got = {k: built.rows(n).tolist() for n, k in enumerate(built.keys)}
    want: dict[str, list[int]] = {}
    for n, text in enumerate(texts):
        grams = set()
        for run in normalise(text).split():
            grams |= set(run) | {run[i:i + 2] for i in range(len(run) - 1)}
        for gram in grams:
            want.setdefault(gram, []).append(n)
    assert got == want


def test_benchmark_measures_the_bytes_a_query_loads(built_demo_site, demo_ledger):
    """benchmarks/run.py's search measure, on the small demo's built site (the 1M run records it later)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).resolve().parent.parent / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    measured = bench.search_bytes(built_demo_site)
    folder = built_demo_site / SEARCH_DIR
    every = [p for p in folder.rglob("*.json")]
    assert measured["index_bytes"] == sum(p.stat().st_size for p in every) and measured["index_files"] == len(every)
    words = measured["queries"]["words 补贴"]
    assert words["found"] == len(brute(demo_ledger, ["补贴"]))
    files, _ = query_files(lambda path: (built_demo_site / path).read_bytes(), {"words": "补贴"})
    assert words["bytes"] == sum((built_demo_site / f).stat().st_size for f in files) < measured["index_bytes"]
    assert words["files"] == len(files) < len(every)
    browse = measured["queries"]["browse, page 1"]
    assert (browse["found"], browse["files"]) == (600, 3)  # the manifest and the first two rows chunks
    assert "| words 补贴 |" in bench.render_markdown({  # the summary's shape as benchmarks/run.py's finish writes it
        "date": "d", "machine": "m", "issues": 600, "rows_in_package": 1,
        "largest_data_file": bench.largest_data_file(demo_ledger.package.root), "realistic_pr": None,
        "peak_mb": 0, "ratios": {}, "results": [], "search": measured})


def test_the_index_written_a_share_of_buckets_at_a_time_is_the_same(demo_ledger, monkeypatch):
    """At a million issues the grams' lists are built a few buckets at a time, and the list records a
    few thousand at a time: the files must not change."""
    import pipeline.render.issues_search as search

    whole, files = index_of(demo_ledger)
    assert whole.passes == 1
    monkeypatch.setattr(search, "PASS_PAIRS", 5_000)
    monkeypatch.setattr(search, "ROW_CHUNKS_AT_ONCE", 3)  # 48 records: 600 issues make 13 blocks, the last short
    shared, in_passes = index_of(demo_ledger)
    assert shared.passes == shared.buckets == whole.buckets > 1  # one bucket a pass
    assert sorted(in_passes) == sorted(files)
    assert [p for p in files if files[p] != in_passes[p]] == []


def _officers_as_before(issue_ids: pd.Series, officers: pd.Series) -> pd.Series:
    """The definition: per issue, the set of trimmed, upper-cased officers, sorted and joined."""
    frame = pd.DataFrame({"issue_id": issue_ids, "officer": officers}).dropna(subset=["officer"])
    return (frame.assign(officer=lambda f: f["officer"].str.strip().str.upper())
            .groupby("issue_id")["officer"].agg(lambda s: ";".join(sorted(set(s)))))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["Q-1", "Q-2", "Q-10", "Q-3"]),
                               st.one_of(st.none(), st.sampled_from(["a01", " A01", "b2 ", "B2", "", " ", "é9", "Z"]))),
                     max_size=25))
def test_officers_by_issue_is_the_sorted_set_of_each_issues_officers(rows):
    from pipeline.core.csv_read import TEXT as TEXT_DTYPE
    from pipeline.render.issues_search import officers_by_issue

    ids = pd.Series([r[0] for r in rows], dtype=TEXT_DTYPE)
    officers = pd.Series([r[1] for r in rows], dtype=TEXT_DTYPE)
    got = officers_by_issue(ids, officers)
    expected = _officers_as_before(ids, officers)
    assert dict(zip(got.index, got.tolist())) == dict(zip(expected.index, expected.tolist()))


def test_the_page_counts_the_issues_listed_without_ordering_them(tiny_ledger, monkeypatch):
    """The search page needs only how many issues the index lists (one per id: a repeated id once, a row
    without an id never): it is counted without ``search_order``, and equals the files' count."""
    import dataclasses

    import pipeline.render.issues_search as issues_search

    issues = tiny_ledger.issues
    repeated = pd.concat([issues, issues.iloc[[0, 1]]], ignore_index=True)
    repeated.loc[2, "id"] = None
    ledger = dataclasses.replace(tiny_ledger, frames={**tiny_ledger.frames, "issues": repeated})
    expected = issues["id"].nunique() - (0 if issues["id"].iloc[2] in set(issues["id"].iloc[[0, 1]]) else 1)
    order = issues_search.search_order
    monkeypatch.setattr(issues_search, "search_order", lambda ledger: pytest.fail("the page ordered the rows"))
    page_index = SearchIndex(ledger, Names.of(ledger))
    page = search_page(page_index)
    assert page_index.total == expected and f"共 {expected} 件问题" in page
    monkeypatch.setattr(issues_search, "search_order", order)
    files_index = SearchIndex(ledger, Names.of(ledger))
    assert len(files_index.rows) == expected and files_index.total == expected
    assert json.loads(dict(files_index.files())[f"{SEARCH_DIR}/index.json"])["issues"] == expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "县", "乡 镇", "a;b"])), max_size=40))
def test_positions_by_keeps_each_value_s_positions_whatever_the_column_s_storage(values):
    """Arrow strings (as the ledger stores them) and Python objects give the same groups: each present value
    (the empty text too) → its positions, values in the order they first appear, missing values left out."""
    from pipeline.render.issues_search import positions_by

    expected: dict[str, list[int]] = {}
    for n, value in enumerate(values):
        if value is not None:
            expected.setdefault(f"k={value}", []).append(n)
    for dtype in (pd.StringDtype("pyarrow", na_value=np.nan), object):
        got = positions_by(pd.Series(values, dtype=dtype), "k")
        assert list(got) == list(expected)
        assert {k: v.tolist() for k, v in got.items()} == expected


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["Q-1", "Q-2", "Q-3", "Q-4"]),
                       st.tuples(st.sampled_from(["confirmed", np.nan]), st.sampled_from(["A;B", np.nan])), max_size=4),
       st.lists(st.sampled_from(["Q-1", "Q-2", "Q-3", "Q-4", "Q-9"]), max_size=12))
def test_at_ids_is_what_reindex_gives(found, ids):
    """Each id's values, NaN where there are none (a float, as reindex gives: the pages test it with isna)."""
    from pipeline.render.issues_search import at_ids

    frame = pd.DataFrame({"verdict": [v for v, _ in found.values()], "officers": [o for _, o in found.values()]},
                         index=pd.Index(list(found), dtype=object), dtype=object)
    for storage in (pd.StringDtype("pyarrow", na_value=np.nan), object):
        keys = pd.Series(ids, dtype=storage)
        got = at_ids(frame, keys)
        expected = frame.reindex(pd.Index(keys.to_numpy(dtype=object)))
        assert list(got.columns) == ["verdict", "officers"] and len(got) == len(ids)
        for column in got.columns:
            values = got[column].to_numpy(dtype=object)
            assert [x if isinstance(x, str) else "NaN" for x in values] == [
                x if isinstance(x, str) else "NaN" for x in expected[column].to_numpy(dtype=object)]
            assert all(isinstance(x, str) or (isinstance(x, float) and np.isnan(x)) for x in values)
