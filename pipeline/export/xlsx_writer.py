"""A streaming XLSX writer: SpreadsheetML parts written straight into a deterministic ZIP.

An XLSX file is a ZIP of XML parts. This writer knows every sheet's name up
front, so it writes the package parts first and then each worksheet row block
by row block into its ZIP entry: a sheet is never held in memory, and a cell
costs a string format instead of an object (openpyxl spends ~50 µs a cell).

Cells: text is an inline string (``t="inlineStr"``), which a spreadsheet
never evaluates, so "=HYPERLINK(…)" or "#N/A" stays text; numbers are
``<v>`` values; dates are day serials with a yyyy-mm-dd format; booleans are
``t="b"``; a missing value is no cell at all. Text is escaped for XML 1.0:
&, < and > become entities, a carriage return becomes a line feed (XML
readers would turn it into one anyway), and the characters XML 1.0 cannot
hold (control characters other than tab, LF and CR; U+FFFE, U+FFFF; lone
surrogates) are dropped.

Bytes are deterministic: entries in a fixed order, each dated ``when`` at
00:00 with mode 0644, DEFLATE at a fixed level.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.export import ziputil
from pipeline.export.lanes import Lane

TEXT, NUMBER, DATE, BOOL = "text", "number", "date", "bool"
COMPRESSLEVEL = 5  # zlib: 1 % bigger than 6 (the default), a third less time; 1 is 30 % bigger

# characters XML 1.0 cannot hold, and those that need an entity (or, for CR, a line feed)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# upper bounds of a cell's and a row's markup, the value excluded (text) or included (numbers, dates):
# '<c r="XFD1048576" t="inlineStr"><is><t xml:space="preserve">' '</t></is></c>' is 71 bytes
CELL_BYTES = 72
ROW_BYTES = 24  # '<row r="1048576">' '</row>'
SHEET_BYTES = 2048  # the worksheet's head and tail

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLE_HEADER, STYLE_DATE = 1, 2  # cellXfs indexes in STYLES
STYLES = (
    f'<styleSheet xmlns="{NS_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
FROZEN_HEADER = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                 'state="frozen"/></sheetView></sheetViews>')
PLAIN_VIEW = '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
EXCEL_EPOCH = dt.date(1899, 12, 30)


# --- values → markup ------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Text → XML character data: entities for & < >, CR → LF, characters XML 1.0 forbids dropped."""
    if SPECIAL.search(text) is None:
        return text
    text = NOT_XML.sub("", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r\n", "\n").replace("\r", "\n"))


def escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def date_serial(value: dt.date) -> int:
    """Excel's day number (1900 date system, with its phantom 1900-02-29 as openpyxl counts it)."""
    days = (value - EXCEL_EPOCH).days
    return days - 1 if 0 < days <= 60 else days


def number_text(value: int | float) -> str | None:
    """A number as an XML Schema double; None for NaN and ±inf, which no cell can hold.

    A float's str is its shortest exact repr; a whole float is written as an integer (97271, not
    97271.0), as openpyxl wrote it, so that readers give back the same int as before."""
    if value - value != 0:  # NaN - NaN and inf - inf are NaN
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _text_cells(letter: str, values: Sequence, rows: Sequence[str], style: str = "") -> list[str]:
    present = [v for v in values if v]
    if present and SPECIAL.search("".join(present)) is not None:  # one scan decides for the whole block
        values = [escape(v) if v else v for v in values]
    head = f'<c r="{letter}'
    plain = f'"{style} t="inlineStr"><is><t>'
    keep = f'"{style} t="inlineStr"><is><t xml:space="preserve">'  # readers strip edge whitespace otherwise
    # after escaping, the only characters <= " " left are space, tab and LF: XML's whitespace
    return [f"{head}{r}{plain if v[0] > ' ' and v[-1] > ' ' else keep}{v}</t></is></c>" if v else ""
            for r, v in zip(rows, values)]


def _number_cells(letter: str, values: Sequence, rows: Sequence[str], style: str = "") -> list[str]:
    head = f'<c r="{letter}'
    tail = f'"{style}><v>'
    return [f"{head}{r}{tail}{v}</v></c>" if type(v) is int else "" if v is None else _float_cell(head + r, style, v)
            for r, v in zip(rows, values)]


def _float_cell(head: str, style: str, value: float) -> str:
    text = number_text(value)
    if text is None:  # NaN, ±inf: no cell holds them as numbers, so they are text
        return f'{head}"{style} t="inlineStr"><is><t>{value!r}</t></is></c>'
    return f'{head}"{style}><v>{text}</v></c>'


def _date_cells(letter: str, values: Sequence, rows: Sequence[str], style: str = "") -> list[str]:
    """Dates (``datetime.date`` or ISO text, None or "" = missing) as day serials in the date style."""
    serials = {v: date_serial(dt.date.fromisoformat(v) if isinstance(v, str) else v) for v in set(values) if v}
    head = f'<c r="{letter}'
    tail = f'" s="{STYLE_DATE}"><v>'  # a date is a number, shown as a date only through its style
    return [f"{head}{r}{tail}{serials[v]}</v></c>" if v else "" for r, v in zip(rows, values)]


def _bool_cells(letter: str, values: Sequence, rows: Sequence[str], style: str = "") -> list[str]:
    return [f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>' if v is not None else ""
            for r, v in zip(rows, values)]


CELLS = {TEXT: _text_cells, NUMBER: _number_cells, DATE: _date_cells, BOOL: _bool_cells}


def kind_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, dt.date):  # a datetime would lose its time: not used here
        return DATE
    return TEXT


