"""The narrowed ledger that scopes are taken from: every metric and claim gives what the full ledger gives."""

from __future__ import annotations

import pytest

from pipeline.figures import claims
from pipeline.figures.scope import COLUMNS, PERIOD_COLUMNS, metric_for, metric_ledger, scope
from pipeline.figures.metrics import METRICS


def values_of(ledger, dimension: str) -> list[str]:
    """Every value of ``dimension`` the data holds, plus one that matches nothing."""
    if dimension == "region":
        found = list(ledger.regions["code"].dropna())
    elif dimension == "department":
        found = list(ledger.departments["code"].dropna())
    elif dimension == "month":
        found = sorted(set(ledger.issues["month"].dropna()) | set(ledger.evaluations["month"].dropna()))
    elif dimension == "power_type":
        found = list(ledger.labels("devolved_items", "power_type"))
    else:
        found = list(ledger.labels("issues", COLUMNS[dimension]["issues"]))
    return [*found, "no-such-value"]


@pytest.mark.parametrize("fixture", ["tiny_ledger", "demo_ledger"])
def test_every_metric_of_every_scope_is_the_same_on_the_narrowed_ledger(request, fixture):
    ledger = request.getfixturevalue(fixture)
    narrow = metric_ledger(ledger)
    for name in METRICS:
        assert metric_for(narrow, name) == metric_for(ledger, name), name
    checked = 0
    for dimension in sorted(COLUMNS):
        names = [name for name, spec in METRICS.items() if dimension in spec.dims]
        for value in values_of(ledger, dimension):
            # One scope per value for all its metrics (what metric_for does per metric).
            full, part = scope(ledger, **{dimension: value}), scope(narrow, **{dimension: value})
            for name in names:
                assert METRICS[name].fn(part) == METRICS[name].fn(full), (name, dimension, value)
                checked += 1
    assert checked > 500


def test_scopes_within_scopes_agree(demo_ledger):
    narrow = metric_ledger(demo_ledger)
    county = demo_ledger.regions.loc[demo_ledger.regions["level"].eq("county"), "code"].iloc[0]
    for department in demo_ledger.departments["code"]:
        full = scope(demo_ledger, region=county, department=department)
        part = scope(narrow, region=county, department=department)
        for name, spec in METRICS.items():
            if {"region", "department"} <= spec.dims:
                assert spec.fn(part) == spec.fn(full), (name, department)


def test_the_narrowed_ledger_keeps_the_claims_period_columns():
    assert {r: c for r, c in claims.PERIOD_COLUMN.items() if r in PERIOD_COLUMNS} == PERIOD_COLUMNS


@pytest.mark.parametrize("fixture", ["tiny_ledger", "demo_ledger"])
def test_claim_checks_are_the_same_on_the_narrowed_ledger(request, fixture):
    ledger = request.getfixturevalue(fixture)
    assert claims.check_claims(metric_ledger(ledger)) == claims.check_claims(ledger)


def test_the_narrowed_ledger_is_narrower(demo_ledger):
    narrow = metric_ledger(demo_ledger)
    assert narrow.issues.shape[0] == demo_ledger.issues.shape[0]
    assert narrow.issues.shape[1] < demo_ledger.issues.shape[1]
    assert "title" not in narrow.issues and "summary" not in narrow.issues
    assert str(narrow.issues["region_code"].dtype) == "category"
    assert narrow.regions is demo_ledger.regions  # small frames are shared, not copied


def test_meetings_by_department_match_whole_codes_only(tiny_ledger):
    """A department code that is part of another (or holds the separator) does not match it."""
    meetings = tiny_ledger.meetings
    some = next(codes for codes in meetings["departments"].dropna() if codes)
    first = some.split(";")[0]
    assert scope(tiny_ledger, department=first).meetings.shape[0] > 0
    assert scope(tiny_ledger, department=first[:-1]).meetings.shape[0] == 0
    assert scope(tiny_ledger, department=f"{first};").meetings.shape[0] == 0
