"""Every figure from one registry: each metric declares the columns it reads, and the vectorised
breakdowns are the metric's own terms and combine, checked against a recomputation written
independently here (plain Python over the rows, no pandas arithmetic shared with the code).
"""

from __future__ import annotations

import math
import statistics
import pandas as pd
import pytest

from pipeline.figures import metrics
from pipeline.figures.breakdowns import ISSUE_METRICS, breakdown_figures, issue_figures
from pipeline.figures.metrics import METRICS, Metric
from pipeline.figures.scope import METRIC_COLUMNS, scope


# --- the registry says what each metric reads ---------------------------------------------------

@pytest.mark.parametrize("fixture", ["tiny_ledger", "demo_ledger"])
def test_metric_reads_undeclared_columns(request, fixture):
    """Each metric gives its value on a ledger holding only the columns its registry entry names."""
    ledger = request.getfixturevalue(fixture)
    for name, spec in METRICS.items():
        narrow = ledger.view(spec.reads)  # other resources and columns are gone: reading one raises
        assert spec.fn(narrow) == spec.fn(ledger), name


def test_narrowed_ledger_columns_drift_from_the_registry():
    """The narrowed ledger (metric_ledger) keeps exactly what the registry says the metrics read."""
    for resource, columns in METRIC_COLUMNS.items():
        declared = {c for spec in METRICS.values() for c in spec.reads.get(resource, ())}
        assert declared <= set(columns), resource
    assert METRIC_COLUMNS["issues"] == ["done", "withdrawn", "resolved_on", "due", "raised_on", "resolved_at_level",
                                        "escalated", "id", "assigned_on"]  # id, assigned_on: the lifecycle rates
    assert METRIC_COLUMNS["meetings"] == ["persons_received", "departments"]  # departments: the department scope


# --- one on-time rate ------------------------------------------------------------------------------

def test_breakdown_copies_the_on_time_test(tiny_ledger, monkeypatch):
    """The breakdowns count the metric's own per-issue term: changing the one definition of "on time"
    changes the whole-ledger figure and every group alike (a copy in the breakdowns would not follow)."""
    reads, _ = metrics.ISSUE_TERMS["on_time"]
    monkeypatch.setitem(metrics.ISSUE_TERMS, "on_time", (reads, lambda issues, as_of: issues["done"]))
    assert METRICS["on_time_rate"].fn(tiny_ledger) == Metric(1.0, 4, 4)
    by_region = breakdown_figures(tiny_ledger, "region")
    assert by_region["990121001000"]["on_time_rate"] == Metric(1.0, 2, 2)  # Q-002 was late
    assert by_region["990121002000"]["on_time_rate"] == Metric(1.0, 2, 2)  # Q-008 was late


def test_breakdown_copies_the_issue_metric_formulas(tiny_ledger, monkeypatch):
    """The groups' figures are made by the metric's own ``combine``, not by a second formula."""
    monkeypatch.setitem(metrics.ISSUE_COMBINE, "resolution_rate", lambda t: metrics.rate(t["done"], t["raised"]))
    assert breakdown_figures(tiny_ledger, "region")["990121001000"]["resolution_rate"] == Metric(2 / 4, 2, 4)


# --- against an independent recomputation ---------------------------------------------------------

