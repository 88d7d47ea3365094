"""Faults of the machine or the data get one line in Chinese and an exit code from the table, never a traceback.

The tests run as root in CI, where ``chmod`` does not stop a write: a read-only folder is simulated by
raising the errors the operating system gives (EACCES, EROFS) from the writer with monkeypatch; the
test with a real read-only folder runs only for an ordinary user.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import build as build_module
from pipeline import cli as cli_module
from tests.test_build_safety import MARKER, MARKER_TEXT, quick_build  # noqa: F401 - a fixture

README = Path(__file__).resolve().parent.parent / "README.md"


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``ledger ARGS`` through the real entry point (``main``), in this process so that monkeypatches apply."""
    monkeypatch.setattr(sys, "argv", ["ledger", *args])
    with pytest.raises(SystemExit) as info:
        cli_module.main()
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


@pytest.fixture
def site(tmp_path) -> Path:
    """A site an earlier build made: it must survive every fault unchanged."""
    out = tmp_path / "public"
    out.mkdir()
    (out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    (out / "index.html").write_text("previous", encoding="utf-8")
    return out


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def unchanged(site: Path) -> bool:
    return (sorted(p.name for p in site.iterdir()) == [MARKER, "index.html"]
            and (site / "index.html").read_text(encoding="utf-8") == "previous"
            and sorted(p.name for p in site.parent.iterdir()) == ["data", "public"])


def raising(exc: BaseException):
    def stage(*args, **kwargs):
        raise exc
    return stage


# --- a full disk, a read-only output ---

@pytest.mark.parametrize(("code", "exc_type", "text"), [
    (errno.ENOSPC, OSError, "磁盘空间不足，无法写入 {path}：请腾出空间后重试"),
    (errno.EACCES, PermissionError, "没有权限读写 {path}：请检查文件夹权限或换一个文件夹"),
    (errno.EROFS, OSError, "{path} 在只读的磁盘上，无法写入：请换一个可写的文件夹"),
], ids=["ENOSPC", "EACCES", "EROFS"])
def test_a_full_disk_or_read_only_output_is_an_internal_error(quick_build, monkeypatch, capsys, data, site,  # noqa: F811
                                                              code, exc_type, text):
    path = str(site.parent / ".public.staging-x/docs/issues/index.md")
    monkeypatch.setattr(build_module, "render_all", raising(exc_type(code, os.strerror(code), path)))
    status, out, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    assert status == 2
    assert out == ""
    assert err == f"Error: 生成失败，原有网站保持不变：{text.format(path=path)}。详情请运行 ledger --debug build …\n"
    assert unchanged(site)


def test_a_full_disk_while_the_build_writes_its_pages(quick_build, monkeypatch, capsys, data, site):  # noqa: F811
    """A page the render hands over cannot be written: the build fails in the same words as any full disk,
    before mkdocs starts, and leaves neither its staging folder nor a changed site."""
    real_write = Path.write_text

    def full(self, content, *args, **kwargs):
        if self.name == "page.md":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write(self, content, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    status, out, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    assert status == 2
    assert out == ""
    path = re.fullmatch(r"Error: 生成失败，原有网站保持不变：磁盘空间不足，无法写入 (\S+)：请腾出空间后重试。"
                        r"详情请运行 ledger --debug build …\n", err)[1]
    assert re.fullmatch(rf"{re.escape(str(site.parent))}/\.public\.staging-\w+/docs/page\.md", path)
    assert unchanged(site)
    assert quick_build == []  # mkdocs never started


def test_a_read_only_output_folder_at_the_swap(quick_build, monkeypatch, capsys, data, site):  # noqa: F811
    real_rename = Path.rename

    def rename(self, target):
        if self == site:  # moving the old site aside: the folder may not be changed
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    status, _, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    assert status == 2
    assert err == (f"Error: 生成失败，原有网站保持不变：没有权限读写 {site}：请检查文件夹权限或换一个文件夹。"
                   "详情请运行 ledger --debug build …\n")
    assert unchanged(site)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder; the monkeypatched tests cover it")
def test_a_real_read_only_parent_folder(quick_build, monkeypatch, capsys, data, site):  # noqa: F811
    site.parent.chmod(0o555)
    try:
        status, _, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    finally:
        site.parent.chmod(0o755)
    assert status == 2
    assert err.startswith("Error: 生成失败，原有网站保持不变：没有权限读写 ") and err.count("\n") == 1
    assert unchanged(site)


def test_a_full_disk_while_writing_a_template(monkeypatch, capsys, tiny, tmp_path):
    target = tmp_path / "模板.xlsx"

    def full(self, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    status, _, err = run_main(monkeypatch, capsys, "template", "--resource", "issues", "--data", str(tiny),
                              "--out", str(target))
    assert status == 2
    assert err == f"Error: 磁盘空间不足，无法写入 {target}：请腾出空间后重试。详情请运行 ledger --debug template …\n"


# --- a descriptor the validator cannot read ---

def test_a_malformed_descriptor_is_an_internal_error(monkeypatch, capsys, data, site):
    monkeypatch.setattr(build_module, "validate", raising(TypeError("'int' object is not iterable")))
    status, out, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    assert status == 1
    assert err == (f"Error: 无法校验 {data}：数据包不符合数据标准（多半是 datapackage.json 的结构有误："
                   "TypeError: 'int' object is not iterable），没有发布任何内容；请对照 pipeline/standard.json 修正，"
                   "详情请运行 ledger --debug build …\n")
    assert unchanged(site)


def test_a_malformed_descriptor_stops_validate_in_one_line(monkeypatch, capsys, data):
    import pipeline.validate

    monkeypatch.setattr(pipeline.validate, "validate", raising(KeyError("name")))
    status, out, err = run_main(monkeypatch, capsys, "validate", "--data", str(data))
    assert status == 1
    assert out == ""
    assert err == (f"Error: 无法校验 {data}：数据包不符合数据标准（多半是 datapackage.json 的结构有误："
                   "KeyError: 'name'），没有发布任何内容；请对照 pipeline/standard.json 修正，"
                   "详情请运行 ledger --debug validate …\n")


@pytest.mark.parametrize("mutate", ["fields-not-a-list", "primary-key-a-number", "field-without-name"])
def test_malformed_descriptors_never_show_a_traceback(tiny, tmp_path, mutate):
    """Real descriptors, in a real process: exit 1 (invalid data), never a traceback nor an internal error."""
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    schema = descriptor["resources"][0]["schema"]
    if mutate == "fields-not-a-list":
        schema["fields"] = "code"
    elif mutate == "primary-key-a-number":
        schema["primaryKey"] = 5
    else:
        del schema["fields"][0]["name"]
    (tiny / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    for command in ("validate", "build"):
        result = subprocess.run([sys.executable, "-m", "pipeline", command, "--data", str(tiny),
                                 "--out" if command == "build" else "--format", str(tmp_path / "public")
                                 if command == "build" else "text"], capture_output=True, text=True)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert "内部错误" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


# --- --debug, before or after the command name ---

@pytest.mark.parametrize("args", [["--debug", "build"], ["build", "--debug"]])
def test_debug_works_only_before_the_command_name(monkeypatch, data, site, args):
    monkeypatch.setattr(build_module, "validate", raising(TypeError("'int' object is not iterable")))
    monkeypatch.setattr(sys, "argv", ["ledger", *args, "--data", str(data), "--out", str(site)])
    with pytest.raises(TypeError, match="'int' object is not iterable"):  # the traceback, for the bug report
        cli_module.main()
    assert unchanged(site)


def test_debug_after_the_command_name_in_a_real_process(tiny):
    result = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--debug", "--data", str(tiny)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "数据有效，可以发布：0 个错误，0 个警告。 (valid: 0 errors, 0 warnings)\n"


def test_an_internal_error_takes_two_lines(quick_build, monkeypatch, capsys, data, site):  # noqa: F811
    monkeypatch.setattr(build_module, "render_all", raising(RuntimeError("boom\nsecond line")))
    status, _, err = run_main(monkeypatch, capsys, "build", "--data", str(data), "--out", str(site))
    assert status == 3
    assert err == ("内部错误（程序缺陷）：RuntimeError: boom second line。详情请运行 ledger --debug build …，"
                   "并把输出附在问题报告中。\n")
    assert unchanged(site)


# --- the exit-code table ---

EXIT_CODES = {
    "0": "成功（可有警告） ok, warnings allowed",
    "1": "数据无效，没有发布 invalid data, nothing published",
    "2": "用法错误或拒绝执行（--out 不是本程序生成的网站、另一个构建正在运行、磁盘已满、没有写入权限）",
    "3": "内部错误（程序缺陷，请加 --debug 重新运行并报告） internal error",
    "130": "已取消（Ctrl+C） cancelled",
}


def test_the_exit_code_table_is_missing_from_help_and_readme(monkeypatch, capsys):
    status, out, _ = run_main(monkeypatch, capsys, "--help")
    assert status == 0
    table = out[out.index("退出码 / Exit codes:"):].splitlines()[1:6]
    assert [re.split(r"\s+", line.strip(), maxsplit=1) for line in table[:3]] == [
        ["0", EXIT_CODES["0"]], ["1", EXIT_CODES["1"]], ["2", EXIT_CODES["2"]]]
    assert [re.split(r"\s+", line.strip(), maxsplit=1) for line in table[4:5]] == [["3", EXIT_CODES["3"]]]
    assert f"130  {EXIT_CODES['130']}" in out
    readme = README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", readme, flags=re.M)
    assert [code for code, _ in rows] == ["0", "1", "2", "3", "130"]


def test_a_full_disk_during_import_leaves_a_partial_file(monkeypatch, capsys, tiny, tmp_path):
    source = tmp_path / "部门.csv"
    source.write_text("部门代码,部门名称,所属区划\nwjw,示例市卫生健康委员会,990100000000\n", encoding="utf-8")
    target = tmp_path / "departments.csv"
    target.write_text("code,name,region_code\n", encoding="utf-8")
    real_write_text = Path.write_text

    def half_then_full(self, text, *args, **kwargs):
        if self.name.endswith(".partial"):
            real_write_text(self, text[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", half_then_full)
    status, _, err = run_main(monkeypatch, capsys, "import", str(source), "--resource", "departments",
                              "--data", str(tiny), "--out", str(target), "--replace")
    assert status == 2
    partial = tmp_path / ".departments.csv.partial"
    assert err == f"Error: 磁盘空间不足，无法写入 {partial}：请腾出空间后重试。详情请运行 ledger --debug import …\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["departments.csv", "tiny", "部门.csv"]
    assert target.read_text(encoding="utf-8") == "code,name,region_code\n"
