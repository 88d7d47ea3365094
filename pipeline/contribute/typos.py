"""Likely typos of an existing id: a new id that differs from one already in the data only by case,
by zero-padding, or by one character (merge.py asks, before an import adds the row).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

@dataclass(frozen=True)
class Suspect:
    """A new id that is probably a typo of an existing one."""
    key: str
    sheet_row: int
    existing: str  # the existing id it is close to
    why: str  # in Chinese: 只差大小写 / 只差开头补零 / 只差一个字符


_DIGITS = re.compile(r"\d+")


def _paddings(text: str, most: int = 4) -> Iterable[str]:
    """``text`` with the leading zeros of its digit runs taken away or added (up to ``most`` per run)."""
    pieces = _DIGITS.split(text)
    runs = _DIGITS.findall(text)
    options = [sorted({"0" * n + (run.lstrip("0") or "0")
                       for n in range(most + 1)} | {run.lstrip("0") or "0"}) for run in runs[:4]]
    options += [[run] for run in runs[4:]]  # more than four numbers in an id: the rest as typed
    for combination in itertools.product(*options):
        candidate = "".join(piece + digits for piece, digits in zip(pieces, combination)) + pieces[-1]
        if candidate != text:
            yield candidate


def likely_typos(new: Iterable[tuple[str, int]], existing: Iterable[str]) -> list[Suspect]:
    """New ids (with their sheet rows) that differ from an existing id only by case, by zero-padding,
    or by one character that is not one digit for another (Q-2026-00105 beside Q-2026-00104 is the
    next record; Q-2026-O0105, Q-2026-0105 and q-2026-00105 beside Q-2026-00105 are typos).

    A digit added or dropped counts only where every existing id has the same length (a fixed-width
    scheme): S121 beside S12 is the next survey.
    """
    ids = [value for value in existing if value]
    if not ids:
        return []
    known = set(ids)
    folded: dict[str, str] = {}
    for value in ids:
        folded.setdefault(value.casefold(), value)
    alphabet = sorted({char for value in ids for char in value})
    fixed = len({len(value) for value in ids}) == 1
    found = []
    for value, row in new:
        hit = _near(value, known, folded, alphabet, fixed)
        if hit is not None:
            found.append(Suspect(value, row, *hit))
    return found


def _near(value: str, known: set[str], folded: dict[str, str], alphabet: list[str],
          fixed: bool) -> tuple[str, str] | None:
    if value.casefold() in folded:
        return folded[value.casefold()], "只差字母大小写"
    for padded in _paddings(value.casefold()):
        if padded in folded:
            return folded[padded], "只差数字开头补的 0"
    for i, char in enumerate(value):
        dropped = value[:i] + value[i + 1:]
        if dropped in known and (not char.isdigit() or fixed):
            return dropped, f"多了一个字符“{char}”"
        for other in alphabet:
            if other == char or (other.isdigit() and char.isdigit()):
                continue
            swapped = value[:i] + other + value[i + 1:]
            if swapped in known:
                return swapped, f"只差一个字符（“{char}”与“{other}”）"
    for i in range(len(value) + 1):
        for other in alphabet:
            if other.isdigit() and not fixed:
                continue
            longer = value[:i] + other + value[i:]
            if longer in known:
                return longer, f"少了一个字符“{other}”"
    return None
