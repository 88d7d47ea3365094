"""Version 2 metrics (data-standard.md, "New metrics"): the requester's own answers to the callback
(回访) and the rankings' composite score, the returned, reopened and extended shares of issues from
issue_events, and the township duty lists. Registered after the version-1 metrics (imported at the
end of pipeline/figures/metrics.py), so the methodology keeps its order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger, positions_in
from pipeline.figures.registry import ISSUE_DIMS, OUTCOME_DIMS, Metric, _plain, count, metric, rate


# --- callbacks (回访): the requester's own answers, and the composite score of the rankings ----------------

DEFAULT_SCORING = {"weights": {"response": 0.1, "solved": 0.5, "satisfied": 0.4},
                   "basic_satisfied_weight": 0.9, "min_callbacks": 10, "period": "month"}


def scoring(ledger: Ledger) -> dict:
    """The descriptor's ``scoring`` (the standard's defaults for what it leaves out)."""
    return DEFAULT_SCORING | ledger.package.descriptor.get("scoring", {})


@metric("响应率", "回访中回答了“是否联系过您”的评价中，回答“是”（已联系）的评价数 ÷ 回答了该问题的评价数。", "rate",
        OUTCOME_DIMS, reads={"evaluations": ("contacted",)})
def response_rate(ledger: Ledger) -> Metric:
    contacted = ledger.evaluations["contacted"]
    return rate(contacted.eq(True).fillna(False).sum(), contacted.notna().sum())


@metric("解决率", "回访中回答了“问题是否解决”的评价中，回答“已解决”的评价数 ÷ 回答了该问题的评价数（“部分解决”不计入分子）。",
        "rate", OUTCOME_DIMS, reads={"evaluations": ("resolved_view",)})
def solved_rate(ledger: Ledger) -> Metric:
    view = ledger.evaluations["resolved_view"]
    return rate(view.eq("resolved").fillna(False).sum(), view.notna().sum())


@metric("回访满意率",
        "（评分为4–5分的评价数 + 基本满意折算系数 × 评分为3分的评价数）÷ 评价数；折算系数取数据包 scoring.basic_satisfied_weight"
        "（默认 0.9）。与“满意率”（3–5分一律计为满意）不同，这是排名所用的满意率。", "rate", OUTCOME_DIMS,
        reads={"evaluations": ("rating",)})
def satisfied_rate(ledger: Ledger) -> Metric:
    ratings = ledger.evaluations["rating"]
    basic = scoring(ledger)["basic_satisfied_weight"]
    credited = round(_plain((ratings >= 4).sum()) + basic * _plain((ratings == 3).sum()), 9)  # no float noise in JSON
    return rate(credited, ratings.notna().sum())


class CallbackCounts:
    """The counts the three callback rates take (response_rate, solved_rate, satisfied_rate), for the
    evaluations of many parts at once: ``rates(rows)`` is what the three functions above give on a frame
    of those rows alone (tests/test_callback_counts.py pins the equality on random parts), without a frame
    a part: the rankings take them for every township in every period."""

    def __init__(self, evaluations: pd.DataFrame, basic_satisfied_weight: float):
        contacted, view, ratings = evaluations["contacted"], evaluations["resolved_view"], evaluations["rating"]
        masks = (contacted.eq(True).fillna(False), contacted.notna(), view.eq("resolved").fillna(False), view.notna(),
                 (ratings >= 4).fillna(False), (ratings == 3).fillna(False), ratings.notna())
        self.counts = np.column_stack([mask.to_numpy(dtype=bool) for mask in masks]).astype(np.int64)
        self.basic_satisfied_weight = basic_satisfied_weight

    def rates(self, rows: np.ndarray) -> dict[str, Metric]:
        contacted, answered, solved, viewed, good, basic, rated = (int(n) for n in self.counts[rows].sum(axis=0))
        credited = round(good + self.basic_satisfied_weight * basic, 9)  # as satisfied_rate rounds it
        return {"response_rate": rate(contacted, answered), "solved_rate": rate(solved, viewed),
                "satisfied_rate": rate(credited, rated)}


@metric("综合成绩",
        "100 ×（响应权重 × 响应率 + 解决权重 × 解决率 + 满意权重 × 回访满意率），权重取数据包 scoring.weights"
        "（默认 0.1、0.5、0.4）；三个比率有一个无法计算（分母为0）时为空。分母列给出评价数，分子不适用。", "score",
        OUTCOME_DIMS, reads={"evaluations": ("contacted", "resolved_view", "rating")})
def composite_score(ledger: Ledger) -> Metric:
    parts = {"response": response_rate(ledger), "solved": solved_rate(ledger), "satisfied": satisfied_rate(ledger)}
    return composite_of(parts, scoring(ledger)["weights"], len(ledger.evaluations))


def composite_of(parts: dict[str, Metric], weights: dict[str, float], evaluations: int) -> Metric:
    """composite_score from its three rates (keys response, solved, satisfied): the rankings compute the rates
    once and make the score here."""
    if any(part.value is None for part in parts.values()):
        return Metric(None, None, evaluations)
    return Metric(100 * sum(weights[key] * part.value for key, part in parts.items()), None, evaluations)


# --- the lifecycle (issue_events): an issue metric counts the events of the issues in its ledger, so it breaks
# down by every dimension of an issue.

LIFECYCLE_EVENTS = ("returned", "reopened", "extended")  # the events the rates below count


def event_column(event: str) -> str:
    """The issues column in which scope.metric_ledger keeps whether each issue has an ``event``."""
    return f"_has_{event}"


def issues_with(issues: pd.DataFrame, events: pd.DataFrame, event: str) -> pd.Series:
    """Per issue: whether it has at least one ``event`` in ``events`` (issue_events). A pyarrow hash
    lookup: pandas' isin on Arrow text makes every id of the set a Python object first."""
    found = positions_in(issues["id"], events.loc[events["event"].eq(event), "issue_id"]) >= 0
    return pd.Series(found, index=issues.index)


