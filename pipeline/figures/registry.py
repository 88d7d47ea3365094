"""The metric registry: what a figure is (``Metric``), how a metric is registered (``metric``) and
the breakdowns each kind can take. The metrics themselves are in pipeline/figures/metrics.py and
pipeline/figures/callbacks.py, registered in the order the methodology lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pipeline.core.errors import BuildError
from pipeline.core.ledger import Ledger
from pipeline.validate.rules_totals import SAFE_INTEGER, exact_total

SMALL_SAMPLE = 10  # a rate over fewer cases is shown as 样本不足


@dataclass(frozen=True)
class Metric:
    value: float | int | None
    numerator: float | int | None = None
    denominator: float | int | None = None

    def to_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}

    @property
    def small_sample(self) -> bool:
        return self.denominator is not None and self.denominator < SMALL_SAMPLE


def count(n: int) -> Metric:
    return Metric(int(n), int(n), None)


def exact_sum(frame: pd.DataFrame, resource: str, *fields: str) -> int:
    """The exact total of integer ``fields`` of ``frame`` (missing cells add nothing), or a BuildError: a
    total that int64 would wrap or a double would round is never published (validation refuses such data
    first: total-too-large, pipeline/validate/rules_totals.py)."""
    return checked_total(sum(exact_total(frame[field]) for field in fields), resource, fields)


def checked_total(total: int, resource: str, fields: tuple[str, ...]) -> int:
    """``total`` (of ``resource``'s ``fields``) if it can be published exactly, else ``exact_sum``'s BuildError."""
    if not 0 <= total <= SAFE_INTEGER:
        named = "、".join(f"{resource}.{field}" for field in fields)
        raise BuildError(f"{named} 的合计 {total} 超出能精确公布的范围（0 至 {SAFE_INTEGER}），未发布任何内容；"
                         "请运行 ledger validate，按提示核对这些数值后重新构建。")
    return total


def rate(numerator: float, denominator: float) -> Metric:
    numerator, denominator = _plain(numerator), _plain(denominator)
    return Metric(numerator / denominator if denominator else None, numerator, denominator)


def _plain(number: object) -> int | float:
    """numpy/pandas scalars → Python numbers, so JSON output is stable."""
    number = 0 if pd.isna(number) else number
    as_float = float(number)
    return int(as_float) if as_float.is_integer() else as_float


@dataclass(frozen=True)
class MetricSpec:
    name: str
    title_zh: str
    definition_zh: str
    kind: str  # count | rate | days | sum
    dims: frozenset[str]  # the breakdowns that mean something for this metric
    fn: Callable[[Ledger], Metric]
    reads: dict[str, tuple[str, ...]]  # resource → the columns the function reads (a test runs it on only those)


METRICS: dict[str, MetricSpec] = {}

ISSUE_DIMS = frozenset({"region", "department", "mechanism", "month", "category", "tier"})
MEETING_DIMS = frozenset({"region", "department", "mechanism", "month"})
ITEM_DIMS = frozenset({"region", "department", "power_type"})
CASE_DIMS = frozenset({"region", "department", "power_type", "month"})
OUTCOME_DIMS = frozenset({"region", "department", "mechanism", "month", "category", "tier"})
SURVEY_DIMS = frozenset({"region", "department", "mechanism", "month"})


def metric(title_zh: str, definition_zh: str, kind: str, dims: frozenset[str], reads: dict[str, tuple[str, ...]]):
    def register(fn: Callable[[Ledger], Metric]) -> Callable[[Ledger], Metric]:
        METRICS[fn.__name__] = MetricSpec(fn.__name__, title_zh, definition_zh, kind, dims, fn, reads)
        return fn
    return register
