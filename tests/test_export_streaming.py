"""The streamed export: blocks of any size give the same files, and each Arrow formatter writes what the
Python definition of its format writes (csv module, json.dumps, the worksheet block API) on hostile text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.export import parquet_export, tables, xlsx_export
from pipeline.export.columns import anywhere, data_bytes, edge_bytes, escaped_bytes, rows_matching
from pipeline.export.csv_export import csv_lines, guard, quoted_line
from pipeline.export.downloads import write_downloads
from pipeline.export.json_export import json_records
from pipeline.export.lanes import Lane
from pipeline.export.tables import file_batches, rebatch, typed_value
from pipeline.export.xlsx_rows import row_markup
from pipeline.export.xlsx_writer import BOOL, DATE, NUMBER, TEXT, Sheet, column_letter, escaped_bytes_bound
from pipeline.core.package import load

HOSTILE = ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\t=1+1", "a\rb\r\nc", "<script>alert(1)</script>", "&amp;",
           "控\x01制\x1b字\x0b符", "前\ufffe后\uffff", "\x01\x02", "😀 emoji 𠀀", "长" * 2000, " edge spaces ", "#N/A",
           '引号"和,逗号\n换行', "\r=1", "back\\slash", "tab\tin", "\x7f", "\u2028", " ", "\n", "\r", '"', ",", "x\r",
           "\r\n", "a;b", "'q", "\x0c\x08", "]]>", "=", "-", "普通文本", "plain"]


# --- a package of hostile text, many rows ----------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory) -> Path:
    """The tiny package with 1,800 issues of hostile titles, summaries and lists, CRLF claims with odd
    numbers, and regions whose header is in another order than the schema (not valid data: no need)."""
    from tests.conftest import make_tiny

    root = make_tiny(tmp_path_factory.mktemp("hostile") / "tiny")
    rng = random.Random(3)

    def rewrite(rel: str, change, terminator: str = "\n", quoting: int = csv.QUOTE_MINIMAL) -> None:
        path = root / rel
        rows = change(list(csv.reader(path.open(encoding="utf-8", newline=""))))
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator=terminator, quoting=quoting).writerows(rows)

    def issues(rows):
        head, body = rows[0], rows[1:]
        many = [list(row) for _ in range(120) for row in body]
        for number, row in enumerate(many):
            row[0] = f"Q-{number:05d}"
            row[head.index("title")] = rng.choice(HOSTILE + [row[head.index("title")]] * 3)
            row[head.index("summary")] = rng.choice(HOSTILE + ["", ""])
            row[head.index("co_departments")] = rng.choice(["", "a", "a;b", "x,y;z", '"q";w'])
            row[head.index("escalated")] = rng.choice(["true", "false", "", "True", "0"])
        return [head] + many

    def claims(rows):
        head = rows[0]
        for number, row in enumerate(rows[1:]):
            row[head.index("value")] = ["-5", "1.50", "1e3", "-0", "007", "", "0.1", "2.5e-7"][number % 8]
            row[head.index("unit")] = rng.choice(HOSTILE)
        return rows

    rewrite("issues/2026.csv", issues, quoting=csv.QUOTE_ALL)
    rewrite("claims.csv", claims, terminator="\r\n")
    rewrite("regions.csv", lambda rows: [[r[1], r[0]] + r[2:] for r in rows])
    return root


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_blocks_of_any_size_give_the_same_downloads(hostile_package, tmp_path, monkeypatch):
    """Tiny parser blocks (cells sliced out of them), 7-row blocks and 5-row worksheet blocks: every file is
    byte-identical to the one-block export."""
    package = load(hostile_package)
    whole = write_downloads(package, tmp_path / "whole")
    monkeypatch.setattr(tables, "BLOCK_ROWS", 7)
    monkeypatch.setattr(tables, "READ_BYTES", 64 << 10)
    monkeypatch.setattr(xlsx_export, "CHUNK_ROWS", 5)
    small = write_downloads(package, tmp_path / "small")
    assert files_of(tmp_path / "small") == files_of(tmp_path / "whole")
    assert [(d.path, d.rows) for d in whole.downloads] == [(d.path, d.rows) for d in small.downloads]
    assert (tmp_path / "small/downloads/csv/issues.csv").stat().st_size > 100_000  # many blocks were written


def test_parquet_row_groups_have_a_fixed_size_whatever_the_blocks(hostile_package, tmp_path, monkeypatch):
    package = load(hostile_package)
    write_downloads(package, tmp_path / "whole")
    monkeypatch.setattr(tables, "BLOCK_ROWS", 7)
    monkeypatch.setattr(parquet_export, "ROW_GROUP_ROWS", 11)
    write_downloads(package, tmp_path / "grouped")
    for path in sorted((tmp_path / "whole/downloads/parquet").iterdir()):
        one, grouped = pq.ParquetFile(path), pq.ParquetFile(tmp_path / "grouped/downloads/parquet" / path.name)
        assert grouped.read().equals(one.read()) and grouped.schema_arrow.equals(one.schema_arrow, check_metadata=True)
        rows = one.metadata.num_rows
        assert [grouped.metadata.row_group(i).num_rows for i in range(grouped.metadata.num_row_groups)] == \
            [min(11, rows - start) for start in range(0, rows, 11)] or rows == 0, path.name
        assert one.metadata.num_row_groups == 1


# --- each formatter against the Python definition of its format ----------------------------------------------

def batch_of(columns: dict[str, list[str]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({name: pa.array(cells, type=pa.string()) for name, cells in columns.items()})


def sliced(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The same rows as a slice of a bigger block (buffers with an offset), as the reader hands them over."""
    padding = batch_of({name: ["pad,\r\"=x"] * 3 for name in batch.schema.names})
    joined = pa.Table.from_batches([padding, batch, padding]).combine_chunks().to_batches()[0]
    return joined.slice(3, batch.num_rows)


