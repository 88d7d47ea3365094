"""Synthetic demo data package (示例数据) for Sunshine Ledger.

``generate(out_dir)`` writes ``datapackage.json``, every CSV resource of
``pipeline/standard.json`` and ``demo.json`` (the arguments it was called with,
so that the package can be regenerated and compared byte for byte; a package
of real data has no such file): fictional regions (codes beginning with 99), city
departments, the official rest days, meetings, issues (one file per year of
``raised_on``), devolved items with their take-up, third-party evaluations and
surveys, inspections and a few published claims to check against the records.

The data obeys the table schema and every cross-field rule of the data
standard, so the site and the validator can be exercised end to end.

Design notes:
- Deterministic: every random choice comes from ``random.Random`` instances
  seeded from ``seed`` (one stream per resource, so that changing one resource
  does not reshuffle the others); iteration is over lists and insertion-ordered
  dicts only.
- Streaming: issues are generated day by day and written at once, together
  with their evaluations and inspections; memory holds one month of meetings
  and a few counters, so a million issues take flat memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.demo import text as T
from pipeline.core.workdays import WorkCalendar, official_rest_days
from pipeline.core.csv_write import format_cell, write_csv
from pipeline.demo.manifest import MANIFEST, check_target, write_manifest

START = dt.date(2025, 1, 1)
STANDARD = Path(__file__).resolve().parent.parent / "standard.json"
MARKER = MANIFEST  # demo.json, written beside datapackage.json; not a resource
DAY = dt.timedelta(days=1)

DEADLINE_RULES = {"simple": (0, "same_day"), "complex": (3, "working_days"), "difficult": (15, "working_days")}
TIERS = {"simple": 55, "complex": 35, "difficult": 10}
MECHANISMS = {"city_meets_in_town": 8, "town_meets_in_village": 17, "monday_night_visit": 12,
              "hotline": 30, "grid": 18, "villagers_say": 10, "other": 5}
# Meeting mechanisms: (host level, meetings per month at 3000 issues).
MEETINGS = {"city_meets_in_town": ("city", 2), "town_meets_in_village": ("township", 8),
            "monday_night_visit": ("county", 8)}
LINKED_SHARE = 0.35  # of issues of a meeting mechanism, those raised at one of its meetings
REQUEST_TYPES = {"help": 30, "complaint": 25, "consultation": 20, "suggestion": 15, "report": 10}
LEVELS = {"township": 75, "county": 20, "city": 5}
RATINGS = {5: 57, 4: 30, 3: 9, 2: 2.5, 1: 1.5}
RATINGS_LATE = {5: 33, 4: 32, 3: 15, 2: 13, 1: 7}  # late work is rated worse
EVAL_METHODS = {"phone": 50, "sms": 20, "online": 20, "visit": 10}
VERDICTS = {"confirmed": 85, "partly": 8, "not_resolved": 7}
CASE_RATE = {"licensing": 3.0, "inspection": 4.0, "payment": 3.0, "public_service": 3.0, "penalty": 1.2}
OFFICERS = 20


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


# --- reference resources -------------------------------------------------------------

def build_regions(rng: random.Random) -> list[dict]:
    villages, communities = T.VILLAGE_NAMES[:], T.COMMUNITY_NAMES[:]
    rng.shuffle(villages)
    rng.shuffle(communities)
    city_code, city_name = T.CITY
    rows = [{"code": city_code, "name": city_name, "level": "city", "parent_code": None}]
    for county, name, unit_level, unit_names, leaf_level in T.COUNTIES:
        rows.append({"code": county, "name": name, "level": "county", "parent_code": city_code})
        pool = communities if leaf_level == "community" else villages
        for i, unit_name in enumerate(unit_names, 1):
            unit = f"{county[:6]}{i:03d}000"
            rows.append({"code": unit, "name": unit_name, "level": unit_level, "parent_code": county})
            for j in range(1, rng.randint(3, 5) + 1):
                rows.append({"code": f"{unit[:9]}{j:03d}", "name": pool.pop(), "level": leaf_level,
                             "parent_code": unit})
    return sorted(rows, key=lambda r: r["code"])


def build_departments() -> list[dict]:
    return [{"code": code, "name": "示例市" + name, "region_code": T.CITY[0]}
            for code, name in sorted(T.DEPARTMENTS.items())]


def build_holidays(as_of: dt.date) -> list[dict]:
    return [{"date": day, "kind": kind, "name": name}
            for year in range(START.year, as_of.year + 1) for day, kind, name in official_rest_days(year)]


# --- meetings ------------------------------------------------------------------------

def plan_meetings(rng: random.Random, months, scale: float, as_of: dt.date) -> list[dict]:
    """Meetings per month and mechanism, drawn up front so that id widths are known."""
    plan = []
    for y, m in months:
        share = len(month_days(y, m, as_of)) / 30.0
        plan.append({mech: round_random(rng, rate * scale * share) for mech, (_, rate) in MEETINGS.items()})
    return plan


def month_meetings(rng: random.Random, world: World, days: list[dt.date], counts: dict) -> list[dict]:
    workdays = [d for d in days if world.calendar.is_workday(d)] or days
    mondays = [d for d in workdays if d.weekday() == 0]  # 周一夜访: working Mondays only
    rows = []
    for order, (mech, (host, _)) in enumerate(MEETINGS.items()):
        pool = mondays if mech == "monday_night_visit" else workdays
        for _ in range(counts[mech] if pool else 0):
            unit = rng.choice(world.units)
            place = unit if mech == "city_meets_in_town" else rng.choice(world.leaves[unit["code"]])
            persons = None
            if mech == "monday_night_visit":
                persons = rng.randint(5, 60)
            elif rng.random() < 0.55:
                persons = rng.randint(8, 80)
            departments = sorted(rng.sample(world.departments, rng.randint(1, 4)))
            rows.append({"mechanism": mech, "held_on": rng.choice(pool), "region_code": place["code"],
                         "host_level": host, "departments": departments, "persons_received": persons,
                         "_sort": (order, len(rows))})
    rows.sort(key=lambda r: (r["held_on"], r["_sort"]))
    return rows


# --- issues --------------------------------------------------------------------------

def lifecycle(rng: random.Random, world: World, raised: dt.date, tier: str) -> dict:
    """Dates and status of one issue at as_of; ``fate`` says how its handling went."""
    as_of = world.as_of
    assigned = raised + DAY * rng.choices([0, 1, 2], weights=[6, 3, 1])[0]
    due = world.due(assigned, tier)
    due_on = None
    if rng.random() < 0.03:  # an explicit, agreed deadline
        candidate = due + DAY * rng.randint(0, 10)
        if candidate <= as_of:
            due_on = due = candidate
    roll = rng.random()
    fate = "withdrawn" if roll < 0.01 else "stuck" if roll < 0.02 else "late" if roll < 0.17 else "on_time"
    resolved = None
    if fate == "late":
        resolved = due + DAY * rng.randint(1, 20)
    elif fate == "on_time":
        resolved = assigned + DAY * rng.randint(0, (due - assigned).days)
    life = {"assigned_on": assigned, "due_on": due_on, "due": due, "fate": fate}
    pending = (as_of - raised).days < 7 and rng.random() < 0.2  # still being verified before assignment
    if fate == "withdrawn":
        keep = assigned <= as_of and rng.random() < 0.5
        return life | {"status": "withdrawn", "assigned_on": assigned if keep else None,
                       "due_on": due_on if keep else None}
    if pending or assigned > as_of:
        return life | {"status": "registered", "assigned_on": None, "due_on": None}
    if resolved is None or resolved > as_of:
        return life | {"status": "assigned"}
    return life | {"status": "resolved", "resolved_on": resolved}


def outcome(rng: random.Random, world: World, issue: dict, late: bool) -> tuple[list, list]:
    """Evaluations and inspections of a done issue; sets its status and archived_on."""
    as_of, resolved = world.as_of, issue["resolved_on"]
    evaluations = []
    if rng.random() < 0.66:
        day = resolved + DAY * rng.randint(1, 20)
        for _ in range(2 if rng.random() < 0.08 else 1):
            if day <= as_of:
                rating = pick(rng, RATINGS_LATE if late else RATINGS)
                rectified = None
                if rating <= 2 and rng.random() < 0.75:
                    rectified = day + DAY * rng.randint(2, 30)
                    rectified = rectified if rectified <= as_of else None
                evaluations.append({"issue_id": issue["id"], "evaluator": rng.choice(T.EVALUATORS),
                                    "evaluated_on": day, "method": pick(rng, EVAL_METHODS),
                                    "rating": rating, "rectified_on": rectified})
            day += DAY * rng.randint(1, 15)
    if evaluations:
        issue["status"] = "evaluated"
        archived = evaluations[-1]["evaluated_on"] + DAY * rng.randint(3, 30)
        if archived <= as_of and rng.random() < 0.8:
            issue["status"], issue["archived_on"] = "archived", archived
    inspections = []
    if rng.random() < 0.15:
        day = resolved + DAY * rng.randint(1, 30)
        if day <= as_of:
            verdict = pick(rng, VERDICTS)
            note = rng.choice(T.INSPECTION_NOTES[verdict]) if rng.random() < 0.8 else None
            inspections.append({"issue_id": issue["id"], "officer": f"{T.OFFICER_PREFIX}-{rng.randint(1, OFFICERS):03d}",
                                "inspected_on": day, "verdict": verdict, "note": note})
    return evaluations, inspections


def issue_place(rng: random.Random, world: World, meeting: dict | None) -> str:
    """Region of an issue: inside the meeting's township when raised at a meeting."""
    if meeting is None:
        unit = rng.choice(world.units)
        return unit["code"] if rng.random() < 0.15 else rng.choice(world.leaves[unit["code"]])["code"]
    held = meeting["region_code"]
    unit = held[:9] + "000"
    if held == unit:  # 市会镇开: held in the township itself
        return unit if rng.random() < 0.3 else rng.choice(world.leaves[unit])["code"]
    roll = rng.random()
    return held if roll < 0.7 else unit if roll < 0.8 else rng.choice(world.leaves[unit])["code"]


