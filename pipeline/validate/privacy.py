"""Personal-data detectors: resident ID numbers and mobile numbers, in any written form, and a person's
name tied to a complaint (``person_names``).

A text is normalised first (``normalise``): NFKC (full-width and mathematical digits), then every
other digit character — Arabic-Indic, circled ① ❶ ➀ … — mapped to ASCII, and invisible characters
(zero-width spaces and joiners, word joiner, byte-order mark, combining marks) dropped. The Chinese
numerals a number is read out or written in digit by digit (〇 零 一 … 九, 幺 and 两 as a phone number
is spoken, 壹 … 玖) are read as digits in a second reading (``scan``). Digits then
form *groups*, and groups with only separators between them — spaces, dashes of every kind, dots,
parentheses — form a *run*: "+86 139-1234 5678" is one run of four groups. A personal number is
made of whole consecutive groups of a run, not touching a letter or digit outside it:

- an ID number (GB 11643): 17 digits and a check digit (X allowed) that is right, with a real
  birth date — a unified social credit code (letters inside) or an ordinary long number fails;
- a mobile number: 1[3-9] and nine digits, alone or after 86, +86 or 0086, grouped as people write
  one (11, 3-4-4, 3-8, 7-4, 4-4-3 or one digit at a time) — numbers that merely stand side by side
  ("S-2025Q1-130 2025-01-01") are not one.

``candidates`` is the cheap test validation runs on whole columns first (RE2 through pyarrow); it
lets through every text in which ``scan`` could find something (tests/test_privacy.py proves it).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.validate import person_names

VERSION = 4  # bump when what scan() finds changes: cached scans of unchanged files are then redone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID = re.compile(r"[1-9][0-9]{5}((?:18|19|20)[0-9]{2})([0-9]{2})([0-9]{2})[0-9]{3}[0-9Xx]")
_MOBILE = re.compile(r"(?:86|0086)?(1[3-9][0-9]{9})")
_LONGEST = 18  # digits of the longest number (an ID number; a mobile with 0086 has 15)
# How people group a mobile number's 11 digits (besides one digit at a time). Numbers that merely
# stand next to each other group otherwise: "S-2025Q1-130 2025-01-01" is 3-4-2-2.
_MOBILE_GROUPS = {(11,), (3, 4, 4), (3, 8), (7, 4), (4, 4, 3), (8, 3), (4, 7)}  # closed under joining

# Separators between digit groups, after NFKC: white space, every dash (Unicode category Pd, and
# the minus sign), dots, brackets.
_DASHES = ("\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0"
           "\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead\u2212")
_SEPARATOR = f"[\\s{_DASHES}.\u00b7\u2022\u2024\u2027\u2219\u22c5\u3002\u30fb()\\[\\]{{}}\u3010\u3011\u3014\u3015\u3016\u3017]"
_SEPARATORS = re.compile(_SEPARATOR + "+")
_TOKEN = re.compile(r"[0-9]+|[Xx](?![0-9A-Za-z])")  # an X counts only as an ID number's last character
# A number may follow these words directly ("Tel13912345678"); any other letter before it means it
# is part of a code.
_LABEL = re.compile(r"(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|no|id)\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    kind: str  # "id-number", "mobile" or "name"
    masked: str


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def _valid_birth(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def mask(text: str) -> str:
    """Keep the first 3 and last 2 characters: enough to find it, not enough to use it."""
    if len(text) <= 5:  # nothing could be kept without showing all of it
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


class _Fold(dict):
    """str.translate table, filled as characters are met: digits → ASCII, invisible characters → ''."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        digit = unicodedata.digit(char, None)
        if digit is None and unicodedata.category(char) == "No":  # 🄋 has a value but no digit property
            digit = unicodedata.numeric(char, None)
            digit = int(digit) if digit in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9) else None
        if digit is not None:
            folded = str(digit)
        elif unicodedata.category(char) in ("Cf", "Mn", "Me"):
            folded = ""
        else:
            folded = char
        self[code] = folded
        return folded


