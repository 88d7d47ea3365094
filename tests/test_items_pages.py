"""The 赋权事项 pages and JSON chunks: golden files on the tiny package, the catalogue records,
chunking, escaping, and the built demo site (links resolve, nothing hidden without JavaScript).

Golden files: tests/golden/items_tiny/ holds what the section renders for the tiny package.
After an intended change, regenerate with UPDATE_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import functools
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from pipeline.render import items as section
from pipeline.render import items_catalogue
from pipeline.render.items_catalogue import item_records
from pipeline.figures.items import township_regions
from pipeline.validate import validate
from tests.test_items_rules import set_cells

GOLDEN = Path(__file__).resolve().parent / "golden" / "items_tiny"
JS = Path(__file__).resolve().parent.parent / "site" / "assets" / "js" / "items-catalogue.js"
TINY_FILES = [
    "api/v1/items/chunks/jtj-1.json", "api/v1/items/chunks/zrzyj-1.json", "api/v1/items/index.json",
    "items/department/jtj.md", "items/department/zrzyj.md", "items/index.md",
    "items/township/990121001000.md", "items/township/990121002000.md",
]


@pytest.fixture(scope="module")
def tiny_files(tiny_ledger):
    return section.render_section(tiny_ledger, {}).files


def test_the_section_renders_these_files_for_the_tiny_package(tiny_files):
    assert sorted(tiny_files) == TINY_FILES


@pytest.mark.parametrize("path", TINY_FILES)
def test_rendered_file_matches_golden(tiny_files, path):
    golden = GOLDEN / path
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(tiny_files[path], encoding="utf-8", newline="\n")
    assert tiny_files[path] == golden.read_text(encoding="utf-8"), f"{path} differs from {golden}"


def test_generated_pages_are_searchable_but_their_data_tables_are_not(tiny_files):
    """Every page can be found by its name; its tables stay out of the index (walls of cell text),
    except a department's list of items, where an item's name leads to the department that devolved it."""
    for path, text in tiny_files.items():
        if path.endswith(".md"):
            assert text.startswith("---\ntitle: "), path
            assert "exclude: true" not in text, path
            indexed_tables = text.count('<div class="ledger-scroll"')
            assert indexed_tables == (1 if path.startswith("items/department/") else 0), path


def test_records_of_the_tiny_package(tiny_ledger):
    records = {r["id"]: r for r in item_records(tiny_ledger)}
    assert [r["id"] for r in item_records(tiny_ledger)] == ["D2", "D3", "D1", "D4"]  # by department, then id
    assert records["D1"] == {
        "id": "D1", "name": "乡村建设规划许可证核发", "power_type": "licensing", "power_type_zh": "行政许可",
        "department": "zrzyj", "department_zh": "示例市自然资源和规划局", "list_name": "首批赋权事项清单",
        "legal_basis": "《中华人民共和国城乡规划法》第四十一条", "decision_ref": "示政发〔2025〕3号",
        "effective_on": "2025-03-01", "revoked_on": None, "status": "active",
        "statutory_limit": 20, "promised_limit": 7, "limit_unit": "working_days", "limit_unit_zh": "工作日",
        "saved": 13, "last_reviewed_on": "2026-01-10", "townships": ["990121001000", "990121002000"],
        "cases": 8, "within_promise": [4, 5], "zero_use": False, "review_overdue": False,
        "last_case_month": "2026-02", "review_age_days": 110,
    }
    assert (records["D2"]["zero_use"], records["D2"]["review_overdue"], records["D2"]["saved"]) == (True, True, None)
    assert (records["D3"]["status"], records["D3"]["revoked_on"], records["D3"]["review_age_days"]) == \
        ("revoked", "2026-02-01", None)
    assert (records["D4"]["zero_use"], records["D4"]["within_promise"], records["D4"]["last_case_month"]) == \
        (True, [0, 0], None)


def test_catalogue_index_of_the_tiny_package(tiny_files):
    index = json.loads(tiny_files["api/v1/items/index.json"])
    assert index["items"] == 4 and index["small_sample"] == 10 and index["as_of"] == "2026-04-30"
    assert [(t["code"], t["items"]) for t in index["power_types"]] == [("licensing", 1), ("penalty", 2),
                                                                         ("inspection", 1)]
    assert [(d["code"], d["items"]) for d in index["departments"]] == [("jtj", 2), ("zrzyj", 2)]
    assert [(t["name"], t["items"]) for t in index["townships"]] == [("甲镇", 3), ("乙镇", 2)]
    assert index["chunks"][0] == {"file": "chunks/jtj-1.json", "department": "jtj", "items": 2,
                                  "power_types": ["inspection", "penalty"], "lists": ["首批赋权事项清单"],
                                  "townships": ["990121001000"]}


def test_large_departments_are_split_into_several_chunks(tiny_ledger, monkeypatch):
    monkeypatch.setattr(items_catalogue, "CHUNK_SIZE", 1)
    files = items_catalogue.api_files(tiny_ledger, item_records(tiny_ledger), township_regions(tiny_ledger))
    assert sorted(files) == ["api/v1/items/chunks/jtj-1.json", "api/v1/items/chunks/jtj-2.json",
                             "api/v1/items/chunks/zrzyj-1.json", "api/v1/items/chunks/zrzyj-2.json",
                             "api/v1/items/index.json"]
    assert [i["id"] for i in json.loads(files["api/v1/items/chunks/zrzyj-2.json"])["items"]] == ["D4"]


def test_cell_text_never_becomes_markup(tiny):
    set_cells(tiny, "devolved_items.csv", {"id": "D1"}, name="<img src=x onerror=alert(1)>规划许可",
              legal_basis='"><script>alert(2)</script>')
    report, ledger = validate(tiny)
    assert report.valid
    files = section.render_section(ledger, {}).files
    for path in ("items/department/zrzyj.md", "items/township/990121001000.md"):
        assert "<img src=x" not in files[path] and "<script>alert" not in files[path], path
        assert "&lt;img src=x onerror=alert(1)&gt;规划许可" in files[path], path
    chunk = json.loads(files["api/v1/items/chunks/zrzyj-1.json"])  # JSON keeps the text as text
    assert chunk["items"][0]["name"] == "<img src=x onerror=alert(1)>规划许可"


def test_catalogue_script_uses_dom_apis_only():
    source = JS.read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                      "http://", "https://"):
        assert forbidden not in source, forbidden


# --- the built demo site -----------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and (tag != "link" or key == "href"):
                self.hrefs.append(attrs[key])


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def item_pages(site: Path) -> list[Path]:
    return sorted((site / "items").rglob("index.html"))


def test_every_link_on_the_item_pages_resolves(built_demo_site):
    # Links inside generated raw HTML are not checked by mkdocs --strict, so check them here.
    site = built_demo_site
    checked = 0
    for page in item_pages(site):
        base = "http://site/" + page.parent.relative_to(site).as_posix() + "/"
        for href in parse(page).hrefs:
            url = urlparse(urljoin(base, href))
            if url.scheme in ("data", "mailto") or href.startswith("#"):
                continue
            assert url.netloc == "site", f"{page}: outside link {href}"
            target = site / unquote(url.path).lstrip("/")
            if url.path.endswith("/"):
                target = target / "index.html"
            assert target.exists(), f"{page.relative_to(site)}: {href} → {target.relative_to(site)} missing"
            if url.fragment and target.suffix == ".html":
                assert unquote(url.fragment) in parse(target).ids, f"{page}: {href} has no such anchor"
            checked += 1
    assert checked > 1000


def test_without_javascript_the_catalogue_links_every_department_and_township_page(built_demo_site, demo_dir):
    _, ledger = validate(demo_dir)
    index = built_demo_site / "items" / "index.html"
    hrefs = set(parse(index).hrefs)
    departments = sorted(set(ledger.devolved_items["from_department"]))
    towns = [t["code"] for t in township_regions(ledger)]
    assert {f"department/{d}/" for d in departments} <= hrefs
    assert {f"township/{t}/" for t in towns} <= hrefs
    # The department pages together list every item of the catalogue, as complete rows.
    listed = set()
    for d in departments:
        listed |= set(re.findall(r'<tr id="item-([^"]+)"', (built_demo_site / "items" / "department" / d /
                                                              "index.html").read_text(encoding="utf-8")))
    assert listed == set(ledger.devolved_items["id"])


def test_the_catalogue_page_loads_only_the_index_first(built_demo_site):
    index = json.loads((built_demo_site / "api" / "v1" / "items" / "index.json").read_text(encoding="utf-8"))
    chunk_bytes = [(built_demo_site / "api" / "v1" / "items" / c["file"]).stat().st_size for c in index["chunks"]]
    assert len(chunk_bytes) >= 10 and max(chunk_bytes) < 40_000  # each chunk is small
    assert (built_demo_site / "api" / "v1" / "items" / "index.json").stat().st_size < 20_000
    ids = [i["id"] for c in index["chunks"]
           for i in json.loads((built_demo_site / "api" / "v1" / "items" / c["file"]).read_text("utf-8"))["items"]]
    assert len(ids) == len(set(ids)) == index["items"]
