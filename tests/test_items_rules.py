"""The cross-field rules of the data standard for devolved items, pinned as findings.

Each test breaks one thing in a writable copy of the tiny package (the change is
named after the defect it carries) and expects exactly the findings that defect
must give — (file, spreadsheet row, field, code) — and nothing else. The tiny
package itself validates with no finding at all, so any extra finding fails.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.validate import validate


def rewrite(folder: Path, file: str, change) -> None:
    """Apply ``change(rows)`` to a CSV of the package (rows are dicts; header kept)."""
    path = folder / file
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cells(folder: Path, file: str, where: dict, **cells: str) -> None:
    def change(rows):
        hits = [row for row in rows if all(row[k] == v for k, v in where.items())]
        assert len(hits) == 1, f"{file}: {where} should pick one row, picked {len(hits)}"
        hits[0].update(cells)
    rewrite(folder, file, change)


def append_row(folder: Path, file: str, **cells: str) -> None:
    rewrite(folder, file, lambda rows: rows.append(cells))


def findings(folder: Path) -> list[tuple]:
    report, _ = validate(folder)
    return sorted((f.path, f.row, f.field, f.code) for f in report.findings)


def test_the_unbroken_tiny_package_has_no_finding(tiny):
    assert findings(tiny) == []


# --- devolved_items ------------------------------------------------------------------

def revoked_before_effective(folder: Path) -> None:
    set_cells(folder, "devolved_items.csv", {"id": "D3"}, revoked_on="2025-05-01")  # effective 2025-06-01


def test_revocation_before_effect_is_a_date_order_finding(tiny):
    revoked_before_effective(tiny)
    assert findings(tiny) == [("devolved_items.csv", 4, "revoked_on", "date-order")]


def revoked_on_the_day_it_took_effect(folder: Path) -> None:
    set_cells(folder, "devolved_items.csv", {"id": "D3"}, revoked_on="2025-06-01")


def test_revocation_on_the_day_of_effect_is_allowed(tiny):
    # The standard says revoked_on ≥ effective_on: equal is fine.
    revoked_on_the_day_it_took_effect(tiny)
    assert findings(tiny) == []


def promised_longer_than_statutory(folder: Path) -> None:
    set_cells(folder, "devolved_items.csv", {"id": "D1"}, promised_limit="25")  # statutory 20


def test_promised_limit_longer_than_statutory_is_a_limit_order_finding(tiny):
    promised_longer_than_statutory(tiny)
    assert findings(tiny) == [("devolved_items.csv", 2, "promised_limit", "limit-order")]


def limits_without_unit(folder: Path) -> None:
    set_cells(folder, "devolved_items.csv", {"id": "D1"}, limit_unit="")  # 20 and 7, unit gone


def promised_limit_only_without_unit(folder: Path) -> None:
    set_cells(folder, "devolved_items.csv", {"id": "D2"}, promised_limit="5")  # D2 had no limit and no unit


@pytest.mark.parametrize("defect,row", [(limits_without_unit, 2), (promised_limit_only_without_unit, 3)],
                         ids=["limits-without-unit", "promised-limit-only-without-unit"])
def test_a_limit_without_its_unit_is_a_limit_unit_missing_finding(tiny, defect, row):
    defect(tiny)
    assert findings(tiny) == [("devolved_items.csv", row, "limit_unit", "limit-unit-missing")]


# --- devolutions -----------------------------------------------------------------------

def devolved_to_a_village(folder: Path) -> None:
    append_row(folder, "devolutions.csv", item_id="D2", region_code="990121001001", effective_on="")  # 甲一村


def devolved_to_a_county(folder: Path) -> None:
    append_row(folder, "devolutions.csv", item_id="D2", region_code="990121000000", effective_on="")  # 示例县


@pytest.mark.parametrize("defect", [devolved_to_a_village, devolved_to_a_county],
                         ids=["devolved-to-a-village", "devolved-to-a-county"])
def test_devolution_only_to_a_township_or_street(tiny, defect):
    defect(tiny)
    assert findings(tiny) == [("devolutions.csv", 7, "region_code", "devolution-level")]


def devolution_before_the_item_took_effect(folder: Path) -> None:
    set_cells(folder, "devolutions.csv", {"item_id": "D2", "region_code": "990121001000"}, effective_on="2025-01-01")


def test_devolution_before_the_item_took_effect_is_a_date_order_finding(tiny):
    devolution_before_the_item_took_effect(tiny)  # D2 took effect 2025-03-01
    assert findings(tiny) == [("devolutions.csv", 4, "effective_on", "date-order")]


# --- item_cases ------------------------------------------------------------------------

def cases_without_devolution(folder: Path) -> None:
    append_row(folder, "item_cases.csv", item_id="D4", region_code="990121001000", month="2026-04", cases="1",
               within_promise="")  # D4 went to 乙镇 only


def test_cases_only_for_an_existing_devolution(tiny):
    cases_without_devolution(tiny)
    assert findings(tiny) == [("item_cases.csv", 6, "item_id+region_code", "foreign-key")]


def cases_before_the_item_took_effect(folder: Path) -> None:
    set_cells(folder, "item_cases.csv", {"item_id": "D1", "region_code": "990121001000"}, month="2025-02")


def cases_before_the_township_took_over(folder: Path) -> None:
    # 乙镇 took D1 over only on 2026-03-01 (the item itself from 2025-03-01); its case is dated 2026-02.
    set_cells(folder, "devolutions.csv", {"item_id": "D1", "region_code": "990121002000"}, effective_on="2026-03-01")


@pytest.mark.parametrize("defect,row", [(cases_before_the_item_took_effect, 2), (cases_before_the_township_took_over, 3)],
                         ids=["cases-before-the-item-took-effect", "cases-before-the-township-took-over"])
def test_cases_only_after_the_devolution_took_effect(tiny, defect, row):
    defect(tiny)
    assert findings(tiny) == [("item_cases.csv", row, "month", "cases-before-devolution")]


def cases_in_the_month_the_township_took_over(folder: Path) -> None:
    set_cells(folder, "devolutions.csv", {"item_id": "D1", "region_code": "990121002000"}, effective_on="2026-02-20")


def test_cases_in_the_month_of_effect_are_allowed(tiny):
    # A month is not before a devolution that took effect during it.
    cases_in_the_month_the_township_took_over(tiny)
    assert findings(tiny) == []


def within_promise_exceeds_cases(folder: Path) -> None:
    set_cells(folder, "item_cases.csv", {"item_id": "D1", "region_code": "990121001000"}, within_promise="6")  # cases 5


def test_within_promise_cannot_exceed_cases(tiny):
    within_promise_exceeds_cases(tiny)
    assert findings(tiny) == [("item_cases.csv", 2, "within_promise", "cases-exceed")]
