"""The GitHub Actions workflows, read as data: least privilege, pinned actions, no untrusted text in a shell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.contribute.prcomment import MARKER

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def by_name(name: str) -> dict:
    return load(WORKFLOWS / name)


def test_the_pull_request_workflows_exist():
    assert {"ci.yml", "pr-data.yml", "pr-comment.yml", "inbox-apply.yml"} <= {path.name for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_nothing_is_granted_at_the_top(path):
    assert load(path)["permissions"] == {}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_pull_request_target(path):
    assert "pull_request_target" not in load(path)["on"]
    assert "pull_request_target" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment(path):
    uses = [step["uses"] for step in steps(load(path)) if "uses" in step]
    assert uses and all(PINNED.fullmatch(use) for use in uses), uses
    for use in uses:
        assert re.search(re.escape(use) + r"\s+#\s*v\d+\.\d+\.\d+", path.read_text(encoding="utf-8")), use


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_inside_a_shell_line(path):
    runs = [step["run"] for step in steps(load(path)) if "run" in step]
    assert runs and not [run for run in runs if "${{" in run]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path):
    checkouts = [step for step in steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_pr_data_runs_read_only_and_uploads_the_report():
    workflow = by_name("pr-data.yml")
    assert list(workflow["on"]) == ["pull_request"]
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    checkout, _, deps, trusted, check, upload, fail = job["steps"]
    assert checkout["with"]["fetch-depth"] == 0 and deps["run"] == "make deps"
    assert trusted["run"] == 'git worktree add --detach "$RUNNER_TEMP/trusted" "origin/$DEFAULT_BRANCH"'
    assert trusted["env"] == {"DEFAULT_BRANCH": "${{ github.event.repository.default_branch }}"}
    assert check["env"] == {"BASE_REF": "${{ github.base_ref }}", "PR_NUMBER": "${{ github.event.pull_request.number }}"}
    for command in ('ledger validate --data data --format json --output pr-report/validate.json',
                    'ledger validate --data data --format markdown --output pr-report/validate.md',
                    'ledger diff "origin/$BASE_REF" HEAD --format markdown > pr-report/diff.md',
                    'printf \'%s\\n\' "$PR_NUMBER" > pr-report/pr-number.txt'):
        assert command in check["run"]
    assert upload["uses"] == "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    assert upload["if"] == "always()" and upload["with"]["path"] == "pr-report/"
    assert fail["env"] == {"STATUS": "${{ steps.check.outputs.status }}"} and "exit 1" in fail["run"]


def test_pr_comment_runs_trusted_code_on_the_untrusted_artifact():
    workflow, data = by_name("pr-comment.yml"), by_name("pr-data.yml")
    assert workflow["on"] == {"workflow_run": {"workflows": [data["name"]], "types": ["completed"]}}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write", "contents": "read"}
    checkout, download, number, render, post = job["steps"]
    assert set(checkout["with"]) == {"persist-credentials"}  # no ref: the default branch, never the PR's code
    assert download["uses"] == "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093"
    assert download["with"]["path"].startswith("${{ runner.temp }}")  # outside the checkout it cannot overwrite
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert 'python3 -m pipeline.contribute.prcomment number "$REPORT_DIR"' in number["run"]
    assert number["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert '[ "$head" != "$HEAD_SHA" ]' in number["run"]
    assert render["run"] == 'python3 -m pipeline.contribute.prcomment render "$REPORT_DIR" "$BODY" --head-standard "$HEAD_STANDARD"'
    # The PR's standard comes from the API by the checked commit's SHA, after the PR number is verified.
    fetch = '"repos/$REPO/contents/pipeline/standard.json?ref=$HEAD_SHA" \\\n  > "$HEAD_STANDARD"'
    assert number["run"].index('[ "$head" != "$HEAD_SHA" ]') < number["run"].index(fetch)
    assert number["env"]["HEAD_STANDARD"] == render["env"]["HEAD_STANDARD"] == "${{ runner.temp }}/head-standard.json"
    assert post["env"]["PR_NUMBER"] == "${{ steps.pr.outputs.number }}"
    assert f'startswith("{MARKER}")' in post["run"] and 'select(.user.login == "github-actions[bot]"' in post["run"]
    assert post["run"].count('--input "$BODY"') == 2 and "-f body" not in post["run"]
    assert render["if"] == post["if"] == "steps.pr.outputs.number != ''"
