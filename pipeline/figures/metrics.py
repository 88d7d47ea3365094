"""The metric vocabulary of the data standard: one function per metric.

Every figure on the site, in the API and in a claim check comes from one of
these functions, applied to a whole ledger or to a scoped one (see
``pipeline.figures.scope``); the breakdowns (``pipeline.figures.breakdowns``) total
the same per-issue terms and apply the same formulas. Each function is pure: a
``Ledger`` in, a ``Metric`` out; its registry entry names the columns it reads
(``MetricSpec.reads``, held true by tests/test_figures_registry.py). Rates are
fractions in [0, 1] with their numerator and denominator; a rate with a zero
denominator has no value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.stats import NEGATIVE_RATINGS
from pipeline.figures.registry import (  # noqa: F401  (the registry's names, used from here by many)
    SMALL_SAMPLE, Metric, count, exact_sum, rate, _plain, MetricSpec, METRICS, ISSUE_DIMS, MEETING_DIMS, ITEM_DIMS, CASE_DIMS, OUTCOME_DIMS, SURVEY_DIMS, metric)


# --- issues --------------------------------------------------------------------
#
# Each issue metric is two things defined once: the per-issue terms it counts (ISSUE_TERMS: is this
# issue resolved, resolved on time, overdue …) and how the totals of those terms make the figure
# (``combine``). The metric function totals the terms over its ledger's issues;
# pipeline.figures.breakdowns totals the same terms per group in one pass and applies the same
# ``combine``. So there is one on-time rate, whether it is shown for the whole ledger or a group.

IssueTotals = dict[str, float]  # term → total over a group of issues; "raised" is the number of issues


def _resolved_on_time(issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return issues["done"] & (issues["resolved_on"] <= issues["due"])


def is_open(issues: pd.DataFrame) -> pd.Series:
    """Whether each issue is still open: neither resolved nor withdrawn."""
    return ~issues["done"] & ~issues["withdrawn"]


def _overdue(issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return is_open(issues) & (issues["due"] < as_of)


def _at_township(issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return issues["done"] & issues["resolved_at_level"].eq("township").fillna(False).astype(bool)


def days_to_resolve(issues: pd.DataFrame) -> pd.Series:
    """Calendar days from raised to resolved of each resolved issue (NaN for the others)."""
    return (issues["resolved_on"] - issues["raised_on"]).dt.days.where(issues["done"]).astype("float64")


# term → (the issue columns it reads, per issue: counts or not)
ISSUE_TERMS: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame, pd.Timestamp], pd.Series]]] = {
    "done": (("done",), lambda issues, as_of: issues["done"]),
    "withdrawn": (("withdrawn",), lambda issues, as_of: issues["withdrawn"]),
    "on_time": (("done", "resolved_on", "due"), _resolved_on_time),
    "overdue": (("done", "withdrawn", "due"), _overdue),
    "township": (("done", "resolved_at_level"), _at_township),
    "escalated": (("escalated",), lambda issues, as_of: issues["escalated"]),
}
# The one term that is not a count: days to resolve, totalled as how many (days_n) and their median.
DAYS_READS = ("done", "resolved_on", "raised_on")
ISSUE_COMBINE: dict[str, Callable[[IssueTotals], Metric]] = {}  # issue metric → its ``combine``


def issue_term(issues: pd.DataFrame, as_of: pd.Timestamp, term: str) -> pd.Series:
    """Per issue, whether it counts toward ``term`` (a boolean Series, aligned with ``issues``)."""
    return ISSUE_TERMS[term][1](issues, as_of)


def issue_totals(issues: pd.DataFrame, as_of: pd.Timestamp, terms: tuple[str, ...]) -> IssueTotals:
    """The totals of ``terms`` over ``issues`` (and always "raised", their number)."""
    totals: IssueTotals = {"raised": len(issues)}
    for term in terms:
        if term == "days":
            days = days_to_resolve(issues).dropna()
            totals["days_n"], totals["days_median"] = len(days), days.median() if len(days) else float("nan")
        else:
            totals[term] = issue_term(issues, as_of, term).sum()
    return totals


def issue_metric(title_zh: str, definition_zh: str, kind: str, terms: tuple[str, ...]):
    """Register an issue metric given by its ``combine`` (totals of ``terms`` → Metric)."""
    reads = tuple(dict.fromkeys(c for t in terms for c in (DAYS_READS if t == "days" else ISSUE_TERMS[t][0])))

    def register(combine: Callable[[IssueTotals], Metric]) -> Callable[[Ledger], Metric]:
        def fn(ledger: Ledger) -> Metric:
            return combine(issue_totals(ledger.issues, ledger.as_of, terms))
        fn.__name__ = fn.__qualname__ = combine.__name__
        fn.__doc__ = combine.__doc__
        ISSUE_COMBINE[combine.__name__] = combine
        return metric(title_zh, definition_zh, kind, ISSUE_DIMS, reads={"issues": reads})(fn)
    return register


@issue_metric("提出问题数", "问题台账的行数（含已撤回）。", "count", ())
def issues_raised(t: IssueTotals) -> Metric:
    return count(t["raised"])


@issue_metric("已办结问题数", "状态为已办结、已评价或已归档的问题数。", "count", ("done",))
def issues_resolved(t: IssueTotals) -> Metric:
    return count(t["done"])


@issue_metric("办结率", "已办结问题数 ÷（问题数 − 已撤回问题数）。", "rate", ("done", "withdrawn"))
def resolution_rate(t: IssueTotals) -> Metric:
    return rate(t["done"], t["raised"] - t["withdrawn"])


@issue_metric("按期办结率",
              "办结日期不晚于办结期限的已办结问题数 ÷ 已办结问题数。办结期限：记录中填写了办结期限的，以填写的为准；"
              "否则按办理时限从交办日期起算（交办当日不计入；期限最后一天是休息日的顺延至下一个工作日；“当日办结”类的期限就是交办当日，不顺延）。"
              "批准延期（办理过程中的“延期”）不改变这个期限：按期与否始终按最初确定的期限判断。",
              "rate", ("on_time", "done"))
def on_time_rate(t: IssueTotals) -> Metric:
    return rate(t["on_time"], t["done"])


@issue_metric("超期未办结问题数", "既未办结也未撤回、且办结期限早于数据截止日的问题数。", "count", ("overdue",))
def overdue_open(t: IssueTotals) -> Metric:
    return count(t["overdue"])


@issue_metric("办结用时中位数（天）", "已办结问题从提出日期到办结日期的自然日数的中位数。", "days", ("days",))
def median_days_to_resolve(t: IssueTotals) -> Metric:
    days_n = int(t["days_n"])
    return Metric(_plain(t["days_median"]) if days_n else None, None, days_n)


@issue_metric("乡镇（街道）层级办结占比", "办结层级为乡镇（街道）的已办结问题数 ÷ 已办结问题数。", "rate",
              ("township", "done"))
def township_resolution_share(t: IssueTotals) -> Metric:
    return rate(t["township"], t["done"])


@issue_metric("督办问题数", "联合督查组督办（“是否督办”为“是”）的问题数。", "count", ("escalated",))
def escalated_count(t: IssueTotals) -> Metric:
    return count(t["escalated"])


# --- meetings --------------------------------------------------------------------

@metric("下沉会议与夜访次数", "会议与夜访记录的行数。", "count", MEETING_DIMS,
        reads={"meetings": ()})
def meetings_held(ledger: Ledger) -> Metric:
    return count(len(ledger.meetings))


@metric("接待群众人次", "会议与夜访记录中接待人次的合计（未填写的不计）。", "sum", MEETING_DIMS,
        reads={"meetings": ("persons_received",)})
def persons_received(ledger: Ledger) -> Metric:
    return count(exact_sum(ledger.meetings, "meetings", "persons_received"))


# --- devolved items ------------------------------------------------------------------

def item_status(items: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Each item's state at as_of: active (在用) · revoked (已收回) · pending (未生效)."""
    effective = (items["effective_on"] <= as_of).to_numpy(dtype=bool)
    revoked = (items["revoked_on"] <= as_of).to_numpy(dtype=bool)
    return pd.Series(np.where(~effective, "pending", np.where(revoked, "revoked", "active")), index=items.index,
                     dtype=object)


