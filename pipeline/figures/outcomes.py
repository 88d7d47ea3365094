"""满意度与核查: the tables behind the outcome pages, as plain data.

Every rate here is a metric function of ``pipeline.figures.metrics`` applied to a part
of the ledger (``scope.scope`` for region, department and mechanism; a quarter
scope for quarters); the grade counts and the Wilson interval come from
``pipeline.figures.stats``; who measured and how is tallied here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from pipeline.figures import metrics as m
from pipeline.figures.scope import metric_ledger, scope
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.figures.stats import Distribution, category_counts, rating_distribution, survey_distribution, wilson_interval

# The frames outcome metrics read, plus the two that ``scope(region=…)`` always filters.
OUTCOME_FRAMES = ("evaluations", "inspections", "surveys", "devolved_items", "devolutions")
QUARTERED = ("evaluations", "inspections", "surveys")  # each has a ``month`` column
VERDICTS = ("confirmed", "partly", "not_resolved")


# --- parts of the ledger ----------------------------------------------------------

def outcome_ledger(ledger: Ledger) -> Ledger:
    """The ledger without issue, meeting and case rows, its outcome frames narrowed to what metrics read
    (``scope.metric_ledger``): scoping it stays cheap at a million issues."""
    narrow = metric_ledger(ledger, OUTCOME_FRAMES)
    return replace(narrow, frames={name: narrow.frames[name] for name in OUTCOME_FRAMES})


def quarter_of(month: str) -> str:
    """'2025-05' → '2025Q2'."""
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{quarter[-1]}季度"


def quarter_months(quarter: str) -> list[str]:
    first = (int(quarter[-1]) - 1) * 3 + 1
    return [f"{quarter[:4]}-{month:02d}" for month in range(first, first + 3)]


def quarter_scope(ledger: Ledger, quarter: str) -> Ledger:
    """Evaluations, inspections and surveys whose month (evaluated_on, inspected_on, period_end) is in the quarter."""
    months = quarter_months(quarter)
    frames = dict(ledger.frames)
    for name in QUARTERED:
        frames[name] = frames[name][frames[name]["month"].isin(months)]
    return replace(ledger, frames=frames)


def quarters(ledger: Ledger) -> list[str]:
    """Every quarter from the first to the last one with an outcome record (gaps included)."""
    months = pd.concat([ledger.frames[name]["month"] for name in QUARTERED]).dropna()
    if months.empty:
        return []
    first, last = pd.Period(quarter_of(months.min()), "Q"), pd.Period(quarter_of(months.max()), "Q")
    return [str(q) for q in pd.period_range(first, last, freq="Q")]


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    parent: str  # the county of a township, else ""
    ledger: Ledger


@dataclass(frozen=True)
class Dimension:
    key: str  # county | township | department | mechanism | quarter
    title: str
    parts: list[PartRows]  # each part's rows, in the order the pages list them


def dimensions(ledger: Ledger) -> list[Dimension]:
    """Each breakdown the outcome pages show, with the rows of every part.

    One part is scoped at a time and only its rows are kept: the parts of a breakdown
    together hold every record, so keeping their scoped frames would hold each frame
    once per breakdown.
    """
    slim = outcome_ledger(ledger)
    regions = ledger.regions.dropna(subset=["code"]).sort_values("code")
    names = dict(zip(regions["code"], regions["name"]))
    counties = regions[regions["level"].eq("county")]
    townships = regions[regions["level"].isin(["township", "street"])]
    departments = ledger.departments.dropna(subset=["code"]).sort_values("code")
    mechanisms = ledger.labels("issues", "mechanism")
    return [
        Dimension("county", "县（市、区）", [part_rows(Part(c, n, "", scope(slim, region=c)))
                                          for c, n in zip(counties["code"], counties["name"])]),
        Dimension("township", "乡镇（街道）", [part_rows(Part(c, n, names.get(p, ""), scope(slim, region=c)))
                                           for c, n, p in zip(townships["code"], townships["name"],
                                                              townships["parent_code"])]),
        Dimension("department", "牵头部门", [part_rows(Part(c, n, "", scope(slim, department=c)))
                                         for c, n in zip(departments["code"], departments["name"])]),
        Dimension("mechanism", "工作机制", [part_rows(Part(c, n, "", scope(slim, mechanism=c)))
                                        for c, n in mechanisms.items()]),
        Dimension("quarter", "季度", [part_rows(Part(q, quarter_label(q), "", quarter_scope(slim, q)))
                                    for q in quarters(slim)]),
    ]


# --- who measured, how, when ---------------------------------------------------------

@dataclass(frozen=True)
class Provenance:
    who: list[tuple[str, int]]  # organisation (or officer count) → records
    how: list[tuple[str, int]]  # method label → records
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    records: int


def _tally(values: pd.Series, labels: dict | None = None) -> list[tuple[str, int]]:
    counts = values.dropna().value_counts()
    # Most records first; ties by name, so the order never depends on the file order.
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [((labels or {}).get(key, key), int(n)) for key, n in ordered]


def _span(first: pd.Series, last: pd.Series) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    first, last = first.dropna(), last.dropna()
    return (first.min() if len(first) else None, last.max() if len(last) else None)


def evaluation_provenance(ledger: Ledger) -> Provenance:
    e = ledger.evaluations
    return Provenance(_tally(e["evaluator"]), _tally(e["method"], ledger.labels("evaluations", "method")),
                      *_span(e["evaluated_on"], e["evaluated_on"]), len(e))


def survey_provenance(ledger: Ledger) -> Provenance:
    s = ledger.surveys
    return Provenance(_tally(s["surveyor"]), _tally(s["method"], ledger.labels("surveys", "method")),
                      *_span(s["period_start"], s["period_end"]), len(s))


def inspection_provenance(ledger: Ledger) -> Provenance:
    i = ledger.inspections
    officers = i["officer"].dropna().nunique()
    # The data standard records no inspection method; say so rather than guess.
    return Provenance([(f"改革体验官 {officers} 名", len(i))], [("数据未记录核查方式", len(i))],
                      *_span(i["inspected_on"], i["inspected_on"]), len(i))


# --- rows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvaluationRow:
    key: str
    label: str
    parent: str
    distribution: Distribution
    count: Metric
    satisfaction: Metric
    very_satisfied: Metric
    negative: Metric
    rectified: Metric

    @property
    def unrectified(self) -> int:
        """差评 not rectified: negative_rectified_rate's denominator less its numerator."""
        return self.rectified.denominator - self.rectified.numerator


