"""What a site section renders: blocks for hand-written pages and generated files."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rendered:
    # marker name → HTML, replacing <!-- ledger:NAME --> in a hand-written page
    blocks: dict[str, str] = field(default_factory=dict)
    # path inside the docs folder → content (Markdown pages, JSON documents, SVG …)
    files: dict[str, str | bytes] = field(default_factory=dict)
