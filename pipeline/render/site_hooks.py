"""MkDocs hooks (mkdocs.yml ``hooks:``): checks of the site's own settings, the 404 page's links and
site search (render/site_search.py says what the search needs from the data).

Kept small: every page's content is rendered by the sections before mkdocs runs.
"""

from __future__ import annotations

import json
import re
import tempfile
from html import escape
from pathlib import Path

from mkdocs.exceptions import ConfigurationError

from pipeline.render import site_search

SAFE_URL = re.compile(r"(?:https?://[^\s\"'<>]+|mailto:[^\s\"'<>]+)\Z", re.IGNORECASE)
# href="/x" and src="/x", never protocol-relative "//host"
_ROOT_ABSOLUTE = re.compile(r'\b(href|src)="/(?!/)')
_CONFIG_ROOT = re.compile(r'"(search)": "/(?!/)')


def on_config(config):
    """The footer's links come from the config: only http(s) and mailto: addresses are accepted.
    Site search cuts Chinese with the data's names kept whole (search_words), once the settings are checked."""
    links = (config.extra or {}).get("ledger") or {}
    for key, title in (("repository", "代码仓库地址"), ("corrections", "纠错渠道地址")):
        value = links.get(key) or ""
        if value and not SAFE_URL.match(value):
            raise ConfigurationError(
                f"mkdocs.yml 中 extra.ledger.{key}（{title}）只能是 http(s):// 或 mailto: 地址，现在是“{value}”。")
    search_words(config)
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
    output_content = search_worker(output_content)
    if template_name == "404.html" and not config.site_url:
        return relative_404(output_content)
    return output_content


def on_post_page(output: str, page, config):
    return search_worker(output)


def on_post_build(config):
    search_pages(config)


# --- Site search ----------------------------------------------------------------------------------
# Material's search plugin writes search/search_index.json, which Material's script fetches on every
# page load. Here the whole index moves to search/pages.json, with the words of the browser's cut and
# the place names, and search_index.json keeps only the configuration: the worker
# (site/overrides/assets/javascripts/workers/ledger-search.js, set in the page config below) fetches
# pages.json on the first query, so a page that is only read loads no index.

SEARCH_INDEX = "search/search_index.json"
SEARCH_PAGES = "search/pages.json"
_WORKER = re.compile(r'"search": "([^"]*?)assets/javascripts/workers/(search\.[0-9a-f]+\.min\.js)"')
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


class _Jieba:
    """jieba's default dictionary, loaded once per process; each build cuts with a copy that also holds
    the data's names, so one build's names never change another's index."""

    base = None
    build = None
    names: dict = {}


def quiet_jieba():
    """jieba, imported and loaded without the noise it would print under the build's one line: setuptools'
    warning that ``pkg_resources`` (which jieba imports) is deprecated, and four lines of jieba's own log
    as it loads its dictionary, one of them naming a temporary folder. Called before mkdocs loads its
    plugins, which import jieba (the warning is given at the first import in a process only)."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning,
                            module=r"jieba\._compat")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _tokenizer(jieba, words: list[str]):
    """A tokenizer of ``jieba`` (the module, quieted by the caller) that also keeps ``words`` whole."""
    if _Jieba.base is None:
        base = jieba.Tokenizer()
        # jieba keeps its prefix dictionary in <system temp>/jieba.cache and loads any file of that name it
        # finds there: a folder every user can write to, and not ours. It builds it in a folder of the
        # build's own instead (a second or two a process), removed at once.
        with tempfile.TemporaryDirectory(prefix="sunshine-ledger-jieba-") as folder:
            base.tmp_dir = folder
            base.initialize()
        _Jieba.base = base
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(_Jieba.base.FREQ), _Jieba.base.total, True
    for word in words:
        if _HAN.search(word) and " " not in word:
            tokenizer.add_word(word)
    return tokenizer


def search_words(config) -> None:
    """The search plugin cuts with ``jieba.cut``: for this build, a tokenizer that keeps the data's
    names whole (青山镇, not 青 | 山镇)."""
    jieba = quiet_jieba()

    path = Path(config.docs_dir).joinpath(site_search.PATH)
    _Jieba.names = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    _Jieba.build = _tokenizer(jieba, _Jieba.names.get("words", []))
    jieba.cut = _Jieba.build.cut


def search_worker(html: str) -> str:
    """Material's page config names its search worker: ours loads it (see SEARCH_PAGES above)."""
    return _WORKER.sub(r'"search": "\1assets/javascripts/workers/ledger-search.js?material=\2"', html)


def _segment(text: str) -> str:
    """As the search plugin cuts (material/plugins/search/plugin.py, _segment_chinese)."""
    return _HAN.sub(lambda m: "\u200b" + "\u200b".join(_Jieba.build.cut(m.group(0))) + "\u200b", text).strip("\u200b")


def search_pages(config) -> None:
    jieba = quiet_jieba()

    site = Path(config.site_dir)
    index_path = site.joinpath(SEARCH_INDEX)
    names_path = site.joinpath(site_search.PATH)
    if names_path.is_file():
        names_path.unlink()
    if not index_path.is_file() or _Jieba.build is None:
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    docs = index["docs"] + [dict(doc, title=_segment(doc["title"]), text=_segment(doc["text"]))
                            for doc in _Jieba.names.get("docs", [])]
    separator = re.compile(index["config"]["separator"])
    vocabulary = set()
    for doc in docs:
        for field in (doc["title"], doc["text"]):
            vocabulary.update(w for part in separator.split(field) for w in _HAN.findall(part))
    freq = _Jieba.build.FREQ
    words = {w: max(freq.get(w) or 0, 1) for w in sorted(vocabulary)}
    pages = {"config": index["config"], "docs": docs, "total": _Jieba.build.total, "words": words,
             "places": _Jieba.names.get("places", {}), "names": _Jieba.names.get("names", [])}
    site.joinpath(SEARCH_PAGES).write_text(json.dumps(pages, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    index_path.write_text(json.dumps({"config": index["config"], "docs": []}, separators=(",", ":")), encoding="utf-8")
    jieba.cut = jieba.dt.cut
