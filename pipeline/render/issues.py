"""问题办理 section: overview, region pages, department league, overdue list, issue lookup, API (the
issue search is a section of its own: pipeline/render/issues_search.py).

Pages: 1 overview + 1 per county and township/street + league + overdue + lookup,
so the page count grows with regions, never with issues. Issues themselves are
published as JSON shards read by the one lookup page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pipeline.core.ledger import Ledger
from pipeline.core.memory import release_freed_memory
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.figures.breakdowns import DIMENSIONS, ISSUE_METRICS, Figures, league_window, with_frames
from pipeline.render.issues_league import MIN_CASES, departments_page, overdue_csv, overdue_page
from pipeline.render.issues_lookup import API_DIR, Shards
from pipeline.render.issues_pages import Context, overview_page, region_pages
from pipeline.render.issues_records import Names
from pipeline.render.section import File, Part, Rendered, as_files, collect


# What the pages read of an issue: its metric columns, the columns placing it in a dimension, and
# what a listed issue shows (tests fail with a KeyError when a page reads another one).
PAGE_COLUMNS = ["id", "title", "region_code", "lead_department", "mechanism", "category", "tier", "month",
                "raised_on", "due", "resolved_on", "done", "withdrawn", "resolved_at_level", "escalated"]


def dimension_labels(ledger: Ledger, names: Names) -> dict[str, dict[str, str]]:
    labels = {"region": names.regions, "department": names.departments}
    for dimension in ("mechanism", "category", "tier"):
        labels[dimension] = ledger.labels("issues", dimension)
    return labels


def breakdowns_document(ledger: Ledger, names: Names, breakdowns: dict[str, dict[str, Figures]]) -> str:
    """Every issue metric by every dimension, as the pages show them (rates as fractions)."""
    labels = dimension_labels(ledger, names)
    window = league_window(ledger)
    payload = {
        "as_of": ledger.as_of.strftime("%Y-%m-%d"),
        "metrics": list(ISSUE_METRICS),
        "league": {"window": {"first_month": window.first, "last_month": window.last}, "min_cases": MIN_CASES},
        "dimensions": {dimension: {value: {"label": labels.get(dimension, {}).get(value, value),
                                           **{name: metric.to_dict() for name, metric in figures.items()}}
                                   for value, figures in breakdowns[dimension].items()}
                       for dimension in DIMENSIONS},
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def lookup_page(ledger: Ledger, shards: int) -> str:
    ids = ledger.issues["id"].dropna()
    return render("issues_lookup.md.j2", shards=shards, as_of=ledger.as_of.strftime("%Y-%m-%d"),
                  example=ids.iloc[0] if len(ids) else "Q-2026-00001", root="../")


def page_ledger(ledger: Ledger) -> Ledger:
    """The ledger with only the issue columns the pages read (the lookup shards read them all):
    a region's or a list's rows are then copies of a dozen columns, not of every text column."""
    return with_frames(ledger, issues=ledger.issues[PAGE_COLUMNS])


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    pages = page_ledger(ledger)
    ctx = Context.of(pages)
    yield File("issues/index.md", overview_page(ctx, metrics))
    yield File("issues/departments.md", departments_page(pages, ctx.names))
    yield File("issues/overdue.md", overdue_page(ctx, metrics))
    yield File("issues/overdue.csv", overdue_csv(pages, ctx.names))
    yield File(f"{API_DIR}/breakdowns.json", breakdowns_document(pages, ctx.names, ctx.breakdowns))
    yield from as_files(region_pages(ctx))
    names = ctx.names
    del ctx, pages  # the pages' figures are written; the shards need only the names
    release_freed_memory(ledger.records)
    shards = Shards(ledger, names)
    yield File("issue/index.md", lookup_page(ledger, shards.count))
    # Compact bytes, a chunk of shards at a time: each is written before the next chunk is built.
    # Only the lookup page's script reads a shard (no page links one): they go into the built site
    # as they are, past mkdocs, which would copy them once more. The index stays a documented example.
    for path, content in shards.files(ledger.as_of.strftime("%Y-%m-%d")):
        yield File(path, content, verbatim=path != f"{API_DIR}/index.json")


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
