"""The SQLite download is written by a process of its own (pipeline/export/database_process.py).

It must give the database the build's own thread would have given, say clearly when it fails,
leave no partial file behind, and be stopped when a later stage of the build fails.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import pipeline.build as build_module
from pipeline.build import SITE_MARKER, SITE_MARKER_TEXT, BuildConfig, build
from pipeline.core.errors import BuildError
from pipeline.core.package import load
from pipeline.export.database_process import DatabaseProcess, write_database
from pipeline.export.downloads import start_downloads


def test_the_process_writes_the_database_this_process_would(tiny, tmp_path):
    package = load(tiny)
    write_database(package, tmp_path / "here.db")
    apart = DatabaseProcess(package, tmp_path / "apart.db")
    assert apart.wait() > 0
    assert (tmp_path / "apart.db").read_bytes() == (tmp_path / "here.db").read_bytes()
    assert not (tmp_path / "apart.db.tmp").exists()
    rows = sqlite3.connect(tmp_path / "apart.db").execute("SELECT count(*) FROM issues").fetchone()[0]
    assert rows == sum(1 for _ in (tiny / "issues" / "2026.csv").open(encoding="utf-8")) - 1


def test_a_failing_process_stops_the_export_with_its_reason_and_leaves_no_file(tiny, tmp_path):
    package = load(tiny)
    moved = tmp_path / "data"
    shutil.copytree(tiny, moved)
    (moved / "regions.csv").unlink()  # the process cannot read a file the export copied
    apart = DatabaseProcess(dataclasses.replace(package, root=moved), tmp_path / "apart.db")
    with pytest.raises(BuildError) as info:
        apart.wait()
    assert str(info.value).startswith("生成 SQLite 数据库下载文件失败。 Writing the SQLite download failed: ")
    assert "regions.csv" in str(info.value)
    assert not (tmp_path / "apart.db").exists() and not (tmp_path / "apart.db.tmp").exists()


def test_an_aborted_export_stops_the_process_and_removes_its_file(tiny, tmp_path):
    pending = start_downloads(load(tiny), tmp_path / "docs")
    process = pending._database.process
    pending.abort()
    assert process.returncode is not None  # ended (killed, or done before the kill)
    assert not list((tmp_path / "docs" / "downloads").glob("*.db.tmp"))
    pending.abort()  # twice is harmless


def test_finish_waits_for_the_database_and_describes_it(tiny, tmp_path):
    pending = start_downloads(load(tiny), tmp_path / "docs")
    first = pending.finish()
    assert pending.finish() is first
    (database,) = [d for d in first.downloads if d.format == "sqlite"]
    assert database.bytes == (tmp_path / "docs" / database.path).stat().st_size > 0
    assert "sqlite" in first.seconds and "waiting for the database" in first.seconds


def test_a_render_that_fails_stops_the_database_process_and_keeps_the_old_site(tiny, tmp_path, monkeypatch):
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
    assert pending._database.process.returncode is not None
    assert (out / "index.html").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public.")] == []


def test_a_pipeline_folder_where_the_build_runs_does_not_stand_in_for_the_code(tiny, tmp_path, monkeypatch):
    """`python -m` looks in the working folder first: the process starts where this package is, and the
    package's (relative) folder is still found."""
    decoy = tmp_path / "office"
    (decoy / "pipeline" / "export").mkdir(parents=True)
    for init in ("pipeline/__init__.py", "pipeline/export/__init__.py"):
        (decoy / init).write_text("raise SystemExit('the wrong pipeline was imported')\n", encoding="utf-8")
    (decoy / "pipeline" / "export" / "database_process.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    monkeypatch.chdir(decoy)
    package = dataclasses.replace(load(tiny), root=Path(os.path.relpath(tiny, decoy)))
    apart = DatabaseProcess(package, Path("out.db"))
    apart.wait()
    assert sqlite3.connect(decoy / "out.db").execute("SELECT count(*) FROM regions").fetchone()[0] > 0
