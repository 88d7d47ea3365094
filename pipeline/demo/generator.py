"""Synthetic demo data package (示例数据) for Sunshine Ledger.

``generate(out_dir)`` writes ``datapackage.json``, every CSV resource of
``pipeline/standard.json`` and ``demo.json`` (the arguments it was called with,
so that the package can be regenerated and compared byte for byte; a package
of real data has no such file): fictional regions (codes beginning with 99), city
departments, the official rest days, meetings, issues (one file per year of
``raised_on``) with their handling events (issue_events), devolved items with
their take-up, every township's and street's duty lists (duty_items), third-party
evaluations with the requesters' callback answers, surveys, inspections and a few
published claims to check against the records. The modules: common (shared
helpers), issues (meetings, issues, outcomes), history (events and callbacks),
items (devolved items), duties (duty lists), claims (surveys and claims).

The data obeys the table schema and every cross-field rule of the data
standard, so the site and the validator can be exercised end to end.

Design notes:
- Deterministic: every random choice comes from ``random.Random`` instances
  seeded from ``seed`` (one stream per resource, so that changing one resource
  does not reshuffle the others); iteration is over lists and insertion-ordered
  dicts only.
- Streaming: issues are generated day by day and written at once, together
  with their evaluations, inspections and events; memory holds one month of meetings
  and a few counters, so a million issues take flat memory.
- Within the host's limit: a file over 50 MB is then split by month (a year of issues into
  ``issues/YYYY/YYYY-MM.csv``, see pipeline/core/layout.py); smaller packages keep one file per
  resource and one per year of issues.
"""


from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from pipeline.demo import text as T
from pipeline.core.workdays import WorkCalendar, official_rest_days
from pipeline.core.csv_write import write_csv
from pipeline.core.layout import within_limit
from pipeline.demo.claims import REPORTED_CLAIMS, build_claims, build_surveys
from pipeline.demo.common import DAY, DEADLINE_RULES, START, World
from pipeline.demo.duties import build_duty_items
from pipeline.demo.issues import write_meetings_and_issues
from pipeline.demo.items import build_devolutions, build_item_cases, build_items
from pipeline.demo.manifest import MANIFEST, check_target, write_manifest

STANDARD = Path(__file__).resolve().parent.parent / "standard.json"
MARKER = MANIFEST  # demo.json, written beside datapackage.json; not a resource
__all__ = ["MARKER", "REPORTED_CLAIMS", "STANDARD", "generate"]


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



# --- the package ---------------------------------------------------------------------

def generate(out_dir: Path, *, issues: int = 3000, seed: int = 20261031,
             as_of: dt.date = dt.date(2026, 10, 31), limit: int | None = None) -> dict:
    """Write the demo data package into ``out_dir``; return the row count of every resource.

    A file over ``limit`` (the git host's 50 MB; smaller only in tests) is split by month
    (pipeline/core/layout.py), and the descriptor lists the files that were written."""
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
    counts["duty_items"] = write_csv(out_dir / "duty_items.csv", fields["duty_items"],
                                     build_duty_items(random.Random(f"{seed}:duties"), units, items, devolutions, as_of))
    counts["surveys"] = write_csv(out_dir / "surveys.csv", fields["surveys"],
                                  build_surveys(random.Random(f"{seed}:surveys"), world))
    counts["claims"] = write_csv(out_dir / "claims.csv", fields["claims"], build_claims(world, items))

    descriptor["as_of"] = as_of.isoformat()
    for resource in descriptor["resources"]:
        if resource["name"] == "issues":
            resource["path"] = issue_paths
        resource["path"] = within_limit(out_dir, resource["name"], resource["path"], limit)
    (out_dir / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8", newline="\n")
    write_manifest(out_dir, {"issues": issues, "seed": seed, "as_of": as_of.isoformat()})
    return {r["name"]: counts[r["name"]] for r in descriptor["resources"] if r["name"] in counts}
