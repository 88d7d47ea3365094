"""报道核对: each published figure (a claim) held against the records.

A claim names a metric of the vocabulary, a region and a period. Its verdict
comes from the same metric function that every page uses, applied to the
ledger scoped to the claim's region (``scope.scope``) and period
(``period_scope`` below). Numbers are compared exactly (``fractions``), never
as floats: 29.5 % against 29 / 100 differs by exactly 0.5 points, although
``29.5 - 29 / 100 * 100`` is 0.5000000000000036.

Verdicts, in the order they are decided:
  no_value      来源缺数   the source printed no number;
  unverifiable  无法核对   metric ``other`` (the reason names what the claim counts), no (known)
                           region code, period beyond the snapshot, a state the records no
                           longer hold, or no records;
  consistent    一致       counts equal; rates within 0.5 percentage points (inclusive);
  inconsistent  不一致     otherwise, with both numbers and the difference.

A published rate can also be checked against published counts of the same
source (``INTERNAL_PAIRS``): the internal-consistency verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from pipeline.figures.scope import scope
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric

VERDICTS = {"consistent": "一致", "inconsistent": "不一致", "unverifiable": "无法核对", "no_value": "来源缺数"}
TOLERANCE_POINTS = Fraction(1, 2)  # percentage points, inclusive
ORIGINAL_NOTE = re.compile(r"（原文：[^）]*）$")  # a subject's note of the source's own wording

# The resource whose rows a metric counts: "no records" means none of these in scope.
RESOURCE = {
    "issues_raised": "issues", "issues_resolved": "issues", "resolution_rate": "issues", "on_time_rate": "issues",
    "overdue_open": "issues", "median_days_to_resolve": "issues", "township_resolution_share": "issues",
    "escalated_count": "issues", "meetings_held": "meetings", "persons_received": "meetings",
    "items_devolved": "devolved_items", "items_zero_use": "devolved_items",
    "items_review_overdue": "devolved_items", "cases_handled": "item_cases", "within_promise_rate": "item_cases",
    "evaluations_count": "evaluations", "satisfaction_rate": "evaluations", "very_satisfied_rate": "evaluations",
    "negative_count": "evaluations", "negative_rectified_rate": "evaluations",
    "survey_satisfaction_rate": "surveys", "inspections_confirmed_rate": "inspections",
    "issues_disputed": "inspections",
    "response_rate": "evaluations", "solved_rate": "evaluations", "satisfied_rate": "evaluations",
    "composite_score": "evaluations", "returned_rate": "issues", "reopened_rate": "issues", "extended_rate": "issues",
    "duty_items_active": "duty_items", "duty_shared_share": "duty_items",
    "documents_received_12m": "burden_reports", "meetings_attended_12m": "burden_reports",
    "report_forms_12m": "burden_reports", "burden_change_rate": "burden_reports", "burden_cuts_count": "burden_cuts",
}
# Dated rows fall in a period by this column.
PERIOD_COLUMN = {"issues": "raised_on", "meetings": "held_on", "evaluations": "evaluated_on",
                 "inspections": "inspected_on", "burden_cuts": "cut_on"}
# What the period of a claim means for each resource (shown on the claims and methodology pages: Chinese
# words only, no column names — readers do not know them; the data dictionary maps titles to columns).
PERIOD_MEANING = {
    "issues": "提出日期在统计期间内的问题；办结、撤回等状态按数据截止日",
    "meetings": "召开日期在统计期间内的会议与夜访",
    "evaluations": "评价日期在统计期间内的评价",
    "inspections": "核查日期在统计期间内的核查",
    "item_cases": "所属月份在统计期间起止日所在月份之间（含首尾两个月，不足一月的按整月）的办件量记录",
    "surveys": "调查期间完全落在统计期间之内的调查",
    "devolved_items": "统计期间最后一天的状态：把它当作截止日计算；期间起始日不起作用",
    "duty_items": "统计期间最后一天的状态：把它当作截止日计算；期间起始日不起作用",
    "burden_reports": "统计期间最后一天所在月份及之前的12个自然月（变化率再比较此前12个月）：把它当作截止日计算；期间起始日不起作用",
    "burden_cuts": "取消日期在统计期间内的减负事项",
}
# Metrics that describe a state on a day: computed at the period's last day.
STATE_AT_END = frozenset({"items_devolved", "items_zero_use", "duty_items_active", "duty_shared_share"})
# Metrics over the 12 months ending with the month of the day figures are taken: computed at the period's last day.
WINDOW_AT_END = frozenset({"documents_received_12m", "meetings_attended_12m", "report_forms_12m", "burden_change_rate"})
# States the records keep only for the snapshot date (no history of statuses or reviews).
LATEST_STATE_ONLY = frozenset({"overdue_open", "items_review_overdue"})
RESOURCE_ZH = {"issues": "问题", "meetings": "会议与夜访", "devolved_items": "赋权事项", "item_cases": "办件量",
               "evaluations": "第三方评价", "surveys": "满意度调查", "inspections": "体验官核查",
               "duty_items": "履职事项", "burden_reports": "基层负担监测", "burden_cuts": "减负事项"}

# A published rate and the published counts it derives from, in the same source:
# rate claim id → (numerator claim id, denominator claim id).
INTERNAL_PAIRS = {
    "R-C-11": ("R-C-10", "R-C-09"),  # 达日县 总体网办率 90.55 % = 可在线办理 393 ÷ 事项 434
    "R-C-15": ("R-C-14", "R-C-13"),  # 达日县 办结率 100 % = 办结 15039 ÷ 办理 15039
}


@dataclass(frozen=True)
class Claim:
    id: str
    region_name: str
    region_code: str | None
    subject: str
    metric: str
    value: float | None
    unit: str | None
    period_start: str | None  # YYYY-MM-DD
    period_end: str | None
    source_title: str
    source_publisher: str
    source_date: str
    source_url: str | None
    quote: str

    @property
    def source_key(self) -> tuple[str, str, str]:
        return (self.source_date, self.source_publisher, self.source_title)


@dataclass(frozen=True)
class Check:
    """The verdict on one claim and the computation behind it."""

    claim: Claim
    verdict: str
    reason: str  # one Chinese sentence: why this verdict
    region_name: str | None = None  # of the region code, from regions.csv
    as_of: str | None = None  # the day statuses and states are taken at
    records: int | None = None  # rows of the metric's resource in scope
    computed: Metric | None = None
    computed_in_unit: Fraction | None = None  # the records' value in the claim's unit (% for rates)
    difference: Fraction | None = None  # claimed − computed, in the claim's unit

    @property
    def resource(self) -> str | None:
        return RESOURCE.get(self.claim.metric)


@dataclass(frozen=True)
class InternalCheck:
    """A published rate against the published counts of the same source."""

    rate: Claim
    numerator: Claim
    denominator: Claim
    verdict: str
    computed_in_unit: Fraction | None = None  # numerator ÷ denominator × 100
    difference: Fraction | None = None  # claimed rate − computed, in percentage points
    reason: str | None = None  # why an unverifiable pair cannot be computed


# --- exact numbers ------------------------------------------------------------------

def exact(number: float | int) -> Fraction:
    """A number as an exact fraction of its shortest decimal text (90.55 → 9055/100)."""
    if isinstance(number, int):
        return Fraction(number)
    return Fraction(Decimal(repr(float(number))))


def decimals(number: float | int) -> int:
    """Decimal places the number was written with (3.0 and 3 both have none)."""
    exponent = Decimal(repr(float(number))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def round_half_up(value: Fraction, places: int) -> Fraction:
    """value rounded to ``places`` decimals, halves away from zero, exactly."""
    quantum = Fraction(1, 10 ** places)
    steps = abs(value) / quantum
    whole = int(steps + Fraction(1, 2))  # floor(x + ½) for x ≥ 0
    return (-1 if value < 0 else 1) * whole * quantum


def within_tolerance(claimed: Fraction, computed: Fraction) -> bool:
    return abs(claimed - computed) <= TOLERANCE_POINTS


def rate_points(numerator: float | int, denominator: float | int) -> Fraction:
    """numerator ÷ denominator as an exact percentage."""
    return exact(numerator) * 100 / exact(denominator)


# --- scoping ------------------------------------------------------------------------

def _between(column: pd.Series, start: str | None, end: str | None) -> pd.Series:
    mask = pd.Series(True, index=column.index)
    if start:
        mask &= column >= pd.Timestamp(start)
    if end:
        mask &= column <= pd.Timestamp(end)
    return mask.fillna(False).astype(bool)


def period_scope(ledger: Ledger, start: str | None, end: str | None) -> Ledger:
    """The ledger restricted to the period start..end (either may be open).

    Issues by raised_on, meetings by held_on, evaluations by evaluated_on,
    inspections by inspected_on (all inclusive); item_cases by month, the months
    of start and end included; surveys whose whole period lies inside. States
    (devolved items) are taken at ``end``: it becomes the ledger's as_of when earlier.
    """
    frames = dict(ledger.frames)
    for resource, column in PERIOD_COLUMN.items():
        frame = frames[resource]
        frames[resource] = frame[_between(frame[column], start, end)]
    cases = frames["item_cases"]
    keep = pd.Series(True, index=cases.index)
    if start:
        keep &= cases["month"].fillna("") >= start[:7]
    if end:
        keep &= cases["month"].fillna("9999-99") <= end[:7]
    frames["item_cases"] = cases[keep]
    surveys = frames["surveys"]
    inside = _between(surveys["period_start"], start, None) & _between(surveys["period_end"], None, end)
    frames["surveys"] = surveys[inside]
    as_of = min(ledger.as_of, pd.Timestamp(end)) if end else ledger.as_of
    return replace(ledger, frames=frames, as_of=as_of)


def claim_scope(ledger: Ledger, claim: Claim) -> Ledger:
    """The claim's region (with everything below it) and period."""
    start = None if claim.metric in STATE_AT_END | WINDOW_AT_END else claim.period_start
    return period_scope(scope(ledger, region=claim.region_code), start, claim.period_end)


