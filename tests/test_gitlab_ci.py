""".gitlab-ci.yml: GitLab's CI schema (vendored by check-jsonschema, pinned in pyproject [dev] and
requirements.lock) and the security rules of the GitHub workflows, read as data.

- The jobs that run the merge request's code (validate, site, test) hold no secret and declare no
  environment: the note token is scoped to the environment `mr-notes`, which only mr-note declares.
- mr-note checks out nothing, needs only the validate artifact, and runs pipeline/contribute/prcomment.py from
  a clone of the default branch; it runs only for the project's own merge requests.
- Every image is pinned by digest; nothing is included from outside.
- Its shell, run against a stand-in GitLab API, posts one note and then updates it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from pipeline.contribute import prcomment
from tests.conftest import REPO
from tests.test_workflow_lint import tool

CONFIG = REPO / ".gitlab-ci.yml"
TOKEN = "LEDGER_NOTE_TOKEN"
INBOX_TOKEN = "LEDGER_INBOX_TOKEN"
RESERVED = {"workflow", "stages", "default", "variables", "include", "image", "services", "cache",
            "before_script", "after_script", "spec"}
DIGEST = re.compile(r"[a-z0-9.-]+(/[a-z0-9._-]+)*:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}")
# Free text anyone who opens a merge request chooses: it must never reach a shell.
UNTRUSTED_VARIABLES = ("CI_MERGE_REQUEST_TITLE", "CI_MERGE_REQUEST_DESCRIPTION", "CI_COMMIT_MESSAGE",
                       "CI_COMMIT_TITLE", "CI_COMMIT_DESCRIPTION", "CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH_NAME",
                       "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_AUTHOR", "CI_MERGE_REQUEST_LABELS")


def config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def jobs() -> dict[str, dict]:
    return {name: job for name, job in config().items() if name not in RESERVED and not name.startswith(".")}


def shell(job: dict) -> str:
    """What the job runs: before_script (the default one unless it has its own) and script."""
    before = job.get("before_script", config()["default"].get("before_script", []))
    return "\n".join([*before, *job["script"]])


def checks_out_code(job: dict) -> bool:
    return job.get("variables", {}).get("GIT_STRATEGY") != "none"


# --- GitLab's schema --------------------------------------------------------------------------------

def test_gitlab_ci_matches_the_gitlab_ci_schema():
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(CONFIG)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_gitlab_schema_check_is_really_checking(tmp_path):
    bad = tmp_path / ".gitlab-ci.yml"
    bad.write_text("validate:\n  scirpt: make validate\n  when: sometimes\n", encoding="utf-8")
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "validate" in run.stdout + run.stderr


# --- The jobs of the GitHub workflows ---------------------------------------------------------------

def test_the_jobs_of_the_github_workflows_exist():
    assert set(jobs()) == {"validate", "site", "test", "mr-note", "inbox-apply", "pages"}
    assert config()["stages"] == ["check", "report", "deploy"]


def test_pipelines_run_for_merge_requests_and_pushes_to_the_default_branch():
    assert config()["workflow"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"'},
        {"if": '$CI_PIPELINE_SOURCE == "web"'},
    ]


def test_validate_logs_the_findings_and_keeps_the_reports_the_note_reads():
    validate = jobs()["validate"]
    assert "rules" not in validate  # every pipeline: every merge request and the default branch
    script = shell(validate)
    assert ".venv/bin/ledger validate --data data || status=$?" in script  # the findings, in the job log
    for name in (prcomment.REPORT, prcomment.DIFF, prcomment.NUMBER, "validate.md"):
        assert f"mr-report/{name}" in script, name
    assert ('.venv/bin/ledger diff "$CI_MERGE_REQUEST_DIFF_BASE_SHA" HEAD --format markdown > mr-report/diff.md.part; then\n'
            '    mv mr-report/diff.md.part mr-report/diff.md') in script  # a failed diff leaves no empty diff.md
    assert validate["variables"] == {"GIT_DEPTH": "0"}
    assert validate["artifacts"] == {"when": "always", "paths": ["mr-report/"], "expire_in": "7 days"}


def test_the_full_test_is_the_ci_entry_point():
    assert jobs()["test"]["script"] == ["bash .ci/run"]
    assert jobs()["test"]["variables"] == {"CI": "true"}


def test_pages_publishes_the_site_artifact_from_the_default_branch_only():
    pages, site = jobs()["pages"], jobs()["site"]
    assert site["script"] == ["make site"] and site["artifacts"]["paths"] == ["public"]
    assert pages["rules"] == [{"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"'}]
    assert pages["needs"] == [{"job": "site", "artifacts": True}, {"job": "validate", "artifacts": False},
                              {"job": "test", "artifacts": False}]
    assert pages["artifacts"] == {"paths": ["public"]}
    assert pages["variables"] == {"GIT_STRATEGY": "none"} and shell(pages) == "test -f public/index.html"


# --- Security -----------------------------------------------------------------------------------------

def test_every_image_is_pinned_by_digest():
    images = [config()["default"]["image"]] + [job["image"] for job in jobs().values() if "image" in job]
    assert images and all(isinstance(image, str) and DIGEST.fullmatch(image) for image in images), images
    assert "image" not in config() and "services" not in CONFIG.read_text(encoding="utf-8")


def test_nothing_is_included_from_outside():
    text = CONFIG.read_text(encoding="utf-8")
    assert "include" not in config() and not re.search(r"^\s*include:", text, re.MULTILINE)
    assert "!reference" not in text and "extends" not in text and "trigger" not in text


def test_no_token_in_a_job_that_runs_merge_request_code():
    for name, job in jobs().items():
        if checks_out_code(job):
            assert TOKEN not in json.dumps(job) and TOKEN not in shell(job), name
            assert "environment" not in job, name  # the token is scoped to an environment
    assert [name for name, job in jobs().items() if "environment" in job] == ["mr-note", "inbox-apply"]
    assert [name for name, job in jobs().items() if TOKEN in shell(job)] == ["mr-note"]
    assert [name for name, job in jobs().items() if INBOX_TOKEN in json.dumps(job)] == ["inbox-apply"]
    assert TOKEN not in json.dumps({k: v for k, v in config().items() if k not in jobs()})
    assert INBOX_TOKEN not in json.dumps({k: v for k, v in config().items() if k not in jobs()})


def test_the_note_job_reads_only_the_artifact():
    note = jobs()["mr-note"]
    assert note["variables"] == {"GIT_STRATEGY": "none"}
    assert note["needs"] == [{"job": "validate", "artifacts": True}]
    assert note["environment"] == {"name": "mr-notes", "action": "access"}
    script = shell(note)
    assert "before_script" in note  # not the default one: it installs only git and curl
    clone = 'git clone --quiet --depth 1 --branch "$CI_DEFAULT_BRANCH" "$CI_REPOSITORY_URL" "$work/trusted"'
    assert script.index(clone) < script.index('cd "$work/trusted"') < script.index("python3 -m pipeline.contribute.prcomment")
    assert script.index("unset LEDGER_NOTE_TOKEN") < script.index(clone)
    assert 'report="$CI_PROJECT_DIR/mr-report"' in script
    for forbidden in ("make", ".venv", ".ci/run", "pip ", "ledger ", "source ", "eval"):
        assert forbidden not in script, forbidden


def test_the_note_job_runs_only_for_the_projects_own_merge_requests():
    assert jobs()["mr-note"]["rules"] == [{
        "if": '$CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID',
        "when": "always"}]


def test_free_text_of_a_merge_request_never_reaches_a_shell():
    text = CONFIG.read_text(encoding="utf-8")
    assert [name for name in UNTRUSTED_VARIABLES if name in text] == []


@pytest.mark.parametrize("name", ["validate", "site", "test", "mr-note", "inbox-apply", "pages"])
def test_every_script_is_valid_shell(name):
    run = subprocess.run(["bash", "-n"], input=shell(jobs()[name]), capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr


# --- The note job's shell against a stand-in GitLab API ----------------------------------------------

class FakeGitLab(BaseHTTPRequestHandler):
    """The few endpoints mr-note calls; records every write."""

    notes: list[dict]
    writes: list[tuple[str, str, dict]]
    head_sha: str

    def log_message(self, *args):  # quiet
        pass

    def _send(self, payload: object, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("PRIVATE-TOKEN") != "glpat-test-token":
            return self._send({"message": "401 Unauthorized"}, 401)
        path = self.path.split("?")[0]
        if path == "/api/v4/user":
            return self._send({"id": 7, "username": "project_1_bot"})
        if path == "/api/v4/projects/1/merge_requests/5":
            return self._send({"iid": 5, "sha": self.head_sha})
        if path == "/api/v4/projects/1/repository/files/pipeline%2Fstandard.json/raw" and "ref=c0ffee" in self.path:
            body = (REPO / "pipeline" / "standard.json").read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        if path == "/api/v4/projects/1/merge_requests/5/notes":
            page = int(parse_qs(urlsplit(self.path).query)["page"][0])
            return self._send(self.notes if page == 1 else [])
        return self._send({"message": "404 File Not Found"}, 404)

    def _write(self):
        if self.headers.get("PRIVATE-TOKEN") != "glpat-test-token":
            return self._send({"message": "401 Unauthorized"}, 401)
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.writes.append((self.command, self.path, payload))
        note = {"id": 99, "author": {"id": 7}, "body": payload["body"]}
        if self.command == "POST":
            self.notes.append(note)
        return self._send(note, 201 if self.command == "POST" else 200)

    do_POST = do_PUT = _write


@pytest.fixture
def gitlab():
    FakeGitLab.notes, FakeGitLab.writes, FakeGitLab.head_sha = [], [], "c0ffee"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitLab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeGitLab, f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    server.shutdown()


def run_note_job(tmp_path: Path, api: str, artifact: dict[str, str]) -> subprocess.CompletedProcess:
    project = tmp_path / "job"
    (project / "mr-report").mkdir(parents=True)
    for name, text in artifact.items():
        (project / "mr-report" / name).write_text(text, encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LEDGER_NOTE_TOKEN": "glpat-test-token",
           "CI_PROJECT_DIR": str(project), "CI_API_V4_URL": api, "CI_PROJECT_ID": "1",
           "CI_MERGE_REQUEST_IID": "5", "CI_COMMIT_SHA": "c0ffee", "CI_DEFAULT_BRANCH": "main",
           "CI_REPOSITORY_URL": str(trusted_repository(tmp_path)), "TMPDIR": str(tmp_path)}
    script = jobs()["mr-note"]["script"]
    return subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(script)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def trusted_repository(tmp_path: Path) -> Path:
    """The project's default branch: this checkout's pipeline/ committed on `main`."""
    repo = tmp_path / "origin"
    if not repo.exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run(f"git -C {REPO} archive HEAD pipeline | tar -x -C {repo}", shell=True, check=True)
        subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                        "commit", "-qm", "main"], check=True)
    return repo


VALID_REPORT = json.dumps({"valid": True, "errors": 0, "warnings": 0, "findings": []})


def test_the_note_job_posts_one_note_then_updates_it(tmp_path, gitlab):
    fake, api = gitlab
    artifact = {"pr-number.txt": "5\n", "validate.json": VALID_REPORT,
                "diff.md": "| issues | 3 | 0 | 0 |\n| <img src=x> | 1 | 1 | 1 |\n"}
    first = run_note_job(tmp_path, api, artifact)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_note_job(tmp_path / "again", api, artifact)
    assert second.returncode == 0, second.stdout + second.stderr
    assert [(method, path) for method, path, _ in fake.writes] == [
        ("POST", "/api/v4/projects/1/merge_requests/5/notes"),
        ("PUT", "/api/v4/projects/1/merge_requests/5/notes/99")]
    body = fake.writes[0][2]["body"]
    assert body.startswith(prcomment.MARKER) and "| issues | 3 | 0 | 0 |" in body
    assert "数据标准" not in body  # the checked commit's standard (from the API) is the default branch's
    assert "img" not in body  # a diff row naming no resource of the default branch's standard is dropped
    assert list(tmp_path.glob("tmp.*")) == []  # the temporary folder with the token file is gone
    assert "glpat-test-token" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_the_note_job_refuses_an_artifact_naming_another_merge_request(tmp_path, gitlab):
    fake, api = gitlab
    run = run_note_job(tmp_path, api, {"pr-number.txt": "6\n", "validate.json": VALID_REPORT})
    assert run.returncode == 1
    assert "The artifact names merge request 6, this pipeline is for 5: no note." in run.stdout
    assert fake.writes == []


def test_the_note_job_leaves_a_moved_on_merge_request_alone(tmp_path, gitlab):
    fake, api = gitlab
    fake.head_sha = "newer"
    run = run_note_job(tmp_path, api, {"pr-number.txt": "5\n", "validate.json": VALID_REPORT})
    assert run.returncode == 0, run.stderr
    assert "has moved on from the checked commit" in run.stdout
    assert fake.writes == []


def test_the_note_job_without_the_token_posts_nothing(tmp_path, gitlab):
    fake, api = gitlab
    project = tmp_path / "job"
    project.mkdir()
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(jobs()["mr-note"]["script"])], cwd=project,
                         env={"PATH": os.environ["PATH"], "CI_API_V4_URL": api}, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0
    assert "LEDGER_NOTE_TOKEN is not available to this pipeline" in run.stdout
    assert fake.writes == []


# --- The validate job's shell on a merge request, and the note rendered from its artifact ------------

def test_validate_on_a_merge_request_logs_findings_and_its_artifact_renders_the_note(tiny, tmp_path):
    from tests.test_diff import git
    from tests.test_validate import edit_cell

    repo = tmp_path / "mr"
    shutil.copytree(tiny, repo / "data")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    edit_cell(repo / "data", "issues/2026.csv", 2, "raised_on", "2026-13-45")
    git(repo, "commit", "-qam", "a clerk's rows")
    (repo / ".venv").symlink_to(REPO / ".venv")
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI_MERGE_REQUEST_IID": "5",
           "CI_MERGE_REQUEST_DIFF_BASE_SHA": base}
    script = jobs()["validate"]["script"][1:]  # after `make deps`: the venv is this checkout's
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(script)], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "[错误] issues/2026.csv，第 2 行，字段 raised_on（提出日期） [type-error]\n" in run.stdout  # the finding, in the job log
    assert run.stdout.count("数据无效，不能发布：1 个错误，0 个警告。") == 1  # once: the reports are written quietly
    assert "issues: +0 新增, ~1 修改, -0 删除\n  ~ Q-001: raised_on\n" in run.stdout
    assert run.stdout.rstrip().endswith("数据无效，不能发布：问题清单见上面的日志、合并请求中的评论，或在本地运行 ledger validate。")
    report = repo / "mr-report"
    assert sorted(p.name for p in report.iterdir()) == ["diff.md", "pr-number.txt", "validate.json", "validate.md"]
    assert prcomment.pr_number(report) == 5
    body = prcomment.comment_for(report, prcomment.known_resources())
    assert "| issues | 0 | 1 | 0 |" in body and "2026-13-45" in body and "❌" in body
