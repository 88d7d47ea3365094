"""Meetings and issues, streamed month by month, with their evaluations, inspections and events."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from pipeline.demo import text as T
from pipeline.demo.history import issue_history
from pipeline.demo.common import (DAY, START, Sink, World, apportion, county_of, month_days, months_between,
                                  pick, round_random)

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
OFFICERS = 20


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
           "escalated": rng.random() < {"stuck": 0.35, "late": 0.12}.get(fate, 0.02),
           "_due": life["due"], "_fate": fate}  # for its history (pipeline/demo/history.py); not written
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

    def __init__(self, out: Path, fields: dict, world: World, plan: Plan, seed: int):
        self.out, self.fields, self.world = out, fields, world
        self.rngs = (random.Random(f"{seed}:events"), random.Random(f"{seed}:callbacks"))
        self.events = Sink(out / "issue_events.csv", fields["issue_events"])
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
        for event in issue_history(self.rngs, self.world, row, evaluations, inspections):
            self.events.write(event)
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
        for sink in [self.meetings, self.evaluations, self.inspections, self.events, *self.issue_years.values()]:
            sink.close()
        return {"meetings": self.meetings.count, "issues": sum(s.count for s in self.issue_years.values()),
                "evaluations": self.evaluations.count, "inspections": self.inspections.count,
                "issue_events": self.events.count,
                "issue_paths": [f"issues/{year}.csv" for year in sorted(self.issue_years)]}


def write_meetings_and_issues(out: Path, fields: dict, world: World, issues: int, seed: int, names: dict) -> dict:
    """Month by month: the month's meetings, then its issues day by day with their outcomes."""
    rng_m, rng_i = random.Random(f"{seed}:meetings"), random.Random(f"{seed}:issues")
    plan = make_plan(rng_m, rng_i, issues, world.as_of)
    stream = Stream(out, fields, world, plan, seed)
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

