"""`ledger import` as a county clerk uses it (issue #18): a filled-in workbook onto an existing year file.

Import never changes a record silently; findings name the workbook, sheet, Excel row, the column's
header and the record id; departments and places typed by name become codes; a title row or a
merged group header above the header row is recognised. Workbooks are made by openpyxl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.cli import cli
from pipeline.contribute.importer import Imported, ImportFailed, import_table
from pipeline.contribute.merge import merge
from pipeline.core.csv_write import csv_text
from pipeline.core.package import load

REPO = Path(__file__).resolve().parent.parent
STANDARD = json.loads((REPO / "pipeline" / "standard.json").read_text(encoding="utf-8"))
ISSUE_FIELDS = next(r for r in STANDARD["resources"] if r["name"] == "issues")["schema"]["fields"]
FIELDS = [f["name"] for f in ISSUE_FIELDS]
TITLES = [f["title"] for f in ISSUE_FIELDS]


def issue(number: str, **values: str) -> dict:
    row = {"id": number, "mechanism": "grid", "raised_on": "2026-03-02", "region_code": "990121001001",
           "title": "村道路灯损坏需维修", "category": "infrastructure", "tier": "simple",
           "lead_department": "jtj", "status": "registered"}
    row.update(values)
    return row


def book(rows: list[dict], title_rows: list[list[str]] = (), merges: list[str] = ()) -> Workbook:
    """A clerk's sheet: optional title rows, then the Chinese headers, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题"
    for row in title_rows:
        sheet.append(row)
    sheet.append(TITLES)
    for row in rows:
        sheet.append([row.get(name, "") for name in FIELDS])
    for ref in merges:
        sheet.merge_cells(ref)
    return workbook


def save(workbook: Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def run(tiny: Path, source: Path, *extra: str):
    return CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(tiny),
                                    "--out", str(tiny / "issues" / "2026.csv"), *extra])


# --- import never changes a record silently -------------------------------------------------------

Q003 = dict(raised_on="2026-03-05", region_code="990121002001", title="宅基地审批材料反复退回", category="land",
            tier="difficult", lead_department="zrzyj", status="resolved", assigned_on="2026-03-05",
            resolved_on="2026-03-20", resolved_at_level="township", escalated="false", summary="已办理")


def test_reusing_an_existing_id_silently_replaced_the_record(tiny, tmp_path):
    # Q-003 reused for another problem: the import said only "更新 1 行" and the record lost its title.
    # Now every changed field is listed (old → new) and nothing is written without --replace.
    target = tiny / "issues" / "2026.csv"
    before = target.read_bytes()
    row = issue("Q-003", **dict(Q003, title="桥面破损", summary=""))
    source = save(book([issue("Q-101"), row]), tmp_path / "问题台账.xlsx")
    result = run(tiny, source)
    assert result.exit_code == 1 and target.read_bytes() == before
    assert result.stderr == (
        "读取的是工作表“问题”。Read the sheet '问题'.\n"
        f"导入会修改 {target} 中的 1 条已有记录：\n"
        f"  Q-003（问题台账.xlsx 第 3 行 → {target} 第 4 行）：\n"
        "    问题标题（title）：“宅基地审批材料反复退回” → “桥面破损”\n"
        "    办理情况（summary）：“已办理” → （空）\n"
        "Error: 没有写出任何文件：导入会修改上面列出的 1 条已有记录；确认无误后加 --replace 重新运行。"
        "Nothing was written: add --replace to change these records.\n")

    result = run(tiny, source, "--replace")
    assert result.exit_code == 0, result.output
    lines = before.decode().split("\n")
    lines[3] = lines[3].replace("宅基地审批材料反复退回", "桥面破损").replace("已办理", "")
    added = csv_text(FIELDS, [[issue("Q-101").get(name, "") for name in FIELDS]]).split("\n", 1)[1]
    assert target.read_text(encoding="utf-8") == "\n".join(lines) + added
    assert result.stderr.endswith(f"已合并到 {target}：新增 1 行，更新 1 行，0 行与原来相同，其余 7 行保持不变。"
                                  f" Merged into {target}: 1 added, 1 changed, 0 unchanged, 7 untouched.\n")
    # The same sheet again: nothing to change, nothing to confirm.
    after = target.read_bytes()
    result = run(tiny, source)
    assert result.exit_code == 0 and target.read_bytes() == after
    assert "新增 0 行，更新 0 行，2 行与原来相同，其余 7 行保持不变。" in result.stderr


