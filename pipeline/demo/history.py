"""What happened to an issue between its dates (issue_events) and what its requester said (回访).

Both are drawn from their own random streams (``{seed}:events`` and
``{seed}:callbacks``), so the issues, evaluations and inspections keep the bytes
they had before these were added; only a returned issue's ratings may turn worse.

- Events: a dispatch sent back (回退) and given to the right department (改派),
  an approved extension (延期) mostly for issues that ran late, reminders (催办)
  and supervision (督办) of overdue ones — supervision only of issues flagged
  ``escalated`` — and a reopening (重办) after a 差评 or a 未解决 inspection.
- Callbacks: most evaluations record whether the unit contacted the requester
  (响应) and whether the requester thinks it is solved (解决); both follow the
  rating, and a returned or late issue is answered less kindly.
"""

from __future__ import annotations

import datetime as dt
import random

from pipeline.demo.common import DAY, World, pick

RATINGS_RETURNED = {5: 40, 4: 33, 3: 14, 2: 8, 1: 5}  # a dispatch that bounced between departments
# rating → weights of the requester's own view: resolved, partly, not_resolved
VIEWS = {5: (95, 5, 0), 4: (84, 14, 2), 3: (50, 38, 12), 2: (14, 40, 46), 1: (5, 25, 70)}
NOTES = {
    "returned": ["经核实不属本部门职责，退回重新派单。", "诉求涉及其他部门职能，申请退回。"],
    "reassigned": ["按职责重新确定牵头部门。", "退回后改派至主责部门办理。"],
    "extended": ["涉及多部门协调，申请延期获批。", "需等待施工季节，延期办理获批。", "需办理审批手续，延期获批。"],
    "urged": ["已超期限，电话催办。", "已超期限，书面催办。"],
    "urged_early": ["临近期限仍未办结，发出催办提醒。"],
    "supervised": ["逾期未办结，列入联合督查组督办。", "群众多次反映，联合督查组挂牌督办。"],
    "reopened_rating": ["回访差评，重新交办。"],
    "reopened_inspection": ["体验官核查未解决，重新交办。"],
}


def _note(rng: random.Random, key: str) -> str | None:
    return rng.choice(NOTES[key]) if rng.random() < 0.8 else None


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + DAY * rng.randint(0, max(0, (last - first).days))


def handling_events(rng: random.Random, world: World, issue: dict, due: dt.date, fate: str) -> list[dict]:
    """Events before the issue's resolution (or until as_of while it is open), unordered."""
    assigned = issue["assigned_on"]
    if assigned is None or assigned > world.as_of:
        return []
    end = min(issue.get("resolved_on") or world.as_of, world.as_of)  # nothing after the work ended
    lead, events = issue["lead_department"], []

    def add(kind: str, on: dt.date, department: str | None = None, note: str = "", **extra: object) -> None:
        events.append({"event": kind, "on": min(max(on, assigned), end), "department": department,
                       "note": _note(rng, note or kind), **extra})

    if rng.random() < (0.12 if issue["tier"] == "difficult" else 0.06):
        on = assigned
        for _ in range(2 if rng.random() < 0.2 else 1):
            wrong = rng.choice([d for d in world.departments if d != lead])
            on = on + DAY * rng.randint(0, 2)
            add("returned", on, wrong)
        add("reassigned", on + DAY * rng.randint(0, 1), lead)
    elif rng.random() < 0.02:
        add("reassigned", assigned + DAY * rng.randint(1, 3), lead)
    in_force = due  # the due date in force: the first one, or the last approved extension's
    if rng.random() < {"late": 0.4, "stuck": 0.3}.get(fate, 0.03 if issue["tier"] != "simple" else 0.0):
        asked = _between(rng, assigned, min(due, end))
        in_force = due + DAY * rng.randint(3, 20)
        if fate == "late" and issue.get("resolved_on") and rng.random() < 0.7:
            in_force = max(in_force, issue["resolved_on"])  # the extension covered the work
        add("extended", asked, lead if rng.random() < 0.9 else None, new_due_on=in_force)
    overdue = in_force < (issue.get("resolved_on") or world.as_of)
    if overdue and rng.random() < 0.55:
        add("urged", in_force + DAY * rng.randint(1, 5), lead if rng.random() < 0.7 else None)
    elif not overdue and in_force <= end and rng.random() < 0.02:
        add("urged", _between(rng, assigned, in_force), lead, note="urged_early")
    if issue["escalated"] and rng.random() < 0.85:
        on = in_force + DAY * rng.randint(1, 10) if overdue else _between(rng, assigned, end)
        add("supervised", on, lead if rng.random() < 0.6 else None)
    return events


