"""Findings: every problem any check finds, as data.

A finding names the file, the row (as a spreadsheet counts it: the header is
row 1), the field, the value, what is wrong and how to fix it, in Chinese and
in English. Checks *yield* findings; the CLI, the pull-request comment and the
JSON report all print the same list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from pipeline.core.codes import CODES, code_info

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    path: str  # the file, relative to the data folder ("issues/2026.csv"), or "datapackage.json"
    row: int | None  # spreadsheet row: header = 1, first data row = 2
    field: str | None
    code: str
    resource: str | None
    value: str | None
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    severity: str = ERROR
    record: str | None = None  # the row's primary key value ("Q-2026-00005"), set by validation
    field_title: str | None = None  # the field's Chinese title ("提出日期"), set once by ``with_field_titles``

    def to_dict(self) -> dict:
        return asdict(self)


def make(code: str, *, path: str, row: int | None = None, field: str | None = None,
         resource: str | None = None, value: object = None, **params: object) -> Finding:
    """Build a finding from its code's message templates and the parameters they name."""
    info = code_info(code)
    shown = None if value is None else _clip(str(value))
    params = {"path": path, "row": row, "field": field, "value": shown, "resource": resource, **params}
    return Finding(
        path=path, row=row, field=field, code=code, resource=resource, value=shown,
        message_zh=info.message_zh.format(**params), message_en=info.message_en.format(**params),
        fix_zh=info.fix_zh.format(**params), fix_en=info.fix_en.format(**params),
        severity=info.severity,
    )


# The separators a finding joins the fields of a composite key with: "issue_id+seq" (validation),
# "issue_id、seq" (the importer).
KEY_SEPARATORS = ("+", "、")


def field_titles(descriptor: dict) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(resource → field name → Chinese title, data file → resource) of a descriptor's schemas (the
    package's, or the standard's). A field without a title, or whose title is its name, is left out."""
    titles: dict[str, dict[str, str]] = {}
    files: dict[str, str] = {}
    for res in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
        name = res.get("name") if isinstance(res, dict) else None
        if not isinstance(name, str):
            continue
        schema = res.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        titles[name] = {f["name"]: f["title"] for f in (fields if isinstance(fields, list) else [])
                        if isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("title"), str)
                        and f["title"].strip() and f["title"] != f["name"]}
        paths = res.get("path")
        for rel in paths if isinstance(paths, list) else [paths]:
            if isinstance(rel, str):
                files.setdefault(rel, name)
    return titles, files


def title_of(field: str | None, titles: dict[str, str]) -> str | None:
    """The Chinese title of ``field`` among one resource's ``titles``; of a composite key
    ("issue_id+seq"), its fields' titles joined alike ("问题编号+序号"); None when any is unknown."""
    if not field:
        return None
    if field in titles:
        return titles[field]
    for separator in KEY_SEPARATORS:
        parts = field.split(separator)
        if len(parts) > 1 and all(part in titles for part in parts):
            return separator.join(titles[part] for part in parts)
    return None


def with_field_titles(findings: Iterable[Finding], descriptor: dict, resource: str | None = None) -> list[Finding]:
    """Each finding that names a field of its resource, with the field's Chinese title (``field_title``).

    The resource is ``resource`` when given (an import into it: a workbook's name says nothing), else
    the one the finding's data file belongs to, else the one the finding names (a resource of
    datapackage.json). A field the schemas do not know keeps no title; a title already set is kept.
    The checks name fields by their names only: the reports are titled here, once."""
    titles, files = field_titles(descriptor)
    out = []
    for f in findings:
        resource_of = resource or files.get(f.path) or f.resource
        title = None if f.field_title or resource_of not in titles else title_of(f.field, titles[resource_of])
        out.append(replace(f, field_title=title) if title else f)
    return out


def field_label(finding: Finding) -> str | None:
    """The field as a clerk reads it: raised_on（提出日期）; the name alone when it has no title, or
    when the name shown already holds the title (a workbook's column: 参会部门（F 列）)."""
    if not finding.field or not finding.field_title or finding.field_title in finding.field:
        return finding.field
    return f"{finding.field}（{finding.field_title}）"


