"""What the demo generators share: the start date, weighted draws, months, CSV sinks and the World."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.csv_write import format_cell
from pipeline.core.workdays import WorkCalendar

START = dt.date(2025, 1, 1)
DAY = dt.timedelta(days=1)
DEADLINE_RULES = {"simple": (0, "same_day"), "complex": (3, "working_days"), "difficult": (15, "working_days")}


def pick(rng: random.Random, weights: dict):
    """One key of ``weights`` drawn with the given weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def round_random(rng: random.Random, x: float) -> int:
    """x rounded down or up at random so that the expectation is x."""
    base = math.floor(x)
    return base + (rng.random() < x - base)


def apportion(weights: list[float], total: int) -> list[int]:
    """Integers proportional to weights summing exactly to total (largest remainder)."""
    whole = sum(weights) or 1.0
    quotas = [w / whole * total for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def months_between(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def month_days(y: int, m: int, as_of: dt.date) -> list[dt.date]:
    day, days = max(dt.date(y, m, 1), START), []
    while day.month == m and day <= as_of:
        days.append(day)
        day += DAY
    return days


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class Sink:
    """A CSV file written row by row, byte-identical to what ``write_csv`` writes."""

    def __init__(self, path: Path, fields: list[str]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(fields)
        self.fields, self.count = fields, 0

    def write(self, row: dict) -> None:
        self.writer.writerow([format_cell(row.get(name)) for name in self.fields])
        self.count += 1

    def close(self) -> None:
        self.handle.close()


@dataclass
class World:
    """What the generators share: the snapshot date, places, departments, calendar, tallies."""

    as_of: dt.date
    calendar: WorkCalendar
    units: list[dict]  # townships and streets
    leaves: dict[str, list[dict]]  # unit code → its villages / communities
    departments: list[str]
    due_cache: dict = field(default_factory=dict)
    # (county, YYYY-MM) → [raised, done, on time, withdrawn] by month of raised_on
    issue_tally: dict = field(default_factory=dict)
    meeting_tally: dict = field(default_factory=dict)  # (county, YYYY-MM) → [meetings, persons]
    rating_tally: dict = field(default_factory=dict)  # county → [evaluations, rated 3–5]

    def due(self, assigned: dt.date, tier: str) -> dt.date:
        key = (assigned, tier)
        if key not in self.due_cache:  # bounded: days × tiers
            self.due_cache[key] = self.calendar.deadline(assigned, *DEADLINE_RULES[tier]).due_on
        return self.due_cache[key]


def county_of(code: str) -> str:
    return code[:6] + "000000"



def poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k

