"""体验官待核查清单 (issue #17): the figures (pipeline.figures.inspections) and the rendered page and
JSON documents (pipeline.render.officers).

The figures are checked on hand-made ledgers that each carry one defect the lists must get right
(named after it), on generated ones (hypothesis: every done issue is in exactly one place), and
against the small demo read row by row. Golden files: tests/golden/officers/ holds what the section
renders for the bundled demo generated afresh (the page, one township's documents, and the SHA-256
of every document); after an intended change, regenerate with UPDATE_GOLDEN=1 and read the diff.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.ledger import Ledger, region_descendants
from pipeline.figures import inspections as fi
from pipeline.figures.metrics import compute_all, issues_disputed
from pipeline.render import SECTIONS, officers
from pipeline.validate import validate
from tests.golden import check_golden

AS_OF = pd.Timestamp("2026-10-31")
COUNTY, TOWN, VILLAGE, STREET = "990121000000", "990121001000", "990121001001", "990121002000"
REGIONS = pd.DataFrame({"code": ["990100000000", COUNTY, TOWN, VILLAGE, STREET],
                        "name": ["示例市", "示例县", "青山镇", "青山村", "城关街道"],
                        "level": ["city", "county", "township", "village", "street"],
                        "parent_code": [None, "990100000000", COUNTY, TOWN, COUNTY]})


def day(text: str | None) -> pd.Timestamp:
    return pd.NaT if text is None else pd.Timestamp(text)


def ledger_of(issues: list[tuple], inspections: list[tuple] = ()) -> Ledger:
    """A ledger with only what the lists read: issues (id, region, status, resolved_on) and
    inspections (id, issue_id, officer, inspected_on, verdict)."""
    issue_frame = pd.DataFrame(issues, columns=["id", "region_code", "status", "resolved_on"])
    issue_frame["resolved_on"] = pd.to_datetime(issue_frame["resolved_on"])
    issue_frame["done"] = issue_frame["status"].isin(["resolved", "evaluated", "archived"])
    issue_frame["withdrawn"] = issue_frame["status"].eq("withdrawn")
    checks = pd.DataFrame(list(inspections), columns=["id", "issue_id", "officer", "inspected_on", "verdict"])
    checks["inspected_on"] = pd.to_datetime(checks["inspected_on"])
    checks["note"] = None
    checks["issue_region_code"] = checks["issue_id"].map(dict(zip(issue_frame["id"], issue_frame["region_code"])))
    return Ledger(package=None, as_of=AS_OF, frames={"issues": issue_frame, "inspections": checks, "regions": REGIONS},
                  calendar=None, descendants=region_descendants(REGIONS))


# --- the lists' defects ---------------------------------------------------------------------------

def test_resolved_then_confirmed_issue_is_not_uninspected():
    ledger = ledger_of([("Q-1", VILLAGE, "resolved", "2026-01-05"), ("Q-2", VILLAGE, "resolved", "2026-02-01")],
                       [("I-1", "Q-1", "TYG-001", "2026-01-20", "confirmed")])
    assert fi.uninspected(ledger)["id"].tolist() == ["Q-2"]


def test_open_and_withdrawn_issues_wait_for_no_officer():
    ledger = ledger_of([("Q-1", VILLAGE, "assigned", None), ("Q-2", VILLAGE, "withdrawn", None),
                        ("Q-3", VILLAGE, "evaluated", "2026-03-01"), ("Q-4", TOWN, "archived", "2026-02-01")])
    assert fi.uninspected(ledger)["id"].tolist() == ["Q-4", "Q-3"]


def test_uninspected_not_oldest_resolution_first():
    """The longest wait comes first (ties by id), whatever the file order; a missing date goes last."""
    ledger = ledger_of([("Q-9", VILLAGE, "resolved", "2026-05-01"), ("Q-8", VILLAGE, "resolved", None),
                        ("Q-7", TOWN, "resolved", "2025-12-31"), ("Q-6", VILLAGE, "resolved", "2026-05-01")])
    rows = fi.uninspected(ledger)
    assert rows["id"].tolist() == ["Q-7", "Q-6", "Q-9", "Q-8"]
    assert rows["waiting_days"].tolist() == [304, 183, 183, pd.NA]
    assert rows["town"].tolist() == [TOWN] * 4


def test_disputed_then_confirmed_issue_is_not_still_disputed():
    """The latest verdict decides: 未解决 then 确认解决 is settled; 确认解决 then 未解决 is disputed."""
    ledger = ledger_of([("Q-1", VILLAGE, "resolved", "2026-01-05"), ("Q-2", VILLAGE, "resolved", "2026-01-06")],
                       [("I-1", "Q-1", "TYG-001", "2026-02-01", "not_resolved"),
                        ("I-2", "Q-1", "TYG-002", "2026-03-01", "confirmed"),
                        ("I-3", "Q-2", "TYG-001", "2026-02-01", "confirmed"),
                        ("I-4", "Q-2", "TYG-003", "2026-04-01", "not_resolved")])
    rows = fi.disputed(ledger)
    assert rows["id"].tolist() == ["Q-2"]
    assert rows["disputed_on"].tolist() == [pd.Timestamp("2026-04-01")]
    assert rows["waiting_days"].tolist() == [213]
    # The metric still counts both (found 未解决 at least once): the list is what is left to check.
    assert issues_disputed(ledger).value == 2


def test_same_day_checks_tie_broken_by_inspection_id():
    """Two checks on one day: the one with the later inspection id is the latest (as the issue search reads it)."""
    ledger = ledger_of([("Q-1", VILLAGE, "resolved", "2026-01-05")],
                       [("I-2", "Q-1", "TYG-002", "2026-02-01", "not_resolved"),
                        ("I-1", "Q-1", "TYG-001", "2026-02-01", "confirmed")])
    assert fi.disputed(ledger)["id"].tolist() == ["Q-1"]
    assert [c["id"] for c in fi.checks_of(ledger, pd.Series(["Q-1"]))["Q-1"]] == ["I-1", "I-2"]


def test_issue_at_county_in_no_township_list():
    ledger = ledger_of([("Q-1", COUNTY, "resolved", "2026-01-05"), ("Q-2", STREET, "resolved", "2026-01-05")])
    assert fi.uninspected(ledger)[["id", "town"]].values.tolist() == [["Q-2", STREET]]
    counts = fi.town_counts(ledger)
    assert list(counts) == [TOWN, STREET]
    assert counts[TOWN] == fi.TownCounts(0, 0, 0, 0, None, None)
    assert counts[STREET] == fi.TownCounts(1, 0, 1, 0, 299, None)


def test_officers_by_town_lists_only_officers_who_checked_there():
    ledger = ledger_of([("Q-1", VILLAGE, "resolved", "2026-01-05"), ("Q-2", STREET, "resolved", "2026-01-05")],
                       [("I-1", "Q-1", "TYG-009", "2026-02-01", "confirmed"),
                        ("I-2", "Q-1", "TYG-001", "2026-02-02", "confirmed"),
                        ("I-3", "Q-2", "TYG-005", "2026-02-03", "partly")])
    assert fi.officers_by_town(ledger) == {TOWN: ["TYG-001", "TYG-009"], STREET: ["TYG-005"]}


STATUSES = st.sampled_from(["registered", "assigned", "resolved", "evaluated", "archived", "withdrawn"])
DATES = st.dates(min_value=pd.Timestamp("2024-01-01").date(), max_value=AS_OF.date())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([COUNTY, TOWN, VILLAGE, STREET]), STATUSES, DATES), max_size=25),
       st.lists(st.tuples(st.integers(0, 24), st.sampled_from(["TYG-001", "TYG-002"]), DATES,
                          st.sampled_from(["confirmed", "partly", "not_resolved"])), max_size=25))
def test_every_done_issue_in_a_township_is_inspected_or_waiting(issues, checks):
    rows = [(f"Q-{n:03d}", region, status, str(when)) for n, (region, status, when) in enumerate(issues)]
    inspections = [(f"I-{n:03d}", rows[k][0], officer, str(when), verdict)
                   for n, (k, officer, when, verdict) in enumerate(checks) if k < len(rows)]
    ledger = ledger_of(rows, inspections)
    waiting, still = fi.uninspected(ledger), fi.disputed(ledger)
    inspected = {c[1] for c in inspections}
    in_town = [r for r in rows if r[1] != COUNTY and r[2] in ("resolved", "evaluated", "archived")]
    assert sorted(waiting["id"]) == sorted(r[0] for r in in_town if r[0] not in inspected)
    assert set(still["id"]) <= inspected
    latest = {}
    for c in sorted(inspections, key=lambda c: (c[3], c[0])):
        latest[c[1]] = c[4]
    assert sorted(still["id"]) == sorted(i for i, v in latest.items() if v == "not_resolved"
                                         and dict((r[0], r[1]) for r in rows)[i] != COUNTY)
    days = waiting["waiting_days"].tolist()
    assert days == sorted(days, reverse=True)
    counts = fi.town_counts(ledger, waiting, still)
    for town, c in counts.items():
        assert c.resolved == c.inspected + c.uninspected
        assert c.uninspected == int(waiting["town"].eq(town).sum())


# --- the small demo, read row by row --------------------------------------------------------------

def test_demo_lists_match_a_row_by_row_reading(demo_ledger):
    issues, inspections = demo_ledger.issues, demo_ledger.inspections
    inspected = set(inspections["issue_id"])
    town = fi.town_of(demo_ledger)
    expected = sorted(((r, i) for i, r, done, region in zip(issues["id"], issues["resolved_on"], issues["done"],
                                                            issues["region_code"])
                       if done and i not in inspected and region in town), key=lambda p: (p[0], p[1]))
    assert fi.uninspected(demo_ledger)["id"].tolist() == [i for _, i in expected]
    assert len(expected) > 100
    latest = {}
    for rec in inspections.sort_values(["inspected_on", "id"]).itertuples():
        latest[rec.issue_id] = rec.verdict
    assert sorted(fi.disputed(demo_ledger)["id"]) == sorted(i for i, v in latest.items() if v == "not_resolved")


# --- the rendered page and documents --------------------------------------------------------------

def test_officers_section_is_rendered_by_the_build():
    assert "pipeline.render.officers" in SECTIONS


def test_uninspected_chunks_cut_list_oldest_first(demo_ledger, monkeypatch):
    """Chunks hold the township's list in order, cut where its ids' hashes say, each named by its first id's
    hash and with the waiting days the script filters on."""
    monkeypatch.setattr(officers, "CHUNK", 10)
    files = officers.render_section(demo_ledger, {}).files
    waiting = fi.uninspected(demo_ledger)
    for town in fi.towns(demo_ledger):
        index = json.loads(files[f"api/v1/officers/{town}/index.json"])
        mine = waiting.loc[waiting["town"].eq(town), "id"]
        hashes = officers.id_hashes(mine)
        bounds = officers.chunk_bounds(hashes, 10)
        chunks = index["uninspected"]["chunks"]
        assert [c["file"] for c in chunks] == [f"{name}.json" for name in officers.chunk_names(hashes, bounds[:-1])]
        assert [c["count"] for c in chunks] == np.diff(bounds).tolist()
        listed = []
        for chunk in chunks:
            document = json.loads(files[f"api/v1/officers/{town}/{chunk['file']}"])
            issues = document["issues"]
            assert (document["town"], document["chunk"]) == (town, chunk["file"].removesuffix(".json"))
            assert chunk["count"] == len(issues) <= 30
            assert (chunk["most_days"], chunk["least_days"]) == (issues[0]["days"], issues[-1]["days"])
            listed += [i["id"] for i in issues]
        assert listed == mine.tolist()
        assert index["uninspected"]["total"] == len(listed)
        assert [d["id"] for d in index["disputed"]] == fi.disputed(demo_ledger).query("town == @town")["id"].tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, (1 << 64) - 1), max_size=400), st.integers(1, 40))
def test_chunk_bounds_cut_the_whole_list_within_the_sizes_at_low_hashes_or_the_largest(hashes, target):
    """Chunks cover the list in order; each but the last holds at least a quarter of the target and none
    more than three times it; a chunk ends after a hash divisible by the target or at the largest size."""
    hashes = np.array(hashes, dtype=np.uint64)
    bounds = officers.chunk_bounds(hashes, target)
    smallest, largest = max(1, target // 4), 3 * target
    assert bounds[0] == 0 and bounds[-1] == len(hashes)
    sizes = np.diff(bounds)
    assert (sizes > 0).all() and (sizes <= largest).all() and (sizes[:-1] >= smallest).all()
    for start, end in zip(bounds[:-1], bounds[1:-1]):
        assert hashes[end - 1] % np.uint64(target) == 0 or end - start == largest
    assert bounds == officers.chunk_bounds(hashes.copy(), target)


def test_one_issue_resolved_or_inspected_changes_one_chunk_or_two():
    """Where the chunks of 10,000 ids (as the demo writes them) end does not move with one issue: 200 edits
    at random places (every other one an id inserted, as a newly resolved issue enters the list; the others
    an id removed, as an inspected one leaves it) each change one chunk (164) or two (36), never more.
    Cut every CHUNK issues, each edit had changed every later chunk."""
    ids = [f"Q-2026-{n:06d}" for n in range(0, 20_000, 2)]
    rng = np.random.default_rng(7)

    def chunks(listed: list[str]) -> list[tuple[str, ...]]:
        bounds = officers.chunk_bounds(officers.id_hashes(pd.Series(listed)), 200)
        return [tuple(listed[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]

    before = set(chunks(ids))
    assert len(before) == 43
    changed = []
    for k in range(200):
        n = int(rng.integers(0, len(ids)))
        edited = ids[:n] + ids[n + 1:] if k % 2 else ids[:n] + [f"Q-2026-{2 * n + 1:06d}"] + ids[n:]
        changed.append(len(set(chunks(edited)) - before))
    assert np.bincount(changed).tolist() == [0, 164, 36]


def test_a_chunk_whose_first_id_hashes_as_an_earlier_one_s_takes_its_number():
    hashes = np.array([0xAB, 1, 0xAB, 2, 0xAB], dtype=np.uint64)
    assert officers.chunk_names(hashes, [0, 1, 2, 4]) == ["00000000000000ab", "0000000000000001",
                                                          "00000000000000ab-2", "00000000000000ab-3"]


def test_id_hashes_are_fixed():
    """The chunks' bounds and names come from these values: the same ids give the same files on any run."""
    assert [f"{h:016x}" for h in officers.id_hashes(pd.Series(["Q-2026-000001", "问题-1"]))] == [
        "542c22e538b056fc", "66c200f13f795e9f"]