def returned(events: list[dict]) -> bool:
    return any(e["event"] == "returned" for e in events)


def callbacks(rng: random.Random, as_of: dt.date, evaluations: list[dict], late: bool, bounced: bool) -> None:
    """The requester's answers on each evaluation: rating (worse after a return), contact, solved view."""
    for evaluation in evaluations:
        if bounced:
            was = evaluation["rating"]
            evaluation["rating"] = min(was, pick(rng, RATINGS_RETURNED))
            if was >= 3 and evaluation["rating"] <= 2 and rng.random() < 0.75:  # a new 差评, mostly rectified
                rectified = evaluation["evaluated_on"] + DAY * rng.randint(2, 30)
                evaluation["rectified_on"] = rectified if rectified <= as_of else None
        rating = evaluation["rating"]
        if rng.random() < 0.92:
            chance = 0.97 - 0.08 * late - 0.10 * bounced - (0.15 if rating <= 2 else 0.0)
            evaluation["contacted"] = rng.random() < chance
        if rng.random() < 0.9:
            weights = VIEWS[rating]
            if late or bounced:
                weights = (weights[0] * 0.8, weights[1], weights[2] * 1.3)
            evaluation["resolved_view"] = pick(rng, dict(zip(("resolved", "partly", "not_resolved"), weights)))


def reopenings(rng: random.Random, world: World, issue: dict, evaluations: list[dict],
               inspections: list[dict]) -> list[dict]:
    """重办 after a 差评 or an inspection that found the issue not resolved."""
    events = []
    for evaluation in evaluations:
        on = evaluation["evaluated_on"] + DAY * rng.randint(1, 5)
        if evaluation["rating"] <= 2 and on <= world.as_of and rng.random() < 0.6:
            events.append({"event": "reopened", "on": on, "department": issue["lead_department"],
                           "note": _note(rng, "reopened_rating")})
    for inspection in inspections:
        on = inspection["inspected_on"] + DAY * rng.randint(1, 5)
        if inspection["verdict"] == "not_resolved" and on <= world.as_of and rng.random() < 0.7:
            events.append({"event": "reopened", "on": on, "department": issue["lead_department"],
                           "note": _note(rng, "reopened_inspection")})
    return events


def numbered(issue_id: str, events: list[dict]) -> list[dict]:
    """The events in the order they happened (stable on the same day), numbered from 1."""
    ordered = sorted(events, key=lambda e: e["on"])
    return [{"issue_id": issue_id, "seq": seq, **event} for seq, event in enumerate(ordered, 1)]


def issue_history(rngs: tuple[random.Random, random.Random], world: World, issue: dict,
                  evaluations: list[dict], inspections: list[dict]) -> list[dict]:
    """The issue's events; sets its evaluations' callback answers (and a returned issue's ratings)."""
    rng_events, rng_callbacks = rngs
    fate, due = issue["_fate"], issue["_due"]
    events = handling_events(rng_events, world, issue, due, fate)
    callbacks(rng_callbacks, world.as_of, evaluations, fate == "late", returned(events))
    events += reopenings(rng_events, world, issue, evaluations, inspections)
    return numbered(issue["id"], events)
