"""The `ledger` command line: exit codes, exact messages, help with examples."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.build import SITE_MARKER, SITE_MARKER_TEXT
from pipeline.cli import cli
from tests.conftest import make_tiny
from tests.test_validate import edit_cell


@pytest.fixture
def runner():
    return CliRunner()


def all_commands():
    return sorted(cli.commands)


def test_the_contract_commands_exist():
    assert all_commands() == ["build", "demo", "diff", "import", "serve", "split", "template", "validate"]


@pytest.mark.parametrize("name", all_commands())
def test_every_command_has_help_with_an_example(runner, name):
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "例 / Example:" in result.output
    assert f"ledger {name}" in result.output


def test_validate_valid_package_exits_0(runner, tiny):
    result = runner.invoke(cli, ["validate", "--data", str(tiny)])
    assert result.exit_code == 0
    assert result.output == "数据有效，可以发布：0 个错误，0 个警告。 (valid: 0 errors, 0 warnings)\n"


def test_validate_invalid_package_exits_1_with_row_and_field(runner, tiny):
    edit_cell(tiny, "issues/2026.csv", 3, "raised_on", "2026/3/3")
    result = runner.invoke(cli, ["validate", "--data", str(tiny)])
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "[错误] issues/2026.csv，第 3 行，字段 raised_on（提出日期） [type-error]",
        "  字段 raised_on 的值“2026/3/3”不是合法的日期。",
        "  修改方法：日期格式为 YYYY-MM-DD，例如 2026-03-05（不要写成 2026/3/5）；`ledger import` 可自动转换。",
    ]
    assert result.output.endswith("数据无效，不能发布：1 个错误，0 个警告。 (invalid: 1 errors, 0 warnings)\n")


def test_validate_json_format(runner, tiny):
    edit_cell(tiny, "meetings.csv", 2, "persons_received", "-3")
    result = runner.invoke(cli, ["validate", "--data", str(tiny), "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["valid"] is False
    (finding,) = payload["findings"]
    assert {k: finding[k] for k in ("code", "severity", "resource", "path", "row", "field", "value")} == {
        "code": "constraint-error", "severity": "error", "resource": "meetings", "path": "meetings.csv",
        "row": 2, "field": "persons_received", "value": "-3"}
    assert finding["message_zh"] == "字段 persons_received 的值“-3”不符合要求：不能小于 0。"
    assert finding["message_en"] == "The value '-3' of field persons_received breaks a constraint: at least 0."


def test_validate_markdown_format_is_a_todo_list(runner, tiny):
    edit_cell(tiny, "issues/2026.csv", 2, "title", "<b>路灯|坏了</b>")
    result = runner.invoke(cli, ["validate", "--data", str(tiny), "--format", "markdown"])
    assert result.exit_code == 0  # markup in a title is data, escaped where it lands
    edit_cell(tiny, "issues/2026.csv", 2, "lead_department", "x|y")
    result = runner.invoke(cli, ["validate", "--data", str(tiny), "--format", "markdown"])
    assert result.exit_code == 1
    assert "| ☐ | 2 | lead\\_department（牵头部门） | x\\|y | 字段 lead\\_department 的值“x\\|y”在 departments（code） 中找不到。 |" in result.output


def test_validate_writes_report_to_file(runner, tiny, tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(cli, ["validate", "--data", str(tiny), "--format", "json", "--output", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["valid"] is True


@pytest.mark.parametrize("where", ["data/issues/2026.csv", "data/datapackage.json", "data/报告.json", "link/报告.json"])
def test_validate_never_writes_its_report_into_the_data_folder(runner, tmp_path, where):
    """The defect: `--output data/issues/2026.csv` wrote the report over a year of issues."""
    data = make_tiny(tmp_path / "data")
    (tmp_path / "link").symlink_to(data)
    before = {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    output = tmp_path / where
    result = runner.invoke(cli, ["validate", "--data", str(data), "--output", str(output)])
    assert result.exit_code == 2
    assert result.output == (f"Error: --output {output} 在数据文件夹 {data} 里：报告不能写进数据包（会覆盖或混入数据文件）。"
                             f"请写到数据文件夹之外，例如 --output 校验报告.json。没有改动任何文件。"
                             f" Refused: the report may not be written inside the data folder.\n")
    assert {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()} == before


def test_validate_writes_its_report_into_a_folder_it_makes(runner, tiny, tmp_path):
    """The defect: `--output 报告/校验.json` with no folder 报告 was an internal error (exit 3), the report lost."""
    out = tmp_path / "报告" / "四月" / "校验.json"
    result = runner.invoke(cli, ["validate", "--data", str(tiny), "--format", "json", "--output", str(out)])
    assert (result.exit_code, result.output) == (0, "数据有效，可以发布：0 个错误，0 个警告。 (valid: 0 errors, 0 warnings)\n")
    assert json.loads(out.read_text(encoding="utf-8"))["valid"] is True


def files_and_folders(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize("command", [
    ["import", "{data}/issues/2026.csv", "--resource", "issues", "--data", "{data}", "--out", "{target}"],
    ["template", "--resource", "issues", "--data", "{data}", "--out", "{target}"],
    ["validate", "--data", "{data}", "--output", "{target}"],
    ["demo", "--out", "{target}", "--issues", "20"],
    ["build", "--data", "{data}", "--out", "{target}"],
])
def test_a_path_through_a_file_is_refused_before_anything_is_written(runner, tmp_path, command):
    """The defect: `--out 台账.xlsx/问题.csv` (a file where a folder must be) was an internal error, exit 3."""
    data = make_tiny(tmp_path / "data")
    (tmp_path / "台账.xlsx").write_bytes(b"a clerk's workbook")
    target = tmp_path / "台账.xlsx" / "问题" / ("x.xlsx" if command[0] == "template" else "x.csv")
    before = files_and_folders(tmp_path)
    result = runner.invoke(cli, [arg.format(data=data, target=target) for arg in command])
    assert result.exit_code == 2
    if command[0] == "build":
        assert result.output == (f"Error: --out {target}：其中的 {tmp_path / '台账.xlsx'} 是文件，不是文件夹，生成已停止，"
                                 f"什么都没有改动。请换一个 --out。 Refused: {tmp_path / '台账.xlsx'} is a file, not a folder.\n")
    else:
        option = "--output" if command[0] == "validate" else "--out"
        assert result.output == (f"Error: {option} {target}：其中的 {tmp_path / '台账.xlsx'} 是文件，不是文件夹，无法在它下面写入。"
                                 f"请换一个路径。没有改动任何文件。 Refused: {tmp_path / '台账.xlsx'} is a file, not a folder; "
                                 f"nothing was changed.\n")
    assert files_and_folders(tmp_path) == before


def test_a_failed_build_leaves_no_folder_it_made_for_its_output(runner, tmp_path):
    """The defect: a build of invalid data into `--out 网站/2026/public` left the empty folders behind."""
    data = make_tiny(tmp_path / "data")
    edit_cell(data, "issues/2026.csv", 2, "raised_on", "2026-13-02")
    before = files_and_folders(tmp_path)
    result = runner.invoke(cli, ["build", "--data", str(data), "--out", str(tmp_path / "网站" / "2026" / "public")])
    assert result.exit_code == 1
    assert files_and_folders(tmp_path) == before


def test_validate_missing_folder(runner, tmp_path):
    result = runner.invoke(cli, ["validate", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "[错误] datapackage.json [package-error]" in result.output


def test_usage_error_exits_2(runner):
    result = runner.invoke(cli, ["validate", "--format", "yaml"])
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output


def test_build_refuses_invalid_data_and_keeps_the_old_site(runner, tiny, tmp_path):
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("previous site", encoding="utf-8")
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")  # a site an earlier build made
    edit_cell(tiny, "issues/2026.csv", 2, "status", "done")
    result = runner.invoke(cli, ["build", "--data", str(tiny), "--out", str(out)])
    assert result.exit_code == 1
    assert "Error: 数据无效，网站没有更新。Invalid data: the site was not updated." in result.output
    assert (out / "index.html").read_text(encoding="utf-8") == "previous site"


def test_demo_is_deterministic(runner, tmp_path):
    for name in ("a", "b"):
        result = runner.invoke(cli, ["demo", "--out", str(tmp_path / name), "--issues", "120", "--seed", "3"])
        assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_import_converts_chinese_headers_and_labels(runner, tiny, tmp_path):
    source = tmp_path / "部门.csv"
    source.write_bytes("部门代码,部门名称,所属区划\nwjw,示例市卫生健康委员会,990100000000\n".encode("gb18030"))
    result = runner.invoke(cli, ["import", str(source), "--resource", "departments", "--data", str(tiny)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "code,name,region_code\nwjw,示例市卫生健康委员会,990100000000\n"


def test_import_reports_rows_and_writes_nothing(runner, tiny, tmp_path):
    source = tmp_path / "meetings.csv"
    source.write_text("编号,机制,日期,举行地点,下沉层级,参会部门,接待人次\nM-9,周二夜访,2026/3/2,990121001000,市级,jtj,3\n",
                      encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(cli, ["import", str(source), "--resource", "meetings", "--data", str(tiny), "--out", str(out)])
    assert result.exit_code == 1
    assert "[错误] meetings.csv，第 2 行，字段 mechanism（机制） [import-error]" in result.output
    assert not out.exists()


def test_import_unknown_resource_is_a_usage_error(runner, tiny, tmp_path):
    source = tmp_path / "x.csv"
    source.write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(source), "--resource", "people", "--data", str(tiny)])
    assert result.exit_code == 2
    assert "没有名为 'people' 的资源" in result.output


def test_python_dash_m_runs_the_same_cli(tiny):
    result = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--data", str(tiny)],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("数据有效")


def test_no_traceback_without_debug(tmp_path):
    (tmp_path / "datapackage.json").write_text('{"resources": [{"name": "x", "path": "x.csv", "schema": 3}], "as_of": "2026-01-01"}')
    result = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--data", str(tmp_path)],
                            capture_output=True, text=True)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1


def test_import_shows_a_personal_number_in_a_cell_it_cannot_read_masked(runner, tmp_path):
    data = make_tiny(tmp_path / "data")
    lines = (data / "issues/2026.csv").read_text(encoding="utf-8").splitlines()
    sheet = tmp_path / "问题.csv"
    sheet.write_text(lines[0] + "\n" + lines[1].replace("Q-001", "Q-200").replace(",2026-03-02,990121001001,",
                                                                                 ",13812345678,990121001001,") + "\n",
                     encoding="utf-8")
    result = runner.invoke(cli, ["import", str(sheet), "--resource", "issues", "--data", str(data)])
    assert result.exit_code == 1
    assert "“提出日期（raised_on）”列 E2（问题编号 Q-200）：“138******78”不是可识别的日期；请写成 2026-03-05。" in result.output
    assert "13812345678" not in result.output
