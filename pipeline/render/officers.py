"""体验官待核查清单: per township/street, the issues reform experience officers have left to check.

One static page, ``officers/?town=CODE[&officer=TYG-…][&wait=DAYS]``, reads the township's JSON
documents under ``api/v1/officers/<code>/``, as ``place/?code=`` and ``issue/?id=`` read theirs:

- ``index.json``: the township's counts, the officer codes seen in it, every still-disputed issue
  with all its checks, and the chunks of the not-yet-inspected list (with each chunk's waiting days);
- ``<n>.json``: the not-yet-inspected issues, CHUNK to a file, oldest resolution first.

Why not a page per township: township pages are allowed by the page-count rule, but a township's
lists grow with its issues (at a million issues about 700,000 are never inspected, thousands per
township), so a generated page would break the 200 KB page limit, and its officer and waiting-time
filters would still need the script. Chunks keep each request small: the page loads the index and
the first chunk; a waiting-time filter keeps a prefix of the list (it is oldest first), so the script
fetches further chunks only while they can still hold a match.

Without JavaScript the page still lists every township with its counts (it grows with townships
only). The figures come from ``pipeline.figures.inspections``; templates and officer-list.js own the markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures import inspections as fi
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.render.issues_records import Names, iso
from pipeline.render.section import File, Part, Rendered, collect

PAGE = "officers/index.md"
API_DIR = "api/v1/officers"
CHUNK = 500  # not-yet-inspected issues per file: about 100 KB at most


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def _days(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else "—"


def issue_texts(ledger: Ledger, ids: pd.Series) -> dict[str, tuple[str, str]]:
    """Issue id → (title, lead department code), for the ``ids`` listed only."""
    issues = ledger.issues
    rows = issues.loc[issues["id"].isin(ids), ["id", "title", "lead_department"]].drop_duplicates("id")
    return {i: (t, d) for i, t, d in zip(rows["id"], rows["title"], rows["lead_department"])}


def entries(ledger: Ledger, frame: pd.DataFrame, names: Names, town: str) -> list[dict]:
    """Rows of ``fi.uninspected``/``fi.disputed`` as the page shows them (names instead of codes)."""
    texts = issue_texts(ledger, frame["id"])
    out = []
    for rec in frame.to_dict("records"):
        title, lead = texts.get(rec["id"], (None, None))
        entry = {"id": rec["id"], "title": _text(title), "place": names.place(rec["region_code"], town),
                 "lead": names.department(lead), "resolved_on": iso(rec["resolved_on"]),
                 "days": _days(rec["waiting_days"])}
        if "disputed_on" in rec:
            entry["disputed_on"] = iso(rec["disputed_on"])
        out.append(entry)
    return out


def check_entries(ledger: Ledger, checks: list[dict]) -> list[dict]:
    verdicts = ledger.labels("inspections", "verdict")
    return [{"date": iso(c["inspected_on"]), "officer": _text(c["officer"]), "verdict": c["verdict"],
             "label": verdicts.get(c["verdict"], "—"), "note": c["note"] if isinstance(c["note"], str) else ""}
            for c in checks]


def town_documents(ledger: Ledger, waiting: pd.DataFrame, still: pd.DataFrame,
                   counts: dict[str, fi.TownCounts]) -> Iterator[tuple[str, str]]:
    """(path, JSON) of every township's index and chunks, townships in the order of regions.csv;
    ``waiting``, ``still`` and ``counts``: ``fi.uninspected``, ``fi.disputed`` and ``fi.town_counts``."""
    names = Names.of(ledger)
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    officers = fi.officers_by_town(ledger)
    waiting_rows, still_rows = fi.by_town(waiting), fi.by_town(still)
    checks = fi.checks_of(ledger, still["id"])
    for town in fi.towns(ledger):
        listed = waiting.iloc[waiting_rows.get(town, [])]
        disputes = entries(ledger, still.iloc[still_rows.get(town, [])], names, town)
        for entry in disputes:
            entry["checks"] = check_entries(ledger, checks.get(entry["id"], []))
        chunks = []
        for n, start in enumerate(range(0, len(listed), CHUNK)):
            part = entries(ledger, listed.iloc[start:start + CHUNK], names, town)
            days = [e["days"] for e in part if e["days"] is not None]
            chunks.append({"file": f"{n}.json", "count": len(part),
                           "most_days": max(days) if days else None, "least_days": min(days) if days else None})
            yield f"{API_DIR}/{town}/{n}.json", dump({"as_of": as_of, "town": town, "chunk": n, "issues": part})
        parent = names.parents.get(town)
        yield f"{API_DIR}/{town}/index.json", dump({
            "as_of": as_of, "code": town, "name": names.regions.get(town, town),
            "level": ledger.labels("regions", "level").get(names.levels.get(town), ""),
            "county": names.regions.get(parent, "") if parent else "", "region_page": f"issues/region/{town}/",
            "counts": asdict(counts[town]), "officers": officers.get(town, []), "disputed": disputes,
            "uninspected": {"total": counts[town].uninspected, "chunk_size": CHUNK, "chunks": chunks},
        })


def chooser(ledger: Ledger, counts: dict[str, fi.TownCounts]) -> list[dict]:
    """Counties → their townships/streets with counts: the page's list without JavaScript."""
    names = Names.of(ledger)
    counties: dict[str, dict] = {}
    for town in fi.towns(ledger):
        parent = names.parents.get(town, "")
        county = counties.setdefault(parent, {"code": parent, "name": names.regions.get(parent, "—"), "towns": []})
        county["towns"].append({"code": town, "name": names.regions.get(town, town), **asdict(counts[town])})
    return list(counties.values())


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    waiting, still = fi.uninspected(ledger), fi.disputed(ledger)
    counts = fi.town_counts(ledger, waiting, still)
    yield File(PAGE, render("officers_page.md.j2", as_of=as_of, counties=chooser(ledger, counts), root="../",
                            api=f"../{API_DIR}/", chunk=CHUNK))
    # Only the page's script reads the documents (no page links one): verbatim, past mkdocs.
    for path, content in town_documents(ledger, waiting, still, counts):
        yield File(path, content, verbatim=True)


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
