"""Where each issue stands against its deadline at as_of: the states the issue pages, the lookup and the
search show, from the same per-issue terms the metrics count (``metrics.ISSUE_TERMS``).

Days late and days overdue are calendar days: ``resolved_on − due`` for an issue resolved after its
due date, ``as_of − due`` for an open issue whose due date is before as_of. An issue is ``on_time``
exactly when on_time_rate counts it in its numerator, and ``overdue`` exactly when overdue_open
counts it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from typing import TYPE_CHECKING

from pipeline.figures import metrics

if TYPE_CHECKING:
    from pipeline.core.ledger import Ledger


def timing(issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``state`` (withdrawn · no_due · on_time · late · unassigned · overdue · open) and ``days`` (late or
    overdue, else 0) for each issue; reads done, withdrawn, due and resolved_on."""
    done, withdrawn, due = issues["done"], issues["withdrawn"], issues["due"]
    open_ = metrics.is_open(issues)
    late_days = (issues["resolved_on"] - due).dt.days
    overdue_days = (as_of - due).dt.days
    conditions = [withdrawn, done & due.isna(), metrics.issue_term(issues, as_of, "on_time"), done,
                  open_ & due.isna(), metrics.issue_term(issues, as_of, "overdue")]
    states = ["withdrawn", "no_due", "on_time", "late", "unassigned", "overdue"]
    state = np.select(conditions, states, default="open")
    days = np.select([state == "late", state == "overdue"], [late_days.fillna(0), overdue_days.fillna(0)], default=0)
    return pd.DataFrame({"state": state, "days": days.astype(int)}, index=issues.index)


def newest_resolved(ledger: Ledger, issues: pd.DataFrame) -> pd.DataFrame:
    """The issues resolved by as_of, newest first (then by id): their sort keys, region and row position.

    Sorted once for every feed: a feed's rows, picked from this order, are in the order a sort of
    them alone would give (the sort is stable), so each feed takes its first LIMIT; only those rows'
    text is ever copied."""
    done = issues["done"] & issues["resolved_on"].notna() & (issues["resolved_on"] <= ledger.as_of)
    positions = np.flatnonzero(done.to_numpy(dtype=bool))
    keys = pa.table({"resolved_on": pa.array(issues["resolved_on"].to_numpy()[positions]),
                     "id": pa.array(issues["id"]).take(positions)})
    # Arrow's sort is stable (as pandas' kind="stable") and needs no Python object per id
    order = pc.sort_indices(keys, sort_keys=[("resolved_on", "descending"), ("id", "ascending")]).to_numpy()
    return pd.DataFrame({"region_code": issues["region_code"].take(positions[order]).reset_index(drop=True),
                         "_position": positions[order]})
