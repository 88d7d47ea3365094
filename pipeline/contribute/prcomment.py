"""The pull-request comment, rendered from an UNTRUSTED artifact.

The artifact comes from a workflow that ran the pull request's own code, so
anything in it may be hostile: wrong types, huge files, Markdown or HTML in a
value, @mentions, a PR number pointing at someone else's pull request. This
module runs from the default branch, reads only what it expects (exact keys,
exact types, capped sizes), re-renders the comment from the findings with
every cell escaped and mentions, issue references and links neutralised, and
never copies the artifact's own Markdown. Standard library only: the comment
job installs nothing.

    python3 -m pipeline.contribute.prcomment number ARTIFACT_DIR      → prints the PR number
    python3 -m pipeline.contribute.prcomment render ARTIFACT_DIR OUT [--head-standard FILE]
                                                           → writes {"body": …} for `gh api --input`

``--head-standard`` is pipeline/standard.json as the pull request's head commit has it
(fetched by the comment workflow from the API by the checked commit's SHA, never from the
artifact). When it differs from this checkout's standard, the comment opens with the
change in words (field added or removed, type or constraint changed): the standard
decides what every check accepts, so a change of it is reviewed before anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from pathlib import Path

from pipeline.core import descriptor as dsc
from pipeline.core import findings as fd

MARKER = "<!-- sunshine-ledger-report -->"
REPORT = "validate.json"
DIFF = "diff.md"
NUMBER = "pr-number.txt"
STANDARD = "standard.json"
CAPS = {REPORT: 32 * 1024 * 1024, DIFF: 256 * 1024, NUMBER: 32, STANDARD: 4 * 1024 * 1024}  # bytes read, at most
MAX_STANDARD_CHANGES = 60
MAX_BODY = 60_000  # GitHub refuses comments over 65,536 characters
MAX_PR = 10**9
FINDING_FIELDS = {"path": (str,), "row": (int, type(None)), "field": (str, type(None)), "code": (str,),
                  "resource": (str, type(None)), "value": (str, type(None)), "message_zh": (str,),
                  "message_en": (str,), "fix_zh": (str,), "fix_en": (str,), "severity": (str,),
                  "record": (str, type(None)), "field_title": (str, type(None))}
# A report of a pull request based on a main without record ids has findings without "record", and
# one based on a main without field titles has findings without "field_title".
OPTIONAL_FIELDS = {"record", "field_title"}
CODE = re.compile(r"[a-z][a-z0-9-]{0,49}")
DIFF_ROW = re.compile(r"\| ([a-z][a-z0-9_]{0,39}) \| (\d{1,9}) \| (\d{1,9}) \| (\d{1,9}) \|")
CELL_CLIP = 400


class BadArtifact(Exception):
    """The artifact is not what the data workflow writes; the message says what is wrong."""


# --- Reading, with caps and exact schemas -------------------------------------------------------

def read_capped(folder: Path, name: str, cap: str | None = None) -> str | None:
    """A regular file of the artifact as UTF-8 text, None when absent; never follows a link, never reads past its cap."""
    path = folder / name
    name = cap or name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise BadArtifact(f"{name} 不是普通文件")
    with path.open("rb") as handle:
        raw = handle.read(CAPS[name] + 1)
    if info.st_size > CAPS[name] or len(raw) > CAPS[name]:
        raise BadArtifact(f"{name} 超过 {CAPS[name] // (1024 * 1024) or 1} MB，问题太多；请先在本地运行 `ledger validate`，"
                          "改正成批出现的问题后再提交")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadArtifact(f"{name} 不是 UTF-8 文本") from None


def pr_number(folder: Path) -> int:
    text = read_capped(folder, NUMBER)
    if text is None or not re.fullmatch(r"[1-9][0-9]{0,9}\n?", text) or int(text) > MAX_PR:
        raise BadArtifact("拉取请求编号不是正整数")
    return int(text)


def parse_report(text: str) -> fd.Report:
    """The findings of `ledger validate --format json`, or BadArtifact."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # ValueError also covers integers of 5,000 digits
        raise BadArtifact("校验报告不是合法的 JSON") from None
    if not isinstance(payload, dict) or set(payload) != {"valid", "errors", "warnings", "findings"}:
        raise BadArtifact("校验报告的键不对")
    if type(payload["valid"]) is not bool or type(payload["errors"]) is not int \
            or type(payload["warnings"]) is not int or not isinstance(payload["findings"], list):
        raise BadArtifact("校验报告的值类型不对")
    findings = [_finding(item) for item in payload["findings"]]
    report = fd.Report.of(findings)
    if (len(report.errors), len(report.warnings), report.valid) != \
            (payload["errors"], payload["warnings"], payload["valid"]):
        raise BadArtifact("校验报告的计数与问题清单不一致")
    return report


