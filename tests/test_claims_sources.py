"""Every published figure quotes its source word for word.

The real claims (pipeline/reported_claims.csv) used to carry "quotes" built from the figure
table ("《松绑减负激活力…》：达日县，总体网办率，90.55%"): sentences no source printed. Now each
quote is a run of its source text after the one normalisation of pipeline/figures/sources.py (pinyin
groups removed, OpenCC t2s, NFKC), and the figure is written in it.

The five source texts live beside the repository in ../shared/sources/ and are not part of
it. The check against them skips where that folder is absent (a laptop, or a county's fork: its CI
has no ../shared/ beside the checkout), but fails under CI=true when ../shared/ is there without its
sources: the project's own CI always runs it.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.demo.generator import REPORTED_CLAIMS
from pipeline.figures.sources import figure_forms, figure_in, normalise, remove_pinyin, to_simplified

REPO = Path(__file__).resolve().parent.parent
SOURCES = Path(REPO).parent / "shared" / "sources"
# The report of each section of reported-figures.md (shared/sources/README.md).
SOURCE_FILES = {"A": "000_cf61ccad2f8096c8.txt", "B": "001_e0df8454cccbf818.txt", "C": "002_4a1da81dfb35e536.txt",
                "D": "003_4cccc244a1e3073d.txt", "E": "004_870b734d0e951965.txt"}
NO_VALUE = {"R-B-06", "R-B-07", "R-B-09", "R-B-13", "R-D-04"}


def reported() -> list[dict]:
    with REPORTED_CLAIMS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


REPORTED = reported()


def without_sources(folder: Path, ci: bool) -> str | None:
    """What to do when the source texts are not in ``folder`` (shared/sources): "fail" under CI in the
    project's own checkout (``shared/`` beside it), "skip" elsewhere; None when they are there."""
    if folder.is_dir():
        return None
    return "fail" if ci and folder.parent.is_dir() else "skip"


def test_the_sources_are_required_under_ci_only_beside_the_projects_shared_folder(tmp_path):
    shared = tmp_path / "shared"
    assert without_sources(shared / "sources", ci=True) == "skip"  # a fork's CI: no shared/ at all
    assert without_sources(shared / "sources", ci=False) == "skip"
    shared.mkdir()
    assert without_sources(shared / "sources", ci=True) == "fail"  # the project's checkout lost them
    assert without_sources(shared / "sources", ci=False) == "skip"
    (shared / "sources").mkdir()
    assert without_sources(shared / "sources", ci=True) is None


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    """Section letter → the normalised text of its source."""
    missing = without_sources(SOURCES, os.environ.get("CI") == "true")
    if missing == "fail":
        pytest.fail(f"CI=true but the source texts are missing: {SOURCES}")
    if missing == "skip":
        pytest.skip(f"the source texts are not beside the repository ({SOURCES})")
    return {section: normalise((SOURCES / name).read_text(encoding="utf-8")) for section, name in SOURCE_FILES.items()}


# --- the normalisation, on exact passages of each file ------------------------------------

@pytest.mark.parametrize(("raw", "printed"), [
    # 000 (人民日报, 义乌): traditional characters with pinyin after some of them; a title in ASCII parentheses stays
    ("開會(huì)下沉一級(jí) 服務(wù)更進(jìn)一步(基層治理新實(shí)踐)", "开会下沉一级 服务更进一步(基层治理新实践)"),
    ("活動(dòng)928次,幫助基層解決問題3227個(gè)。", "活动928次,帮助基层解决问题3227个。"),
    # 001 (河北日报): already simplified; the lost numbers stay lost, the advertisement line is untouched
    ("首批平均下放审批服务事项项", "首批平均下放审批服务事项项"),
    ("受理率%,75%在乡镇化解", "受理率%,75%在乡镇化解"),
    ("知名研究白癜风专家", "知名研究白癜风专家"),
    # 002 (人民网, 青海): a rate; Chinese in parentheses stays; a circled number becomes a digit (NFKC)
    ("總體網(wǎng)辦率達90.55%", "总体网办率达90.55%"),
    ("《西寧市損害營商環(huán)境行為責(zé)任追究辦法(試行)》", "《西宁市损害营商环境行为责任追究办法(试行)》"),
    ("系列報道⑤", "系列报道5"),
    # 003 (共产党员网): a name's note in parentheses stays
    ("李明燦(化名)", "李明灿(化名)"),
    ("在浙江柯橋區(qū),區(qū)綜合執(zhí)法局109名執(zhí)法干部中,已有96名下沉到基層一線",
     "在浙江柯桥区,区综合执法局109名执法干部中,已有96名下沉到基层一线"),
    # 004 (奉化): simplified, ASCII parentheses around Chinese
    ("414批/974人次", "414批/974人次"),
    ("391个村(社区)", "391个村(社区)"),
    # full-width forms and full-width parentheses around pinyin
    ("９０．５５％，", "90.55%,"),
    ("開會（huì）", "开会"),
])
def test_normalise_gives_back_the_printed_text(raw, printed):
    assert normalise(raw) == printed


