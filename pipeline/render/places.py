"""地点: the home page's place picker and one page for every village (社区 included).

The picker (block ``place-picker``) lists county → township/street → village as
nested ``<details>`` with links, so it works without JavaScript: a county's
summary, then a township's link, is two taps from the home page on a phone.

Villages have no page of their own: the one static page ``place/?code=…`` reads
the village's document (its figures, its open issues and recent meetings, each
list bounded) from a small JSON shard, ``api/v1/places/<fnv1a(code) % shards>.json``,
placed as the issue lookup places issues, so the page count never grows with
villages. Figures come from the same breakdown functions the township page's
village table uses (``figures.breakdowns``), formatted by the same filters, so the
two always show the same numbers (tests/test_places.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric
from pipeline.render.env import fraction, number, percent, render
from pipeline.figures.breakdowns import (ISSUE_METRICS, MEETING_METRICS, Figures, breakdown_figures, by_region,
                                       issue_flags, meetings_by_region, open_by_region, region_rows)
from pipeline.render.issues_lookup import fnv1a, shard_count
from pipeline.render.issues_pages import PAGE_LEVELS, VILLAGE_LEVELS
from pipeline.render.issues_records import Names, listed_open_issues, meeting_rows, open_issues_in_order
from pipeline.render.section import Block, File, Part, Rendered, collect

TOWN_LEVELS = ("township", "street")
API_DIR = "api/v1/places"
PAGE = "place/index.md"
OPEN_LIMIT = 30  # open issues listed for a village (most overdue first); the total is stated
MEETING_LIMIT = 10  # most recent meetings listed for a village


# --- the picker -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Tree:
    """Regions by code: names, levels and children in the order of regions.csv."""

    names: dict[str, str]
    levels: dict[str, str]
    children: dict[str, list[str]]

    @classmethod
    def of(cls, ledger: Ledger) -> "Tree":
        regions = ledger.regions.dropna(subset=["code"])
        children: dict[str, list[str]] = {}
        for code, parent in zip(regions["code"], regions["parent_code"]):
            if isinstance(parent, str):
                children.setdefault(parent, []).append(code)
        return cls(names=dict(zip(regions["code"], regions["name"])),
                   levels=dict(zip(regions["code"], regions["level"])), children=children)

    def below(self, code: str, levels: tuple[str, ...]) -> list[str]:
        return [c for c in self.children.get(code, []) if self.levels.get(c) in levels]

    def of_level(self, levels: tuple[str, ...]) -> list[str]:
        return [c for c, level in self.levels.items() if level in levels]


def village_count(ledger: Ledger, tree: Tree, villages: list[str]) -> str:
    """"7 个村", "4 个社区" or "3 个村、2 个社区"."""
    labels = ledger.labels("regions", "level")
    parts = [f"{n} 个{labels.get(level, level)}" for level in VILLAGE_LEVELS
             if (n := sum(tree.levels[v] == level for v in villages))]
    return "、".join(parts)


def picker_counties(ledger: Ledger, tree: Tree) -> list[dict]:
    """County → townships/streets → villages/communities, each level in the order of regions.csv."""
    counties = []
    for county in tree.of_level(("county",)):
        towns = []
        for town in tree.below(county, TOWN_LEVELS):
            villages = tree.below(town, VILLAGE_LEVELS)
            towns.append({"code": town, "name": tree.names[town], "count": village_count(ledger, tree, villages),
                          "villages": [{"code": v, "name": tree.names[v]} for v in villages]})
        counties.append({"code": county, "name": tree.names[county], "towns": towns,
                         "count": f"{len(towns)} 个乡镇（街道）"})
    return counties


def picker_block(ledger: Ledger, tree: Tree) -> str:
    return render("block_place_picker.html.j2", counties=picker_counties(ledger, tree))


# --- one document per village ---------------------------------------------------------------

def figure(name: str, metric: Metric) -> dict:
    """A figure as the pages show it: the township page's cells and cards use the same filters."""
    spec = METRICS[name]
    if spec.kind == "rate":
        text, detail = percent(metric), fraction(metric)
    elif spec.kind == "days":
        text = "—" if metric.value is None else f"{number(metric.value)} 天"
        detail = f"基于 {number(metric.denominator)} 件"
    else:
        text, detail = number(metric.value), ""
    return {"name": name, "title": spec.title_zh, "kind": spec.kind, "text": text, "detail": detail,
            "metric": metric.to_dict()}