def make_issue(rng: random.Random, world: World, issue_id: str, raised: dt.date, mech: str,
               meeting: dict | None, names: dict) -> tuple[dict, list, list]:
    category = rng.choice(list(T.TITLE_TEMPLATES))
    tier = pick(rng, TIERS)
    region = issue_place(rng, world, meeting)
    lead = rng.choice(T.CATEGORY_LEADS[category])
    co = []
    if rng.random() < 0.25:
        co = sorted(rng.sample([d for d in world.departments if d != lead], rng.randint(1, 2)))
    life = lifecycle(rng, world, raised, tier)
    fate, status = life["fate"], life["status"]
    row = {"id": issue_id, "mechanism": mech, "meeting_id": meeting["id"] if meeting else None,
           "request_type": pick(rng, REQUEST_TYPES) if rng.random() < 0.9 else None,
           "raised_on": raised, "region_code": region,
           "title": rng.choice(T.TITLE_TEMPLATES[category]).format(place=names[region]),
           "category": category, "tier": tier, "lead_department": lead, "co_departments": co,
           "status": status, "assigned_on": life["assigned_on"], "due_on": life["due_on"],
           "resolved_on": life.get("resolved_on"),
           "escalated": rng.random() < {"stuck": 0.35, "late": 0.12}.get(fate, 0.02)}
    evaluations, inspections = [], []
    if status == "resolved":
        row["resolved_at_level"] = pick(rng, LEVELS if tier != "difficult" else {"township": 50, "county": 38, "city": 12})
        co_text = "，会同" + "、".join(names[d] for d in co) if co else ""
        row["summary"] = T.SUMMARY_TEMPLATE.format(lead=names[lead], co=co_text, action=T.ACTIONS[category])
        evaluations, inspections = outcome(rng, world, row, fate == "late")
    tally = world.issue_tally.setdefault((county_of(region), raised.strftime("%Y-%m")), [0, 0, 0, 0])
    tally[0] += 1
    tally[1] += row["resolved_on"] is not None
    tally[2] += row["resolved_on"] is not None and row["resolved_on"] <= life["due"]
    tally[3] += status == "withdrawn"
    return row, evaluations, inspections


