"""Files within the host's limit (issue 21, data standard "Files at scale"): a file over 50 MB is split by
month (pipeline/core/layout.py) by `ledger demo`, by `ledger split` and, when a merge would cross the
limit, by `ledger import`; every stage reads the month files as it read the year files.

The limit is made small here (an argument, or the module constant patched): the rule is the same."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.core.layout as layout
from pipeline.build import BuildConfig, build
from pipeline.cli import cli
from pipeline.core.cache import FileCache
from pipeline.core.layout import LayoutError, split_file
from pipeline.demo.generator import generate
from pipeline.validate import validate
from tests.conftest import make_tiny

HEADER = "id,title,raised_on\n"


def rows_of(folder: Path, rels: list[str]) -> list[list[str]]:
    """The records of the files, read one after the other (each file's header checked and dropped)."""
    rows: list[list[str]] = []
    header = None
    for rel in rels:
        with (folder / rel).open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            first = next(reader)
            assert header in (None, first), rel
            header = first
            rows += list(reader)
    return rows


def paths(folder: Path) -> dict[str, list[str]]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: [r["path"]] if isinstance(r["path"], str) else r["path"] for r in descriptor["resources"]}


# --- the split itself ------------------------------------------------------------------------------

cells = st.text(alphabet=st.sampled_from(list('ab示,"\n\r ')), max_size=12)
dates = st.dates(min_value=__import__("datetime").date(2025, 1, 1), max_value=__import__("datetime").date(2026, 12, 31))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(cells, dates), min_size=1, max_size=60), in_order=st.booleans(),
       limit=st.integers(min_value=120, max_value=2000))
def test_split_file_keeps_every_row_once_in_order(tmp_path_factory, records, in_order, limit):
    """Rows in any order, quoted cells with commas, quotes and line ends: the new files, read in the order
    they are listed, give the old file's rows in its order, byte for byte; each file is within the limit
    unless one record alone is larger."""
    folder = tmp_path_factory.mktemp("split")
    if in_order:
        records = sorted(records, key=lambda r: r[1])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["id", "title", "raised_on"])
    for n, (title, day) in enumerate(records):
        writer.writerow([f"Q-{n}", title, day.isoformat()])
    data = text.getvalue().encode("utf-8")
    (folder / "issues.csv").write_bytes(data)
    pieces = split_file(folder, "issues.csv", "issues", limit)
    names = [p.rel for p in pieces]
    assert rows_of(folder, names) == rows_of(folder, ["issues.csv"])
    body = b"".join((folder / n).read_bytes().split(b"\n", 1)[1] for n in names)
    assert body == data.split(b"\n", 1)[1]
    assert sum(p.rows for p in pieces) == len(records)
    biggest = max(len(line) for line in data.split(b"\n"))
    for piece in pieces:
        assert piece.bytes == (folder / piece.rel).stat().st_size
        assert piece.bytes <= max(int(limit * layout.SPLIT_SHARE), len(HEADER) + 3 * biggest) or piece.rows == 1
    assert not list(folder.rglob(".*.partial"))
    if in_order and all(title.count('"') == 0 for title, _ in records):
        assert all(n.startswith(("issues/2025", "issues/2026")) for n in names)