# Chinese numerals, each a digit when a number is written one digit at a time ("一三八……", "幺三八……").
# Only a run of them as long as a personal number is one: prose does not have eleven in a row.
CHINESE_DIGITS = {**dict.fromkeys("〇零", "0"), "一": "1", "幺": "1", "壹": "1", "二": "2", "两": "2", "贰": "2",
                  "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6",
                  "七": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9"}
_FOLD = _Fold()
_NUMERAL_FOLD = str.maketrans(CHINESE_DIGITS)
_HAS_NUMERAL = re.compile("[" + "".join(sorted(CHINESE_DIGITS)) + "]")
_NUMERAL_TOKEN = re.compile("[0-9]+|[" + "".join(sorted(CHINESE_DIGITS)) + "]|[Xx](?![0-9A-Za-z])")


def normalise(text: str) -> str:
    """NFKC, every digit character as ASCII, invisible characters dropped."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def _runs(text: str, tokens: re.Pattern = _TOKEN, fold: dict | None = None
          ) -> Iterator[list[tuple[re.Match, str, bool]]]:
    """Digit groups (and an ID number's final X) with only separators between them, each as (token, its
    digits, whether it starts a group). With ``_NUMERAL_TOKEN`` each Chinese numeral is a token of its
    own (``fold`` reads it as a digit), joined to a neighbour with nothing between: a number may then
    start or end at any numeral, and numerals written together are one group. (ASCII digit tokens are
    never side by side: ``[0-9]+`` takes them whole.)"""
    run: list[tuple[re.Match, str, bool]] = []
    for token in tokens.finditer(text):
        gap = text[run[-1][0].end():token.start()] if run else None
        joined = gap is not None and (gap == "" or _SEPARATORS.fullmatch(gap) is not None)
        item = (token, token.group() if fold is None else token.group().translate(fold), gap != "")
        if token.group() in ("X", "x"):
            if joined:  # the run ends with it
                yield run + [item]
                run = []
            continue
        if not joined:
            if run:
                yield run
            run = []
        run.append(item)
    if run:
        yield run


def _open_before(text: str, start: int) -> bool:
    return start == 0 or not text[start - 1].isascii() or not text[start - 1].isalnum() \
        or _LABEL.search(text, max(0, start - 8), start) is not None


def _open_after(text: str, end: int) -> bool:
    return end == len(text) or not text[end].isascii() or not text[end].isalnum()


def _number(digits: str, groups: list[int]) -> Match | None:
    """The ID number or mobile number ``digits`` are (written in groups of ``groups`` digits), if any."""
    if len(digits) == 18:
        m = _ID.fullmatch(digits)
        if m and _valid_birth(*m.groups()) and id_check_digit(digits[:17]) == digits[17].upper():
            return Match("id-number", mask(digits))
    m = _MOBILE.fullmatch(digits)
    if m is None:
        return None
    body, prefix = list(groups), m.start(1)  # the groups of the 11 digits after 86 or 0086
    while prefix:
        taken = min(prefix, body[0])
        prefix -= taken
        body[0] -= taken
        if body[0] == 0:
            body.pop(0)
    if tuple(body) in _MOBILE_GROUPS or set(body) == {1}:
        return Match("mobile", mask(m.group(1)))
    return None


def scan(text: str) -> Iterator[Match]:
    """Personal numbers in ``text``, and names a label or a role ties to a person, masked, in the order
    they are written.

    Twice over one normalised text: with digits alone, then with each Chinese numeral read as a digit,
    keeping from the second reading only the numbers that hold a numeral. So "13812345678一直打不通"
    is still a mobile (一直 is a word, not a twelfth digit), and "幺三八幺二三四五六七八一直打不通"
    and "138一二三四5678" are mobiles too."""
    folded = normalise(text)
    found = [(start, match) for start, _, match in _numbers(folded, _runs(folded))]
    if _HAS_NUMERAL.search(folded):
        found += [(start, match) for start, end, match in _numbers(folded, _runs(folded, _NUMERAL_TOKEN, _NUMERAL_FOLD))
                  if _HAS_NUMERAL.search(folded, start, end)]
    found += [(start, Match("name", masked)) for start, _, masked in person_names.find(folded)]
    found.sort(key=lambda item: item[0])
    for _, match in found:
        yield match


def _numbers(folded: str, runs) -> Iterator[tuple[int, int, Match]]:
    """The personal numbers of a normalised text's runs (``_runs``), with where each starts and ends."""
    for tokens in runs:
        start = 0
        while start < len(tokens):
            found = None
            if _open_before(folded, tokens[start][0].start()):
                digits, groups = "", []
                for stop in range(start, len(tokens)):
                    token, token_digits, starts_group = tokens[stop]
                    digits += token_digits
                    if starts_group or stop == start:
                        groups.append(len(token_digits))
                    else:
                        groups[-1] += len(token_digits)
                    if len(digits) > _LONGEST:
                        break
                    number = _number(digits, groups) if _open_after(folded, token.end()) else None
                    if number is not None:
                        found = (number, stop)  # the longest wins: +86 138… is one number, not two
            if found is None:
                start += 1
            else:
                yield tokens[start][0].start(), tokens[found[1]][0].end(), found[0]
                start = found[1] + 1


# --- the column pre-filter (RE2 syntax, run by pyarrow on whole columns) ---------------------
#
# A personal number scan() finds is made of digits that are either all ASCII digits or Chinese numerals
# in the text — then only separators stand between them, and no separator is an ASCII letter or digit
# or a CJK ideograph — or at least one comes from another character: one of the non-ASCII characters that NFKC and the
# digit folding turn into something with a digit in it (decimal digits of any script, ① ❶ 🄋 ⑩ ½ …,
# and a few symbols such as ㏠ "1日"). tests/test_privacy.py checks both claims for every character.
# Eleven digits, each an ASCII digit or a Chinese numeral (CHINESE_DIGITS), with only separators
# between: an ideograph that is no numeral breaks the run.
_NUMERAL = "[0-9" + "".join(sorted(CHINESE_DIGITS)) + "]"
_NUMERAL_RUN = _NUMERAL + r"(?:[^0-9A-Za-z\x{4E00}-\x{9FFF}]*" + _NUMERAL + "){10}"
_OTHER_DIGIT = (r"[^\x00-\x7F\P{Nd}]|[\p{No}\x{32C0}-\x{32CB}\x{3358}-\x{3370}\x{3378}\x{3379}"
                r"\x{339F}-\x{33A6}\x{33A8}\x{33AF}\x{33E0}-\x{33FE}]")
CANDIDATE = f"{_NUMERAL_RUN}|{_OTHER_DIGIT}|{person_names.CANDIDATE}"
# A cell of ASCII digits only (an ID number's X at the end) is one group: a number only if all of it
# has the shape of one, so a column of long numeric codes (region codes, numeric ids) never reaches
# scan().
_PLAIN = r"^[0-9]+[Xx]?$"
_SHAPED = (r"^(?:(?:0086|86)?1[3-9][0-9]{9}"
           r"|[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])$")


def candidates(cells: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Positions of the text ``cells`` scan() could find something in, found by vectorised tests only."""
    if isinstance(cells, pa.ChunkedArray):  # Arrow compiles the pattern again for each chunk (about 1 ms)
        cells = cells.combine_chunks()
    passed = np.flatnonzero(pc.fill_null(pc.match_substring_regex(cells, CANDIDATE), False)
                            .to_numpy(zero_copy_only=False))
    if not len(passed):
        return passed
    kept = cells.take(passed)
    plain = pc.and_not(pc.match_substring_regex(kept, _PLAIN), pc.match_substring_regex(kept, _SHAPED))
    return passed[~plain.to_numpy(zero_copy_only=False)]
