"""The per-file checksum cache: same findings with and without it, reused when nothing changed."""

from __future__ import annotations

from pipeline.cache import FileCache, file_key
from pipeline.validate import validate
from tests.test_validate import edit_cell


def flat(report):
    return [(f.path, f.row, f.field, f.code, f.message_zh) for f in report.findings]


def entries(cache_dir):
    return sorted(p.name.split(".", 1)[1] for p in cache_dir.rglob("*") if p.is_file())


def test_cached_run_gives_the_same_findings_and_ledger(tiny, tmp_path):
    edit_cell(tiny, "issues/2026.csv", 3, "raised_on", "2026/3/3")
    edit_cell(tiny, "meetings.csv", 2, "departments", "jtj;nope")
    cache = FileCache(tmp_path / "cache")
    cold, cold_ledger = validate(tiny, cache=cache)
    warm, warm_ledger = validate(tiny, cache=cache)
    plain, _ = validate(tiny)
    assert flat(cold) == flat(warm) == flat(plain) != []
    for name, frame in cold_ledger.frames.items():
        assert frame.equals(warm_ledger.frames[name]), name


def test_every_file_gets_entries_and_a_changed_file_gets_new_ones(tiny, tmp_path):
    cache_dir = tmp_path / "cache"
    validate(tiny, cache=FileCache(cache_dir))
    files = len(list(tiny.rglob("*.csv")))
    assert entries(cache_dir).count("local.json") == files
    assert entries(cache_dir).count("typed.arrow") == files
    edit_cell(tiny, "issues/2026.csv", 2, "title", "村道路灯损坏需要维修")
    report, _ = validate(tiny, cache=FileCache(cache_dir))
    assert report.valid
    assert entries(cache_dir).count("local.json") == files + 1


def test_a_changed_row_is_checked_again(tiny, tmp_path):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache)[0].valid
    edit_cell(tiny, "issues/2026.csv", 4, "title", "村民13812345678反映")
    assert [f.code for f in validate(tiny, cache=cache)[0].findings] == ["pii-mobile"]


def test_key_depends_on_bytes_and_schema(tiny):
    path = tiny / "departments.csv"
    schema = {"fields": [{"name": "code"}]}
    first = file_key(path, schema)
    assert file_key(path, {"fields": [{"name": "code", "type": "string"}]}) != first
    path.write_text(path.read_text(encoding="utf-8") + "x,y,z\n", encoding="utf-8")
    assert file_key(path, schema) != first


def test_unreadable_entry_is_ignored(tiny, tmp_path):
    cache_dir = tmp_path / "cache"
    validate(tiny, cache=FileCache(cache_dir))
    for entry in cache_dir.rglob("*.arrow"):
        entry.write_bytes(b"broken")
    report, ledger = validate(tiny, cache=FileCache(cache_dir))
    assert report.valid and len(ledger.issues) == 8