def test_split_of_a_year_file_goes_by_month_then_by_part(tmp_path):
    rows = [f"Q-{n:03d},{'问题' * 20},2026-{1 + n // 40:02d}-{1 + n % 28:02d}\n" for n in range(120)]
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues/2026.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    month = len((HEADER + "".join(rows[:40])).encode())
    pieces = split_file(tmp_path, "issues/2026.csv", "issues", int(month / layout.SPLIT_SHARE) + 1)
    assert [p.rel for p in pieces] == ["issues/2026/2026-01.csv", "issues/2026/2026-02.csv", "issues/2026/2026-03.csv"]
    pieces = split_file(tmp_path, "issues/2026/2026-01.csv", "issues", month // 2)
    assert [p.rel for p in pieces] == ["issues/2026/2026-01-1.csv", "issues/2026/2026-01-2.csv",
                                       "issues/2026/2026-01-3.csv"]


def test_split_of_a_year_file_with_a_row_of_another_year_is_cut_into_parts_in_row_order(tmp_path):
    (tmp_path / "issues").mkdir()
    rows = [f"Q-{n},标题,2026-0{1 + n % 3}-01\n" for n in range(30)] + ["Q-X,标题,2025-12-31\n"]
    (tmp_path / "issues/2026.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    pieces = split_file(tmp_path, "issues/2026.csv", "issues", 400)
    assert [p.rel for p in pieces][:2] == ["issues/2026/2026-1.csv", "issues/2026/2026-2.csv"]
    assert rows_of(tmp_path, [p.rel for p in pieces]) == rows_of(tmp_path, ["issues/2026.csv"])


def test_split_never_overwrites_a_file_it_would_write(tmp_path):
    (tmp_path / "issues/2026").mkdir(parents=True)
    (tmp_path / "issues/2026.csv").write_text(HEADER + "Q-1,a,2026-01-02\nQ-2,b,2026-02-03\n", encoding="utf-8")
    (tmp_path / "issues/2026/2026-02.csv").write_text("别人的文件\n", encoding="utf-8")
    with pytest.raises(LayoutError) as caught:
        split_file(tmp_path, "issues/2026.csv", "issues", 40)
    assert str(caught.value) == ("拆分 issues/2026.csv 要写出 issues/2026/2026-02.csv，但这个文件已经存在：没有改动任何文件。"
                                 "请先查看它是不是别的数据，移走后再拆分。")
    assert (tmp_path / "issues/2026/2026-02.csv").read_text(encoding="utf-8") == "别人的文件\n"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["2026-02.csv", "2026.csv"]


# --- ledger demo ------------------------------------------------------------------------------------

def test_demo_over_the_limit_writes_month_files_and_lists_them(tmp_path):
    """At any size no file is over the limit: the demo splits it and the descriptor lists every file in
    order; the rows are those of the unsplit package, in the same order; same arguments, same bytes."""
    generate(tmp_path / "year", issues=300, seed=3)
    generate(tmp_path / "month", issues=300, seed=3, limit=15_000)
    generate(tmp_path / "again", issues=300, seed=3, limit=15_000)
    year, month = paths(tmp_path / "year"), paths(tmp_path / "month")
    assert year["issues"] == ["issues/2025.csv", "issues/2026.csv"]
    assert month["issues"][:2] == ["issues/2025/2025-01.csv", "issues/2025/2025-02.csv"]
    assert month["issues"][-1] == "issues/2026/2026-10.csv" and len(month["issues"]) == 22
    assert month["evaluations"] == ["evaluations/evaluations-1.csv", "evaluations/evaluations-2.csv"]
    for name in year:
        assert rows_of(tmp_path / "month", month[name]) == rows_of(tmp_path / "year", year[name]), name
    files = sorted(p for p in (tmp_path / "month").rglob("*.csv"))
    assert max(p.stat().st_size for p in files) <= 15_000
    assert sorted(p.relative_to(tmp_path / "month").as_posix() for p in files) == sorted(
        rel for rels in month.values() for rel in rels)
    digest = {p.relative_to(tmp_path / "month"): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in (tmp_path / "month").rglob("*") if p.is_file()}
    assert digest == {p.relative_to(tmp_path / "again"): hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in (tmp_path / "again").rglob("*") if p.is_file()}
    report, _ = validate(tmp_path / "month", cache=FileCache(None))
    assert report.valid, [f.message_en for f in report.errors]


# --- ledger split -----------------------------------------------------------------------------------

@pytest.fixture
def small_limit(monkeypatch):
    """The host's limit at 30 KB, for `ledger split` and for validation."""
    monkeypatch.setattr(layout, "HOST_FILE_BYTES", 30_000)
    monkeypatch.setattr("pipeline.validate.files.HOST_FILE_BYTES", 30_000)


def test_ledger_split_splits_the_files_over_the_limit_and_validation_passes(demo_copy, small_limit):
    (demo_copy / "demo.json").unlink()
    before = {name: rows_of(demo_copy, rels) for name, rels in paths(demo_copy).items()}
    report, _ = validate(demo_copy, cache=FileCache(None))
    over = sorted(f.path for f in report.findings if f.code == "file-over-host-limit")
    assert over == ["devolved_items.csv", "duty_items.csv", "evaluations.csv", "issues/2025.csv", "issues/2026.csv", "item_cases.csv"]
    result = CliRunner().invoke(cli, ["split", "--data", str(demo_copy)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("已把 issues/2025.csv 拆成 12 个文件（issues/2025/2025-01.csv … issues/2025/2025-12.csv，"
                        "共 300 行），datapackage.json 已更新，原文件已删除。Split issues/2025.csv into 12 files (300 rows).")
    assert not (demo_copy / "issues/2025.csv").exists() and not list(demo_copy.rglob(".*.partial"))
    assert {name: rows_of(demo_copy, rels) for name, rels in paths(demo_copy).items()} == before
    report, _ = validate(demo_copy, cache=FileCache(None))
    assert report.valid, [f.message_en for f in report.errors]
    again = CliRunner().invoke(cli, ["split", "--data", str(demo_copy)])
    assert (again.exit_code, again.output) == (0, f"{demo_copy} 中没有超过 50 MB 的数据文件，无需拆分。"
                                                  "No file over 50 MB: nothing to split.\n")


@pytest.mark.parametrize(("named", "message"), [
    ("nothere.csv", "nothere.csv 不在 datapackage.json 的任何资源的 path 中：只拆分数据包列出的文件"
                    "（路径相对于数据文件夹，例如 issues/2026.csv）。"),
    ("regions.csv", "regions.csv 拆分后仍只有一个文件（regions/regions-1.csv）：它不超过上限，无需拆分；没有改动任何文件。"),
])
def test_ledger_split_refuses_a_file_it_cannot_split(demo_copy, named, message):
    before = files_and_folders(demo_copy)
    result = CliRunner().invoke(cli, ["split", "--data", str(demo_copy), named])
    assert (result.exit_code, result.output) == (2, f"Error: {message}\n")
    assert files_and_folders(demo_copy) == before  # no file, and no folder (regions/ was left behind, empty)


def files_and_folders(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize("folder_there", [False, True])
def test_a_split_refused_after_writing_leaves_no_folder_it_made_and_keeps_one_that_was_there(tmp_path, folder_there):
    data = make_tiny(tmp_path / "data")
    issues = (data / "issues/2026.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    issues[2] = issues[2].replace("已清理", "已清理" + "河道" * 300)  # one record larger than the limit
    (data / "issues/2026.csv").write_text("".join(issues), encoding="utf-8")
    if folder_there:
        (data / "issues/2026").mkdir()  # an empty folder of the clerk's: it stays
    before = files_and_folders(data)
    with pytest.raises(LayoutError) as caught:
        layout.split_package(data, ["issues/2026.csv"], limit=1500)
    assert "仍超过上限（其中有一行本身就很大）：没有改动任何文件。" in str(caught.value)
    assert files_and_folders(data) == before


# --- the finding ------------------------------------------------------------------------------------

def test_file_over_host_limit_names_the_month_files_of_a_year_of_issues(demo_copy, small_limit):
    report, _ = validate(demo_copy, cache=FileCache(None))
    (finding,) = [f for f in report.findings if f.path == "issues/2026.csv"]
    assert finding.fix_zh == ("运行 ledger split issues/2026.csv（数据文件夹不是 data 时加 --data 文件夹）：它按每行 "
                              "raised_on（提出日期）的月份把这个文件拆成表头相同、每个不超过 45 MB 的 "
                              "issues/2026/2026-01.csv … issues/2026/2026-12.csv，并在 datapackage.json 中这个资源的 "
                              "path 里用它们替换 issues/2026.csv；手工拆分时也照此命名。")


# --- every stage reads month files as it read year files --------------------------------------------

NAMING = {  # built files that list the data files by name: the only ones that may differ
    "api/v1/downloads.json", "data.json", "data/index.html", "downloads/SHA256SUMS", "downloads/datapackage.json",
    "downloads/sunshine-ledger.zip",
    "search/pages.json",  # the pages' text (search_index.json now holds only the search configuration)
    *(f"data/dictionary/{name}/index.html" for name in ("devolved_items", "duty_items", "evaluations", "issues",
                                                        "item_cases")),
    *(f"downloads/templates/{name}.xlsx" for name in ("devolved_items", "duty_items", "evaluations", "issues",
                                                     "item_cases")),  # they name the file to import into
}


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_month_layout_builds_the_same_site_as_the_year_layout(built_demo_site, tmp_path):
    """The small demo (600 issues, seed 7) forced into the month layout builds the same pages, API and
    downloads as in the year layout: only the source files' names, and the pages listing them, differ."""
    data = tmp_path / "data"
    generate(data, issues=600, seed=7, limit=30_000)
    out = tmp_path / "public"
    assert build(BuildConfig(data=data, out=out)).report.valid
    year, month = tree(built_demo_site), tree(out)
    sources = {rel for rels in paths(data).values() for rel in rels}
    assert len(sources) > 40 and any(rel.startswith("issues/2026/2026-") for rel in sources)
    year_sources = {rel for rels in paths(built_demo_site / "downloads").values() for rel in rels}
    assert {rel.removeprefix("downloads/") for rel in set(month) - set(year)} == sources - year_sources
    assert {rel.removeprefix("downloads/") for rel in set(year) - set(month)} == year_sources - sources == {
        "devolved_items.csv", "duty_items.csv", "evaluations.csv", "issues/2025.csv", "issues/2026.csv",
        "item_cases.csv"}
    differ = {rel for rel in set(year) & set(month) if year[rel] != month[rel]}
    assert differ == NAMING
    year_paths = paths(built_demo_site / "downloads")
    for name, rels in paths(out / "downloads").items():
        assert rows_of(out / "downloads", rels) == rows_of(built_demo_site / "downloads", year_paths[name]), name


# --- ledger import into the layout ------------------------------------------------------------------

def import_rows(folder: Path, rel: str, count: int, month: str, tmp: Path) -> tuple[Path, list[list[str]]]:
    """A CSV of ``count`` new issues copied from the first of ``rel`` (new ids, raised in ``month``)."""
    with (folder / rel).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header, first = next(reader), next(reader)
    rows = []
    for n in range(count):
        row = list(first)
        row[header.index("id")] = f"ZZ-IMPORT-{n:04d}"
        for field in ("raised_on", "assigned_on"):
            if row[header.index(field)]:
                row[header.index(field)] = f"{month}-01"
        rows.append(row)
    source = tmp / "import.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return source, rows


@pytest.fixture
def month_package(demo_copy):
    """The small demo with its issues split by month (a limit of 30 KB for the split only)."""
    (demo_copy / "demo.json").unlink()
    layout.split_package(demo_copy, ["issues/2025.csv", "issues/2026.csv"], 30_000)
    return demo_copy


def test_import_of_a_row_of_another_month_into_a_month_file_is_refused(month_package, tmp_path):
    source, _ = import_rows(month_package, "issues/2026/2026-03.csv", 1, "2026-04", tmp_path)
    before = (month_package / "issues/2026/2026-03.csv").read_bytes()
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(month_package),
                                      "--out", str(month_package / "issues/2026/2026-03.csv")])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: 没有写出任何文件：import.csv 第 2 行的 raised_on（提出日期）是 2026-04-01，不属于 issues/2026/2026-03.csv"
        "（2026-03 月的文件）：按月拆分的数据，每行导入到它所在月份的文件，这一行应导入到 issues/2026/2026-04.csv。")
    assert (month_package / "issues/2026/2026-03.csv").read_bytes() == before


def test_import_onto_a_year_file_the_layout_replaced_is_refused(month_package, tmp_path):
    source, _ = import_rows(month_package, "issues/2026/2026-03.csv", 1, "2026-03", tmp_path)
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(month_package),
                                      "--out", str(month_package / "issues/2026.csv")])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: 没有写出任何文件：issues/2026.csv 已按月拆分（datapackage.json 列出的是 issues/2026/2026-01.csv … "
        "issues/2026/2026-10.csv），不能再导入到它：请用 --out 指向这些行所在月份的文件，例如 issues/2026/2026-10.csv。")
    assert not (month_package / "issues/2026.csv").exists()


