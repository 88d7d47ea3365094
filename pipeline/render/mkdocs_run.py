"""mkdocs build --strict on the rendered pages: in the build's process, or in one of its own.

``run_mkdocs`` is the one function that builds the site from the docs folder. At a million issues
mkdocs takes about 7 s of pure Python while the render's thread still writes the scripts' data (the
search index, 20 s): on a thread of the build they share one interpreter lock, so the two take the
sum of their times. ``run_mkdocs_apart`` runs the same function in a process of its own (``python -m
pipeline.render.mkdocs_run``), on the second core, for a package large enough to pay for the
process's start (about 0.7 s, mostly imports). Either way the built site is the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from pipeline.core.child import how_it_ended, last_lines, read_job, start_module
from pipeline.core.errors import BuildError
from pipeline.core.process_end import end_process

MODULE = "pipeline.render.mkdocs_run"
STOP_POLL = 0.2  # seconds between looks at the build's stop signal while mkdocs runs apart


def run_mkdocs(config_file: Path, docs: Path, site_out: Path, epoch: str) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from pipeline.render import site_hooks

    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch  # sitemap dates and gzip headers come from the data
    warnings = _WarningCollector()
    logging.getLogger("mkdocs").addHandler(warnings)
    site_hooks.quiet_jieba()  # before the search plugin imports it
    try:
        # The hooks of the code that runs, wherever it is installed (mkdocs.yml names them relative to
        # itself, for a plain `mkdocs serve` in the checkout).
        cfg = load_config(config_file=str(config_file), docs_dir=str(docs), site_dir=str(site_out), strict=True,
                          hooks=[site_hooks.__file__])
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except MkDocsException as exc:
        raise BuildError(failure_text(str(exc), warnings.messages)) from exc
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


# mkdocs's warnings about an office's own pages, in Chinese: what makes `--strict` stop most often.
_EXPLAINED = [  # each matched at the start of a warning (mkdocs may add a "Did you mean …?")
    (re.compile(r"Doc file '(.+?)' contains a link '(.+?)', but the target(?: '.+?')? is not found among documentation files"),
     "{0} 中的链接 {1} 指向的页面不存在"),
    (re.compile(r"Doc file '(.+?)' contains a link '(.+?)', but the doc '(.+?)' does not contain an anchor '#?(.+?)'\."),
     "{0} 中的链接 {1} 指向的标题（锚点 {3}）在 {2} 中不存在"),
    (re.compile(r"Doc file '(.+?)' contains a link '(.+?)', but there is no such anchor on this page"),
     "{0} 中的链接 {1} 指向的标题在本页中不存在"),
    (re.compile(r"Doc file '(.+?)' contains an absolute link '(.+?)', it was left as is"),
     "{0} 中的链接 {1} 以 / 开头，请改为相对路径（例如 ../about.md）"),
    (re.compile(r"Doc file '(.+?)' contains an unrecognized relative link '(.+?)', it was left as is"),
     "{0} 中的链接 {1} 无法识别，请链接到 .md 文件"),
]


def failure_text(failure: str, warnings: list[str]) -> str:
    """The build's message when mkdocs stops: in Chinese first, each warning explained where it can be,
    then mkdocs's own words."""
    explained = []
    for message in warnings:
        for pattern, chinese in _EXPLAINED:
            if match := pattern.match(message.strip()):
                explained.append(chinese.format(*match.groups()))
                break
        else:
            explained.append(message.strip())
    lead = (f"网站源文件有 {len(warnings)} 处问题，mkdocs 在严格模式下停止了生成：" + "；".join(explained) + "。"
            if warnings else "mkdocs 停止了生成。")
    details = "".join(f"\n  - {message}" for message in warnings)
    return f"{lead} mkdocs build failed: {failure}{details}"


def run_mkdocs_apart(config_file: Path, docs: Path, site_out: Path, epoch: str,
                     stop: threading.Event | None = None) -> None:
    """``run_mkdocs`` in a process of its own; its failure is raised here as the same BuildError. What
    mkdocs writes to stderr (its warnings) is passed on to this process's stderr. Once ``stop`` is set
    (the build failed elsewhere), the process is killed: the build then removes its staging folder at
    once instead of waiting for pages that will not publish (about 12 s at ten million issues)."""
    process = start_module(MODULE, {"config_file": os.path.abspath(config_file), "docs": os.path.abspath(docs),
                                    "site_out": os.path.abspath(site_out), "epoch": epoch})
    while True:
        try:
            out, err = process.communicate(timeout=STOP_POLL)
            break
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                process.kill()
                process.communicate()
                raise BuildError("mkdocs build stopped: the build failed elsewhere") from None
    if err:
        sys.stderr.write(err.decode("utf-8", "replace"))
    if process.returncode == 0:
        return
    try:
        failure = json.loads(out.decode("utf-8"))["failed"]
    except (ValueError, KeyError, TypeError):
        failure = f"mkdocs build failed {how_it_ended(process.returncode)[1]}: " + last_lines(err)
    raise BuildError(failure)


def main() -> int:
    job = read_job()
    try:
        run_mkdocs(Path(job["config_file"]), Path(job["docs"]), Path(job["site_out"]), job["epoch"])
    except BuildError as exc:
        sys.stdout.write(json.dumps({"failed": str(exc)}, ensure_ascii=False))
        return 1
    return 0


if __name__ == "__main__":
    end_process(main())
