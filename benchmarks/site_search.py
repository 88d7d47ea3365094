"""Site search engines compared on a built site: Material's search (jieba at build time) and Pagefind.

    .venv/bin/python benchmarks/site_search.py --site public [--pagefind /path/to/python]

For each engine it records the index's bytes (files and gzip), the bytes the browser loads for
the first query and for each later one, the first hit of every query in QUERIES and the time the
index takes to build. Material is measured through its own search box in Chromium (desktop);
Pagefind through its JavaScript API on a copy of the site, indexed with the same exclusions as
Material's (`data-search-exclude` blocks: tables, charts, cards, issue lists) by a Python that has
`pagefind[extended]` installed (`--pagefind`; it is not a dependency of the project, so the copy
is indexed only when one is given). Results go to benchmarks/site-search-results.md and .json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gzip
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# query → the page a person expects first (the bundled demo's names)
QUERIES = {  # (tests/test_site_search_query.py holds the same list)
    "青山镇": "issues/region/990121001000/",
    "竹园村": "place/?code=990121001001",
    "示例市交通运输局": "items/department/jtj/",
    "农村公路路政巡查": "items/department/jtj/",
    "道路": "items/department/jtj/",
    "超期未办结": "issues/overdue/",
    "报道核对": "claims/",
    "基层减负": "burden/",
    "青山镇道路": "issues/search/?place=990121001000&words=%E9%81%93%E8%B7%AF",  # 青山镇's issues with 道路
}
# Material's blocks left out of its index (data-search-exclude), for Pagefind's --exclude-selectors
EXCLUDED = (".ledger-scroll", ".items-results", ".ledger-cards", ".ledger-chart-scroll", ".ledger-table-details",
            ".issues-list-wrap", ".place-picker", ".issues-chart-scroll")
PAGEFIND_PROBE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>probe</title></head>
<body><script type="module">
window.probe = async (q) => {
  const pagefind = await import("./pagefind/pagefind.js");
  const found = await pagefind.search(q);
  const first = found.results.length ? await found.results[0].data() : null;
  return {count: found.results.length, first: first ? first.url : null};
};
window.ready = true;
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def sizes(files: list[Path]) -> dict:
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "gzip_bytes": sum(len(gzip.compress(p.read_bytes(), 6, mtime=0)) for p in files)}


class Loads:
    """Bytes of every response since the last reset (raw and gzip-compressed)."""

    def __init__(self, page, origin: str):
        self.raw = self.gz = 0
        self.urls: list[str] = []
        self.outside: list[str] = []

        def on_response(response):
            if not response.url.startswith(origin):
                return
            with contextlib.suppress(Exception):
                body = response.body()
                self.raw += len(body)
                self.gz += len(gzip.compress(body, 6, mtime=0))
                self.urls.append(response.url[len(origin):])

        def route(r):
            if r.request.url.startswith(origin):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        page.context.on("response", on_response)  # the search workers' requests too
        page.context.route("**/*", route)

    def take(self) -> dict:
        out = {"bytes": self.raw, "gzip_bytes": self.gz, "requests": list(self.urls)}
        self.raw = self.gz = 0
        self.urls = []
        return out


def measure_material(chromium, site: Path) -> dict:
    """Through Material's search box, on a desktop: the first hit of each query and what each loads."""
    results: dict = {"index": sizes(sorted((site / "search").glob("*.json"))), "queries": {}}
    with serve(site) as base:
        context = chromium.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        loads = Loads(page, base)
        page.goto(f"{base}/", wait_until="networkidle")
        page.wait_for_timeout(500)
        results["page_load"] = loads.take()
        box = page.locator("input.md-search__input")
        for query, expected in QUERIES.items():
            box.click()
            box.fill(query)
            box.press("End")
            item = page.locator(".md-search-result__item > a").first
            try:
                item.wait_for(timeout=10_000)
                page.wait_for_timeout(300)
                first = item.get_attribute("href")[len(base) + 1:]
            except Exception:  # no result: recorded as None
                first = None
            results["queries"][query] = {"expected": expected, "first": first, "first_ok": first == expected,
                                         "loaded": loads.take()}
            page.keyboard.press("Escape")
        results["outside_requests"] = loads.outside
        context.close()
    return results