def test_import_into_its_month_file_merges_there(month_package, tmp_path):
    source, rows = import_rows(month_package, "issues/2026/2026-03.csv", 2, "2026-03", tmp_path)
    before = rows_of(month_package, ["issues/2026/2026-03.csv"])
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(month_package),
                                      "--out", str(month_package / "issues/2026/2026-03.csv")])
    assert result.exit_code == 0, result.output
    assert rows_of(month_package, ["issues/2026/2026-03.csv"]) == before + rows


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=1, max_value=40))
def test_import_that_takes_a_file_over_the_limit_splits_it_and_loses_no_row(demo_dir, tmp_path_factory,
                                                                            monkeypatch, count):
    """Import then read back: the package's issues are the old rows then the new ones, in order, now in
    month files within the limit, listed in the descriptor; the year file the import rewrote is gone."""
    folder = tmp_path_factory.mktemp("import") / "data"
    shutil.copytree(demo_dir, folder)
    (folder / "demo.json").unlink()
    size = (folder / "issues/2026.csv").stat().st_size
    monkeypatch.setattr(layout, "HOST_FILE_BYTES", size + 10)  # one more row crosses it
    before = rows_of(folder, paths(folder)["issues"])
    source, rows = import_rows(folder, "issues/2026.csv", count, "2026-10", tmp_path_factory.mktemp("src"))
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(folder),
                                      "--out", str(folder / "issues/2026.csv")])
    assert result.exit_code == 0, result.output
    listed = paths(folder)["issues"]
    assert listed[0] == "issues/2025.csv" and listed[1:3] == ["issues/2026/2026-01.csv", "issues/2026/2026-02.csv"]
    assert rows_of(folder, listed) == before + rows
    assert not (folder / "issues/2026.csv").exists()
    assert max((folder / rel).stat().st_size for rel in listed[1:]) <= size + 10
    assert result.output.splitlines()[-1] == (
        "issues/2026.csv 超过 50 MB，已按月拆成 10 个文件（issues/2026/2026-01.csv … issues/2026/2026-10.csv），"
        "datapackage.json 已更新，原文件已删除。Over 50 MB: split into 10 files.")