def _finding(item: object) -> fd.Finding:
    if not isinstance(item, dict) or not set(FINDING_FIELDS) - OPTIONAL_FIELDS <= set(item) <= set(FINDING_FIELDS):
        raise BadArtifact("问题条目的键不对")
    for key, types in FINDING_FIELDS.items():
        if key in item and type(item[key]) not in types:  # type(), not isinstance(): True is not a row number
            raise BadArtifact(f"问题条目的 {key} 类型不对")
    if not CODE.fullmatch(item["code"]) or item["severity"] not in (fd.ERROR, fd.WARNING):
        raise BadArtifact("问题条目的代码或级别不对")
    if item["row"] is not None and not 0 <= item["row"] <= MAX_PR:
        raise BadArtifact("问题条目的行号不对")
    return fd.Finding(**{key: _clip(value) if isinstance(value, str) else value for key, value in item.items()})


def parse_diff(text: str, known: set[str] | None = None) -> list[tuple[str, int, int, int]]:
    """(resource, added, changed, removed) from the rows of `ledger diff --format markdown` that match exactly."""
    rows = []
    for line in text.splitlines():
        match = DIFF_ROW.fullmatch(line)
        if match and (known is None or match[1] in known):
            rows.append((match[1], int(match[2]), int(match[3]), int(match[4])))
    return rows


# --- Rendering: escaped cells only ----------------------------------------------------------------

def _clip(text: str, limit: int = CELL_CLIP) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


CODE_SPAN = re.compile(r"[^|\\\r\n]{1,120}")  # no pipe, no backslash: nothing that could end the cell


def cell(text: object) -> str:
    """A table cell that can only be text. Segments between backticks (`ledger import`) become code
    spans, whose content Markdown, HTML and GitHub's mentions leave alone; everything else is
    escaped, with mentions, #refs and links broken."""
    if text is None:
        return ""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick is just a character
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return "".join(f"`{part}`" if index % 2 and CODE_SPAN.fullmatch(part) and part.isprintable()
                   else _plain(part if index % 2 == 0 else f"`{part}`") for index, part in enumerate(parts))


def _plain(text: str) -> str:
    out = fd.md_cell(text)  # escapes backslashes first: a trailing one cannot free the cell's pipe
    for char in "~$!":  # strikethrough, math, images
        out = out.replace(char, "\\" + char)
    # A backslash escape is gone once rendered, and GitHub links mentions and references in the
    # rendered text: a zero-width space stays, so @user is no notification and #12 no cross-reference.
    out = re.sub(r"@(?=\w)", "@\u200b", out)
    out = re.sub(r"#(?=\d)", "#\u200b", out)
    out = out.replace("://", ":\u200b//").replace("www.", "www\u200b.")  # no autolink
    return "".join(ch if ch.isprintable() or ch == "\u200b" else " " for ch in out)


def standard_section(path: Path | None, base: dict) -> list[str]:
    """Lines opening the comment: the change of the data standard in words (base → the pull request's).

    The head's file is the pull request's: read like the artifact (regular file, capped, UTF-8, JSON object).
    No lines when not asked or when nothing changed.
    """
    if path is None:
        return []
    try:
        text = read_capped(path.parent, path.name, cap=STANDARD)
        if text is None:
            raise BadArtifact("文件不存在或无法取得")
        try:
            head = json.loads(text)
        except (ValueError, RecursionError):
            raise BadArtifact("不是合法的 JSON") from None
        if not isinstance(head, dict):
            raise BadArtifact("顶层不是 JSON 对象")
    except BadArtifact as exc:
        return [f"⚠️ 无法读取本拉取请求中的数据标准 `pipeline/standard.json`（{cell(str(exc))}）："
                "请维护者在“Files changed”（文件改动）中检查它是否被修改。", ""]
    changes = [f"- {cell(_clip(change.words(), 300))}" for change in dsc.changes(base, head, everything=True)]
    if not changes:
        return []
    lines = ["### ⚠️ 本拉取请求修改了数据标准 / The data standard changes", "",
             "数据标准 `pipeline/standard.json` 决定每个字段的类型、约束、主键和个人信息检查，本次校验用的是修改后的标准。"
             "请维护者先逐条审核下面的改动，再看数据校验结果：", ""]
    lines += changes[:MAX_STANDARD_CHANGES]
    if len(changes) > MAX_STANDARD_CHANGES:
        lines.append(f"- ……另有 {len(changes) - MAX_STANDARD_CHANGES} 处改动，请在“Files changed”中查看。")
    return lines + [""]


