"""The web inbox (pipeline/contribute/inbox.py): workbooks uploaded into inbox/ through the git host's page,
imported as `ledger import` would onto a temporary copy of data/, validated, findings in the sheet's terms.

Workbooks are real .xlsx files: the template `ledger template` writes, filled by openpyxl as a clerk would.
"""

from __future__ import annotations

import io
import shutil
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.contribute import inbox, prcomment
from pipeline.contribute.workbook import template_bytes
from pipeline.core import findings as fd
from pipeline.core.package import load
from tests.conftest import REPO, make_tiny, write_descriptor

CLEAN_MEETINGS = [["M-004", "周一夜访", "2026/4/6", "990121002001", "县级", "jtj", 12],
                  ["M-005", "市会镇开", "2026年4月13日", "990121001000", "市级", "jtj;zrzyj", "7"]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fork's checkout: the tiny package in data/ and an inbox with its README."""
    make_tiny(tmp_path / "data")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "README.md").write_text("收件箱\n", encoding="utf-8")
    return tmp_path


def workbook(repo: Path, name: str, resource: str, rows: list[list[object]]) -> Path:
    """The resource's template, downloaded from the site, with ``rows`` typed into its data sheet."""
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(load(repo / "data"), resource)))
    for row in rows:
        book.active.append(row)
    path = repo / "inbox" / name
    book.save(path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def flat(report) -> list[list[object]]:
    return [[f.path, f.row, f.field, f.code] for f in report.findings]


# --- A clean workbook ------------------------------------------------------------------------------

def test_clean_workbook_is_imported_into_the_temporary_copy_only(repo):
    workbook(repo, "会议-4月.xlsx", "meetings", CLEAN_MEETINGS)
    before = snapshot(repo)
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [] and outcome.clean
    assert snapshot(repo) == before  # check never writes: data/ and inbox/ as they were
    assert [(u.shown, u.resource, u.target) for u in outcome.uploads] == [("inbox/会议-4月.xlsx", "meetings", "meetings.csv")]
    old = (repo / "data" / "meetings.csv").read_text(encoding="utf-8")
    assert outcome.written == {"meetings.csv": old + "M-004,monday_night_visit,2026-04-06,990121002001,county,jtj,12\n"
                                                      "M-005,city_meets_in_town,2026-04-13,990121001000,city,jtj;zrzyj,7\n"}
    assert [(c.resource, c.added, c.changed, c.removed) for c in outcome.changes] == [
        ("meetings", ["M-004", "M-005"], {}, [])]


def test_clean_workbook_gives_the_bytes_ledger_import_writes(repo, tmp_path):
    """Exactly as `ledger import FILE --resource meetings --out data/meetings.csv --replace` would (a merge by
    primary key; the comment lists the changed record and the maintainer's apply confirms it)."""
    upload = workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS + [["M-001", "市会镇开", "2026-03-02", "990121001000",
                                                                        "市级", "jtj;zrzyj", 11]])
    outcome = inbox.run(repo / "data", repo / "inbox")
    by_command = tmp_path / "by-command"
    make_tiny(by_command)
    result = CliRunner().invoke(cli, ["import", str(upload), "--resource", "meetings", "--data", str(by_command),
                                      "--out", str(by_command / "meetings.csv"), "--replace"])
    assert result.exit_code == 0, result.output
    assert [(c.resource, len(c.changed)) for c in outcome.changes] == [("meetings", 1)]
    assert outcome.written == {"meetings.csv": (by_command / "meetings.csv").read_text(encoding="utf-8")}


def test_apply_writes_the_canonical_csv_and_empties_the_inbox(repo):
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    expected = inbox.run(repo / "data", repo / "inbox").written["meetings.csv"]
    untouched = {k: v for k, v in snapshot(repo / "data").items() if k != "meetings.csv"}
    assert inbox.main(["apply", "--data", str(repo / "data"), "--inbox", str(repo / "inbox")]) == 0
    assert (repo / "data" / "meetings.csv").read_text(encoding="utf-8") == expected
    assert {k: v for k, v in snapshot(repo / "data").items() if k != "meetings.csv"} == untouched
    assert sorted(p.name for p in (repo / "inbox").iterdir()) == ["README.md"]
    assert list((repo / "data").glob(".*.partial")) == []


