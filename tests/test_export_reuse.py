"""Downloads of unchanged data are reused from the cache; any change, or a damaged entry, writes them again."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from pipeline.core.cache import FileCache
from pipeline.export import reuse
from pipeline.export.downloads import written_or_reused
from pipeline.core.package import load


def digests(data: Path) -> dict[str, str]:
    """Each data file's SHA-256, as validation records it while reading the file."""
    package = load(data)
    return {rel: hashlib.sha256((data / rel).read_bytes()).hexdigest() for rel in reuse.data_files(package)}


def files_of(docs: Path) -> dict[str, bytes]:
    return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*")) if p.is_file()}


@pytest.fixture
def data(demo_dir, tmp_path) -> Path:
    shutil.copytree(demo_dir, tmp_path / "data")
    return tmp_path / "data"


def test_the_second_export_of_the_same_data_is_reused_and_identical(data, tmp_path):
    cache = FileCache(tmp_path / "cache")
    first = written_or_reused(load(data), tmp_path / "one", cache, digests(data)).finish()
    second = written_or_reused(load(data), tmp_path / "two", cache, digests(data)).finish()
    assert "reused" not in first.seconds and "reused" in second.seconds
    assert second.downloads == first.downloads and second.sheets == first.sheets
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one")
    assert len(list((tmp_path / "cache" / reuse.FOLDER).iterdir())) == 1


def test_a_changed_byte_in_the_data_writes_the_downloads_again(data, tmp_path):
    cache = FileCache(tmp_path / "cache")
    first = written_or_reused(load(data), tmp_path / "one", cache, digests(data)).finish()
    issues = data / "issues" / "2026.csv"
    issues.write_bytes(issues.read_bytes().replace(b"\n", b" \n", 1))  # a space at the end of the header line
    second = written_or_reused(load(data), tmp_path / "two", cache, digests(data)).finish()
    assert "reused" not in second.seconds
    assert files_of(tmp_path / "two") != files_of(tmp_path / "one")
    assert len(list((tmp_path / "cache" / reuse.FOLDER).iterdir())) == 1  # only the newest entry is kept
    assert {d.path for d in second.downloads} == {d.path for d in first.downloads}


def test_a_damaged_entry_is_not_used(data, tmp_path):
    cache = FileCache(tmp_path / "cache")
    first = written_or_reused(load(data), tmp_path / "one", cache, digests(data)).finish()
    (entry,) = (tmp_path / "cache" / reuse.FOLDER).iterdir()
    stored = entry / "downloads" / "csv" / "regions.csv"
    data_bytes = bytearray(stored.read_bytes())
    data_bytes[-2] ^= 1  # same size, other bytes
    stored.unlink()  # a new file: the first export's hard-linked copy stays intact
    stored.write_bytes(bytes(data_bytes))
    second = written_or_reused(load(data), tmp_path / "two", cache, digests(data)).finish()
    assert "reused" not in second.seconds
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one") and second.downloads == first.downloads


def test_without_a_cache_nothing_is_stored(data, tmp_path):
    exported = written_or_reused(load(data), tmp_path / "one", FileCache(None), digests(data)).finish()
    assert "reused" not in exported.seconds and exported.downloads


def test_the_key_covers_the_data_and_the_export_code_but_not_the_pages(data):
    parts = reuse.fingerprint(load(data), digests(data))
    names = {part.split(" ")[0] for part in parts}
    assert {"export/csv_export.py", "export/reuse.py", "core/dictionary.py", "issues/2026.csv", "regions.csv"} <= names
    assert not any(name.startswith(("render/", "validate/")) for name in names)


# --- the cache cannot replace a download with forged content ---------------------------------------

def forge_row(entry: Path) -> None:
    """Add a row to the stored issues CSV and make the entry's record agree (size and SHA-256), keeping
    whatever comes before the record's JSON, as a forger would."""
    stored = entry / "downloads" / "csv" / "issues.csv"
    forged = stored.read_bytes() + "Q-FORGED,伪造的问题\n".encode("utf-8")
    stored.unlink()  # a new file: the first export's hard-linked copy stays intact
    stored.write_bytes(forged)
    record_file = entry / reuse.RECORD
    raw = record_file.read_bytes()
    start = raw.index(b"{")
    record = json.loads(raw[start:])
    for item in record["downloads"]:
        if item["path"] == "downloads/csv/issues.csv":
            item.update(bytes=len(forged), sha256=hashlib.sha256(forged).hexdigest())
    record_file.write_bytes(raw[:start] + json.dumps(record, ensure_ascii=False).encode("utf-8"))


