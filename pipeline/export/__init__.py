"""Export: every download (package zip, CSV, XLSX, JSON, Parquet, SQLite), written after rendering.

One module per format; ``publish`` (pipeline/export/downloads.py) writes them all
and the pages that state their sizes and checksums. Nothing here reads a clock:
every timestamp inside a file comes from the package's ``as_of``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from pipeline.cache import FileCache
    from pipeline.export.downloads import Exported
    from pipeline.frames import Ledger


def publish(ledger: Ledger, docs: Path, cache: FileCache | None = None, files_root: Path | None = None) -> Exported:
    """Write every download into ``files_root/downloads`` (default ``docs``) and the pages describing
    them into ``docs`` (imported lazily: pandas, pyarrow and openpyxl load only when a build exports).
    With a ``cache``, downloads of unchanged data are reused from an earlier build (pipeline/export/reuse.py)."""
    from pipeline.export.downloads import publish as run

    return run(ledger, docs, cache, files_root)