def day_mechanisms(rng: random.Random, count: int, meetings: list[dict], linked: dict) -> list:
    """(mechanism, meeting) for the issues of one day: first those raised at its meetings."""
    seeds = []
    for meeting in meetings:
        wanted = round_random(rng, rng.uniform(0, 2 * linked[meeting["mechanism"]]))
        seeds += [(meeting["mechanism"], meeting)] * min(wanted, count - len(seeds))
    # The rest come through any channel; meeting mechanisms keep their unlinked share.
    free = {m: w * (1 - LINKED_SHARE if m in MEETINGS else 1) for m, w in MECHANISMS.items()}
    seeds += [(pick(rng, free), None) for _ in range(count - len(seeds))]
    rng.shuffle(seeds)
    return seeds


@dataclass
class Plan:
    """Counts drawn before anything is written, so that id widths are known up front."""

    months: list[tuple[int, int]]
    issues: list[int]  # issues raised per month
    meetings: list[dict]  # per month: mechanism → meetings
    linked: dict  # mechanism → expected issues raised at one of its meetings

    def width(self, counts: list[int], least: int) -> int:
        """Digits of a per-year serial number: the busiest year's count, at least ``least``."""
        per_year: dict[int, int] = {}
        for (y, _), n in zip(self.months, counts):
            per_year[y] = per_year.get(y, 0) + n
        return max(least, len(str(max(per_year.values()))))