def evaluation_row(part: Part) -> EvaluationRow:
    ledger = part.ledger
    return EvaluationRow(part.key, part.label, part.parent, rating_distribution(ledger.evaluations["rating"]),
                         m.evaluations_count(ledger), m.satisfaction_rate(ledger), m.very_satisfied_rate(ledger),
                         m.negative_count(ledger), m.negative_rectified_rate(ledger))


@dataclass(frozen=True)
class SurveyRow:
    key: str
    label: str
    parent: str
    distribution: Distribution
    surveys: int
    rate: Metric
    interval: tuple[float, float] | None


def survey_interval(rate: Metric) -> tuple[float, float] | None:
    """The 95 % Wilson interval of a survey_satisfaction_rate (None without answers)."""
    return wilson_interval(rate.numerator, rate.denominator) if rate.denominator else None


def survey_row(part: Part) -> SurveyRow:
    ledger = part.ledger
    rate = m.survey_satisfaction_rate(ledger)
    interval = survey_interval(rate)
    return SurveyRow(part.key, part.label, part.parent, survey_distribution(ledger.surveys.to_dict("records")),
                     len(ledger.surveys), rate, interval)


def each_survey(ledger: Ledger) -> list[tuple[pd.Series, SurveyRow]]:
    """Each survey on its own (by period_end, then id) with its row: the same metric function over a
    ledger holding that one survey."""
    slim = outcome_ledger(ledger)
    surveys = slim.surveys.sort_values(["period_end", "id"], kind="stable")
    out = []
    for index in surveys.index:
        one = replace(slim, frames={**slim.frames, "surveys": surveys.loc[[index]]})
        record = surveys.loc[index]
        out.append((record, survey_row(Part(record["id"], record["id"], "", one))))
    return out


@dataclass(frozen=True)
class InspectionRow:
    key: str
    label: str
    parent: str
    verdicts: dict[str, int]
    confirmed: Metric
    disputed: Metric

    @property
    def n(self) -> int:
        return sum(self.verdicts.values())


def inspection_row(part: Part) -> InspectionRow:
    ledger = part.ledger
    return InspectionRow(part.key, part.label, part.parent, category_counts(ledger.inspections["verdict"], VERDICTS),
                         m.inspections_confirmed_rate(ledger), m.issues_disputed(ledger))


@dataclass(frozen=True)
class PartRows:
    """A part's row in each of the three kinds of table."""

    evaluation: EvaluationRow
    survey: SurveyRow
    inspection: InspectionRow


def part_rows(part: Part) -> PartRows:
    return PartRows(evaluation_row(part), survey_row(part), inspection_row(part))


def total_part(ledger: Ledger) -> Part:
    return Part("", "全部", "", outcome_ledger(ledger))


@dataclass(frozen=True)
class BreakdownTable:
    """One table of a breakdown: a dimension (key, title) and the rows of its parts."""
    key: str
    title: str
    rows: list


def tables(dims: list[Dimension], kind: str, *, keep_empty: frozenset[str] = frozenset(),
           size=lambda r: r.n) -> list[BreakdownTable]:
    """One table per dimension of the ``kind`` rows (evaluation | survey | inspection); parts without
    records are left out unless their dimension is in ``keep_empty``."""
    out = []
    for dim in dims:
        rows = [getattr(part, kind) for part in dim.parts]
        out.append(BreakdownTable(dim.key, dim.title, [r for r in rows if dim.key in keep_empty or size(r) > 0]))
    return out