def record_count(scoped: Ledger, resource: str) -> int:
    frame = scoped.frames[resource]
    if resource in ("devolved_items", "duty_items"):  # items that had taken effect by the day the state is taken
        return int((frame["effective_on"] <= scoped.as_of).sum())
    if resource == "burden_reports":  # the monthly reports up to the month of the day figures are taken
        return int((frame["month"].fillna("9999-99") <= scoped.as_of.strftime("%Y-%m")).sum())
    return len(frame)


# --- verdicts -----------------------------------------------------------------------

def claims_of(ledger: Ledger) -> list[Claim]:
    """The claims resource as Claim objects, sorted by id."""
    def text(value: object) -> str | None:
        return None if value is None or pd.isna(value) else str(value)

    def day(value: object) -> str | None:
        return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")

    rows = []
    for row in ledger.claims.to_dict("records"):
        value = row["value"]
        rows.append(Claim(
            id=row["id"], region_name=row["region_name"], region_code=text(row["region_code"]),
            subject=row["subject"], metric=row["metric"], value=None if pd.isna(value) else float(value),
            unit=text(row["unit"]), period_start=day(row["period_start"]), period_end=day(row["period_end"]),
            source_title=row["source_title"], source_publisher=row["source_publisher"],
            source_date=day(row["source_date"]), source_url=text(row["source_url"]), quote=row["quote"]))
    return sorted(rows, key=lambda c: c.id)


