"""The cache never decides validity: only entries this machine sealed count, and only when they have
the shape their reader expects. Each test is an attack on (or a damaged state of) the cache; the
findings must be exactly those of a run without a cache."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.validate import segments
from pipeline.core import cache as cache_module
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import scan, scan_store, validate
from tests.test_validate import edit_cell

PHONE = "村民13812345678反映"
SEAL_AND_SOME = 100  # a table entry cut short just after its seal


def flat(report):
    return [(f.path, f.row, f.field, f.code, f.message_zh) for f in report.findings]


class RecordingCache(FileCache):
    """A cache that notes the key of every entry it writes (what an attacker can compute too)."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.written: list[tuple[str, str]] = []

    def put_json(self, key, part, value):
        self.written.append((key, part))
        super().put_json(key, part, value)

    def put_table(self, key, part, table):
        self.written.append((key, part))
        super().put_table(key, part, table)

    def keys(self, part: str) -> list[str]:
        return sorted({key for key, written in self.written if written == part})


def on_machine(monkeypatch, folder: Path) -> None:
    """Run as another machine (user): its own user cache folder, so its own secret."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))


def forge_json_file(path: Path, change) -> None:
    """Edit the JSON in an entry file, keeping whatever comes before it (as a forger would)."""
    raw = path.read_bytes()
    start = raw.index(b"{")
    value = json.loads(raw[start:])
    change(value)
    path.write_bytes(raw[:start] + json.dumps(value, ensure_ascii=False).encode("utf-8"))


def segment_keys(folder: Path, rel: str, resource: str) -> list[str]:
    """The cache keys of a file's segments, computed as anyone can from the bytes and the schema."""
    package = load(folder)
    salt = scan.resource_salt(package, resource)
    return [scan.segment_key(salt, s) for s in segments.cut((folder / rel).read_bytes()).segments]


@pytest.fixture
def phone_in_a_title(tiny: Path) -> Path:
    """The tiny package with a mobile number in an issue's title: validation must report it."""
    edit_cell(tiny, "issues/2026.csv", 4, "title", PHONE)
    return tiny


# --- defect 1: a cache from elsewhere, or a forged entry, decides nothing -------------------------

def test_a_forged_segment_entry_does_not_hide_a_phone_number(phone_in_a_title, tmp_path):
    cache_dir = tmp_path / "cache"
    assert [f.code for f in validate(phone_in_a_title, cache=FileCache(cache_dir))[0].findings] == ["pii-mobile"]
    forged = 0
    for path in cache_dir.rglob("*.segment.json"):
        if b"pii" in path.read_bytes() or b"mobile" in path.read_bytes():
            forge_json_file(path, lambda value: value.update(personal=[]))  # "no findings here"
            forged += 1
    assert forged == 1
    report, _ = validate(phone_in_a_title, cache=FileCache(cache_dir))
    assert [(f.path, f.row, f.field, f.code) for f in report.findings] == [("issues/2026.csv", 4, "title", "pii-mobile")]
    assert flat(report) == flat(validate(phone_in_a_title)[0])


def test_a_cache_made_with_another_secret_does_not_hide_a_phone_number(phone_in_a_title, tmp_path, monkeypatch):
    cache_dir = tmp_path / "committed-cache"
    on_machine(monkeypatch, tmp_path / "attacker")
    attacker = FileCache(cache_dir)
    validate(phone_in_a_title, cache=attacker)
    for key in segment_keys(phone_in_a_title, "issues/2026.csv", "issues"):  # re-sealed by the attacker's machine
        stored = attacker.get_json(key, "segment.json")
        if stored and stored["personal"]:
            attacker.put_json(key, "segment.json", {**stored, "personal": []})
    assert validate(phone_in_a_title, cache=FileCache(cache_dir))[0].valid  # fooled: it is the attacker's own cache
    on_machine(monkeypatch, tmp_path / "reviewer")
    report, _ = validate(phone_in_a_title, cache=FileCache(cache_dir))
    assert [(f.path, f.row, f.field, f.code) for f in report.findings] == [("issues/2026.csv", 4, "title", "pii-mobile")]


