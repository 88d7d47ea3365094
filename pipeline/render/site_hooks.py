"""MkDocs hooks (mkdocs.yml ``hooks:``): checks of the site's own settings and the 404 page's links.

Kept tiny: every page's content is rendered by the sections before mkdocs runs.
"""

from __future__ import annotations

import re
from html import escape

from mkdocs.exceptions import ConfigurationError

SAFE_URL = re.compile(r"(?:https?://[^\s\"'<>]+|mailto:[^\s\"'<>]+)\Z", re.IGNORECASE)
# href="/x" and src="/x", never protocol-relative "//host"
_ROOT_ABSOLUTE = re.compile(r'\b(href|src)="/(?!/)')
_CONFIG_ROOT = re.compile(r'"(search)": "/(?!/)')


def on_config(config):
    """The footer's links come from the config: only http(s) and mailto: addresses are accepted."""
    links = (config.extra or {}).get("ledger") or {}
    for key, title in (("repository", "代码仓库地址"), ("corrections", "纠错渠道地址")):
        value = links.get(key) or ""
        if value and not SAFE_URL.match(value):
            raise ConfigurationError(
                f"mkdocs.yml 中 extra.ledger.{key}（{title}）只能是 http(s):// 或 mailto: 地址，现在是“{value}”。")
    return config


def relative_404(html: str) -> str:
    """Root-absolute links made relative: the 404 page is served at any missing address, often under a
    project sub-path (/NAME/ on GitHub Pages), where "/assets/…" would point outside the site."""
    html = _ROOT_ABSOLUTE.sub(r'\1="', html).replace('href=""', 'href="./"')
    # Material's page config (base address, search worker) is JSON inside the page.
    return _CONFIG_ROOT.sub(r'"\1": "', html.replace('"base": "/"', '"base": "."'))


LINKS_MARKER = "<!-- site:links -->"


def links_html(links: dict) -> str:
    """The repository and corrections addresses as a paragraph (values were checked by on_config)."""
    repository, corrections = links.get("repository") or "", links.get("corrections") or ""
    parts = []
    if corrections:
        parts.append(f'发现数据或页面有错误，请通过<a href="{escape(corrections)}">纠错渠道</a>告诉我们')
    if repository:
        parts.append(f'代码和全部数据在<a href="{escape(repository)}">代码仓库</a>中公开')
    if not parts:
        return ('<p class="ledger-links">本站的部署单位尚未填写代码仓库和纠错渠道的地址'
                '（在 <code>mkdocs.yml</code> 的 <code>extra.ledger</code> 中设置）。</p>')
    return '<p class="ledger-links">' + "；".join(parts) + "。</p>"


def on_page_markdown(markdown: str, page, config, files):
    if LINKS_MARKER in markdown:
        return markdown.replace(LINKS_MARKER, links_html((config.extra or {}).get("ledger") or {}))
    return markdown


def on_post_template(output_content: str, template_name: str, config):
    if template_name == "404.html" and not config.site_url:
        return relative_404(output_content)
    return output_content
