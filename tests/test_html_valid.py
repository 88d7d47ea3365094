"""Every built page is valid HTML (html-validate, the "standard" preset: the HTML standard's content
models, attributes, ids and nesting), checked on the site built from the small demo package.

html-validate comes from the npm registry, pinned in tools/html-validate/package-lock.json and installed
by `make deps` when npm exists; the test is required when CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "html-validate"
# Material for MkDocs' own markup, not ours: its drawer and search toggles are checkboxes with
# autocomplete="off" (partials/base of the theme), which the standard does not allow on a checkbox.
THEME_MARKUP = {("valid-autocomplete", "#__drawer"), ("valid-autocomplete", "#__search")}


def html_validate(paths: list[Path], work: Path) -> list[dict]:
    node = shutil.which("node")
    cli = TOOL / "node_modules" / "html-validate" / "bin" / "html-validate.mjs"
    if node is None or not cli.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but html-validate is not installed: run `make deps` (npm ci in tools/html-validate)")
        pytest.skip("html-validate (npm, tools/html-validate) is not installed: `make deps` installs it when npm exists")
    report = work / "html-validate.json"  # not stdout: node may exit before a large pipe is drained
    run = subprocess.run([node, str(cli), "--config", str(TOOL / ".htmlvalidate.json"), "--formatter",
                          f"json={report}", *map(str, paths)], capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr  # 1: something was found
    return [{"file": result["filePath"], "rule": message["ruleId"], "selector": message.get("selector"),
             "message": message["message"], "line": message["line"]}
            for result in json.loads(report.read_text(encoding="utf-8")) for message in result["messages"]]


@pytest.mark.slow
def test_every_built_page_is_valid_html(built_demo_site, tmp_path):
    pages = sorted(built_demo_site.rglob("*.html"))
    assert len(pages) > 50
    problems = [p for p in html_validate(pages, tmp_path) if (p["rule"], p["selector"]) not in THEME_MARKUP]
    assert problems == []


def test_html_validate_is_really_validating(tmp_path):
    """The positive control: a duplicate id, a block inside a paragraph's inline and a bad attribute."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html lang="zh-CN"><head><title>x</title></head><body>'
                   '<p id="a">一</p><p id="a">二</p><span><div>三</div></span>'
                   '<input type="checkbox" autocomplete="off"></body></html>', encoding="utf-8")
    rules = sorted({p["rule"] for p in html_validate([bad], tmp_path)})
    assert rules == ["element-permitted-content", "no-dup-id", "valid-autocomplete"]
