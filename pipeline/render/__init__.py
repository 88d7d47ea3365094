"""Rendering: each site section turns the ledger into blocks and files.

A section is a module with ``render_section(ledger, metrics) -> Rendered``.
Sections never share a block name or a file path; ``render_all`` checks that.
"""

from __future__ import annotations

from importlib import import_module

from pipeline.frames import Ledger
from pipeline.metrics import compute_all
from pipeline.render.section import Rendered

SECTIONS = [
    "pipeline.render.home",
    "pipeline.render.reference",
    "pipeline.render.issues",
    "pipeline.render.downloads",
    "pipeline.render.claims",
    "pipeline.render.items",
    "pipeline.render.outcomes",
    "pipeline.render.templates_section",
]


def render_all(ledger: Ledger) -> Rendered:
    metrics = compute_all(ledger)
    blocks: dict[str, str] = {}
    files: dict[str, str | bytes] = {}
    for name in SECTIONS:
        part = import_module(name).render_section(ledger, metrics)
        for kind, merged, new in (("block", blocks, part.blocks), ("file", files, part.files)):
            clash = set(merged) & set(new)
            if clash:
                raise ValueError(f"{name} renders {kind}(s) another section already rendered: {sorted(clash)}")
            merged.update(new)
    return Rendered(blocks=blocks, files=files)