def test_month_layout_is_read_once_by_validation(tmp_path):
    """Month files are data files like any other: validation opens each once (tests/test_read_once.py)."""
    from tests.test_read_once import age, counted_opens, every_csv

    folder = tmp_path / "data"
    generate(folder, issues=120, seed=11, limit=8_000)
    age(folder)
    assert len(paths(folder)["issues"]) == 22
    with counted_opens(folder) as opens:
        report, _ = validate(folder, cache=FileCache(None))
    assert report.valid, [f.message_en for f in report.errors]
    assert dict(opens) == every_csv(folder, 1) and len(opens) > 40


def test_import_that_takes_a_part_over_the_limit_is_refused(month_package, tmp_path, monkeypatch):
    layout.split_package(month_package, ["issues/2026/2026-03.csv"], 8_000)
    listed = paths(month_package)["issues"]
    last = [rel for rel in listed if rel.startswith("issues/2026/2026-03-")][-1]
    assert last == "issues/2026/2026-03-2.csv"
    before = {p: p.read_bytes() for p in month_package.rglob("*") if p.is_file()}
    monkeypatch.setattr(layout, "HOST_FILE_BYTES", (month_package / last).stat().st_size + 10)
    source, _ = import_rows(month_package, last, 2, "2026-03", tmp_path)
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(month_package),
                                      "--out", str(month_package / last)])
    assert result.exit_code == 2
    size = len((month_package / last).read_bytes()) + len(source.read_bytes().split(b"\n", 1)[1])
    assert result.output.splitlines()[-1] == (
        f"Error: 没有写出任何文件：合并后 issues/2026/2026-03-2.csv 将有 {size} 字节，超过 50 MB；它已是按大小切出的"
        "分片，不再拆分：请把新增的行另存为 issues/2026/2026-03-3.csv 导入（--out），并在 datapackage.json 中 "
        "issues/2026/2026-03-2.csv 之后列出它。")
    assert {p: p.read_bytes() for p in month_package.rglob("*") if p.is_file()} == before