def test_the_secret_is_private_and_outside_the_repository(tmp_path, monkeypatch):
    on_machine(monkeypatch, tmp_path / "home-cache")
    monkeypatch.delenv("LEDGER_CACHE_DIR")
    cache = FileCache.from_env()
    assert cache.root == tmp_path / "home-cache" / "sunshine-ledger" / "cache"
    key_file = cache_module.user_cache_dir() / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.stat().st_size == 32
    assert cache.secret == key_file.read_bytes() == cache_module.machine_secret()
    monkeypatch.setenv("LEDGER_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert FileCache.from_env().root == tmp_path / "elsewhere"


def test_a_secret_others_can_read_is_replaced(tmp_path, monkeypatch):
    on_machine(monkeypatch, tmp_path / "home-cache")
    first = cache_module.machine_secret()
    key_file = cache_module.user_cache_dir() / "secret.key"
    key_file.chmod(0o644)
    second = cache_module.machine_secret()
    assert second != first and stat.S_IMODE(key_file.stat().st_mode) == 0o600


# --- defect 4: an entry of the wrong shape is rebuilt, never a traceback --------------------------

@pytest.fixture
def recorded(phone_in_a_title, tmp_path):
    """A cache after one run, with the keys it wrote, and the findings of a run without a cache."""
    cache = RecordingCache(tmp_path / "cache")
    expected = flat(validate(phone_in_a_title)[0])
    assert flat(validate(phone_in_a_title, cache=cache)[0]) == expected
    return cache, expected


def test_a_segment_record_of_another_shape_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for value in ["digests", 7, [], {"records": "3", "errors": [], "blank": [], "personal": [], "digests": {}},
                  {"records": 3, "errors": {"a": 1}}]:
        for key in cache.keys("segment.json"):
            cache.put_json(key, "segment.json", value)
        assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected, value


def test_a_segment_record_with_wrong_cells_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for key in cache.keys("segment.json"):
        stored = cache.get_json(key, "segment.json")
        stored["errors"] = [{"type": "type-error", "rowNumber": 0, "fieldName": "no-such-field"}]
        stored["personal"] = [["title", 0, "no-such-kind", "138****5678"]]
        cache.put_json(key, "segment.json", stored)
    assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected


def test_a_typed_table_with_other_columns_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for key in cache.keys("typed.arrow"):
        table = cache.get_table(key, "typed.arrow")
        as_text = pa.table({name: pa.array([None] * table.num_rows, type=pa.string()) for name in table.column_names})
        cache.put_table(key, "typed.arrow", as_text)  # the same names, every column of another type
    report, ledger = validate(phone_in_a_title, cache=FileCache(cache.root))
    assert flat(report) == expected
    assert str(ledger.issues["raised_on"].dtype).startswith("datetime64")
    for key in cache.keys("typed.arrow"):
        table = cache.get_table(key, "typed.arrow")
        cache.put_table(key, "typed.arrow", table.append_column("extra", pa.array([1] * table.num_rows)))
    assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected


def test_a_stat_record_of_another_shape_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for value in [[], "cut", {"header": [0, 10], "segments": "x", "sha256": "0" * 64, "times": [0, 9]},
                  {"written_ns": "9", "mtime_ns": 0}]:
        for key in cache.keys("cut.json"):
            cache.put_json(key, "cut.json", value)
        assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected, value


def test_a_stage_result_of_another_shape_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for value in [[], {"issues": "x"}, {"nowhere": []}, [{"code": "pii-mobile"}], [{"path": 1}],
                  {"issues": [{"type": "unique-error", "rowNumber": "2"}]}]:
        for key in cache.keys("stage.json"):
            cache.put_json(key, "stage.json", value)
        assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected, value


def test_a_truncated_entry_is_rebuilt(phone_in_a_title, recorded):
    cache, expected = recorded
    for path in cache.root.rglob("*.*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert flat(validate(phone_in_a_title, cache=FileCache(cache.root))[0]) == expected


# --- the shape checks themselves: any JSON at all is accepted or refused, never a traceback ----------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**40) | st.text(max_size=8)
    | st.sampled_from(["title", "type-error", "mobile", "issues", "0" * 64, "pii-mobile", "error"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["records", "errors", "blank", "personal", "digests", "schema", "keys", "header", "segments",
                         "sha256", "times", "type", "rowNumber", "fieldName", "downloads", "sheets", "sources",
                         "code", "path", "issues"]) | st.text(max_size=4), inner, max_size=6),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_a_stored_value_of_any_shape_is_judged_without_a_traceback(value):
    from pipeline.export import reuse
    from pipeline.validate import stages

    names, key_names = ["id", "title"], ["id"]
    assert scan_store.segment_shape(value, names, key_names) in (True, False)
    recalled = scan_store.recall_cut(value)
    assert recalled is None or isinstance(recalled[0], segments.Cut)
    assert stages.findings_shape(value) in (True, False)
    assert reuse._record_shape(value) in (True, False)
    assert all(scan_store.error_shape(item, None, names) in (True, False) for item in (value if isinstance(value, list) else [value]))


def test_a_file_changed_before_an_unsound_table_is_worked_on_again_is_reported(tiny, tmp_path, monkeypatch):
    """Stored rows are loaded only when used; if they are unsound then and the file changed meanwhile,
    validation says the file changed (no traceback, no rows of the new bytes)."""
    cache_dir = tmp_path / "cache"
    assert validate(tiny, cache=FileCache(cache_dir))[0].valid
    for path in cache_dir.rglob("*.typed.arrow"):
        path.write_bytes(path.read_bytes()[:SEAL_AND_SOME])
    real = scan.work_files

    def then_edited(*args, **kwargs):
        works = real(*args, **kwargs)
        edit_cell(tiny, "issues/2026.csv", 4, "title", PHONE)
        return works

    monkeypatch.setattr("pipeline.validate.work_files", then_edited)
    report, ledger = validate(tiny, cache=FileCache(cache_dir))
    assert ledger is None and [(f.code, f.path) for f in report.findings] == [("package-error", "issues/2026.csv")]
    assert "文件在校验过程中被修改了" in report.findings[0].message_zh


def test_a_stored_rule_finding_has_the_title_key_and_a_title_of_text():
    """Rule findings are stored as the rules make them (``field_title`` None: the report titles them); an
    entry of the form before titles (cache format 5), or with a title that is not text, is computed again."""
    from pipeline.core import findings as fd
    from pipeline.validate import stages

    item = fd.make("date-order", path="issues/2026.csv", row=2, field="assigned_on", resource="issues",
                   value="2026-01-01", other_field="raised_on", other_value="2026-01-05").to_dict()
    assert item["field_title"] is None and stages.findings_shape([item])
    assert stages.findings_shape([{**item, "field_title": "交办日期"}])
    assert not stages.findings_shape([{key: value for key, value in item.items() if key != "field_title"}])
    assert not stages.findings_shape([{**item, "field_title": ["交办日期"]}])
