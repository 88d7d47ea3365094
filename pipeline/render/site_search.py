"""What site search needs from the data: the names jieba must keep whole, and entries for villages.

Site search is Material's (lunr), with jieba cutting Chinese at build time (mkdocs.yml, the search
plugin) and the same cut on the query in the browser (site/overrides/assets/javascripts/workers/
ledger-search.js). jieba's own dictionary cuts many of the package's names apart (青山镇 → 青 | 山镇),
so this section writes ``search/names.json`` for the build hook (render/site_hooks.py):

- ``words``: every place name (青山镇, 竹园村), each kept as one word when the index is cut (and so
  when the query is: the browser's dictionary is the index's own words). Department and item names
  are not: they are phrases (示例市交通运输局, 农村公路路政巡查) that jieba cuts into words a person
  also types alone (交通运输, 道路), and the query's cut is the same, so the whole name still finds
  its page first;
- ``names``: the department and devolved item names: typed whole, they are a page's name, never
  a place plus words (示例市交通运输局 is not 示例市's issues about 交通运输);
- ``places``: place name → region code, for the search's link to the issue list of a place
  (a name two places share is left out);
- ``docs``: one index entry for every village and community, which have no page of their own but
  the one page ``place/?code=…``, so that typing a village's name finds it.

The hook reads the file, then leaves it out of the published site.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.render.issues_pages import VILLAGE_LEVELS
from pipeline.render.section import File, Part, Rendered, collect

PATH = "search/names.json"
VILLAGE_BOOST = 2  # as the place and department pages (front matter search.boost)


def names_document(ledger: Ledger) -> dict:
    regions = ledger.regions.dropna(subset=["code", "name"])
    names = dict(zip(regions["code"], regions["name"].str.strip()))
    parents = dict(zip(regions["code"], regions["parent_code"]))
    words = set(names.values())
    seen: set[str] = set()
    shared: set[str] = set()
    for name in names.values():
        (shared if name in seen else seen).add(name)
    places = {name: code for code, name in names.items() if name not in shared}
    docs = []
    for code, level in zip(regions["code"], regions["level"]):
        if level not in VILLAGE_LEVELS:
            continue
        trail, up = [], parents.get(code)
        while isinstance(up, str) and up in names:
            trail.append(names[up])
            up = parents.get(up)
        above = " › ".join(reversed(trail))
        kind = "社区" if level == "community" else "村"
        # Material's index holds HTML (its own entries are escaped text): a name is text, never markup.
        docs.append({"location": f"place/?code={code}", "title": escape(names[code], quote=False),
                     "text": escape(f"{above} › {names[code]}：这个{kind}的问题办理、未办结问题和最近的会议。", quote=False),
                     "boost": VILLAGE_BOOST})
    others = set()
    for frame in (ledger.departments, getattr(ledger, "devolved_items", None)):
        if frame is not None and "name" in frame.columns:
            others |= {n.strip() for n in frame["name"].dropna().astype(str) if n.strip()}
    return {"words": sorted(words), "names": sorted(others - words), "places": dict(sorted(places.items())), "docs": docs}


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    yield File(PATH, json.dumps(names_document(ledger), ensure_ascii=False, indent=0, sort_keys=True) + "\n")


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
