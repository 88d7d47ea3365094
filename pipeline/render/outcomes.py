"""满意度与核查: third-party evaluations and surveys, 差评 rectification, experience-officer inspections.

Pages under ``outcomes/`` and the API document ``api/v1/outcomes.json``.
Rates come from the metric functions over scoped ledgers (``pipeline.figures.outcomes``);
records come from ``outcomes_lists``; templates own the markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.core.ledger import Ledger
from pipeline.figures import outcomes as od
from pipeline.figures.metrics import METRICS, SMALL_SAMPLE, Metric
from pipeline.render.env import render
from pipeline.render.cards import Card
from pipeline.render.outcomes_lists import LIST_LIMIT, disputed_rows, negative_rows, places
from pipeline.render.section import File, Part, Rendered, collect
from pipeline.figures.stats import GRADES, Z95

# From /outcomes/ the issue page is ../issue/; from /outcomes/<page>/ it is ../../issue/.
ISSUE_FROM_INDEX = "../issue/"
ISSUE_FROM_PAGE = "../../issue/"
CARDS = ["evaluations_count", "satisfaction_rate", "very_satisfied_rate", "negative_count",
         "negative_rectified_rate", "survey_satisfaction_rate", "inspections_confirmed_rate", "issues_disputed"]
LATEST_DISPUTED = 5
SURVEY_KEEP_EMPTY = frozenset({"county", "township", "quarter"})  # departments/mechanisms: only those surveyed


@dataclass(frozen=True)
class SurveyListRow:
    row: od.SurveyRow
    surveyor: str
    period_start: object
    period_end: object
    region: str
    subject: str
    method: str


def cards(metrics: dict[str, Metric]) -> list[Card]:
    out = []
    for name in CARDS:
        metric, spec = metrics[name], METRICS[name]
        interval = od.survey_interval(metric) if name == "survey_satisfaction_rate" else None
        out.append(Card(name, spec.title_zh, spec.definition_zh, spec.kind, metric, interval))
    return out


def survey_list(ledger: Ledger) -> list[SurveyListRow]:
    """Each survey on its own with its row (``outcomes.each_survey``) and where, who, what and how."""
    where = places(ledger)
    departments = dict(zip(ledger.departments["code"], ledger.departments["name"]))
    mechanisms = ledger.labels("issues", "mechanism")
    subjects = ledger.labels("surveys", "subject")
    methods = ledger.labels("surveys", "method")
    rows = []
    for rec, row in od.each_survey(ledger):
        ref = rec["subject_ref"] if isinstance(rec["subject_ref"], str) else ""
        subject = subjects.get(rec["subject"], "—")
        named = departments.get(ref) or mechanisms.get(ref) or ref
        rows.append(SurveyListRow(row, rec["surveyor"],
                                  rec["period_start"], rec["period_end"], where.get(rec["region_code"], "—"),
                                  f"{subject}：{named}" if named else subject, methods.get(rec["method"], "—")))
    return rows


def _metric_dicts(row: object, names: dict[str, str]) -> dict:
    return {key: getattr(row, attr).to_dict() for key, attr in names.items()}


EVALUATION_FIELDS = {"evaluations_count": "count", "satisfaction_rate": "satisfaction",
                     "very_satisfied_rate": "very_satisfied", "negative_count": "negative",
                     "negative_rectified_rate": "rectified"}


def api_document(ledger: Ledger, total: dict, tables: dict) -> str:
    """api/v1/outcomes.json: every summary row with its grade counts; survey rates with their Wilson interval."""
    def evaluation(row):
        return {"key": row.key, "label": row.label, "distribution": row.distribution.to_dict(),
                "metrics": _metric_dicts(row, EVALUATION_FIELDS)}

    def survey(row):
        return {"key": row.key, "label": row.label, "surveys": row.surveys, "distribution": row.distribution.to_dict(),
                "metrics": {"survey_satisfaction_rate": row.rate.to_dict()},
                "wilson_95": list(row.interval) if row.interval else None}

    def inspection(row):
        return {"key": row.key, "label": row.label, "verdicts": row.verdicts,
                "metrics": {"inspections_confirmed_rate": row.confirmed.to_dict(),
                            "issues_disputed": row.disputed.to_dict()}}

    payload = {"as_of": ledger.as_of.strftime("%Y-%m-%d"), "z": Z95, "small_sample": SMALL_SAMPLE}
    for kind, fn in (("evaluations", evaluation), ("surveys", survey), ("inspections", inspection)):
        payload[kind] = {"total": fn(total[kind]),
                         "by": {t.key: [fn(r) for r in t.rows] for t in tables[kind]}}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    # --- Load inputs: each part's rows, and records ---
    dims = od.dimensions(ledger)
    whole = od.total_part(ledger)
    total = {"evaluations": od.evaluation_row(whole), "surveys": od.survey_row(whole),
             "inspections": od.inspection_row(whole)}
    all_dims = frozenset(d.key for d in dims)
    tables = {
        "evaluations": od.tables(dims, "evaluation", keep_empty=all_dims, size=lambda r: r.count.value),
        "surveys": od.tables(dims, "survey", keep_empty=SURVEY_KEEP_EMPTY, size=lambda r: r.distribution.n),
        "inspections": od.tables([d for d in dims if d.key in ("county", "township", "department")],
                                 "inspection", keep_empty=all_dims),
    }
    # Who measured and how: columns the narrowed ledger leaves out, from the same (unfiltered) rows.
    provenance = {"evaluations": od.evaluation_provenance(ledger), "surveys": od.survey_provenance(ledger),
                  "inspections": od.inspection_provenance(ledger)}
    negatives = negative_rows(ledger, LIST_LIMIT)
    negatives_total = metrics["negative_count"].value  # every 差评, of which the page lists LIST_LIMIT
    disputed = disputed_rows(ledger)
    as_of = ledger.as_of
    verdicts = ledger.labels("inspections", "verdict")
    quarter_rows = next(d for d in dims if d.key == "quarter").parts
    departments = next(t for t in tables["evaluations"] if t.key == "department").rows

    # --- Render pages ---
    yield File("outcomes/index.md", render(
        "outcomes_index.md.j2", title="满意度与核查", current="index.md", as_of=as_of, cards=cards(metrics),
        disputed_count=metrics["issues_disputed"].value, latest_disputed=disputed[:LATEST_DISPUTED],
        issue_base=ISSUE_FROM_INDEX, quarter_rows=quarter_rows, evaluation_provenance=provenance["evaluations"],
        survey_provenance=provenance["surveys"], inspection_provenance=provenance["inspections"]))
    yield File("outcomes/satisfaction.md", render(
        "outcomes_satisfaction.md.j2", title="第三方满意度评价", current="satisfaction.md", as_of=as_of,
        grades=GRADES, tables=tables["evaluations"], total=total["evaluations"], provenance=provenance["evaluations"]))
    yield File("outcomes/surveys.md", render(
        "outcomes_surveys.md.j2", title="第三方满意度调查", current="surveys.md", as_of=as_of, grades=GRADES,
        tables=tables["surveys"], total=total["surveys"], provenance=provenance["surveys"],
        surveys=survey_list(ledger)))
    yield File("outcomes/negative.md", render(
        "outcomes_negative.md.j2", title="差评与整改", current="negative.md", as_of=as_of,
        total=total["evaluations"], departments=[r for r in departments if r.negative.value],
        rows=negatives, rows_total=negatives_total, truncated=negatives_total > LIST_LIMIT,
        issue_base=ISSUE_FROM_PAGE))
    yield File("outcomes/inspections.md", render(
        "outcomes_inspections.md.j2", title="改革体验官核查", current="inspections.md", as_of=as_of,
        disputed_count=metrics["issues_disputed"].value, rows=disputed[:LIST_LIMIT],
        truncated=len(disputed) > LIST_LIMIT, issue_base=ISSUE_FROM_PAGE, verdicts=verdicts,
        tables=tables["inspections"], total=total["inspections"], provenance=provenance["inspections"]))
    # --- Save outputs: the API document beside the pages ---
    yield File("api/v1/outcomes.json", api_document(ledger, total, tables))

def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
