"""The issue search's data: a chunked static index under ``api/v1/search/``, read by issue-search.js.

Issues get a position 0 … N−1, oldest first (raised_on, then id); results are listed from the
last position back, newest first. Oldest first keeps a position once given: the issues a pull
request adds take the positions after the last, so the rows chunks and posting lists of the
issues before them stay as they were (newest first, ten new issues moved every position and
changed 63,829 of the 66,598 files at a million issues; docs/scale.md). Three kinds of file:

- ``index.json`` (the manifest): the bucket and row-chunk counts, and the names the
  form and the filter sentence need (places, departments, statuses, categories, officers).
- ``terms/<b>.json``: an object ``key → posting list`` (the positions holding the key).
  A key is a text gram — every character and every pair of adjacent characters of a
  title or summary, after NFKC and lower-casing, within whitespace-separated runs — or
  a filter ``field=value`` (``place=<code>`` for the place and every place above it,
  ``lead=``, ``status=``, ``category=``, ``officer=``, ``flag=overdue|disputed|uninspected``).
  Its bucket ``b`` is a 32-bit FNV-1a over the key's code points (not bytes) modulo the
  bucket count, so a query loads one bucket per key it needs, never the whole index.
- ``rows/<c>.json``: ``ROWS_PER_CHUNK`` consecutive positions' list records, arrays in
  the manifest's ``fields`` order (id, title, place/department/status/category codes the
  manifest names, dates, the computed timing and days late, last verdict, officers): a
  page of 20 results loads only the chunks holding them.

A posting list is ``"v"`` + base64 of LEB128 gaps, or ``"b"`` + base64 of a bitmap over
all positions (least significant bit first), whichever is shorter. A word of two or more
characters matches an issue holding all its adjacent pairs (for words of one or two
characters that is exactly "holds the word"). Everything is sorted: byte-identical builds.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import math
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.ledger import Ledger
from pipeline.core.memory import release_freed_memory
from pipeline.render.env import render
from pipeline.render.issues_json import BINARY, Column, choose, dump, slices
from pipeline.render.issues_records import TIMING_ZH, Names, iso, timing
from pipeline.render.section import File, Part, Rendered, collect
from pipeline.render.issues_search_grams import Grams, JoinedColumns, Postings, key_hash, normalise

SEARCH_DIR = "api/v1/search"
ROWS_PER_CHUNK = 16  # list records per rows/<c>.json (about 3 KB): a page of 20 loads at most 20 of them
ROW_CHUNKS_AT_ONCE = 1250  # rows files built at once (20,000 records)
BUCKET_TARGET = 32 * 1024  # average terms/<b>.json size to aim at
MAX_BUCKETS = 1 << 14
PASS_PAIRS = 3_000_000  # (gram, issue) pairs turned into posting lists at once (bounds memory)
PAIR_BYTES = 0.7  # about what a pair costs in a terms file (for the bucket count, before encoding)


def word_keys(word: str) -> list[str]:
    """The gram keys a typed word needs (all must hold): itself if one character, else its adjacent pairs."""
    word = normalise(word)
    if len(word) < 2:
        return [word] if word else []
    return sorted({word[i:i + 2] for i in range(len(word) - 1)})


# --- Load inputs: the issues in list order --------------------------------------------------------

# The issue columns the index reads: its words, filters and rows, and what the timing of each needs.
SEARCH_COLUMNS = ("id", "region_code", "lead_department", "status", "category", "raised_on", "due", "resolved_on",
                  "done", "withdrawn")
TEXTS = ("title", "summary")  # read in position order a block at a time, never reordered whole


def search_order(ledger: Ledger) -> np.ndarray:
    """Position n → the row of ``ledger.issues`` it lists: the issues published (one per id, a repeated id
    keeping its last row, as the lookup does), oldest first, id breaking ties. The columns the index
    reads are taken in this order (only SEARCH_COLUMNS, not a copy of every column: 0.4 GB at 10⁶; the
    TEXTS a block at a time)."""
    issues = ledger.issues
    kept = np.flatnonzero((issues["id"].notna() & ~issues["id"].duplicated(keep="last")).to_numpy(dtype=bool))
    raised = issues["raised_on"].fillna(pd.Timestamp(0)).to_numpy(dtype="datetime64[ns]").astype(np.int64)[kept]
    return kept[np.lexsort((issues["id"].to_numpy(dtype=object)[kept], raised))]


def last_inspections(ledger: Ledger, ids: pd.Series) -> pd.DataFrame:
    """Per issue position: the latest inspection's verdict code (by date, id breaking ties; None if
    never inspected) and the officers who inspected it (sorted, ``;``-joined)."""
    rows = ledger.inspections[["id", "issue_id", "officer", "inspected_on", "verdict"]].dropna(subset=["issue_id"])
    rows = rows.sort_values(["inspected_on", "id"], kind="stable")
    last = rows.drop_duplicates("issue_id", keep="last").set_index("issue_id")["verdict"]
    officers = officers_by_issue(rows["issue_id"], rows["officer"])
    return at_ids(pd.DataFrame({"verdict": last, "officers": officers}), ids)  # aligned on the issue id


def at_ids(frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``frame`` (indexed by issue id, each once) at each of ``ids``, NaN where it has no row: what
    ``frame.reindex(ids)`` gives, the ids looked up once, in their own storage (no index of a million
    Python strings)."""
    found = frame.index.get_indexer(ids)
    present = found >= 0
    columns = {}
    for name in frame.columns:  # objects always: a package with no inspections yet has text columns too
        column = np.full(len(found), np.nan, dtype=object)
        column[present] = frame[name].to_numpy(dtype=object)[found[present]]
        columns[name] = column
    return pd.DataFrame(columns)


