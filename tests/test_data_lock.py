"""One command at a time changes a data package (pipeline/core/lock_file.py).

The defect: two `ledger import --out` runs into one file at once both read the 8 rows there, each added
its 200 and said so, and the file ended with 208 rows: the second wrote over the first's 200 without a
word. Now ``import --out``, ``split`` and the inbox's ``apply`` hold the data folder (``flock`` on the
folder itself: no file is written); a second command stops at once with exit 2 and changes nothing, and
run again it adds its rows.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.contribute import inbox, merge as merge_module
from pipeline.core import lock_file
from tests.conftest import REPO, make_tiny
from tests.test_inbox import CLEAN_MEETINGS, snapshot, workbook

ISSUES = "issues/2026.csv"
BUSY = ("另一个命令（导入或拆分）正在修改数据包 {data}，请等它结束后再试；没有改动任何文件。"
        " Another command is changing the data package {data}; try again when it has finished. Nothing was changed.")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    make_tiny(tmp_path / "data")
    (tmp_path / "inbox").mkdir()
    return tmp_path


def new_issues(repo: Path, name: str, first: int, count: int) -> Path:
    """A CSV of ``count`` new issues (ids from Q-2026-``first``), each a copy of the package's first issue."""
    rows = list(csv.reader((repo / "data" / ISSUES).open(encoding="utf-8", newline="")))
    path = repo / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(rows[0])
        writer.writerows([[f"Q-2026-{first + n:05d}"] + rows[1][1:] for n in range(count)])
    return path


def ids(repo: Path) -> list[str]:
    return [row[0] for row in csv.reader((repo / "data" / ISSUES).open(encoding="utf-8", newline=""))][1:]


def import_args(repo: Path, source: Path) -> list[str]:
    return ["import", str(source), "--resource", "issues", "--data", str(repo / "data"),
            "--out", str(repo / "data" / ISSUES)]


@pytest.fixture
def held_elsewhere(repo: Path):
    """Another process holding the data package's lock until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from pipeline.core.lock_file import data_package\n"
         f"with data_package(Path({str(repo / 'data')!r})):\n    print('locked', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert holder.stdout.readline() == "locked\n"
    yield
    holder.communicate("\n", timeout=30)
    assert holder.returncode == 0


def test_an_import_while_another_merges_into_the_same_file_stops_and_loses_nothing(repo, monkeypatch):
    first, second = new_issues(repo, "a.csv", 10_000, 200), new_issues(repo, "b.csv", 20_000, 200)
    in_merge, may_finish = threading.Event(), threading.Event()
    original = merge_module.merge

    def slow_merge(*args, **kwargs):  # the first import holds the package between reading and writing
        if threading.current_thread() is not threading.main_thread():
            in_merge.set()
            assert may_finish.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(merge_module, "merge", slow_merge)
    results = []
    thread = threading.Thread(target=lambda: results.append(CliRunner().invoke(cli, import_args(repo, first))))
    thread.start()
    try:
        assert in_merge.wait(30)
        before = (repo / "data" / ISSUES).read_bytes()
        refused = CliRunner().invoke(cli, import_args(repo, second))
        assert refused.exit_code == 2
        assert refused.output == "Error: " + BUSY.format(data=repo / "data") + "\n"
        assert (repo / "data" / ISSUES).read_bytes() == before
    finally:
        may_finish.set()
        thread.join(30)
    assert results[0].exit_code == 0, results[0].output
    again = CliRunner().invoke(cli, import_args(repo, second))
    assert again.exit_code == 0, again.output
    listed = ids(repo)
    assert len(listed) == 8 + 200 + 200
    assert listed[8:] == [f"Q-2026-{n:05d}" for n in range(10_000, 10_200)] + [f"Q-2026-{n:05d}" for n in range(20_000, 20_200)]
    assert sorted(p.name for p in repo.iterdir()) == ["a.csv", "b.csv", "data", "inbox"]  # nothing beside data/


def test_an_import_while_another_process_holds_the_package_stops_with_exit_2(repo, held_elsewhere):
    before = snapshot(repo / "data")
    result = subprocess.run([sys.executable, "-m", "pipeline", *import_args(repo, new_issues(repo, "a.csv", 10_000, 3))],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2
    assert result.stderr == "Error: " + BUSY.format(data=repo / "data") + "\n"
    assert snapshot(repo / "data") == before


def test_an_import_to_the_screen_changes_nothing_and_takes_no_lock(repo, held_elsewhere):
    result = CliRunner().invoke(cli, ["import", str(new_issues(repo, "a.csv", 10_000, 1)), "--resource", "issues",
                                      "--data", str(repo / "data")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("Q-2026-10000,")


def test_a_split_while_the_package_is_held_stops_with_exit_2(repo, held_elsewhere):
    before = snapshot(repo / "data")
    result = CliRunner().invoke(cli, ["split", ISSUES, "--data", str(repo / "data")])
    assert result.exit_code == 2
    assert result.output == "Error: " + BUSY.format(data=repo / "data") + "\n"
    assert snapshot(repo / "data") == before


def test_the_inbox_apply_while_the_package_is_held_writes_nothing_and_keeps_the_workbook(repo, held_elsewhere, capsys):
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    before = snapshot(repo)
    assert inbox.main(["apply", "--data", str(repo / "data"), "--inbox", str(repo / "inbox")]) == 2
    assert capsys.readouterr().err == "错误：" + BUSY.format(data=repo / "data") + "\n"
    assert snapshot(repo) == before
    # the check only reads: it runs while the package is held
    assert inbox.main(["check", "--data", str(repo / "data"), "--inbox", str(repo / "inbox")]) == 0


def test_holding_the_package_writes_no_file_beside_it_or_in_it(repo):
    before = snapshot(repo)
    with lock_file.data_package(repo / "data"):
        assert snapshot(repo) == before
        with pytest.raises(lock_file.DataLocked):  # another open of the folder: another holder
            with lock_file.data_package(repo / "data"):
                pass
    with lock_file.data_package(repo / "data"):  # released
        pass
    assert sorted(p.name for p in repo.iterdir()) == ["data", "inbox"]


def test_a_folder_that_does_not_exist_is_not_held(tmp_path):
    with lock_file.data_package(tmp_path / "nowhere"):
        pass
    assert list(tmp_path.iterdir()) == []
