"""Export: every download (package zip, CSV, XLSX, JSON, Parquet, SQLite), started before rendering
(written by a process of its own while the pages render).

One module per format; ``start`` writes them all (pipeline/export/downloads.py), from exactly
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
    from pipeline.export.downloads import PendingDownloads


def start(ledger: Ledger, root: Path, cache: FileCache | None = None) -> PendingDownloads:
    """Every download under ``root/downloads``; ``.finish()`` waits for the downloads' process of their
    own, which may still be writing them when this returns (the build renders meanwhile), and returns
    what was written (``.manifest``) and the seconds spent.

    The downloads are made from the data files' bytes that validation read (``ledger.validated``; a
    file changed since stops the build) or, with a ``cache``, reused from a build of those same bytes
    by the same code (pipeline/export/reuse.py). The build writes them beside the docs folder and moves
    them into the built site after mkdocs, which would copy gigabytes once more. (Imported lazily:
    pandas and pyarrow load only when a build exports.)"""
    from pipeline.export.downloads import written_or_reused

    return written_or_reused(ledger.package, root, cache, ledger.validated)