def test_a_forged_row_in_a_cached_download_is_not_published(data, tmp_path):
    cache = FileCache(tmp_path / "cache")
    first = written_or_reused(load(data), tmp_path / "one", cache, digests(data)).finish()
    (entry,) = (tmp_path / "cache" / reuse.FOLDER).iterdir()
    forge_row(entry)
    second = written_or_reused(load(data), tmp_path / "two", cache, digests(data)).finish()
    assert "reused" not in second.seconds
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one") and second.downloads == first.downloads
    assert "伪造".encode("utf-8") not in (tmp_path / "two" / "downloads" / "csv" / "issues.csv").read_bytes()


def test_a_download_cache_from_another_machine_is_not_used(data, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-a"))
    first = written_or_reused(load(data), tmp_path / "one", FileCache(tmp_path / "cache"), digests(data)).finish()
    (entry,) = (tmp_path / "cache" / reuse.FOLDER).iterdir()
    forge_row(entry)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-b"))
    second = written_or_reused(load(data), tmp_path / "two", FileCache(tmp_path / "cache"), digests(data)).finish()
    assert "reused" not in second.seconds
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one") and second.downloads == first.downloads


@pytest.mark.parametrize("change", [
    lambda r: r.update(sheets=[]),  # a list where a mapping belongs
    lambda r: r.update(downloads={"path": "x"}),
    lambda r: r["downloads"][0].update(path="../../outside.csv"),  # a file outside the downloads
    lambda r: r["downloads"][0].update(bytes="12"),
    lambda r: r.pop("sources"),
    lambda r: r.update(sources={}),  # made from other bytes than validation read
    lambda r: r.update(code="0" * 64),  # made by other export code
])
def test_a_download_record_of_another_shape_is_rebuilt(data, tmp_path, change):
    cache = FileCache(tmp_path / "cache")
    validated = digests(data)
    first = written_or_reused(load(data), tmp_path / "one", cache, validated).finish()
    key = reuse.export_key(load(data), validated)
    record_file = cache.folder(key, reuse.FOLDER) / reuse.RECORD
    record = json.loads(cache.read_sealed(record_file, key, reuse.RECORD))
    change(record)
    cache.write_sealed(record_file, key, reuse.RECORD, json.dumps(record).encode("utf-8"))  # sealed here, yet wrong
    second = written_or_reused(load(data), tmp_path / "two", cache, validated).finish()
    assert "reused" not in second.seconds and second.downloads == first.downloads
    assert not (tmp_path / "outside.csv").exists()


def test_the_export_code_is_what_the_writer_imports(data):
    code = reuse.export_code()
    assert {"export/downloads.py", "export/csv_export.py", "export/xlsx_writer.py", "export/ziputil.py",
            "core/dictionary.py", "core/package.py", "core/cache.py"} <= set(code)
    assert not any(name.startswith(("render/", "validate/")) or name == "build.py" for name in code)


def test_the_export_key_leaves_out_a_module_the_writer_imports():
    """The export's cache is keyed by exactly the code of its stage: the writer and every module it imports,
    lazily or not, as an independent reading of the imports finds them (tests/test_layout.py) — nothing
    left out (the writer once imported the build driver, which the key skipped by name) and nothing of
    a later stage (render/, the drivers) in it."""
    from tests.test_layout import PACKAGE, graph

    edges = graph(PACKAGE)
    reached, todo = set(), ["pipeline.export.downloads"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += edges[module]
    files = set()
    for module in reached:
        parts = module.split(".")
        path = PACKAGE.parent.joinpath(*parts)
        files.add((path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).relative_to(PACKAGE).as_posix())
        files.update(f"{'/'.join(parts[1:n])}/__init__.py".lstrip("/") for n in range(1, len(parts)))
    assert set(reuse.export_code()) == files
    assert {name.split("/")[0] for name in files} == {"__init__.py", "core", "export"}
