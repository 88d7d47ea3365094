"""地点: the home page's picker and the village documents, on the tiny package and the small demo.

Golden files: tests/golden/places_tiny/ holds what the section renders for the tiny package (the
picker block, the village page and the one shard). After an intended change, regenerate with
UPDATE_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.figures.metrics import compute_all
from pipeline.render import SECTIONS
from pipeline.render import issues
from pipeline.render import places
from pipeline.figures.breakdowns import breakdown_figures, meetings_by_region
from pipeline.render.issues_lookup import fnv1a
from pipeline.validate import validate
from tests.conftest import make_tiny

GOLDEN = Path(__file__).resolve().parent / "golden" / "places_tiny"
JIA_YI = "990121001001"  # 甲一村 in 甲镇
YI_YI = "990121002001"  # 乙一村 in 乙镇


@pytest.fixture(scope="module")
def tiny_places(tiny_ledger):
    return places.render_section(tiny_ledger, compute_all(tiny_ledger))


@pytest.fixture(scope="module")
def demo_places(demo_ledger):
    return places.render_section(demo_ledger, compute_all(demo_ledger))


def shard_places(files: dict) -> dict[str, dict]:
    """Every village document of every shard, by code (each shard's as_of added back)."""
    found = {}
    for path, content in files.items():
        if re.fullmatch(r"api/v1/places/\d+\.json", path):
            shard = json.loads(content)
            for code, document in shard["places"].items():
                assert code not in found, f"{code} is in two shards"
                found[code] = {**document, "as_of": shard["as_of"]}
    return found


@pytest.mark.parametrize("path", ["place-picker.html", "place/index.md", "api/v1/places/0.json",
                                  "api/v1/places/index.json"])
def test_tiny_output_matches_golden(tiny_places, path):
    content = tiny_places.blocks["place-picker"] if path == "place-picker.html" else tiny_places.files[path]
    golden = GOLDEN / path
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(content, encoding="utf-8", newline="\n")
    assert content == golden.read_text(encoding="utf-8"), f"{path} differs from {golden}"


def test_tiny_shard_holds_each_village_exactly(tiny_places):
    """Counted by hand from tests/fixtures/tiny: 甲一村 has Q-001, Q-002 (done), Q-007 (not yet assigned) and
    M-003 (no head count); 乙一村 has Q-003, Q-008 (done; Q-008 a day late), Q-004 (escalated, due 3-12,
    49 days overdue at 4-30) and M-002 (25 people)."""
    assert set(tiny_places.files) == {"place/index.md", "api/v1/places/0.json", "api/v1/places/index.json"}
    found = shard_places(tiny_places.files)
    assert sorted(found) == [JIA_YI, YI_YI]
    jia = found[JIA_YI]
    assert (jia["name"], jia["level"], jia["as_of"]) == ("甲一村", "村", "2026-04-30")
    assert jia["places"] == [
        {"code": "990100000000", "name": "示例市", "level": "市", "href": None},
        {"code": "990121000000", "name": "示例县", "level": "县(市、区)", "href": "issues/region/990121000000/"},
        {"code": "990121001000", "name": "甲镇", "level": "乡镇", "href": "issues/region/990121001000/"}]
    assert {f["name"]: (f["text"], f["detail"]) for f in jia["figures"]} == {
        "issues_raised": ("3", ""), "issues_resolved": ("2", ""), "resolution_rate": ("样本不足", "2 / 3"),
        "on_time_rate": ("样本不足", "1 / 2"), "overdue_open": ("0", ""), "median_days_to_resolve": ("3 天", "基于 2 件"),
        "township_resolution_share": ("样本不足", "1 / 2"), "escalated_count": ("0", ""),
        "meetings_held": ("1", ""), "persons_received": ("0", "")}
    assert jia["open"] == {"total": 1, "overdue": 0, "limit": 30, "listed": [
        {"id": "Q-007", "title": "建议增设村级快递点", "lead": "示例市自然资源和规划局", "due": None,
         "state": "unassigned", "days": 0, "timing": "尚未交办，未起算期限", "escalated": False}]}
    assert jia["meetings"] == {"total": 1, "limit": 10, "listed": [
        {"id": "M-003", "held_on": "2026-04-01", "mechanism": "镇会村开", "host": "乡镇级", "departments": [],
         "persons": None}]}
    yi = found[YI_YI]
    assert {f["name"]: f["metric"] for f in yi["figures"]}["on_time_rate"] == \
        {"value": 0.5, "numerator": 1, "denominator": 2}
    assert {f["name"]: f["text"] for f in yi["figures"]}["median_days_to_resolve"] == "8 天"  # (15 + 1) / 2
    assert yi["open"]["listed"] == [
        {"id": "Q-004", "title": "村口桥梁护栏缺失", "lead": "示例市交通运输局", "due": "2026-03-12",
         "state": "overdue", "days": 49, "timing": "已超期 49 天", "escalated": True}]
    assert (yi["open"]["total"], yi["open"]["overdue"]) == (1, 1)
    assert yi["meetings"]["listed"][0]["persons"] == 25
    assert json.loads(tiny_places.files["api/v1/places/index.json"]) == {
        "as_of": "2026-04-30", "hash": "fnv1a-32 over the UTF-8 bytes of the region code, modulo shards",
        "path": "api/v1/places/<hash % shards>.json", "shards": 1, "places": 2}


def table_rows(page: str, label: str) -> dict[str, list[str]]:
    """A figures table's rows on a rendered page: the row's name → its cells as text."""
    table = re.search(rf'aria-label="{label}">(.*?)</table>', page, re.S).group(1)
    rows = {}
    for name, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S):
        text = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", cells, re.S)]
        rows[re.sub(r"<[^>]+>", "", name)] = [" ".join(t) for t in text]
    return rows


