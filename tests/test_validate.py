"""Validation on the tiny package with one defect at a time.

Each case is named after the defect it carries and asserts the exact findings:
(file, spreadsheet row, field, code). The tiny package itself is valid.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from pathlib import Path

import pytest

from pipeline.build import BuildConfig, build
from pipeline.core import findings as fd
from pipeline.core.descriptor import load_standard
from pipeline.validate import validate


def flat(report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code) for f in report.findings]


def edit_cell(folder: Path, rel: str, row: int, field: str, value: str) -> None:
    """Set one cell; ``row`` counts as a spreadsheet does (header = 1)."""
    path = folder / rel
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[row - 1][rows[0].index(field)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def test_tiny_package_is_valid(tiny):
    report, ledger = validate(tiny)
    assert flat(report) == []
    assert report.valid and ledger is not None


# --- defects in the files themselves -------------------------------------------------

def bom(folder):
    path = folder / "regions.csv"
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())


def gb18030_export(folder):
    path = folder / "departments.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def utf16_export(folder):
    path = folder / "departments.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


def missing_file(folder):
    (folder / "surveys.csv").unlink()


def renamed_header(folder):
    path = folder / "issues" / "2026.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",title,", ",标题,", 1), encoding="utf-8")


def extra_column(folder):
    path = folder / "departments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",phone"] + [line + "," for line in lines[1:]]) + "\n", encoding="utf-8")


FILE_DEFECTS = {
    "bom": (bom, [("regions.csv", 1, None, "bom-present")]),
    "gb18030-export": (gb18030_export, [("departments.csv", 2, None, "encoding-error")]),
    "utf16-export": (utf16_export, [("departments.csv", 1, None, "encoding-error")]),
    "missing-file": (missing_file, [("surveys.csv", None, None, "missing-file")]),
    "renamed-header": (renamed_header, [("issues/2026.csv", 1, "title", "incorrect-label")]),
    "extra-column": (extra_column, [("departments.csv", 1, None, "extra-label")]),
}


@pytest.mark.parametrize("defect", sorted(FILE_DEFECTS))
def test_file_defects_are_reported_alone(tiny, defect):
    apply, expected = FILE_DEFECTS[defect]
    apply(tiny)
    report, ledger = validate(tiny)
    assert flat(report) == expected
    assert not report.valid and ledger is None


def test_gb18030_message_says_where_and_how_to_convert(tiny):
    gb18030_export(tiny)
    (finding,) = validate(tiny)[0].findings
    assert finding.message_zh == "文件不是 UTF-8 编码：第 2 行有无法识别的字节（第 28 个字节起，可能是 GBK/GB18030 编码）。"
    assert "ledger import" in finding.fix_zh


# --- defects in cells, found by frictionless or our rules ----------------------------

CELL_DEFECTS = {
    "date-with-slashes": (("issues/2026.csv", 2, "raised_on", "2026/3/2"), [("issues/2026.csv", 2, "raised_on", "type-error")]),
    "status-label-instead-of-code": (("issues/2026.csv", 3, "status", "已评价"), [("issues/2026.csv", 3, "status", "constraint-error")]),
    "unknown-lead-department": (("issues/2026.csv", 4, "lead_department", "gaj"), [("issues/2026.csv", 4, "lead_department", "foreign-key")]),
    "duplicate-issue-id": (("issues/2026.csv", 5, "id", "Q-001"), [("issues/2026.csv", 5, "id", "unique-error")]),
    "title-too-short": (("issues/2026.csv", 6, "title", "路灯"), [("issues/2026.csv", 6, "title", "constraint-error")]),
    "empty-required-title": (("issues/2026.csv", 6, "title", ""), [("issues/2026.csv", 6, "title", "constraint-error")]),
    "resolved-before-assigned": (("issues/2026.csv", 3, "resolved_on", "2026-03-01"), [("issues/2026.csv", 3, "resolved_on", "date-order")]),
    "resolved-without-date": (("issues/2026.csv", 4, "resolved_on", ""), [("issues/2026.csv", 4, "resolved_on", "status-missing-field")]),
    "archived-after-as-of": (("issues/2026.csv", 2, "archived_on", "2026-05-02"), [("issues/2026.csv", 2, "archived_on", "date-after-as-of")]),
    "meeting-of-another-mechanism": (("issues/2026.csv", 5, "meeting_id", "M-001"), [("issues/2026.csv", 5, "mechanism", "meeting-mismatch")]),
    "unknown-co-department": (("issues/2026.csv", 3, "co_departments", "zrzyj;gaj"), [("issues/2026.csv", 3, "co_departments", "unknown-code")]),
    "unknown-meeting-department": (("meetings.csv", 2, "departments", "jtj;xyz"), [("meetings.csv", 2, "departments", "unknown-code")]),
    "resident-id-in-title": (("issues/2026.csv", 7, "title", "村民11010519491231002X反映道路积水"), [("issues/2026.csv", 7, "title", "pii-id-number")]),
    "resident-name-in-summary": (("issues/2026.csv", 3, "summary", "村民张三反映河道垃圾"), [("issues/2026.csv", 3, "summary", "pii-name")]),
    "mobile-in-summary": (("issues/2026.csv", 2, "summary", "已联系 +86 138-1234-5678 处理"), [("issues/2026.csv", 2, "summary", "pii-mobile")]),
    "javascript-link": (("claims.csv", 2, "source_url", "javascript:alert(1)"), [("claims.csv", 2, "source_url", "unsafe-url")]),
    "township-code-shaped-like-county": (("regions.csv", 3, "level", "township"), [("regions.csv", 3, "code", "region-code-level")]),
    "officer-name-instead-of-code": (("inspections.csv", 2, "officer", "张三"), [("inspections.csv", 2, "officer", "constraint-error")]),
    # values that validated and then broke the build or the downloads (pipeline/core/values.py, tests/test_values.py)
    "nan-in-number": (("claims.csv", 2, "value", "NaN"), [("claims.csv", 2, "value", "number-out-of-range")]),
    "twenty-digit-integer": (("surveys.csv", 2, "satisfied", "12345678901234567890"), [("surveys.csv", 2, "satisfied", "integer-out-of-range")]),
    "trailing-newline-in-code": (("inspections.csv", 3, "officer", "TYG-02\n"), [("inspections.csv", 3, "officer", "constraint-error")]),
    "zero-width-space-name": (("regions.csv", 2, "name", "\u200b"), [("regions.csv", 2, "name", "invisible-value")]),
    "full-width-space-name": (("departments.csv", 2, "name", "\u3000"), [("departments.csv", 2, "name", "invisible-value")]),
}


@pytest.mark.parametrize("defect", sorted(CELL_DEFECTS))
def test_cell_defects_name_file_row_field_and_rule(tiny, defect):
    (rel, row, field, value), expected = CELL_DEFECTS[defect]
    edit_cell(tiny, rel, row, field, value)
    report, _ = validate(tiny)
    assert flat(report) == expected


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_every_finding_on_a_field_of_the_standard_names_its_chinese_title(tiny, engine):
    """Whatever check found it (types, constraints, keys, rules, personal numbers, the standard's own value
    checks), a finding on a field the standard titles carries the title of its file's resource, and the
    text report's where-line shows it: 字段 raised_on（提出日期）."""
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    report, _ = validate(tiny, engine=engine)
    titles, files = fd.field_titles(load_standard())
    text = fd.to_text(report, limit=None)
    named = [f for f in report.findings if f.field]
    assert len(named) >= len(CELL_DEFECTS) - 2
    for f in named:
        assert f.field_title == titles[files[f.path]][f.field], f
        assert f"，字段 {f.field}（{f.field_title}） [{f.code}]" in text
    assert ("issues/2026.csv", "raised_on", "提出日期") in {(f.path, f.field, f.field_title) for f in named}


