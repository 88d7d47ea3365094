"""The values of typed cells: what validation accepts is what the ledger and the downloads read.

One reader per type, for one text cell. The lexical rules are frictionless' own
(frictionless 5.x, ``--engine frictionless``), so both engines accept the same
text: an integer is whatever Python's ``int`` reads after surrounding blanks are
stripped (``+5``, ``05``, `` 5 ``, also ``1_000``, full-width ``５`` and
Arabic-Indic ``١٢``); a number whatever ``Decimal`` reads; a date whatever
``strptime("%Y-%m-%d")`` reads (``2026-3-5`` too). On top of that the data standard
asks for values every reader of the downloads can hold, reported by validation
in both engines:

- an integer must fit in 64 bits (SQLite, Parquet, pandas and DuckDB hold no more);
- a number must be a finite 64-bit float (no ``NaN``, ``Infinity``, ``1e309``, nor ``1e-400``,
  which a float holds only as 0).

The ledger (pipeline/core/ledger.py) holds the value; every download writes its
canonical text (``canonical_text``): ``5`` for ``+5``, ``05``, ``５`` or ``٥``,
``1000`` for ``1_000``, ``2026-03-05`` for ``2026-3-5``.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
DATE_FORMAT = "%Y-%m-%d"


# --- frictionless' readers: is the text of this type at all? ------------------------------

def read_integer(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def read_number(text: str) -> Decimal | None:
    """A ``Decimal``; a signaling NaN (``sNaN``) is read as the quiet NaN it stands for, since comparing
    it raises (frictionless is given the same reader: ``structural.QuietNumberField``)."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return None
    return quiet(value)


def quiet(value: Decimal) -> Decimal:
    """``value``, with a signaling NaN made quiet (same sign)."""
    return Decimal("-NaN" if value.is_signed() else "NaN") if value.is_snan() else value


def read_date(text: str) -> dt.date | None:
    if len(text) == 10 and text.isascii() and text[4] == text[7] == "-" and text[:4].isdigit() \
            and text[5:7].isdigit() and text[8:].isdigit():  # YYYY-MM-DD, as strptime reads it, 20x faster
        try:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:  # month 13, 30 February, year 0
            return None
    try:
        return dt.datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        return None


# --- the standard's limits on a value of the right type --------------------------------------

def integer_out_of_range(value: int) -> bool:
    return not INT64_MIN <= value <= INT64_MAX


def number_problem(value: Decimal) -> str | None:
    """Why a number is no finite 64-bit float ("nan", "infinite", "too-large", "too-small"), or None."""
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "infinite"
    as_float = float(value)
    if math.isinf(as_float):
        return "too-large"
    if as_float == 0 and not value.is_zero():
        return "too-small"
    return None


# --- the value the ledger and the downloads hold ---------------------------------------------

def integer_value(text: str) -> int | None:
    value = read_integer(text)
    return None if value is None or integer_out_of_range(value) else value


def number_value(text: str) -> float | None:
    value = read_number(text)
    return None if value is None or number_problem(value) else float(value)


def date_value(text: str) -> dt.date | None:
    return read_date(text)


VALUE_OF = {"integer": integer_value, "number": number_value, "date": date_value}


def canonical_text(text: str, ftype: str) -> str:
    """The one way a valid cell of ``ftype`` is written in the downloads; other text unchanged.

    Integers without sign, leading zeros or separators; numbers in plain decimal notation
    (``1000`` for ``1e3``, ``0.5`` for ``.5``, ``-3.50`` stays as written); dates as YYYY-MM-DD."""
    if ftype == "integer":
        value = integer_value(text)
        return text if value is None else str(value)
    if ftype == "number":
        number = read_number(text)
        if number is None or number_problem(number):
            return text
        return format(number, "f")
    if ftype == "date":
        day = read_date(text)
        return text if day is None else day.isoformat()
    return text


# --- text that shows nothing ------------------------------------------------------------------

# Blank fillers that Unicode counts as letters or symbols, and variation selectors (alone they show nothing).
_FILLERS = "\u115f\u1160\u3164\uffa0\u2800"
_INVISIBLE_RE2 = (r"^[\p{Z}\p{Cc}\p{Cf}" + "".join(f"\\x{{{ord(c):04x}}}" for c in _FILLERS)
                  + r"\x{fe00}-\x{fe0f}\x{e0100}-\x{e01ef}]+$")


def invisible_char(ch: str) -> bool:
    """A blank, control or format character (U+3000 full-width space, U+200B–U+200D, U+2060, U+FEFF …)."""
    return (unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cc", "Cf") or ch in _FILLERS
            or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef")


def is_invisible(text: str) -> bool:
    """Non-empty text in which no character shows (what a reader would take for an empty cell)."""
    return bool(text) and all(invisible_char(ch) for ch in text)


def invisible_mask(column: pd.Series) -> pd.Series:
    """``is_invisible`` of each present text cell, as one Arrow kernel (RE2's Unicode classes)."""
    found = invisible_flags(pa.array(column, type=pa.string(), from_pandas=True))
    return pd.Series(found, index=column.index, dtype=bool)


def invisible_flags(array: pa.Array) -> np.ndarray:
    """``invisible_mask`` of Arrow text: False where a cell is missing."""
    return pc.fill_null(pc.match_substring_regex(array, _INVISIBLE_RE2), False).to_numpy(zero_copy_only=False)


def shown_codepoints(text: str, limit: int = 8) -> str:
    """Invisible text made readable in a report: "U+3000 U+200B"."""
    points = [f"U+{ord(ch):04X}" for ch in text[:limit]]
    return " ".join(points) + (" …" if len(text) > limit else "")