def python_csv(rows: list[list[str]], fields: list[dict], for_excel: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        if for_excel:
            row = [guard(c) if f.get("type", "string") in ("string", "list") else c for c, f in zip(row, fields)]
        if any("\r" in c for c in row):
            out.write(quoted_line(row))
        else:
            writer.writerow(row)
    return out.getvalue()


@pytest.mark.parametrize("for_excel", [False, True])
def test_csv_lines_are_the_csv_modules_on_every_ascii_character_and_hostile_text(for_excel):
    cells = [chr(c) for c in range(128)] + HOSTILE + ["", ""]
    fields = [{"name": "a"}, {"name": "n", "type": "integer"}, {"name": "b", "type": "list"}]
    rows = [[c, c, "x"] for c in cells] + [["x", c, c] for c in cells]
    batch = sliced(batch_of({f["name"]: [r[i] for r in rows] for i, f in enumerate(fields)}))
    got = data_bytes(csv_lines(batch, fields, for_excel=for_excel)).tobytes().decode("utf-8")
    assert got == python_csv(rows, fields, for_excel)


@pytest.mark.parametrize("for_excel", [False, True])
def test_csv_lines_of_a_one_column_resource_quote_an_empty_cell(for_excel):
    """The csv module writes a lone empty cell as "" (an empty line would be no row at all)."""
    cells = ["", "a", "", "=b", ",", "\r"]
    fields = [{"name": "only"}]
    got = data_bytes(csv_lines(batch_of({"only": cells}), fields, for_excel=for_excel)).tobytes().decode()
    assert got == python_csv([[c] for c in cells], fields, for_excel)
    assert got.startswith('""\na\n""\n')


def test_json_records_are_json_dumps_of_the_typed_rows():
    fields = [{"name": "text"}, {"name": "count", "type": "integer"}, {"name": "share", "type": "number"},
              {"name": "flag", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
              {"name": "day", "type": "date"}, {"name": "tags", "type": "list", "delimiter": ";"},
              {"name": "ym", "type": "yearmonth"}, {"name": "中文"}]
    count = len(HOSTILE) + 1
    columns = {"text": HOSTILE + [""], "count": [str(i - 5) if i % 4 else "" for i in range(count)],
               "share": ["1.50", "-0", "1e3", "", "007"] * count, "flag": ["yes", "no", "", "maybe"] * count,
               "day": ["2026-04-30", "", "2025-01-01"] * count, "tags": ["a;b", "", "x", '"q";\\'] * count,
               "ym": ["2026-04", ""] * count, "中文": list(reversed(HOSTILE)) + ["x"]}
    columns = {name: cells[:count] for name, cells in columns.items()}
    records = data_bytes(json_records(sliced(batch_of(columns)), fields)).tobytes().decode("utf-8")
    expected = ""
    for row in zip(*columns.values()):
        record = {}
        for f, cell in zip(fields, row):
            value = typed_value(cell, f) if f.get("type") in tables.TYPED else (cell or None)
            record[f["name"]] = value.isoformat() if isinstance(value, dt.date) else value
        expected += ",\n" + json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False)
    assert records == expected


class Captured(io.BytesIO):
    def close(self) -> None:  # keep the bytes readable after the sheet closes its stream
        pass


def test_worksheet_rows_are_the_block_apis_markup():
    """row_markup (Arrow) writes byte for byte what Sheet.columns writes for the same typed values."""
    fields = [{"name": "t"}, {"name": "i", "type": "integer"}, {"name": "x", "type": "number"},
              {"name": "d", "type": "date"}, {"name": "b", "type": "boolean"}, {"name": "t2"}]
    kinds = [TEXT, NUMBER, NUMBER, DATE, BOOL, TEXT]
    count = len(HOSTILE) + 1
    columns = {"t": HOSTILE + [""], "i": [str(i * 1000 - 7) if i % 3 else "" for i in range(count)],
               "x": (["1.5", "2.0", "", "-0.25", "1e300", "nan", "inf"] * count)[:count],
               "d": (["2026-04-30", "", "1900-02-28", "1900-03-01"] * count)[:count],
               "b": (["true", "false", "", "1"] * count)[:count], "t2": [""] + list(reversed(HOSTILE))}
    first = 7
    expected = Captured()
    typed = [list(cells) if kind in (TEXT, DATE) else [typed_value(c, f) for c in cells]
             for (name, cells), kind, f in zip(columns.items(), kinds, fields)]
    reference = Sheet(expected, rows=first - 1 + count, columns=len(fields))
    reference._next = first
    reference.columns(typed, kinds)
    letters = [column_letter(i) for i in range(len(fields))]
    markup = row_markup(sliced(batch_of(columns)).columns, kinds, fields, letters, first)
    assert data_bytes(markup).tobytes() == expected.getvalue()
    assert b"&lt;script&gt;" in expected.getvalue() and b'xml:space="preserve"> edge spaces </t>' in expected.getvalue()


# --- reading --------------------------------------------------------------------------------------------

def test_file_batches_find_columns_by_header_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'b,a,extra\r\n"x\r\ny",1,z\r\n\r\n,2,\r\n"q""",,\r\n')
    batches = list(file_batches(path, ["a", "b", "missing"]))
    table = pa.Table.from_batches(batches)
    assert table.to_pydict() == {"a": ["1", "2", ""], "b": ["x\r\ny", "", 'q"'], "missing": ["", "", ""]}


