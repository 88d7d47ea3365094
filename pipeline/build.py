"""The build driver: one explicit chain of stages, each a function from data to data.

    validated = validate(data)                      → Validated (report, ledger): any error stops here
    metrics   = compute_all(ledger)                 → every figure of the registry (pipeline/figures/)
    export    = export_downloads(ledger, …)         → the downloads written (or reused); the SQLite
                                                      database's own process may still be writing
    blocks    = render_all(ledger, write, metrics=metrics, manifest=…)
                                                    → pages and documents (pipeline/render/), the
                                                      download pages last, from the Manifest of paths,
                                                      sizes and SHA-256s of the finished export
    run_mkdocs(…)                                   → the site, in a staging folder, swapped into --out;
                                                      started once every page is written, it runs on a
                                                      thread while render writes the files only scripts
                                                      read (the search index)

Data flows one way: no stage imports a later one (tests/test_layout.py).
Nothing is written to the output folder until every stage has succeeded: the
site is built in a staging folder next to it and swapped in at the end, so a
failure at any stage leaves the previous site untouched.

The build replaces only a folder it wrote itself (it leaves the marker file
``.sunshine-ledger-site`` in every output), an empty one or a missing one; it
holds a lock next to the output while it works, and its staging and old-site
folders are fresh temporary folders beside the output, never a name a person
may have used. Every generated path is checked to stay inside the staging folder.

Rendered files are written into the staging docs folder as each section makes
them (never all held in memory); verbatim ones (the issue-lookup shards and the
downloads, gigabytes at a million issues, which mkdocs would only copy once more)
into a folder beside it, moved into the built site once mkdocs has run.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import findings as fd
from pipeline.core import folders, lock_file, project, stage_cache
from pipeline.core.cache import FileCache
from pipeline.core.codes import code_info
from pipeline.core.errors import BuildError
from pipeline.core.ledger import Ledger
from pipeline.core.memory import release_freed_memory
from pipeline.core.remove import remove_tree
from pipeline.demo.manifest import MANIFEST as DEMO_MANIFEST
from pipeline.export.hosting import RELEASE_MARKER, Hosting, HostingError, hosted, move_hosted, release_folder
from pipeline.figures.metrics import compute_all
from pipeline.render import render_all
from pipeline.render.mkdocs_run import run_mkdocs, run_mkdocs_apart
from pipeline.render.outside import outside_requests, refusal
from pipeline.render.section import File, path_problem
from pipeline.validate import privacy, validate

if TYPE_CHECKING:
    from pipeline.export.downloads import PendingDownloads
    from pipeline.export.manifest import Manifest

MARKER = re.compile(r"<!--\s*ledger:([a-z0-9-]+)\s*-->")
log = logging.getLogger("ledger.build")
# Left in every built site: the build replaces (and `make clean` removes) only a folder holding it.
SITE_MARKER = folders.SITE_MARKER
SITE_MARKER_TEXT = ("阳光台账 Sunshine Ledger：本文件夹由 ledger build 生成，再次生成时会被整个替换。\n"
                    "Built by `ledger build`: the next build replaces this whole folder.\n")
# Left in the build's own temporary folders beside the output, so that a killed build's leftovers
# are recognised (and removed by the next build) without touching a folder a person named alike.
TEMP_MARKER = ".sunshine-ledger-temporary"
LOCK_TEXT = lock_file.BUILD_TEXT
SITE_STAGE = "site"  # the stage cache's kind for a whole built site
# From this many issues mkdocs runs in a process of its own (pipeline/render/mkdocs_run.py): the scripts'
# data it would otherwise share one core with then take seconds, more than the process's start.
MKDOCS_APART_ISSUES = 50_000


class Refused(BuildError):
    """The build would write where it must not (or another build is writing there); nothing was touched."""


class InvalidData(BuildError):
    def __init__(self, report: fd.Report):
        super().__init__(fd.summary_line(report))
        self.report = report


@dataclass(frozen=True)
class Validated:
    """The validate stage's output: the report (no error in it) and the typed ledger."""

    report: fd.Report
    ledger: Ledger


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
    site: Path = field(default_factory=project.site)  # the checkout's, or the installed package's copy
    mkdocs_yml: Path = field(default_factory=project.mkdocs_yml)
    cache: FileCache | None = None


