"""Hostile input: a package whose every free-text cell (and every pattern-less id) is an attack
string builds, and everything published from it is inert — asserted on the output files.

One hostile build (session scope) serves every assertion. What "inert" means:
- HTML: no element carries an event-handler attribute, a javascript: URL, or an injected
  <img>/<script>; JSON inside <script> is escaped ("</", U+2028/2029) and parses;
- template syntax in a cell is printed, never evaluated ({{ 7*7 }} never becomes 49);
- JSON files parse strictly; Atom feeds, the sitemap and SVG files are well-formed XML;
- spreadsheets: in the Excel CSV (UTF-8 with BOM, downloads/csv-excel/) and the workbook
  (downloads/sunshine-ledger.xlsx) no cell is a formula; text that starts like one is
  text, a real negative number stays a number. The plain UTF-8 CSV (downloads/csv/) and
  the package files (downloads/*.csv) are data, byte-faithful to the source: they keep
  "=HYPERLINK(…)" as it was written, for programs rather than spreadsheets.
An unsafe URL in claims.source_url is refused by validation (unsafe-url): nothing publishes.
So is a value no download can hold (NaN, a 20-digit integer, a code ending in a newline, a name of
zero-width characters: VALUE_CASES); digits Python reads (١٢, ５, +5) publish in canonical text.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from markupsafe import escape

from pipeline.build import BuildConfig, InvalidData, build
from pipeline.core.package import path_problem
from pipeline.render.env import front_matter_string
from pipeline.validate import validate
from tests import hostile as value_cases
from tests.browser import ARTIFACTS, PageWatch, screenshot, serve
from tests.conftest import STANDARD
from tests.hostile import (FORMULA_START, FREE_IDS, FREE_TEXT, HOSTILE_METADATA, NEGATIVE, PAYLOADS, dangerous_url,
                           html_problems, json_in_script_problems, make_hostile, poison_source_url, scan)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="session")
def hostile_data(demo_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(demo_dir, folder)
    make_hostile(folder)
    return folder


@pytest.fixture(scope="session")
def hostile_site(hostile_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile-site") / "public"
    result = build(BuildConfig(data=hostile_data, out=out))
    assert result.report.valid and result.pages > 50
    return out


def files(root: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())


# --- the data set itself -----------------------------------------------------------------------

def test_every_free_text_field_of_the_standard_is_attacked():
    """A new free-text field cannot escape the hostile set: every string field that is not a code
    (enum, pattern, key or reference) must be in FREE_TEXT, or be a pattern-less id in FREE_IDS."""
    standard = json.loads(STANDARD.read_text(encoding="utf-8"))
    prose: dict[str, set[str]] = {}
    for resource in standard["resources"]:
        schema = resource["schema"]
        keys = {name for fk in schema.get("foreignKeys", []) for name in _as_list(fk["fields"])}
        keys |= set(_as_list(schema.get("primaryKey", [])))
        for field in schema["fields"]:
            rules = field.get("constraints", {})
            if field["type"] != "string" or "enum" in rules or "pattern" in rules or field["name"] in keys:
                continue
            prose.setdefault(resource["name"], set()).add(field["name"])
    checked_elsewhere = {("surveys", "subject_ref"), ("claims", "source_url")}  # code rule; unsafe-url test
    expected = {(r, f) for r, fields in prose.items() for f in fields} - checked_elsewhere
    assert {(r, f) for r, fields in FREE_TEXT.items() for f in fields} == expected
    free_ids = {r["name"] for r in standard["resources"] for f in r["schema"]["fields"]
                if f["name"] == "id" and "pattern" not in f.get("constraints", {})}
    assert set(FREE_IDS) == free_ids


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_hostile_package_is_valid(hostile_data):
    """Attack strings are not what the standard forbids (only unsafe URLs and personal data are):
    the package validates without a finding, so the site must publish it inert."""
    report, ledger = validate(hostile_data)
    assert list(report.findings) == []
    titles = set(ledger.issues["title"])
    assert {"<script>alert(1)</script>", "{{ 7*7 }}", '=HYPERLINK("http://evil","x")', "\r=1+1"} <= titles
    # The second claim's value (the demo's own claims hold real decreases too, e.g. burden_change_rate).
    assert ledger.claims["value"].iloc[1] == float(NEGATIVE)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                                 'https://example.org/" onmouseover="alert(1)', "//evil.example/x",
                                 "http://example.org/<script>"])
def test_an_unsafe_source_url_stops_the_build(tiny, tmp_path, url):
    poison_source_url(tiny, url)
    with pytest.raises(InvalidData) as info:
        build(BuildConfig(data=tiny, out=tmp_path / "public"))
    assert [(f.code, f.field) for f in info.value.report.errors] == [("unsafe-url", "source_url")]
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("case", sorted(c for c, spec in value_cases.VALUE_CASES.items() if spec[4]))
def test_a_value_that_no_download_can_hold_stops_the_build(tiny, tmp_path, case):
    value_cases.poison_value(tiny, case)
    with pytest.raises(InvalidData) as info:
        build(BuildConfig(data=tiny, out=tmp_path / "public"))
    _, _, field, _, code = value_cases.VALUE_CASES[case]
    assert [(f.code, f.field) for f in info.value.report.errors] == [(code, field)]
    assert not (tmp_path / "public").exists()


def test_digits_python_reads_build_and_every_download_holds_them_canonically(tiny, tmp_path):
    accepted = sorted(c for c, spec in value_cases.VALUE_CASES.items() if spec[4] is None)
    for case in accepted:
        value_cases.poison_value(tiny, case)
    out = tmp_path / "public"
    assert build(BuildConfig(data=tiny, out=out)).report.valid
    for case in accepted:
        rel, index, field, value, _ = value_cases.VALUE_CASES[case]
        name = rel.removesuffix(".csv")
        for folder in ("csv", "csv-excel"):
            with (out / "downloads" / folder / rel).open(encoding="utf-8-sig", newline="") as handle:
                assert list(csv.DictReader(handle))[index][field] == value_cases.CANONICAL_VALUES[value], (folder, case)
        records = json.loads((out / "downloads" / "json" / f"{name}.json").read_text(encoding="utf-8"))
        assert records[index][field] == int(value_cases.CANONICAL_VALUES[value]), case


def test_front_matter_survives_every_payload():
    """A title YAML cannot read would drop the page's front matter (and its search: exclude)."""
    for text in PAYLOADS[:-1] + ("\x85\u2028\ufffe", "a\\b\"c"):
        front = f"title: {front_matter_string(text)}\nsearch:\n  exclude: true\n"
        assert yaml.safe_load(front) == {"title": str(escape(text)), "search": {"exclude": True}}


