"""The search index cuts its grams from the issues' titles and summaries a block at a time
(``JoinedColumns``), not from a list of a million joined strings: the texts and the postings must be
exactly those of the whole list, missing cells included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.csv_read import TEXT as TEXT_DTYPE
from pipeline.render import issues_search_grams as grams

CELL = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("问题办理 街道社区abcAB１２\n\t")), max_size=10))


def columns(rows: list[tuple]) -> tuple[pd.Series, pd.Series]:
    return (pd.Series([r[0] for r in rows], dtype=TEXT_DTYPE), pd.Series([r[1] for r in rows], dtype=TEXT_DTYPE))


def whole_list(title: pd.Series, summary: pd.Series) -> list[str]:
    """What the index read before: every text joined at once."""
    return (title.fillna("") + " " + summary.fillna("")).tolist()


@pytest.fixture(scope="module")
def monkeypatch_block():
    """Sets the block size (TEXT_ROWS) for one example; restored when the module's tests end."""
    original = grams.TEXT_ROWS

    def set_block(rows: int) -> None:
        grams.TEXT_ROWS = rows

    yield set_block
    grams.TEXT_ROWS = original


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(CELL, CELL), max_size=30), start=st.integers(0, 35), stop=st.integers(0, 35))
def test_missing_cells_joined_differently_from_the_whole_list(rows, start, stop):
    title, summary = columns(rows)
    joined = grams.JoinedColumns(title, summary)
    assert len(joined) == len(rows)
    assert joined[start:stop] == whole_list(title, summary)[start:stop]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), rows=st.lists(st.tuples(CELL, CELL), max_size=30), start=st.integers(0, 35),
       stop=st.integers(0, 35))
def test_columns_read_in_another_order_differ_from_a_reordered_copy(data, rows, start, stop):
    """``rows``: the search reads the ledger's columns in the index's order (oldest first) without copying them reordered."""
    order = data.draw(st.permutations(range(len(rows))))
    title, summary = columns(rows)
    title.index = summary.index = [f"r{n}" for n in range(len(rows))]  # labels that are not positions
    joined = grams.JoinedColumns(title, summary, rows=pd.Series(order, dtype="int64").to_numpy())
    assert len(joined) == len(rows)
    copied = whole_list(title.iloc[list(order)].reset_index(drop=True), summary.iloc[list(order)].reset_index(drop=True))
    assert joined[start:stop] == copied[start:stop]


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(CELL, CELL), max_size=40), block=st.integers(1, 9))
def test_postings_by_blocks_differ_from_the_whole_list(monkeypatch_block, rows, block):
    monkeypatch_block(block)
    title, summary = columns(rows)
    by_blocks = grams.Grams(grams.JoinedColumns(title, summary)).postings()
    whole = grams.Grams(whole_list(title, summary)).postings()
    assert by_blocks.keys == whole.keys
    assert by_blocks.bounds.tolist() == whole.bounds.tolist()
    assert by_blocks.positions.tolist() == whole.positions.tolist()


def test_a_title_and_summary_give_one_text():
    title = pd.Series(["道路维修", None, "路灯"], dtype=TEXT_DTYPE)
    summary = pd.Series(["村口", "排水沟", None], dtype=TEXT_DTYPE)
    assert grams.JoinedColumns(title, summary)[0:3] == ["道路维修 村口", " 排水沟", "路灯 "]
    assert grams.JoinedColumns(title, summary)[1:2] == [" 排水沟"]



# Full-width forms and the ideographic space (replaced before NFKC), characters NFKC changes otherwise
# (ligature, circled digit, half-width katakana and its voicing mark, compatibility ideograph, ellipsis),
# combining marks that compose with what the replacement leaves, and case that lower-casing changes.
NFKC_ALPHABET = list("问题，。！（）ＡＢｚ０９　 \u3000ﬁ①ｶﾞ\uf900…\u0301\u0308\u3099eEİẞΣ\n")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(NFKC_ALPHABET), max_size=40) | st.text(max_size=40))
def test_the_fast_normalisation_gives_the_code_points_of_nfkc_and_lower_case(text):
    expected = [ord(c) for c in grams.normalise(text)]
    assert grams.normalised_code_points(text).tolist() == expected


def test_a_full_width_letter_with_a_combining_accent_composes_as_nfkc_does():
    assert grams.normalised_code_points("ｅ\u0301，").tolist() == [0xE9, 0x2C]  # é and a comma


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(CELL, CELL), max_size=40), block=st.integers(1, 9), parts=st.integers(1, 4),
       share=st.integers(0, 3))
def test_postings_merged_from_many_blocks_differ_from_one_block_for_any_selection(monkeypatch_block, rows, block,
                                                                                 parts, share):
    """The posting lists are merged from each block's runs (sorted by term, then block): for any block size
    and any selection of terms by hash (as the term buckets are built), they are those of one block holding
    every text, restricted to the selected terms."""
    texts = whole_list(*columns(rows))
    monkeypatch_block(1000)
    whole = grams.Grams(texts).postings()
    monkeypatch_block(block)
    chosen = grams.Grams(texts).postings(lambda hashes: hashes % np.uint64(parts) == share % parts)
    kept = [n for n, key in enumerate(whole.keys) if grams.key_hash(key) % parts == share % parts]
    assert chosen.keys == [whole.keys[n] for n in kept]
    assert [chosen.rows(n).tolist() for n in range(len(chosen.keys))] == [whole.rows(n).tolist() for n in kept]
    assert chosen.bounds[-1] == sum(len(whole.rows(n)) for n in kept) == len(chosen.positions)
    assert all(list(chosen.rows(n)) == sorted(set(chosen.rows(n))) for n in range(len(chosen.keys)))


def test_postings_of_no_texts_are_empty():
    empty = grams.Grams([]).postings()
    assert empty.keys == [] and empty.bounds.tolist() == [0] and empty.positions.tolist() == []
    none_kept = grams.Grams(["路灯不亮"]).postings(lambda hashes: np.zeros(len(hashes), dtype=bool))
    assert none_kept.keys == [] and none_kept.bounds.tolist() == [0] and none_kept.positions.tolist() == []


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(CELL, CELL), max_size=40), block=st.integers(1, 9))
def test_blocks_cut_on_two_threads_differ_from_one_after_another(monkeypatch_block, rows, block):
    """The blocks are cut into grams two at a time: each block (its first position, terms, bounds and
    offsets), in order, must be what one thread cutting them in turn makes."""
    monkeypatch_block(block)
    texts = grams.JoinedColumns(*columns(rows))
    threaded = grams.Grams(texts)
    original = grams.GRAM_THREADS
    grams.GRAM_THREADS = 1
    try:
        alone = grams.Grams(texts)
    finally:
        grams.GRAM_THREADS = original
    assert threaded.pairs == alone.pairs
    assert [b[0] for b in threaded.blocks] == [b[0] for b in alone.blocks]
    for ours, theirs in zip(threaded.blocks, alone.blocks, strict=True):
        for mine, other in zip(ours[1:], theirs[1:], strict=True):
            assert mine.dtype == other.dtype and mine.tolist() == other.tolist()
