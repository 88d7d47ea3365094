"""Export: every download (package zip, CSV, XLSX, JSON, Parquet, SQLite), written after rendering.

One module per format; ``publish`` writes them all (pipeline/export/downloads.py), from exactly
the bytes validation checked, and the pages that state their sizes and checksums. Nothing here
reads a clock: every timestamp inside a file comes from the package's ``as_of``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from pipeline.core.cache import FileCache
    from pipeline.export.downloads import Exported
    from pipeline.core.ledger import Ledger


def publish(ledger: Ledger, docs: Path, cache: FileCache | None = None, files_root: Path | None = None) -> Exported:
    """Downloads, then the pages and documents that describe them; never overwrites a rendered file.

    The downloads are made from the data files' bytes that validation read (``ledger.validated``; a
    file changed since stops the build) or, with a ``cache``, reused from a build of those same bytes
    by the same code (pipeline/export/reuse.py). They go under ``files_root`` (default ``docs``): the
    build puts them beside the docs and moves them into the built site after mkdocs, which would copy
    gigabytes once more. (Imported lazily: pandas and pyarrow load only when a build exports.)"""
    from pipeline.export.downloads import written_or_reused
    from pipeline.render.downloads_pages import described_files

    exported = written_or_reused(ledger.package, files_root or docs, cache, ledger.validated)
    start = time.monotonic()
    for rel, content in sorted(described_files(ledger, exported).items()):
        target = docs / rel
        if target.exists():
            raise FileExistsError(f"{rel} was already rendered by a site section; the export would overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")
    exported.seconds["pages"] = round(time.monotonic() - start, 3)
    return exported