def make_plan(rng_meetings: random.Random, rng_issues: random.Random, issues: int, as_of: dt.date) -> Plan:
    months = months_between(START, as_of)
    meetings = plan_meetings(rng_meetings, months, max(issues / 3000, 0.25), as_of)
    # Slightly more issues in recent months, as the mechanisms become known.
    weights = [len(month_days(y, m, as_of)) * (1 + 0.4 * i / max(1, len(months) - 1)) * rng_issues.uniform(0.9, 1.1)
               for i, (y, m) in enumerate(months)]
    linked = {mech: LINKED_SHARE * MECHANISMS[mech] / sum(MECHANISMS.values()) * issues
              / max(1, sum(p[mech] for p in meetings)) for mech in MEETINGS}
    return Plan(months, apportion(weights, issues), meetings, linked)


class Stream:
    """The files written during the single pass: meetings, issue years, evaluations, inspections."""

    def __init__(self, out: Path, fields: dict, world: World, plan: Plan):
        self.out, self.fields, self.world = out, fields, world
        self.meetings = Sink(out / "meetings.csv", fields["meetings"])
        self.evaluations = Sink(out / "evaluations.csv", fields["evaluations"])
        self.inspections = Sink(out / "inspections.csv", fields["inspections"])
        self.issue_years: dict[int, Sink] = {}
        total = sum(plan.issues)
        self.widths = {"M": plan.width([sum(p.values()) for p in plan.meetings], 4),
                       "Q": plan.width(plan.issues, 5),
                       "E": max(6, len(str(2 * total))), "I": max(5, len(str(total)))}
        self.serials: dict[tuple[str, int], int] = {}

    def next_id(self, kind: str, year: int) -> str:
        self.serials[kind, year] = self.serials.get((kind, year), 0) + 1
        return f"{kind}-{year}-{self.serials[kind, year]:0{self.widths[kind]}d}"

    def meeting(self, row: dict) -> None:
        row["id"] = self.next_id("M", row["held_on"].year)
        self.meetings.write(row)
        tally = self.world.meeting_tally.setdefault(
            (county_of(row["region_code"]), row["held_on"].strftime("%Y-%m")), [0, 0])
        tally[0] += 1
        tally[1] += row["persons_received"] or 0

    def issue(self, row: dict, evaluations: list[dict], inspections: list[dict]) -> None:
        year = row["raised_on"].year
        if year not in self.issue_years:
            self.issue_years[year] = Sink(self.out / "issues" / f"{year}.csv", self.fields["issues"])
        self.issue_years[year].write(row)
        for evaluation in evaluations:
            evaluation["id"] = f"E-{self.evaluations.count + 1:0{self.widths['E']}d}"
            self.evaluations.write(evaluation)
            rated = self.world.rating_tally.setdefault(county_of(row["region_code"]), [0, 0])
            rated[0] += 1
            rated[1] += evaluation["rating"] >= 3
        for inspection in inspections:
            inspection["id"] = f"I-{self.inspections.count + 1:0{self.widths['I']}d}"
            self.inspections.write(inspection)

    def close(self) -> dict:
        for sink in [self.meetings, self.evaluations, self.inspections, *self.issue_years.values()]:
            sink.close()
        return {"meetings": self.meetings.count, "issues": sum(s.count for s in self.issue_years.values()),
                "evaluations": self.evaluations.count, "inspections": self.inspections.count,
                "issue_paths": [f"issues/{year}.csv" for year in sorted(self.issue_years)]}