def test_two_workbooks_for_one_file_are_imported_one_after_the_other(repo):
    workbook(repo, "a-会议.xlsx", "meetings", CLEAN_MEETINGS[:1])
    workbook(repo, "b-会议.xlsx", "meetings", CLEAN_MEETINGS[1:])
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert outcome.clean
    assert outcome.written["meetings.csv"].endswith("M-004,monday_night_visit,2026-04-06,990121002001,county,jtj,12\n"
                                                    "M-005,city_meets_in_town,2026-04-13,990121001000,city,jtj;zrzyj,7\n")


# --- Findings in the sheet's terms -----------------------------------------------------------------

def test_unknown_department_is_named_by_workbook_sheet_row_and_column(repo):
    workbook(repo, "会议.xlsx", "meetings", [CLEAN_MEETINGS[0], ["M-005", "周一夜访", "2026/4/13", "990121002001", "县级",
                                                                "nosuch", 7]])
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [["inbox/会议.xlsx（工作表“下沉会议与夜访”）", 3, "参会部门（F 列）", "unknown-code"]]
    assert outcome.report.findings[0].value == "nosuch"
    assert not outcome.clean


def test_unconvertible_cell_is_named_by_the_inbox_path_and_excel_row(repo):
    workbook(repo, "会议.xlsx", "meetings", [CLEAN_MEETINGS[0], ["M-005", "已完成", "2026/4/13", "990121002001", "县级",
                                                                "jtj", 7]])
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [["inbox/会议.xlsx（工作表“下沉会议与夜访”）", 3, "mechanism", "import-error"]]
    assert outcome.written == {}


def test_the_importers_findings_name_the_fields_chinese_title(repo):
    workbook(repo, "会议.xlsx", "meetings", [CLEAN_MEETINGS[0], ["M-005", "已完成", "2026/4/13", "990121002001", "县级",
                                                                "jtj", 7]])
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert [(f.field, f.field_title) for f in outcome.report.findings] == [("mechanism", "机制")]
    assert fd.to_text(outcome.report).startswith(
        "[错误] inbox/会议.xlsx（工作表“下沉会议与夜访”），第 3 行，字段 mechanism（机制） [import-error]\n"
        "  “机制”列 B3（会议编号 M-005）：")


def test_a_column_headed_by_the_field_name_is_named_with_its_title_too(repo):
    """A sheet exported from the data (English headers): the column is named by its header, its title and
    its letter, and the report does not say the title twice."""
    path = workbook(repo, "会议.xlsx", "meetings", [CLEAN_MEETINGS[0], ["M-005", "周一夜访", "2026/4/13", "990121002001",
                                                                       "县级", "nosuch", 7]])
    book = openpyxl.load_workbook(path)
    for cell, name in zip(book.active[1], [f["name"] for f in load(repo / "data").fields("meetings")]):
        cell.value = name
    book.save(path)
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [["inbox/会议.xlsx（工作表“下沉会议与夜访”）", 3, "departments（参会部门，F 列）", "unknown-code"]]
    assert outcome.report.findings[0].field_title == "参会部门"
    assert "，第 3 行，字段 departments（参会部门，F 列） [unknown-code]\n" in fd.to_text(outcome.report)
    assert "| ☐ | 3 | departments（参会部门，F 列） | nosuch |" in fd.to_markdown(outcome.report)


def test_findings_on_rows_the_workbook_did_not_bring_keep_the_data_file(repo):
    (repo / "data" / "meetings.csv").write_text(
        (repo / "data" / "meetings.csv").read_text(encoding="utf-8").replace("M-002,monday_night_visit,2026-03-09",
                                                                              "M-002,monday_night_visit,2026-13-09"),
        encoding="utf-8")
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS[:1])
    assert flat(inbox.run(repo / "data", repo / "inbox").report) == [["meetings.csv", 3, "held_on", "type-error"]]


def test_the_report_renders_as_the_pull_request_comment_in_the_sheets_terms(repo, tmp_path):
    workbook(repo, "会议.xlsx", "meetings", [CLEAN_MEETINGS[0], ["M-005", "周一夜访", "2026/4/13", "990121002001", "县级",
                                                                "nosuch", 7]])
    report = tmp_path / "pr-report"
    assert inbox.main(["check", "--data", str(repo / "data"), "--inbox", str(repo / "inbox"), "--report", str(report)]) == 1
    (report / prcomment.NUMBER).write_text("5\n", encoding="utf-8")
    assert sorted(p.name for p in report.iterdir()) == ["diff.md", "pr-number.txt", "validate.json", "validate.md"]
    body = prcomment.comment_for(report, prcomment.known_resources())
    assert "#### 📄 inbox/会议.xlsx（工作表“下沉会议与夜访”）" in body
    assert "| ☐ | 3 | M-005 | 参会部门（F 列） | nosuch |" in body
    assert "| meetings | 2 | 0 | 0 |" in body