def test_a_file_pyarrow_cannot_parse_is_read_by_the_csv_module(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3\n4,5,6\n", encoding="utf-8")
    table = pa.Table.from_batches(list(file_batches(path, ["a", "b"])))
    assert table.to_pydict() == {"a": ["1", "3", "4"], "b": ["2", "", "5"]}


def test_a_record_longer_than_the_parser_block_is_read_by_the_csv_module(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "READ_BYTES", 1024)
    monkeypatch.setattr(tables, "BLOCK_ROWS", 50)
    path = tmp_path / "t.csv"
    rows = [[str(i), "长" * (3000 if i == 400 else 3)] for i in range(600)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["a", "b"]] + rows)
    batches = list(file_batches(path, ["a", "b"]))
    assert pa.Table.from_batches(batches).to_pydict() == {"a": [r[0] for r in rows], "b": [r[1] for r in rows]}
    assert max(b.num_rows for b in batches[-3:]) <= 50  # the rest comes in blocks, not as one list


def test_rebatch_gives_blocks_of_exactly_the_size_asked():
    pieces = [batch_of({"n": [str(i) for i in range(start, stop)]}) for start, stop in ((0, 3), (3, 4), (4, 15))]
    blocks = list(rebatch(pieces, 4))
    assert [b.num_rows for b in blocks] == [4, 4, 4, 3]
    assert [c for b in blocks for c in b.column("n").to_pylist()] == [str(i) for i in range(15)]