def test_year_files_are_numbered_per_file(tiny):
    """frictionless numbers a multipart resource continuously; findings use each file's own rows."""
    lines = (tiny / "issues" / "2026.csv").read_text(encoding="utf-8").splitlines()
    (tiny / "issues" / "2025.csv").write_text(lines[0] + "\n", encoding="utf-8")
    (tiny / "issues" / "2026.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = tiny / "issues" / "2027.csv"
    second.write_text(lines[0] + "\n" + lines[1].replace("Q-001", "Q-009").replace("2026-03-02,990121001001", "2026-13-02,990121001001", 1) + "\n", encoding="utf-8")
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "issues")["path"] = [
        "issues/2025.csv", "issues/2026.csv", "issues/2027.csv"]
    (tiny / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    report, _ = validate(tiny)
    assert flat(report) == [("issues/2027.csv", 2, "raised_on", "type-error")]


def test_blank_row_in_the_middle(tiny):
    path = tiny / "departments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", lines[2]]) + "\n", encoding="utf-8")
    assert flat(validate(tiny)[0]) == [("departments.csv", 3, None, "blank-row")]


TOO_LONG = "不能含空字符，每一级名称不超过 255 字节（约 85 个汉字），整个路径不超过 1024 字节"


@pytest.mark.parametrize("path,why", [("../outside.csv", "不能包含“..”"), ("/etc/passwd", "不能是绝对路径"),
                                      ("https://example.org/x.csv", "不能是网址"),
                                      # these were "无法校验 … OSError: File name too long" and a missing file
                                      ("问" * 86 + ".csv", TOO_LONG), ("a/" * 600 + "x.csv", TOO_LONG),
                                      ("regions\0.csv", TOO_LONG)])
