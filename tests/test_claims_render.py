"""The 报道核对 page, the claims API document and the methodology table, on a small fixture.

The fixture is the tiny package with its claims replaced by one claim of each verdict, an
internal pair and hostile text. Golden files: tests/golden/claims_*; regenerate them with
UPDATE_GOLDEN=1 after checking the difference by eye.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.core.ledger import build_ledger
from pipeline.figures.metrics import METRICS
from pipeline.core.package import load
from pipeline.render.claims import checked, claims_document, claims_page, decimal_text, method_block, render_section

GOLDEN = Path(__file__).resolve().parent / "golden"
HEADER = ("id,region_name,region_code,subject,metric,value,unit,period_start,period_end,source_title,"
          "source_publisher,source_date,source_url,quote\n")
CLAIMS = HEADER + """\
C-1,示例县,990121000000,办结问题,issues_resolved,4,个,2026-01-01,2026-04-30,示例县改革简报,示例日报,2026-04-30,,示例县已办结问题4个
C-2,示例县,990121000000,按期办结率,on_time_rate,62.5,%,,,示例县提速简报,示例日报,2026-04-30,https://example.org/a?b=1&c=2,按期办结率达62.5%
C-3,甲镇,990121001000,下沉会议,meetings_held,5,次,2026-03-01,2026-03-31,甲镇会议简报,示例日报,2026-04-01,javascript:alert(1),甲镇三月召开下沉会议5次
C-4,某地,,收集诉求,issues_raised,10,个,,,某地简报,某报,2026-04-01,,"<b>某地</b> & ""收集""诉求10个"
C-5,某地,,网格员,other,,名,,,某地简报,某报,2026-04-01,,某地网格员（原文数字缺失）名
R-C-09,达日县,,行政许可和公共服务事项,other,434,项,,,松绑减负激活力,人民网,2021-12-01,,"在青海政务服务网形成本级行政许可事项和公共服务事项434项,可在线办理393项,总体网办率达90.55%"
R-C-10,达日县,,可在线办理事项,other,393,项,,,松绑减负激活力,人民网,2021-12-01,,"在青海政务服务网形成本级行政许可事项和公共服务事项434项,可在线办理393项,总体网办率达90.55%"
R-C-11,达日县,,总体网办率,other,90.55,%,,,松绑减负激活力,人民网,2021-12-01,,"在青海政务服务网形成本级行政许可事项和公共服务事项434项,可在线办理393项,总体网办率达90.55%"
"""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    from tests.conftest import make_tiny

    folder = make_tiny(tmp_path_factory.mktemp("claims") / "tiny")
    (folder / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    return build_ledger(load(folder))  # no validation: the page must be safe even for data it would refuse


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_page_matches_golden(ledger):
    golden("claims_page.md", claims_page(ledger, *checked(ledger)))


def test_api_matches_golden(ledger):
    golden("claims_api.json", claims_document(ledger, *checked(ledger)))


def test_page_escapes_and_links_only_web_addresses(ledger):
    page = claims_page(ledger, *checked(ledger))
    assert "<b>某地</b>" not in page and "&lt;b&gt;某地&lt;/b&gt; &amp; &#34;收集&#34;诉求10个" in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page
    assert "javascript:" not in page
    assert page.count('<tr id="claim-') == 8


def test_page_shows_the_computation_of_an_inconsistent_claim(ledger):
    page = claims_page(ledger, *checked(ledger))
    row = page[page.index('<tr id="claim-C-2"'):page.index('<tr id="claim-C-3"')]
    assert 'data-verdict="inconsistent"' in row
    assert '<dt>指标</dt><dd><a href="../methodology/#def-on_time_rate">按期办结率</a></dd>' in row
    assert "<dd>示例县（990121000000，含下辖各级）</dd>" in row
    assert "<dd>未限定期间：全部记录</dd>" in row
    assert "<dd>2 / 4（样本不足 10，不显示百分比）</dd>" in row
    assert "<dd>62.5%</dd>" in row and "报道 − 台账 = +12.5 个百分点（容差 ±0.5）" in row
    meetings = page[page.index('<tr id="claim-C-3"'):page.index('<tr id="claim-C-4"')]
    assert "2026年3月1日至2026年3月31日：召开日期在统计期间内的会议与夜访" in meetings
    assert "<dd>1 次</dd>" in meetings and "报道 − 台账 = +4 次" in meetings
    internal = page[page.index('<tr id="claim-R-C-11"'):]
    assert "393（<a href=\"#claim-R-C-10\">R-C-10</a>）÷ 434（<a href=\"#claim-R-C-09\">R-C-09</a>） = 90.553%" in internal
    assert "报道 − 计算 = −0.003 个百分点" in internal


def test_summary_counts(ledger):
    document = json.loads(claims_document(ledger, *checked(ledger)))
    assert {k: v["count"] for k, v in document["verdicts"].items()} == {
        "consistent": 1, "inconsistent": 2, "unverifiable": 4, "no_value": 1}
    assert [c["id"] for c in document["claims"]] == sorted(c["id"] for c in document["claims"])
    c2 = next(c for c in document["claims"] if c["id"] == "C-2")
    assert c2["computed"]["numerator"] == 2 and c2["computed"]["denominator"] == 4
    assert c2["computed"]["value"] == 0.5 and c2["computed"]["value_in_claim_unit"] == 50
    assert c2["computed"]["difference"] == 12.5


def test_render_section_is_deterministic(ledger):
    first, second = render_section(ledger, {}), render_section(ledger, {})
    assert first == second
    assert sorted(first.files) == ["api/v1/claims.json", "claims/index.md"]
    assert sorted(first.blocks) == ["claims-method"]


def test_method_block_lists_every_metric():
    block = method_block()
    for name, spec in METRICS.items():
        assert f'<a href="#def-{name}">{spec.title_zh}</a>' in block
    assert "<code>R-C-11</code> = <code>R-C-10</code> ÷ <code>R-C-09</code>" in block


@pytest.mark.parametrize("value,places,sign,text", [
    (22000.0, None, False, "22,000"), (90.55, None, False, "90.55"), (100.0, None, False, "100"),
    (1462, None, False, "1,462"), (0.0, None, True, "0"),
])
def test_decimal_text(value, places, sign, text):
    assert decimal_text(value, places, sign) == text


def test_decimal_text_of_fractions():
    from fractions import Fraction

    assert decimal_text(Fraction(39300, 434), 2) == "90.55"
    assert decimal_text(Fraction(9055, 100) - Fraction(39300, 434), 3, sign=True) == "−0.003"
    assert decimal_text(Fraction(1, 2), 1) == "0.5" and decimal_text(Fraction(107), 2, sign=True) == "+107"
    assert decimal_text(Fraction(-1, 200), 2) == "−0.01"  # half away from zero