def test_column_helpers_respect_a_slice():
    cells = batch_of({"c": [" a", "&", "b\n", "", "c"]}).column("c")
    part = cells.slice(2, 3)
    assert data_bytes(part).tobytes() == b"b\nc"
    assert anywhere(part, "[&]") is False and anywhere(cells, "[&]") is True
    first, last, lengths = edge_bytes(part)
    assert list(first) == [ord("b"), 0, ord("c")] and list(last) == [ord("\n"), 0, ord("c")]
    assert list(lengths) == [2, 0, 1]
    assert rows_matching([part], "[&]") is None
    assert rows_matching([cells], "[&]").to_pylist() == [False, True, False, False, False]
    block = batch_of({"a": ["x&y", "<>", "长"], "b": ["", "plain", "&&"]}).slice(1)
    assert escaped_bytes(block) == escaped_bytes_bound("<>长plain&&".encode()) == 2 + 3 + 5 + 2 + 2 * 4 + 2 * 3


def test_a_lane_runs_calls_in_order_on_one_thread_and_raises_the_first_error():
    lane = Lane("test", depth=1)
    seen, threads = [], set()

    def note(value):
        seen.append(value)
        threads.add(threading.get_ident())

    for value in range(20):
        lane.run(note, value)
    assert lane.call(len, seen) == 20
    lane.run(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        lane.close()
    assert seen == list(range(20)) and len(threads) == 1 and threading.get_ident() not in threads


# --- the workbook's background compression ---------------------------------------------------------------

def test_a_workbook_compressed_in_the_background_has_the_same_bytes(hostile_package, tmp_path):
    from pipeline.export.tables import source_table
    from pipeline.export.xlsx_export import Workbook, write_xlsx

    package = load(hostile_package)
    tables_ = [source_table(package, name) for name in package.resource_names]
    write_xlsx(package, tables_, tmp_path / "plain.xlsx")
    with Workbook(package, tables_, tmp_path / "lane.xlsx", background=True) as book:
        for table in tables_:
            if book.begin(table):
                for block in table.blocks(3):
                    book.write(block)
            book.end(table)
    assert (tmp_path / "lane.xlsx").read_bytes() == (tmp_path / "plain.xlsx").read_bytes()


def test_a_failure_while_compressing_in_the_background_leaves_no_workbook(tmp_path):
    from pipeline.export.xlsx_writer import XlsxWriter

    path = tmp_path / "broken.xlsx"
    with pytest.raises(RuntimeError, match="stop"):
        with XlsxWriter(path, ["a"], when=dt.date(2026, 4, 30), background=True) as book:
            sheet = book.sheet("a", rows=3, columns=1)
            sheet.row(["x"])
            raise RuntimeError("stop")
    assert not path.exists()


def test_a_failed_background_write_is_raised_and_leaves_no_workbook(tmp_path):
    from pipeline.export.xlsx_writer import XlsxWriter

    path = tmp_path / "broken.xlsx"
    with pytest.raises(TypeError):
        with XlsxWriter(path, ["a"], when=dt.date(2026, 4, 30), background=True) as book:
            sheet = book.sheet("a", rows=2, columns=1)
            sheet.markup(None, 1)  # not bytes: fails on the lane, after this call has returned
            sheet.row(["x"])
    assert not path.exists()
