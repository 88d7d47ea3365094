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

from pipeline.figures import metrics


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