def active_items(ledger: Ledger) -> pd.DataFrame:
    """The items in force at as_of: effective, and not revoked (a revocation after as_of does not count yet)."""
    items = ledger.devolved_items
    return items[item_status(items, ledger.as_of).eq("active")]


def last_twelve_months(as_of: pd.Timestamp) -> tuple[str, str]:
    """The first and last month (YYYY-MM) of the 12 calendar months ending with as_of's month."""
    end = as_of.to_period("M")
    return str(end - 11), str(end)


@metric("在用赋权事项数", "截至数据截止日已生效且未收回（收回日期为空或晚于截止日）的下放事项数。", "count", ITEM_DIMS,
        reads={"devolved_items": ("effective_on", "revoked_on")})
def items_devolved(ledger: Ledger) -> Metric:
    return count(len(active_items(ledger)))


@metric("零办件事项数", "在用事项中，截止日所在月及之前共12个自然月内，所有乡镇（街道）均无办件记录（无记录或办件量为0）的事项数。",
        "count", ITEM_DIMS,
        reads={"devolved_items": ("id", "effective_on", "revoked_on"), "item_cases": ("item_id", "month", "cases")})
def items_zero_use(ledger: Ledger) -> Metric:
    return count(len(zero_use_items(ledger)))


def zero_use_items(ledger: Ledger) -> pd.DataFrame:
    """The active items items_zero_use counts (the item pages list their ids)."""
    first, last = last_twelve_months(ledger.as_of)
    cases = ledger.item_cases
    recent = cases[(cases["month"] >= first) & (cases["month"] <= last) & (cases["cases"].fillna(0) > 0)]
    active = active_items(ledger)
    return active[~active["id"].isin(set(recent["item_id"]))]