def render(report: fd.Report | None, diff: list[tuple[str, int, int, int]] | None, problem: str | None = None,
           standard: list[str] | None = None) -> str:
    """The comment's Markdown: a change of the standard first (``standard``: lines of
    :func:`standard_section`), then a to-do list by file (row, record id, field, value, problem, fix),
    then the data changes."""
    head = [MARKER, "## 阳光台账数据校验 / Data check", ""] + (standard or [])
    if report is None:
        head += [f"⚠️ 无法读取本次校验的报告（{cell(problem or '报告缺失')}），请打开本拉取请求的 Checks（检查）"
                 "页面查看“拉取请求数据校验”的日志。", ""]
        return "\n".join(head + _diff_lines(diff) + _footer()) + "\n"
    verdict = "✅" if report.valid and not report.warnings else ("⚠️" if report.valid else "❌")
    head += [f"**{verdict} {fd.summary_line(report).split(' (')[0]}**", ""]
    if report.findings:
        head += ["请按下面的待办清单逐条修改（行号与 Excel 一致，表头是第 1 行）。改好后再次提交或上传文件，本评论会自动更新。", "",
                 "### 待办清单 / To do", ""]
    tail = _diff_lines(diff) + _footer()
    body = list(head)
    budget = MAX_BODY - len("\n".join(head + tail)) - 200
    shown = 0
    current = None
    for finding in report.findings:
        lines = []
        if finding.path != current:
            lines += [f"#### 📄 {cell(finding.path)}", "", "| | 行 | 记录 | 字段 | 值 | 问题 | 修改方法 |",
                      "|---|---|---|---|---|---|---|"]
        mark = "☐" if finding.severity == fd.ERROR else "⚠️"
        if current is not None and finding.path != current:
            lines.insert(0, "")
        lines.append(f"| {mark} | {finding.row if finding.row is not None else ''} | {cell(finding.record)} | "
                     f"{cell(fd.field_label(finding))} | "
                     f"{cell(finding.value)} | {cell(finding.message_zh)} | {cell(finding.fix_zh)} |")
        size = len("\n".join(lines)) + 1
        if size > budget:
            break
        budget -= size
        body += lines
        shown += 1
        current = finding.path
    if shown < len(report.findings):
        body += ["", f"……另有 {len(report.findings) - shown} 条没有列出：在本地运行 `ledger validate` 查看全部。"]
    while body[-1] == "":
        body.pop()
    return "\n".join(body + [""] + tail) + "\n"


def _diff_lines(diff: list[tuple[str, int, int, int]] | None) -> list[str]:
    lines = ["### 数据变化 / Data changes", ""]
    if diff is None:
        return lines + ["（没有变化统计。）", ""]
    if not diff:
        return lines + ["数据没有变化。No data changes.", ""]
    lines += ["| 资源 | 新增 | 修改 | 删除 |", "|---|---|---|---|"]
    lines += [f"| {cell(name)} | {added} | {changed} | {removed} |" for name, added, changed, removed in diff]
    return lines + [""]


def _footer() -> list[str]:
    return ["<sub>本评论由“拉取请求数据校验”自动生成，每次推送后更新。每个校验代码的例子和修改方法见网站的“参与贡献”页面。"
            " This comment is generated by the data check and updated on every push.</sub>"]


# --- Entry point ------------------------------------------------------------------------------------

def comment_for(folder: Path, known: set[str] | None = None, head_standard: Path | None = None) -> str:
    try:
        text = read_capped(folder, REPORT)
        report = None if text is None else parse_report(text)
        problem = None if text is not None else "报告缺失"
    except BadArtifact as exc:
        report, problem = None, str(exc)
    try:
        diff_text = read_capped(folder, DIFF)
        diff = None if diff_text is None else parse_diff(diff_text, known)
    except BadArtifact:
        diff = None
    return render(report, diff, problem, standard_section(head_standard, base_standard()))


def base_standard() -> dict:
    """The data standard of this checkout (the default branch): trusted."""
    return json.loads((Path(__file__).resolve().parent.parent / "standard.json").read_text(encoding="utf-8"))


def known_resources() -> set[str]:
    """Resource names of the standard on the default branch: the only names a diff row may carry."""
    return {res["name"] for res in base_standard()["resources"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pipeline.contribute.prcomment", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    number = sub.add_parser("number", help="print the artifact's PR number (exit 1 unless a positive integer)")
    number.add_argument("folder", type=Path)
    body = sub.add_parser("render", help='write {"body": …} for gh api --input')
    body.add_argument("folder", type=Path)
    body.add_argument("out", type=Path)
    body.add_argument("--head-standard", type=Path, default=None,
                      help="pipeline/standard.json of the pull request's head (untrusted): its changes are shown first")
    args = parser.parse_args(argv)
    if args.command == "number":
        try:
            print(pr_number(args.folder))
        except BadArtifact as exc:
            print(f"artifact rejected: {exc}", file=sys.stderr)
            return 1
        return 0
    text = comment_for(args.folder, known_resources(), args.head_standard)
    args.out.write_text(json.dumps({"body": text}, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
