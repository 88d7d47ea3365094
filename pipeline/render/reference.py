"""Reference pages: the data dictionary, metric definitions and finding codes,
all generated from the schemas and the code so that they cannot drift.

The dictionary pages (one per resource) also list that resource's downloads
with their sizes and checksums, so they are rendered after the export stage
(``pipeline.render.downloads_pages``); the blocks here are rendered with the
other sections.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.core.codes import CODES
from pipeline.core.dictionary import dictionary_rows
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric
from pipeline.core.package import DataPackage
from pipeline.render.env import render
from pipeline.render.section import Block, Part, Rendered, collect


def metric_definitions_block() -> str:
    return render("block_metrics.html.j2", specs=list(METRICS.values()))


def codes_block() -> str:
    return render("block_codes.html.j2", codes=list(CODES.values()))


def resource_facts(package: DataPackage, name: str, rows: int) -> dict:
    """What a dictionary page says about a resource besides its fields."""
    res = package.resource(name)
    schema = res["schema"]
    titles = {r["name"]: r.get("title") or r["name"] for r in package.descriptor["resources"]}
    keys = []
    for fk in schema.get("foreignKeys", []):
        target = fk["reference"].get("resource") or name  # "" is the resource itself
        keys.append({"fields": fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]],
                     "resource": target, "resource_title": titles.get(target, target),
                     "target": fk["reference"]["fields"] if isinstance(fk["reference"]["fields"], list)
                     else [fk["reference"]["fields"]]})
    primary = schema.get("primaryKey", [])
    return {"name": name, "title": titles[name], "description": res.get("description", ""), "rows": rows,
            "primary_key": [primary] if isinstance(primary, str) else primary, "foreign_keys": keys,
            "fields": dictionary_rows(package, name)}


def dictionary_page(package: DataPackage, name: str, rows: int, files: list[dict], sheets: list[str],
                    xlsx_path: str) -> str:
    """data/dictionary/<name>.md: the resource's fields and its downloads (``files``: sized download rows)."""
    return render("downloads_dictionary.md.j2", res={**resource_facts(package, name, rows), "files": files,
                                                     "sheets": sheets},
                  as_of=package.as_of.isoformat(), xlsx_path=xlsx_path)


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    yield Block("metric-definitions", metric_definitions_block())
    yield Block("finding-codes", codes_block())


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
