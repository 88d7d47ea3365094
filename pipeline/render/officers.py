"""体验官待核查清单: per township/street, the issues reform experience officers have left to check.

One static page, ``officers/?town=CODE[&officer=TYG-…][&wait=DAYS]``, reads the township's JSON
documents under ``api/v1/officers/<code>/``, as ``place/?code=`` and ``issue/?id=`` read theirs:

- ``index.json``: the township's counts, the officer codes seen in it, every still-disputed issue
  with all its checks, and the chunks of the not-yet-inspected list (with each chunk's waiting days);
- ``<name>.json``: the not-yet-inspected issues, about CHUNK to a file, oldest resolution first, in the
  order ``index.json`` lists the chunks. Where a chunk ends is decided by the issues' ids, not by
  counting (``chunk_bounds``), and a chunk is named by a hash of its first id: an issue resolved or
  inspected changes the one chunk that holds it, where chunks of exactly CHUNK moved every later file
  of the township by one issue (3,536 of 4,162 files changed by the benchmark's pull request at a
  million issues; docs/scale.md).

Why not a page per township: township pages are allowed by the page-count rule, but a township's
lists grow with its issues (the demo at 200,000 issues has 165,546 never inspected, 14,000 per
township), so a generated page would break the 200 KB page limit, and its officer and waiting-time
filters would still need the script. Chunks keep each request small: the page loads the index and
the first chunk; a waiting-time filter keeps a prefix of the list (it is oldest first), so the script
fetches further chunks only while they can still hold a match.

Without JavaScript the page still lists every township with its counts (it grows with townships
only). The figures come from ``pipeline.figures.inspections``; templates and officer-list.js own the markup.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import asdict

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger, positions_in
from pipeline.figures import inspections as fi
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.render.issues_json import Column, JsonRecords, choose, offsets
from pipeline.render.issues_records import Names, iso
from pipeline.render.section import File, Part, Rendered, collect

PAGE = "officers/index.md"
API_DIR = "api/v1/officers"
CHUNK = 200  # not-yet-inspected issues per file on average: about 35 KB, as the lookup shards (32–50 KB)
ID_HASH_KEY = "sunshine-ledger1"  # 16 bytes: pandas' SipHash key (fixed: the same ids, the same chunks)


def id_hashes(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash of each id, the same on every run and machine (SipHash under a fixed key)."""
    return pd.util.hash_array(ids.to_numpy(dtype=object), hash_key=ID_HASH_KEY, categorize=False)