def counted(claim: Claim) -> str:
    """What a claim counts, in the source's words: its subject without a trailing （原文：…） note.

    ``向基层下沉编制（原文：2.2万余）`` → ``向基层下沉编制``; a claim of metric ``other`` is
    described by this, never by the metric's name.
    """
    return ORIGINAL_NOTE.sub("", claim.subject).strip() or claim.subject


def compare(claim: Claim, computed: Metric) -> tuple[str, Fraction, Fraction]:
    """Verdict, the records' value in the claim's unit, and claimed − computed."""
    claimed = exact(claim.value)
    kind = METRICS[claim.metric].kind
    if kind == "rate":
        value = rate_points(computed.numerator, computed.denominator)
        return ("consistent" if within_tolerance(claimed, value) else "inconsistent"), value, claimed - value
    if kind == "change":  # a change published in % (−20 % = a fifth less), compared like a rate
        value = rate_points(computed.numerator, computed.denominator) - 100
        return ("consistent" if within_tolerance(claimed, value) else "inconsistent"), value, claimed - value
    value = exact(computed.value)
    if kind == "days":  # a median is compared at the precision the source printed
        same = round_half_up(value, decimals(claim.value)) == claimed
    else:
        same = value == claimed
    return ("consistent" if same else "inconsistent"), value, claimed - value


