"""Rendering: each site section turns the ledger and its figures into blocks and files.

A section is a module with ``stream(ledger, metrics)``, a generator of blocks
and files (``pipeline.render.section``). ``render_all`` hands each file to
``write`` as soon as it is rendered, so no section's files are ever all in
memory, and fails when two sections render the same block name or file path.
The pages describing the downloads come from the export stage's ``Manifest``
(``pipeline.render.downloads_pages``), after every section but the issue search,
whose index is rendered last: render reads what the export wrote, never runs it.

A section may also have ``data_stream(ledger, metrics)``: files that only the site's scripts read
(all verbatim: mkdocs never sees them), with ``stream`` then yielding its pages and blocks alone.
Every section's ``stream`` comes first; ``pages_done(blocks)`` is then called (the build starts
mkdocs on the finished pages there) and the data streams follow, while mkdocs works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from typing import TYPE_CHECKING

from pipeline.core.ledger import Ledger
from pipeline.core.memory import release_freed_memory
from pipeline.figures.metrics import Metric, compute_all
from pipeline.render.section import File, Part, Parts

if TYPE_CHECKING:
    from pipeline.export.manifest import Manifest

# Renders from the export's manifest: ``stream(ledger, manifest)``; in SECTIONS, where it is rendered.
DOWNLOAD_PAGES = "pipeline.render.downloads_pages"
SECTIONS = [
    "pipeline.render.home",
    "pipeline.render.reference",
    "pipeline.render.issues",
    "pipeline.render.places",
    "pipeline.render.downloads",
    "pipeline.render.claims",
    "pipeline.render.items",
    "pipeline.render.outcomes",
    "pipeline.render.officers",
    "pipeline.render.rankings",
    "pipeline.render.burden",
    "pipeline.render.excel_templates",
    "pipeline.render.site_search",
    DOWNLOAD_PAGES,
    # After the download pages, which wait for the downloads' process: the search index is the render's
    # largest peak of memory, and the process runs beside every section before this one.
    "pipeline.render.issues_search",
]


def render_all(ledger: Ledger, write: Callable[[File], None], sections: list[str] = SECTIONS, *,
               metrics: dict[str, Metric] | None = None,
               manifest: Manifest | Callable[[], Manifest] | None = None,
               pages_done: Callable[[dict[str, str]], None] | None = None) -> dict[str, str]:
    """Every section's files through ``write(file)``, as rendered; returns the blocks (name → HTML).

    ``metrics``: the figures stage's output (computed here when not given); ``manifest``: the export
    stage's, from which the pages describing the downloads are rendered where ``sections`` lists
    DOWNLOAD_PAGES (last if it is not listed), or a function that returns it (called there: the
    downloads may still be written meanwhile); None, as in tests of the sections alone: those pages
    are not rendered. ``pages_done(blocks)``: called once every page and block is written, before
    the sections' data streams (whose files must all be verbatim: raises ``ScriptDataNotVerbatim``)."""
    metrics = compute_all(ledger) if metrics is None else metrics
    parts = Parts(write)
    data_streams = []
    for name in [*sections, *([] if DOWNLOAD_PAGES in sections else [DOWNLOAD_PAGES])]:
        if name == DOWNLOAD_PAGES:
            if manifest is not None:
                manifest = manifest() if callable(manifest) else manifest
                parts.take(DOWNLOAD_PAGES, import_module(DOWNLOAD_PAGES).stream(ledger, manifest))
            continue
        module = import_module(name)
        parts.take(name, module.stream(ledger, metrics))
        if hasattr(module, "data_stream"):
            data_streams.append((name, module.data_stream))
        release_freed_memory()  # a section's frames are gone: the next one starts from the ledger alone
    if pages_done is not None:
        pages_done(parts.blocks)
    for name, data_stream in data_streams:
        parts.take(name, only_verbatim(name, data_stream(ledger, metrics)))
        release_freed_memory()
    return parts.blocks


class ScriptDataNotVerbatim(Exception):
    """A section's data stream yielded a page or a block: mkdocs may already be building the pages."""


def only_verbatim(section: str, parts: Iterable[Part]) -> Iterator[Part]:
    for part in parts:
        if not (isinstance(part, File) and part.verbatim):
            what = f"file {part.path!r}" if isinstance(part, File) else f"block {part.name!r}"
            raise ScriptDataNotVerbatim(f"{section}'s data stream renders {what}, which is not a verbatim file")
        yield part
