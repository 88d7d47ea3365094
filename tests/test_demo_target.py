"""`ledger demo --out` writes only where the demo's own output is: a fork's real data is never overwritten."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.demo.manifest import MANIFEST

SMALL = ["--issues", "40", "--seed", "7"]


def run_demo(folder, *extra):
    return CliRunner().invoke(cli, ["demo", "--out", str(folder), *SMALL, *extra])


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_overwrites_a_forks_real_data(tmp_path):
    data = tmp_path / "data"
    (data / "issues").mkdir(parents=True)
    (data / "regions.csv").write_text("code,name\n330782000000,义乌市\n", encoding="utf-8")
    (data / "issues" / "2026.csv").write_text("id,title\nQ-1,真实问题\n", encoding="utf-8")
    before = snapshot(data)
    result = run_demo(data)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {data} 中有不是 ledger demo 写出的文件，或写出后被改动过（issues/2026.csv、regions.csv）："
        "为免覆盖真实数据，没有写出任何文件。请换一个空文件夹作为 --out。"
        f" Refused: {data} holds files the demo did not write; nothing was written.\n")
    assert snapshot(data) == before


def test_demo_overwrites_a_demo_file_that_was_edited(tmp_path):
    data = tmp_path / "data"
    assert run_demo(data).exit_code == 0
    with (data / "departments.csv").open("a", encoding="utf-8") as handle:
        handle.write("abc,真实部门,,\n")
    before = snapshot(data)
    result = run_demo(data)
    assert result.exit_code == 2
    assert "（departments.csv）" in result.output
    assert snapshot(data) == before


def test_demo_overwrites_a_forks_data_that_kept_the_demo_manifest(tmp_path):
    data = tmp_path / "data"
    assert run_demo(data).exit_code == 0
    (data / "claims.csv").write_text("id\nR-1\n", encoding="utf-8")  # the office replaced a file, kept the rest
    result = run_demo(data)
    assert result.exit_code == 2
    assert (data / "claims.csv").read_text(encoding="utf-8") == "id\nR-1\n"


def test_demo_writes_into_a_missing_or_empty_folder_and_again_over_its_own_output(tmp_path):
    fresh, empty = tmp_path / "fresh", tmp_path / "empty"
    empty.mkdir()
    assert run_demo(fresh).exit_code == 0
    assert run_demo(empty).exit_code == 0
    first = snapshot(fresh)
    assert snapshot(empty) == first
    assert run_demo(fresh).exit_code == 0  # regenerating its own, unchanged output
    assert snapshot(fresh) == first
    recorded = json.loads(first[MANIFEST])["files"]
    assert sorted(recorded) == sorted(name for name in first if name != MANIFEST)


def test_demo_overwrites_a_file_given_as_out(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep", encoding="utf-8")
    result = run_demo(target)
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "keep"


def test_demo_manifest_that_is_not_json_protects_nothing(tmp_path):
    data = tmp_path / "data"
    assert run_demo(data).exit_code == 0
    (data / MANIFEST).write_text("{not json", encoding="utf-8")
    result = run_demo(data)
    assert result.exit_code == 2  # every file is now unaccounted for: refused, not trusted