def test_ledger_split_of_a_file_with_only_its_header_is_refused(demo_copy):
    header = (demo_copy / "claims.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
    (demo_copy / "claims.csv").write_bytes(header)
    before = files_and_folders(demo_copy)
    result = CliRunner().invoke(cli, ["split", "--data", str(demo_copy), "claims.csv"])
    assert (result.exit_code, result.output) == (2, "Error: claims.csv 只有表头、没有数据行，无需拆分；没有改动任何文件。\n")
    assert files_and_folders(demo_copy) == before


# --- a file the package does not list ----------------------------------------------------------------

def test_import_into_a_file_the_package_does_not_list_is_refused(tmp_path):
    """The defect: at the turn of a year `ledger import … --out data/issues/2027.csv` wrote the new file,
    `ledger validate` said the package was valid, and the year's issues were never published: the
    descriptor did not list the file."""
    data = make_tiny(tmp_path / "data")
    source = tmp_path / "2027.csv"
    with (data / "issues/2026.csv").open(encoding="utf-8", newline="") as handle:
        header, first = list(csv.reader(handle))[:2]
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, ["Q-2027-00001"] + first[1:]])
    before = {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    for out, resource, shown in (("issues/2027.csv", "issues", '"issues/2026.csv"'),
                                 ("issues/2027/2027-01.csv", "issues", '"issues/2026.csv"'),
                                 ("meetings2.csv", "issues", '"issues/2026.csv"')):
        result = CliRunner().invoke(cli, ["import", str(source), "--resource", resource, "--data", str(data),
                                          "--out", str(data / out)])
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == (
            f"Error: 没有写出任何文件：{out} 在数据文件夹里，但 datapackage.json 没有列出它：写进去的行既不会校验，也不会发布。"
            f"要新建这个文件，请先在 datapackage.json 中 {resource} 资源的 \"path\" 列表里加上 \"{out}\""
            f"（现在列出的有 {shown}），保存后再导入；否则请用 --out 指向已列出的文件。")
    assert {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()} == before
    # Listed first, the file is written; a file outside the data folder is the clerk's own and is written too.
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    issues = next(r for r in descriptor["resources"] if r["name"] == "issues")
    issues["path"] = ["issues/2026.csv", "issues/2027.csv"]
    (data / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    for out in (data / "issues/2027.csv", tmp_path / "mine.csv"):
        result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(data),
                                          "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").splitlines()[1].startswith("Q-2027-00001,")
