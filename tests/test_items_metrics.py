"""The figures of the 赋权事项 pages, hand-computed on the tiny package, and the proof that they are
the metric functions' own: the lists behind items_zero_use / items_review_overdue, per-item and
per-place breakdowns, and time saved.

tiny (as_of 2026-04-30): D1 licensing zrzyj 20→7 working days, to 甲镇 and 乙镇, reviewed 2026-01-10;
D2 penalty jtj, to 甲镇, never reviewed, last case 2025-04; D3 inspection jtj, to 甲镇, revoked
2026-02-01; D4 penalty zrzyj, to 乙镇, from 2026-04-01, no case.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import BuildError
from pipeline.figures.scope import breakdown, metric_for, scope
from pipeline.figures.metrics import METRICS, Metric
from pipeline.figures.items import (CASE_METRICS, UPTAKE, CaseRows, TimeSaved, case_months, item_ledger, last_case_month,
                                    per_devolution, per_item, review_age_days, review_overdue_ids, table,
                                    time_saved, township_regions, zero_use_ids)
from pipeline.validate import validate
from tests.test_items_rules import append_row, set_cells

JIA, YI = "990121001000", "990121002000"


def ledger_of(folder):
    report, ledger = validate(folder)
    assert report.valid, [f.message_en for f in report.errors]
    return ledger


@pytest.fixture(scope="module")
def demo_ledger(demo_dir):
    return ledger_of(demo_dir)


# --- the ids behind the counts ----------------------------------------------------------------

def test_zero_use_and_review_overdue_ids_on_the_tiny_package(tiny_ledger):
    # Window 2025-05..2026-04: D1 used (2026-01, 2026-02); D2's only case is 2025-04; D4 has none; D3 revoked.
    assert zero_use_ids(tiny_ledger) == ["D2", "D4"]
    # D2: never reviewed, effective 2025-03-01 = 425 days; D1 reviewed 110 days ago; D4 effective 29 days ago.
    assert review_overdue_ids(tiny_ledger) == ["D2"]
    assert review_age_days(tiny_ledger) == {"D1": 110, "D2": 425, "D4": 29}
    assert last_case_month(tiny_ledger) == {"D1": "2026-02", "D2": "2025-04", "D3": "2025-07"}


@pytest.mark.parametrize("filters,zero,overdue", [
    ({"region": JIA}, ["D2"], ["D2"]),  # D1 used in 甲镇 (2026-01)
    ({"region": YI}, ["D4"], []),
    ({"department": "jtj"}, ["D2"], ["D2"]),
    ({"department": "zrzyj"}, ["D4"], []),
    ({"power_type": "penalty"}, ["D2", "D4"], ["D2"]),
    ({"power_type": "inspection"}, [], []),  # D3 revoked: not active, so never listed
])
def test_lists_per_part_on_the_tiny_package(tiny_ledger, filters, zero, overdue):
    part = scope(tiny_ledger, **filters)
    assert zero_use_ids(part) == zero
    assert review_overdue_ids(part) == overdue
    assert metric_for(tiny_ledger, "items_zero_use", **filters).value == len(zero)
    assert metric_for(tiny_ledger, "items_review_overdue", **filters).value == len(overdue)


def zero_cases_in_the_window(folder):
    append_row(folder, "item_cases.csv", item_id="D2", region_code=JIA, month="2026-03", cases="0", within_promise="")


def reviewed_exactly_365_days_ago(folder):
    set_cells(folder, "devolved_items.csv", {"id": "D1"}, last_reviewed_on="2025-04-30")


def reviewed_366_days_ago(folder):
    set_cells(folder, "devolved_items.csv", {"id": "D1"}, last_reviewed_on="2025-04-29")


def case_in_the_first_month_of_the_window(folder):
    append_row(folder, "item_cases.csv", item_id="D2", region_code=JIA, month="2025-05", cases="1", within_promise="")


@pytest.mark.parametrize("change,zero,overdue", [
    (zero_cases_in_the_window, ["D2", "D4"], ["D2"]),  # a row with 0 cases is not use
    (case_in_the_first_month_of_the_window, ["D4"], ["D2"]),  # 2025-05 is inside the 12 months
    (reviewed_exactly_365_days_ago, ["D2", "D4"], ["D2"]),  # more than 365 days, not 365
    (reviewed_366_days_ago, ["D2", "D4"], ["D1", "D2"]),
], ids=lambda v: getattr(v, "__name__", None))
def test_lists_follow_the_metric_at_the_edges(tiny, change, zero, overdue):
    change(tiny)
    ledger = ledger_of(tiny)
    assert zero_use_ids(ledger) == zero and METRICS["items_zero_use"].fn(ledger).value == len(zero)
    assert review_overdue_ids(ledger) == overdue and METRICS["items_review_overdue"].fn(ledger).value == len(overdue)


def test_lists_equal_the_metric_counts_in_every_part_of_the_demo(demo_ledger):
    parts = [{}] + [{"department": d} for d in sorted(set(demo_ledger.devolved_items["from_department"]))]
    parts += [{"region": t["code"]} for t in township_regions(demo_ledger)]
    parts += [{"power_type": p} for p in sorted(set(demo_ledger.devolved_items["power_type"]))]
    for filters in parts:
        part = scope(demo_ledger, **filters) if filters else demo_ledger
        assert len(zero_use_ids(part)) == metric_for(demo_ledger, "items_zero_use", **filters).value, filters
        assert len(review_overdue_ids(part)) == metric_for(demo_ledger, "items_review_overdue", **filters).value, filters
    assert zero_use_ids(demo_ledger) and review_overdue_ids(demo_ledger)  # the demo has both kinds


# --- breakdowns: the same functions, adding up where they should ------------------------------------

def test_table_is_breakdown_on_the_narrow_item_ledger(demo_ledger):
    # item_ledger drops frames and columns the item metrics do not read; every value must stay the same.
    towns = [t["code"] for t in township_regions(demo_ledger)]
    departments = sorted(set(demo_ledger.devolved_items["from_department"]))
    types = sorted(set(demo_ledger.devolved_items["power_type"]))
    months = case_months(demo_ledger)
    for dimension, values, names in (("region", towns, UPTAKE), ("department", departments, UPTAKE),
                                     ("power_type", types, UPTAKE), ("month", months, CASE_METRICS)):
        rows = table(demo_ledger, dimension, values, names)
        for name in names:
            full = breakdown(demo_ledger, name, dimension, values)
            assert {v: rows[v][name] for v in values} == full, (dimension, name)
    narrow = item_ledger(demo_ledger)
    for name in UPTAKE:
        assert METRICS[name].fn(narrow) == METRICS[name].fn(demo_ledger)


def test_table_refuses_a_breakdown_the_metric_does_not_have(tiny_ledger):
    with pytest.raises(ValueError, match="items_devolved"):
        table(tiny_ledger, "month", ["2026-01"], ["items_devolved"])


def test_uptake_by_township_on_the_tiny_package(tiny_ledger):
    rows = table(tiny_ledger, "region", [JIA, YI])
    assert rows[JIA] == {"items_devolved": Metric(2, 2, None), "items_zero_use": Metric(1, 1, None),
                         "items_review_overdue": Metric(1, 1, None), "cases_handled": Metric(8, 8, None),
                         "within_promise_rate": Metric(7 / 8, 7, 8)}
    assert rows[YI] == {"items_devolved": Metric(2, 2, None), "items_zero_use": Metric(1, 1, None),
                        "items_review_overdue": Metric(0, 0, None), "cases_handled": Metric(3, 3, None),
                        "within_promise_rate": Metric(None, 0, 0)}  # 乙镇's only row gives no within_promise


def test_cases_by_township_add_up_to_all_cases(tiny_ledger, demo_ledger):
    for ledger in (tiny_ledger, demo_ledger):
        towns = [t["code"] for t in township_regions(ledger)]
        rows = table(ledger, "region", towns, CASE_METRICS)
        total = METRICS["cases_handled"].fn(ledger)
        assert sum(rows[t]["cases_handled"].value for t in towns) == total.value
        within = METRICS["within_promise_rate"].fn(ledger)
        assert sum(rows[t]["within_promise_rate"].numerator for t in towns) == within.numerator
        assert sum(rows[t]["within_promise_rate"].denominator for t in towns) == within.denominator


def test_items_by_township_do_not_add_up_because_one_item_goes_to_many_townships(tiny_ledger, demo_ledger):
    # D1 was devolved to both 甲镇 and 乙镇: it is an active item in each, but one item in the county.
    rows = table(tiny_ledger, "region", [JIA, YI], ["items_devolved"])
    assert rows[JIA]["items_devolved"].value + rows[YI]["items_devolved"].value == 4
    assert METRICS["items_devolved"].fn(tiny_ledger).value == 3
    # In the demo every item goes to 4–12 townships, so the township sum is several times the total.
    towns = [t["code"] for t in township_regions(demo_ledger)]
    by_town = sum(r["items_devolved"].value for r in table(demo_ledger, "region", towns, ["items_devolved"]).values())
    assert by_town > 3 * METRICS["items_devolved"].fn(demo_ledger).value


def test_departments_and_types_partition_the_items(demo_ledger):
    # Each item has one department and one type: here the counts do add up.
    for dimension, column in (("department", "from_department"), ("power_type", "power_type")):
        values = sorted(set(demo_ledger.devolved_items[column]))
        rows = table(demo_ledger, dimension, values)
        for name in ("items_devolved", "items_zero_use", "items_review_overdue", "cases_handled"):
            assert sum(r[name].value for r in rows.values()) == METRICS[name].fn(demo_ledger).value, (dimension, name)


def test_cases_by_month_on_the_tiny_package(tiny_ledger):
    months = case_months(tiny_ledger)
    assert months[0] == "2025-03" and months[-1] == "2026-04" and len(months) == 14
    rows = table(tiny_ledger, "month", months, CASE_METRICS)
    assert {m: r["cases_handled"].value for m, r in rows.items() if r["cases_handled"].value} == {
        "2025-04": 2, "2025-07": 1, "2026-01": 5, "2026-02": 3}
    assert sum(r["cases_handled"].value for r in rows.values()) == 11


# --- the case metrics of many parts at once: the metric functions' own figures --------------------------

COUNTS = st.one_of(st.none(), st.integers(0, 40), st.integers(0, 2 ** 63 - 1), st.integers(2 ** 52, 2 ** 54))


def figures_or_error(compute):
    try:
        return compute()
    except BuildError as error:
        return str(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(COUNTS, COUNTS, st.booleans()), max_size=12), st.booleans())
def test_case_rows_give_what_the_metric_functions_give_on_the_part(tiny_ledger, rows, as_mask):
    # Each row: (cases, within_promise, in the part?). Missing counts, totals past 2**53 (a BuildError,
    # the same message) and past int64 (exact, never wrapped) included.
    frame = pd.DataFrame({"cases": pd.array([r[0] for r in rows], dtype="Int64"),
                          "within_promise": pd.array([r[1] for r in rows], dtype="Int64")})
    chosen = np.array([r[2] for r in rows], dtype=bool)
    part = replace(tiny_ledger, frames={**tiny_ledger.frames, "item_cases": frame[chosen]})
    for names in (CASE_METRICS, ["within_promise_rate"], ["cases_handled"]):
        expected = figures_or_error(lambda: {name: METRICS[name].fn(part) for name in names})
        selection = chosen if as_mask else np.flatnonzero(chosen)
        assert figures_or_error(lambda: CaseRows(frame).figures(selection, names)) == expected


def test_case_rows_refuse_a_metric_that_reads_more_than_item_cases(tiny_ledger):
    with pytest.raises(ValueError, match="items_devolved is not one of the case metrics"):
        CaseRows(tiny_ledger.item_cases).figures(np.zeros(0, dtype=np.int64), ["items_devolved"])


# --- per item ---------------------------------------------------------------------------------------

def test_per_item_on_the_tiny_package(tiny_ledger):
    got = per_item(tiny_ledger, CASE_METRICS)
    assert {k: v["cases_handled"].value for k, v in got.items()} == {"D1": 8, "D2": 2, "D3": 1, "D4": 0}
    assert {k: (v["within_promise_rate"].numerator, v["within_promise_rate"].denominator) for k, v in got.items()} \
        == {"D1": (4, 5), "D2": (2, 2), "D3": (1, 1), "D4": (0, 0)}
    local = per_item(scope(tiny_ledger, region=YI), CASE_METRICS)
    assert {k: v["cases_handled"].value for k, v in local.items()} == {"D1": 3, "D4": 0}


def test_per_item_sums_to_the_total_and_counts_each_active_item_once(demo_ledger):
    got = per_item(demo_ledger, ["cases_handled", "items_devolved", "items_zero_use"])
    assert sum(v["cases_handled"].value for v in got.values()) == METRICS["cases_handled"].fn(demo_ledger).value
    assert sum(v["items_devolved"].value for v in got.values()) == METRICS["items_devolved"].fn(demo_ledger).value
    assert sorted(k for k, v in got.items() if v["items_zero_use"].value) == zero_use_ids(demo_ledger)


def test_per_devolution_on_the_tiny_package(tiny_ledger):
    got = per_devolution(tiny_ledger)
    assert {k: v["cases_handled"].value for k, v in got.items()} == {
        (JIA, "D1"): 5, (JIA, "D2"): 2, (JIA, "D3"): 1, (YI, "D1"): 3, (YI, "D4"): 0}
    assert got[(YI, "D1")]["within_promise_rate"] == Metric(None, 0, 0)
    with pytest.raises(ValueError, match="item_cases only"):
        per_devolution(tiny_ledger, ["items_zero_use"])


def test_per_devolution_is_per_item_on_each_township(demo_ledger):
    got = per_devolution(demo_ledger)
    for town in township_regions(demo_ledger):
        local = per_item(scope(demo_ledger, region=town["code"]), CASE_METRICS)
        assert local == {item: got[(town["code"], item)] for item in local}, town["code"]
    assert len(got) == len(demo_ledger.devolutions)


# --- time saved ---------------------------------------------------------------------------------------

def test_time_saved_on_the_tiny_package(tiny_ledger):
    # Only D1 gives both limits: 20 → 7 working days.
    saved = time_saved(tiny_ledger)
    assert saved == [TimeSaved("working_days", 1, 20, 7)]
    assert saved[0].saved_total == 13
    assert saved[0].saved_share == Metric(13 / 20, 13, 20)


def limits_in_both_units(folder):
    set_cells(folder, "devolved_items.csv", {"id": "D2"}, statutory_limit="30", promised_limit="10",
              limit_unit="calendar_days")
    set_cells(folder, "devolved_items.csv", {"id": "D4"}, statutory_limit="15", promised_limit="15",
              limit_unit="working_days")
    set_cells(folder, "devolved_items.csv", {"id": "D3"}, statutory_limit="60", promised_limit="1",
              limit_unit="working_days")  # revoked: not counted


def test_time_saved_never_adds_working_days_to_calendar_days(tiny):
    limits_in_both_units(tiny)
    saved = time_saved(ledger_of(tiny))
    assert saved == [TimeSaved("working_days", 2, 35, 22), TimeSaved("calendar_days", 1, 30, 10)]
    assert [s.saved_total for s in saved] == [13, 20]
