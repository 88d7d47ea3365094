"""ZIP entries are deflated by zlib-ng (pipeline/export/ziputil.py): the bytes stored are exactly zlib-ng's raw
DEFLATE of the content at the writer's level, every unzip reads them back, and the same content gives the
same archive."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zlib_ng import zlib_ng

from pipeline.export import ziputil
from pipeline.export.xlsx_writer import COMPRESSLEVEL, XlsxWriter

WHEN = dt.date(2026, 4, 30)
# text with repeats at every distance, about 3 MiB: more than one 1 MiB read of add_file
TEXT = "".join(f"Q-2026-{n:06d},青山镇,道路维修 {n % 97},2026-03-{1 + n % 28:02d}\n" for n in range(60_000)).encode("utf-8")


def stored_bytes(archive: bytes, name: str) -> bytes:
    """The compressed bytes of entry ``name`` as they lie in the archive."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        info = z.getinfo(name)
    offset = info.header_offset
    name_length, extra_length = struct.unpack("<HH", archive[offset + 26:offset + 30])
    start = offset + 30 + name_length + extra_length
    return archive[start:start + info.compress_size]


def zlib_ng_deflate(data: bytes, level: int, piece: int | None = None) -> bytes:
    """zlib-ng's raw DEFLATE of ``data`` given in writes of ``piece`` bytes (one write: None)."""
    compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
    step = piece or max(1, len(data))
    return b"".join(compressor.compress(data[i:i + step]) for i in range(0, len(data), step)) + compressor.flush()


def test_add_bytes_stores_zlib_ng_deflate_at_the_level():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        ziputil.add_bytes(archive, "a.csv", TEXT, WHEN)
    stored = stored_bytes(buffer.getvalue(), "a.csv")
    assert stored == zlib_ng_deflate(TEXT, ziputil.LEVEL, ziputil.PIECE)
    assert zlib.decompress(stored, -zlib.MAX_WBITS) == TEXT  # the system zlib reads it back


def test_add_file_stores_zlib_ng_deflate_in_even_pieces(tmp_path):
    source = tmp_path / "issues.csv"
    source.write_bytes(TEXT)
    path = tmp_path / "package.zip"
    with zipfile.ZipFile(path, "w") as archive:
        ziputil.add_file(archive, "data/issues.csv", source, WHEN)
    raw = path.read_bytes()
    assert stored_bytes(raw, "data/issues.csv") == zlib_ng_deflate(TEXT, ziputil.LEVEL, ziputil.PIECE)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # the CRC zipfile wrote matches
        assert archive.read("data/issues.csv") == TEXT
        info = archive.getinfo("data/issues.csv")
        assert (info.date_time, info.external_attr >> 16, info.compress_type) == \
            ((2026, 4, 30, 0, 0, 0), 0o100644, zipfile.ZIP_DEFLATED)


def test_the_same_content_gives_the_same_archive():
    def archive() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            ziputil.add_bytes(z, "b.json", b"{}\n", WHEN)
            ziputil.add_bytes(z, "a.csv", TEXT, WHEN, level=1)
        return buffer.getvalue()

    assert archive() == archive()


def test_a_stored_entry_is_refused():
    info = ziputil.entry("a.csv", WHEN)
    info.compress_type = zipfile.ZIP_STORED
    with zipfile.ZipFile(io.BytesIO(), "w") as archive, pytest.raises(ValueError, match="a.csv: a DEFLATE entry only"):
        ziputil.deflating(archive, info)


@pytest.mark.parametrize("background", [False, True])
def test_workbook_sheets_are_zlib_ng_deflate_at_the_workbook_level(tmp_path, background):
    path = tmp_path / "book.xlsx"
    rows = [[f"Q-2026-{n:06d}", "道路维修" * (n % 5)] for n in range(5000)]
    with XlsxWriter(path, ["issues"], when=WHEN, background=background) as book:
        sheet = book.sheet("issues", rows=len(rows), columns=2)
        sheet.columns([[r[0] for r in rows], [r[1] for r in rows]], ["text", "text"])
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        xml = archive.read("xl/worksheets/sheet1.xml")
        styles = archive.read("xl/styles.xml")
    assert names[-1] == "xl/worksheets/sheet1.xml"
    assert stored_bytes(raw, "xl/worksheets/sheet1.xml") == zlib_ng_deflate(xml, COMPRESSLEVEL, ziputil.PIECE)
    assert stored_bytes(raw, "xl/styles.xml") == zlib_ng_deflate(styles, COMPRESSLEVEL)
    assert b"Q-2026-004999" in xml


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000) | st.text(alphabet="青山镇道路维修,0123456789\n", max_size=1500).map(str.encode),
       cuts=st.lists(st.integers(0, 4000), max_size=12), piece=st.sampled_from([1, 7, 64, 1000]),
       level=st.integers(1, 9))
def test_the_deflate_is_the_same_however_the_data_is_written(monkeypatch, data, cuts, piece, level):
    """Written in any writes (empty ones too), an entry's DEFLATE is that of the content in even pieces."""
    monkeypatch.setattr(ziputil, "PIECE", piece)
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    compressor = ziputil.EvenPieces(level)
    written = b"".join(compressor.compress(data[a:b]) for a, b in zip(bounds, bounds[1:] + [len(data)]))
    written += compressor.flush()
    assert written == zlib_ng_deflate(data, level, piece)
    assert zlib.decompress(written, -zlib.MAX_WBITS) == data