def write_meetings_and_issues(out: Path, fields: dict, world: World, issues: int, seed: int, names: dict) -> dict:
    """Month by month: the month's meetings, then its issues day by day with their outcomes."""
    rng_m, rng_i = random.Random(f"{seed}:meetings"), random.Random(f"{seed}:issues")
    plan = make_plan(rng_m, rng_i, issues, world.as_of)
    stream = Stream(out, fields, world, plan)
    for (y, m), n_month, counts in zip(plan.months, plan.issues, plan.meetings):
        days = month_days(y, m, world.as_of)
        by_day: dict[dt.date, list] = {}
        for meeting in month_meetings(rng_m, world, days, counts):
            stream.meeting(meeting)
            by_day.setdefault(meeting["held_on"], []).append(meeting)
        # Spread the month's issues over its days; meeting days get the issues raised there.
        boosts = [sum(plan.linked[mt["mechanism"]] for mt in by_day.get(d, [])) for d in days]
        base = [(1.0 if world.calendar.is_workday(d) else 0.4) * rng_i.uniform(0.7, 1.3) for d in days]
        k = max(0.0, n_month - sum(boosts)) / (sum(base) or 1.0)
        for day, count in zip(days, apportion([b * k + x for b, x in zip(base, boosts)], n_month)):
            for mech, meeting in day_mechanisms(rng_i, count, by_day.get(day, []), plan.linked):
                stream.issue(*make_issue(rng_i, world, stream.next_id("Q", y), day, mech, meeting, names))
    return stream.close()


# --- devolved items ------------------------------------------------------------------

