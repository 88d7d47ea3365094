"""What a site section renders: blocks for hand-written pages and generated files.

A section is a module with ``stream(ledger, metrics)``: a generator of ``Block``
and ``File`` parts, each handed on as soon as it is rendered, so the build can
write a file before the next one is made (a million issues make about 1 GB of
lookup shards; they are never all in memory). ``render_section`` collects one
section's parts into a ``Rendered``, for tests and callers that want one page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Union

Content = Union[str, bytes]


@dataclass(frozen=True)
class Block:
    """HTML replacing ``<!-- ledger:NAME -->`` in a hand-written page."""

    name: str
    html: str


@dataclass(frozen=True)
class File:
    """A generated file: its path inside the docs folder and its content (Markdown, JSON, SVG …).

    A ``verbatim`` file is put into the built site as it is, after mkdocs, which never sees it: for
    data that scripts fetch (the lookup shards, about 1 GB at a million issues), which mkdocs would
    only copy. No Markdown link may point at one: mkdocs checks those against the files it knows.
    """

    path: str
    content: Content
    verbatim: bool = False


Part = Union[Block, File]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: object) -> str | None:
    """Why ``path`` cannot be a generated file's path (a relative POSIX path inside the docs folder), or None.

    The build's writer refuses such a path: data (a resource named ``../../x``) must never make it
    write outside its staging folder.
    """
    if not isinstance(path, str) or not path:
        return "不是非空的文本 (not a non-empty text)"
    if "\\" in path:
        return "含反斜杠 (a backslash)"
    if _CONTROL.search(path):
        return "含换行等控制字符 (a control character)"
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return "是绝对路径 (absolute)"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "含 ..、. 或空的路径段 (an empty, '.' or '..' part)"
    return None


@dataclass(frozen=True)
class Rendered:
    # marker name → HTML, replacing <!-- ledger:NAME --> in a hand-written page
    blocks: dict[str, str] = field(default_factory=dict)
    # path inside the docs folder → content (Markdown pages, JSON documents, SVG …)
    files: dict[str, Content] = field(default_factory=dict)


class Clash(ValueError):
    """Two parts of the site would have the same block name or file path."""


class Parts:
    """Hands on parts while remembering every block name and file path: none may come twice. Two threads
    may take parts at once (the pages' and the scripts' data): the check and the claim of a name are one
    step, and ``write`` must then be safe to call from both."""

    def __init__(self, write: Callable[[File], None]):
        self.write = write
        self.blocks: dict[str, str] = {}
        self.paths: dict[str, str] = {}  # path → the section that wrote it (a few bytes per file)
        self._claiming = threading.Lock()

    def take(self, section: str, parts: Iterable[Part]) -> None:
        for part in parts:
            with self._claiming:
                if isinstance(part, Block):
                    if part.name in self.blocks:
                        raise Clash(f"{section} renders block {part.name!r}, which was already rendered")
                    self.blocks[part.name] = part.html
                    continue
                if part.path in self.paths:
                    raise Clash(f"{section} renders file {part.path!r}, which {self.paths[part.path]} already rendered")
                self.paths[part.path] = section
            self.write(part)


def collect(parts: Iterable[Part], section: str = "section") -> Rendered:
    """Every part in memory: for tests and for one page, never for a whole build."""
    files: dict[str, Content] = {}
    sink = Parts(lambda file: files.__setitem__(file.path, file.content))
    sink.take(section, parts)
    return Rendered(blocks=sink.blocks, files=files)


def as_files(items: Iterable[tuple[str, Content]]) -> Iterator[File]:
    """(path, content) pairs as parts."""
    for path, content in items:
        yield File(path, content)