# --- the checks are real -----------------------------------------------------------------------

def test_the_html_check_finds_each_kind_of_injection():
    assert html_problems('<p title="&lt;script&gt;">&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}</p>') == []
    assert html_problems('<img src=x onerror=alert(1)>') == ["<img onerror=…> event handler", "<img src=x> injected"]
    assert html_problems('<a href=" jav&#x09;ascript:alert(1)">x</a>') == ["<a href=' jav\\tascript:alert(1)'>"]
    assert html_problems('<div markdown="1">x</div>') == ["<div markdown=…> from a cell"]
    assert html_problems("<script>alert(1)</script>") == ["<script> runs injected code: 'alert(1)'"]
    assert json_in_script_problems('{"a": "</script>"}') == ["JSON in <script> carries '</' or '<!--' unescaped"]
    assert json_in_script_problems('{"a": "\u2028"}') == ["JSON in <script> carries U+2028/U+2029 unescaped"]
    assert dangerous_url("JaVaScRiPt&colon;alert(1)") and not dangerous_url("../issue/?id=javascript:x")


# --- the output files --------------------------------------------------------------------------

def test_every_html_page_is_inert(hostile_site):
    pages = files(hostile_site, ".html")
    problems = {str(p.relative_to(hostile_site)): html_problems(p.read_text(encoding="utf-8")) for p in pages}
    assert {page: found for page, found in problems.items() if found} == {}
    # The attack strings did reach the pages — escaped, as text.
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    for reached in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
                    "&#34; onmouseover=&#34;alert(1)", "[x](javascript:alert(1))", "{: onclick=&#34;alert(1)&#34; }",
                    "&lt;div markdown=&#34;1&#34;&gt;*x*&lt;/div&gt;", "=HYPERLINK(&#34;http://evil&#34;,&#34;x&#34;)",
                    "\u202eevil\u200b名称", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"):
        assert reached in text, reached


def test_template_syntax_in_a_cell_is_printed_not_run(hostile_site):
    pages = {p: p.read_text(encoding="utf-8") for p in files(hostile_site, ".html")}
    with_payload = [p for p, t in pages.items() if "{{ 7*7 }}" in t]
    assert len(with_payload) > 10
    assert "{% raw %}" in pages[hostile_site / "claims" / "index.html"]
    # Where a region's name is the payload, the page title shows it, not 49.
    titles = [re.search(r"<title>(.*?)</title>", t, re.S).group(1) for t in pages.values()]
    assert any("{{ 7*7 }}" in t for t in titles) and not any(t.startswith("49") for t in titles)


