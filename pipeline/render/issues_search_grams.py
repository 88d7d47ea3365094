"""The text side of the issue search index: every title's and summary's grams, scanned once, kept compactly.

A gram is a character or a pair of adjacent characters within a whitespace-separated run,
after NFKC and lower-casing. At a million issues there are about 150 million (gram, issue)
pairs, too many to hold as 8-byte integers, so ``Grams`` keeps, per block of TEXT_ROWS texts,
its distinct grams (sorted) and, for each, the texts holding it as 2-byte offsets in the block.
``postings(keep)`` then builds the posting lists of the grams ``keep`` selects (e.g. the grams
of some term buckets), so the index is written a share of its buckets at a time.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.core import stage_cache
from pipeline.core.cache import FileCache

TEXT_ROWS = 20_000  # texts cut into grams at once; offsets within a block fit in 2 bytes
GRAM_THREADS = 2  # blocks cut into grams at once (the machines this runs on have two cores or more)
GRAM = 1 << 21  # above every code point: a bigram's term is (first + 1)·GRAM + second, a unigram's its code point
FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193
MASK = 0xFFFFFFFF


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-d integer array, by sorting: numpy 2's hash-based ``np.unique``
    takes about ten times as long on the millions of (term, text) pairs of a block."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def normalise(text: str) -> str:
    """What both the index and the search box compare: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def normalised_code_points(text: str) -> np.ndarray:
    """``normalise(text)``'s code points, faster on Chinese text: CPython normalises a whole string
    slowly as soon as one character is not NFKC already, and most texts hold a full-width comma.
    Full-width ASCII forms (U+FF01–FF5E) and the ideographic space are replaced by what they
    decompose to first (NFKC of the result is the same: the two strings have one compatibility
    decomposition); a string then left in NFKC (the quick check) needs no normalising at all."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    wide, ideographic_space = (cps >= 0xFF01) & (cps <= 0xFF5E), cps == 0x3000
    if wide.any() or ideographic_space.any():
        cps = np.where(wide, cps - np.uint32(0xFEE0), np.where(ideographic_space, np.uint32(0x20), cps))
        text = cps.tobytes().decode("utf-32-le")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def key_hash(key: str) -> int:
    """FNV-1a 32-bit over the key's Unicode code points; issue-search.js computes the same."""
    value = FNV_OFFSET
    for char in key:
        value = ((value ^ ord(char)) * FNV_PRIME) & MASK
    return value


def term_key(term: int) -> str:
    return chr(term) if term < GRAM else chr(term // GRAM - 1) + chr(term % GRAM)


def term_hashes(terms: np.ndarray) -> np.ndarray:
    """``key_hash(term_key(t))`` of every term at once (uint64 arithmetic: a product of two 32-bit
    values never overflows it)."""
    uni = terms < GRAM
    first = np.where(uni, terms, terms // GRAM - 1).astype(np.uint64)
    second = (terms % GRAM).astype(np.uint64)
    h = ((np.uint64(FNV_OFFSET) ^ first) * np.uint64(FNV_PRIME)) & np.uint64(MASK)
    return np.where(uni, h, ((h ^ second) * np.uint64(FNV_PRIME)) & np.uint64(MASK))


class Postings:
    """Key → sorted positions, kept as one array of positions and each key's bounds in it."""

    def __init__(self, keys: list[str], bounds: np.ndarray, positions: np.ndarray):
        self.keys, self.bounds, self.positions = keys, bounds, positions

    def rows(self, n: int) -> np.ndarray:
        return self.positions[self.bounds[n]:self.bounds[n + 1]]


class Texts(Protocol):
    """What ``Grams`` reads: a length, and a slice of texts as a list (a list of str is one)."""

    def __len__(self) -> int: ...

    def __getitem__(self, rows: slice) -> list[str]: ...


class JoinedColumns:
    """Each row's cells of some text columns joined by a space (a missing cell as ""), made a block of rows
    at a time when sliced: a million issues' titles and summaries held as Python strings at once cost
    about 0.9 GB, the largest single allocation of a build at that size (docs/scale.md). With ``rows``,
    text n is row ``rows[n]`` of the columns: the columns are read in that order a block at a time,
    never copied whole in it (a reordered copy of a million summaries is 150 MB)."""

    def __init__(self, *columns: pd.Series, rows: np.ndarray | None = None):
        self.columns = columns
        self.rows = rows

    def __len__(self) -> int:
        return len(self.columns[0]) if self.rows is None else len(self.rows)

    def __getitem__(self, rows: slice) -> list[str]:
        taken = rows if self.rows is None else self.rows[rows]
        parts = [column.iloc[taken].reset_index(drop=True).fillna("") for column in self.columns]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + " " + part
        return joined.tolist()


class Grams:
    """Every text's grams: per block, (first position, distinct terms, each term's bounds, offsets)."""

    def __init__(self, texts: Texts):
        self.blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.pairs = 0
        cache = stage_cache.current()
        # Blocks are cut from the first text (the index's oldest issue): a pull request that adds issues
        # changes the last block or two, and every other block's texts (its cache key) stay the same. The
        # posting lists do not depend on where the blocks are cut.
        starts = list(range(0, len(texts), TEXT_ROWS))
        sliced = threading.Lock()  # the texts are cut one block at a time (pandas is not promised thread-safe)

        def grams_of(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            with sliced:
                block = texts[start:start + TEXT_ROWS]
            found = _cached(cache, block)
            if found is None:
                found = block_grams(block)
                _store(cache, block, found)
            return found

        # Two blocks at a time: their sorts, most of a block's time, release the GIL, and the build runs the
        # index when the downloads' process has finished and a core is free. Each block is a function of its
        # texts alone, so the blocks (kept in order) are the same as one after another.
        with ThreadPoolExecutor(max_workers=GRAM_THREADS) as pool:
            for start, (terms, bounds, offsets) in zip(starts, pool.map(grams_of, starts)):
                self.blocks.append((start, terms, bounds, offsets))
                self.pairs += len(offsets)

    def postings(self, keep: Callable[[np.ndarray], np.ndarray] | None = None) -> Postings:
        """The posting lists of the terms ``keep`` (hashes → which to keep) selects, all terms without it.

        Each block holds its terms sorted, each with its texts in order: a term's list is its runs in the
        blocks, taken in block order (which is position order). So only the runs are sorted, by term and
        then block (a stable sort of a few million), and the positions are gathered run by run; sorting
        every (term, text) pair (110 million at a million issues) made the postings take 2.3–3.5 s, now 1.1–2.7 s."""
        run_terms, run_lengths, rows_of = [], [], []
        for start, terms, bounds, offsets in self.blocks:
            chosen = np.ones(len(terms), dtype=bool) if keep is None else keep(term_hashes(terms))
            lengths = np.diff(bounds)
            run_terms.append(terms[chosen])
            run_lengths.append(lengths[chosen])
            rows_of.append(offsets[np.repeat(chosen, lengths)].astype(np.int32) + start)
        terms = np.concatenate(run_terms) if run_terms else np.zeros(0, dtype=np.int64)
        lengths = np.concatenate(run_lengths) if run_lengths else np.zeros(0, dtype=np.int64)
        rows = np.concatenate(rows_of) if rows_of else np.zeros(0, dtype=np.int32)
        del run_terms, run_lengths, rows_of
        order = np.argsort(terms, kind="stable")  # runs of one term: in block order
        terms, lengths, starts = terms[order], lengths[order], (np.cumsum(lengths) - lengths)[order]
        ends = np.cumsum(lengths)  # where each run ends in the gathered positions
        gathered = rows[np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0)]
        firsts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]]) if len(terms) else np.zeros(0, np.int64)
        bounds = np.r_[ends - lengths, ends[-1:] if len(ends) else [0]][np.r_[firsts, len(terms)]]
        return Postings([term_key(t) for t in terms[firsts].tolist()], bounds.astype(np.int64), gathered)