def _issues_with(ledger: Ledger, event: str) -> pd.Series:
    """Per issue of the ledger: whether it has at least one ``event`` in issue_events. A scope keeps all of
    issue_events, so the metric ledger looks this up once for every issue (scope.metric_ledger) and each
    scope's rows carry their answer: at a million issues the API asks for three rates in 39 scopes."""
    column = event_column(event)
    if column in ledger.issues.columns:
        return ledger.issues[column]
    return issues_with(ledger.issues, ledger.issue_events, event)


@metric("回退率", "交办日期不为空、且至少有一次“回退”办理过程记录的问题数 ÷ 交办日期不为空的问题数（曾交办的问题）。", "rate",
        ISSUE_DIMS, reads={"issues": ("id", "assigned_on"), "issue_events": ("issue_id", "event")})
def returned_rate(ledger: Ledger) -> Metric:
    assigned = ledger.issues["assigned_on"].notna()
    return rate((assigned & _issues_with(ledger, "returned")).sum(), assigned.sum())


@metric("重办率", "至少有一次“重办”办理过程记录的已办结问题数 ÷ 已办结问题数。", "rate",
        ISSUE_DIMS, reads={"issues": ("id", "done"), "issue_events": ("issue_id", "event")})
def reopened_rate(ledger: Ledger) -> Metric:
    done = ledger.issues["done"]
    return rate((done & _issues_with(ledger, "reopened")).sum(), done.sum())


@metric("延期率", "交办日期不为空、且至少有一次“延期”办理过程记录的问题数 ÷ 交办日期不为空的问题数。按期办结率仍以最初确定的办结期限计算。",
        "rate", ISSUE_DIMS, reads={"issues": ("id", "assigned_on"), "issue_events": ("issue_id", "event")})
def extended_rate(ledger: Ledger) -> Metric:
    assigned = ledger.issues["assigned_on"].notna()
    return rate((assigned & _issues_with(ledger, "extended")).sum(), assigned.sum())


# --- duty lists (履职事项清单) --------------------------------------------------------------------

DUTY_DIMS = frozenset({"region"})


def active_duties(ledger: Ledger) -> pd.DataFrame:
    """Duty items in force at as_of: effective on or before it, and not removed on or before it."""
    duties = ledger.duty_items
    removed = (duties["removed_on"] <= ledger.as_of).fillna(False).astype(bool)
    return duties[(duties["effective_on"] <= ledger.as_of).fillna(False).astype(bool) & ~removed]


@metric("在用履职事项数", "生效日期不晚于数据截止日、且未在截止日或之前移除（移除日期为空或晚于截止日）的履职事项数。", "count",
        DUTY_DIMS, reads={"duty_items": ("effective_on", "removed_on")})
def duty_items_active(ledger: Ledger) -> Metric:
    return count(len(active_duties(ledger)))


@metric("配合与收回事项占比", "在用履职事项中，清单类型为“配合履职事项”或“上级部门收回事项”的事项数 ÷ 在用履职事项数。", "rate",
        DUTY_DIMS, reads={"duty_items": ("effective_on", "removed_on", "list_type")})
def duty_shared_share(ledger: Ledger) -> Metric:
    active = active_duties(ledger)
    return rate(active["list_type"].isin(("cooperative", "returned_up")).sum(), len(active))