@pytest.mark.parametrize(("typed", "why"), [
    ("Q-0003", "只差数字开头补的 0"), ("q-003", "只差字母大小写"), ("Q-O03", "只差一个字符（“O”与“0”）"),
    ("Q003", "少了一个字符“-”"), ("Q--003", "多了一个字符“-”"), ("Q-0033", "多了一个字符“3”")])
def test_typos_left_orphans_and_duplicates(tiny, tmp_path, typed, why):
    # Q-2026-1901 typed for Q-2026-01901 became a second record beside the first. A new id that differs
    # from an existing one only by padding, case or one character is refused as a likely typo.
    target = tiny / "issues" / "2026.csv"
    before = target.read_bytes()
    source = save(book([issue("Q-101"), issue(typed)]), tmp_path / "问题台账.xlsx")
    result = run(tiny, source)
    assert result.exit_code == 1 and target.read_bytes() == before
    assert result.stderr.startswith(
        "[错误] 问题台账.xlsx（工作表“问题”），第 3 行，字段 id（问题编号） [likely-id-typo]\n"
        f"  “问题编号”列 A3：编号“{typed}”与已有记录“Q-003”{why}，像是笔误，没有导入。\n"
        f"  修改方法：如果是笔误，把表格中的编号改成“Q-003”后重新导入；如果要改正旧编号，加 --remove Q-003 "
        f"删除旧记录；如果确是一条新记录，加 --new-id {typed}。\n")
    assert result.stderr.splitlines()[-1] == (f"Error: 没有写出任何文件：{source} 中有 1 个编号疑似已有编号的笔误（见上）。"
                                              "Nothing was written: likely typos of existing ids.")
    # The clerk says it is a new record: it is added.
    result = run(tiny, source, "--new-id", typed)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").count("\n") == 11


def test_correcting_a_typo_id_removes_the_old_record_explicitly(tiny, tmp_path):
    target = tiny / "issues" / "2026.csv"
    lines = target.read_text(encoding="utf-8").split("\n")
    target.write_text("\n".join(lines).replace("Q-004,", "Q-04,"), encoding="utf-8")  # the typo, imported earlier
    source = save(book([issue("Q-004")]), tmp_path / "问题台账.xlsx")
    result = run(tiny, source, "--remove", "Q-04")
    assert result.exit_code == 0, result.output
    row = csv_text(FIELDS, [[issue("Q-004").get(name, "") for name in FIELDS]]).split("\n", 1)[1]
    assert target.read_text(encoding="utf-8") == "\n".join(lines[:4] + lines[5:]) + row
    assert result.stderr.endswith("新增 1 行，更新 0 行，删除 1 行，0 行与原来相同，其余 7 行保持不变。"
                                  f" Merged into {target}: 1 added, 0 changed, 1 removed, 0 unchanged, 7 untouched.\n")


def test_a_blank_id_was_merged_in(tiny, tmp_path):
    # A row without 问题编号 was appended and could never be replaced or removed by importing again.
    target = tiny / "issues" / "2026.csv"
    before = target.read_bytes()
    source = save(book([issue("Q-101"), issue(""), issue("Q-102")]), tmp_path / "问题台账.xlsx")
    result = run(tiny, source)
    assert result.exit_code == 1 and target.read_bytes() == before
    assert result.stderr.startswith(
        "[错误] 问题台账.xlsx（工作表“问题”），第 3 行，字段 id（问题编号） [missing-id]\n"
        "  “问题编号”列 A3没有填写：问题编号是这条记录的编号，每一行都要有。\n")
    with pytest.raises(ImportFailed) as failed:  # refused at import, with or without --out
        import_table(source, load(tiny), "issues")
    assert [(f.row, f.field, f.code) for f in failed.value.findings] == [(3, "id", "missing-id")]


