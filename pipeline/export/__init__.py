"""Export: every download (package zip, CSV, XLSX, JSON, Parquet, SQLite), written before rendering.

One module per format; ``publish`` writes them all (pipeline/export/downloads.py), from exactly
the bytes validation checked, and returns what it wrote: the ``Manifest`` of files, sizes and
SHA-256s (pipeline/export/manifest.py) from which render/ makes the pages that describe them.
The export writes no page and imports nothing from render/ or the build driver. Nothing here
reads a clock: every timestamp inside a file comes from the package's ``as_of``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from pipeline.core.cache import FileCache
    from pipeline.core.ledger import Ledger
    from pipeline.export.downloads import Exported, PendingDownloads


def publish(ledger: Ledger, root: Path, cache: FileCache | None = None) -> Exported:
    """Every download under ``root/downloads``; returns what was written (``.manifest``) and the seconds spent.

    The downloads are made from the data files' bytes that validation read (``ledger.validated``; a
    file changed since stops the build) or, with a ``cache``, reused from a build of those same bytes
    by the same code (pipeline/export/reuse.py). The build writes them beside the docs folder and moves
    them into the built site after mkdocs, which would copy gigabytes once more. (Imported lazily:
    pandas and pyarrow load only when a build exports.)"""
    return start(ledger, root, cache).finish()


def start(ledger: Ledger, root: Path, cache: FileCache | None = None) -> PendingDownloads:
    """``publish``, returning while the SQLite database's own process may still be writing it: the build
    renders meanwhile, and ``.finish()`` waits for it before the pages that describe the downloads."""
    from pipeline.export.downloads import written_or_reused

    return written_or_reused(ledger.package, root, cache, ledger.validated)
