"""The site's shell around the pages: the 404 page under a sub-path, feed links, the footer's
repository and corrections links, and headings that never skip a level."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mkdocs.exceptions import ConfigurationError

from pipeline.render import site_hooks


class _Config(dict):
    """Just what the hooks read of an MkDocs config."""

    def __getattr__(self, name):
        return self[name]


def test_404_page_links_are_relative_when_no_site_url_is_set():
    html = ('<link href="/assets/x.css"><script src="/assets/y.js"></script><a href="/">首页</a>'
            '<a href="/issues/">问题</a><img src="//cdn.example/z.png">'
            '<script id="__config" type="application/json">{"base": "/", "search": "/assets/w.js"}</script>')
    assert site_hooks.relative_404(html) == (
        '<link href="assets/x.css"><script src="assets/y.js"></script><a href="./">首页</a>'
        '<a href="issues/">问题</a><img src="//cdn.example/z.png">'
        '<script id="__config" type="application/json">{"base": ".", "search": "assets/w.js"}</script>')


def test_404_page_keeps_absolute_links_when_site_url_is_set():
    config = _Config(site_url="https://example.org/ledger/")
    assert site_hooks.on_post_template('<a href="/ledger/x/">', "404.html", config) == '<a href="/ledger/x/">'
    assert site_hooks.on_post_template('<a href="/x/">', "main.html", _Config(site_url="")) == '<a href="/x/">'


def test_built_404_page_loads_assets_relative_to_its_folder(built_demo_site):
    html = (built_demo_site / "404.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:href|src)="/(?!/)[^"]*"', html) == []
    assert re.findall(r'": "/[^"]*"', html) == []
    assert 'href="assets/ledger.css"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://example.org/", "example.org"])
def test_footer_link_settings_refuse_non_http_urls(url):
    config = _Config(extra={"ledger": {"repository": url, "corrections": ""}})
    with pytest.raises(ConfigurationError) as caught:
        site_hooks.on_config(config)
    assert str(caught.value) == f"mkdocs.yml 中 extra.ledger.repository（代码仓库地址）只能是 http(s):// 或 mailto: 地址，现在是“{url}”。"


def test_footer_link_settings_accept_http_and_mailto(tmp_path):
    config = _Config(docs_dir=str(tmp_path),  # site search reads its names from the docs folder (none here)
                     extra={"ledger": {"repository": "https://git.example.gov.cn/ledger", "corrections": "mailto:gbj@example.gov.cn"}})
    assert site_hooks.on_config(config) is config


def test_contributing_links_paragraph_escapes_and_says_when_nothing_is_configured():
    assert site_hooks.links_html({}) == (
        '<p class="ledger-links">本站的部署单位尚未填写代码仓库和纠错渠道的地址'
        '（在 <code>mkdocs.yml</code> 的 <code>extra.ledger</code> 中设置）。</p>')
    assert site_hooks.links_html({"repository": "https://x.example/a?b=1&c=\"2\"", "corrections": "mailto:a@b.cn"}) == (
        '<p class="ledger-links">发现数据或页面有错误，请通过<a href="mailto:a@b.cn">纠错渠道</a>告诉我们；'
        '代码和全部数据在<a href="https://x.example/a?b=1&amp;c=&quot;2&quot;">代码仓库</a>中公开。</p>')


def test_every_page_links_the_resolved_feed_and_township_pages_their_own(built_demo_site):
    home = (built_demo_site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate feed" type="application/atom+xml" title="最近办结的问题" href="feeds/resolved.xml">' in home
    townships = sorted((built_demo_site / "issues" / "region").glob("*/index.html"))
    own = [p for p in townships if re.search(r'href="[./]*feeds/resolved-\d{12}\.xml"', p.read_text(encoding="utf-8"))]
    assert own, "no township page links its own feed"
    for page in own:
        code = page.parent.name
        assert f'feeds/resolved-{code}.xml"' in page.read_text(encoding="utf-8")
        assert (built_demo_site / "feeds" / f"resolved-{code}.xml").is_file()


def test_contributing_page_shows_the_links_paragraph(built_demo_site):
    html = (built_demo_site / "contributing" / "index.html").read_text(encoding="utf-8")
    assert "<!-- site:links -->" not in html
    assert '<p class="ledger-links">' in html


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.levels = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.inside += 1
        elif self.inside and re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag == "article":
            self.inside -= 1


def test_no_page_skips_a_heading_level(built_demo_site):
    skipped = []
    for page in sorted(built_demo_site.rglob("*.html")):
        parser = _Headings()
        parser.feed(page.read_text(encoding="utf-8"))
        for before, after in zip(parser.levels, parser.levels[1:]):
            if after > before + 1:
                skipped.append((page.relative_to(built_demo_site).as_posix(), before, after))
                break
    assert skipped == []


def test_no_invalid_inputmode_in_own_templates():
    templates = Path(site_hooks.__file__).parent / "templates"
    allowed = {"none", "text", "decimal", "numeric", "tel", "search", "email", "url"}
    used = {m for p in templates.glob("*.j2") for m in re.findall(r'inputmode="([^"]*)"', p.read_text(encoding="utf-8"))}
    assert used <= allowed
