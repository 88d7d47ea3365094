"""Devolved items (赋权事项), the townships that took them over, and their monthly cases."""

from __future__ import annotations

import datetime as dt
import random

from pipeline.demo import text as T
from pipeline.demo.common import DAY, START, month_index, month_text, poisson

CASE_RATE = {"licensing": 3.0, "inspection": 4.0, "payment": 3.0, "public_service": 3.0, "penalty": 1.2}


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

