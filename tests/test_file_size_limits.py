"""Files at scale (data standard, version 2): a file a git host would refuse is an error that says how
to split it, and is still read and checked; a file too large to read is not read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.cache import FileCache
from pipeline.core.package import HOST_FILE_BYTES, MAX_FILE_BYTES, load
from pipeline.validate import validate
from pipeline.core.layout import split_names
from pipeline.validate.files import check_files
from tests.conftest import make_tiny

HEADER = "id,region_name,region_code,subject,metric,value,unit,period_start,period_end,source_title,source_publisher,source_date,source_url,quote\n"
SUBJECT_CHARS = 1_000_000  # 3 MB of UTF-8 a row (subject has no maximum length): 18 rows make a 54 MB file that is otherwise valid


def claims_over_the_host_limit(folder: Path) -> int:
    rows = [f"C-L{n},达日县,,{'示' * SUBJECT_CHARS},other,{n},项,,,松绑减负激活力,人民网,2021-12-01,,引文\n"
            for n in range(18)]
    data = (HEADER + "".join(rows)).encode("utf-8")
    (folder / "claims.csv").write_bytes(data)
    return len(data)


def test_a_file_a_git_host_would_refuse_is_an_error_saying_how_to_split_it(tmp_path):
    folder = make_tiny(tmp_path / "pkg")
    size = claims_over_the_host_limit(folder)
    assert HOST_FILE_BYTES < size < MAX_FILE_BYTES
    report, _ = validate(folder, cache=FileCache(None))
    (finding,) = [f for f in report.findings if f.path == "claims.csv"]
    assert finding.code == "file-over-host-limit" and finding.severity == "error" and finding.row is None
    assert finding.message_zh == (f"文件大小 {size} 字节，超过 52428800 字节（50 MB）：代码托管平台在 50 MB 时警告、"
                                  "100 MB 时拒收，这个文件无法推送。")
    assert finding.fix_zh == ("运行 ledger split claims.csv（数据文件夹不是 data 时加 --data 文件夹）：它按每行 "
                              "source_date（发布日期）的月份把这个文件拆成表头相同、每个不超过 45 MB 的 claims/2025.csv、"
                              "claims/2026.csv …（每年一个；一年仍超过上限时按月：claims/2026/2026-01.csv …），"
                              "并在 datapackage.json 中这个资源的 path 里用它们替换 claims.csv；手工拆分时也照此命名。")
    assert not report.valid


def test_a_file_over_the_host_limit_is_still_read_and_checked(tmp_path):
    folder = make_tiny(tmp_path / "pkg")
    claims_over_the_host_limit(folder)
    with (folder / "claims.csv").open("a", encoding="utf-8") as handle:
        handle.write("C-L0,达日县,,重复的编号,other,1,项,,,松绑减负激活力,人民网,2021-12-01,,引文\n")
    report, _ = validate(folder, cache=FileCache(None))
    codes = sorted(f.code for f in report.findings if f.path == "claims.csv")
    assert codes == ["file-over-host-limit", "unique-error"]


def test_a_file_exactly_at_the_host_limit_passes_the_size_check(tmp_path):
    folder = make_tiny(tmp_path / "pkg")
    path = folder / "claims.csv"
    data = path.read_bytes()
    with path.open("ab") as handle:  # a sparse tail: only the size is looked at before reading
        handle.truncate(HOST_FILE_BYTES)
    findings, _ = check_files(load(folder))
    assert [f.code for f in findings if f.path == "claims.csv"] == []
    with path.open("ab") as handle:
        handle.truncate(HOST_FILE_BYTES + 1)
    findings, _ = check_files(load(folder))
    assert [f.code for f in findings if f.path == "claims.csv"] == ["file-over-host-limit"]
    assert data  # the original rows were kept at the front of the file


def test_a_file_too_large_to_read_is_not_read(tmp_path):
    folder = make_tiny(tmp_path / "pkg")
    with (folder / "claims.csv").open("ab") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    findings, facts = check_files(load(folder))
    assert [f.code for f in findings if f.path == "claims.csv"] == ["file-too-large"]
    assert "claims" not in facts


@pytest.mark.parametrize(("rel", "resource", "example"), [
    ("issues/2026.csv", "issues", "issues/2026/2026-01.csv … issues/2026/2026-12.csv"),
    ("issues/1999.csv", "issues", "issues/1999/1999-01.csv … issues/1999/1999-12.csv"),
    ("issues/2026/2026-03.csv", "issues", "issues/2026/2026-03-1.csv、issues/2026/2026-03-2.csv …"),
    ("claims.csv", "claims", "claims/2025.csv、claims/2026.csv …（每年一个；一年仍超过上限时按月：claims/2026/2026-01.csv …）"),
    ("more/regions.csv", "regions", "more/regions/regions-1.csv、more/regions/regions-2.csv …"),
])
def test_the_split_example_names_the_files_of_the_split(rel, resource, example):
    assert split_names(rel, resource) == example


def test_a_cell_over_128_kib_does_not_crash_the_csv_reader():
    """Python's csv module refuses such a cell unless its limit is raised, which frictionless does when
    it is imported: so a pasted document in one cell crashed the fast engine's reader (the csv-module
    path, taken when a record has the wrong number of cells) in a process that had not loaded
    frictionless. Run in a fresh process, importing only the reader. It ends as `ledger` does
    (``process_end.end_process``): on a loaded host about 1 % of such processes aborted at interpreter exit,
    after their output ("terminate called without an active exception": Arrow's threads torn down at exit,
    apache/arrow#34314)."""
    script = ("import sys; from pipeline.core.csv_read import read_text_table\n"
              "from pipeline.core.process_end import end_process\n"
              "data = ('a,b\\n1,' + 'x' * 200_000 + '\\n2\\n').encode()\n"
              "table = read_text_table(data, ['a', 'b'])\n"
              "print(len(table.frame['b'][0]), table.short_rows, 'frictionless' in sys.modules)\n"
              "end_process(0)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "200000 {1: 1} False\n"
