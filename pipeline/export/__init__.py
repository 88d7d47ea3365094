"""Export: every download (package zip, CSV, XLSX, JSON, Parquet, SQLite), written after rendering.

One module per format; ``publish`` (pipeline/export/downloads.py) writes them all
and the pages that state their sizes and checksums. Nothing here reads a clock:
every timestamp inside a file comes from the package's ``as_of``.
"""

from __future__ import annotations


def publish(ledger, docs):  # noqa: ANN001 - a thin re-export; see pipeline.export.downloads
    from pipeline.export.downloads import publish as run

    return run(ledger, docs)
