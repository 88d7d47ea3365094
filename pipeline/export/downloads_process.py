"""The SQLite database, written by a process of its own while the other downloads are written.

Filling a database turns every cell into a Python object and binds it, under the GIL: on a thread
of the build it held the GIL against the formatting of every other format, and was the longest
part of the export (34 of 41 s at a million issues). A process of its own uses the second core
for it instead.

The process reads the checked copies of the data files (``downloads.checked_copies``: the bytes
validation read), block by block, exactly as the other formats do, so the database is the same
whichever process writes it. It writes only ``<target>.tmp`` and renames it to ``<target>``; the
build waits for it before the downloads' checksums are taken, and stops it (removing its file) if
anything else fails. Its job comes on stdin as JSON, its seconds go back on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline.core.errors import BuildError
from pipeline.core.package import DataPackage
from pipeline.export import tables
from pipeline.export.sqlite_export import SqliteWriter
from pipeline.export.tables import ExportTable

PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # the folder `import pipeline` needs


class DatabaseProcess:
    """``python -m pipeline.export.database_process``, fed the package whose files are the checked copies."""

    def __init__(self, package: DataPackage, target: Path):
        self.target = target
        job = {"root": os.path.abspath(package.root), "descriptor": package.descriptor,
               "as_of": package.as_of.isoformat(), "target": os.path.abspath(target),
               "block_rows": tables.BLOCK_ROWS, "read_bytes": tables.READ_BYTES}
        # PYTHONPATH too: with PYTHONSAFEPATH set, `-m` does not look in the working folder.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(PACKAGE_PARENT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))}
        # Started in the folder that holds this package: `-m` looks in the working folder first, and a
        # folder named pipeline/ where the build was started must not stand in for the code that runs.
        self.process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                        cwd=PACKAGE_PARENT)
        try:  # the process reads its whole job before it does anything else
            self.process.stdin.write(json.dumps(job, ensure_ascii=False).encode("utf-8"))
            self.process.stdin.close()
        except OSError:
            pass  # it ended already: wait() says why
        self.process.stdin = None  # written and closed: communicate() then only reads

    def wait(self) -> float:
        """Block until the database is written; its seconds of work. A failed process stops the build."""
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            self._remove_partial()
            detail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise BuildError("生成 SQLite 数据库下载文件失败。 Writing the SQLite download failed: "
                             + " | ".join(detail))
        return float(json.loads(out.decode("utf-8"))["seconds"])

    def abort(self) -> None:
        """Stop the process (after an error elsewhere) and remove what it was writing."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()
        self._remove_partial()

    def _remove_partial(self) -> None:
        self.target.with_name(self.target.name + ".tmp").unlink(missing_ok=True)


def write_database(package: DataPackage, target: Path) -> None:
    """Every resource of ``package`` into the database at ``target``, from its files, a block at a time."""
    resources = [ExportTable(name=name, title=package.resource(name).get("title") or name,
                             fields=package.fields(name), paths=tuple(file.abs for file in package.files(name)))
                 for name in package.resource_names]
    writer = SqliteWriter(target)
    try:
        for table in resources:
            resource = package.resource(table.name)
            writer.begin_table(resource)
            for batch in table.blocks():
                writer.insert(resource, batch)
            writer.end_table(resource)
        writer.close(package, resources)
    except BaseException:
        writer.abort()
        raise


def main() -> None:
    started = time.monotonic()
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    tables.BLOCK_ROWS, tables.READ_BYTES = job["block_rows"], job["read_bytes"]  # the build's blocks (tests set them)
    package = DataPackage(root=Path(job["root"]), descriptor=job["descriptor"], as_of=dt.date.fromisoformat(job["as_of"]))
    write_database(package, Path(job["target"]))
    sys.stdout.write(json.dumps({"seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
