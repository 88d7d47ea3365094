"""A resource in several files becomes one frame whose Arrow-backed columns are each in one piece
(``ledger.in_one_piece``): Arrow's take on text in pieces joins every piece at each call."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline.core import ledger as fr
from pipeline.core.csv_read import TEXT

FIELDS = [{"name": "id", "type": "string"}, {"name": "title", "type": "string"},
          {"name": "raised_on", "type": "date"}, {"name": "count", "type": "integer"}]


def part(first: int, rows: int, rel: str) -> pd.DataFrame:
    text = pd.DataFrame({"id": [f"Q-{first + i:04d}" for i in range(rows)],
                         "title": [None if i % 3 == 0 else f"标题{first + i}" for i in range(rows)],
                         "raised_on": [f"2025-01-{1 + i % 28:02d}" for i in range(rows)],
                         "count": ["" if i % 4 == 0 else str(i) for i in range(rows)]}, dtype=TEXT)
    return fr.located(fr.typed_frame(text, FIELDS), rel)


def pieces(column: pd.Series) -> int:
    return column.array.__arrow_array__().num_chunks


@pytest.mark.parametrize("files", [2, 3, 7])
def test_files_concatenated_have_every_text_column_in_one_piece(files):
    parts = [part(100 * n, 5 + n, f"issues/2025-{n + 1:02d}.csv") for n in range(files)]
    plain = pd.concat(parts, ignore_index=True)  # what located_concat made before: one piece a file
    assert pieces(plain["title"]) == files

    joined = fr.located_concat(parts, FIELDS)

    text_columns = [c for c in joined.columns if isinstance(joined[c].array, pd.arrays.ArrowExtensionArray)]
    assert text_columns == ["_path", "id", "title"]
    assert {c: pieces(joined[c]) for c in text_columns} == {c: 1 for c in text_columns}
    assert joined.dtypes.to_dict() == plain.dtypes.to_dict()  # "str" with NaN for missing, as before
    pd.testing.assert_frame_equal(joined, plain)
    assert joined["title"].isna().sum() == sum((5 + n + 2) // 3 for n in range(files))


def test_one_file_is_left_as_it_is():
    only = part(0, 4, "issues/2025-01.csv")
    assert fr.located_concat([only], FIELDS) is only


def test_a_take_from_the_joined_frame_gives_the_same_rows():
    parts = [part(100 * n, 50, f"issues/2025-{n + 1:02d}.csv") for n in range(4)]
    joined, plain = fr.located_concat(parts, FIELDS), pd.concat(parts, ignore_index=True)
    rows = np.random.default_rng(7).permutation(len(joined))[:60]
    taken = joined["title"].iloc[rows].reset_index(drop=True)
    pd.testing.assert_series_equal(taken, plain["title"].iloc[rows].reset_index(drop=True))
    assert joined.loc[joined["id"] == "Q-0301", "raised_on"].tolist() == [pd.Timestamp(dt.date(2025, 1, 2))]