def open_issue_entry(row: dict) -> dict:
    return {key: row[key] for key in ("id", "title", "lead", "due", "state", "days", "timing", "escalated")}


def meeting_entry(row: dict) -> dict:
    return {key: row[key] for key in ("id", "held_on", "mechanism", "host", "departments", "persons")}


def first_rows(regions: Iterable[str], owners: dict[str, list[str]], limit: int) -> list[int]:
    """Positions of the rows some village lists when each of a row's villages (``owners`` of its region)
    lists its first ``limit`` rows in this order: the rows the others can leave unwritten."""
    counts: dict[str, int] = {}
    kept = []
    for position, region in enumerate(regions):
        wanted = False
        for village in owners.get(region, ()):
            if counts.get(village, 0) < limit:
                counts[village] = counts.get(village, 0) + 1
                wanted = True
        if wanted:
            kept.append(position)
    return kept


@dataclass(frozen=True)
class Villages:
    """What every village's document reads, computed once per build."""

    ledger: Ledger
    names: Names
    codes: list[str]
    issues: dict[str, Figures]  # village → the township page's village-table figures
    meetings: dict[str, Figures]

    @classmethod
    def of(cls, ledger: Ledger, tree: Tree) -> "Villages":
        codes = tree.of_level(VILLAGE_LEVELS)
        flags = issue_flags(ledger, ledger.issues)
        return cls(ledger=ledger, names=Names.of(ledger), codes=codes,
                   issues=breakdown_figures(ledger, "region", codes, flags=flags),
                   meetings=meetings_by_region(ledger, codes))

    def places(self, code: str, levels: dict[str, str]) -> list[dict]:
        """The regions above the village, top first; those with a page carry its address (from the site root)."""
        return [{"code": c, "name": self.names.regions.get(c, c),
                 "level": levels.get(self.names.levels.get(c), self.names.levels.get(c)),
                 "href": f"issues/region/{c}/" if self.names.levels.get(c) in PAGE_LEVELS else None}
                for c in self.names.chain(code)[:-1]]

    def owners(self) -> dict[str, list[str]]:
        """Region code → the villages it counts in (its own village; everything below a village counts in it)."""
        owners: dict[str, list[str]] = {}
        for village in self.codes:
            for code in self.ledger.region_codes(village):
                owners.setdefault(code, []).append(village)
        return owners

    def listed(self) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
        """Each village's listed open issues and meetings, in the order and number its own call of
        ``open_issue_rows``/``meeting_rows`` would give: every village's rows are ordered at once (a metric
        function's pandas overhead per village would cost seconds at thousands of villages), each village
        keeps its first rows (a stable sort of all rows keeps each village's rows in their order), and only
        the rows some village keeps are written out (at a million issues, 400 of 133,801 meetings)."""
        ledger, owners = self.ledger, self.owners()
        issues, meetings = ledger.issues, ledger.meetings
        issues = issues[issues["region_code"].isin(owners) & ~issues["done"] & ~issues["withdrawn"]]
        meetings = meetings[meetings["region_code"].isin(owners)]
        ordered = open_issues_in_order(ledger, issues)
        kept = first_rows(issues.loc[ordered.index, "region_code"], owners, OPEN_LIMIT)
        open_lists: dict[str, list[dict]] = {code: [] for code in self.codes}
        for row in listed_open_issues(ledger, issues, ordered.iloc[kept], self.names):
            for village in owners[row["region_code"]]:
                if len(open_lists[village]) < OPEN_LIMIT:
                    open_lists[village].append(open_issue_entry(row))
        newest = meetings.sort_values(["held_on", "id"], ascending=[False, True], kind="stable")  # meeting_rows' order
        newest = newest.iloc[first_rows(newest["region_code"], owners, MEETING_LIMIT)]
        meeting_lists: dict[str, list[dict]] = {code: [] for code in self.codes}
        region_of = dict(zip(newest["id"], newest["region_code"]))  # the primary key: one row per id
        for row in meeting_rows(ledger, newest, self.names):
            for village in owners[region_of[row["id"]]]:
                if len(meeting_lists[village]) < MEETING_LIMIT:
                    meeting_lists[village].append(meeting_entry(row))
        return open_lists, meeting_lists

    def documents(self) -> Iterator[tuple[str, dict]]:
        """(code, document) of every village, in the order of regions.csv."""
        ledger, names = self.ledger, self.names
        meeting_groups = by_region(ledger.meetings)
        open_counts = open_by_region(ledger, list(self.codes))
        levels = ledger.labels("regions", "level")
        open_lists, meeting_lists = self.listed()
        for code in self.codes:
            figures = {**self.issues[code], **self.meetings[code]}
            yield code, {
                "code": code, "name": names.regions[code],
                "level": levels.get(names.levels[code], names.levels[code]), "places": self.places(code, levels),
                "figures": [figure(name, figures[name]) for name in ISSUE_METRICS + MEETING_METRICS],
                "open": {"total": open_counts[code],
                         "overdue": figures["overdue_open"].value, "limit": OPEN_LIMIT, "listed": open_lists[code]},
                "meetings": {"total": len(region_rows(ledger, meeting_groups, code)), "limit": MEETING_LIMIT,
                             "listed": meeting_lists[code]},
            }


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def shard_files(documents: dict[str, dict], as_of: str) -> tuple[int, list[tuple[str, str]]]:
    """(shard count, [(path, content)]): every village's document in shard fnv1a(code) % count, as the issue
    lookup places issues (``issues_lookup.shard_count`` keeps each shard under its limit); every shard exists,
    so an unknown code is answered from a shard, never by a missing file."""
    bodies = {code: dump(document) for code, document in sorted(documents.items())}
    count = shard_count({code: len(body.encode("utf-8")) + len(code) + 4 for code, body in bodies.items()})
    shards: list[list[str]] = [[] for _ in range(count)]
    for code, body in bodies.items():
        shards[fnv1a(code) % count].append(f"{dump(code)}:{body}")
    head = '{"as_of":' + dump(as_of) + ',"places":{'
    files = [(f"{API_DIR}/{n}.json", head + ",".join(entries) + "}}\n") for n, entries in enumerate(shards)]
    files.append((f"{API_DIR}/index.json", json.dumps(
        {"as_of": as_of, "hash": "fnv1a-32 over the UTF-8 bytes of the region code, modulo shards",
         "path": f"{API_DIR}/<hash % shards>.json", "shards": count, "places": len(bodies)},
        ensure_ascii=False, sort_keys=True, indent=2) + "\n"))
    return count, files


def place_page(ledger: Ledger, shards: int) -> str:
    return render("places_page.md.j2", as_of=ledger.as_of.strftime("%Y-%m-%d"), shards=shards, root="../")


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    tree = Tree.of(ledger)
    yield Block("place-picker", picker_block(ledger, tree))
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    count, files = shard_files(dict(Villages.of(ledger, tree).documents()), as_of)
    yield File(PAGE, place_page(ledger, count))
    # Only the village page's script reads the shards (no page links one): verbatim, past mkdocs.
    for path, content in files:
        yield File(path, content, verbatim=True)


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)