def test_removing_a_record_is_explicit(tiny, tmp_path):
    target = tiny / "issues" / "2026.csv"
    before = target.read_text(encoding="utf-8")
    header_only = save(book([]), tmp_path / "空表.xlsx")
    result = run(tiny, header_only, "--remove", "Q-002,Q-005")
    assert result.exit_code == 0, result.output
    lines = before.split("\n")
    assert target.read_text(encoding="utf-8") == "\n".join(lines[:2] + lines[3:5] + lines[6:])
    for ids, why in [("Q-999", "已有文件中没有这条记录（编号须与文件中的完全一致）"), ("Q-002", "已有文件中没有这条记录（编号须与文件中的完全一致）")]:
        kept = target.read_bytes()
        result = run(tiny, header_only, "--remove", ids)
        assert result.exit_code == 2 and target.read_bytes() == kept
        assert result.output == f"Error: 没有写出任何文件：--remove {ids}：{why}。\n"
    result = run(tiny, save(book([issue("Q-001")]), tmp_path / "问题台账.xlsx"), "--remove", "Q-001")
    assert result.exit_code == 2
    assert result.output == ("Error: 没有写出任何文件：--remove Q-001：这条记录也在导入的表格中，"
                             "不能同时新增或修改又删除。\n")


# --- properties ------------------------------------------------------------------------------------

KEYS = st.integers(1, 30).map(lambda n: f"K{n:03d}")
CELL = st.text(alphabet='ab 中,"\n', max_size=5)
NAMES = ["id", "name", "note"]


