"""Working days on the Chinese official calendar, and deadlines counted on it.

Sources, in order of precedence:
1. rows of ``holidays.csv`` (the maintainers' overlay: a year the package does
   not know yet, or a correction);
2. the ``chinesecalendar`` package (2004–2026 at the pinned version);
3. Monday–Friday, for a year neither covers: such a result is *provisional*.

Deadline rule (data standard, 办理时限): counted from ``assigned_on`` with the
start day not counted (民法典 第二百零一条); a period that ends on a rest day
moves to the next working day; ``same_day`` falls due on the day of assignment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar

# English names used by chinesecalendar → the Chinese names people know.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """Years the installed chinesecalendar knows, read from its own tables."""
    known = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return frozenset(known)


@dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    provisional: bool  # some day in the period fell in a year no calendar covers


@dataclass
class WorkCalendar:
    """Working-day calendar: holidays.csv overlay on top of chinesecalendar."""

    overlay: dict[dt.date, bool] = field(default_factory=dict)  # date → is working day
    _covered: frozenset[int] = field(init=False, repr=False, compare=False)
    _workday: dict[dt.date, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Deadlines for a million issues ask about the same few hundred days many times.
        self._covered = package_years() | {d.year for d in self.overlay}
        self._workday = {}

    @classmethod
    def from_rows(cls, rows: list[tuple[dt.date, str]]) -> "WorkCalendar":
        """Build from (date, kind) pairs, kind being ``holiday`` or ``workday``."""
        return cls({d: kind == "workday" for d, kind in rows})

    def covered_years(self) -> frozenset[int]:
        return self._covered

    def is_covered(self, day: dt.date) -> bool:
        return day.year in self._covered

    def is_workday(self, day: dt.date) -> bool:
        known = self._workday.get(day)
        if known is None:
            known = self._workday[day] = self._look_up(day)
        return known

    def _look_up(self, day: dt.date) -> bool:
        if day in self.overlay:
            return self.overlay[day]
        if day.year in package_years():
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def next_workday_on_or_after(self, day: dt.date) -> tuple[dt.date, bool]:
        provisional = False
        while True:
            provisional |= not self.is_covered(day)
            if self.is_workday(day):
                return day, provisional
            day += dt.timedelta(days=1)

    def add_working_days(self, start: dt.date, days: int) -> Deadline:
        """The day on which ``days`` working days after ``start`` have passed."""
        if days == 0:
            return Deadline(*self.next_workday_on_or_after(start))
        day, counted, provisional = start, 0, not self.is_covered(start)
        while counted < days:
            day += dt.timedelta(days=1)
            provisional |= not self.is_covered(day)
            if self.is_workday(day):
                counted += 1
        return Deadline(day, provisional)

    def add_calendar_days(self, start: dt.date, days: int) -> Deadline:
        end = start + dt.timedelta(days=days)
        day, provisional = self.next_workday_on_or_after(end)
        return Deadline(day, provisional or not self.is_covered(start))

    def deadline(self, assigned_on: dt.date, limit: int, unit: str) -> Deadline:
        """Due date for a period of ``limit`` ``unit`` starting on ``assigned_on``."""
        if unit == "same_day":
            return Deadline(assigned_on, not self.is_covered(assigned_on))
        if unit == "working_days":
            return self.add_working_days(assigned_on, limit)
        if unit == "calendar_days":
            return self.add_calendar_days(assigned_on, limit)
        raise ValueError(f"unknown deadline unit {unit!r}")

    def uncovered_years(self, days: list[dt.date]) -> list[int]:
        """Years among ``days`` that neither calendar source covers."""
        covered = self.covered_years()
        return sorted({d.year for d in days} - covered)


def official_rest_days(year: int) -> list[tuple[dt.date, str, str]]:
    """(date, kind, Chinese name) for the package's holidays and make-up workdays of a year.

    Only festival days that are not ordinary weekends, and weekend days that are
    make-up working days: exactly what a holidays.csv row needs to say.
    """
    rows = []
    for day, name in chinese_calendar.holidays.items():
        if day.year == year and day.weekday() < 5:
            rows.append((day, "holiday", HOLIDAY_NAMES_ZH.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        if day.year == year and day.weekday() >= 5:
            rows.append((day, "workday", HOLIDAY_NAMES_ZH.get(name, name)))
    return sorted(rows)