def _clip(text: str, limit: int = 200) -> str:
    # A huge cell must not turn one finding into megabytes of report.
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> "Report":
        return cls(tuple(sorted(set(findings), key=sort_key)))

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == WARNING)

    @property
    def valid(self) -> bool:
        return not self.errors


def sort_key(finding: Finding) -> tuple:
    """Where, then what; the texts last so that two findings on one cell (a value both under a minimum
    and over a maximum) keep one order whatever order the checks or the set gave them."""
    return (finding.path, finding.row or 0, finding.field or "", finding.code, finding.value or "",
            finding.message_zh, finding.fix_zh, finding.message_en, finding.fix_en, finding.severity,
            finding.resource or "", finding.record or "", finding.field_title or "")


# --- report formats -------------------------------------------------------

def to_json(report: Report) -> str:
    payload = {"valid": report.valid,
               "errors": len(report.errors), "warnings": len(report.warnings),
               "findings": [f.to_dict() for f in report.findings]}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _where(finding: Finding) -> str:
    parts = [finding.path]
    if finding.row is not None:
        parts.append(f"第 {finding.row} 行")
    if finding.field:
        parts.append(f"字段 {field_label(finding)}")
    return "，".join(parts)


def to_text(report: Report, limit: int | None = 200) -> str:
    """For people in a terminal: one block per finding, Chinese first."""
    lines: list[str] = []
    shown = report.findings if limit is None else report.findings[:limit]
    for f in shown:
        label = "错误" if f.severity == ERROR else "警告"
        lines.append(f"[{label}] {_where(f)} [{f.code}]")
        lines.append(f"  {f.message_zh}")
        lines.append(f"  修改方法：{f.fix_zh}")
        lines.append(f"  ({f.message_en} Fix: {f.fix_en})")
    if limit is not None and len(report.findings) > limit:
        lines.append(f"……另有 {len(report.findings) - limit} 条未显示（用 --format json 查看全部）。")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    if report.valid:
        verdict = "数据有效，可以发布" if not report.warnings else "数据有效，可以发布（有警告，请查看）"
        english = "valid"
    else:
        verdict = "数据无效，不能发布"
        english = "invalid"
    return (f"{verdict}：{len(report.errors)} 个错误，{len(report.warnings)} 个警告。"
            f" ({english}: {len(report.errors)} errors, {len(report.warnings)} warnings)")


def md_cell(text: object) -> str:
    """Markdown table cell: escape what Markdown or HTML would read as markup."""
    if text is None:
        return ""
    out = str(text).replace("\\", "\\\\")  # first, so that no later escape can be undone
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"),
                          ("`", "\\`"), ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]")):
        out = out.replace(char, escaped)
    return out.replace("\r", " ").replace("\n", " ")


def md_code(text: object) -> str:
    """Inline code: Markdown does not unescape inside it, so only backticks and line breaks go."""
    return "`" + str(text).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"


def to_markdown(report: Report, limit: int = 300) -> str:
    """For a pull-request comment: a to-do list grouped by file."""
    lines = ["### 数据校验结果 / Validation\n", f"**{summary_line(report)}**\n"]
    by_path: dict[str, list[Finding]] = {}
    for f in report.findings[:limit]:
        by_path.setdefault(f.path, []).append(f)
    for path, items in by_path.items():
        lines.append(f"\n#### {md_code(path)}\n")
        lines.append("| | 行 | 字段 | 值 | 问题 | 修改方法 |")
        lines.append("|---|---|---|---|---|---|")
        for f in items:
            mark = "☐" if f.severity == ERROR else "⚠️"
            lines.append(f"| {mark} | {f.row or ''} | {md_cell(field_label(f))} | "
                         f"{md_cell(f.value)} | {md_cell(f.message_zh)} | {md_cell(f.fix_zh)} |")
    if len(report.findings) > limit:
        lines.append(f"\n……另有 {len(report.findings) - limit} 条，请在本地运行 `ledger validate` 查看全部。")
    return "\n".join(lines) + "\n"


__all__ = ["CODES", "ERROR", "WARNING", "Finding", "Report", "field_label", "field_titles", "make", "to_json",
           "to_markdown", "to_text", "with_field_titles"]