def build_items(rng: random.Random, as_of: dt.date) -> list[dict]:
    batches = [(name, dt.date.fromisoformat(day), ref) for name, day, ref in T.BATCHES
               if dt.date.fromisoformat(day) <= as_of] or [(T.BATCHES[0][0], START, T.BATCHES[0][2])]
    items = []
    for department, entries in T.ITEMS.items():
        for number, (name, power_type) in enumerate(entries, 1):
            list_name, effective, ref = rng.choices(batches, weights=[5, 4, 3][: len(batches)])[0]
            item = {"id": f"FQ-{T.item_prefix(department)}-{number:03d}", "name": name, "power_type": power_type,
                    "from_department": department, "list_name": list_name,
                    "legal_basis": T.LEGAL_BASIS[department] + T.LEGAL_BASIS_SUFFIX,
                    "effective_on": effective, "decision_ref": ref}
            if rng.random() < 0.6:
                statutory = rng.choice([5, 7, 10, 15, 20, 30])
                item |= {"statutory_limit": statutory, "promised_limit": rng.randint(max(1, statutory // 3), statutory),
                         "limit_unit": "working_days" if rng.random() < 0.8 else "calendar_days"}
            items.append(item)
    items.sort(key=lambda r: r["id"])
    revocable = [i for i in items if (as_of - i["effective_on"]).days > 120]
    for item in rng.sample(revocable, min(5, len(revocable))):
        item["revoked_on"] = item["effective_on"] + DAY * rng.randint(90, (as_of - item["effective_on"]).days)
    schedule_reviews(rng, items, as_of)
    return items


def is_active(item: dict, as_of: dt.date) -> bool:
    return item["effective_on"] <= as_of and not (item.get("revoked_on") and item["revoked_on"] <= as_of)


def schedule_reviews(rng: random.Random, items: list[dict], as_of: dt.date) -> None:
    """last_reviewed_on such that about 15 % of active items are overdue for review (> 365 days)."""
    active = [i for i in items if is_active(i, as_of)]
    old = [i for i in active if (as_of - i["effective_on"]).days > 365]
    overdue = {i["id"] for i in rng.sample(old, min(len(old), round(0.15 * len(active))))}
    for item in items:
        age = (as_of - item["effective_on"]).days
        if item["id"] in overdue:
            stale = age - 366  # a review, if any, more than a year ago
            item["last_reviewed_on"] = item["effective_on"] + DAY * rng.randint(30, stale) \
                if stale >= 30 and rng.random() < 0.5 else None
        elif age > 365 or rng.random() < 0.5:
            item["last_reviewed_on"] = as_of - DAY * rng.randint(5, min(age, 360))
        else:
            item["last_reviewed_on"] = None


def build_devolutions(rng: random.Random, items: list[dict], units: list[dict], as_of: dt.date) -> list[dict]:
    rows = []
    for item in items:
        end = min(as_of, item.get("revoked_on") or as_of)
        for unit in sorted(rng.sample(units, rng.randint(4, min(12, len(units)))), key=lambda u: u["code"]):
            later = None  # most townships took over on the item's date; some later
            if rng.random() < 0.25:
                later = min(end, item["effective_on"] + DAY * rng.randint(0, 120))
            rows.append({"item_id": item["id"], "region_code": unit["code"], "effective_on": later})
    return rows


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def build_item_cases(rng: random.Random, items: list[dict], devolutions: list[dict], as_of: dt.date) -> list[dict]:
    """Monthly case counts; about 15 % of active items had no case in the last 12 months."""
    last = month_index(as_of)
    window = last - 11
    active = [i["id"] for i in items if is_active(i, as_of)]
    zero_use = set(rng.sample(active, round(0.15 * len(active))))
    pairs: dict[str, list[dict]] = {}
    for row in devolutions:
        pairs.setdefault(row["item_id"], []).append(row)
    rows = []
    for item in items:
        cells: dict[tuple[str, int], dict] = {}
        mean = CASE_RATE.get(item["power_type"], 1.0) * rng.uniform(0.3, 1.5)
        stop = month_index(item["revoked_on"]) - 1 if item.get("revoked_on") else last
        for pair in pairs[item["id"]]:
            if rng.random() < 0.25:
                continue  # this township never reported cases of the item
            first = month_index(pair["effective_on"] or item["effective_on"])
            for month in range(first, stop + 1):
                if item["id"] in zero_use and month >= window:
                    break
                cases = poisson(rng, mean)
                if cases or rng.random() < 0.3:
                    cells[(pair["region_code"], month)] = case_row(rng, item, pair["region_code"], month, cases)
        used = any(r["cases"] for (_, month), r in cells.items() if month >= window)
        if item["id"] in active and item["id"] not in zero_use and not used:
            region = pairs[item["id"]][0]["region_code"]  # every active item in use was used this month
            cells[(region, last)] = case_row(rng, item, region, last, rng.randint(1, 3))
        rows += [cells[key] for key in sorted(cells)]
    return rows


def case_row(rng: random.Random, item: dict, region: str, month: int, cases: int) -> dict:
    within = None
    if item.get("promised_limit") is not None and rng.random() < 0.9:
        within = sum(rng.random() < 0.93 for _ in range(cases))
    return {"item_id": item["id"], "region_code": region, "month": month_text(month),
            "cases": cases, "within_promise": within}


# --- surveys and claims --------------------------------------------------------------

def build_surveys(rng: random.Random, world: World) -> list[dict]:
    """Quarterly surveys: counties and townships overall, plus mechanism, department and devolved items."""
    counties = [c[0] for c in T.COUNTIES]
    mechanisms = list(MEETINGS)
    rows, quarter = [], 0
    start = START
    while True:
        end = dt.date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1) - DAY
        if end > world.as_of:
            return rows
        targets = [(c, "overall", None, rng.randint(300, 600), "phone") for c in counties]
        targets += [(u["code"], "overall", None, rng.randint(3, 9) if rng.random() < 0.1 else rng.randint(25, 120),
                     rng.choice(["phone", "visit", "questionnaire"])) for u in world.units]
        targets.append((counties[quarter % 2], "mechanism", mechanisms[quarter % 3], rng.randint(80, 200), "visit"))
        targets.append((T.CITY[0], "department", world.departments[(quarter * 5) % len(world.departments)],
                        rng.randint(60, 150), "online"))
        if quarter % 2 == 0:
            targets += [(c, "devolved_items", None, rng.randint(50, 150), "questionnaire") for c in counties]
        label = f"S-{start.year}Q{(start.month - 1) // 3 + 1}"
        for number, (region, subject, ref, n, method) in enumerate(targets, 1):
            weights = [rng.uniform(40, 60), 30, 10, rng.uniform(2, 6), rng.uniform(0.5, 2)]
            answers = rng.choices(range(5), weights=weights, k=n)
            rows.append({"id": f"{label}-{number:03d}", "surveyor": T.SURVEYORS[number % 2],
                         "period_start": start, "period_end": end, "region_code": region, "subject": subject,
                         "subject_ref": ref, "method": method,
                         **{name: answers.count(i) for i, name in enumerate(
                             ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"])}})
        start, quarter = end + DAY, quarter + 1


def tally_sum(tally: dict, county: str | None, first: dt.date, last: dt.date, index: int) -> int:
    """Sum one counter over (county, month) cells; county None means the whole city."""
    lo, hi = first.strftime("%Y-%m"), last.strftime("%Y-%m")
    return sum(v[index] for (c, month), v in tally.items() if (county in (None, c)) and lo <= month <= hi)


REPORTED_CLAIMS = Path(__file__).with_name("reported_claims.csv")


def reported_claims() -> list[dict]:
    """Real published figures (pipeline/reported_claims.csv), passed through as text, unchanged."""
    with REPORTED_CLAIMS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_claims(world: World, items: list[dict]) -> list[dict]:
    """Published figures: the demo's own (texts in demo_text.CLAIMS), some agreeing with the records and
    some not, then every real figure of pipeline/reported_claims.csv (real places: no region_code)."""
    as_of = world.as_of
    year_end = min(dt.date(START.year, 12, 31), as_of)
    periods = {"year": (START, year_end), None: (None, None),
               "half": (year_end + DAY, min(dt.date(START.year + 1, 6, 30), as_of)) if year_end < as_of
               else (START, year_end)}
    regions = {"city": T.CITY, "district": T.COUNTIES[0][:2], "county": T.COUNTIES[1][:2]}
    county, district = regions["county"][0], regions["district"][0]
    done_half = tally_sum(world.issue_tally, None, *periods["half"], 1)
    rated, satisfied = world.rating_tally.get(county, [0, 0])
    actual = 100 * satisfied / max(1, rated)
    values = {
        "issues_resolved": tally_sum(world.issue_tally, None, *periods["year"], 1),
        "meetings_held": tally_sum(world.meeting_tally, county, *periods["year"], 0),
        "persons_received": tally_sum(world.meeting_tally, district, *periods["year"], 1),
        "on_time_rate": round(100 * tally_sum(world.issue_tally, None, *periods["half"], 2) / max(1, done_half), 1),
        # The rest disagree with the records on purpose: overstated, or counting revoked items.
        "issues_raised": round(tally_sum(world.issue_tally, county, *periods["half"], 0) * 1.18) + 3,
        "items_devolved": len(items),
        "satisfaction_rate": 99.3 if actual < 98 else round(actual - 3, 1),
    }
    rows = []
    for number, (region, subject, metric, unit, period, title, quote) in enumerate(T.CLAIMS, 1):
        code, name = regions.get(region, ("", region))
        first, last = periods[period]
        value = values.get(metric)
        rows.append({"id": f"C-{number:03d}", "region_name": name, "region_code": code or None, "subject": subject,
                     "metric": metric, "value": value, "unit": unit, "period_start": first, "period_end": last,
                     "source_title": title, "source_publisher": "示例日报",
                     "source_date": min(last + DAY * 20, as_of) if last else as_of - DAY * 10,
                     "source_url": None, "quote": quote.format(value=value)})
    return rows + reported_claims()


# --- the package ---------------------------------------------------------------------

def generate(out_dir: Path, *, issues: int = 3000, seed: int = 20261031,
             as_of: dt.date = dt.date(2026, 10, 31)) -> dict:
    """Write the demo data package into ``out_dir``; return the row count of every resource."""
    if as_of < START + DAY * 90 or issues < 1:
        raise ValueError("the demo needs at least one issue and an as_of three months after 2025-01-01")
    out_dir = Path(out_dir)
    check_target(out_dir)  # never overwrite a fork's real data: only the demo's own, unchanged files
    out_dir.mkdir(parents=True, exist_ok=True)
    descriptor = json.loads(STANDARD.read_text(encoding="utf-8"))
    fields = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in descriptor["resources"]}

    regions = build_regions(random.Random(f"{seed}:regions"))
    departments = build_departments()
    holidays = build_holidays(as_of)
    units = [r for r in regions if r["level"] in ("township", "street")]
    leaves = {u["code"]: [r for r in regions if r["parent_code"] == u["code"]] for u in units}
    calendar = WorkCalendar.from_rows([(h["date"], h["kind"]) for h in holidays])
    world = World(as_of, calendar, units, leaves, [d["code"] for d in departments])
    names = {r["code"]: r["name"] for r in regions} | {d["code"]: d["name"] for d in departments}

    counts = {
        "regions": write_csv(out_dir / "regions.csv", fields["regions"], regions),
        "departments": write_csv(out_dir / "departments.csv", fields["departments"], departments),
        "holidays": write_csv(out_dir / "holidays.csv", fields["holidays"], holidays),
        "deadline_rules": write_csv(out_dir / "deadline_rules.csv", fields["deadline_rules"],
                                    [{"tier": t, "limit": n, "unit": u} for t, (n, u) in DEADLINE_RULES.items()]),
    }
    streamed = write_meetings_and_issues(out_dir, fields, world, issues, seed, names)
    issue_paths = streamed.pop("issue_paths")
    counts |= streamed

    rng = random.Random(f"{seed}:items")
    items = build_items(rng, as_of)
    devolutions = build_devolutions(rng, items, units, as_of)
    counts["devolved_items"] = write_csv(out_dir / "devolved_items.csv", fields["devolved_items"], items)
    counts["devolutions"] = write_csv(out_dir / "devolutions.csv", fields["devolutions"], devolutions)
    counts["item_cases"] = write_csv(out_dir / "item_cases.csv", fields["item_cases"],
                                     build_item_cases(rng, items, devolutions, as_of))
    counts["surveys"] = write_csv(out_dir / "surveys.csv", fields["surveys"],
                                  build_surveys(random.Random(f"{seed}:surveys"), world))
    counts["claims"] = write_csv(out_dir / "claims.csv", fields["claims"], build_claims(world, items))

    descriptor["as_of"] = as_of.isoformat()
    for resource in descriptor["resources"]:
        if resource["name"] == "issues":
            resource["path"] = issue_paths
    (out_dir / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8", newline="\n")
    write_manifest(out_dir, {"issues": issues, "seed": seed, "as_of": as_of.isoformat()})
    return {r["name"]: counts[r["name"]] for r in descriptor["resources"] if r["name"] in counts}