@st.composite
def files_and_imports(draw):
    keys = draw(st.lists(KEYS, unique=True, max_size=8))
    rows = [[key, draw(CELL), draw(CELL)] for key in keys]
    quoted = [draw(st.booleans()) for _ in rows]  # some tool quoted every cell of some records
    raws = [(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n") if q else csv_text(row, [])
            for row, q in zip(rows, quoted)]
    named = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    fresh = draw(st.lists(st.integers(31, 60).map(lambda n: f"K{n:03d}"), unique=True, max_size=3))
    imported = [[key, draw(CELL), draw(CELL)] for key in named + fresh]
    remove = draw(st.lists(st.sampled_from([k for k in keys if k not in named]), unique=True)) \
        if len(keys) > len(named) else []
    return "id,name,note\n" + "".join(raws), raws, rows, imported, remove


@settings(max_examples=200, deadline=None)
@given(case=files_and_imports())
def test_untouched_records_keep_their_bytes(case):
    text, raws, rows, imported, remove = case
    merged = merge(text.encode(), Imported(NAMES, frozenset(NAMES), imported), ["id"], path="t.csv",
                   source="s.xlsx", resource="r", remove=[(key,) for key in remove])
    by_key = {row[0]: row for row in imported}
    old = {row[0]: row for row in rows}
    expected = []
    for raw, row in zip(raws, rows):
        if row[0] in remove:
            continue
        new = by_key.get(row[0])
        expected.append(raw if new is None or new == row else csv_text(new, []))
    changes = [(new[0], tuple((n, a, b) for n, a, b in zip(NAMES, old[new[0]], new) if a != b))
               for new in imported if new[0] in old and new != old[new[0]]]  # in the sheet's order
    added = [row for row in imported if row[0] not in {r[0] for r in rows}]
    assert merged.text == "id,name,note\n" + "".join(expected) + "".join(csv_text(r, []) for r in added)
    assert [(c.key[0], c.fields) for c in merged.changes] == changes
    assert (merged.removed, merged.appended, merged.replaced) == (len(remove), len(added), len(changes))
    assert merged.suspects == ()  # K031… beside K001…: the next numbers, not typos


@settings(max_examples=300, deadline=None)
@given(existing=st.lists(st.from_regex(r"Q-20[0-9]{2}-[0-9]{5}", fullmatch=True), min_size=1, max_size=20,
                         unique=True), pick=st.data())
def test_likely_typos_flag_case_and_padding_never_the_next_number(existing, pick):
    from pipeline.contribute.typos import likely_typos

    base = pick.draw(st.sampled_from(existing))
    numbered = f"{base[:-5]}{(int(base[-5:]) + 1) % 100000:05d}"
    if numbered not in existing:
        assert likely_typos([(numbered, 2)], existing) == []
    unpadded = base[:7] + (base[7:].lstrip("0") or "0")  # Q-2026-00105 typed as Q-2026-105
    for typed in {base.lower(), unpadded} - {base} - set(existing):
        ((suspect),) = likely_typos([(typed, 7)], existing)
        assert (suspect.key, suspect.sheet_row) == (typed, 7) and suspect.existing.casefold() in {
            e.casefold() for e in existing}


# --- findings in the clerk's terms ------------------------------------------------------------------

def test_errors_pointed_to_the_csv_not_the_clerks_sheet(tiny, tmp_path):
    # "issues/2026.csv，第 1517 行，字段 lead_department" for the sheet's row 2, column 牵头部门: every import
    # finding now names the workbook, the sheet, Excel's row, the column's header and the record id.
    rows = [issue("Q-101", raised_on="2026/2/30"), issue("Q-102", status="办好了", tier="中等")]
    source = save(book(rows, title_rows=[["示例县问题台账（2026年3月）"]], merges=["A1:S1"]), tmp_path / "台账.xlsx")
    with pytest.raises(ImportFailed) as failed:
        import_table(source, load(tiny), "issues")
    assert [(f.path, f.row, f.field, f.code, f.message_zh) for f in failed.value.findings] == [
        ("台账.xlsx（工作表“问题”）", 3, "raised_on", "import-error",
         "“提出日期”列 E3（问题编号 Q-101）：“2026/2/30”不是可识别的日期；请写成 2026-03-05。"),
        ("台账.xlsx（工作表“问题”）", 4, "tier", "import-error",
         "“难易程度”列 I4（问题编号 Q-102）：“中等”不是可选值；可选值：simple（简单问题（当天办结））、"
         "complex（复杂问题（3个工作日））、difficult（疑难问题（15个工作日））。"),
        ("台账.xlsx（工作表“问题”）", 4, "status", "import-error",
         "“办理状态”列 L4（问题编号 Q-102）：“办好了”不是可选值；可选值：registered（已登记）、assigned（已交办）、"
         "resolved（已办结）、evaluated（已评价）、archived（已归档）、withdrawn（已撤回）。")]


def test_a_repeated_id_in_the_sheet_names_both_rows_in_the_sheet(tiny, tmp_path):
    source = save(book([issue("Q-101"), issue("Q-102"), issue("Q-101")]), tmp_path / "台账.xlsx")
    with pytest.raises(ImportFailed) as failed:
        import_table(source, load(tiny), "issues")
    assert [(f.path, f.row, f.code, f.message_zh) for f in failed.value.findings] == [
        ("台账.xlsx（工作表“问题”）", 4, "unique-error",
         "“问题编号”列 A4：字段 id 的值“Q-101”重复出现（第一次出现在第 2 行）。")]


# --- names where codes are expected -----------------------------------------------------------------

def with_two_villages_named_xincun(tiny: Path) -> Path:
    regions = tiny / "regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8") + "990121001002,新村,village,990121001000\n"
                       "990121002002,新村,village,990121002000\n", encoding="utf-8")
    return tiny