def test_village_figures_equal_the_township_pages_village_table(demo_ledger, demo_places):
    """Every village of the demo: its document's figures are the cells of its row on its township's page."""
    files = issues.render_section(demo_ledger, compute_all(demo_ledger)).files
    found = shard_places(demo_places.files)
    regions = demo_ledger.regions
    villages = regions[regions["level"].isin(["village", "community"])]
    assert len(found) == len(villages) > 20
    columns = ["issues_raised", "issues_resolved", "resolution_rate", "on_time_rate", "median_days_to_resolve",
               "township_resolution_share", "overdue_open", "escalated_count"]
    for code, name, town in zip(villages["code"], villages["name"], villages["parent_code"]):
        row = table_rows(files[f"issues/region/{town}.md"], "各下级区划")[name]
        figures = {f["name"]: f for f in found[code]["figures"]}
        shown = [" ".join(x for x in (figures[c]["text"], figures[c]["detail"]) if x)
                 if figures[c]["kind"] == "rate" else figures[c]["text"] for c in columns]
        assert shown == row, (code, name)


def test_village_figures_are_the_breakdown_functions_output(demo_ledger, demo_places):
    found = shard_places(demo_places.files)
    codes = sorted(found)
    issues_by_village = breakdown_figures(demo_ledger, "region", codes)
    meetings_by_village = meetings_by_region(demo_ledger, codes)
    for code in codes:
        want = {**issues_by_village[code], **meetings_by_village[code]}
        assert {f["name"]: f["metric"] for f in found[code]["figures"]} == \
            {name: metric.to_dict() for name, metric in want.items()}, code
    assert sum(found[c]["open"]["total"] for c in codes) <= len(demo_ledger.issues)


def test_open_issues_and_meetings_are_the_villages_own_and_bounded(demo_ledger, demo_places):
    found = shard_places(demo_places.files)
    issues_ = demo_ledger.issues
    for code, document in found.items():
        here = issues_[issues_["region_code"].eq(code)]
        is_open = here[~here["done"] & ~here["withdrawn"]]
        assert document["open"]["total"] == len(is_open)
        listed = [i["id"] for i in document["open"]["listed"]]
        assert len(listed) == min(len(is_open), places.OPEN_LIMIT) and set(listed) <= set(is_open["id"])
        meetings = demo_ledger.meetings[demo_ledger.meetings["region_code"].eq(code)]
        days = [m["held_on"] for m in document["meetings"]["listed"]]
        assert document["meetings"]["total"] == len(meetings)
        assert len(days) == min(len(meetings), places.MEETING_LIMIT) and days == sorted(days, reverse=True)


