"""Quarterly surveys and published claims (the demo's own, then the real reported figures)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from pipeline.demo import text as T
from pipeline.demo.common import DAY, START, World
from pipeline.demo.issues import MEETINGS


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


def build_claims(world: World, items: list[dict], reports: list[dict] = (), cuts: list[dict] = ()) -> list[dict]:
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
    burden = burden_values(reports, cuts, periods, county, district, as_of)
    rows = []
    for number, (region, subject, metric, unit, period, title, quote) in enumerate(T.CLAIMS, 1):
        code, name = regions.get(region, ("", region))
        first, last = periods[period]
        value = burden[(region, metric)] if (region, metric) in burden else values.get(metric)
        rows.append({"id": f"C-{number:03d}", "region_name": name, "region_code": code or None, "subject": subject,
                     "metric": metric, "value": value, "unit": unit, "period_start": first, "period_end": last,
                     "source_title": title, "source_publisher": "示例日报",
                     "source_date": min(last + DAY * 20, as_of) if last else as_of - DAY * 10,
                     "source_url": None, "quote": quote.format(value=value)})
    return rows + reported_claims()



def burden_values(reports: list[dict], cuts: list[dict], periods: dict, county: str, district: str,
                  as_of: dt.date) -> dict[tuple[str, str], float | int]:
    """The burden claims' figures: the county's own cuts so far (agreeing), the district's cuts of the first
    year overstated by six, and the city's load of the last 12 months against the 12 before, in % to one place."""
    first, last = periods["year"]
    own = sum(1 for c in cuts if c["region_code"] and c["region_code"][:6] == county[:6] and c["cut_on"] <= as_of)
    district_year = sum(1 for c in cuts if c["region_code"] and c["region_code"][:6] == district[:6]
                        and first <= c["cut_on"] <= last)
    index = as_of.year * 12 + as_of.month - 1
    month = lambda back: f"{(index - back) // 12:04d}-{(index - back) % 12 + 1:02d}"  # noqa: E731
    recent, earlier = {month(b) for b in range(12)}, {month(b) for b in range(12, 24)}
    load = ("documents_received", "meetings_attended", "report_forms")
    now = sum(r[c] for r in reports if r["month"] in recent for c in load)
    before = sum(r[c] for r in reports if r["month"] in earlier for c in load)
    change = round(100 * (now / before - 1), 1) if before else None
    return {("county", "burden_cuts_count"): own, ("district", "burden_cuts_count"): district_year + 6,
            ("city", "burden_change_rate"): change}