def test_page_lists_every_township_without_javascript(demo_ledger):
    page = officers.render_section(demo_ledger, {}).files["officers/index.md"]
    for town in fi.towns(demo_ledger):
        assert f'<a href="./?town={town}">' in page


@pytest.fixture(scope="module")
def bundled_officers(bundled_demo):
    report, ledger = validate(bundled_demo)
    assert report.valid
    return ledger, officers.render_section(ledger, compute_all(ledger)).files


def test_officers_golden(bundled_officers):
    ledger, files = bundled_officers
    check_golden("officers/index.md", files["officers/index.md"])
    still = fi.disputed(ledger)
    town = still["town"].value_counts().index[0]  # the township with the most disputed issues
    check_golden("officers/town/index.json", files[f"api/v1/officers/{town}/index.json"])
    first = json.loads(files[f"api/v1/officers/{town}/index.json"])["uninspected"]["chunks"][0]["file"]
    check_golden("officers/town/first-chunk.json", files[f"api/v1/officers/{town}/{first}"])
    digests = {path: hashlib.sha256(content.encode("utf-8")).hexdigest()
               for path, content in sorted(files.items())}
    check_golden("officers/files.json", json.dumps(digests, indent=1, sort_keys=True) + "\n")


def test_uninspected_is_made_once_a_ledger_and_never_shared_with_a_narrower_one(demo_ledger, monkeypatch):
    from dataclasses import replace

    made = []
    real = fi._uninspected
    monkeypatch.setattr(fi, "_uninspected", lambda ledger: made.append(ledger) or real(ledger))
    ledger = replace(demo_ledger)  # a ledger of its own: the fixture's is shared by other tests
    first = fi.uninspected(ledger)
    first.loc[:, "town"] = "changed by a caller"
    again = fi.uninspected(ledger)
    assert len(made) == 1
    assert "changed by a caller" not in set(again["town"])
    pd.testing.assert_frame_equal(again, real(demo_ledger))

    fewer = ledger.frames["inspections"].iloc[:0]
    narrower = replace(ledger, frames={**ledger.frames, "inspections": fewer})
    assert narrower.tables_made == {}
    assert len(fi.uninspected(narrower)) > len(again)  # nothing inspected: every done issue waits
    assert len(made) == 2


def test_town_counts_made_once_for_the_page_and_its_documents(tiny_ledger, monkeypatch):
    """The officers' page and its documents read one computation of the counts, each caller its own dict."""
    from dataclasses import replace

    from pipeline.render import officers

    ledger = replace(tiny_ledger)  # nothing made yet
    calls = []
    original = fi._town_counts
    monkeypatch.setattr(fi, "_town_counts", lambda *a: calls.append(1) or original(*a))
    list(officers.stream(ledger, {}))
    documents = [f.path for f in officers.data_stream(ledger, {})]
    assert len(calls) == 1
    expected = original(ledger, fi.uninspected(ledger), fi.disputed(ledger))
    first = fi.town_counts(ledger)
    assert first == expected and list(first) == fi.towns(ledger)
    first.clear()  # a caller's change stays its own
    assert fi.town_counts(ledger) == expected and len(calls) == 1
    assert [p for p in documents if p.endswith("/index.json")] == [
        f"{officers.API_DIR}/{town}/index.json" for town in fi.towns(ledger)]