def test_every_json_file_parses_strictly(hostile_site):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    documents = files(hostile_site, ".json")
    assert len(documents) > 100
    for path in documents:
        json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_feeds_sitemap_and_svg_are_well_formed_and_inert(hostile_site):
    feeds = files(hostile_site / "feeds", ".xml")
    assert len(feeds) > 3
    for path in feeds + files(hostile_site, ".svg") + [hostile_site / "sitemap.xml"]:
        tree = ET.parse(path)
        for element in tree.iter():
            name = element.tag.rsplit("}", 1)[-1]
            assert name != "script", path
            for attribute, value in element.attrib.items():
                local = attribute.rsplit("}", 1)[-1]
                assert not local.startswith("on"), (path, attribute)
                assert not (local in ("href", "src") and dangerous_url(value)), (path, value)
            # An Atom text construct of type html is HTML to the reader: it must be inert too.
            if element.get("type") == "html" and element.text:
                assert html_problems(element.text) == [], path
    titles = [e.text for p in feeds for e in ET.parse(p).iter(f"{ATOM}title")]
    assert "<script>alert(1)</script>" in "".join(titles)  # the text, as text


def _resource_types() -> dict[str, dict[str, str]]:
    standard = json.loads(STANDARD.read_text(encoding="utf-8"))
    return {r["name"]: {f["name"]: f["type"] for f in r["schema"]["fields"]} for r in standard["resources"]}


