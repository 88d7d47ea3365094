"""The downloads, written by a process of their own while the build renders the pages.

Every format is made from the checked copies of the data files (``downloads.checked_copies``: the
bytes validation read), block by block, and none of it needs the ledger the build holds. On the
build's own process the export was a third of a cold build at a million issues (28 s), and the
database's inserts, which bind every cell as a Python object, held the GIL against the rest. In a
process of its own the export uses the second core while the render, which holds the GIL of the
first, goes on; the build waits for it only before the pages that describe the downloads.

The process runs ``downloads.write_from_copies`` (``python -m pipeline.export.downloads``), the very
function ``write_downloads`` runs in the caller's process, with the caller's block sizes
(``SETTINGS``: tests change them), so the files are the same whichever process writes them. Its job comes on stdin as JSON; what it wrote
(the ``Exported``: files, sizes, SHA-256s, sheets, seconds) goes back on stdout.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from pipeline.core.child import how_it_ended, last_lines, read_job, start_module
from pipeline.core.errors import BuildError
from pipeline.core.memory import use_steady_pool
from pipeline.core.package import DataPackage
from pipeline.export.manifest import Download

# (module, name) of the sizes that shape how the files are written, not what they hold: the process
# takes the caller's values, so a test that makes them small tests the process too.
SETTINGS = [("pipeline.export.tables", "BLOCK_ROWS"), ("pipeline.export.tables", "READ_BYTES"),
            ("pipeline.export.xlsx_export", "CHUNK_ROWS"), ("pipeline.export.xlsx_export", "SCAN_ROWS"),
            ("pipeline.export.parquet_export", "ROW_GROUP_ROWS")]


def current_settings() -> dict[str, int]:
    return {f"{module}.{name}": getattr(importlib.import_module(module), name) for module, name in SETTINGS}


WRITER = "pipeline.export.downloads"  # the module that runs ``run_job`` when it is the main module


class DownloadsProcess:
    """``python -m pipeline.export.downloads``, fed the package whose files are the checked copies."""

    def __init__(self, package: DataPackage, docs: Path, validated: dict[str, str] | None):
        job = {"root": os.path.abspath(package.root), "descriptor": package.descriptor,
               "as_of": package.as_of.isoformat(), "docs": os.path.abspath(docs), "validated": validated,
               "settings": current_settings()}
        self.process = start_module(WRITER, job)

    def wait(self) -> dict:
        """Block until every download is written; what was written (``exported_json``). A failed process
        stops the build with its reason."""
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            chinese, english = how_it_ended(self.process.returncode)
            raise BuildError(f"生成下载文件失败{chinese}。 Writing the downloads failed {english}: " + last_lines(err))
        return json.loads(out.decode("utf-8"))

    def abort(self) -> None:
        """Stop the process (after an error elsewhere). What it had written stays in the caller's folder:
        the build's staging folder, removed with it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def exported_json(downloads: list[Download], sheets: dict[str, list[str]], seconds: dict[str, float]) -> dict:
    return {"downloads": [asdict(d) for d in downloads], "sheets": sheets, "seconds": seconds}


def exported_downloads(result: dict) -> list[Download]:
    return [Download(**d) for d in result["downloads"]]


def run_job(write: Callable[[DataPackage, Path, dict[str, str] | None], object]) -> None:
    """The process's side: read the job, take the caller's settings, ``write`` (``write_from_copies``,
    whose module runs this: it imports this module, so this one does not import it) and say what was
    written on stdout."""
    started = time.monotonic()
    use_steady_pool()
    job = read_job()
    for key, value in job["settings"].items():
        module, name = key.rsplit(".", 1)
        setattr(importlib.import_module(module), name, value)
    package = DataPackage(root=Path(job["root"]), descriptor=job["descriptor"], as_of=dt.date.fromisoformat(job["as_of"]))
    result = write(package, Path(job["docs"]), job["validated"])
    result.seconds["process"] = round(time.monotonic() - started, 3)
    sys.stdout.write(json.dumps(exported_json(result.downloads, result.sheets, result.seconds), ensure_ascii=False))