@metric("办件量", "办件量记录中各月“办件量”的合计。", "sum", CASE_DIMS,
        reads={"item_cases": ("cases",)})
def cases_handled(ledger: Ledger) -> Metric:
    return count(exact_sum(ledger.item_cases, "item_cases", "cases"))


@metric("承诺时限内办结率", "在填写了承诺时限内办结件数的记录中：承诺时限内办结件数合计 ÷ 办件量合计。", "rate", CASE_DIMS,
        reads={"item_cases": ("cases", "within_promise")})
def within_promise_rate(ledger: Ledger) -> Metric:
    cases = ledger.item_cases
    given = cases[cases["within_promise"].notna()]
    return rate(exact_sum(given, "item_cases", "within_promise"), exact_sum(given, "item_cases", "cases"))


@metric("评估逾期事项数", "在用事项中，最近评估日期（未评估的用生效日期）早于截止日超过365天的事项数。", "count", ITEM_DIMS,
        reads={"devolved_items": ("effective_on", "revoked_on", "last_reviewed_on")})
def items_review_overdue(ledger: Ledger) -> Metric:
    return count(len(review_overdue_items(ledger)))


REVIEW_DAYS = 365  # an item not evaluated for longer than this is 评估逾期 (exactly 365 days is not)


def review_age_days(items: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Days from each item's last evaluation (else its effective date) to as_of."""
    return (as_of - items["last_reviewed_on"].fillna(items["effective_on"])).dt.days


def review_overdue_items(ledger: Ledger) -> pd.DataFrame:
    """The active items items_review_overdue counts (the item pages list their ids)."""
    items = active_items(ledger)
    return items[review_age_days(items, ledger.as_of) > REVIEW_DAYS]


# --- outcomes --------------------------------------------------------------------------

@metric("第三方评价数", "第三方满意度评价记录的行数。", "count", OUTCOME_DIMS,
        reads={"evaluations": ()})
def evaluations_count(ledger: Ledger) -> Metric:
    return count(len(ledger.evaluations))


@metric("满意率", "评分为3–5分（基本满意及以上）的评价数 ÷ 评价数。", "rate", OUTCOME_DIMS,
        reads={"evaluations": ("rating",)})
def satisfaction_rate(ledger: Ledger) -> Metric:
    ratings = ledger.evaluations["rating"]
    return rate((ratings >= 3).sum(), ratings.notna().sum())


@metric("非常满意率", "评分为5分（非常满意）的评价数 ÷ 评价数。", "rate", OUTCOME_DIMS,
        reads={"evaluations": ("rating",)})
def very_satisfied_rate(ledger: Ledger) -> Metric:
    ratings = ledger.evaluations["rating"]
    return rate((ratings == 5).sum(), ratings.notna().sum())


@metric("差评数", "评分为1–2分（不满意、非常不满意）的评价数。", "count", OUTCOME_DIMS,
        reads={"evaluations": ("rating",)})
def negative_count(ledger: Ledger) -> Metric:
    return count(is_negative(ledger.evaluations).sum())


def is_negative(evaluations: pd.DataFrame) -> pd.Series:
    """Whether each evaluation is a 差评 (rated 1 or 2; a missing rating is not): what negative_count counts
    and the 差评 list shows."""
    return evaluations["rating"].isin(NEGATIVE_RATINGS).fillna(False).astype(bool)


@metric("差评整改率", "填写了整改完成日期的差评数 ÷ 差评数。", "rate", OUTCOME_DIMS,
        reads={"evaluations": ("rating", "rectified_on")})
def negative_rectified_rate(ledger: Ledger) -> Metric:
    evaluations = ledger.evaluations
    rectified = evaluations.loc[is_negative(evaluations), "rectified_on"]
    return rate(rectified.notna().sum(), len(rectified))


SURVEY_GRADES = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]