def build(config: BuildConfig) -> BuildResult:
    started = time.monotonic()
    out = Path(os.path.abspath(config.out))
    check_output(out, config)  # before anything is read or written
    check_site_sources(config.site)
    with output_lock(out):
        check_output(out, config)  # once more, now that no other build can be changing it
        remove_leftovers(out)
        hosting = downloads_hosting(config.mkdocs_yml, release_folder(out))  # before anything is written
        # --- 1. Load and validate: any error stops here, before anything is written ---
        validated = _validated(config)
        ledger = validated.ledger
        release_freed_memory(ledger.records)  # what validation freed, before the stages that follow stack on it
        staging = temporary_folder(out, "staging")
        try:
            # --- Reuse: a site built from these same inputs by this same code, if the cache holds one. Not with
            # downloads hosted elsewhere: a reused site would come without its release folder. ---
            site_key = site_stage_key(config, ledger) if hosting.base_url is None else None
            site_out = staging / "site"
            if stage_cache.restore_tree(config.cache, SITE_STAGE, site_key, site_out):
                log.info("site_reused files=%d", sum(1 for _ in site_out.rglob("*")))
                pages = sum(1 for _ in site_out.rglob("*.html"))
                swap_into(site_out, out)
                return BuildResult(config.out, validated.report, pages, time.monotonic() - started)
            shutil.rmtree(site_out, ignore_errors=True)
            with stage_cache.using(config.cache):
                pages = _built(config, ledger, staging, hosting, release_folder(out))
            stage_cache.store_tree(config.cache, SITE_STAGE, site_key, site_out)
            swap_into(site_out, out)
        finally:
            remove_tree(staging)  # after a failure, the whole staged site
    return BuildResult(config.out, validated.report, pages, time.monotonic() - started)