def test_a_personal_number_in_a_cell_the_import_cannot_read_is_masked_in_the_public_comment(repo, tmp_path):
    """The defect: a mobile typed into the date column was an import error quoting the cell as written, and
    the report is the pull request's public comment."""
    workbook(repo, "会议.xlsx", "meetings", [["M-005", "周一夜访", "13812345678", "990121002001", "县级", "jtj", 7]])
    report = tmp_path / "pr-report"
    assert inbox.main(["check", "--data", str(repo / "data"), "--inbox", str(repo / "inbox"), "--report", str(report)]) == 1
    (report / prcomment.NUMBER).write_text("5\n", encoding="utf-8")
    (finding,) = json.loads((report / "validate.json").read_text(encoding="utf-8"))["findings"]
    assert (finding["code"], finding["value"]) == ("import-error", "138******78")
    assert finding["message_zh"] == "“日期”列 C2（会议编号 M-005）：“138******78”不是可识别的日期；请写成 2026-03-05。"
    body = prcomment.comment_for(report, prcomment.known_resources())
    assert "1381234" not in body + "".join(p.read_text(encoding="utf-8") for p in report.iterdir())
    assert "138\\*\\*\\*\\*\\*\\*78" in body


# --- Refused uploads ---------------------------------------------------------------------------------

def test_csv_upload_is_refused(repo):
    (repo / "inbox" / "问题台账.csv").write_text("编号,标题\nQ-9,路灯\n", encoding="utf-8")
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [["inbox/问题台账.csv", None, None, "inbox-not-xlsx"]]
    assert outcome.report.findings[0].message_zh == \
        "上传到收件箱的 问题台账.csv 不是 Excel 工作簿（.xlsx）：扩展名是 .csv，这是 CSV 文件，没有导入。"


def test_renamed_pdf_is_refused(repo):
    (repo / "inbox" / "问题台账.xlsx").write_bytes(b"%PDF-1.7\n")
    finding, = inbox.run(repo / "data", repo / "inbox").report.findings
    assert finding.code == "inbox-not-xlsx"
    assert finding.message_zh.endswith("扩展名是 .xlsx，内容却不是 Excel 工作簿（可能是改了扩展名的其他文件），没有导入。")


@pytest.mark.parametrize(("upload", "detail"), [
    (Path(__file__).parent / "fixtures" / "import" / "issues-password-protected.xlsx",
     "它设置了打开密码（已加密），打不开：请在 Excel 或 WPS 中用密码打开它，取消密码后保存"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "扩展名是 .xlsx，内容却是旧版 .xls 或 WPS 表格（.et）文件"),
])
def test_a_workbook_with_a_password_or_an_old_xls_renamed_is_named_as_such(repo, upload, detail):
    """The defect: both were "not a workbook (perhaps another file renamed)", and saving a workbook with a
    password again as .xlsx keeps the password."""
    (repo / "inbox" / "问题-2026.xlsx").write_bytes(upload.read_bytes() if isinstance(upload, Path) else upload)
    finding, = inbox.run(repo / "data", repo / "inbox").report.findings
    assert (finding.code, finding.message_zh) == (
        "inbox-not-xlsx", f"上传到收件箱的 问题-2026.xlsx 不是 Excel 工作簿（.xlsx）：{detail}，没有导入。")


def test_oversized_upload_is_refused_unopened(repo, monkeypatch):
    path = workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    monkeypatch.setattr(inbox, "MAX_UPLOAD_BYTES", path.stat().st_size - 1)
    monkeypatch.setattr(inbox, "read_sheet", lambda *_: pytest.fail("an oversized upload was opened"))
    finding, = inbox.run(repo / "data", repo / "inbox").report.findings
    assert (finding.path, finding.code) == ("inbox/会议.xlsx", "inbox-too-large")
    assert finding.message_zh.startswith("上传到收件箱的 会议.xlsx 太大（")


