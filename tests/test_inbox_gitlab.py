"""The web inbox on GitLab (.gitlab-ci.yml): validate imports inbox/ with the default branch's code;
inbox-apply, a manual job in a protected environment, commits the canonical CSV to the merge request's
own branch. Their shells run here against real git repositories and a stand-in GitLab API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.contribute import prcomment
from tests.conftest import REPO, make_tiny
from tests.test_gitlab_ci import jobs, shell
from tests.test_inbox import CLEAN_MEETINGS, workbook
from tests.test_workflow_inbox import git

TOKEN = "glpat-inbox-token"


def test_inbox_apply_is_manual_for_the_projects_own_merge_requests():
    job = jobs()["inbox-apply"]
    assert job["rules"] == [{
        "if": '$CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID',
        "when": "manual", "allow_failure": True}]
    assert job["environment"] == {"name": "inbox-apply"}  # a deployment: a protected environment gates who runs it
    assert job["variables"] == {"GIT_STRATEGY": "none"} and job["needs"] == [] and job["interruptible"] is False


def test_inbox_apply_runs_the_default_branchs_code_and_hides_the_token():
    script = shell(jobs()["inbox-apply"])
    clone = 'git clone --quiet --depth 1 --branch "$CI_DEFAULT_BRANCH" "$CI_REPOSITORY_URL" "$work/trusted"'
    apply = ('.venv/bin/python -m pipeline.contribute.inbox apply --data "$work/pr-branch/data" '
             '--inbox "$work/pr-branch/inbox"')
    assert script.index("unset LEDGER_INBOX_TOKEN") < script.index(clone) < script.index('cd "$work/trusted"') \
        < script.index("make deps") < script.index(apply)
    # Not exported: .ci/inbox-push alone gets it (a prefix assignment), never make or the importer.
    assert "export PUSH_TOKEN" not in script and script.count("$PUSH_TOKEN") == 1
    assert 'PUSH_TOKEN="$PUSH_TOKEN" PUSH_USER="inbox" PUSH_URL="$CI_SERVER_URL/$CI_PROJECT_PATH.git"' in script


# --- The jobs' shells ------------------------------------------------------------------------------------

class FakeGitLab(BaseHTTPRequestHandler):
    mr: dict

    def log_message(self, *args):
        pass

    def do_GET(self):
        ok = self.headers.get("PRIVATE-TOKEN") == TOKEN and self.path == "/api/v4/projects/1/merge_requests/5"
        body = json.dumps(self.mr if ok else {"message": "404"}).encode()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitLab)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    server.shutdown()


@pytest.fixture
def project(tmp_path) -> tuple[Path, str]:
    """origin.git: main holds this checkout's code (committed), clerk/april a workbook in inbox/."""
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(f"git -C {REPO} archive HEAD pipeline .ci Makefile pyproject.toml | tar -x -C {work}", shell=True,
                   check=True)
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
    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "origin.git"))
    return tmp_path / "origin.git", git(work, "rev-parse", "HEAD")


def fake_make(tmp_path: Path) -> Path:
    """`make deps` → this test's virtual environment as .venv (no download in a test)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "make").write_text(f"#!/bin/sh\nln -s {Path(sys.executable).parent.parent} .venv\n", encoding="utf-8")
    (bin_dir / "make").chmod(0o755)
    return bin_dir


def run_apply_job(tmp_path: Path, api: str, mr: dict, sha: str, token: str | None = TOKEN):
    FakeGitLab.mr = mr
    env = {"PATH": f"{fake_make(tmp_path)}:{os.environ['PATH']}", "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
           "CI_API_V4_URL": api, "CI_PROJECT_ID": "1", "CI_MERGE_REQUEST_IID": "5", "CI_COMMIT_SHA": sha,
           "CI_DEFAULT_BRANCH": "main", "CI_REPOSITORY_URL": str(tmp_path / "origin.git"),
           "CI_SERVER_URL": str(tmp_path), "CI_PROJECT_PATH": "origin", "GITLAB_USER_LOGIN": "maintainer"}
    if token:
        env["LEDGER_INBOX_TOKEN"] = token
    job = tmp_path / "job"
    job.mkdir(exist_ok=True)
    return subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(jobs()["inbox-apply"]["script"])], cwd=job,
                          env=env, capture_output=True, text=True, timeout=300)


def merge_request(sha: str, **changes) -> dict:
    return {"iid": 5, "state": "opened", "sha": sha, "source_branch": "clerk/april", "source_project_id": 1,
            "target_project_id": 1, **changes}


def test_inbox_apply_job_commits_the_csv_to_the_merge_requests_branch(tmp_path, api, project):
    bare, sha = project
    run = run_apply_job(tmp_path, api, merge_request(sha), sha)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "已写入 data/meetings.csv\n已从收件箱删除 inbox/会议.xlsx\n" in run.stdout
    head = git(bare, "rev-parse", "clerk/april")
    assert git(bare, "rev-parse", f"{head}^") == sha
    assert git(bare, "show", "--name-status", "--format=%s", head).splitlines() == [
        "收件箱：导入 1 个工作簿为标准 CSV（拉取请求 5，由 maintainer 运行）", "", "M\tdata/meetings.csv", "D\tinbox/会议.xlsx"]
    assert TOKEN not in run.stdout + run.stderr
    assert [p.name for p in tmp_path.glob("tmp.*")] == []  # the work folder with the token file is gone


def test_inbox_apply_job_refuses_a_fork_merge_request(tmp_path, api, project):
    bare, sha = project
    run = run_apply_job(tmp_path, api, merge_request(sha, source_project_id=9), sha)
    assert run.returncode == 1
    assert "的分支不在本仓库（来自 fork）" in run.stderr
    assert git(bare, "rev-parse", "clerk/april") == sha


def test_inbox_apply_job_refuses_a_merge_request_that_moved_on(tmp_path, api, project):
    bare, sha = project
    run = run_apply_job(tmp_path, api, merge_request("1" * 40), sha)
    assert run.returncode == 1
    assert "has moved on from this pipeline's commit" in run.stdout
    assert git(bare, "rev-parse", "clerk/april") == sha


def test_inbox_apply_job_without_the_token_writes_nothing(tmp_path, api, project):
    bare, sha = project
    run = run_apply_job(tmp_path, api, merge_request(sha), sha, token=None)
    assert run.returncode == 1
    assert run.stdout == ("LEDGER_INBOX_TOKEN is not available to this pipeline (see CONTRIBUTING.md, GitLab); "
                          "nothing written.\n")


def test_validate_imports_the_inbox_with_the_default_branchs_code(tmp_path, project):
    bare, _ = project
    repo = tmp_path / "mr"
    git(tmp_path, "clone", "-q", "--branch", "clerk/april", str(bare), str(repo))
    workbook(repo, "会议.xlsx", "meetings", [["M-009", "周一夜访", "2026/4/6", "990121002001", "县级", "nosuch", 1]])
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    script = jobs()["validate"]["script"][1:]  # after `make deps`
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI_MERGE_REQUEST_IID": "5", "CI_DEFAULT_BRANCH": "main",
           "TMPDIR": str(tmp_path)}
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(script)], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1
    assert "收件箱：用默认分支的代码导入工作簿 / Importing inbox/ with the default branch's code\n" in run.stdout
    assert "[错误] inbox/会议.xlsx（工作表“下沉会议与夜访”），第 2 行，字段 参会部门（F 列） [unknown-code]\n" in run.stdout
    body = prcomment.comment_for(repo / "mr-report", prcomment.known_resources())
    assert "| ☐ | 2 | M-009 | 参会部门（F 列） | nosuch |" in body