def officers_by_issue(issue_ids: pd.Series, officers: pd.Series) -> pd.Series:
    """Issue id → the distinct officers (trimmed, upper case) who inspected it, sorted and ``;``-joined.
    One sort of the (issue, officer) pairs, then one join a group: a Python function a group through
    groupby took 4 s for the 140 thousand inspected issues of a million."""
    present = officers.notna().to_numpy(dtype=bool)
    pairs = pd.DataFrame({"issue": issue_ids[present].to_numpy(dtype=object),
                          "officer": officers[present].str.strip().str.upper().to_numpy(dtype=object)})
    pairs = pairs.drop_duplicates().sort_values(["issue", "officer"], kind="stable")
    issue, officer = pairs["issue"].tolist(), pairs["officer"].tolist()
    starts = [n for n in range(len(issue)) if n == 0 or issue[n] != issue[n - 1]]
    joined = [";".join(officer[a:b]) for a, b in zip(starts, starts[1:] + [len(issue)])]
    return pd.Series(joined, index=pd.Index([issue[a] for a in starts], dtype=object), dtype=object)


# --- Process data: postings -----------------------------------------------------------------------

def facet_postings(groups: dict[str, np.ndarray]) -> Postings:
    keys = sorted(k for k, rows in groups.items() if len(rows))
    sizes = np.array([len(groups[k]) for k in keys], dtype=np.int64)
    positions = np.concatenate([np.sort(groups[k]) for k in keys]) if keys else np.zeros(0, dtype=np.int64)
    return Postings(keys, np.r_[0, np.cumsum(sizes)].astype(np.int64), positions)


def positions_by(values: pd.Series, prefix: str) -> dict[str, np.ndarray]:
    """``prefix=value`` → positions holding that value (missing values are left out), values in the order
    they first appear. The column is factorized as it is stored: Arrow strings took 0.05–0.09 s a column
    at a million issues, against 0.17–0.27 s turned into Python objects first."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    cuts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {f"{prefix}={u}": order[a:b] for u, a, b in zip(uniques.tolist(), cuts[:-1], cuts[1:])}


def filter_groups(ledger: Ledger, issues: pd.DataFrame, names: Names, checks: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every filter key → the positions it keeps."""
    groups: dict[str, np.ndarray] = {}
    # A place keeps the issues placed at it or anywhere below it (one concatenation per place).
    below: dict[str, list[np.ndarray]] = {}
    for key, rows in positions_by(issues["region_code"], "place").items():
        for code in names.chain(key.split("=", 1)[1]):
            below.setdefault(f"place={code}", []).append(rows)
    groups.update({key: np.concatenate(parts) for key, parts in below.items()})
    groups.update(positions_by(issues["lead_department"], "lead"))
    groups.update(positions_by(issues["status"], "status"))
    groups.update(positions_by(issues["category"], "category"))
    officers = checks["officers"].str.split(";").explode().dropna()
    groups.update(positions_by(pd.Series(officers.to_numpy(dtype=object)), "officer") if len(officers) else {})
    for key, rows in list(groups.items()):  # explode keeps the position as the index: map the values back
        if key.startswith("officer="):
            groups[key] = officers.index.to_numpy()[rows]
    state = timing(issues, ledger.as_of)["state"].to_numpy()
    verdict = checks["verdict"].to_numpy(dtype=object)
    groups["flag=overdue"] = np.flatnonzero(state == "overdue")
    groups["flag=disputed"] = np.flatnonzero(verdict == "not_resolved")
    groups["flag=uninspected"] = np.flatnonzero(issues["done"].to_numpy(dtype=bool) & pd.isna(verdict))
    return groups


