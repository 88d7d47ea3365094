"""Personal-data detectors for free text: resident ID numbers and mobile numbers.

Tuned for few false positives: an ID number must carry a valid GB 11643 check
digit and a real birth date; a unified social credit code (letters inside) or
an ordinary long number does not match. Full-width digits are folded first, and
digits next to Chinese characters still match.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})((?:18|19|20)\d{2})(\d{2})(\d{2})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:(?:\+|00)86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![0-9A-Za-z])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_DIGITS = re.compile(r"\d{6}")
_SEPARATORS = re.compile(r"[\s-]")  # what _MOBILE allows between digit groups


@dataclass(frozen=True)
class Match:
    kind: str  # "id-number" or "mobile"
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


def scan(text: str) -> Iterator[Match]:
    """Personal numbers in ``text``, masked."""
    folded = unicodedata.normalize("NFKC", text)
    # Cheap pre-filter; it must drop every separator _MOBILE accepts (tabs and line breaks too).
    if not _DIGITS.search(_SEPARATORS.sub("", folded)):
        return
    for m in _ID.finditer(folded):
        number = m.group(0)
        if _valid_birth(m.group(2), m.group(3), m.group(4)) and id_check_digit(number[:17]) == number[17].upper():
            yield Match("id-number", mask(number))
    for m in _MOBILE.finditer(folded):
        yield Match("mobile", mask("".join(m.groups())))


# A cell can hold a personal number only if it has 11 digits with at most 3 other
# characters between neighbours (+86 138-1234-5678; an ID number in Chinese text).
# Checked first for whole columns at once (RE2 through pyarrow), so that scan()
# sees only the few cells that could match.
CANDIDATE = r"[0-9０-９](?:[^0-9０-９]{0,3}[0-9０-９]){10}"


def free_text_fields(fields: list[dict], keys: set[str] = frozenset()) -> list[str]:
    """String fields whose values are not drawn from a list: where people type prose.

    ``keys`` are fields that hold references to other records (primary and
    foreign keys): codes, never prose, and checked against those records anyway.
    """
    return [f["name"] for f in fields
            if f.get("type", "string") == "string" and "enum" not in f.get("constraints", {})
            and "pattern" not in f.get("constraints", {}) and f["name"] not in keys]


def key_fields(schema: dict) -> set[str]:
    """Fields of a schema that are part of its primary key or of a foreign key."""
    keys = set(schema.get("primaryKey", []))
    for fk in schema.get("foreignKeys", []):
        keys.update(fk["fields"])
    return keys