def test_normalise_cannot_repair_misdecoded_bytes():
    """002's mis-decoded passage stays garbled: such passages are never quoted."""
    assert normalise("闭劶盎鶎訙p負") == "闭劶盎鶎訙p负"
    assert normalise("沒人去牽頭,基層很撓頭!庇浾呓鼇") == "没人去牵头,基层很挠头!庇浾呓鼇"


def test_t2s_keeps_zhu():
    """OpenCC t2s leaves 著 (also a simplified character): 帶著 becomes 带著, not 带着."""
    assert to_simplified("帶著") == "带著" and normalise("著力解決") == "著力解决"


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PINYIN = st.from_regex(r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,6}", fullmatch=True)


@given(st.lists(st.tuples(CJK, st.one_of(st.none(), PINYIN)), max_size=30))
def test_remove_pinyin_removes_exactly_the_readings(pairs):
    annotated = "".join(char + (f"({reading})" if reading else "") for char, reading in pairs)
    assert remove_pinyin(annotated) == "".join(char for char, _ in pairs)


@given(st.text(alphabet=st.one_of(CJK, st.sampled_from("0123456789%.,()（）")), max_size=40))
def test_remove_pinyin_keeps_chinese_and_numbers_in_parentheses(text):
    assert remove_pinyin(text) == text


@pytest.mark.parametrize(("value", "forms"), [
    ("928", ["928"]), ("90.55", ["90.55"]), ("100", ["100"]), ("22000", ["22000", "2.2万"]),
    ("30000", ["30000", "3万"]), ("1600", ["1600"]), ("12443", ["12443"]), (75.0, ["75"]),
])
def test_figure_forms(value, forms):
    assert figure_forms(value) == forms


@pytest.mark.parametrize(("text", "value", "found"), [
    ("已问责处理53人,其中党政纪处分23人", "23", True),
    ("2023年", "23", False),  # inside a longer number
    ("办结15039件", "5", False),
    ("总体网办率达90.55%", "90.55", True),
    ("总体网办率达90.55%", "90.5", False),
    ("共接报群众反映热点难点问题3万余件", "30000", True),
    ("向基层下沉编制2.2万余名", "22000", True),
])
def test_figure_in(text, value, found):
    assert figure_in(text, value) is found


@given(st.integers(min_value=0, max_value=10**7), st.text(alphabet=CJK, max_size=5), st.text(alphabet=CJK, max_size=5),
       st.sampled_from("0123456789"))
def test_figure_in_finds_a_number_only_as_a_whole(number, before, after, digit):
    assert figure_in(f"{before}{number}{after}", number)
    assert not figure_in(f"{before}{number}{digit}{after}", number)
    assert not figure_in(f"{before}{digit}.{number}{after}", number)


# --- the claims against their sources ---------------------------------------------------------

def test_quotes_built_from_the_figure_table():
    """The defect: quotes made of 《title》：region，subject，value or （原文数字缺失）, which no source printed."""
    for row in REPORTED:
        quote = row["quote"]
        assert not quote.startswith("《"), row["id"]
        assert "原文数字缺失" not in quote and "，" not in quote, row["id"]  # NFKC writes the comma as ","
        assert not quote.startswith(f"{row['region_name']}，"), row["id"]


@pytest.mark.parametrize("row", REPORTED, ids=[r["id"] for r in REPORTED])
def test_every_real_quote_is_found_verbatim_in_its_normalised_source(sources, row):
    text = sources[row["id"].split("-")[1]]
    quote = row["quote"]
    assert quote in text, f"{row['id']}: the quote is not in its normalised source"
    if row["value"]:
        assert figure_in(quote, row["value"]), f"{row['id']}: {row['value']} is not written in the quote"
    else:
        assert row["id"] in NO_VALUE


@pytest.mark.parametrize("row", REPORTED, ids=[r["id"] for r in REPORTED])
def test_quotes_are_clean_passages(row):
    """No mis-decoded text ("!" closing a quotation, letters among CJK), no t2s artefact 著, no web furniture."""
    quote = row["quote"]
    assert "!" not in quote and "著" not in quote and "http" not in quote, row["id"]
    assert not re.search(r"[\u4e00-\u9fff][A-Za-z][\u4e00-\u9fff]", quote), row["id"]
    assert 0 < len(quote) <= 300


def test_a_lost_number_keeps_the_sentence_as_it_stands():
    by_id = {r["id"]: r for r in REPORTED}
    assert by_id["R-B-06"]["quote"] == "首批平均下放审批服务事项项"
    assert by_id["R-B-13"]["quote"] == "今年以来,该平台共接报群众反映热点难点问题3万余件,受理率%,75%在乡镇化解。"
    assert {r["id"] for r in REPORTED if not r["value"]} == NO_VALUE