def measure_pagefind(chromium, site: Path, python: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "site"
        shutil.copytree(site, copy)
        command = [python, "-m", "pagefind", "--site", str(copy), "--root-selector", "article.md-content__inner",
                   "--quiet"]
        for selector in EXCLUDED:
            command += ["--exclude-selectors", selector]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = round(time.perf_counter() - start, 2)
        bundle = copy / "pagefind"
        index_files = [p for p in bundle.rglob("*") if p.is_file() and p.suffix in (".pf_meta", ".pf_index",
                                                                                   ".pf_fragment", ".pagefind")]
        (copy / "pagefind-probe.html").write_text(PAGEFIND_PROBE, encoding="utf-8")
        results: dict = {"index_seconds": seconds, "index": sizes(index_files),
                         "bundle": sizes([p for p in bundle.rglob("*") if p.is_file()]), "queries": {}}
        with serve(copy) as base:
            for query, expected in QUERIES.items():
                context = chromium.new_context()
                page = context.new_page()
                loads = Loads(page, base)
                page.goto(f"{base}/pagefind-probe.html", wait_until="networkidle")
                page.wait_for_function("window.ready === true")
                loads.take()
                found = page.evaluate("q => window.probe(q)", query)
                first = found["first"].lstrip("/") if found["first"] else None
                loaded = loads.take()
                loaded["index_bytes"] = sum((copy / u.lstrip("/")).stat().st_size for u in loaded["requests"]
                                            if u.startswith(("/pagefind/index/", "/pagefind/fragment/")))
                results["queries"][query] = {"expected": expected, "first": first, "first_ok": first == expected,
                                             "count": found["count"], "loaded": loaded}
                context.close()
    return results


def material_index_seconds(site: Path) -> float:
    """Seconds Material's search plugin spends on the built pages' articles: its parser, jieba's cut of
    every section and the JSON it writes (what `ledger build` adds for search), jieba's dictionary
    already loaded (as it is once per process)."""
    import re

    import jieba
    from material.plugins.search.plugin import Parser, SearchIndex

    jieba.initialize()
    index = SearchIndex(lang=["zh"], separator=r"[\s\u200b\-]+", pipeline=[], fields={})
    article = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)
    pages = [m.group(1) for p in sorted(site.rglob("*.html")) if (m := article.search(p.read_text("utf-8")))]
    start = time.perf_counter()
    for html in pages:
        parser = Parser()
        parser.feed(html)
        parser.close()
        for section in parser.data:
            if not section.is_excluded():
                index._segment_chinese("".join(section.title))
                index._segment_chinese("".join(section.text))
    return round(time.perf_counter() - start, 2)


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def table(results: dict) -> str:
    material, pagefind = results["material"], results.get("pagefind")
    first_m = next(iter(material["queries"].values()))["loaded"]
    later_m = max(q["loaded"]["bytes"] for q in list(material["queries"].values())[1:])
    lines = [f"# Site search engines compared ({results['date']})", "",
             f"The bundled demo's site ({results['pages']} pages), served on 127.0.0.1; Chromium {results['chromium']}. "
             "Sizes as files and gzip-compressed (what a static host sends). "
             "`benchmarks/site_search.py` wrote this file.", "",
             "| | Material (lunr, jieba) | Pagefind extended |", "|---|---:|---:|"]
    pf = pagefind or {}
    pq = list(pf.get("queries", {}).values())
    lines.append(f"| index on disk | {kb(material['index']['bytes'])} ({kb(material['index']['gzip_bytes'])} gzip) | "
                 + (f"{kb(pf['index']['bytes'])} in {pf['index']['files']} files, {kb(pf['bundle']['bytes'])} "
                    "with its scripts |" if pf else "— |"))
    lines.append(f"| loaded by a page that is only read | {kb(material['page_load_search_bytes'])} | 0 KB |")
    lines.append(f"| loaded by the first query | {kb(first_m['bytes'])} ({kb(first_m['gzip_bytes'])} gzip) | "
                 + (f"{kb(min(q['loaded']['bytes'] for q in pq))}–{kb(max(q['loaded']['bytes'] for q in pq))} "
                    f"({kb(min(q['loaded']['gzip_bytes'] for q in pq))}–{kb(max(q['loaded']['gzip_bytes'] for q in pq))} gzip) |"
                    if pf else "— |"))
    lines.append(f"| loaded by each later query | {kb(later_m)} | "
                 + (f"{kb(min(q['loaded']['index_bytes'] for q in pq))}–{kb(max(q['loaded']['index_bytes'] for q in pq))} "
                    "(index and fragment files; the scripts are cached) |" if pf else "— |"))
    lines.append(f"| index build time | {material['index_seconds']} s (the search plugin's cut and parse) | "
                 + (f"{pf['index_seconds']} s (the pagefind command) |" if pf else "— |"))
    ok_m = sum(q["first_ok"] for q in material["queries"].values())
    ok_p = sum(q["first_ok"] for q in pq)
    lines.append(f"| expected page first | {ok_m} of {len(QUERIES)} | " + (f"{ok_p} of {len(QUERIES)} |" if pf else "— |"))
    lines += ["", "| query | expected first | Material first | Pagefind first |", "|---|---|---|---|"]
    for query, expected in QUERIES.items():
        m = material["queries"][query]["first"]
        p = pf["queries"][query]["first"] if pf else "—"
        lines.append(f"| {query} | `{expected}` | `{m}` {'✓' if m == expected else '✗'} | "
                     + (f"`{p}` {'✓' if p == expected else '✗'} |" if pf else "— |"))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, required=True, help="a site built by ledger build")
    parser.add_argument("--pagefind", help="a Python with pagefind[extended] installed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_FLAGS)
        results = {"date": dt.date.today().isoformat(), "chromium": chromium.version,
                   "pages": len(list(args.site.rglob("*.html"))), "material": measure_material(chromium, args.site)}
        if args.pagefind:
            results["pagefind"] = measure_pagefind(chromium, args.site, args.pagefind)
        chromium.close()
    material = results["material"]
    material["page_load_search_bytes"] = sum(
        (args.site / url.lstrip("/").split("?")[0]).stat().st_size for url in material["page_load"]["requests"]
        if url.startswith("/search/"))
    material["index_seconds"] = material_index_seconds(args.site)
    (HERE / "site-search-results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
    (HERE / "site-search-results.md").write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
