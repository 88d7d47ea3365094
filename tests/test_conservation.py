"""Row conservation: every row read is either published or reported, never silently lost.

Property tests (hypothesis) on small ledgers made from the tiny fixture with rows
duplicated and mutated — missing (NaN) keys, unknown region codes, evaluations and
inspections of unknown issues, cases of unknown items:
- ``frames.build_ledger`` keeps every row of every file, in order, through its merges;
- for every additive metric (counts, sums, and the numerator and denominator of every rate)
  and every dimension it can be broken down by, the breakdown over a partition of that
  dimension plus the rows the partition cannot place (missing or unknown key) adds up
  to the total, computed by ``aggregate.scope`` / ``breakdown`` exactly as the pages do.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.figures.scope import COLUMNS, breakdown, scope
from pipeline.figures.claims import RESOURCE
from pipeline.core.ledger import build_ledger
from pipeline.figures.metrics import METRICS
from pipeline.core.package import load
from tests.conftest import make_tiny

PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# (metric, dimension) pairs that are not additive by definition, with the reason.
NOT_ADDITIVE = {
    **{(m, "region"): "an item counts in every township it was devolved to"
       for m in ("items_devolved", "items_zero_use", "items_review_overdue")},
    ("issues_disputed", "month"): "a disputed issue counts once in every month it was found unresolved",
    ("meetings_held", "department"): "a meeting has several departments",
    ("persons_received", "department"): "a meeting has several departments",
    ("survey_satisfaction_rate", "department"): "surveys name a department only by subject",
    ("survey_satisfaction_rate", "mechanism"): "surveys name a mechanism only by subject",
}
ADDITIVE = [(name, dim) for name, spec in sorted(METRICS.items()) if spec.kind in ("count", "sum", "rate")
            for dim in sorted(spec.dims) if (name, dim) not in NOT_ADDITIVE]
MUTABLE = ["issues", "meetings", "evaluations", "inspections", "item_cases", "devolutions", "surveys"]


# --- mutated ledgers ------------------------------------------------------------------------

@st.composite
def mutations(draw):
    """A list of (operation, resource, row position, column) applied in order."""
    steps = []
    for _ in range(draw(st.integers(0, 12))):
        resource = draw(st.sampled_from(MUTABLE))
        operation = draw(st.sampled_from(["duplicate", "nan", "unknown"]))
        keyed = sorted({c for dim in COLUMNS.values() for r, c in dim.items() if r == resource})
        steps.append((operation, resource, draw(st.integers(0, 1000)), draw(st.sampled_from(keyed))))
    return steps


def mutate(ledger, steps):
    frames = {name: frame.copy() for name, frame in ledger.frames.items()}
    for operation, resource, position, column in steps:
        frame = frames[resource]
        if frame.empty:
            continue
        row = position % len(frame)
        if operation == "duplicate":
            frames[resource] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
        else:
            if operation == "nan" or column == "month":  # a month comes from a date: a value or none
                value = None
            elif column.endswith("region_code"):
                value = "999999999999"  # a code no region has
            else:
                value = "no-such-code"
            frame.loc[frame.index[row], column] = value
            _propagate(frames, resource, frame.loc[frame.index[row]], column, value)
            for prefix, foreign in (("issue_", "issue_id"), ("item_", "item_id")):
                if column.startswith(prefix) and column != foreign and foreign in frame.columns:
                    # A copied attribute is unknown only when its record is: make the row a real orphan.
                    # One orphan id per row: two rows of one unknown record cannot disagree on its attributes.
                    frame.loc[frame.index[row], foreign] = f"no-such-{prefix.rstrip('_')}-{row}"
    return replace(ledger, frames=frames)


# build_ledger copies some columns of an issue or an item onto the rows that refer to it; a
# mutation of the source must reach those copies, as it would in a ledger built from the data.
COPIES = {"issues": ("id", "issue_id", "issue_", ("evaluations", "inspections")),
          "devolved_items": ("id", "item_id", "item_", ("devolutions", "item_cases"))}


def _propagate(frames, resource, row, column, value):
    if resource not in COPIES:
        return
    key, foreign, prefix, targets = COPIES[resource]
    for target in targets:
        copy = prefix + column
        if copy in frames[target].columns:
            frames[target].loc[frames[target][foreign].eq(row[key]), copy] = value


def unplaced(ledger, dimension: str, values: list[str]):
    """The rows no value of the partition selects (missing or unknown key), found without scope()."""
    if dimension == "region":
        covered = frozenset().union(*(ledger.region_codes(v) for v in values)) if values else frozenset()
    else:
        covered = frozenset(values)
    frames = dict(ledger.frames)
    for resource, column in COLUMNS[dimension].items():
        frames[resource] = frames[resource][~frames[resource][column].isin(covered)]
    if dimension == "region":
        items = frames["devolved_items"]
        frames["devolved_items"] = items[items["id"].isin(frames["devolutions"]["item_id"])]
    if dimension in ("department", "mechanism"):
        frames["surveys"] = frames["surveys"].iloc[0:0]  # surveys are placed by subject only
    return replace(ledger, frames=frames)


def partition(ledger, dimension: str) -> list[str]:
    """Disjoint values: townships and streets for region, every distinct value otherwise."""
    if dimension == "region":
        regions = ledger.regions
        return sorted(regions.loc[regions["level"].isin(["township", "street"]), "code"].dropna())
    values = set()
    for resource, column in COLUMNS[dimension].items():
        values |= set(ledger.frames[resource][column].dropna())
    return sorted(values)


def parts(metric) -> tuple[Fraction, Fraction | None]:
    """The additive parts of a metric: its value (count, sum) or its numerator and denominator (rate)."""
    if metric.denominator is not None:
        return Fraction(str(metric.numerator)), Fraction(str(metric.denominator))
    return Fraction(str(metric.value or 0)), None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=st.sampled_from(ADDITIVE), steps=mutations())
def test_breakdowns_add_up_to_the_total(tiny_ledger, pair, steps):
    name, dimension = pair
    ledger = mutate(tiny_ledger, steps)
    values = partition(ledger, dimension)
    total = parts(METRICS[name].fn(ledger))
    pieces = [parts(m) for m in breakdown(ledger, name, dimension, values).values()]
    pieces.append(parts(METRICS[name].fn(unplaced(ledger, dimension, values))))
    assert sum(p[0] for p in pieces) == total[0]
    if total[1] is not None:
        assert sum(p[1] for p in pieces) == total[1]


def test_the_additive_pairs_cover_every_count_and_rate():
    assert len(ADDITIVE) > 80
    assert {name for name, _ in ADDITIVE} == {n for n, s in METRICS.items() if s.kind in ("count", "sum", "rate")}
    assert all(RESOURCE[name] != "devolved_items" for name, dim in ADDITIVE if dim == "region")


def test_scope_keeps_each_row_once_per_region_level(tiny_ledger):
    """Townships partition their county: the county equals the sum of its townships plus its own rows."""
    county = "990121000000"
    towns = [c for c in partition(tiny_ledger, "region") if c in tiny_ledger.region_codes(county)]
    in_county = len(scope(tiny_ledger, region=county).issues)
    at_county = int(tiny_ledger.issues["region_code"].eq(county).sum())
    assert sum(len(scope(tiny_ledger, region=t).issues) for t in towns) + at_county == in_county
    assert in_county == len(tiny_ledger.issues)  # every tiny issue lies in the county


# --- build_ledger keeps every row ------------------------------------------------------------------

def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp("conservation") / "tiny")


CHILDREN = {"evaluations.csv": ("issue_id", "Q-404"), "inspections.csv": ("issue_id", "Q-404"),
            "item_cases.csv": ("item_id", "NO-ITEM"), "devolutions.csv": ("item_id", "NO-ITEM")}


@PROFILE
@given(plan=st.dictionaries(st.sampled_from(sorted(CHILDREN)),
                            st.lists(st.tuples(st.integers(0, 100), st.sampled_from(["copy", "orphan"])), max_size=4)))
def test_build_ledger_merges_keep_every_row(tiny_source, tmp_path_factory, plan):
    folder = tmp_path_factory.mktemp("merge") / "tiny"
    shutil.copytree(tiny_source, folder)
    expected = {}
    for rel, changes in plan.items():
        rows = _rows(folder / rel)
        key, unknown = CHILDREN[rel]
        for position, how in changes:
            row = dict(rows[position % len(rows)])
            if how == "orphan":
                row[key] = unknown
                if "id" in row:
                    row["id"] += "-orphan"
            rows.append(row)
        _write(folder / rel, rows)
        expected[rel] = [r[key] for r in rows]
    ledger = build_ledger(load(folder))
    for rel, (key, unknown) in CHILDREN.items():
        frame = ledger.frames[rel.removesuffix(".csv")]
        keys = expected.get(rel) or [r[key] for r in _rows(folder / rel)]
        assert frame[key].tolist() == keys, rel  # every row, in file order
        orphans = frame[frame[key].eq(unknown)]
        attribute = "issue_region_code" if key == "issue_id" else "item_from_department"
        assert orphans[attribute].isna().all()  # kept, with no attributes invented


# --- the render data builders of finished sections ------------------------------------------------

def _placed_by(ledger, key: str, frame: pd.DataFrame) -> pd.Series:
    """Rows of an outcome frame that a part of dimension ``key`` can hold, found without scope()."""
    regions = ledger.regions
    if key in ("county", "township"):
        levels = ["county"] if key == "county" else ["township", "street"]
        codes = frozenset().union(*(ledger.region_codes(c) for c in regions.loc[regions["level"].isin(levels), "code"]))
        return frame["issue_region_code"].isin(codes)
    if key == "department":
        return frame["issue_lead_department"].isin(set(ledger.departments["code"]))
    if key == "mechanism":
        return frame["issue_mechanism"].isin(set(ledger.labels("issues", "mechanism")))
    return frame["month"].notna()  # quarter


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=mutations().map(lambda s: [x for x in s if x[1] in ("evaluations", "inspections")]))
def test_outcome_tables_hold_every_placeable_row_once(tiny_ledger, steps):
    from pipeline.figures.outcomes import dimensions

    ledger = mutate(tiny_ledger, steps)
    for dim in dimensions(ledger):
        evaluations = sum(part.evaluation.count.value for part in dim.parts)
        assert evaluations == int(_placed_by(ledger, dim.key, ledger.evaluations).sum()), dim.key
        known = ledger.inspections["verdict"].notna()
        inspections = sum(part.inspection.n for part in dim.parts)
        assert inspections == int((_placed_by(ledger, dim.key, ledger.inspections) & known).sum()), dim.key


@PROFILE
@given(steps=mutations().map(lambda s: [x for x in s if x[1] == "issues"]))
def test_home_trend_counts_every_issue(tiny_ledger, steps):
    from pipeline.figures.breakdowns import monthly_counts

    ledger = mutate(tiny_ledger, steps)
    counts = monthly_counts(ledger)
    issues = ledger.issues
    assert int(counts["raised"].sum()) == int(issues["raised_on"].notna().sum()) == len(issues)
    assert int(counts["resolved"].sum()) == int((issues["done"] & issues["resolved_on"].notna()).sum())
