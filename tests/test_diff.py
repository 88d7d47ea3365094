"""`ledger diff` between two git revisions of a data folder."""

from __future__ import annotations

import shutil
import subprocess

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.contribute.diff import diff_revisions, diff_tables
from tests.conftest import write_descriptor
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


def test_diff_outside_a_git_repository_says_so(tmp_path, monkeypatch):
    """It had said the revision HEAD could not be found."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repository above tmp_path either
    result = CliRunner().invoke(cli, ["diff", "HEAD"])
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: {tmp_path} 不在 git 仓库中：请在仓库的文件夹里运行 ledger diff（not a git repository）\n")


# --- One revision: that revision against the working tree (files on disk, committed or not) ---------

def committed_tiny(tiny, tmp_path):
    """A git repository whose one commit holds the tiny package in data/."""
    repo = tmp_path / "repo"
    shutil.copytree(tiny, repo / "data")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def import_rows_without_committing(repo):
    """What `ledger import` leaves before the clerk commits: a row appended to a tracked file,
    one cell edited, and a new year's file the descriptor names but git does not track yet."""
    data = repo / "data"
    path = data / "issues" / "2026.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header, q001 = lines[0], lines[1]
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(q001.replace("Q-001", "Q-101", 1))
    edit_cell(data, "issues/2026.csv", 3, "title", "河道垃圾已清理")
    (data / "issues" / "2027.csv").write_text(header + q001.replace("Q-001", "Q-201", 1), encoding="utf-8")
    write_descriptor(data, "2026-04-30", ["issues/2026.csv", "issues/2027.csv"])


def test_diff_head_after_import_shows_uncommitted_rows(tiny, tmp_path, monkeypatch):
    repo = committed_tiny(tiny, tmp_path)
    import_rows_without_committing(repo)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output == "issues: +2 新增, ~1 修改, -0 删除\n  + Q-101\n  + Q-201\n  ~ Q-002: title\n"
    markdown = CliRunner().invoke(cli, ["diff", "HEAD", "--format", "markdown"])
    assert markdown.output == ("### 数据变化 / Data changes\n\n| 资源 | 新增 | 修改 | 删除 |\n|---|---|---|---|\n"
                               "| issues | 2 | 1 | 0 |\n")


def test_diff_head_on_a_clean_working_tree_shows_no_change(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(committed_tiny(tiny, tmp_path))
    result = CliRunner().invoke(cli, ["diff", "HEAD"])
    assert (result.exit_code, result.output) == (0, "数据没有变化。No data changes.\n")


def test_diff_two_revisions_ignore_the_working_tree(tiny, tmp_path, monkeypatch):
    repo = committed_tiny(tiny, tmp_path)
    edit_cell(repo / "data", "departments.csv", 3, "code", "sthjj")
    git(repo, "commit", "-qam", "head")
    import_rows_without_committing(repo)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD~1", "HEAD"])
    assert (result.exit_code, result.output) == (0, "departments: +1 新增, ~0 修改, -1 删除\n  + sthjj\n  - zrzyj\n")
    assert diff_revisions(repo, "HEAD", "HEAD") == diff_revisions(repo, "HEAD~1", "HEAD~1")


def test_diff_working_tree_path_outside_the_data_folder_is_refused(tiny, tmp_path, monkeypatch):
    repo = committed_tiny(tiny, tmp_path)
    (repo / "secret.csv").write_text("id\nx\n", encoding="utf-8")
    write_descriptor(repo / "data", "2026-04-30", ["../secret.csv"])
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD"])
    assert result.exit_code == 2
    assert ("工作区的 data/datapackage.json 中资源 issues 的路径 '../secret.csv' 不能包含“..”，请先运行 ledger validate"
            in result.output)
    assert "Traceback" not in result.output


def test_diff_without_a_descriptor_in_the_working_tree_is_a_usage_error(tiny, tmp_path, monkeypatch):
    repo = committed_tiny(tiny, tmp_path)
    (repo / "data" / "datapackage.json").unlink()
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD"])
    assert result.exit_code == 2
    assert "工作区中没有 data/datapackage.json" in result.output


def test_diff_help_says_one_revision_means_the_working_tree():
    result = CliRunner().invoke(cli, ["diff", "--help"])
    assert result.exit_code == 0
    words = " ".join(result.output.split())  # click wraps the English paragraph to the terminal's width
    assert "只给 BASE 时，比较 BASE 与工作区（磁盘上的文件，包括尚未提交的改动" in words
    assert "with BASE alone, between BASE and the working tree (the files on disk, uncommitted changes included)" in words
    assert "ledger diff HEAD # 导入后、提交前：与上次提交相比" in words
