"""The Jinja2 environment: autoescape always on, and the filters pages share.

Templates own the markup; Python passes data. Every value from a CSV reaches a
page through autoescaping, so a cell can never become markup.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from pipeline.figures.metrics import Metric


def percent(metric: Metric | None) -> str:
    """A rate as a percentage, or 样本不足 when the sample is too small to say."""
    if metric is None or metric.value is None:
        return "—"
    if metric.small_sample:
        return "样本不足"
    return f"{metric.value * 100:.1f}%"


def number(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def fraction(metric: Metric) -> str:
    """Numerator / denominator, the way every rate is published beside its value."""
    if metric.denominator is None:
        return ""
    return f"{number(metric.numerator)} / {number(metric.denominator)}"


# Characters YAML will not read raw (DEL, C1 controls, non-characters) or reads as line breaks
# (U+2028/2029, which fold to a space): written as \u escapes, which JSON and YAML share.
YAML_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def front_matter_string(text: object) -> Markup:
    """A YAML scalar for front matter: HTML-escaped, then JSON-quoted (JSON is YAML).

    A cell that YAML cannot read would make MkDocs drop the whole front matter
    (title, ``search: exclude``) and print it as page text, so nothing is left raw.
    """
    quoted = json.dumps(str(escape(str(text))), ensure_ascii=False)
    return Markup(YAML_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted))


def date_zh(value: object) -> str:
    if value is None or str(value) in ("NaT", "nan", "None", ""):
        return "—"
    text = str(value)[:10]
    year, month, day = text.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(percent=percent, number=number, fraction=fraction,
                       front_matter_string=front_matter_string, date_zh=date_zh)
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
