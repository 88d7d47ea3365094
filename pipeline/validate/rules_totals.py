"""Integers the site can publish exactly: every cell, and every total a published figure takes.

A count may be as large as a 64-bit integer holds (the standard gives integer fields a minimum and no
maximum), but the site's own scripts and most JSON readers hold numbers as doubles: above
2⁵³−1 (9,007,199,254,740,991, JavaScript's Number.MAX_SAFE_INTEGER) an integer is no longer shown
exactly, and numpy's int64 totals wrap around silently at 2⁶³ (two item_cases rows of
9223372036854775807 made cases_handled 1). So two rules, registered in the same list as
pipeline/validate/rules.py (``RULES``) and so run by both engines on the same ledger:

- ``integer-too-large``: a cell of any integer field above 2⁵³−1 (fields whose own maximum is lower
  are left to that constraint: one root cause, one finding);
- ``total-too-large``: a total the figures take (``TOTALLED``: resource → groups of fields added
  together) above 2⁵³−1, one finding on the row holding the largest value of the group; not when a
  cell of the group is itself too large (that cell's finding comes first).

Totals are exact (``exact_total``: Python integers, never int64 that wraps); the figures use the same
function and stop the build rather than publish a wrapped or rounded total
(pipeline/figures/registry.py, ``exact_sum``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from pipeline.core import findings as fd
from pipeline.core.ledger import Ledger
from pipeline.validate.rules import SURVEY_COUNTS, in_view, rule

SAFE_INTEGER = 2 ** 53 - 1  # the largest integer a double (JavaScript's Number, most JSON readers) holds exactly
LOW_BITS = 32

# resource → the totals the published figures take over its rows: each a group of integer fields added
# together (the survey rate's denominator adds all five grades). Data, not code: a resource or field the
# package lacks is skipped. (burden_reports' counts go here once that resource is in the standard.)
TOTALLED: dict[str, tuple[tuple[str, ...], ...]] = {
    "meetings": (("persons_received",),),                               # persons_received
    "item_cases": (("cases",), ("within_promise",)),                     # cases_handled, within_promise_rate
    "devolved_items": (("statutory_limit",), ("promised_limit",)),       # time saved per unit
    "surveys": (SURVEY_COUNTS,),                                         # survey_satisfaction_rate, distribution
    "burden_reports": (("documents_received", "meetings_attended", "report_forms"),),  # burden_change_rate adds the three
}


def exact_total(values: pd.Series | np.ndarray) -> int:
    """The exact sum of integer ``values`` (missing ones add nothing), as a Python int.

    Vectorised without wrapping: each int64 is split into its high and low 32 bits, whose int64 sums
    cannot overflow for fewer than 2³¹ values; the two are joined in Python's unbounded integers."""
    if isinstance(values, pd.Series):
        values = values.dropna()
    array = np.asarray(values, dtype=np.int64)
    if not len(array):
        return 0
    high = int(np.sum(array >> LOW_BITS, dtype=np.int64))
    low = int(np.sum(array & ((1 << LOW_BITS) - 1), dtype=np.int64))
    return (high << LOW_BITS) + low


def _title(package, resource: str, field: str) -> str:
    return package.field(resource, field).get("title") or field


def _integer_fields(package) -> dict[str, tuple[str, ...]]:
    """Resource → its integer fields whose own maximum (if any) does not already keep them exact."""
    found = {}
    for name in package.resource_names:
        fields = tuple(f["name"] for f in package.fields(name) if f.get("type") == "integer"
                       and f.get("constraints", {}).get("maximum", SAFE_INTEGER + 1) > SAFE_INTEGER)
        if fields:
            found[name] = fields
    return found


def _totalled(package) -> dict[str, tuple[str, ...]]:
    """Resource → the fields of ``TOTALLED`` the package has."""
    present = {name: {f["name"] for f in package.fields(name)} for name in package.resource_names}
    found = {}
    for name, groups in TOTALLED.items():
        fields = tuple(dict.fromkeys(f for group in groups for f in group if f in present.get(name, ())))
        if fields:
            found[name] = fields
    return found


@rule(reads=_integer_fields, per_resource=True)
def integers_publishable(ledger: Ledger) -> Iterator[fd.Finding]:
    package = ledger.package
    for name, fields in in_view(ledger, _integer_fields(package)):
        frame = ledger.frames[name]
        for field in fields:
            column = frame[field]
            large = column.notna() & (column.fillna(0) > SAFE_INTEGER)
            if not large.any():
                continue
            title = _title(package, name, field)
            for _, row in frame.loc[large.to_numpy(dtype=bool)].iterrows():
                yield fd.make("integer-too-large", path=row["_path"], row=int(row["_row"]), field=field,
                              resource=name, value=str(int(row[field])), title=title)


def _largest(frame: pd.DataFrame, fields: tuple[str, ...]) -> tuple[int, str, int] | None:
    """(position, field, value) of the group's largest cell: the first row, then the first field, on a tie."""
    best = None
    for field in fields:
        column = frame[field]
        if not column.notna().any():
            continue
        value = int(column.max())
        position = int(np.flatnonzero(column.eq(value).fillna(False).to_numpy(dtype=bool))[0])
        if best is None or value > best[2] or (value == best[2] and position < best[0]):
            best = (position, field, value)
    return best


@rule(reads=_totalled, per_resource=True)
def totals_publishable(ledger: Ledger) -> Iterator[fd.Finding]:
    package = ledger.package
    for name, present in in_view(ledger, _totalled(package)):
        frame = ledger.frames[name]
        for group in TOTALLED[name]:
            fields = tuple(f for f in group if f in present)
            largest = _largest(frame, fields)
            if largest is None or largest[2] > SAFE_INTEGER:  # nothing to add, or integer-too-large says it
                continue
            position, field, value = largest
            given = sum(int(frame[f].notna().sum()) for f in fields)
            if value * given <= SAFE_INTEGER:  # the cheap bound: no total can be too large
                continue
            total = sum(exact_total(frame[f]) for f in fields)
            if total <= SAFE_INTEGER:
                continue
            titles = "、".join(f"{f}（{_title(package, name, f)}）" for f in fields)
            row = frame.iloc[position]
            yield fd.make("total-too-large", path=row["_path"], row=int(row["_row"]), field=field, resource=name,
                          value=str(value), title=_title(package, name, field), total=str(total),
                          what_zh=titles, what_en=", ".join(fields))