def test_a_department_typed_by_its_name_was_imported_as_text(tiny, tmp_path):
    # 示例市交通运输局 was imported as text; validation then advised adding a department. It becomes jtj.
    target = tiny / "issues" / "2026.csv"
    before = target.read_text(encoding="utf-8")
    rows = [issue("Q-101", lead_department="示例市交通运输局", co_departments="示例市自然资源和规划局、jtj",
                  region_code="甲一村"),
            issue("Q-102", lead_department="示例市交通运输局", region_code="示例县乙镇"),
            issue("Q-103", lead_department="zrzyj", region_code="990121002001")]
    result = run(tiny, save(book(rows), tmp_path / "台账.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:5] == [
        "已把 甲一村 换成代码 990121001001（“所在区划”列，第 2 行）。",
        "已把 示例市交通运输局 换成代码 jtj（“牵头部门”列，第 2、3 行）。",
        "已把 示例市自然资源和规划局 换成代码 zrzyj（“协办部门”列，第 2 行）。",
        "已把 示例县乙镇 换成代码 990121002000（“所在区划”列，第 3 行）。"]
    expected = [issue("Q-101", co_departments="zrzyj;jtj"), issue("Q-102", region_code="990121002000"),
                issue("Q-103", lead_department="zrzyj", region_code="990121002001")]
    assert target.read_text(encoding="utf-8") == before + csv_text(
        FIELDS, [[row.get(name, "") for name in FIELDS] for row in expected]).split("\n", 1)[1]


def test_an_ambiguous_place_name_is_answered_with_the_candidate_codes(tiny, tmp_path):
    with_two_villages_named_xincun(tiny)
    rows = [issue("Q-101", region_code="新村"), issue("Q-102", region_code="甲镇新村")]
    with pytest.raises(ImportFailed) as failed:
        import_table(save(book(rows), tmp_path / "台账.xlsx"), load(tiny), "issues")
    assert [(f.row, f.field, f.message_zh) for f in failed.value.findings] == [
        (2, "region_code", "“所在区划”列 F2（问题编号 Q-101）：“新村”是区划名称，不是代码，有 2 个区划同名："
         "990121001002（示例市示例县甲镇新村）、990121002002（示例市示例县乙镇新村）；请改填其中一个代码。")]


# --- a title row or a merged group header above the header row ----------------------------------------

def test_a_title_row_above_the_header_gave_28_errors(tiny, tmp_path):
    # A title row and a merged group header (基本信息 / 办理情况) above the header row: the header row is found,
    # the rows import, and the output says which rows were skipped.
    target = tiny / "issues" / "2026.csv"
    before = target.read_text(encoding="utf-8")
    groups = ["基本信息"] + [None] * 10 + ["办理情况"] + [None] * 7
    source = save(book([issue("Q-101")], title_rows=[["示例县问题台账"], groups], merges=["A1:S1", "A2:K2", "L2:S2"]),
                  tmp_path / "台账.xlsx")
    result = run(tiny, source)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == ["读取的是工作表“问题”。Read the sheet '问题'.",
                                              "表头在第 3 行：已跳过表头上方的第 1–2 行（标题行）。"]
    assert target.read_text(encoding="utf-8") == before + csv_text(
        FIELDS, [[issue("Q-101").get(name, "") for name in FIELDS]]).split("\n", 1)[1]


def test_a_two_level_header_asks_to_delete_the_rows_above(tiny, tmp_path):
    # 问题编号 merged down rows 1–2 beside group headers: which header each column has is a guess.
    first = ["问题编号", "基本信息"] + [None] * 17
    second = [None] + TITLES[1:]
    workbook = Workbook()
    workbook.active.title = "问题"
    for row in (first, second, [issue("Q-101").get(name, "") for name in FIELDS]):
        workbook.active.append(row)
    workbook.active.merge_cells("A1:A2")
    workbook.active.merge_cells("B1:S1")
    with pytest.raises(ImportFailed) as failed:
        import_table(save(workbook, tmp_path / "台账.xlsx"), load(tiny), "issues")
    assert [(f.row, f.code, f.message_zh, f.fix_zh) for f in failed.value.findings] == [
        (2, "title-rows", "表头在第 2 行，上方的第 1 行也有表头文字（多层表头），无法确定每列属于哪个字段。",
         "请删除第 1 行（表头上方的标题行），每列的表头只写在一格里，然后重新导入。")]


def test_a_title_row_in_a_workbook_saved_by_libreoffice(tiny):
    # LibreOffice writes shared strings, styles and merges its own way: the same title row imports.
    # The fixture is the workbook ``book([issue("Q-101")], title_rows=[["示例县问题台账"]], merges=["A1:S1"])``
    # opened and saved by LibreOffice 7.4 (`soffice --headless --convert-to "xlsx:Calc MS Excel 2007 XML"`),
    # committed so that the test needs no LibreOffice.
    table = import_table(LIBREOFFICE_TITLE_ROW, load(tiny), "issues")
    assert (table.header_row, table.notes) == (2, ("表头在第 2 行：已跳过表头上方的第 1 行（标题行）。",))
    assert table.csv() == csv_text(FIELDS, [[issue("Q-101").get(name, "") for name in FIELDS]])


LIBREOFFICE_TITLE_ROW = Path(__file__).parent / "fixtures" / "import" / "title_row_saved_by_libreoffice.xlsx"

TITLE_TEXT = st.text(alphabet="示例县问题台账年月（）2026 基本信息处理情况", min_size=1, max_size=12).filter(str.strip)


@settings(max_examples=40, deadline=None)
@given(titles=st.lists(st.lists(st.one_of(st.none(), TITLE_TEXT), min_size=1, max_size=4).filter(any),
                       min_size=1, max_size=3),
       merged=st.booleans(), count=st.integers(1, 4))
def test_title_rows_never_change_what_is_imported(tiny_package, tmp_path_factory, titles, merged, count):
    # Any title or group rows (text that names no field) above the header, merged across the sheet or
    # not: the rows import exactly as without them, numbered as Excel numbers them.
    rows = [issue(f"Q-{100 + n}", title=f"问题{n}") for n in range(count)]
    folder = tmp_path_factory.mktemp("titles")
    plain = import_table(save(book(rows), folder / "plain.xlsx"), tiny_package, "issues")
    merges = [f"A{n}:S{n}" for n, row in enumerate(titles, start=1) if merged and sum(v is not None for v in row) == 1
              and row[0] is not None]
    table = import_table(save(book(rows, title_rows=titles, merges=merges), folder / "titled.xlsx"),
                         tiny_package, "issues")
    assert table.csv() == plain.csv() and table.header_row == len(titles) + 1
    assert [table.sheet_row(i) for i in range(count)] == list(range(len(titles) + 2, len(titles) + 2 + count))
    span = "1" if len(titles) == 1 else f"1–{len(titles)}"
    assert table.notes == (f"表头在第 {len(titles) + 1} 行：已跳过表头上方的第 {span} 行（标题行）。",)


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory):
    from tests.conftest import make_tiny

    return load(make_tiny(tmp_path_factory.mktemp("clerk") / "tiny"))