@metric("调查满意率", "各次调查中（非常满意 + 满意 + 基本满意）人数合计 ÷ 全部回答人数合计；另附 95% 置信区间（威尔逊区间）。",
        "rate", SURVEY_DIMS,
        reads={"surveys": tuple(SURVEY_GRADES)})
def survey_satisfaction_rate(ledger: Ledger) -> Metric:
    surveys = ledger.surveys
    return rate(exact_sum(surveys, "surveys", *SURVEY_GRADES[:3]), exact_sum(surveys, "surveys", *SURVEY_GRADES))


@metric("体验官确认解决率", "核查结论为确认解决的核查数 ÷ 核查数。", "rate", OUTCOME_DIMS,
        reads={"inspections": ("verdict",)})
def inspections_confirmed_rate(ledger: Ledger) -> Metric:
    verdicts = ledger.inspections["verdict"]
    return rate(verdicts.eq("confirmed").sum(), verdicts.notna().sum())


@metric("存疑问题数", "至少有一次核查结论为未解决的不同问题数。", "count", OUTCOME_DIMS,
        reads={"inspections": ("verdict", "issue_id")})
def issues_disputed(ledger: Ledger) -> Metric:
    inspections = ledger.inspections
    return count(inspections.loc[is_dispute(inspections), "issue_id"].nunique())


def is_dispute(inspections: pd.DataFrame) -> pd.Series:
    """Whether each inspection found its issue not resolved: issues_disputed counts their issues, and the
    disputed-issue list shows them."""
    return inspections["verdict"].eq("not_resolved").fillna(False).astype(bool)


# The version 2 metrics, registered after these (the methodology's order).
from pipeline.figures.callbacks import (  # noqa: E402,F401
    DEFAULT_SCORING, DUTY_DIMS, active_duties, composite_of, composite_score, duty_items_active, duty_shared_share, extended_rate, reopened_rate, response_rate, returned_rate, satisfied_rate, scoring, solved_rate)
# The burden metrics (基层减负), registered after those.
from pipeline.figures.burden import (  # noqa: E402,F401
    burden_change_rate, burden_cuts_count, documents_received_12m, meetings_attended_12m, report_forms_12m)


def compute_all(ledger: Ledger) -> dict[str, Metric]:
    return {name: spec.fn(ledger) for name, spec in METRICS.items()}