def test_the_excel_csv_has_no_formula_and_keeps_numbers(hostile_site):
    types = _resource_types()
    guarded = 0
    for path in files(hostile_site / "downloads" / "csv-excel", ".csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            for field, cell in row.items():
                kind = types[path.stem][field]
                if kind in ("string", "list"):
                    assert not cell.startswith(FORMULA_START), (path.name, field, cell[:40])
                    guarded += cell.startswith("'=") or cell.startswith("'+") or cell.startswith("'\t")
                elif kind in ("integer", "number") and cell:
                    float(cell)  # a real number, never prefixed
    assert guarded > 50
    with (hostile_site / "downloads" / "csv-excel" / "claims.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [r["value"] for r in csv.DictReader(handle)][1] == NEGATIVE


def test_the_plain_csv_and_the_package_files_are_faithful_data(hostile_site, hostile_data):
    descriptor = json.loads((hostile_data / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        source_rows = []
        for rel in paths:
            assert (hostile_site / "downloads" / rel).read_bytes() == (hostile_data / rel).read_bytes(), rel
            with (hostile_data / rel).open(encoding="utf-8", newline="") as handle:
                source_rows += list(csv.DictReader(handle))
        with (hostile_site / "downloads" / "csv" / f"{resource['name']}.csv").open(encoding="utf-8", newline="") as h:
            assert list(csv.DictReader(h)) == source_rows, resource["name"]


def test_the_workbook_has_no_formula_and_keeps_numbers(hostile_site):
    path = hostile_site / "downloads" / "sunshine-ledger.xlsx"
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert len(sheets) > 10
        for name in sheets:
            assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), f"{name} holds a formula"
    book = openpyxl.load_workbook(path, read_only=True)
    kinds = {cell.data_type for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None}
    assert "f" not in kinds
    claims = book["公开报道数据"]
    rows = list(claims.iter_rows(values_only=True))
    header = list(rows[0])
    value = rows[2][header.index("数值")]
    assert value == float(NEGATIVE)
    texts = {cell for row in rows[1:] for cell in row if isinstance(cell, str)}
    assert '=HYPERLINK("http://evil","x")' in texts  # stored as text, shown as text
    book.close()


# --- the descriptor's own text (title, description, licence, keywords, sources) -----------------------

LICENCE = HOSTILE_METADATA["licenses"][0]


def test_hostile_descriptor_text_is_text_in_the_dcat_catalogue_and_the_published_descriptor(hostile_site):
    catalogue = json.loads((hostile_site / "data.json").read_text(encoding="utf-8"))
    assert catalogue["dct:title"] == {"@language": "zh", "@value": HOSTILE_METADATA["title"]}
    assert catalogue["dct:description"]["@value"] == HOSTILE_METADATA["description"]
    assert catalogue["dct:license"] == {"@id": LICENCE["path"], "dct:identifier": LICENCE["name"]}
    assert [k["@value"] for k in catalogue["dcat:dataset"][0]["dcat:keyword"]] == HOSTILE_METADATA["keywords"]
    published = json.loads((hostile_site / "downloads" / "datapackage.json").read_text(encoding="utf-8"))
    assert {key: published[key] for key in HOSTILE_METADATA} == HOSTILE_METADATA


def test_hostile_descriptor_text_is_text_in_the_atom_feeds(hostile_site):
    feed = ET.parse(hostile_site / "feeds" / "claims.xml").getroot()
    assert feed.find(f"{ATOM}title").text == f"{HOSTILE_METADATA['title']}：公开报道的数据"
    assert feed.find(f"{ATOM}rights").text == f"{LICENCE['title']} {LICENCE['path']}"
    assert feed.find(f"{ATOM}rights").get("type") in (None, "text")


def test_hostile_descriptor_text_is_text_on_the_downloads_page(hostile_site):
    page = (hostile_site / "data" / "index.html").read_text(encoding="utf-8")
    links = [dict(attrs) for tag, attrs in scan(page).elements if tag == "a" and dict(attrs).get("href") == LICENCE["path"]]
    assert links == [{"href": LICENCE["path"]}]
    assert escape(LICENCE["title"]) in page and "<svg onload" not in page
    assert f"版本 {escape(HOSTILE_METADATA['version'])}" in page


def test_hostile_descriptor_text_is_text_in_the_workbook(hostile_site):
    book = openpyxl.load_workbook(hostile_site / "downloads" / "sunshine-ledger.xlsx", read_only=True)
    rows = list(book["说明"].iter_rows(max_row=5))
    assert [(c.value, c.data_type) for c in rows[0] if c.value] == [(HOSTILE_METADATA["title"], "s")]
    assert [(c.value, c.data_type) for c in rows[1] if c.value] == [(HOSTILE_METADATA["description"], "s")]
    assert [c.value for c in rows[3] if c.value] == ["版本", HOSTILE_METADATA["version"]]
    assert [c.value for c in rows[4] if c.value] == ["许可协议", LICENCE["title"], LICENCE["path"]]
    book.close()


def test_links_and_anchors_hold_with_hostile_ids(hostile_site):
    from tests.test_links import broken_links

    assert broken_links(hostile_site) == []


# --- paths ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rel,why", [("..\\outside.csv", "不能包含“..”"), ("issues\\..\\..\\x.csv", "不能包含“..”"),
                                     ("C:\\data\\x.csv", "不能是绝对路径"), ("\\\\server\\x.csv", "不能是绝对路径"),
                                     ("file:///etc/passwd", "不能是网址")])
def test_windows_style_paths_are_refused(tiny, rel, why):
    assert path_problem(tiny, rel) == why


def test_a_symlinked_folder_in_the_middle_of_a_path_is_refused(tiny, tmp_path):
    outside = tmp_path / "outside"
    (outside / "issues").mkdir(parents=True)
    shutil.move(str(tiny / "issues" / "2026.csv"), outside / "issues" / "2026.csv")
    (tiny / "issues").rmdir()
    (tiny / "issues").symlink_to(outside / "issues", target_is_directory=True)
    assert path_problem(tiny, "issues/2026.csv") == "不能是符号链接"
    report, ledger = validate(tiny)
    assert [(f.code, f.value) for f in report.findings] == [("unsafe-path", "issues/2026.csv")]
    assert ledger is None


# --- in Chromium ---------------------------------------------------------------------------------

RECORD_ALERTS = ("window.__alerts = []; for (const name of ['alert', 'confirm', 'prompt']) "
                 "{ window[name] = (m) => { window.__alerts.push(name + ':' + m); }; }")


@pytest.mark.browser
def test_hostile_pages_run_no_injected_code_in_a_browser(hostile_site, hostile_data, chromium):
    """The pages that build their content with JavaScript from JSON (issue lookup, item catalogue,
    claims filter, search) are where an escaped page can still turn data into markup."""
    report, ledger = validate(hostile_data)
    issue = ledger.issues.loc[ledger.issues["title"].eq("<img src=x onerror=alert(1)>"), "id"].iloc[0]
    town = ledger.regions.loc[ledger.regions["level"].isin(["township", "street"]), "code"].iloc[0]
    dialogs: list[str] = []
    with serve(hostile_site) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        page.add_init_script(RECORD_ALERTS)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        watch = PageWatch(page, base)
        for path in ["/", f"/issues/region/{town}/", "/issues/overdue/", "/items/?q=alert", "/claims/",
                     "/outcomes/", "/outcomes/inspections/"]:
            page.goto(f"{base}{path}", wait_until="networkidle")
            assert page.evaluate("window.__alerts") == [], path
            # 5,000-character names and 200-letter words wrap: nothing scrolls sideways on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        page.goto(f"{base}/issue/?id={issue}", wait_until="networkidle")
        page.wait_for_selector(".issue-record")
        assert "<img src=x onerror=alert(1)>" in page.inner_text(".issue-record")  # shown as text
        screenshot(page, "hostile-issue-phone")
        page.goto(f"{base}/outcomes/", wait_until="networkidle")
        page.screenshot(path=str(ARTIFACTS / "hostile-outcomes-phone.png"))  # the first screen: pages are long
        page.goto(f"{base}/items/", wait_until="networkidle")
        page.locator("#items-q").press_sequentially("<", delay=20)
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "hostile-items-phone.png"))
        assert page.evaluate("window.__alerts") == []
        page.close()
    assert dialogs == []
    assert watch.outside_requests == []
    assert watch.console_errors == []