# --- Process data: encoding -----------------------------------------------------------------------

def leb128(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bytes of every value as LEB128, one after another; each value's byte count)."""
    count = np.ones(len(values), dtype=np.int8)
    for k in range(1, 5):
        count += values >= (1 << (7 * k))
    ends = np.cumsum(count, dtype=np.int64)
    out = np.zeros(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    starts = ends - count
    for k in range(5):
        has = count > k
        byte = (values[has] >> (7 * k)) & 0x7F
        out[starts[has] + k] = byte | np.where(count[has] > k + 1, 0x80, 0)
    return out, count


ENCODE_BLOCK = 2_000_000  # positions encoded at once (bounds the temporary arrays)


def encoded(postings: Postings, total: int) -> list[str]:
    """Each key's posting list as text: ``v`` + base64 of LEB128 gaps, or ``b`` + base64 of a bitmap.
    Keys are encoded a block of about ENCODE_BLOCK positions at a time."""
    out: list[str] = []
    first = 0
    while first < len(postings.keys):
        last = max(first + 1, int(np.searchsorted(postings.bounds, postings.bounds[first] + ENCODE_BLOCK, "right")) - 1)
        last = min(last, len(postings.keys))
        bounds = postings.bounds[first:last + 1]
        block = Postings(postings.keys[first:last], bounds - bounds[0], postings.positions[bounds[0]:bounds[-1]])
        out += _encoded(block, total)
        first = last
    return out


def _encoded(postings: Postings, total: int) -> list[str]:
    bitmap = (total + 7) // 8
    lengths = np.diff(postings.bounds)
    # A list longer than the bitmap's bytes is a bitmap whatever its gaps (each takes a byte at least), so
    # only the others are LEB128-encoded: the common grams hold many of the positions (57 % in 147 of 1,511
    # lists in the demo at a million issues), and their gaps were encoded only to be dropped.
    sparse = lengths <= bitmap
    kept = np.repeat(sparse, lengths)
    p = postings.positions[kept]
    kept_bounds = np.r_[0, np.cumsum(lengths[sparse])]
    gaps = np.r_[p[:1], np.diff(p)] if len(p) else p.copy()
    firsts = kept_bounds[:-1]
    gaps[firsts[firsts < len(p)]] = p[firsts[firsts < len(p)]]  # each list starts afresh
    data, count = leb128(gaps)
    byte_ends = np.r_[0, np.cumsum(count, dtype=np.int64)][kept_bounds]  # each sparse list's bytes end here
    out = []
    nth_sparse = np.cumsum(sparse) - 1
    for n in range(len(postings.keys)):
        if sparse[n]:
            a, b = byte_ends[nth_sparse[n]], byte_ends[nth_sparse[n] + 1]
            if b - a <= bitmap:
                out.append("v" + base64.b64encode(data[a:b].tobytes()).decode("ascii"))
                continue
        bits = np.zeros(bitmap * 8, dtype=np.uint8)
        bits[postings.rows(n)] = 1
        out.append("b" + base64.b64encode(np.packbits(bits, bitorder="little").tobytes()).decode("ascii"))
    return out


def decode(value: str, total: int) -> list[int]:
    """A posting list's positions (what issue-search.js does; for tests)."""
    raw = base64.b64decode(value[1:])
    if value[0] == "b":
        return np.flatnonzero(np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:total]).tolist()
    out, current, shift, value_ = [], 0, 0, 0
    for byte in raw:
        value_ |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            current = value_ if not out else current + value_
            out.append(current)
            value_, shift = 0, 0
    return out


# --- Process data: list records -------------------------------------------------------------------

ROW_FIELDS = ("id", "title", "place", "lead", "status", "category", "raised_on", "due", "resolved_on",
              "timing", "days", "verdict", "officers")


def row_columns(ledger: Ledger, issues: pd.DataFrame, titles: pd.Series, checks: pd.DataFrame) -> list:
    """What a result line and the CSV show, per position, in ROW_FIELDS order: codes (the manifest
    names them), dates, the computed timing (state and days late or overdue) and the inspections."""
    def code(value: object) -> object:
        return value if isinstance(value, str) else None
    when = timing(issues, ledger.as_of)
    return [Column.text(issues["id"]), Column.text(titles), Column.of(issues["region_code"], code),
            Column.of(issues["lead_department"], code), Column.of(issues["status"], code),
            Column.of(issues["category"], code), Column.of(issues["raised_on"], iso), Column.of(issues["due"], iso),
            Column.of(issues["resolved_on"], iso), Column.of(when["state"], code),
            Column.of(when["days"], lambda d: int(d)), Column.of(checks["verdict"], code),
            Column.of(checks["officers"], lambda o: o.split(";") if isinstance(o, str) else [])]


def array_rows(columns: list, positions: np.ndarray, before: pa.Array, after: pa.Array) -> pa.Array:
    """Each position's ``[v1,v2,…]`` between ``before`` and ``after``, back to back in one buffer."""
    comma = pa.scalar(b",", type=BINARY)
    parts: list = [before, pa.scalar(b"[", type=BINARY)]
    for n, column in enumerate(columns):
        parts += ([comma] if n else []) + [column.take(positions)]
    parts += [pa.scalar(b"]", type=BINARY), after]
    return pc.binary_join_element_wise(*parts, pa.scalar(b"", type=BINARY))


# --- Save outputs ---------------------------------------------------------------------------------

class SearchIndex:
    """The search index of a ledger; ``files`` yields its files in a fixed order.

    Its parts are built one after another, each freed before the next, because the index is the
    build's largest peak of memory at a million issues (and the downloads' process runs beside it):
    the list records and the filters from a reordered copy of the issue columns the rows show, then
    the text grams (212 MB of them), then each share of the term buckets."""

    def __init__(self, ledger: Ledger, names: Names):
        self.ledger, self.names = ledger, names
        self.as_of = ledger.as_of.strftime("%Y-%m-%d")
        self.buckets = self.passes = 0  # set by ``files``: from the grams' count, known once they are made

    @functools.cached_property
    def rows(self) -> np.ndarray:
        """``search_order``: made only for the index's files, not for the page (0.5 s at a million issues)."""
        return search_order(self.ledger)

    @functools.cached_property
    def total(self) -> int:
        """The issues listed: ``len(self.rows)`` (one per id), counted without ordering them."""
        return len(self.rows) if "rows" in self.__dict__ else int(self.ledger.issues["id"].nunique(dropna=True))

    def chunks(self) -> int:
        return max(1, math.ceil(self.total / ROWS_PER_CHUNK))

    def bucket_of(self, key: str) -> int:
        return key_hash(key) % self.buckets

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(path, content): every rows chunk, every terms bucket, then the manifest."""
        ledger = self.ledger
        issues = ledger.issues[list(SEARCH_COLUMNS)].take(self.rows)
        checks = last_inspections(ledger, issues["id"])
        facets = facet_postings(filter_groups(ledger, issues, self.names, checks))
        facets = dict(zip(facets.keys, encoded(facets, self.total)))
        officers = sorted({o for cell in checks["officers"].dropna().tolist() for o in cell.split(";")})
        columns = row_columns(ledger, issues, ledger.issues["title"].take(self.rows), checks)
        del issues, checks
        yield from self.row_files(columns)
        del columns
        release_freed_memory(ledger.records)  # the reordered columns and the records: the grams come next
        grams = Grams(JoinedColumns(*(ledger.issues[c] for c in TEXTS), rows=self.rows))  # a block at a time
        # The bucket count comes before the grams' lists are encoded (a pass at a time): from the pairs'
        # count and what a pair costs, plus the filters' exact size. A function of the data only.
        size = grams.pairs * PAIR_BYTES + sum(len(k) + len(v) + 6 for k, v in facets.items())
        self.buckets = min(1 << max(0, math.ceil(math.log2(max(1, size / BUCKET_TARGET)))), MAX_BUCKETS)
        self.passes = min(self.buckets, max(1, math.ceil(grams.pairs / PASS_PAIRS)))
        yield from self.term_files(grams, facets, self.passes)
        del grams
        yield f"{SEARCH_DIR}/index.json", (json.dumps(self.manifest(officers), ensure_ascii=False, sort_keys=True,
                                                       separators=(",", ":")) + "\n").encode("utf-8")

    def row_files(self, columns: list) -> Iterator[tuple[str, bytes]]:
        if not self.total:
            yield f"{SEARCH_DIR}/rows/0.json", b"[]\n"
        step = ROWS_PER_CHUNK * ROW_CHUNKS_AT_ONCE
        for start in range(0, self.total, step):  # a few thousand records built at once, not a million
            positions = np.arange(start, min(start + step, self.total))
            bounds = np.r_[np.arange(0, len(positions), ROWS_PER_CHUNK), len(positions)]
            first, last = np.zeros(len(positions), dtype=bool), np.zeros(len(positions), dtype=bool)
            first[bounds[:-1]], last[bounds[1:] - 1] = True, True
            records = array_rows(columns, positions, choose(first, b",", b"["), choose(last, b"", b"]\n"))
            for c, content in enumerate(slices(records, bounds), start // ROWS_PER_CHUNK):
                yield f"{SEARCH_DIR}/rows/{c}.json", content

    def term_files(self, grams: Grams, facets: dict[str, str], passes: int) -> Iterator[tuple[str, bytes]]:
        for share in range(passes):  # the buckets b with b % passes == share
            def mine(hashes: np.ndarray, share: int = share) -> np.ndarray:
                return (hashes % np.uint64(self.buckets)) % np.uint64(passes) == share
            text = grams.postings(mine)
            members: dict[int, list[tuple[str, str]]] = {}
            for key, value in zip(text.keys, encoded(text, self.total)):
                members.setdefault(self.bucket_of(key), []).append((key, value))
            del text
            for key, value in facets.items():
                if self.bucket_of(key) % passes == share:
                    members.setdefault(self.bucket_of(key), []).append((key, value))
            for b in range(share, self.buckets, passes):
                body = ",".join(dump(k) + ":" + dump(v) for k, v in sorted(members.get(b, [])))
                yield f"{SEARCH_DIR}/terms/{b}.json", ("{" + body + "}\n").encode("utf-8")

    def manifest(self, officers: list[str]) -> dict:
        return {**self.choices(), "as_of": self.as_of, "issues": self.total, "buckets": self.buckets,
                "rows_per_chunk": ROWS_PER_CHUNK, "chunks": self.chunks(),
                "hash": "fnv1a-32 over the key's Unicode code points, modulo buckets",
                "terms": f"{SEARCH_DIR}/terms/<hash % buckets>.json",
                "rows": f"{SEARCH_DIR}/rows/<position // rows_per_chunk>.json",
                "positions": "oldest first (raised_on, then id): list from the last for newest first",
                "officers": officers, "fields": list(ROW_FIELDS), "timing": TIMING_ZH}

    def choices(self) -> dict:
        """The names the form and the filter sentence need (officers aside: ``files`` finds them)."""
        ledger, names = self.ledger, self.names
        regions = ledger.regions.dropna(subset=["code"])
        roots = regions.loc[regions["parent_code"].isna(), "code"].tolist()
        below = roots[0] if len(roots) == 1 else None
        return {
            # [code, name, level, parent, the name shown in a result line (below a single root)]
            "places": [[c, n, lv, p if isinstance(p, str) else None, names.place(c, below)] for c, n, lv, p in
                       sorted(zip(regions["code"], regions["name"], regions["level"], regions["parent_code"]))],
            "departments": sorted([c, n] for c, n in names.departments.items()),
            "statuses": [[c, label] for c, label in ledger.labels("issues", "status").items()],
            "categories": [[c, label] for c, label in ledger.labels("issues", "category").items()],
            "verdicts": [[c, label] for c, label in ledger.labels("inspections", "verdict").items()],
        }


def stream(ledger: Ledger, metrics: dict) -> Iterator[Part]:
    """issues/search/: its page (the index: ``data_stream``)."""
    yield File("issues/search.md", search_page(SearchIndex(ledger, Names.of(ledger))))


def data_stream(ledger: Ledger, metrics: dict) -> Iterator[Part]:
    """The index: its manifest and chunks, which only the page's script reads (they pass mkdocs by, and
    are rendered while mkdocs builds the pages)."""
    for path, content in SearchIndex(ledger, Names.of(ledger)).files():
        yield File(path, content, verbatim=True)


def render_section(ledger: Ledger, metrics: dict) -> Rendered:
    return collect(itertools.chain(stream(ledger, metrics), data_stream(ledger, metrics)), __name__)


def search_options(index: SearchIndex) -> dict:
    """What the search form's selects offer (the template only formats them)."""
    m = index.choices()
    levels = {"county": 1, "township": 2, "street": 2}
    return {"places": [{"code": c, "name": n, "depth": levels[lv]} for c, n, lv, p, _ in _tree(m["places"])
                       if lv in levels],
            "departments": [{"code": c, "name": n} for c, n in m["departments"]],
            "statuses": [{"code": c, "name": n} for c, n in m["statuses"]],
            "categories": [{"code": c, "name": n} for c, n in m["categories"]]}