def _built(config: BuildConfig, ledger: Ledger, staging: Path, hosting: Hosting, release: Path) -> int:
    """Stages 2 to 5 into ``staging/site`` (downloads hosted elsewhere into ``release``); returns the number of pages."""
    # --- 2. Figures: every metric of the registry ---
    metrics = compute_all(ledger)
    docs = staging / "docs"
    shutil.copytree(config.site, docs)  # a staging copy of the hand-written sources
    generated = GeneratedFiles(docs, staging / "verbatim")  # lists the hand-written files first
    # --- 3. Export: every download, beside the docs (verbatim), by a process of its own that goes on meanwhile ---
    export = export_downloads(ledger, generated.verbatim, config.cache)
    release_freed_memory(ledger.records)
    # --- 4. Render: each file is written as soon as it is rendered; the download pages last, from the
    # manifest of the finished export ---
    def finished_manifest() -> Manifest:  # waits for the downloads' process
        try:
            return hosted(export.finish().manifest, hosting)
        except HostingError as exc:  # e.g. a file larger than the host takes: nothing is published
            raise BuildError(str(exc)) from None

    site_out = staging / "site"
    mkdocs: list[Future] = []
    stop_mkdocs = threading.Event()  # set when the render fails: mkdocs apart is killed, not waited for
    # Leaving the pool waits for mkdocs, also after an error: it writes into staging, removed only then.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mkdocs") as beside:
        def pages_done(blocks: dict[str, str]) -> None:
            inject_blocks(docs, blocks, generated.hand_written_pages())
            # --- 5. mkdocs build --strict, with timestamps from the data, not the clock, while the render
            # goes on with the files only scripts read (verbatim: mkdocs never sees them). For a large
            # package in a process of its own: on a thread it would share the interpreter lock with them ---
            epoch = as_of_epoch(ledger.package.as_of)
            if len(ledger.issues) >= MKDOCS_APART_ISSUES:
                mkdocs.append(beside.submit(run_mkdocs_apart, config.mkdocs_yml, docs, site_out, epoch, stop_mkdocs))
            else:
                mkdocs.append(beside.submit(run_mkdocs, config.mkdocs_yml, docs, site_out, epoch))

        try:
            render_all(ledger, generated.write, metrics=metrics, manifest=finished_manifest, pages_done=pages_done)
        except BaseException:
            stop_mkdocs.set()
            raise
        finally:
            export.abort()  # nothing if it finished; else it stops the downloads' process before staging goes
    manifest = finished_manifest()
    mkdocs[0].result()  # raises what mkdocs raised
    if outside := outside_requests(site_out):  # an office's page loading from a CDN: blocked, and offline
        raise BuildError(refusal(outside, config.site))
    if hosting.base_url is not None:  # downloads hosted elsewhere leave the site for <out>-release
        move_hosted(manifest, generated.verbatim, release)
    generated.move_verbatim_into(site_out)
    (site_out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8", newline="\n")
    return sum(1 for _ in site_out.rglob("*.html"))


def site_stage_key(config: BuildConfig, ledger: Ledger) -> str | None:
    """What the built site depends on: the descriptor, the data files' SHA-256s as validation read them,
    whether the package is demo output, the site sources, mkdocs.yml, the code (pipeline/core/stage_cache.py)
    and the stage functions this build runs. The same key, the same bytes. None (no reuse) without a
    cache or without the digests of a real validation."""
    if config.cache is None or config.cache.root is None or not isinstance(ledger, Ledger) or not ledger.validated:
        return None
    stages = " ".join(f"{fn.__module__}.{fn.__qualname__}" for fn in
                      (compute_all, export_downloads, render_all, inject_blocks, run_mkdocs))
    descriptor = json.dumps(ledger.package.descriptor, sort_keys=True, ensure_ascii=False)
    files = json.dumps(sorted(ledger.validated.items()), ensure_ascii=False)
    demo = ledger.package.root / DEMO_MANIFEST  # its presence shows the demo-data notice on the home page
    return stage_cache.key("site", stage_cache.code_digest(), stages, descriptor, ledger.package.as_of.isoformat(), files,
                           f"demo {demo.is_file()}", stage_cache.folder_digest(config.site),
                           stage_cache.file_sha256(config.mkdocs_yml))


def _validated(config: BuildConfig) -> Validated:
    try:
        report, ledger = validate(config.data, cache=config.cache)
    except Exception as exc:
        # A descriptor the validator cannot handle: the CLI reports it as data that cannot be checked.
        exc.ledger_stage = "validate"  # type: ignore[attr-defined]
        raise
    if not report.valid or ledger is None:
        raise InvalidData(report)
    return Validated(report, ledger)


# --- The output folder: only ours is replaced ---

def is_our_site(folder: Path) -> bool:
    """A folder the build wrote: it holds the marker file with its fixed content."""
    marker = folder / SITE_MARKER
    if folder.is_symlink() or not folder.is_dir() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        return marker.read_bytes() == SITE_MARKER_TEXT.encode("utf-8")
    except OSError:
        return False


def check_site_sources(site: Path) -> None:
    """Refuse a link in the site's sources that leads out of them (the build copies what a link points
    to, so ``site/assets/notes.txt -> ~/.ssh/id_rsa`` would be published), and personal data in a page an
    office writes itself (a staff member's mobile on 关于): the data's rule holds for every published text."""
    root = site.resolve()
    for path in sorted(site.rglob("*")):
        if path.suffix in (".md", ".html") and path.is_file() and not path.is_symlink():
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
                if (match := next(privacy.scan(line), None)) is not None:
                    what = code_info(f"pii-{match.kind}").title_zh
                    rel = path.relative_to(site).as_posix()
                    raise BuildError(f"网站源文件 {site.name}/{rel} 第 {number} 行{what}（{match.masked}），生成已停止："
                                     "公开的网站不得包含个人信息，请删除或改写（姓名写成“张某”“张先生”）。"
                                     f" {rel} line {number} holds personal data ({match.masked}).")
        if path.is_symlink():
            target = path.resolve()
            if target != root and root not in target.parents:
                rel = path.relative_to(site).as_posix()
                raise BuildError(f"网站源文件夹中的 {rel} 是指向文件夹之外（{os.readlink(path)}）的符号链接，生成已停止："
                                 f"它指向的内容会被发布到网站上。请把文件本身放进 {site.name}/，或删除这个链接。"
                                 f" {rel} in the site sources links outside them; its target would be published.")


def check_output(out: Path, config: BuildConfig) -> None:
    """Refuse an output folder that is not missing, empty or a site this build wrote."""
    if out.name in ("", ".", "..") or out.parent == out:
        raise Refused(f"不能把网站生成到 {out}：请用一个专门的文件夹，例如 --out public。"
                      f" Refused: {out} cannot be the output folder.")
    for what, folder, inside_too in (("数据文件夹", config.data, False), ("网站源文件夹", config.site, True)):
        # The data may not be in the output; nor may the output be in the site sources (the next build
        # would publish it again). An output inside the data folder is allowed: datapackage.json may sit
        # at the top of a repository, next to public/.
        folder = Path(os.path.abspath(folder))
        if out == folder or out in folder.parents or (inside_too and folder in out.parents):
            raise Refused(f"--out {out} 与{what} {folder} 重叠：网站必须生成到它们之外的文件夹。"
                          f" Refused: the output overlaps {folder}.")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise Refused(f"{out} 不是文件夹（是文件或符号链接），生成已停止，什么都没有改动。请换一个 --out。"
                      f" Refused: {out} is not a folder.")
    if (blocking := folders.blocking_file(out.parent)) is not None:
        raise Refused(f"--out {out}：其中的 {blocking} 是文件，不是文件夹，生成已停止，什么都没有改动。请换一个 --out。"
                      f" Refused: {blocking} is a file, not a folder.")
    if out.is_dir() and any(out.iterdir()) and not is_our_site(out):
        raise Refused(f"{out} 不是 ledger build 生成的网站（没有 {SITE_MARKER} 标记文件）也不是空文件夹，"
                      f"为免误删，生成已停止，什么都没有改动。请换一个 --out，或确认其中内容无用后自行删除。"
                      f" Refused: {out} is neither empty nor a site built by ledger; nothing was touched.")


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``.{out}.lock`` beside the output: a second build into the same folder stops at once. The
    folders made for it are removed again when the build leaves nothing in them (it failed)."""
    made = folders.make(out.parent)
    lock = lock_file.beside(out)
    try:
        with lock_file.held(lock, LOCK_TEXT):
            yield
    except lock_file.ForeignLock:
        raise Refused(f"{lock} 不是本程序的锁文件，生成已停止，什么都没有改动。请移走它或换一个 --out。"
                      f" Refused: {lock} is not a ledger lock file.") from None
    except lock_file.LockBusy:
        raise Refused(f"另一个构建正在写入 {out}，请等它结束后再试。"
                      f" Another build is writing {out}; try again when it has finished.") from None
    finally:
        folders.remove_if_empty(made)


def temporary_folder(out: Path, kind: str) -> Path:
    """A fresh folder ``.{out}.{kind}-XXXXXXXX`` beside the output (same filesystem: renames), marked as ours."""
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.{kind}-", dir=out.parent))
    (folder / TEMP_MARKER).write_text(kind + "\n", encoding="utf-8")
    return folder


def remove_leftovers(out: Path) -> None:
    """Remove the temporary folders of a build that was killed (under the lock: no build is running)."""
    prefixes = tuple(f".{out.name}.{kind}-" for kind in ("staging", "old"))
    for folder in out.parent.iterdir():
        if folder.name.startswith(prefixes) and not folder.is_symlink() and (folder / TEMP_MARKER).is_file():
            remove_tree(folder)


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
        root = self.verbatim if file.verbatim else self.docs
        problem = path_problem(file.path)
        if problem is None and not os.path.normpath(root / file.path).startswith(os.path.join(root, "")):
            problem = "在暂存文件夹之外 (outside the staging folder)"
        if problem is not None:
            raise BuildError(f"拒绝写出生成的文件 {file.path!r}：{problem}。"
                             f" A site section renders the file {file.path!r}, which the build refuses to write.")
        if file.path in self.hand_written:
            raise BuildError(f"网站源文件中的 {file.path} 与程序生成的页面同名，生成已停止：请给这个手写的文件换一个名字或文件夹。"
                             f" A site section renders {file.path}, which is a hand-written file in the site sources.")
        path = root / file.path
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


def _move_tree(source: Path, target: Path, site: Path | None = None) -> None:
    site = site or target
    for entry in sorted(source.iterdir()):
        into = target / entry.name
        if entry.is_dir() and into.is_dir():
            _move_tree(entry, into, site)
        elif into.exists():
            rel = into.relative_to(site).as_posix()
            raise BuildError(f"网站中的 {rel} 既来自网站源文件（或 mkdocs），又是程序生成的数据文件，生成已停止：请给网站源文件中的"
                             f"这个文件换一个名字或文件夹。 {rel} is both in the mkdocs output and a verbatim generated file.")
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
            raise BuildError(f"{page.relative_to(docs)} 中有未知的区块标记 {'、'.join(sorted(unknown))}，生成已停止：请改正或删除它"
                             f"（可用的标记：{'、'.join(sorted(blocks))}）。"
                             f" {page.relative_to(docs)}: unknown block marker(s) {sorted(unknown)}.")
        used.update(names)
        # A block is raw HTML: blank lines around it keep Markdown from touching it.
        write_file(page, MARKER.sub(lambda m: "\n" + blocks[m.group(1)].strip() + "\n", text))
    missing = set(blocks) - used
    if missing:
        raise BuildError(f"网站源文件的页面里没有区块标记 {'、'.join(f'<!-- ledger:{name} -->' for name in sorted(missing))}，"
                         "这些数字和列表不会出现在网站上，生成已停止：请把标记放回页面（原来在 index.md、about.md 等页面中）。"
                         f" No hand-written page has the marker(s) {sorted(missing)}; the figures would not appear.")


def export_downloads(ledger: Ledger, files_root: Path, cache: FileCache | None) -> PendingDownloads:
    """The export stage: every download (package zip with hashes, CSV, XLSX, JSON, Parquet, SQLite) written
    (or reused from the cache) into ``files_root`` (verbatim: moved into the site after mkdocs). Returns
    while the downloads' own process may still be writing; ``.finish().manifest`` waits for it and is what
    the render stage makes the pages that state the downloads' sizes and checksums from."""
    import pipeline.export  # lazily: pandas and pyarrow's writers load only when a build exports

    for name in ledger.package.resource_names:  # each becomes downloads/<format>/<name>.<ext>
        problem = path_problem(f"downloads/csv/{name}.csv")
        if problem is not None or "/" in str(name):
            raise BuildError(f"资源名 {name!r} 不能用作下载文件名：{problem or '含 / (a slash)'}。"
                             f" The resource name {name!r} cannot name a download file.")
    return pipeline.export.start(ledger, files_root, cache)


def downloads_hosting(config_file: Path, release: Path) -> Hosting:
    """mkdocs.yml's extra.ledger.downloads_url and downloads_over (pipeline/export/hosting.py); a wrong
    value, or a release folder the build did not write, refuses the build before anything is written."""
    from mkdocs.utils.yaml import yaml_load

    with config_file.open(encoding="utf-8") as handle:
        extra = (yaml_load(handle) or {}).get("extra")
    try:
        hosting = Hosting.of(extra)
        if hosting.base_url is not None and release.exists() and (
                release.is_symlink() or not release.is_dir() or
                (any(release.iterdir()) and not (release / RELEASE_MARKER).is_file())):
            raise HostingError(f"{release} 已有其他文件，不是 ledger build 写出的发布文件夹：请移走或删除后再构建。")
    except HostingError as exc:
        raise Refused(str(exc)) from None
    return hosting


def as_of_epoch(as_of: dt.date) -> str:
    """SOURCE_DATE_EPOCH for the snapshot date: builds are dated by the data, never the clock."""
    return str(calendar.timegm(dt.datetime.combine(as_of, dt.time()).timetuple()))


def swap_into(new: Path, out: Path) -> None:
    """Replace ``out`` (missing, empty or our site: checked under the lock) with ``new`` by renames on
    one filesystem; restore the old one on failure. The old site goes into a fresh temporary folder."""
    old = temporary_folder(out, "old")
    try:
        previous = old / "previous"
        if out.exists():
            out.rename(previous)
        try:
            new.rename(out)
        except OSError:
            if previous.exists():
                previous.rename(out)
            raise
    finally:
        remove_tree(old)  # the replaced site: tens of thousands of files at a million issues
