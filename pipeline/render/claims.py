"""报道核对: the claims page, the claims API document and the methodology table.

Verdicts come from ``pipeline.figures.claims``; this module only turns them into
display values (numbers as text, in the claim's unit) and hands them to the
templates, which own the markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

from pipeline.figures.scope import metric_ledger
from pipeline.figures.claims import (INTERNAL_PAIRS, LATEST_STATE_ONLY, PERIOD_MEANING, RESOURCE, RESOURCE_ZH,
                             STATE_AT_END, TOLERANCE_POINTS, VERDICTS, Check, InternalCheck, check_claims,
                             internal_checks, verdict_counts)
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, SMALL_SAMPLE, Metric
from pipeline.render.env import date_zh, render
from pipeline.render.section import Block, File, Part, Rendered, collect

VERDICT_HELP = {
    "consistent": "报道的数字与台账记录计算的结果相同（比率相差不超过0.5个百分点）。",
    "inconsistent": "报道的数字与台账记录计算的结果不同；下表列出两个数字和计算过程。",
    "unverifiable": "台账中没有可以核对的记录：地区不在台账中、没有对应指标或该期间没有记录。",
    "no_value": "出处没有给出数字（原文数字缺失或只给出日期）。",
}
API_PLACES = 6  # decimals of computed values and differences in the API


# --- numbers as text -------------------------------------------------------------------

def where_defined(metric: str) -> str:
    """The dotted name of the function that computes a metric (its module moves with the code)."""
    fn = METRICS[metric].fn
    return f"{fn.__module__}.{fn.__name__}"


def decimal_text(value: Fraction | float | int, places: int | None = None, sign: bool = False) -> str:
    """A number with thousands separators; rounded half away from zero to ``places`` decimals
    (trailing zeros dropped) or, with ``places`` None, exactly as written (floats by their shortest text)."""
    if isinstance(value, Fraction):
        scaled = abs(value) * 10 ** (places or 0)
        whole = int(scaled + Fraction(1, 2))
        number = Decimal(whole).scaleb(-(places or 0)) * (-1 if value < 0 else 1)
    else:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if places is not None:
            number = round(number, places)
    number = number.normalize()
    if number == number.to_integral():
        number = Decimal(int(number))  # exact at any size (quantize stops at 28 digits)
    text = f"{abs(number):,f}"
    prefix = "−" if number < 0 else ("+" if sign and number > 0 else "")
    return prefix + text


def with_unit(text: str, unit: str | None) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def period_text(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{date_zh(start)}至{date_zh(end)}"
    if start:
        return f"{date_zh(start)}起"
    if end:
        return f"截至{date_zh(end)}"
    return ""


# --- view models -----------------------------------------------------------------------

def computation(check: Check) -> dict | None:
    """The exact computation behind a consistent or inconsistent verdict, as display text."""
    if check.computed is None or check.computed_in_unit is None:
        return None
    claim, metric, spec = check.claim, check.computed, METRICS[check.claim.metric]
    unit = claim.unit
    if spec.kind == "rate":
        records = f"{decimal_text(metric.numerator)} / {decimal_text(metric.denominator)}"
        if metric.denominator < SMALL_SAMPLE:
            records += f"（样本不足 {SMALL_SAMPLE}，不显示百分比）"
        else:
            records += f" = {decimal_text(check.computed_in_unit, 2)}%"
        difference = f"{decimal_text(check.difference, 3, sign=True)} 个百分点（容差 ±{decimal_text(TOLERANCE_POINTS, 1)}）"
    else:
        records = with_unit(decimal_text(check.computed_in_unit, 2), unit)
        if spec.kind == "days":
            records += f"（{decimal_text(metric.denominator)} 件已办结问题的中位数）"
        difference = with_unit(decimal_text(check.difference, 2, sign=True), unit)
    resource = RESOURCE[claim.metric]
    if resource == "devolved_items":  # a state on one day; the period's start plays no part
        period = f"{date_zh(check.as_of)}当天的状态"
    elif claim.period_start or claim.period_end:
        period = f"{period_text(claim.period_start, claim.period_end)}：{PERIOD_MEANING[resource]}"
    else:
        period = "未限定期间：全部记录"
    return {"metric": claim.metric, "metric_title": spec.title_zh, "definition": f"../methodology/#def-{claim.metric}",
            "region": f"{check.region_name}（{claim.region_code}，含下辖各级）", "period": period,
            "records_label": RESOURCE_ZH[resource], "record_rows": check.records,
            "records": records, "claimed": with_unit(decimal_text(claim.value), unit), "difference": difference,
            "exact_zero": check.difference == 0}


def internal_view(internal: InternalCheck | None) -> dict | None:
    if internal is None:
        return None
    view = {"verdict": internal.verdict, "verdict_zh": VERDICTS[internal.verdict],
            "numerator_id": internal.numerator.id, "denominator_id": internal.denominator.id,
            "numerator": decimal_text(internal.numerator.value) if internal.numerator.value is not None else "—",
            "denominator": decimal_text(internal.denominator.value) if internal.denominator.value is not None else "—",
            "claimed": with_unit(decimal_text(internal.rate.value), "%") if internal.rate.value is not None else "—",
            "reason": internal.reason, "computed": None, "difference": None}
    if internal.computed_in_unit is not None:
        view["computed"] = f"{decimal_text(internal.computed_in_unit, 3)}%"
        view["difference"] = f"{decimal_text(internal.difference, 3, sign=True)} 个百分点"
    return view


def source_keys(checks: list[Check]) -> dict[tuple, str]:
    keys = sorted({c.claim.source_key for c in checks})
    return {key: f"s{number}" for number, key in enumerate(keys, 1)}


def row_view(check: Check, internal: InternalCheck | None, source_key: str) -> dict:
    claim = check.claim
    url = claim.source_url if claim.source_url and claim.source_url.split(":", 1)[0].lower() in ("http", "https") \
        else None
    return {"id": claim.id, "region_name": claim.region_name, "region_code": claim.region_code or "",
            "subject": claim.subject, "quote": claim.quote, "metric": claim.metric,
            "value": with_unit(decimal_text(claim.value), claim.unit) if claim.value is not None else None,
            "period": period_text(claim.period_start, claim.period_end),
            "publisher": claim.source_publisher, "title": claim.source_title, "date": claim.source_date, "url": url,
            "source_key": source_key, "verdict": check.verdict, "verdict_zh": VERDICTS[check.verdict],
            "reason": check.reason, "calc": computation(check), "internal": internal_view(internal)}


def page_context(ledger: Ledger, checks: list[Check], internals: dict[str, InternalCheck]) -> dict:
    keys = source_keys(checks)
    rows = [row_view(c, internals.get(c.claim.id), keys[c.claim.source_key]) for c in checks]
    counts = verdict_counts(checks)
    regions = list(dict.fromkeys(r["region_name"] for r in rows))
    sources = [{"key": key, "label": f"{publisher}《{title}》（{date}）"} for (date, publisher, title), key in keys.items()]
    internal_counts = {v: sum(1 for i in internals.values() if i.verdict == v) for v in VERDICTS}
    return {"rows": rows, "total": len(rows), "counts": counts, "verdicts": VERDICTS, "help": VERDICT_HELP,
            "regions": regions, "sources": sources, "outside": sum(1 for c in checks if not c.claim.region_code), "internal_total": len(internals),
            "internal_counts": internal_counts, "as_of": ledger.as_of.strftime("%Y-%m-%d"),
            "tolerance": decimal_text(TOLERANCE_POINTS, 1)}


def claims_page(ledger: Ledger, checks: list[Check], internals: dict[str, InternalCheck]) -> str:
    return render("claims_page.md.j2", **page_context(ledger, checks, internals))


# --- API ---------------------------------------------------------------------------------

def _number(value: Fraction | float | int | None) -> float | int | None:
    if value is None:
        return None
    number = round(float(value), API_PLACES)
    return int(number) if number.is_integer() else number


def claim_document(check: Check, internal: InternalCheck | None) -> dict:
    claim = check.claim
    document = {
        "id": claim.id, "region_name": claim.region_name, "region_code": claim.region_code,
        "subject": claim.subject, "metric": claim.metric, "value": _number(claim.value), "unit": claim.unit,
        "period_start": claim.period_start, "period_end": claim.period_end, "quote": claim.quote,
        "source": {"title": claim.source_title, "publisher": claim.source_publisher, "date": claim.source_date,
                   "url": claim.source_url},
        "verdict": check.verdict, "verdict_zh": VERDICTS[check.verdict], "reason": check.reason,
        "computed": None, "internal_check": None,
    }
    if check.computed is not None:
        document["computed"] = {
            "function": where_defined(claim.metric), "region_code": claim.region_code,
            "period_start": None if claim.metric in STATE_AT_END else claim.period_start,
            "period_end": claim.period_end, "state_on": check.as_of, "resource": check.resource,
            "records": check.records, **check.computed.to_dict(),
            "value_in_claim_unit": _number(check.computed_in_unit), "difference": _number(check.difference)}
    if internal is not None:
        document["internal_check"] = {
            "verdict": internal.verdict, "numerator_id": internal.numerator.id,
            "denominator_id": internal.denominator.id, "value_in_claim_unit": _number(internal.computed_in_unit),
            "difference": _number(internal.difference)}
    return document


def claims_document(ledger: Ledger, checks: list[Check], internals: dict[str, InternalCheck]) -> str:
    payload = {"as_of": ledger.as_of.strftime("%Y-%m-%d"), "tolerance_percentage_points": float(TOLERANCE_POINTS),
               "verdicts": {key: {"label": label, "count": count}
                            for (key, label), count in zip(VERDICTS.items(), verdict_counts(checks).values())},
               "claims": [claim_document(c, internals.get(c.claim.id)) for c in checks]}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- methodology -------------------------------------------------------------------------

def method_block() -> str:
    rows = []
    for name, spec in METRICS.items():
        resource = RESOURCE[name]
        note = PERIOD_MEANING[resource]
        if name in LATEST_STATE_ONLY:
            note = "台账只保存数据截止日的状态：统计期间截止日早于数据截止日的，无法核对；否则按数据截止日计算"
            if resource == "issues":
                note = f"{PERIOD_MEANING['issues']}；{note}"
        rows.append({"name": name, "title": spec.title_zh, "resource": RESOURCE_ZH[resource], "period": note})
    return render("claims_method.html.j2", rows=rows, pairs=sorted(INTERNAL_PAIRS.items()),
                  tolerance=decimal_text(TOLERANCE_POINTS, 1))


def checked(ledger: Ledger) -> tuple[list[Check], dict[str, InternalCheck]]:
    checks = check_claims(metric_ledger(ledger))  # scoped from the narrowed ledger: same verdicts, far cheaper
    return checks, internal_checks([c.claim for c in checks])


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    checks, internals = checked(ledger)
    yield Block("claims-method", method_block())
    yield File("claims/index.md", claims_page(ledger, checks, internals))
    yield File("api/v1/claims.json", claims_document(ledger, checks, internals))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