def sheet_bytes_bound(rows: int, columns: int, text_bytes: int) -> int:
    """An upper bound of a worksheet part's size: ZIP64 is used only for a part that may pass 2 GiB.

    ``text_bytes`` bounds the escaped UTF-8 bytes of the sheet's text (see ``escaped_bytes_bound``)."""
    return SHEET_BYTES + rows * (ROW_BYTES + columns * CELL_BYTES) + text_bytes


def escaped_bytes_bound(data: bytes) -> int:
    """UTF-8 bytes of some text → bytes once & < > are entities (control characters only shrink it)."""
    return len(data) + 4 * data.count(b"&") + 3 * (data.count(b"<") + data.count(b">"))


# --- the workbook ------------------------------------------------------------------------------------

class Sheet:
    """One worksheet entry, open for rows; ``rows`` and ``columns`` are declared up front (the dimension)."""

    def __init__(self, stream, rows: int, columns: int):
        self._stream = stream
        self._rows = rows
        self._next = 1
        self._letters = [column_letter(i) for i in range(columns)]

    def row(self, values: Sequence, style: int | None = None) -> None:
        """One row of mixed Python values (str, int, float, bool, date, None); ``style`` for every cell."""
        if len(values) > len(self._letters):
            raise ValueError(f"row {self._next} has {len(values)} values for {len(self._letters)} columns")
        r = [str(self._next)]
        attribute = "" if style is None else f' s="{style}"'
        cells = [CELLS[kind](letter, [value], r, attribute)[0]
                 for letter, value in zip(self._letters, values) if (kind := kind_of(value)) is not None]
        self._write(f'<row r="{r[0]}">{"".join(cells)}</row>' if any(cells) else "", 1)

    def columns(self, columns: Sequence[Sequence], kinds: Sequence[str]) -> None:
        """A block of rows given column by column: ``columns[j]`` holds values of kind ``kinds[j]``."""
        if len(columns) != len(self._letters) or len(kinds) != len(columns):
            raise ValueError(f"{len(columns)} columns and {len(kinds)} kinds for a sheet of {len(self._letters)}")
        count = len(columns[0]) if columns else 0
        rows = [str(r) for r in range(self._next, self._next + count)]
        cells = [CELLS[kind](letter, values, rows) for letter, kind, values in zip(self._letters, kinds, columns)]
        opening = [f'<row r="{r}">' for r in rows]
        self._write("".join(map("".join, zip(opening, *cells, ["</row>"] * count))), count)

    @property
    def next_row(self) -> int:
        """The number of the next row written (the first is 1)."""
        return self._next

    @property
    def letters(self) -> list[str]:
        return list(self._letters)

    def markup(self, data: bytes | memoryview, rows: int) -> None:
        """``rows`` rows of markup made elsewhere (``xlsx_rows``), numbered from ``next_row``."""
        self._count(rows)
        self._stream.write(data)

    def _write(self, markup: str, rows: int) -> None:
        self._count(rows)
        self._stream.write(markup.encode("utf-8"))

    def _count(self, rows: int) -> None:
        self._next += rows
        if self._next - 1 > self._rows:
            raise ValueError(f"more rows than the {self._rows} declared")

    def close(self) -> None:
        if self._next - 1 != self._rows:
            raise ValueError(f"{self._next - 1} rows written, {self._rows} declared")
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()

    def abort(self) -> None:
        if isinstance(self._stream, _LaneStream):
            self._stream.abort()
        else:
            self._stream.close()


class _LaneStream:
    """A ZIP entry written on a lane: DEFLATE runs on a second core while the caller formats rows."""

    def __init__(self, stream, lane: Lane):
        self._stream = stream
        self._lane = lane

    def write(self, data: bytes | memoryview) -> None:
        self._lane.run(self._stream.write, data)

    def close(self) -> None:
        self._lane.call(self._stream.close)

    def abort(self) -> None:
        self._lane.abort()
        try:
            self._stream.close()
        except (OSError, ValueError, zipfile.BadZipFile):
            pass  # the archive is deleted anyway


