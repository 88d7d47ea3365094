"""报道核对 speaks Chinese to its readers: no code names on the built claims page.

The page used to print the metric's function path (``pipeline.figures.metrics.issues_resolved``) and the
period's column names (``提出日期（raised_on）``). It now shows the metric's Chinese title from
the registry (``pipeline.figures.metrics.METRICS``), linked to its definition on the methodology page
(``#def-<name>``), and periods in Chinese words only.
"""

from __future__ import annotations

import re

from pipeline.figures.claims import PERIOD_MEANING
from pipeline.figures.metrics import METRICS
from pipeline.render.claims import method_block

COLUMN_IN_BRACKETS = re.compile(r"[（(][a-z]+(?:_[a-z]+)*[）)]")  # （raised_on）, (held_on), （month）
DEFINITION = re.compile(r'<dt>指标</dt><dd><a href="\.\./methodology/#def-([a-z_]+)">([^<]+)</a></dd>')


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_code_names_on_the_claims_page(built_demo_site):
    html = (built_demo_site / "claims" / "index.html").read_text(encoding="utf-8")
    assert "pipeline." not in html
    assert "raised_on" not in html
    assert COLUMN_IN_BRACKETS.findall(text_of(html)) == []
    shown = DEFINITION.findall(html)
    assert len(shown) == html.count('<dl class="claims-calc">') > 0  # every computation names its metric
    assert all(title == METRICS[name].title_zh for name, title in shown)
    assert ("issues_raised", METRICS["issues_raised"].title_zh) in shown
    assert "提出日期在统计期间内的问题；办结、撤回等状态按数据截止日" in html


def test_definition_links_reach_the_methodology_definitions(built_demo_site):
    html = (built_demo_site / "claims" / "index.html").read_text(encoding="utf-8")
    methodology = (built_demo_site / "methodology" / "index.html").read_text(encoding="utf-8")
    names = sorted({name for name, _ in DEFINITION.findall(html)})
    assert len(names) >= 5  # the demo's consistent and inconsistent claims cover several metrics
    assert [name for name in names if f'id="def-{name}"' not in methodology] == []


def test_code_names_in_the_period_meanings():
    assert [text for text in PERIOD_MEANING.values() if COLUMN_IN_BRACKETS.search(text)] == []


def test_code_names_in_the_claims_method_block():
    block = method_block()
    assert "<code>" not in block.split("<p>同一报道内部核对")[0]  # the metric table; claim ids follow
    for name, spec in METRICS.items():
        assert f'<td><a href="#def-{name}">{spec.title_zh}</a></td>' in block
    assert COLUMN_IN_BRACKETS.findall(text_of(block)) == []
