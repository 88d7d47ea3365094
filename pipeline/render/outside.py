"""Resources the built pages would load from another host: an office's own page in ``site/`` with
``<img src="https://…">``, a stylesheet from a CDN in ``extra_css``, a map in an ``<iframe>``.

The site must work on an intranet and in mainland China, and its Content-Security-Policy lets a page
load only its own files, so such a resource would be blocked and the page shown without it. The
build stops instead and names the page and the address. A link (``<a href>``, ``<link
rel="canonical">``) is not a request and is left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Attributes that make the browser fetch what they name, by tag; <link> only for these rels.
FETCHED = {"img": ("src", "srcset"), "script": ("src",), "iframe": ("src",), "frame": ("src",),
           "embed": ("src",), "object": ("data",), "video": ("src", "poster"), "audio": ("src",),
           "source": ("src", "srcset"), "track": ("src",), "input": ("src",), "image": ("href", "xlink:href"),
           "use": ("href", "xlink:href")}
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "mask-icon", "preload", "prefetch",
             "modulepreload", "manifest", "preconnect", "dns-prefetch"}
_OUTSIDE = re.compile(r"\s*(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*)|@import\s+["']([^"']*)""", re.IGNORECASE)
# A cheap test first: only a page or stylesheet where an attribute, a CSS url() or an @import names
# another host's address is parsed (most pages name none; a page of links is parsed, and its links pass).
# Each "//" is found as a plain string and only what stands right before it is looked at (an attribute's
# "=", "url(", or the "," between a srcset's candidates): a regular
# expression over the whole page took 0.2 s for the 1.4 MB of a small site's pages.
_FETCHING_ATTRIBUTES = ("src", "srcset", "poster", "data", "href")


def _may_fetch(text: str) -> bool:
    if "@import" in text:
        return True
    at = text.find("//")
    while at != -1:
        before = text[max(0, at - 40):at].lower()
        before = before.removesuffix("https:").removesuffix("http:").rstrip().rstrip("\"'").rstrip()
        if before.endswith(("url(", ",")) or (before.endswith("=") and before[:-1].rstrip().endswith(_FETCHING_ATTRIBUTES)):
            return True
        at = text.find("//", at + 2)
    return False


@dataclass(frozen=True)
class OutsideRequest:
    page: str  # relative to the site, e.g. "about/index.html"
    url: str


def outside_requests(site: Path) -> list[OutsideRequest]:
    """Every resource a page or stylesheet of ``site`` would load from another host, in path order."""
    found: list[OutsideRequest] = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not _may_fetch(text):
            continue
        urls = _css_urls(text) if path.suffix == ".css" else _html_urls(text)
        page = path.relative_to(site).as_posix()
        found += [OutsideRequest(page, url) for url in urls if _OUTSIDE.match(url)]
    return found


def _css_urls(css: str) -> list[str]:
    return [(match.group(1) or match.group(2) or "").strip() for match in _CSS_URL.finditer(css)]


def _html_urls(html: str) -> list[str]:
    parser = _Fetched()
    parser.feed(html)
    parser.close()
    return parser.urls


class _Fetched(HTMLParser):
    """The addresses an HTML page's tags, inline styles and <style> blocks fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        names = FETCHED.get(tag, ())
        if tag == "link" and LINK_RELS & set(values.get("rel", "").lower().split()):
            names = ("href",)
        for name in names:
            value = values.get(name, "")
            self.urls += [part.strip().split(" ")[0] for part in value.split(",")] if name.endswith("srcset") \
                else [value]
        if "style" in values:
            self.urls += _css_urls(values["style"])
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += _css_urls(data)


def refusal(found: list[OutsideRequest], sources: Path) -> str:
    """The build's message: each page (and the file of ``sources`` it comes from) and what it loads."""
    shown = "；".join(f"{item.page}{_source_of(item.page, sources)} 加载 {item.url}" for item in found[:5])
    more = f"；另有 {len(found) - 5} 处" if len(found) > 5 else ""
    return (f"网站的页面加载其他网站的内容：{shown}{more}。网站的安全策略只允许加载本网站的文件，在内网和境内也可能"
            "打不开，这些内容不会显示。请把图片、样式、脚本放到 site/assets/ 里，用相对路径引用（链接 <a href> 不受影响）。"
            f" Pages load resources from other hosts ({len(found)}); put them under site/assets/.")


def _source_of(page: str, sources: Path) -> str:
    """"（site/about.md）" for about/index.html, where the hand-written source is found; else ""."""
    stem = page.removesuffix("index.html").rstrip("/")
    candidates = [f"{stem}.md", f"{stem}/index.md"] if stem else ["index.md"]
    if not page.endswith(".html"):
        candidates = [page]
    for candidate in candidates:
        if (sources / candidate).is_file():
            return f"（{sources.name}/{candidate}）"
    return ""
