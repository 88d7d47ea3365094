"""WorkCalendar on the official calendar: every expected date below was checked against
chinese_calendar 1.11 (the State Council schedules for 2025 and 2026) before it was pinned.

Deadline rule (data standard, 办理时限): the start day is not counted; a period that ends on
a rest day moves to the next working day; same_day falls due on the day of assignment.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from pipeline.core.workdays import Deadline, WorkCalendar, official_rest_days, package_years

D = dt.date
OFFICIAL = WorkCalendar()


def due(assigned: dt.date, limit: int, unit: str, calendar: WorkCalendar = OFFICIAL) -> Deadline:
    return calendar.deadline(assigned, limit, unit)


# --- the official calendar itself ---------------------------------------------------

def test_package_covers_2004_to_2026_and_not_2027():
    assert min(package_years()) == 2004 and max(package_years()) == 2026
    assert 2027 not in package_years()
    with pytest.raises(NotImplementedError):  # what the calendar must never call for 2027
        chinese_calendar.is_workday(D(2027, 1, 4))


def test_spring_festival_2026_days():
    # 春节 2026: Sat 02-14 is a 调休 working day, 02-15 (Sun) … 02-23 (Mon) are holidays, Sat 02-28 works.
    assert OFFICIAL.is_workday(D(2026, 2, 13))  # Friday
    assert OFFICIAL.is_workday(D(2026, 2, 14))  # Saturday, 调休上班
    assert [OFFICIAL.is_workday(D(2026, 2, d)) for d in range(15, 24)] == [False] * 9
    assert OFFICIAL.is_workday(D(2026, 2, 24))
    assert OFFICIAL.is_workday(D(2026, 2, 28))  # Saturday, 调休上班


def test_national_day_and_mid_autumn_2025_days():
    # 国庆·中秋 2025: Oct 1–8 off; Sun 2025-09-28 and Sat 2025-10-11 are working days.
    assert D(2025, 9, 28).weekday() == 6 and D(2025, 10, 11).weekday() == 5
    assert [OFFICIAL.is_workday(D(2025, 10, d)) for d in range(1, 9)] == [False] * 8
    assert OFFICIAL.is_workday(D(2025, 9, 28))
    assert OFFICIAL.is_workday(D(2025, 10, 11))
    assert not OFFICIAL.is_workday(D(2025, 9, 27))  # the Saturday before: an ordinary weekend
    assert not OFFICIAL.is_workday(D(2025, 10, 12))


# --- working-day deadlines -------------------------------------------------------------

def test_complex_issue_over_spring_festival_2026():
    # Assigned Friday 02-13, 3 working days: 02-14 (调休 Saturday) is the 1st, 02-24 the 2nd, 02-25 the 3rd.
    assert due(D(2026, 2, 13), 3, "working_days") == Deadline(D(2026, 2, 25), False)
    assert due(D(2026, 2, 13), 1, "working_days") == Deadline(D(2026, 2, 14), False)
    assert due(D(2026, 2, 13), 2, "working_days") == Deadline(D(2026, 2, 24), False)


def test_difficult_issue_over_spring_festival_2026():
    # 15 working days from 02-13: 02-14, 02-24…02-27, 02-28 (调休 Saturday), 03-02…03-06, 03-09…03-12.
    assert due(D(2026, 2, 13), 15, "working_days") == Deadline(D(2026, 3, 12), False)


def test_national_day_2025_deadline_falls_on_the_make_up_saturday():
    # Assigned Tue 09-30: Oct 1–8 off, then 10-09 (1), 10-10 (2), Sat 10-11 (3, 调休上班).
    assert due(D(2025, 9, 30), 3, "working_days") == Deadline(D(2025, 10, 11), False)
    # Assigned Fri 09-26: Sat 09-27 is a rest day, Sun 09-28 works.
    assert due(D(2025, 9, 26), 1, "working_days") == Deadline(D(2025, 9, 28), False)


def test_assigned_on_a_make_up_saturday():
    # Sat 2026-02-28 is a working day; the start day is not counted.
    assert due(D(2026, 2, 28), 1, "working_days") == Deadline(D(2026, 3, 2), False)
    assert due(D(2026, 2, 28), 3, "working_days") == Deadline(D(2026, 3, 4), False)


def test_assigned_on_a_holiday_counts_from_the_next_working_day():
    assert due(D(2026, 2, 16), 1, "working_days") == Deadline(D(2026, 2, 24), False)


def test_zero_working_days():
    assert due(D(2026, 3, 3), 0, "working_days") == Deadline(D(2026, 3, 3), False)
    # On a rest day a period of 0 ends that day and moves to the next working day.
    assert due(D(2026, 10, 1), 0, "working_days") == Deadline(D(2026, 10, 8), False)
    assert due(D(2026, 3, 7), 0, "working_days") == Deadline(D(2026, 3, 9), False)


# --- same_day and calendar_days ---------------------------------------------------------

def test_same_day_is_the_day_of_assignment_even_on_a_rest_day():
    assert due(D(2026, 3, 3), 0, "same_day") == Deadline(D(2026, 3, 3), False)
    assert due(D(2026, 2, 28), 0, "same_day") == Deadline(D(2026, 2, 28), False)  # 调休 Saturday
    assert due(D(2026, 2, 16), 0, "same_day") == Deadline(D(2026, 2, 16), False)  # 春节
    assert due(D(2027, 3, 3), 0, "same_day") == Deadline(D(2027, 3, 3), True)


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day():
    # 09-24 + 7 = 10-01 (国庆), the next working day is 10-09.
    assert due(D(2025, 9, 24), 7, "calendar_days") == Deadline(D(2025, 10, 9), False)
    # 03-02 + 5 = Sat 03-07, an ordinary weekend: Monday 03-09.
    assert due(D(2026, 3, 2), 5, "calendar_days") == Deadline(D(2026, 3, 9), False)
    # 02-25 + 3 = Sat 02-28, a 调休 working day: no move.
    assert due(D(2026, 2, 25), 3, "calendar_days") == Deadline(D(2026, 2, 28), False)
    # 02-10 + 5 = 02-15, first day of 春节: the next working day is 02-24.
    assert due(D(2026, 2, 10), 5, "calendar_days") == Deadline(D(2026, 2, 24), False)


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown deadline unit 'hours'"):
        due(D(2026, 3, 3), 3, "hours")


# --- years no source covers, and the holidays.csv overlay ------------------------------

def test_deadline_into_2027_is_provisional_monday_to_friday():
    # 12-31 (Thu) is the 1st; 2027-01-01 (Fri) counts as working: no calendar knows 2027 yet.
    assert due(D(2026, 12, 30), 3, "working_days") == Deadline(D(2027, 1, 4), True)
    assert due(D(2026, 12, 30), 1, "working_days") == Deadline(D(2026, 12, 31), False)
    assert due(D(2026, 12, 28), 5, "calendar_days") == Deadline(D(2027, 1, 4), True)  # Sat 01-02 → Mon
    assert not OFFICIAL.is_covered(D(2027, 1, 1))
    assert OFFICIAL.is_workday(D(2027, 1, 1)) and not OFFICIAL.is_workday(D(2027, 1, 2))


def test_overlay_rows_for_2027_cover_the_year_and_win():
    calendar = WorkCalendar.from_rows([(D(2027, 1, 1), "holiday"), (D(2027, 2, 20), "workday")])
    assert calendar.is_covered(D(2027, 6, 1))
    # 12-31 (1), 01-01 is now a holiday, 01-04 (2), 01-05 (3); not provisional any more.
    assert due(D(2026, 12, 30), 3, "working_days", calendar) == Deadline(D(2027, 1, 5), False)
    assert calendar.is_workday(D(2027, 2, 20))  # a Saturday made a working day
    assert due(D(2027, 2, 19), 1, "working_days", calendar) == Deadline(D(2027, 2, 20), False)
    assert not calendar.is_workday(D(2027, 2, 21))  # Sunday: Monday–Friday for days without a row


def test_overlay_overrides_a_package_day():
    calendar = WorkCalendar.from_rows([(D(2026, 3, 3), "holiday"), (D(2026, 2, 16), "workday")])
    assert not calendar.is_workday(D(2026, 3, 3)) and OFFICIAL.is_workday(D(2026, 3, 3))
    assert calendar.is_workday(D(2026, 2, 16)) and not OFFICIAL.is_workday(D(2026, 2, 16))
    assert due(D(2026, 3, 2), 1, "working_days", calendar) == Deadline(D(2026, 3, 4), False)
    assert due(D(2026, 2, 13), 3, "working_days", calendar) == Deadline(D(2026, 2, 24), False)


def test_uncovered_years():
    days = [D(2026, 12, 31), D(2027, 1, 4), D(2028, 6, 1), D(2003, 5, 1), D(2027, 3, 1)]
    assert OFFICIAL.uncovered_years(days) == [2003, 2027, 2028]
    assert WorkCalendar.from_rows([(D(2027, 1, 1), "holiday")]).uncovered_years(days) == [2003, 2028]
    assert OFFICIAL.uncovered_years([]) == []


# --- official_rest_days: what holidays.csv rows for a year say ----------------------------

OFFICIAL_2026 = [
    (D(2026, 1, 1), "holiday", "元旦"), (D(2026, 1, 2), "holiday", "元旦"), (D(2026, 1, 4), "workday", "元旦"),
    (D(2026, 2, 14), "workday", "春节"), (D(2026, 2, 16), "holiday", "春节"), (D(2026, 2, 17), "holiday", "春节"),
    (D(2026, 2, 18), "holiday", "春节"), (D(2026, 2, 19), "holiday", "春节"), (D(2026, 2, 20), "holiday", "春节"),
    (D(2026, 2, 23), "holiday", "春节"), (D(2026, 2, 28), "workday", "春节"), (D(2026, 4, 6), "holiday", "清明节"),
    (D(2026, 5, 1), "holiday", "劳动节"), (D(2026, 5, 4), "holiday", "劳动节"), (D(2026, 5, 5), "holiday", "劳动节"),
    (D(2026, 5, 9), "workday", "劳动节"), (D(2026, 6, 19), "holiday", "端午节"),
    (D(2026, 9, 20), "workday", "国庆节"), (D(2026, 9, 25), "holiday", "中秋节"),
    (D(2026, 10, 1), "holiday", "国庆节"), (D(2026, 10, 2), "holiday", "国庆节"), (D(2026, 10, 5), "holiday", "国庆节"),
    (D(2026, 10, 6), "holiday", "国庆节"), (D(2026, 10, 7), "holiday", "国庆节"),
    (D(2026, 10, 10), "workday", "国庆节"),
]


def test_official_rest_days_2026():
    rows = official_rest_days(2026)
    assert rows == OFFICIAL_2026
    # Festival days on an ordinary weekend need no row: Monday–Friday already rests them.
    assert all(day != D(2026, 2, 15) and day != D(2026, 10, 3) for day, _, _ in rows)


def test_official_rest_days_of_a_year_the_package_does_not_know():
    assert official_rest_days(2027) == []


@pytest.mark.parametrize("year", [2015, 2020, 2025, 2026])
def test_official_rest_days_rebuild_the_year_on_monday_to_friday(year):
    # The rows, laid over Monday–Friday, give exactly the package's working days: what a
    # maintainer needs to copy into holidays.csv for a year the package does not cover yet.
    rows = {day: kind == "workday" for day, kind, _ in official_rest_days(year)}
    day = D(year, 1, 1)
    while day.year == year:
        assert rows.get(day, day.weekday() < 5) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_official_rest_days_names_every_festival_in_chinese():
    names = {name for year in sorted(package_years()) for _, _, name in official_rest_days(year)}
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节", "中秋节",
                     "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}