def test_unsafe_resource_paths_are_refused_before_reading(tiny, path, why):
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = path
    (tiny / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, None, "unsafe-path")]
    message = report.findings[0].message_zh
    assert (message.startswith(f"资源 regions 的路径 {path[:40]}"), message.endswith(f" 不被允许：{why}")) == (True, True)
    assert len(path) > 100 or message == f"资源 regions 的路径 {path} 不被允许：{why}"  # a long path is shown cut
    assert ledger is None


@pytest.mark.parametrize("paths,listed,why", [
    # The defect: a file listed twice was "ValueError: Categorical categories must be unique", and other
    # spellings of one file were read twice, every row a duplicate of itself.
    ({"issues": ["issues/2026.csv", "issues/2026.csv"]}, ("issues", "issues/2026.csv"), "这个文件在 path 中列了两次"),
    ({"regions": ["regions.csv", "departments.csv"]}, ("departments", "departments.csv"),
     "这个文件在资源 regions 的 path 中已经列过"),
    ({"issues": ["./issues/2026.csv"]}, ("issues", "./issues/2026.csv"), "应写成 issues/2026.csv"),
    ({"issues": ["issues//2026.csv"]}, ("issues", "issues//2026.csv"), "应写成 issues/2026.csv"),
    ({"issues": "issues\\2026.csv"}, ("issues", "issues\\2026.csv"), "应写成 issues/2026.csv"),
    ({"issues": "issues/2026.csv/"}, ("issues", "issues/2026.csv/"), "应写成 issues/2026.csv"),
])
def test_a_file_listed_twice_or_by_another_name_is_refused_before_reading(tiny, paths, listed, why):
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        res["path"] = paths.get(res["name"], res["path"])
    (tiny / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report, ledger = validate(tiny)
    (finding,) = report.findings
    assert (finding.code, finding.resource, finding.message_zh) == (
        "unsafe-path", listed[0], f"资源 {listed[0]} 的路径 {listed[1]} 不被允许：{why}")
    assert ledger is None


@pytest.mark.parametrize(("as_of", "days"), [
    ("2062-04-30", 13151),  # 2026 mistyped
    ("2026-10-26", 181),
    ("2026-10-25", None),  # 180 days after the newest issue (2026-04-28): a quiet half year
])
@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_a_snapshot_long_after_the_newest_issue_is_a_warning(tiny, as_of, days, engine):
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = as_of
    (tiny / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report, _ = validate(tiny, engine=engine)
    assert report.valid
    assert [(f.path, f.field, f.code, f.severity, f.message_zh) for f in report.findings] == ([] if days is None else [
        ("datapackage.json", "as_of", "as-of-after-data", "warning",
         f"数据截止日 as_of 是 {as_of}，比最新一条问题的提出日期 2026-04-28 晚 {days} 天。")])


def test_symlinked_resource_is_refused(tiny):
    target = tiny / "regions.csv"
    moved = tiny.parent / "elsewhere.csv"
    target.rename(moved)
    target.symlink_to(moved)
    assert flat(validate(tiny)[0]) == [("datapackage.json", None, None, "unsafe-path")]


def test_descriptor_that_is_not_json(tiny):
    (tiny / "datapackage.json").write_text("{not json", encoding="utf-8")
    assert flat(validate(tiny)[0]) == [("datapackage.json", None, None, "package-error")]


def test_deadline_in_uncovered_year_is_a_warning_not_an_error(tiny):
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = "2026-12-31"
    (tiny / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    edit_cell(tiny, "issues/2026.csv", 6, "raised_on", "2026-12-28")
    edit_cell(tiny, "issues/2026.csv", 6, "assigned_on", "2026-12-28")
    edit_cell(tiny, "issues/2026.csv", 6, "tier", "difficult")
    report, ledger = validate(tiny)
    assert flat(report) == [("holidays.csv", None, None, "calendar-year-missing")]
    assert report.valid
    assert report.findings[0].message_zh.startswith("2027 年的法定节假日安排尚未收录")
    assert bool(ledger.issues.set_index("id").loc["Q-005", "due_provisional"]) is True


def test_every_error_names_a_fix_in_both_languages(tiny):
    for defect in CELL_DEFECTS.values():
        edit_cell(tiny, *defect[0])
    report, _ = validate(tiny)
    assert len(report.findings) >= len(CELL_DEFECTS) - 2
    for finding in report.findings:
        assert finding.message_zh and finding.message_en and finding.fix_zh and finding.fix_en
        assert not re.search(r"\{[a-z_]+\}", finding.message_zh + finding.message_en + finding.fix_zh)


# --- files in the data folder that the package does not list ---------------------------------------

def test_the_folders_the_tools_own_in_a_data_folder_at_a_repositorys_top_are_not_unlisted_files(tiny, tmp_path):
    """The defect: with datapackage.json at a repository's top (a layout the build allows) and the site built
    into public/ beside it, every download of the site was an unlisted-file warning (70 for the tiny
    package), and so were the workbooks waiting in inbox/."""
    build(BuildConfig(data=tiny, out=tiny / "public"))
    (tiny / "public-release").mkdir()
    (tiny / "public-release" / ".sunshine-ledger-release").write_text("ledger build\n", encoding="utf-8")
    (tiny / "public-release" / "issues.csv").write_text("a\n", encoding="utf-8")
    (tiny / "inbox").mkdir()
    (tiny / "inbox" / "问题-2026.xlsx").write_bytes(b"PK\x03\x04")
    (tiny / "raw" / "inbox").mkdir(parents=True)  # not the inbox: only the top's is
    (tiny / "raw" / "inbox" / "导出.csv").write_text("a,b\n", encoding="utf-8")
    assert len(list((tiny / "public").rglob("*.csv"))) > 10
    report, _ = validate(tiny)
    assert [(f.path, f.code) for f in report.findings] == [("raw/inbox/导出.csv", "unlisted-file")]


def test_tables_and_workbooks_the_package_does_not_list_are_named_and_the_package_still_publishes(tiny):
    """The defect: a CSV uploaded through the git host's page under another name (issues/2026(1).csv) or a
    workbook put into data/ instead of inbox/ passed as a valid package, and the clerk's rows were never
    published. Each is a warning now, in both engines; hidden files and folders and other kinds of file
    are not looked at."""
    (tiny / "issues" / "2026(1).csv").write_bytes((tiny / "issues" / "2026.csv").read_bytes())
    (tiny / "问题台账.xlsx").write_bytes(b"PK\x03\x04")
    (tiny / "raw").mkdir()
    (tiny / "raw" / "导出.CSV").write_text("a,b\n", encoding="utf-8")
    (tiny / ".hidden.csv").write_text("a\n", encoding="utf-8")
    (tiny / ".git").mkdir()
    (tiny / ".git" / "x.csv").write_text("a\n", encoding="utf-8")
    (tiny / "说明.md").write_text("# 说明\n", encoding="utf-8")
    for engine in ("fast", "frictionless"):
        report, ledger = validate(tiny, engine=engine)
        assert report.valid and ledger is not None
        assert [(f.path, f.row, f.code, f.severity) for f in report.findings] == [
            ("issues/2026(1).csv", None, "unlisted-file", "warning"), ("raw/导出.CSV", None, "unlisted-file", "warning"),
            ("问题台账.xlsx", None, "unlisted-file", "warning")]
    (finding, *_) = report.findings
    assert finding.message_zh == "文件 issues/2026(1).csv 在数据文件夹里，但 datapackage.json 没有列出它：它不会被校验，也不会发布。"
