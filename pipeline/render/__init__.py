"""Rendering: each site section turns the ledger and its figures into blocks and files.

A section is a module with ``stream(ledger, metrics)``, a generator of blocks
and files (``pipeline.render.section``). ``render_all`` hands each file to
``write`` as soon as it is rendered, so no section's files are ever all in
memory, and fails when two sections render the same block name or file path.
The pages describing the downloads come last, from the export stage's
``Manifest`` (``pipeline.render.downloads_pages``): render reads what the export
wrote, never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from pipeline.core.ledger import Ledger
from pipeline.core.memory import release_freed_memory
from pipeline.figures.metrics import Metric, compute_all
from pipeline.render.section import File, Parts

if TYPE_CHECKING:
    from pipeline.export.manifest import Manifest

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
]
# Renders from the export's manifest: ``stream(ledger, manifest)``.
DOWNLOAD_PAGES = "pipeline.render.downloads_pages"


def render_all(ledger: Ledger, write: Callable[[File], None], sections: list[str] = SECTIONS, *,
               metrics: dict[str, Metric] | None = None,
               manifest: Manifest | Callable[[], Manifest] | None = None) -> dict[str, str]:
    """Every section's files through ``write(file)``, as rendered; returns the blocks (name → HTML).

    ``metrics``: the figures stage's output (computed here when not given); ``manifest``: the export
    stage's, from which the pages describing the downloads are rendered, or a function that returns it
    (called after every other section: the export's database may still be written meanwhile; None, as
    in tests of the sections alone: those pages are not rendered)."""
    metrics = compute_all(ledger) if metrics is None else metrics
    parts = Parts(write)
    for name in sections:
        parts.take(name, import_module(name).stream(ledger, metrics))
        release_freed_memory()  # a section's frames are gone: the next one starts from the ledger alone
    if manifest is not None:
        manifest = manifest() if callable(manifest) else manifest
        parts.take(DOWNLOAD_PAGES, import_module(DOWNLOAD_PAGES).stream(ledger, manifest))
    return parts.blocks