def test_each_village_is_in_the_shard_its_code_hashes_to(demo_places):
    index = json.loads(demo_places.files["api/v1/places/index.json"])
    shards = {int(p.split("/")[-1][:-5]): json.loads(c) for p, c in demo_places.files.items()
              if re.fullmatch(r"api/v1/places/\d+\.json", p)}
    assert sorted(shards) == list(range(index["shards"])) and index["shards"] > 1  # every shard exists
    for n, shard in shards.items():
        assert all(fnv1a(code) % index["shards"] == n for code in shard["places"])
        assert list(shard["places"]) == sorted(shard["places"])
    assert sum(len(s["places"]) for s in shards.values()) == index["places"]
    assert max(len(c.encode("utf-8")) for p, c in demo_places.files.items() if p.endswith(".json")) < 50 * 1024


def test_one_page_however_many_villages(demo_places, tiny_places):
    assert [p for p in demo_places.files if p.endswith(".md")] == ["place/index.md"]
    assert [p for p in tiny_places.files if p.endswith(".md")] == ["place/index.md"]


def test_rendering_twice_gives_the_same_bytes(demo_ledger, demo_places):
    again = places.render_section(demo_ledger, compute_all(demo_ledger))
    assert again.files == demo_places.files and again.blocks == demo_places.blocks


def test_picker_lists_every_county_township_and_village_in_order(demo_ledger, demo_places):
    block = demo_places.blocks["place-picker"]
    regions = demo_ledger.regions
    counties = list(regions.loc[regions["level"].eq("county"), "name"])
    assert re.findall(r'<span class="place-county-name">(.*?)</span>', block) == counties
    towns = regions[regions["level"].isin(["township", "street"])]
    assert re.findall(r'class="place-town-link" href="issues/region/(\d+)/"', block) == list(towns["code"])
    villages = regions[regions["level"].isin(["village", "community"])]
    assert re.findall(r'href="place/\?code=(\d+)"', block) == list(villages["code"])
    assert "<details class=\"place-county\" open>" not in block  # two counties: both start folded


@pytest.fixture
def markup_names(tmp_path) -> Path:
    """The tiny package with a village, a township and a county named with < > " & characters."""
    folder = make_tiny(tmp_path / "tiny")
    regions = pd.read_csv(folder / "regions.csv", dtype=str, keep_default_na=False)
    names = {"990121001001": '<b>"甲"&一村</b>', "990121001000": "<i>甲镇</i>", "990121000000": 'A&B"县"'}
    regions["name"] = [names.get(c, n) for c, n in zip(regions["code"], regions["name"])]
    regions.to_csv(folder / "regions.csv", index=False, lineterminator="\n")
    return folder


def test_names_with_markup_characters_are_escaped_in_the_picker_and_exact_in_the_shard(markup_names):
    report, ledger = validate(markup_names)
    assert report.valid, [f.message_en for f in report.errors]
    rendered = places.render_section(ledger, compute_all(ledger))
    block = rendered.blocks["place-picker"]
    assert "<b>" not in block and "<i>" not in block
    assert '<a href="place/?code=990121001001">&lt;b&gt;&#34;甲&#34;&amp;一村&lt;/b&gt;</a>' in block
    assert 'href="issues/region/990121001000/">&lt;i&gt;甲镇&lt;/i&gt;</a>' in block
    assert 'aria-label="&lt;i&gt;甲镇&lt;/i&gt;的村（社区）：1 个村"' in block
    assert '<span class="place-county-name">A&amp;B&#34;县&#34;</span>' in block
    village = shard_places(rendered.files)["990121001001"]
    assert village["name"] == '<b>"甲"&一村</b>'
    assert [p["name"] for p in village["places"]] == ["示例市", 'A&B"县"', "<i>甲镇</i>"]


def test_the_section_is_registered_and_its_block_is_on_the_home_page():
    assert "pipeline.render.places" in SECTIONS
    home = (Path(__file__).resolve().parent.parent / "site" / "index.md").read_text(encoding="utf-8")
    assert home.count("<!-- ledger:place-picker -->") == 1


