"""The checksum cache: same findings with and without it; only changed segments are worked on again;
an unchanged file is recognised by its stat record, a changed or too-recent one is read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.validate import segments
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import scan, validate
from tests.test_validate import edit_cell


def flat(report):
    return [(f.path, f.row, f.field, f.code, f.message_zh) for f in report.findings]


def entries(cache_dir, part):
    return sorted(p.name.split(".", 1)[0] for p in cache_dir.rglob(f"*.{part}"))


@pytest.fixture
def small_segments(monkeypatch):
    """Cut after every record (at most 3 records a segment): the tiny files get several segments."""
    monkeypatch.setattr(segments, "CUT_MASK", 0)
    monkeypatch.setattr(segments, "MAX_RECORDS", 3)


def age(folder: Path, seconds: float = 60) -> None:
    """Make every file look last modified ``seconds`` ago (a stat record of a fresh file is not trusted)."""
    then = time.time() - seconds
    for path in folder.rglob("*.csv"):
        os.utime(path, (then, then))


def test_cached_run_gives_the_same_findings_and_ledger(tiny, tmp_path, small_segments):
    edit_cell(tiny, "issues/2026.csv", 3, "raised_on", "2026/3/3")
    edit_cell(tiny, "meetings.csv", 2, "departments", "jtj;nope")
    edit_cell(tiny, "issues/2026.csv", 5, "title", "村民13812345678反映")
    cache = FileCache(tmp_path / "cache")
    cold, cold_ledger = validate(tiny, cache=cache)
    warm, warm_ledger = validate(tiny, cache=cache)
    plain, plain_ledger = validate(tiny)
    assert flat(cold) == flat(warm) == flat(plain)
    assert {f.code for f in cold.findings} == {"type-error", "unknown-code", "pii-mobile"}
    for name, frame in cold_ledger.frames.items():
        assert frame.equals(warm_ledger.frames[name]), name
        assert frame.equals(plain_ledger.frames[name]), name


def test_findings_do_not_depend_on_where_files_are_cut(tiny, tmp_path, monkeypatch):
    edit_cell(tiny, "issues/2026.csv", 4, "status", "已办结")
    edit_cell(tiny, "issues/2026.csv", 8, "id", "Q-002")  # a duplicate key across segments
    edit_cell(tiny, "evaluations.csv", 3, "issue_id", "Q-999")
    whole = flat(validate(tiny)[0])
    monkeypatch.setattr(segments, "CUT_MASK", 0)
    monkeypatch.setattr(segments, "MAX_RECORDS", 1)
    assert flat(validate(tiny)[0]) == whole
    assert {f[3] for f in whole} >= {"constraint-error", "unique-error", "foreign-key"}


def test_only_the_changed_segment_is_worked_on_again(tiny, tmp_path, small_segments):
    cache_dir = tmp_path / "cache"
    validate(tiny, cache=FileCache(cache_dir))
    before = set(entries(cache_dir, "segment.json"))
    edit_cell(tiny, "issues/2026.csv", 2, "title", "村道路灯损坏需要维修")
    report, _ = validate(tiny, cache=FileCache(cache_dir))
    assert report.valid
    assert len(set(entries(cache_dir, "segment.json")) - before) == 1


def test_a_changed_row_is_checked_again(tiny, tmp_path):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache)[0].valid
    edit_cell(tiny, "issues/2026.csv", 4, "title", "村民13812345678反映")
    assert [f.code for f in validate(tiny, cache=cache)[0].findings] == ["pii-mobile"]


def test_an_unchanged_file_is_not_read_again(tiny, tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    age(tiny)
    validate(tiny, cache=cache)  # records each file's cut with its stat facts
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    report, ledger = validate(tiny, cache=cache)
    assert report.valid and len(ledger.issues) == 8
    assert read == []
    edit_cell(tiny, "issues/2026.csv", 4, "title", "村民13812345678反映")
    assert [f.code for f in validate(tiny, cache=cache)[0].findings] == ["pii-mobile"]
    assert set(read) == {"2026.csv"}  # cut, then parsed: the page cache serves the second read


def test_a_stat_record_younger_than_its_file_is_not_trusted(tiny, tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    for path in tiny.rglob("*.csv"):
        os.utime(path)  # modified just now: a record written within RACY_NS of that is "racy"
    validate(tiny, cache=cache)
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    validate(tiny, cache=cache)
    assert "2026.csv" in read


def test_segment_key_depends_on_bytes_schema_and_whether_it_holds_the_header(tiny):
    package = load(tiny)
    salt = scan.resource_salt(package, "issues")
    body = segments.Segment(0, 10, "a" * 64)
    assert scan.segment_key(salt, body) != scan.segment_key(salt, segments.Segment(0, 10, "b" * 64))
    assert scan.segment_key(salt, body) != scan.segment_key(scan.resource_salt(package, "meetings"), body)
    assert scan.segment_key(salt, body) != scan.segment_key(salt, segments.Segment(0, 10, "a" * 64, True))
    assert scan.segment_key(salt, body) == scan.segment_key(salt, segments.Segment(5, 15, "a" * 64))


def test_unreadable_entry_is_ignored(tiny, tmp_path):
    cache_dir = tmp_path / "cache"
    validate(tiny, cache=FileCache(cache_dir))
    for entry in cache_dir.rglob("*.arrow"):
        entry.write_bytes(b"broken")
    report, ledger = validate(tiny, cache=FileCache(cache_dir))
    assert report.valid and len(ledger.issues) == 8


def test_a_cached_segment_whose_parts_disagree_is_rebuilt(tiny, tmp_path):
    cache_dir = tmp_path / "cache"
    validate(tiny, cache=FileCache(cache_dir))
    for entry in cache_dir.rglob("*.segment.json"):
        entry.write_text('{"records": 999, "errors": [], "blank": [], "personal": []}', encoding="utf-8")
    report, ledger = validate(tiny, cache=FileCache(cache_dir))
    assert report.valid and len(ledger.issues) == 8