def _date(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def recompute(issues: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Metric]:
    """The eight issue metrics from their definitions on the methodology page, row by row."""
    raised = resolved = withdrawn = on_time = overdue = township = escalated = 0
    days = []
    today = as_of.date()
    for row in issues.to_dict("records"):
        status = row["status"]
        done = status in ("resolved", "evaluated", "archived")
        due, resolved_on, raised_on = _date(row["due"]), _date(row["resolved_on"]), _date(row["raised_on"])
        raised += 1
        withdrawn += status == "withdrawn"
        escalated += bool(row["escalated"])
        if done:
            resolved += 1
            on_time += resolved_on is not None and due is not None and resolved_on <= due
            township += row["resolved_at_level"] == "township"
            if resolved_on is not None and raised_on is not None:
                days.append((resolved_on - raised_on).days)
        elif status != "withdrawn" and due is not None and due < today:
            overdue += 1

    def ratio(a, b):
        return Metric(a / b if b else None, a, b)

    median = statistics.median(days) if days else None
    if median is not None and float(median).is_integer():
        median = int(median)
    return {
        "issues_raised": Metric(raised, raised, None), "issues_resolved": Metric(resolved, resolved, None),
        "resolution_rate": ratio(resolved, raised - withdrawn), "on_time_rate": ratio(on_time, resolved),
        "overdue_open": Metric(overdue, overdue, None), "median_days_to_resolve": Metric(median, None, len(days)),
        "township_resolution_share": ratio(township, resolved), "escalated_count": Metric(escalated, escalated, None),
    }


def _same(got: dict[str, Metric], want: dict[str, Metric]) -> None:
    for name in ISSUE_METRICS:
        g, w = got[name], want[name]
        assert (g.numerator, g.denominator) == (w.numerator, w.denominator), name
        assert (g.value is None) == (w.value is None) and (g.value is None or math.isclose(g.value, w.value)), name


@pytest.mark.parametrize("fixture", ["tiny_ledger", "demo_ledger"])
def test_issue_metrics_drift_from_their_definitions(request, fixture):
    """The whole ledger, every region (everything below it included) and every department, by the
    registry's functions and by the vectorised breakdowns, equal the row-by-row recomputation."""
    ledger = request.getfixturevalue(fixture)
    issues = ledger.issues
    _same({name: METRICS[name].fn(ledger) for name in ISSUE_METRICS}, recompute(issues, ledger.as_of))
    by_region = breakdown_figures(ledger, "region")
    for code, figures in by_region.items():
        mine = issues[issues["region_code"].isin(ledger.region_codes(code))]
        _same(figures, recompute(mine, ledger.as_of))
    by_department = breakdown_figures(ledger, "department")
    for code, figures in by_department.items():
        _same(figures, recompute(issues[issues["lead_department"].eq(code)], ledger.as_of))
    assert len(by_region) == len(ledger.regions) and len(by_department) == len(ledger.departments)


def test_single_group_figures_drift_from_their_definitions(demo_ledger):
    escalated = demo_ledger.issues[demo_ledger.issues["escalated"]]
    _same(issue_figures(demo_ledger, escalated), recompute(escalated, demo_ledger.as_of))
    _same({n: METRICS[n].fn(scope(demo_ledger, tier="complex")) for n in ISSUE_METRICS},
          recompute(demo_ledger.issues[demo_ledger.issues["tier"].eq("complex")], demo_ledger.as_of))


# --- the home page's trend -------------------------------------------------------------------------

def test_home_trend_counts_issues_outside_the_registry(tiny_ledger, monkeypatch):
    """The trend's columns are issues_raised by raised month and issues_resolved by resolved month: the
    registry's terms, so a change of what "resolved" means moves the trend with the headline figure."""
    from pipeline.figures.breakdowns import monthly_counts

    rows = monthly_counts(tiny_ledger).to_dict("records")
    assert [r["month"] for r in rows] == ["2026-03", "2026-04"]
    issues = tiny_ledger.issues
    for r in rows:  # recomputed row by row
        assert r["raised"] == sum(d.strftime("%Y-%m") == r["month"] for d in issues["raised_on"])
        assert r["resolved"] == sum(done and not pd.isna(d) and d.strftime("%Y-%m") == r["month"]
                                    for done, d in zip(issues["done"], issues["resolved_on"]))
    assert sum(r["resolved"] for r in rows) == METRICS["issues_resolved"].fn(tiny_ledger).value == 4
    reads, _ = metrics.ISSUE_TERMS["done"]
    monkeypatch.setitem(metrics.ISSUE_TERMS, "done", (reads, lambda issues, as_of: issues["done"] & issues["escalated"]))
    rows = monthly_counts(tiny_ledger).to_dict("records")
    assert sum(r["resolved"] for r in rows) == METRICS["issues_resolved"].fn(tiny_ledger).value == 0


# --- one issue's standing against its deadline -------------------------------------------------------

def test_issue_timing_copies_the_on_time_and_overdue_tests(tiny_ledger, monkeypatch):
    """The issue pages' 按期办结 / 已超期 states are the metrics' own terms: on the whole ledger and after
    the one definition changes, the states count what on_time_rate and overdue_open count."""
    from pipeline.figures.timing import timing

    def agree():
        states = timing(tiny_ledger.issues, tiny_ledger.as_of)["state"]
        assert (states == "on_time").sum() == METRICS["on_time_rate"].fn(tiny_ledger).numerator
        assert (states == "overdue").sum() == METRICS["overdue_open"].fn(tiny_ledger).value
        return dict(zip(tiny_ledger.issues["id"], states))

    assert agree()["Q-002"] == "late" and agree()["Q-004"] == "overdue"
    reads, _ = metrics.ISSUE_TERMS["on_time"]
    monkeypatch.setitem(metrics.ISSUE_TERMS, "on_time", (reads, lambda issues, as_of: issues["done"]))
    reads, _ = metrics.ISSUE_TERMS["overdue"]
    monkeypatch.setitem(metrics.ISSUE_TERMS, "overdue", (reads, lambda issues, as_of: metrics.is_open(issues)
                                                          & issues["due"].notna()))
    states = agree()
    assert states["Q-002"] == "on_time" and states["Q-005"] == "overdue"


def test_escalation_counts_copy_the_issue_terms(tiny_ledger):
    from pipeline.figures.breakdowns import escalated_issues, issue_states, open_by_region

    escalated = escalated_issues(tiny_ledger)
    assert list(escalated["id"]) == ["Q-004"] and len(escalated) == METRICS["escalated_count"].fn(tiny_ledger).value
    assert issue_states(tiny_ledger, tiny_ledger.issues) == {"total": 8, "done": 4, "withdrawn": 1, "open": 3}
    # 甲镇: Q-007 open (Q-001, Q-002 done, Q-006 withdrawn); 乙镇.
    assert open_by_region(tiny_ledger, ["990121001000", "990121002000", "990121000000"]) == \
        {"990121001000": 1, "990121002000": 2, "990121000000": 3}
