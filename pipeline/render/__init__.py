"""Rendering: each site section turns the ledger into blocks and files.

A section is a module with ``stream(ledger, metrics)``, a generator of blocks
and files (``pipeline.render.section``). ``render_all`` hands each file to
``write`` as soon as it is rendered, so no section's files are ever all in
memory, and fails when two sections render the same block name or file path.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import compute_all
from pipeline.render.section import File, Parts

SECTIONS = [
    "pipeline.render.home",
    "pipeline.render.reference",
    "pipeline.render.issues",
    "pipeline.render.places",
    "pipeline.render.downloads",
    "pipeline.render.claims",
    "pipeline.render.items",
    "pipeline.render.outcomes",
    "pipeline.render.excel_templates",
]


def render_all(ledger: Ledger, write: Callable[[File], None], sections: list[str] = SECTIONS) -> dict[str, str]:
    """Every section's files through ``write(file)``, as rendered; returns the blocks (name → HTML)."""
    metrics = compute_all(ledger)
    parts = Parts(write)
    for name in sections:
        parts.take(name, import_module(name).stream(ledger, metrics))
    return parts.blocks
