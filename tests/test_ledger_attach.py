"""Outcomes carry their issue's attributes (``ledger.attach_each``): one lookup for several frames gives
each row what a lookup of its own frame gives, and what a plain dictionary lookup gives."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.csv_read import TEXT
from pipeline.core.ledger import attach, attach_each

IDS = ["Q-1", "Q-2", "Q-3", "Q-4", "Q-9", None]


def frame_of(ids: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"issue_id": pd.Series(ids, dtype=TEXT), "n": range(len(ids))})


@settings(max_examples=200, deadline=None)
@given(first=st.lists(st.sampled_from(IDS)), second=st.lists(st.sampled_from(IDS)),
       table_ids=st.lists(st.sampled_from(IDS[:4]), unique=True))
def test_one_lookup_for_several_frames_is_a_lookup_for_each(first, second, table_ids):
    table = pd.DataFrame({"id": pd.Series(table_ids, dtype=TEXT),
                          "region_code": pd.Series([f"R{i}" for i in range(len(table_ids))], dtype=TEXT)})
    frames = {"evaluations": (frame_of(first), ["region_code"]), "inspections": (frame_of(second), ["region_code"])}
    together = attach_each(frames, "issue_id", table, "id", "issue_")
    lookup = dict(zip(table_ids, table["region_code"]))
    for name, (frame, columns) in frames.items():
        alone = attach(frame, "issue_id", table, "id", columns, "issue_")
        pd.testing.assert_frame_equal(together[name], alone)
        expected = [lookup.get(i) if i is not None else None for i in frame["issue_id"].astype(object).where(
            frame["issue_id"].notna(), None)]
        assert [None if pd.isna(v) else v for v in together[name]["issue_region_code"]] == expected
        assert list(together[name]["n"]) == list(range(len(frame)))
