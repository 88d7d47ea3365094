"""`ledger diff` between two git revisions of a data folder."""

from __future__ import annotations

import shutil
import subprocess

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.diff import diff_tables
from tests.test_validate import edit_cell


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


def test_diff_tables_matches_rows_by_key():
    before = ["id,name\na,1\nb,2\nc,3\n"]
    after = ["id,name\nc,3\nb,20\nd,4\n"]
    changes = diff_tables("t", ["id"], before, after)
    assert (changes.added, changes.removed, changes.changed) == (["d"], ["a"], {"b": ["name"]})


def test_diff_between_revisions(tiny, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(tiny, repo / "data")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    edit_cell(repo / "data", "issues/2026.csv", 2, "title", "村道路灯损坏需要维修")
    edit_cell(repo / "data", "departments.csv", 3, "code", "sthjj")
    git(repo, "commit", "-qam", "head")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD~1", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output == ("departments: +1 新增, ~0 修改, -1 删除\n  + sthjj\n  - zrzyj\n"
                             "issues: +0 新增, ~1 修改, -0 删除\n  ~ Q-001: title\n")
    markdown = CliRunner().invoke(cli, ["diff", "HEAD~1", "HEAD", "--format", "markdown"])
    assert "| issues | 0 | 1 | 0 |" in markdown.output


def test_diff_unknown_revision_is_a_usage_error(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["diff", "nope", "HEAD"])
    assert result.exit_code == 2
    assert "找不到 git 版本 'nope'" in result.output
