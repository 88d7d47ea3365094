"""Every relative link and anchor of the built site resolves.

``mkdocs build --strict`` checks the links of Markdown pages; generated raw
HTML, templates, feeds and the theme are not checked by it. This checker
parses every built HTML file: each relative href/src must name a file (or a
folder with index.html), and each #fragment must be an id (or a name) in the
target page. Query strings are ignored (the lookup page reads ?id= itself).
"""

from __future__ import annotations

import html.parser
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src"),
                   ("iframe", "src"), ("form", "action"), ("use", "href"), ("area", "href")}


class LinkScan(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            if (tag, name) in LINK_ATTRIBUTES:
                self.links.append((tag, value))

    handle_startendtag = handle_starttag


@lru_cache(maxsize=None)
def parse(path: Path) -> LinkScan:
    scan = LinkScan()
    scan.feed(path.read_text(encoding="utf-8"))
    scan.close()
    return scan


def target_file(page: Path, root: Path, url_path: str) -> Path | None:
    """The file a relative URL path names, as a static server resolves it; None if missing."""
    base = root if url_path.startswith("/") else page.parent
    target = (base / unquote(url_path).lstrip("/")).resolve()
    if not target.is_relative_to(root.resolve()):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def broken_links(root: Path) -> list[str]:
    problems = []
    for page in sorted(root.rglob("*.html")):
        rel = page.relative_to(root)
        for tag, url in parse(page).links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # outside links (sources of claims, licences) are not ours to check offline
            target = page if parts.path == "" else target_file(page, root, parts.path)
            if target is None:
                problems.append(f"{rel}: <{tag}> {url} → no such file")
                continue
            if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
                problems.append(f"{rel}: <{tag}> {url} → no id {parts.fragment!r} in {target.relative_to(root)}")
    return problems


def test_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">x</h2><a href="../b/">b</a><a href="#gone">g</a>'
                                               '<a href="../c/?id=1#here">c</a><a href="https://example.org/">o</a>'
                                               '<a href="../../outside/">o</a>', encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "index.html").write_text('<p id="there"></p>', encoding="utf-8")
    assert broken_links(tmp_path) == ["a/index.html: <a> ../b/ → no such file",
                                      "a/index.html: <a> #gone → no id 'gone' in a/index.html",
                                      "a/index.html: <a> ../c/?id=1#here → no id 'here' in c/index.html",
                                      "a/index.html: <a> ../../outside/ → no such file"]


@pytest.mark.slow
def test_every_relative_link_and_anchor_of_the_demo_site_resolves(built_demo_site):
    pages = sorted(built_demo_site.rglob("*.html"))
    assert len(pages) > 50
    assert sum(len(parse(p).links) for p in pages) > 3000  # the checker really looked at the links
    assert broken_links(built_demo_site) == []
