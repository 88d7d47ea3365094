"""Rendering: each site section turns the ledger and its figures into blocks and files.

A section is a module with ``stream(ledger, metrics)``, a generator of blocks
and files (``pipeline.render.section``). ``render_all`` hands each file to
``write`` as soon as it is rendered, so no section's files are ever all in
memory, and fails when two sections render the same block name or file path.
The pages describing the downloads come from the export stage's ``Manifest``
(``pipeline.render.downloads_pages``), after every section's pages: render reads
what the export wrote, never runs it.

A section may also have ``data_stream(ledger, metrics)``: files that only the site's scripts read
(all verbatim: mkdocs never sees them), with ``stream`` then yielding its pages and blocks alone.
Every section's ``stream`` comes first, the download pages excepted. The data streams then run on a
thread of their own, while this one waits for the downloads' manifest, renders the download pages and
calls ``pages_done(blocks)`` (the build starts mkdocs on the finished pages there): the data need
neither the manifest nor mkdocs, and at a million issues they are a third of the render (the search
index), which before waited for the downloads' process to finish.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
    "pipeline.render.issues_search",
]  # and DOWNLOAD_PAGES after every section's pages, from the manifest


def render_all(ledger: Ledger, write: Callable[[File], None], sections: list[str] = SECTIONS, *,
               metrics: dict[str, Metric] | None = None,
               manifest: Manifest | Callable[[], Manifest] | None = None,
               pages_done: Callable[[dict[str, str]], None] | None = None) -> dict[str, str]:
    """Every section's files through ``write(file)``, as rendered; returns the blocks (name → HTML).

    ``metrics``: the figures stage's output (computed here when not given); ``manifest``: the export
    stage's, from which the pages describing the downloads are rendered after every section's pages,
    or a function that returns it (called then: the downloads may still be written meanwhile); None,
    as in tests of the sections alone: those pages are not rendered. ``pages_done(blocks)``: called
    once every page and block is written. The sections' data streams (whose files must all be
    verbatim: raises ``ScriptDataNotVerbatim``) run on a thread of their own meanwhile, from the
    moment the sections' pages are written; this returns when they are done too."""
    metrics = compute_all(ledger) if metrics is None else metrics
    parts = Parts(write)
    data_streams = []
    for name in sections:
        if name == DOWNLOAD_PAGES:
            continue
        module = import_module(name)
        parts.take(name, module.stream(ledger, metrics))
        if hasattr(module, "data_stream"):
            data_streams.append((name, module.data_stream))
        release_freed_memory(ledger.records)  # a section's frames are gone: the next one starts from the ledger alone
    stop = threading.Event()

    def scripts_data() -> None:
        for name, data_stream in data_streams:
            parts.take(name, only_verbatim(name, until(stop, data_stream(ledger, metrics))))
            release_freed_memory(ledger.records)

    # Leaving the pool waits for the data's thread, also after an error here (told to stop at its next file).
    # Meanwhile this thread reads only the package and the manifest, never the frames the data streams read.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scripts-data") as beside:
        data = beside.submit(contextvars.copy_context().run, scripts_data)  # e.g. the build's stage cache
        try:
            if manifest is not None:
                manifest = manifest() if callable(manifest) else manifest
                parts.take(DOWNLOAD_PAGES, import_module(DOWNLOAD_PAGES).stream(ledger, manifest))
            if data.done() and data.exception() is not None:
                data.result()  # it failed already: raise it before mkdocs starts on pages that will not publish
            if pages_done is not None:
                pages_done(parts.blocks)
        except BaseException:
            stop.set()
            raise
        data.result()
    return parts.blocks


def until(stop: threading.Event, parts: Iterable[Part]) -> Iterator[Part]:
    """``parts`` until ``stop`` is set (the other thread failed): then nothing more is rendered."""
    for part in parts:
        if stop.is_set():
            return
        yield part


class ScriptDataNotVerbatim(Exception):
    """A section's data stream yielded a page or a block: mkdocs may already be building the pages."""


def only_verbatim(section: str, parts: Iterable[Part]) -> Iterator[Part]:
    for part in parts:
        if not (isinstance(part, File) and part.verbatim):
            what = f"file {part.path!r}" if isinstance(part, File) else f"block {part.name!r}"
            raise ScriptDataNotVerbatim(f"{section}'s data stream renders {what}, which is not a verbatim file")
        yield part
