"""The web inbox in the GitHub workflows: pr-data.yml imports inbox/ with the default branch's code;
inbox-apply.yml (workflow_dispatch, by a maintainer) commits the canonical CSV to the pull request's
own branch, never a fork's, never running the pull request's code with its write token.

The shell of each step is run here against real git repositories (a bare "origin"), real workbooks
and a stand-in for the GitHub API's pull-request JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.contribute import prcomment
from tests.conftest import REPO
from tests.test_inbox import CLEAN_MEETINGS, workbook
from tests.test_workflows import by_name

SHA = "c0ffee" + "0" * 34


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "core.quotePath=false",
                           *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


# --- inbox-apply.yml, read as data -------------------------------------------------------------------

def test_inbox_apply_is_run_by_hand_with_a_pull_request_number():
    workflow = by_name("inbox-apply.yml")
    assert workflow["on"] == {"workflow_dispatch": {"inputs": {"pull_request": {
        "description": "拉取请求编号（只限本仓库的分支，校验评论已无错误）", "required": True, "type": "string"}}}}
    (job,) = workflow["jobs"].values()
    assert job["if"] == "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    assert job["permissions"] == {"contents": "write", "pull-requests": "read"}
    assert workflow["concurrency"] == {"group": "inbox-apply-${{ inputs.pull_request }}", "cancel-in-progress": False}


def test_inbox_apply_runs_the_default_branchs_code_on_the_pull_requests_files():
    (job,) = by_name("inbox-apply.yml")["jobs"].values()
    trusted, _, deps, check, fetch, apply, push = job["steps"]
    assert set(trusted["with"]) == {"persist-credentials"}  # no ref: the default branch (the job refuses any other)
    assert deps["run"] == "make deps"
    assert check["env"]["PR_NUMBER"] == "${{ inputs.pull_request }}"
    assert 'python3 .ci/inbox-pr "$RUNNER_TEMP/pr.json" "$REPO" >> "$GITHUB_OUTPUT"' in check["run"]
    assert fetch["with"] == {"ref": "${{ steps.pr.outputs.sha }}", "path": "pr-branch", "persist-credentials": False}
    # From the workspace root (the default branch's code), on pr-branch/ as data: nothing of pr-branch/ runs.
    assert apply["run"] == ".venv/bin/python -m pipeline.contribute.inbox apply --data pr-branch/data --inbox pr-branch/inbox"
    assert "env" not in apply  # no token while the importer reads untrusted workbooks
    assert push["run"] == "bash .ci/inbox-push pr-branch"
    assert push["env"] == {"PUSH_TOKEN": "${{ github.token }}", "HEAD_REF": "${{ steps.pr.outputs.ref }}",
                           "PR_NUMBER": "${{ inputs.pull_request }}", "ACTOR": "${{ github.actor }}"}
    for step in job["steps"]:
        assert "pr-branch/" not in step.get("run", "").split(" --data")[0], step  # nothing under pr-branch/ is run


# --- .ci/inbox-pr: which pull requests may be written ------------------------------------------------

def inbox_pr(tmp_path: Path, pr: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "pr.json"
    path.write_text(json.dumps(pr), encoding="utf-8")
    return subprocess.run([sys.executable, str(REPO / ".ci" / "inbox-pr"), str(path), "county/ledger"],
                          capture_output=True, text=True, timeout=30)


def pull_request(**changes) -> dict:
    pr = {"number": 7, "state": "open", "base": {"repo": {"full_name": "county/ledger"}},
          "head": {"sha": SHA, "ref": "clerk/四月会议", "repo": {"full_name": "county/ledger"}}}
    pr.update(changes)
    return pr


def test_inbox_pr_gives_the_head_of_a_same_repository_branch(tmp_path):
    run = inbox_pr(tmp_path, pull_request())
    assert (run.returncode, run.stdout) == (0, f"sha={SHA}\nref=clerk/四月会议\n")


def test_fork_pull_request_is_refused(tmp_path):
    run = inbox_pr(tmp_path, pull_request(head={"sha": SHA, "ref": "main", "repo": {"full_name": "someone/ledger"}}))
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr.startswith("::error::拉取请求 #7 的分支不在本仓库（来自 fork）：不能写入，也不运行它的文件；")


def test_deleted_fork_pull_request_is_refused(tmp_path):
    assert inbox_pr(tmp_path, pull_request(head={"sha": SHA, "ref": "main", "repo": None})).returncode == 1


def test_closed_pull_request_is_refused(tmp_path):
    run = inbox_pr(tmp_path, pull_request(state="closed"))
    assert (run.returncode, run.stderr) == (1, "::error::拉取请求 #7 已关闭或已合并，没有写入。\n")


@pytest.mark.parametrize("ref", ["a\nsha=0000", "-delete", ""])
def test_branch_name_that_could_break_a_line_is_refused(tmp_path, ref):
    run = inbox_pr(tmp_path, pull_request(head={"sha": SHA, "ref": ref, "repo": {"full_name": "county/ledger"}}))
    assert (run.returncode, run.stdout) == (1, "")


def test_head_that_is_not_a_sha_is_refused(tmp_path):
    run = inbox_pr(tmp_path, pull_request(head={"sha": "main", "ref": "x", "repo": {"full_name": "county/ledger"}}))
    assert (run.returncode, run.stderr) == (1, "::error::拉取请求的 head 不是提交的 SHA。\n")


# --- The apply job's shell: import with this checkout's code, commit, push -----------------------------

@pytest.fixture
def origin(tmp_path) -> tuple[Path, str]:
    """A repository whose branch clerk/april holds data/ and a workbook uploaded into inbox/."""
    from tests.conftest import make_tiny

    work = tmp_path / "work"
    make_tiny(work / "data")
    (work / "inbox").mkdir()
    (work / "inbox" / "README.md").write_text("收件箱\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    git(work, "add", ".")
    git(work, "commit", "-qm", "base")
    git(work, "checkout", "-qb", "clerk/april")
    workbook(work, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    git(work, "add", ".")
    git(work, "commit", "-qm", "Add files via upload")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare, git(work, "rev-parse", "HEAD")


def apply_job(tmp_path: Path, bare: Path, sha: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """The steps after 核对拉取请求: fetch the head as pr-branch/, apply, push (token in the environment)."""
    job = tmp_path / "job"
    job.mkdir()
    git(job, "clone", "-q", str(bare), "pr-branch")
    git(job / "pr-branch", "checkout", "-q", "--detach", sha)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    apply = subprocess.run([sys.executable, "-m", "pipeline.contribute.inbox", "apply", "--data", "pr-branch/data",
                            "--inbox", "pr-branch/inbox"], cwd=job, env=env, capture_output=True, text=True, timeout=300)
    push = subprocess.run(["bash", str(REPO / ".ci" / "inbox-push"), "pr-branch"], cwd=job, capture_output=True, text=True,
                          timeout=120, env={**env, "PUSH_TOKEN": "ghs_test_token", "HEAD_REF": "clerk/april",
                                            "PR_NUMBER": "7", "ACTOR": "maintainer"})
    return apply, push


def test_apply_job_commits_the_csv_and_removes_the_workbook_on_the_branch(tmp_path, origin):
    bare, sha = origin
    apply, push = apply_job(tmp_path, bare, sha)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert push.returncode == 0, push.stdout + push.stderr
    assert push.stdout.endswith("已提交到分支 clerk/april。\n")
    head = git(bare, "rev-parse", "clerk/april")
    assert git(bare, "rev-parse", f"{head}^") == sha  # one commit on top of the checked one
    assert git(bare, "show", "--name-status", "--format=%an%n%s", head).splitlines() == [
        "阳光台账收件箱", "收件箱：导入 1 个工作簿为标准 CSV（拉取请求 7，由 maintainer 运行）", "",
        "M\tdata/meetings.csv", "D\tinbox/会议.xlsx"]
    assert git(bare, "show", f"{head}:data/meetings.csv").endswith(
        "M-004,monday_night_visit,2026-04-06,990121002001,county,jtj,12\n"
        "M-005,city_meets_in_town,2026-04-13,990121001000,city,jtj;zrzyj,7")  # git() strips the last line end
    assert git(bare, "rev-parse", "main") == git(bare, "rev-parse", f"{sha}^")  # main untouched
    config = (tmp_path / "job" / "pr-branch" / ".git" / "config").read_text(encoding="utf-8")
    assert "ghs_test_token" not in config + push.stdout + push.stderr


def test_apply_job_does_not_push_over_a_branch_that_moved_on(tmp_path, origin):
    bare, sha = origin
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "--branch", "clerk/april", str(bare), str(other))
    (other / "README.md").write_text("a later upload\n", encoding="utf-8")
    git(other, "add", ".")
    git(other, "commit", "-qm", "later")
    git(other, "push", "-q", "origin", "clerk/april")
    moved = git(bare, "rev-parse", "clerk/april")
    apply, push = apply_job(tmp_path, bare, sha)
    assert apply.returncode == 0 and push.returncode != 0
    assert git(bare, "rev-parse", "clerk/april") == moved


def test_apply_job_with_a_bad_workbook_commits_nothing(tmp_path, origin):
    bare, _ = origin
    work = tmp_path / "work"
    workbook(work, "会议.xlsx", "meetings", [["M-009", "周一夜访", "2026/4/6", "990121002001", "县级", "nosuch", 1]])
    git(work, "commit", "-qam", "a bad upload")
    git(work, "push", "-q", str(bare), "clerk/april")
    sha = git(work, "rev-parse", "HEAD")
    apply, push = apply_job(tmp_path, bare, sha)
    assert apply.returncode == 1
    assert "inbox/会议.xlsx（工作表“下沉会议与夜访”），第 2 行，字段 参会部门（F 列） [unknown-code]" in apply.stdout
    assert push.returncode == 0 and push.stdout == "收件箱里没有要提交的改动。Nothing to commit.\n"
    assert git(bare, "rev-parse", "clerk/april") == sha


# --- pr-data.yml's check step with an inbox ------------------------------------------------------------

def test_pr_data_reports_the_inbox_in_the_sheets_terms(tmp_path, origin):
    bare, sha = origin
    repo = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "clerk/april", str(bare), str(repo))
    workbook(repo, "会议.xlsx", "meetings", [["M-009", "周一夜访", "2026/4/6", "990121002001", "县级", "nosuch", 1]])
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    runner = tmp_path / "runner"
    runner.mkdir()
    (runner / "trusted").symlink_to(REPO)  # the default branch's code: this checkout's
    output = tmp_path / "github-output"
    (job,) = by_name("pr-data.yml")["jobs"].values()
    check = next(step for step in job["steps"] if step.get("id") == "check")
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", check["run"]], cwd=repo, capture_output=True, text=True,
                         timeout=600, env={**os.environ, "PYTHONPATH": str(REPO), "RUNNER_TEMP": str(runner),
                                           "GITHUB_OUTPUT": str(output), "BASE_REF": "main", "PR_NUMBER": "7"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert output.read_text(encoding="utf-8") == "status=1\n"
    body = prcomment.comment_for(repo / "pr-report", prcomment.known_resources())
    assert "#### 📄 inbox/会议.xlsx（工作表“下沉会议与夜访”）" in body
    assert "| ☐ | 2 | M-009 | 参会部门（F 列） | nosuch |" in body and "| meetings | 1 | 0 | 0 |" in body
    shutil.rmtree(repo / "pr-report")
