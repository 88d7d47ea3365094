"""满意度与核查: the lists and intervals the pages show are the metric functions' own rules, not copies.

Each test swaps the one rule in pipeline.figures and checks that the figure and what the page lists
follow it together; a second copy of the rule in render/ would not.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.figures import metrics
from pipeline.figures import outcomes as od
from pipeline.figures.metrics import METRICS, compute_all
from pipeline.figures.stats import wilson_interval
from pipeline.render.outcomes import cards
from pipeline.render.outcomes_lists import disputed_rows, negative_rows


def test_negative_list_copies_the_negative_count_rule(tiny_ledger, monkeypatch):
    # E2 rated 2 (rectified 03-20), E3 rated 1 (not rectified): open first.
    assert [r.evaluation_id for r in negative_rows(tiny_ledger)] == ["E3", "E2"]
    assert METRICS["negative_count"].fn(tiny_ledger).value == 2
    monkeypatch.setattr(metrics, "is_negative", lambda e: e["rating"].le(3).fillna(False).astype(bool))
    assert [r.evaluation_id for r in negative_rows(tiny_ledger)] == ["E4", "E3", "E2"]  # E4 (03-25) waits longer than E3 (04-10)
    assert METRICS["negative_count"].fn(tiny_ledger).value == 3
    assert METRICS["negative_rectified_rate"].fn(tiny_ledger) == metrics.rate(1, 3)


def test_disputed_list_copies_the_issues_disputed_rule(tiny_ledger, monkeypatch):
    assert [r.issue_id for r in disputed_rows(tiny_ledger)] == ["Q-002"]  # I2, I3
    assert METRICS["issues_disputed"].fn(tiny_ledger).value == 1
    monkeypatch.setattr(metrics, "is_dispute", lambda i: i["verdict"].isin(["not_resolved", "partly"]).astype(bool))
    assert sorted(r.issue_id for r in disputed_rows(tiny_ledger)) == ["Q-002", "Q-003"]
    assert METRICS["issues_disputed"].fn(tiny_ledger).value == 2


def test_survey_card_interval_copies_the_table_interval(tiny_ledger, monkeypatch):
    """The headline card and the surveys table's total row show one Wilson interval of the one rate."""
    total = od.survey_row(od.total_part(tiny_ledger))
    card = next(c for c in cards(compute_all(tiny_ledger)) if c.name == "survey_satisfaction_rate")
    assert card.interval == total.interval == wilson_interval(39, 45)
    monkeypatch.setattr(od, "survey_interval", lambda rate: (0.25, 0.75))
    card = next(c for c in cards(compute_all(tiny_ledger)) if c.name == "survey_satisfaction_rate")
    assert card.interval == od.survey_row(od.total_part(tiny_ledger)).interval == (0.25, 0.75)


@pytest.mark.parametrize("missing_days", [False, True])
def test_negative_rows_are_in_the_list_order_and_a_limit_keeps_the_first(demo_ledger, missing_days):
    """Not rectified first (longest waiting, a missing rating day first), then rectified (latest first), id
    breaking ties either way; ``limit`` writes out only the first rows, the total is still every 差评."""
    import dataclasses

    from pipeline.figures.metrics import is_negative, negative_count

    ledger = demo_ledger
    if missing_days:  # every third 差评 without its rating day, rectified or not
        e = demo_ledger.evaluations.copy()
        chosen = e.index[is_negative(e)][::3]
        e.loc[chosen, "evaluated_on"] = pd.NaT
        ledger = dataclasses.replace(demo_ledger, frames={**demo_ledger.frames, "evaluations": e})
    rows = negative_rows(ledger)
    never = pd.Timestamp.min
    waiting = sorted((r for r in rows if r.rectified_on is None), key=lambda r: (r.evaluated_on or never, r.evaluation_id))
    done = sorted((r for r in rows if r.rectified_on is not None),
                  key=lambda r: (r.evaluated_on or never, r.evaluation_id), reverse=True)
    assert rows == waiting + done
    assert len(rows) == negative_count(ledger).value == int(is_negative(ledger.evaluations).sum())
    assert waiting and done and (not missing_days or any(r.evaluated_on is None for r in waiting + done))
    assert negative_rows(ledger, 7) == rows[:7]
    assert negative_rows(ledger, 0) == []
