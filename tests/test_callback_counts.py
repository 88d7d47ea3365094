"""The rankings' callback rates, a part at a time (``CallbackCounts``): on any evaluations and any part of
them, the figures the metric functions give on a frame of that part alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.figures.callbacks import CallbackCounts, scoring
from pipeline.figures.rankings import RATES

EVALUATION = st.tuples(st.sampled_from([None, True, False]),
                       st.sampled_from([None, "resolved", "partly_resolved", "unresolved"]),
                       st.one_of(st.none(), st.integers(1, 5)),
                       st.booleans())  # in the part?


@settings(max_examples=300, deadline=None)
@given(st.lists(EVALUATION, max_size=30), st.sampled_from([0.0, 0.9, 0.35, 1.0]), st.booleans())
def test_callback_counts_give_what_the_rate_functions_give_on_the_part(tiny_ledger, rows, weight, as_mask):
    frame = pd.DataFrame({"contacted": pd.array([r[0] for r in rows], dtype="boolean"),
                          "resolved_view": pd.Series([r[1] for r in rows], dtype="str"),
                          "rating": pd.array([r[2] for r in rows], dtype="Int64")})
    chosen = np.array([r[3] for r in rows], dtype=bool)
    descriptor = {**tiny_ledger.package.descriptor,
                  "scoring": {**scoring(tiny_ledger), "basic_satisfied_weight": weight}}
    package = replace(tiny_ledger.package, descriptor=descriptor)
    part = replace(tiny_ledger, package=package, frames={**tiny_ledger.frames, "evaluations": frame[chosen]})
    expected = {name: fn(part) for name, fn in RATES.items()}
    selection = chosen if as_mask else np.flatnonzero(chosen)
    assert CallbackCounts(frame, weight).rates(selection) == expected
