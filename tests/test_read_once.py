"""Each data file is read once by validation (issue #16): its size and first bytes, its cut and SHA-256,
its header and the work on its records all take the same bytes, and the export makes its checked copy
with one more read. Counted with an audit hook on Python's "open" event (as /work/wt/prompts/count_opens.py
does), so every way of opening a file in Python counts; pyarrow opens a file it is given by name in
C++, without that event, so its CSV reader is counted by hand too."""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.build import BuildConfig, build
from pipeline.cli import cli
from pipeline.core.cache import FileCache
from pipeline.core.package import ResourceFile
import pipeline.core.csv_read as csv_read
from pipeline.validate import validate
from pipeline.validate.segments import cut
from tests.test_validate import edit_cell

_recording: list[tuple[Path, Counter]] = []  # (data folder, opens) while a count runs


def _hook(event: str, args: tuple) -> None:
    if event == "open" and _recording and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _count(args[0])


def _count(name) -> None:
    folder, opens = _recording[-1]
    try:
        path = Path(os.fsdecode(name)).resolve()
    except (OSError, ValueError):
        return
    if path.suffix == ".csv" and folder in path.parents:
        opens[path.relative_to(folder).as_posix()] += 1


_installed: list[bool] = []


@contextmanager
def counted_opens(folder: Path):
    """Every opening of a CSV file under ``folder`` while the block runs: data file → times opened."""
    if not _installed:  # an audit hook cannot be removed: one for the whole run, idle between counts
        sys.addaudithook(_hook)
        _installed.append(True)
    opens: Counter = Counter()
    _recording.append((folder.resolve(), opens))
    read_csv = csv_read.pacsv.read_csv

    def counted_read_csv(source, *args, **kwargs):
        if isinstance(source, (str, os.PathLike)):
            _count(source)
        return read_csv(source, *args, **kwargs)

    csv_read.pacsv.read_csv = counted_read_csv
    try:
        yield opens
    finally:
        csv_read.pacsv.read_csv = read_csv
        _recording.pop()


def age(folder: Path, seconds: float = 60) -> None:
    """Every file last modified ``seconds`` ago: a stat record of a file modified just now is not trusted."""
    then = time.time() - seconds
    for path in folder.rglob("*.csv"):
        os.utime(path, (then, then))


def every_csv(folder: Path, times: int) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): times for p in sorted(folder.rglob("*.csv"))}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    from pipeline.demo.generator import generate

    folder = tmp_path_factory.mktemp("read-once") / "data"
    generate(folder, issues=120, seed=11)
    return folder


@pytest.fixture
def demo_copy(small_demo, tmp_path) -> Path:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(small_demo, folder)
    age(folder)
    return folder


# --- the build ----------------------------------------------------------------------------------

def test_a_cold_build_opens_each_data_file_five_times(demo_copy, tmp_path):
    """Once for validation (file checks, cut, hash, header, records), once for the export's checked copy."""
    with counted_opens(demo_copy) as opens:
        build(BuildConfig(data=demo_copy, out=tmp_path / "public", cache=FileCache(None)))
    assert len(opens) == len(every_csv(demo_copy, 2)) == 18 and "issues/2026.csv" in opens  # 18: with version 2 and burden
    assert dict(opens) == every_csv(demo_copy, 2)


def test_a_cached_rebuild_reads_each_unchanged_data_file_again(demo_copy, tmp_path):
    """With the cut recorded and every segment's work and the downloads stored, only each header is read."""
    cache = FileCache(tmp_path / "cache")
    with counted_opens(demo_copy) as first:
        build(BuildConfig(data=demo_copy, out=tmp_path / "public", cache=cache))
    assert dict(first) == every_csv(demo_copy, 2)  # an empty cache: a cold build
    with counted_opens(demo_copy) as again:
        build(BuildConfig(data=demo_copy, out=tmp_path / "public", cache=cache))
    assert dict(again) == every_csv(demo_copy, 1)


# --- ledger validate ----------------------------------------------------------------------------

def test_validate_opens_each_data_file_four_times(demo_copy):
    with counted_opens(demo_copy) as opens:
        report, ledger = validate(demo_copy, cache=FileCache(None))
    assert report.valid and ledger is not None
    assert dict(opens) == every_csv(demo_copy, 1)


def test_ledger_validate_opens_each_data_file_more_than_once(demo_copy, tmp_path, monkeypatch):
    """The command, cold and then with its cache: once each time; an edited file is read once, whole."""
    monkeypatch.setenv("LEDGER_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    for _ in range(2):
        with counted_opens(demo_copy) as opens:
            result = runner.invoke(cli, ["validate", "--data", str(demo_copy)])
        assert result.exit_code == 0, result.output
        assert dict(opens) == every_csv(demo_copy, 1)
    edit_cell(demo_copy, "issues/2026.csv", 3, "title", "村道路灯损坏需要维修（改过）")
    with counted_opens(demo_copy) as opens:
        result = runner.invoke(cli, ["validate", "--data", str(demo_copy)])
    assert result.exit_code == 0, result.output
    assert dict(opens) == every_csv(demo_copy, 1)


# --- the bytes read ---------------------------------------------------------------------------

def file_of(path: Path) -> ResourceFile:
    return ResourceFile("claims", path.name, path)


def test_a_head_read_of_a_file_with_a_bom_misses_its_bytes(tmp_path):
    """Only a file whose records need no reading is read up to its header; one with a byte-order mark
    (never recorded: it stops validation) is read whole from the same open file, to check its bytes."""
    from pipeline.validate.files import FileBytes

    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_bytes(b"id,title\nC-1,\xe6\xb5\x8b\n")
    bom.write_bytes(codecs.BOM_UTF8 + b"id,title\nC-1,\xff\n")
    held = FileBytes(lambda file: 9)
    assert held.read(file_of(plain)) == b"id,title\n" and not held.whole(file_of(plain))
    assert held.read(file_of(bom)) == bom.read_bytes() and held.whole(file_of(bom))
    whole = FileBytes()
    assert whole.read(file_of(plain)) == plain.read_bytes() and whole.whole(file_of(plain))
    held.forget()
    assert not held.whole(file_of(plain))


cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=4),
       st.sampled_from(["\n", "\r\n"]))
def test_a_header_read_from_bytes_differs_from_the_file(rows, terminator):
    """The header taken from the bytes already read — whole, or only up to where the cut says the
    header ends — is the header the csv module reads from the file."""
    from pipeline.validate.structural import _read_header

    text = io.StringIO(newline="")
    csv.writer(text, lineterminator=terminator).writerows(rows)
    data = text.getvalue().encode("utf-8")
    expected = next(csv.reader(io.StringIO(data.decode("utf-8"), newline="")), [])
    assert _read_header(data) == expected
    header_end = cut(data).header[1]
    if header_end:
        assert _read_header(data[:header_end]) == expected
