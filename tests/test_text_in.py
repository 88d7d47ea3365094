"""``text_in``: pandas' ``isin`` for text keys by a pyarrow hash lookup, with pandas' answer on every input."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.csv_read import TEXT
from pipeline.core.ledger import text_in

CELL = st.one_of(st.none(), st.sampled_from(["Q-1", "Q-2", "q-1", "", " ", "问题", "Q-1 "]))
KEY = st.one_of(CELL, st.integers(0, 2), st.just(float("nan")))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(CELL, max_size=20), keys=st.lists(KEY, max_size=8),
       text_values=st.booleans(), key_form=st.sampled_from(["text", "object", "array"]))
def test_text_in_answers_as_pandas_isin(values, keys, text_values, key_form):
    series = pd.Series(values, dtype=TEXT if text_values else object)
    if key_form == "text" and all(k is None or isinstance(k, str) for k in keys):
        key_set = pd.Series(keys, dtype=TEXT)
    elif key_form == "array":
        key_set = pd.Series(keys, dtype=object).unique()
    else:
        key_set = pd.Series(keys, dtype=object)
    expected = series.isin(key_set).to_numpy(dtype=bool)
    got = text_in(series, key_set)
    assert got.dtype == np.bool_ and got.tolist() == expected.tolist()


def test_a_missing_value_is_in_the_keys_only_with_a_missing_key():
    values = pd.Series(["Q-1", None], dtype=TEXT)
    assert text_in(values, pd.Series(["Q-1"], dtype=TEXT)).tolist() == [True, False]
    assert text_in(values, pd.Series(["Q-1", None], dtype=TEXT)).tolist() == [True, True]