def block_grams(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block's grams: its distinct terms (sorted), each term's bounds in ``offsets``, and the offsets
    in the block of the texts holding each term (by term, then text)."""
    # One NFKC over the whole block, not one a text (a tenth of the time): no text holds the "\n" that
    # separates them, NFKC maps nothing onto it, and lower-casing does not look across it.
    cps = normalised_code_points("\n".join(t.replace("\n", " ") for t in texts) + "\n")
    if np.count_nonzero(cps == 10) != len(texts):  # cannot happen (see above); a wrong count would misplace every gram
        cps = np.frombuffer(("\n".join(normalise(t).replace("\n", " ") for t in texts) + "\n").encode("utf-32-le"),
                            dtype=np.uint32).astype(np.int64)
    row = np.r_[0, np.cumsum(cps[:-1] == 10)]  # the text (within the block) each code point belongs to
    distinct = np.flatnonzero(np.bincount(cps))  # sorted, and faster than sorting: code points are < 0x110000
    blank = np.array([chr(c).isspace() for c in distinct.tolist()])[np.searchsorted(distinct, cps)]
    pair = ~blank[:-1] & ~blank[1:]
    terms = np.r_[cps[~blank], (cps[:-1][pair] + 1) * GRAM + cps[1:][pair]]
    rows = np.r_[row[~blank], row[:-1][pair]]
    both = sorted_unique(terms * TEXT_ROWS + rows)  # (term, text) once each, by term then text
    terms, offsets = both // TEXT_ROWS, (both % TEXT_ROWS).astype(np.uint16)
    firsts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]]) if len(terms) else np.zeros(0, np.int64)
    return terms[firsts], np.r_[firsts, len(terms)].astype(np.int64), offsets


def _block_key(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return stage_cache.key("search-grams", stage_cache.code_digest(), str(TEXT_ROWS), digest.hexdigest())


PARTS = (("grams-terms", np.int64), ("grams-bounds", np.int64), ("grams-offsets", np.uint16))


def _cached(cache: FileCache | None, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A block's grams from an earlier build of the same texts by the same code, or None (then computed)."""
    if cache is None:
        return None
    key, found = _block_key(texts), []
    for part, dtype in PARTS:
        table = cache.get_table(key, part)
        if table is None or table.column_names != ["values"] or table.column(0).null_count:
            return None
        values = table.column(0).to_numpy()
        if values.dtype != dtype:
            return None
        found.append(values)
    terms, bounds, offsets = found
    if len(bounds) != len(terms) + 1 or bounds[0] != 0 or bounds[-1] != len(offsets):
        return None
    return terms, bounds, offsets


def _store(cache: FileCache | None, texts: list[str], grams: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    if cache is None:
        return
    key = _block_key(texts)
    for (part, _), values in zip(PARTS, grams):
        cache.put_table(key, part, pa.table({"values": values}))


def text_postings(texts: list[str]) -> Postings:
    """Every gram of the texts → the positions of the texts holding it."""
    return Grams(texts).postings()
