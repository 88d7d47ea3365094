"""The build driver: validate → metrics → render → mkdocs → swap into the output.

Nothing is written to the output folder until every stage has succeeded: the
site is built in a staging folder next to it and swapped in at the end, so a
failure at any stage leaves the previous site untouched.

Rendered files are written into the staging docs folder as each section makes
them (never all held in memory); verbatim ones (the issue-lookup shards and the
downloads, gigabytes at a million issues, which mkdocs would only copy once more)
into a folder beside it, moved into the built site once mkdocs has run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import findings as fd
from pipeline.cache import FileCache
from pipeline.frames import Ledger
from pipeline.render import render_all
from pipeline.render.section import File
from pipeline.validate import validate

REPO = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!--\s*ledger:([a-z0-9-]+)\s*-->")
log = logging.getLogger("ledger.build")


class BuildError(Exception):
    """The build stopped; the previous output is untouched."""


class InvalidData(BuildError):
    def __init__(self, report: fd.Report):
        super().__init__(fd.summary_line(report))
        self.report = report


@dataclass(frozen=True)
class BuildResult:
    out: Path
    report: fd.Report
    pages: int
    seconds: float


@dataclass(frozen=True)
class BuildConfig:
    data: Path
    out: Path
    site: Path = REPO / "site"
    mkdocs_yml: Path = REPO / "mkdocs.yml"
    cache: FileCache | None = None


def build(config: BuildConfig) -> BuildResult:
    started = time.monotonic()
    # --- Validate ---
    report, ledger = validate(config.data, cache=config.cache)
    if not report.valid or ledger is None:
        raise InvalidData(report)
    # --- Render into a staging copy of the hand-written sources ---
    staging = config.out.parent / f".{config.out.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        docs = staging / "docs"
        shutil.copytree(config.site, docs)
        generated = GeneratedFiles(docs, staging / "verbatim")  # lists the hand-written files first
        blocks = render_all(ledger, generated.write)  # each file is written as soon as it is rendered
        inject_blocks(docs, blocks, generated.hand_written_pages())
        copy_downloads(ledger, docs, generated.verbatim, config.cache)
        # --- mkdocs build --strict, with timestamps from the data, not the clock ---
        site_out = staging / "site"
        run_mkdocs(config.mkdocs_yml, docs, site_out, as_of_epoch(ledger.package.as_of))
        generated.move_verbatim_into(site_out)
        pages = sum(1 for _ in site_out.rglob("*.html"))
        swap_into(site_out, config.out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(config.out, report, pages, time.monotonic() - started)


def write_file(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")


class GeneratedFiles:
    """Writes generated files into the docs folder, which holds the hand-written sources, and verbatim
    files into a folder of their own, moved into the built site once mkdocs has run.

    A generated file may not replace a hand-written one: the pages whose block
    markers are filled in are the hand-written ones, listed before rendering.
    Verbatim files (the issue-lookup shards, about 1 GB at a million issues) are
    only data for scripts; mkdocs would copy each of them once more.
    """

    def __init__(self, docs: Path, verbatim: Path):
        self.docs, self.verbatim = docs, verbatim
        self.hand_written = frozenset(p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file())
        self.folders: set[Path] = set()

    def write(self, file: File) -> None:
        if file.path in self.hand_written:
            raise BuildError(f"a site section renders {file.path}, which is a hand-written file in the site sources")
        path = (self.verbatim if file.verbatim else self.docs) / file.path
        if path.parent not in self.folders:  # tens of thousands of shards share a few folders
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        if isinstance(file.content, bytes):
            path.write_bytes(file.content)
        else:
            path.write_text(file.content, encoding="utf-8", newline="\n")

    def hand_written_pages(self) -> list[Path]:
        return sorted(self.docs / rel for rel in self.hand_written if rel.endswith(".md"))

    def move_verbatim_into(self, site: Path) -> None:
        """Move the verbatim files into the built site by renames (a folder mkdocs did not make moves whole)."""
        if self.verbatim.exists():
            _move_tree(self.verbatim, site)


def _move_tree(source: Path, target: Path) -> None:
    for entry in sorted(source.iterdir()):
        into = target / entry.name
        if entry.is_dir() and into.is_dir():
            _move_tree(entry, into)
        elif into.exists():
            raise BuildError(f"{into} is both in the mkdocs output and a verbatim generated file")
        else:
            entry.rename(into)


def inject_blocks(docs: Path, blocks: dict[str, str], pages: list[Path] | None = None) -> None:
    """Replace each ``<!-- ledger:NAME -->`` in the hand-written pages (default: every page in ``docs``) with its block."""
    used: set[str] = set()
    for page in sorted(docs.rglob("*.md")) if pages is None else pages:
        text = page.read_text(encoding="utf-8")
        names = MARKER.findall(text)
        if not names:
            continue
        unknown = set(names) - set(blocks)
        if unknown:
            raise BuildError(f"{page.relative_to(docs)}: unknown block marker(s) {sorted(unknown)}; known: {sorted(blocks)}")
        used.update(names)
        # A block is raw HTML: blank lines around it keep Markdown from touching it.
        write_file(page, MARKER.sub(lambda m: "\n" + blocks[m.group(1)].strip() + "\n", text))
    missing = set(blocks) - used
    if missing:
        raise BuildError(f"no hand-written page has the marker(s) {sorted(missing)}; the figures would not appear")


def copy_downloads(ledger: Ledger, docs: Path, files_root: Path, cache: FileCache | None) -> None:
    """Every download (package zip with hashes, CSV, XLSX, JSON, Parquet, SQLite) into ``files_root``
    (verbatim: moved into the site after mkdocs) and the pages stating their sizes into ``docs``."""
    from pipeline.export import publish

    exported = publish(ledger, docs, cache, files_root)
    log.info("export_done seconds=%s", exported.seconds)


def as_of_epoch(as_of: dt.date) -> str:
    """SOURCE_DATE_EPOCH for the snapshot date: builds are dated by the data, never the clock."""
    return str(calendar.timegm(dt.datetime.combine(as_of, dt.time()).timetuple()))


def run_mkdocs(config_file: Path, docs: Path, site_out: Path, epoch: str) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch  # sitemap dates and gzip headers come from the data
    warnings = _WarningCollector()
    logging.getLogger("mkdocs").addHandler(warnings)
    try:
        cfg = load_config(config_file=str(config_file), docs_dir=str(docs), site_dir=str(site_out), strict=True)
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except MkDocsException as exc:
        details = "".join(f"\n  - {message}" for message in warnings.messages)
        raise BuildError(f"mkdocs build failed: {exc}{details}") from exc
    finally:
        logging.getLogger("mkdocs").removeHandler(warnings)
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class _WarningCollector(logging.Handler):
    """Keeps mkdocs' warnings so that a strict-mode failure says what they were."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def swap_into(new: Path, out: Path) -> None:
    """Replace ``out`` with ``new`` by renames on one filesystem; restore the old one on failure."""
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