def test_zip_bomb_is_refused_unopened(repo):
    bomb = repo / "inbox" / "会议.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (inbox.MAX_UNPACKED_BYTES + 1))
    assert bomb.stat().st_size < 1024 * 1024
    finding, = inbox.run(repo / "data", repo / "inbox").report.findings
    assert finding.code == "inbox-too-large" and "解压后 200.0 MB" in finding.message_zh


def test_symlinked_upload_is_refused(repo, tmp_path):
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"PK\x03\x04")
    (repo / "inbox" / "会议.xlsx").symlink_to(secret)
    assert flat(inbox.run(repo / "data", repo / "inbox").report) == [["inbox/会议.xlsx", None, None, "inbox-not-xlsx"]]


def test_folder_in_the_inbox_is_refused(repo):
    (repo / "inbox" / "四月").mkdir()
    assert flat(inbox.run(repo / "data", repo / "inbox").report) == [["inbox/四月", None, None, "inbox-not-xlsx"]]


def test_year_file_not_named_is_refused(repo):
    write_descriptor(repo / "data", "2026-04-30", ["issues/2025.csv", "issues/2026.csv"])
    header = (repo / "data" / "issues" / "2026.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    (repo / "data" / "issues" / "2025.csv").write_text(header + "\n", encoding="utf-8")
    workbook(repo, "问题台账.xlsx", "issues", [])
    finding, = inbox.run(repo / "data", repo / "inbox").report.findings
    assert finding.code == "inbox-which-table"
    assert finding.message_zh == ("无法确定 问题台账.xlsx 要导入到哪个数据文件：资源 issues 分为 2025、2026 2 个文件，"
                                  "文件名里要写明其中一个（例如 issues-2026.xlsx）。")


def test_workbook_without_template_headers_is_refused(repo):
    book = openpyxl.Workbook()
    book.active.append(["序号", "内容"])
    book.active.append([1, "路灯坏了"])
    book.save(repo / "inbox" / "随手记.xlsx")
    assert flat(inbox.run(repo / "data", repo / "inbox").report) == [["inbox/随手记.xlsx", None, None, "inbox-which-table"]]


def test_apply_writes_nothing_when_an_upload_is_refused(repo):
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    (repo / "inbox" / "问题台账.csv").write_text("编号\n", encoding="utf-8")
    before = snapshot(repo)
    assert inbox.main(["apply", "--data", str(repo / "data"), "--inbox", str(repo / "inbox")]) == 1
    assert snapshot(repo) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["会议.xlsx", "a.XLSX", "b.xls", "c", "d.xlsx.csv"]), raw=st.binary(max_size=300),
       zipped=st.booleans())
def test_any_upload_gives_findings_never_a_crash_and_never_a_write(repo, name, raw, zipped):
    for old in inbox.entries(repo / "inbox"):
        old.unlink()
    if zipped:  # a ZIP archive holding garbage where the workbook's parts should be
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("xl/workbook.xml", raw)
        raw = buffer.getvalue()
    (repo / "inbox" / name).write_bytes(raw)
    before = snapshot(repo)
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert snapshot(repo) == before
    assert not outcome.report.valid and outcome.written == {} and not outcome.clean
    assert {f.code for f in outcome.report.findings} <= {"inbox-not-xlsx", "inbox-which-table"}


# --- The command line ------------------------------------------------------------------------------

