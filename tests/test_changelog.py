"""The data changelog: exact row changes between two data folders or git revisions, and the committed record."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.contribute import changelog
from pipeline.contribute.changelog import (add_release, compare_folders, compare_revisions, dump_releases, load_releases,
                                main, markdown_section, release_entry, row_counts, summarise)
from tests.conftest import REPO
from tests.datafolder import BUNDLED_DEMO, DATA, demo_arguments
from tests.test_validate import edit_cell

TINY_ROWS = {"regions": 6, "departments": 2, "holidays": 0, "deadline_rules": 3, "meetings": 3, "issues": 8,
             "issue_events": 4, "devolved_items": 4, "devolutions": 5, "item_cases": 4, "duty_items": 5,
             "evaluations": 4, "surveys": 2, "inspections": 4, "claims": 1, "burden_reports": 22, "burden_cuts": 4}


def _changed(tiny: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of tiny with one issue edited (two fields), one added, one evaluation removed."""
    head = tmp_path / "head"
    shutil.copytree(tiny, head)
    edit_cell(head, "issues/2026.csv", 3, "status", "archived")
    edit_cell(head, "issues/2026.csv", 3, "archived_on", "2026-04-01")
    lines = (head / "issues/2026.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(lines[-1].replace("Q-008", "Q-009", 1))
    (head / "issues/2026.csv").write_text("".join(lines), encoding="utf-8")
    evaluations = (head / "evaluations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    removed = evaluations.pop(2).split(",")[0]
    (head / "evaluations.csv").write_text("".join(evaluations), encoding="utf-8")
    return head, removed


def test_row_counts_of_the_tiny_package(tiny):
    assert row_counts(tiny) == TINY_ROWS


def test_first_release_adds_every_row(tiny):
    summaries = summarise(compare_folders(None, tiny), row_counts(tiny))
    assert {s.resource: (s.rows, s.added, s.changed, s.removed) for s in summaries} == \
        {name: (n, n, 0, 0) for name, n in TINY_ROWS.items()}


def test_compare_folders_counts_added_changed_removed_by_primary_key(tiny, tmp_path):
    head, removed = _changed(tiny, tmp_path)
    changes = {c.resource: c for c in compare_folders(tiny, head)}
    assert changes["issues"].added == ["Q-009"]
    assert changes["issues"].changed == {"Q-002": ["archived_on", "status"]}
    assert changes["issues"].removed == []
    assert changes["evaluations"].removed == [removed] and not changes["evaluations"].added
    assert all(c.empty for name, c in changes.items() if name not in ("issues", "evaluations"))
    rows = {s.resource: s.to_dict() for s in summarise(list(changes.values()), row_counts(head))}
    assert rows["issues"] == {"rows": 9, "added": 1, "changed": 1, "removed": 0}
    assert rows["evaluations"] == {"rows": 3, "added": 0, "changed": 0, "removed": 1}


def test_reordered_rows_are_no_change(tiny, tmp_path):
    head = tmp_path / "head"
    shutil.copytree(tiny, head)
    lines = (head / "regions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (head / "regions.csv").write_text(lines[0] + "".join(reversed(lines[1:])), encoding="utf-8")
    assert all(c.empty for c in compare_folders(tiny, head))


def test_compare_revisions_reuses_ledger_diff(tiny, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(tiny, repo / "data")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(git + ["add", "."], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-qm", "base"], cwd=repo, check=True)
    shutil.rmtree(repo / "data")
    head, _ = _changed(tiny, tmp_path)
    shutil.copytree(head, repo / "data")
    subprocess.run(git + ["commit", "-qam", "head"], cwd=repo, check=True)
    by_git = {c.resource: (c.added, c.changed, c.removed) for c in compare_revisions(repo, "HEAD~1", "HEAD")}
    by_folder = {c.resource: (c.added, c.changed, c.removed) for c in compare_folders(tiny, head)}
    assert by_git == by_folder


def test_a_release_is_added_or_replaced_and_dumped_newest_first():
    first = release_entry("1.0.0", "2026-10-31", [], "首次")
    second = release_entry("1.1.0", "2026-11-30", [], "第二次")
    releases = add_release(add_release([], first), second)
    assert [r["version"] for r in json.loads(dump_releases(releases))["releases"]] == ["1.1.0", "1.0.0"]
    assert add_release(releases, release_entry("1.1.0", "2026-11-30", [], "更正"))[-1]["notes"] == "更正"
    with pytest.raises(ValueError, match="截止日"):
        add_release(releases, release_entry("1.2.0", "2026-11-30", [], "重复"))


def test_main_appends_a_release_and_prints_the_changelog_section(tiny, tmp_path, capsys):
    head, _ = _changed(tiny, tmp_path)
    releases = tmp_path / "releases.json"
    assert main(["--version", "2.0.0", "--data", str(head), "--base-data", str(tiny), "--note", "测试",
                 "--releases", str(releases)]) == 0
    saved = load_releases(releases)
    assert saved[0]["version"] == "2.0.0" and saved[0]["as_of"] == "2026-04-30"
    assert saved[0]["resources"]["issues"] == {"rows": 9, "added": 1, "changed": 1, "removed": 0}
    assert capsys.readouterr().out == markdown_section(saved[0])


@pytest.mark.reads_data
def test_committed_release_matches_the_bundled_data():
    """The release recorded for data/'s as_of has data/'s row counts; else refresh it (changelog/README.md).

    The committed releases are the bundled demo's; a fork records its own (changelog/README.md).
    """
    if demo_arguments(DATA) != BUNDLED_DEMO:
        pytest.skip("data/ is not the bundled demo (data/demo.json names other arguments, or there is none): "
                    "changelog/releases.json is checked against it only for the bundled demo")
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    release = next((r for r in load_releases(changelog.RELEASES) if r["as_of"] == descriptor["as_of"]), None)
    assert release is not None, "no release for data/'s as_of in changelog/releases.json"
    assert release["version"] == descriptor["version"]
    assert {name: s["rows"] for name, s in release["resources"].items()} == row_counts(DATA), \
        "data/ changed since the release was recorded: rerun python -m pipeline.contribute.changelog (see changelog/README.md)"


def test_changelog_md_carries_every_release_section():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    for release in load_releases(changelog.RELEASES):
        assert markdown_section(release) in text, f"CHANGELOG.md lacks the data section of {release['version']}"