class XlsxWriter:
    """``with XlsxWriter(path, names, when=…) as book:`` then ``book.sheet(name, …)`` for each name in order."""

    def __init__(self, path: Path, sheet_names: Sequence[str], *, when: dt.date, title: str = "",
                 creator: str = "", compresslevel: int = COMPRESSLEVEL, background: bool = False):
        """``background``: compress worksheets on a second thread (same bytes, sooner)."""
        if len(set(sheet_names)) != len(sheet_names) or not sheet_names:
            raise ValueError("sheet names must be unique and at least one")
        self.path = Path(path)
        self.names = list(sheet_names)
        self.when = when
        self._done = 0
        self._open: Sheet | None = None
        self._lane = Lane("xlsx-deflate", depth=2) if background else None
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.level = compresslevel
        for name, text in self._package_parts(title, creator):
            self._zip.writestr(self._entry(name), (XML_HEAD + text).encode("utf-8"))

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is not None:
            self._discard()
            return
        try:
            self.close()
        except BaseException:  # a failed last write (or a background one) too
            self._discard()
            raise

    def _discard(self) -> None:
        """A failed write leaves no half workbook behind."""
        if self._open is not None:
            self._open.abort()
            self._open = None
        if self._lane is not None:
            self._lane.abort()
        try:
            self._zip.close()
        except (OSError, ValueError):
            pass  # the file goes anyway
        finally:
            self.path.unlink(missing_ok=True)

    def sheet(self, name: str, *, rows: int, columns: int, frozen_header: bool = False,
              size_bound: int | None = None) -> Sheet:
        """Open the next worksheet (closing the one before).

        ``size_bound``: an upper bound of the part's bytes (``sheet_bytes_bound``), so that ZIP64 is used
        only for a part that may pass 2 GiB; without it the part is taken to hold short text only, and
        zipfile raises rather than write a broken archive if that was wrong."""
        if self._open is not None:
            self._open.close()
        if self._done >= len(self.names) or self.names[self._done] != name:
            raise ValueError(f"sheet {name!r} out of the declared order {self.names}")
        self._done += 1
        info = self._entry(f"xl/worksheets/sheet{self._done}.xml")
        info.file_size = size_bound if size_bound is not None else sheet_bytes_bound(rows, columns, 0)
        stream = self._zip.open(info, "w")
        if self._lane is not None:
            stream = _LaneStream(stream, self._lane)
        ref = f"A1:{column_letter(max(columns, 1) - 1)}{max(rows, 1)}"
        stream.write((f'{XML_HEAD}<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><dimension ref="{ref}"/>'
                      f'{FROZEN_HEADER if frozen_header else PLAIN_VIEW}<sheetData>').encode("utf-8"))
        self._open = Sheet(stream, rows, columns)
        return self._open

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if self._lane is not None:
            self._lane.close()
        self._zip.close()
        if self._done != len(self.names):
            raise ValueError(f"{self._done} of {len(self.names)} declared sheets written")

    def _entry(self, name: str) -> zipfile.ZipInfo:
        """A fixed-stamp entry at this writer's level (zipfile ignores the archive's level for a ZipInfo)."""
        info = ziputil.entry(name, self.when)
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", self.level)
        return info

    def _package_parts(self, title: str, creator: str) -> Iterable[tuple[str, str]]:
        sheets = range(1, len(self.names) + 1)
        stamp = f"{self.when.isoformat()}T00:00:00Z"
        yield "[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                      f'ContentType="{CT}.spreadsheetml.worksheet+xml"/>' for n in sheets)
            + f'<Override PartName="/xl/styles.xml" ContentType="{CT}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{CT}.extended-properties+xml"/></Types>')
        yield "_rels/.rels", (
            f'<Relationships xmlns="{NS_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{NS_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{NS_REL}/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')
        yield "docProps/core.xml", (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{escape(title)}</dc:title><dc:creator>{escape(creator)}</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
        yield "docProps/app.xml", (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            '<Application>Sunshine Ledger</Application></Properties>')
        yield "xl/workbook.xml", (
            f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
            '<sheets>' + "".join(f'<sheet name="{escape_attribute(name)}" sheetId="{n}" r:id="rId{n}"/>'
                                 for n, name in zip(sheets, self.names)) + '</sheets></workbook>')
        yield "xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{NS_PKG_REL}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                      for n in sheets)
            + f'<Relationship Id="rId{len(self.names) + 1}" Type="{NS_REL}/styles" Target="styles.xml"/>'
            '</Relationships>')
        yield "xl/styles.xml", STYLES