DEPARTMENT_NAME = st.text(alphabet="示例市县交通运输民政自然资源局委", min_size=2, max_size=8)


@settings(max_examples=30, deadline=None)
@given(names=st.lists(DEPARTMENT_NAME, min_size=1, max_size=6), picks=st.data())
def test_department_names_become_their_codes_or_the_candidates(tmp_path_factory, names, picks):
    # Departments d0, d1 … with any names, some shared: a lead department typed by a name one department
    # has becomes its code; a name several have is refused with all their codes; a code stays a code.
    from tests.conftest import make_tiny

    tiny = make_tiny(tmp_path_factory.mktemp("names") / "tiny")
    codes = [f"d{n}" for n in range(len(names))]
    (tiny / "departments.csv").write_text(csv_text(["code", "name", "region_code"],
                                                   [[c, n, "990100000000"] for c, n in zip(codes, names)]),
                                          encoding="utf-8")
    typed = picks.draw(st.lists(st.sampled_from(codes + names), min_size=1, max_size=5))
    source = tmp_path_factory.mktemp("sheet") / "sheet.csv"
    source.write_text(csv_text(FIELDS, [[issue(f"Q-{100 + i}", lead_department=t).get(name, "") for name in FIELDS]
                                        for i, t in enumerate(typed)]), encoding="utf-8")
    holders = {name: [c for c, n in zip(codes, names) if n == name] for name in names}
    shared = [i for i, t in enumerate(typed) if t in holders and len(holders[t]) > 1]
    if shared:
        with pytest.raises(ImportFailed) as failed:
            import_table(source, load(tiny), "issues")
        assert [(f.row, f.field) for f in failed.value.findings] == [(i + 2, "lead_department") for i in shared]
        for f, i in zip(failed.value.findings, shared):
            assert all(f"{c}（{typed[i]}）" in f.message_zh for c in holders[typed[i]])
        return
    table = import_table(source, load(tiny), "issues")
    assert [row[FIELDS.index("lead_department")] for row in table.rows] == [
        t if t in codes else holders[t][0] for t in typed]