def chunk_bounds(hashes: np.ndarray, target: int) -> list[int]:
    """Where a list's chunks start and the last ends (0 first, the length last), from its ids' hashes.

    Content-defined, as rsync and backup tools cut files: a chunk ends after an issue whose hash is 0
    modulo ``target`` (on average one in ``target``) once it holds a quarter of ``target``, and is cut at
    three times ``target`` whatever the hashes (only a list's last chunk may hold fewer than a quarter).
    An issue inserted or removed changes its own chunk and sometimes the next (where it tips a chunk over a
    size bound, or shifts the cuts at the largest size up to the next low hash); the other chunks keep their
    issues and their bytes. On 10,000 ids, 200 such edits changed one chunk or two (tests/test_officers.py)."""
    smallest, largest = max(1, target // 4), target * 3
    bounds, start, total = [0], 0, len(hashes)
    for end in [*(np.flatnonzero(hashes % np.uint64(target) == 0) + 1).tolist(), total]:
        while end - start > largest:
            start += largest
            bounds.append(start)
        if end - start >= smallest or (end == total and end > start):
            bounds.append(end)
            start = end
    return bounds


def chunk_names(hashes: np.ndarray, starts: list[int]) -> list[str]:
    """Each chunk's file name: its first id's hash in hex (a second chunk of the same name, which 64 bits
    make all but impossible, gets its number after it)."""
    names: list[str] = []
    taken: set[str] = set()
    for n, start in enumerate(starts):
        name = f"{int(hashes[start]):016x}"
        names.append(f"{name}-{n}" if name in taken else name)
        taken.add(names[-1])
    return names


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def _days(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else "—"


def _dates(values: pd.Series) -> list[str | None]:
    """YYYY-MM-DD of each date, formatted once per distinct date (a million rows hold a few hundred)."""
    codes, uniques = pd.factorize(values)
    texts = [iso(u) for u in uniques] + [None]  # code -1 (missing) takes the None
    return [texts[c] for c in codes]


class Entries:
    """Rows of ``fi.uninspected``/``fi.disputed`` as the page shows them (names instead of codes): the columns
    are read once for the whole frame, names and dates looked up once per distinct value; ``at(positions)``
    makes the dicts of a few rows only (a million rows of dicts would cost hundreds of MB)."""

    def __init__(self, ledger: Ledger, frame: pd.DataFrame, names: Names):
        issues = ledger.issues
        found = positions_in(frame["id"], issues["id"])
        titles = issues["title"].array.take(found, allow_fill=True).tolist()
        leads = issues["lead_department"].array.take(found, allow_fill=True).tolist()
        lead_names = {code: names.department(code) for code in set(leads)}
        regions, towns = frame["region_code"].tolist(), frame["town"].tolist()
        places = {(r, t): names.place(r, t) for r, t in set(zip(regions, towns))}
        self.columns = {
            "id": frame["id"].tolist(), "title": [_text(t) for t in titles],
            "place": [places[pair] for pair in zip(regions, towns)], "lead": [lead_names[c] for c in leads],
            "resolved_on": _dates(frame["resolved_on"]),
            "days": [None if pd.isna(d) else int(d) for d in frame["waiting_days"].tolist()],
        }
        if "disputed_on" in frame:
            self.columns["disputed_on"] = _dates(frame["disputed_on"])

    def at(self, positions: object) -> list[dict]:
        return [{name: values[p] for name, values in self.columns.items()} for p in positions]


def waiting_records(ledger: Ledger, frame: pd.DataFrame, names: Names) -> JsonRecords:
    """The rows of ``fi.uninspected`` as the chunks list them: the JSON of ``Entries.at`` (its fields in its
    order, the same bytes as ``dump``), made by Arrow for many rows at once. At a million issues 839,000
    rows are listed, a dict and a ``json.dumps`` call each had taken about 4 s."""
    issues = ledger.issues
    found = positions_in(frame["id"], issues["id"])
    titles = pd.Series(issues["title"].array.take(found, allow_fill=True)).fillna("")
    leads = pd.Series(issues["lead_department"].array.take(found, allow_fill=True))
    return JsonRecords({
        "id": Column.text(frame["id"]),
        "title": Column.text(titles.where(titles != "", "—")),  # what ``_text`` gives
        "place": Column.of_pairs(frame["region_code"], frame["town"], names.place),
        "lead": Column.of(leads, names.department),
        "resolved_on": Column.of(frame["resolved_on"], iso),
        "days": Column.of(frame["waiting_days"], _days),
    }, len(frame), sort_keys=False)


def check_entries(ledger: Ledger, checks: list[dict]) -> list[dict]:
    verdicts = ledger.labels("inspections", "verdict")
    return [{"date": iso(c["inspected_on"]), "officer": _text(c["officer"]), "verdict": c["verdict"],
             "label": verdicts.get(c["verdict"], "—"), "note": c["note"] if isinstance(c["note"], str) else ""}
            for c in checks]


def town_documents(ledger: Ledger, waiting: pd.DataFrame, still: pd.DataFrame,
                   counts: dict[str, fi.TownCounts]) -> Iterator[tuple[str, str]]:
    """(path, JSON) of every township's index and chunks, townships in the order of regions.csv;
    ``waiting``, ``still`` and ``counts``: ``fi.uninspected``, ``fi.disputed`` and ``fi.town_counts``."""
    names = Names.of(ledger)
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    officers = fi.officers_by_town(ledger)
    waiting_rows, still_rows = fi.by_town(waiting), fi.by_town(still)
    checks = fi.checks_of(ledger, still["id"])
    records, still_entries = waiting_records(ledger, waiting, names), Entries(ledger, still, names)
    waiting_days = waiting["waiting_days"].to_numpy(dtype=np.float64, na_value=np.nan)
    hashes_all = id_hashes(waiting["id"])
    for town in fi.towns(ledger):
        listed = np.asarray(waiting_rows.get(town, []), dtype=np.int64)
        disputes = still_entries.at(still_rows.get(town, []))
        for entry in disputes:
            entry["checks"] = check_entries(ledger, checks.get(entry["id"], []))
        chunks = []
        hashes = hashes_all[listed]
        bounds = chunk_bounds(hashes, CHUNK)
        # Every listed row's JSON, a comma before each but a chunk's first: a chunk is one slice of the buffer.
        firsts = np.zeros(len(listed), dtype=bool)
        firsts[bounds[:-1]] = True
        joined = records.joined(listed, choose(firsts, b",", b""))
        ends = offsets(joined)
        data = memoryview(joined.buffers()[2]) if len(joined) else memoryview(b"")
        for name, start, stop in zip(chunk_names(hashes, bounds[:-1]), bounds[:-1], bounds[1:]):
            days = waiting_days[listed[start:stop]]
            days = days[~np.isnan(days)]
            chunks.append({"file": f"{name}.json", "count": stop - start,
                           "most_days": int(days.max()) if len(days) else None,
                           "least_days": int(days.min()) if len(days) else None})
            head = dump({"as_of": as_of, "town": town, "chunk": name, "issues": []})[:-len("]}\n")]
            yield f"{API_DIR}/{town}/{name}.json", head + data[ends[start]:ends[stop]].tobytes().decode("utf-8") + "]}\n"
        parent = names.parents.get(town)
        yield f"{API_DIR}/{town}/index.json", dump({
            "as_of": as_of, "code": town, "name": names.regions.get(town, town),
            "level": ledger.labels("regions", "level").get(names.levels.get(town), ""),
            "county": names.regions.get(parent, "") if parent else "", "region_page": f"issues/region/{town}/",
            "counts": asdict(counts[town]), "officers": officers.get(town, []), "disputed": disputes,
            "uninspected": {"total": counts[town].uninspected, "chunk_size": CHUNK, "chunks": chunks},
        })


def chooser(ledger: Ledger, counts: dict[str, fi.TownCounts]) -> list[dict]:
    """Counties → their townships/streets with counts: the page's list without JavaScript."""
    names = Names.of(ledger)
    counties: dict[str, dict] = {}
    for town in fi.towns(ledger):
        parent = names.parents.get(town, "")
        county = counties.setdefault(parent, {"code": parent, "name": names.regions.get(parent, "—"), "towns": []})
        county["towns"].append({"code": town, "name": names.regions.get(town, town), **asdict(counts[town])})
    return list(counties.values())


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    """officers/: the page (its documents: ``data_stream``)."""
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    counts = fi.town_counts(ledger)  # made once: the documents read them too
    yield File(PAGE, render("officers_page.md.j2", as_of=as_of, counties=chooser(ledger, counts), root="../",
                            api=f"../{API_DIR}/", chunk=CHUNK))


def data_stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    """Every township's documents. Only the page's script reads them (no page links one): verbatim, past
    mkdocs, rendered while the build waits for the downloads and mkdocs builds the pages."""
    waiting, still = fi.uninspected(ledger), fi.disputed(ledger)  # the ledger remembers both, and the counts
    for path, content in town_documents(ledger, waiting, still, fi.town_counts(ledger)):
        yield File(path, content, verbatim=True)


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(itertools.chain(stream(ledger, metrics), data_stream(ledger, metrics)), __name__)