def test_a_township_without_villages_has_no_village_list(tmp_path):
    folder = make_tiny(tmp_path / "tiny")
    regions = (folder / "regions.csv").read_text(encoding="utf-8")
    (folder / "regions.csv").write_text(regions + "990121003000,丙镇,township,990121000000\n", encoding="utf-8")
    report, ledger = validate(folder)
    assert report.valid, [f.message_en for f in report.errors]
    block = places.render_section(ledger, compute_all(ledger)).blocks["place-picker"]
    assert ('<li class="place-town"><a class="place-town-link" href="issues/region/990121003000/">丙镇</a></li>'
            in block)
    assert "3 个乡镇（街道）" in block
    shutil.rmtree(folder)


def test_batched_lists_equal_each_villages_own_call(demo_ledger, demo_places):
    """The documents list open issues and meetings from one call over all villages; each village's list
    must be what ``open_issue_rows``/``meeting_rows`` give for that village alone."""
    from pipeline.render.issues_records import Names, meeting_rows, open_issue_rows

    names, issues_, meetings = Names.of(demo_ledger), demo_ledger.issues, demo_ledger.meetings
    found = shard_places(demo_places.files)
    for code, document in found.items():
        own = issues_[issues_["region_code"].eq(code) & ~issues_["done"] & ~issues_["withdrawn"]]
        want = [places.open_issue_entry(r) for r in open_issue_rows(demo_ledger, own, names, limit=places.OPEN_LIMIT)]
        assert document["open"]["listed"] == want, code
        held = meetings[meetings["region_code"].eq(code)]
        want = [places.meeting_entry(r) for r in meeting_rows(demo_ledger, held, names, limit=places.MEETING_LIMIT)]
        assert document["meetings"]["listed"] == want, code
    assert sum(len(d["open"]["listed"]) for d in found.values()) == \
        sum(min(d["open"]["total"], places.OPEN_LIMIT) for d in found.values()) > 0


def test_a_village_with_more_open_issues_than_the_limit_lists_the_most_overdue(demo_ledger, monkeypatch):
    from pipeline.render.issues_records import Names, open_issue_rows

    monkeypatch.setattr(places, "OPEN_LIMIT", 1)
    monkeypatch.setattr(places, "MEETING_LIMIT", 1)
    found = shard_places(places.render_section(demo_ledger, compute_all(demo_ledger)).files)
    code, busiest = max(found.items(), key=lambda item: (item[1]["open"]["total"], item[0]))
    assert busiest["open"]["total"] == 2 and len(busiest["open"]["listed"]) == 1
    issues_ = demo_ledger.issues
    own = issues_[issues_["region_code"].eq(code) & ~issues_["done"] & ~issues_["withdrawn"]]
    first = open_issue_rows(demo_ledger, own, Names.of(demo_ledger))[0]  # most overdue first
    assert busiest["open"]["listed"] == [places.open_issue_entry(first)]
    assert all(len(d["meetings"]["listed"]) == min(1, d["meetings"]["total"]) for d in found.values())
    assert any(d["meetings"]["total"] > 1 for d in found.values())


def test_township_page_links_each_village_to_its_page(built_demo_site, demo_ledger):
    regions = demo_ledger.regions
    town = regions.loc[regions["level"] == "township", "code"].iloc[0]
    villages = regions.loc[(regions["parent_code"] == town) & regions["level"].isin(["village", "community"]), "code"]
    html = (built_demo_site / "issues" / "region" / town / "index.html").read_text(encoding="utf-8")
    assert len(villages)
    for code in villages:
        assert f'href="../../../place/?code={code}"' in html


@settings(max_examples=200, deadline=None)
@given(regions=st.lists(st.sampled_from("abcdef"), max_size=60), limit=st.integers(0, 4),
       shared=st.booleans())
def test_first_rows_are_the_rows_some_village_lists(regions, limit, shared):
    """``first_rows`` picks exactly the rows the per-village loop appends somewhere: with a region counted
    in two villages (``shared``) as well as in one, and regions no village owns."""
    owners = {"a": ["V1"], "b": ["V1"], "c": ["V2"], "d": ["V2", "V3"] if shared else ["V3"], "e": ["V3"]}
    lists: dict[str, list[int]] = {}
    for position, region in enumerate(regions):
        for village in owners.get(region, []):
            if len(lists.setdefault(village, [])) < limit:
                lists[village].append(position)
    assert places.first_rows(regions, owners, limit) == sorted({p for kept in lists.values() for p in kept})