def module(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.contribute.inbox", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_command_check_lists_the_findings_and_exits_1(repo):
    workbook(repo, "会议.xlsx", "meetings", [["M-005", "周一夜访", "2026/4/13", "990121002001", "县级", "nosuch", 7]])
    run = module("check", cwd=repo)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("[错误] inbox/会议.xlsx（工作表“下沉会议与夜访”），第 2 行，字段 参会部门（F 列） [unknown-code]\n")
    assert "数据无效，不能发布：1 个错误，0 个警告。" in run.stdout
    assert run.stdout.endswith("inbox/会议.xlsx → data/meetings.csv（资源 meetings）\n") and run.stderr == ""


def test_command_apply_on_a_clean_inbox(repo):
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    run = module("apply", cwd=repo)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.endswith("已写入 data/meetings.csv\n已从收件箱删除 inbox/会议.xlsx\n")
    assert run.stderr == ""


def test_command_on_an_empty_inbox_says_so(repo, tmp_path):
    run = module("check", "--report", str(tmp_path / "report"), cwd=repo)
    assert (run.returncode, run.stdout) == (0, "收件箱 inbox 里没有要导入的工作簿。The inbox holds no workbook.\n")
    assert json.loads((tmp_path / "report" / "validate.json").read_text(encoding="utf-8"))["valid"] is True


def test_command_without_a_data_folder_is_one_line(tmp_path):
    run = module("check", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "错误：data 中没有 datapackage.json：请用 --data 指定数据文件夹。\n"


def test_contributing_walks_the_browser_path_with_the_comments_picture():
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "### 第三步（只用浏览器）：把工作簿上传到收件箱 `inbox/`" in text
    assert "](docs/images/inbox-comment.png)" in text
    picture = (REPO / "docs" / "images" / "inbox-comment.png").read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 20_000
    # Only its README is asserted: a clerk's pull request holds workbooks in inbox/ while its tests run.
    assert "inbox/" in (REPO / "inbox" / "README.md").read_text(encoding="utf-8")


def test_symlinked_inbox_folder_is_refused(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS).rename(elsewhere / "会议.xlsx")
    (repo / "inbox").rename(tmp_path / "old-inbox")
    (repo / "inbox").symlink_to(elsewhere)
    run = module("apply", cwd=repo)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "错误：inbox 是符号链接，拒绝读取：请用 --inbox 指定真实的文件夹。\n"
    assert (elsewhere / "会议.xlsx").exists()


def test_finding_on_a_field_the_sheet_has_no_column_for_names_its_chinese_title(repo):
    """The clerk's own sheet has no 交办日期 column, but a resolved issue needs one."""
    book = openpyxl.Workbook()
    book.active.title = "四月"
    book.active.append(["问题编号", "来源机制", "提出日期", "所在区划", "问题标题", "问题类别", "难易程度", "牵头部门",
                        "办理状态", "办结日期"])
    book.active.append(["Q-009", "周一夜访", "2026/4/13", "990121001001", "村口桥栏杆松动", "基础设施", "简单问题（当天办结）",
                        "jtj", "已办结", "2026/4/14"])
    book.save(repo / "inbox" / "问题.xlsx")
    assert flat(inbox.run(repo / "data", repo / "inbox").report) == [
        ["inbox/问题.xlsx（工作表“四月”）", 2, "交办日期（表中没有这一列）", "status-missing-field"],
        ["inbox/问题.xlsx（工作表“四月”）", 2, "办结层级（表中没有这一列）", "status-missing-field"]]


def test_internal_error_is_one_line(repo, monkeypatch, capsys):
    workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    monkeypatch.setattr(inbox, "import_table", lambda *_: 1 / 0)
    assert inbox.main(["check", "--data", str(repo / "data"), "--inbox", str(repo / "inbox")]) == 3
    assert capsys.readouterr().err == ("内部错误（程序缺陷），没有写入任何文件：ZeroDivisionError: division by zero。"
                                       "详情请加 --debug 重新运行。\n")


def test_workbook_saved_by_libreoffice_imports_as_the_one_saved_by_openpyxl(repo):
    """Offices fill templates in WPS or LibreOffice as often as in Excel: the file they save imports the same.
    The fixture is ``workbook(repo, …, "meetings", CLEAN_MEETINGS)`` opened and saved by LibreOffice 7.4
    (`soffice --headless --convert-to "xlsx:Calc MS Excel 2007 XML"`), committed so that CI needs no LibreOffice."""
    original = workbook(repo, "会议.xlsx", "meetings", CLEAN_MEETINGS)
    expected = inbox.run(repo / "data", repo / "inbox").written
    saved = Path(__file__).parent / "fixtures" / "import" / "meetings_saved_by_libreoffice.xlsx"
    assert saved.read_bytes() != original.read_bytes()
    shutil.copyfile(saved, original)
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert flat(outcome.report) == [] and outcome.written == expected


def test_an_id_that_looks_like_a_typo_of_an_existing_one_is_refused(repo):
    """As `ledger import` refuses it: M-01 beside M-001 (zero-padding) would leave an orphan and a duplicate."""
    workbook(repo, "会议.xlsx", "meetings", [["M-01", "周一夜访", "2026-03-09", "990121002001", "县级", "jtj", 7]])
    outcome = inbox.run(repo / "data", repo / "inbox")
    assert [(f.path, f.row, f.code, f.value) for f in outcome.report.findings] == [
        ("inbox/会议.xlsx（工作表“下沉会议与夜访”）", 2, "likely-id-typo", "M-01")]
    assert outcome.written == {}
