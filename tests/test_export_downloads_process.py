"""The downloads are written by a process of their own (pipeline/export/downloads_process.py).

It must write the files the build's own process would have written, say clearly when it fails,
and be stopped when a later stage of the build fails.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

import pipeline.build as build_module
from pipeline.build import SITE_MARKER, SITE_MARKER_TEXT, BuildConfig, build
from pipeline.core.child import how_it_ended
from pipeline.core.errors import BuildError
from pipeline.core.package import load
from pipeline.export import tables, xlsx_export
from pipeline.export.downloads import checked_copies, start_downloads, write_downloads
from pipeline.export.downloads_process import DownloadsProcess, exported_downloads


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_process_writes_the_files_this_process_would(tiny, tmp_path):
    package = load(tiny)
    here = write_downloads(package, tmp_path / "here")
    apart = start_downloads(package, tmp_path / "apart").finish()
    assert files_of(tmp_path / "apart") == files_of(tmp_path / "here")
    assert apart.downloads == here.downloads and apart.sheets == here.sheets and apart.folder == here.folder
    assert not list((tmp_path / "apart").rglob("*.tmp"))
    (database,) = [d for d in apart.downloads if d.format == "sqlite"]
    rows = sqlite3.connect(tmp_path / "apart" / database.path).execute("SELECT count(*) FROM issues").fetchone()[0]
    assert rows == sum(1 for _ in (tiny / "issues" / "2026.csv").open(encoding="utf-8")) - 1


def test_the_process_takes_the_callers_block_sizes(tiny, tmp_path, monkeypatch):
    """Small blocks in this process are small blocks in the downloads' process too: a test that makes
    them small tests the process as well (the files are the same either way)."""
    package = load(tiny)
    monkeypatch.setattr(tables, "BLOCK_ROWS", 3)
    monkeypatch.setattr(xlsx_export, "CHUNK_ROWS", 2)
    process = DownloadsProcess(checked_copies(package, tmp_path / "docs" / "downloads", None), tmp_path / "docs", None)
    assert process.process.args[-1] == "pipeline.export.downloads"
    written = process.wait()
    assert written["sheets"] == write_downloads(package, tmp_path / "here").sheets
    assert files_of(tmp_path / "docs") == files_of(tmp_path / "here")
    assert {d.format for d in exported_downloads(written)} == {"descriptor", "source", "zip", "xlsx", "sqlite",
                                                               "csv", "csv-excel", "json", "parquet"}


def test_a_failing_process_stops_the_export_with_its_reason(tiny, tmp_path):
    package = load(tiny)
    moved = tmp_path / "data"
    shutil.copytree(tiny, moved)
    (moved / "regions.csv").unlink()  # the process cannot read a file the export copied
    apart = DownloadsProcess(dataclasses.replace(package, root=moved), tmp_path / "docs", None)
    with pytest.raises(BuildError) as info:
        apart.wait()
    assert str(info.value).startswith("生成下载文件失败（退出码 1）。 Writing the downloads failed (exit status 1): ")
    assert "regions.csv" in str(info.value)
    assert not list((tmp_path / "docs" / "downloads").glob("*.db"))


def test_a_process_killed_for_want_of_memory_is_named(tiny, tmp_path):
    """The kernel's out-of-memory killer sends SIGKILL and the process writes nothing more: the signal is
    all the build can say, and it says it."""
    apart = DownloadsProcess(load(tiny), tmp_path / "docs", None)
    apart.process.kill()
    with pytest.raises(BuildError) as info:
        apart.wait()
    assert str(info.value) == ("生成下载文件失败（被信号 SIGKILL 终止，常因内存不足）。 Writing the downloads failed "
                               "(killed by SIGKILL, often for want of memory): ")


@pytest.mark.parametrize("returncode, said", [
    (1, ("（退出码 1）", "(exit status 1)")),
    (-signal.SIGABRT, ("（被信号 SIGABRT 终止）", "(killed by SIGABRT)")),
    (-signal.SIGKILL, ("（被信号 SIGKILL 终止，常因内存不足）", "(killed by SIGKILL, often for want of memory)")),
    (-200, ("（被信号 signal 200 终止）", "(killed by signal 200)"))])
def test_how_a_child_ended_is_said(returncode, said):
    assert how_it_ended(returncode) == said


def test_an_aborted_export_stops_the_process(tiny, tmp_path):
    pending = start_downloads(load(tiny), tmp_path / "docs")
    process = pending._process.process
    pending.abort()
    assert process.returncode is not None  # ended (killed, or done before the kill)
    pending.abort()  # twice is harmless


def test_finish_waits_for_the_process_and_describes_every_file(tiny, tmp_path):
    pending = start_downloads(load(tiny), tmp_path / "docs")
    first = pending.finish()
    assert pending.finish() is first
    (database,) = [d for d in first.downloads if d.format == "sqlite"]
    assert database.bytes == (tmp_path / "docs" / database.path).stat().st_size > 0
    assert {"copy", "waiting for the downloads", "process", "sqlite", "xlsx", "zip", "checksums"} <= set(first.seconds)


def test_a_render_that_fails_stops_the_downloads_process_and_keeps_the_old_site(tiny, tmp_path, monkeypatch):
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("previous", encoding="utf-8")
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")
    started: list = []
    real_export = build_module.export_downloads

    def export_downloads(*args, **kwargs):
        pending = real_export(*args, **kwargs)
        started.append(pending)
        return pending

    def render_all(*args, **kwargs):
        raise BuildError("a section failed")

    monkeypatch.setattr(build_module, "export_downloads", export_downloads)
    monkeypatch.setattr(build_module, "render_all", render_all)
    with pytest.raises(BuildError, match="a section failed"):
        build(BuildConfig(data=tiny, out=out))
    (pending,) = started
    assert pending._process.process.returncode is not None
    assert (out / "index.html").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public.")] == []


def test_a_pipeline_folder_where_the_build_runs_does_not_stand_in_for_the_code(tiny, tmp_path, monkeypatch):
    """`python -m` looks in the working folder first: the process starts where this package is, and the
    package's (relative) folder is still found."""
    decoy = tmp_path / "office"
    (decoy / "pipeline" / "export").mkdir(parents=True)
    for init in ("pipeline/__init__.py", "pipeline/export/__init__.py"):
        (decoy / init).write_text("raise SystemExit('the wrong pipeline was imported')\n", encoding="utf-8")
    (decoy / "pipeline" / "export" / "downloads.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    monkeypatch.chdir(decoy)
    package = dataclasses.replace(load(tiny), root=Path(os.path.relpath(tiny, decoy)))
    copies = checked_copies(package, Path("docs") / "downloads", None)
    written = DownloadsProcess(copies, Path("docs"), None).wait()
    (database,) = [d for d in exported_downloads(written) if d.format == "sqlite"]
    assert sqlite3.connect(decoy / "docs" / database.path).execute("SELECT count(*) FROM regions").fetchone()[0] > 0