def check_claim(ledger: Ledger, claim: Claim) -> Check:
    """The verdict on one claim, with the scoped computation behind it."""
    regions = dict(zip(ledger.regions["code"], ledger.regions["name"]))
    if claim.value is None:
        return Check(claim, "no_value", "出处未给出数字。")
    if claim.metric not in METRICS:
        return Check(claim, "unverifiable", f"“{counted(claim)}”在台账中没有对应的记录，无法核对。")
    if not claim.region_code:
        return Check(claim, "unverifiable", "该地区不在本台账的区划表中（没有区划代码），台账中没有它的记录。")
    if claim.region_code not in regions:
        return Check(claim, "unverifiable", f"区划代码 {claim.region_code} 不在区划表中。")
    name = regions[claim.region_code]
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    if claim.period_end and claim.period_end > as_of:
        return Check(claim, "unverifiable", f"统计期间截止于 {claim.period_end}，晚于数据截止日 {as_of}，台账记录不完整。",
                     region_name=name)
    if claim.metric in LATEST_STATE_ONLY and claim.period_end and claim.period_end < as_of:
        return Check(claim, "unverifiable", f"台账只保存数据截止日的状态，无法还原 {claim.period_end} 当天的状态。",
                     region_name=name)
    if METRICS[claim.metric].kind in ("rate", "change") and claim.unit != "%":
        return Check(claim, "unverifiable", "比率应以百分数（单位 %）报道，才能与台账比较。", region_name=name)
    scoped = claim_scope(ledger, claim)
    resource = RESOURCE[claim.metric]
    records = record_count(scoped, resource)
    # Item states are taken at the period's end; issue statuses are those at the snapshot date.
    state_day = scoped.as_of.strftime("%Y-%m-%d") if claim.metric in STATE_AT_END | WINDOW_AT_END else as_of
    if records == 0:
        return Check(claim, "unverifiable", f"该地区在统计期间内没有{RESOURCE_ZH[resource]}记录。",
                     region_name=name, as_of=state_day, records=0)
    computed = METRICS[claim.metric].fn(scoped)
    if computed.value is None:
        return Check(claim, "unverifiable", "台账中该比率的分母为 0。", region_name=name, as_of=state_day,
                     records=records, computed=computed)
    verdict, value, difference = compare(claim, computed)
    reason = "与台账记录一致。" if verdict == "consistent" else "与台账记录不一致。"
    return Check(claim, verdict, reason, region_name=name, as_of=state_day, records=records, computed=computed,
                 computed_in_unit=value, difference=difference)


def check_claims(ledger: Ledger) -> list[Check]:
    return [check_claim(ledger, claim) for claim in claims_of(ledger)]


def internal_checks(claims: list[Claim], pairs: dict[str, tuple[str, str]] = INTERNAL_PAIRS) -> dict[str, InternalCheck]:
    """Rate claim id → its check against the counts it derives from, for pairs whose claims all exist.

    The pairing is explicit (``pairs``) because a source may print several rates
    and counts; a pair whose claims are of different sources or units is unverifiable.
    """
    by_id = {c.id: c for c in claims}
    checks = {}
    for rate_id, (numerator_id, denominator_id) in sorted(pairs.items()):
        if not {rate_id, numerator_id, denominator_id} <= set(by_id):
            continue
        rate, numerator, denominator = by_id[rate_id], by_id[numerator_id], by_id[denominator_id]
        # The claims are data (a pull request can change them): a pair that no longer holds is
        # unverifiable, never a crash of the build.
        if len({rate.source_key, numerator.source_key, denominator.source_key}) != 1:
            checks[rate_id] = InternalCheck(rate, numerator, denominator, "unverifiable",
                                            reason="比率与分子、分母不在同一报道中")
            continue
        if rate.unit != "%" or numerator.unit != denominator.unit and numerator.unit and denominator.unit:
            checks[rate_id] = InternalCheck(rate, numerator, denominator, "unverifiable",
                                            reason="比率的单位不是 %，或分子、分母的单位不同")
            continue
        if None in (rate.value, numerator.value, denominator.value) or not denominator.value:
            checks[rate_id] = InternalCheck(rate, numerator, denominator, "no_value")
            continue
        value = rate_points(numerator.value, denominator.value)
        claimed = exact(rate.value)
        verdict = "consistent" if within_tolerance(claimed, value) else "inconsistent"
        checks[rate_id] = InternalCheck(rate, numerator, denominator, verdict, value, claimed - value)
    return checks


def verdict_counts(checks: list[Check]) -> dict[str, int]:
    counts = {key: 0 for key in VERDICTS}
    for check in checks:
        counts[check.verdict] += 1
    return counts