def _tree(places: list[list]) -> list[list]:
    """Places in tree order (each after its parent, siblings by code)."""
    children: dict[object, list[list]] = {}
    for place in places:
        children.setdefault(place[3], []).append(place)
    out: list[list] = []

    def walk(parent: object) -> None:
        for place in children.get(parent, []):
            out.append(place)
            walk(place[0])
    walk(None)
    return out


def search_page(index: SearchIndex) -> str:
    """issues/search/: the form (its choices from the manifest) and the place the script fills."""
    return render("issues_search.md.j2", **search_options(index), as_of=index.as_of, total=index.total,
                  root="../../")


# --- What a query costs (benchmarks/run.py, tests): the files issue-search.js would load ------------

FLAG_PARAMS = ("overdue", "disputed", "uninspected")
PAGE_SIZE = 20  # results per page, as issue-search.js shows them


def query_keys(params: dict[str, str]) -> list[str]:
    """The keys a query needs, for URL parameters given as codes (what issue-search.js asks for)."""
    keys = [k for word in params.get("words", "").split() for k in word_keys(word)]
    keys += [f"{name}={params[name]}" for name in ("place", "lead", "status", "category") if params.get(name)]
    if params.get("officer"):
        keys.append(f"officer={params['officer'].strip().upper()}")
    return keys + [f"flag={flag}" for flag in FLAG_PARAMS if params.get(flag) == "1"]


def query_files(read, params: dict[str, str]) -> tuple[list[str], list[int]]:
    """(the files under SEARCH_DIR the first page of a query loads, in load order; its positions, in the
    order the page lists them: newest first).
    ``read(path)`` returns a built file's bytes."""
    manifest = json.loads(read(f"{SEARCH_DIR}/index.json"))
    keys = query_keys(params)
    buckets = sorted({key_hash(k) % manifest["buckets"] for k in keys})
    files = [f"{SEARCH_DIR}/index.json"] + [f"{SEARCH_DIR}/terms/{b}.json" for b in buckets]
    loaded = {b: json.loads(read(f"{SEARCH_DIR}/terms/{b}.json")) for b in buckets}
    found: set[int] | None = None if keys else set(range(manifest["issues"]))
    for key in keys:
        value = loaded[key_hash(key) % manifest["buckets"]].get(key)
        rows = set(decode(value, manifest["issues"])) if value else set()
        found = rows if found is None else found & rows
    positions = sorted(found or (), reverse=True)  # newest first, as the page lists them
    chunks = sorted({p // manifest["rows_per_chunk"] for p in positions[:PAGE_SIZE]})
    return files + [f"{SEARCH_DIR}/rows/{c}.json" for c in chunks], positions
