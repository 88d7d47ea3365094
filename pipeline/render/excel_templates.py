"""Excel templates on the site: downloads/templates/<resource>.xlsx, one per resource, with the
package's departments and places as code sheets and drop-downs of names, and the list of them on
the 参与贡献 page (marker ``<!-- ledger:template-downloads -->``)."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.core.dictionary import dictionary_rows
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.render.section import Block, File, Part, Rendered, collect
from pipeline.contribute.workbook import code_lists, template_bytes

FOLDER = "downloads/templates"


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    package = ledger.package
    lists = code_lists(package, ledger.departments, ledger.regions)
    listed = []
    for name in package.resource_names:
        path = f"{FOLDER}/{name}.xlsx"
        content = template_bytes(package, name, lists)
        yield File(path, content)
        rows = dictionary_rows(package, name)
        listed.append({"name": name, "title": package.resource(name).get("title") or name, "path": path,
                       "columns": len(rows), "required": sum(row.required for row in rows),
                       "size_kb": max(1, round(len(content) / 1024))})
    yield Block("template-downloads", render("block_template_downloads.html.j2", templates=listed))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
