"""Typed pandas frames of a package, with the derived columns every metric uses.

Cells are read as text (no type guessing) and converted by the schema; a cell
that does not convert becomes missing, because the structural checks have
already reported it. Every frame keeps ``_path`` and ``_row`` (the file and the
spreadsheet row) so that cross-field rules can point at the source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import values
from pipeline.core.workdays import WorkCalendar
from pipeline.core.descriptor import VERSION_2_FIELDS, VERSION_2_RESOURCES, load_standard
from pipeline.core.package import DataPackage
from pipeline.core.csv_read import TEXT, read_text_table

DATE_UNIT = "datetime64[us]"
DONE = ("resolved", "evaluated", "archived")
ISSUE_ATTRIBUTES = ["region_code", "lead_department", "mechanism", "status", "resolved_on", "category", "tier"]
ITEM_ATTRIBUTES = ["from_department", "power_type", "effective_on", "revoked_on"]
MONTH_OF = {"issues": "raised_on", "meetings": "held_on", "evaluations": "evaluated_on",
            "inspections": "inspected_on", "surveys": "period_end", "burden_cuts": "cut_on"}
EVERY = "*"  # every column of a resource

# What each column build_ledger adds is computed from: (resource, column) → {resource: columns}.
# Cached check results depend on these (pipeline/validate/stages.py); tests/test_stages.py proves
# that changing any other column leaves the derived column unchanged.
DERIVED: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("issues", "done"): {"issues": ("status",)},
    ("issues", "withdrawn"): {"issues": ("status",)},
    ("issues", "due"): {"issues": ("due_on", "assigned_on", "tier"), "deadline_rules": (EVERY,), "holidays": (EVERY,)},
    ("issues", "due_provisional"): {"issues": ("due_on", "assigned_on", "tier"), "deadline_rules": (EVERY,),
                                    "holidays": (EVERY,)},
    **{(name, "month"): {name: (column,)} for name, column in MONTH_OF.items()},
    **{(name, f"issue_{c}"): {name: ("issue_id",), "issues": ("id", c)}
       for name in ("evaluations", "inspections") for c in ISSUE_ATTRIBUTES},
    **{(name, f"item_{c}"): {name: ("item_id",), "devolved_items": ("id", c)}
       for name in ("devolutions", "item_cases") for c in ITEM_ATTRIBUTES},
}


def base_columns(columns: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """The columns read from the files behind ledger ``columns`` (derived ones replaced by their sources)."""
    found: dict[str, set[str]] = {}
    for name, names in columns.items():
        for column in names:
            for source, sources in DERIVED.get((name, column), {name: (column,)}).items():
                found.setdefault(source, set()).update(sources)
    return found


def read_resource(package: DataPackage, name: str) -> pd.DataFrame:
    """All files of a resource as one typed frame, rows in file order, read here.

    (Validation brings its own frames, worked on segment by segment: pipeline/validate/scan.py.)
    """
    fields = package.fields(name)
    names = [f["name"] for f in fields]
    parts = [located(typed_frame(read_text_table(file.abs, names).frame[names], fields), file.rel)
             for file in package.files(name)]
    return located_concat(parts, fields)


def located_concat(parts: list[pd.DataFrame], fields: list[dict]) -> pd.DataFrame:
    """Files' located frames as one; a resource without rows still has every column, typed."""
    if not parts:
        empty = pd.DataFrame({f["name"]: pd.Series(dtype="str") for f in fields})
        return located(typed_frame(empty, fields), "")
    return in_one_piece(pd.concat(parts, ignore_index=True)) if len(parts) > 1 else parts[0]


def in_one_piece(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each Arrow-backed column in one piece. Concatenating files leaves a column in as many
    pieces as files, and Arrow's take on text in pieces joins them all first, at every call: picking
    20,000 summaries from a million in 22 pieces took 0.55 s instead of 0.01 s (docs/scale.md). Joined
    one column at a time, so the frame is never held twice."""
    for name in frame.columns:
        array = frame[name].array
        if isinstance(array, pd.arrays.ArrowExtensionArray):
            chunked = array.__arrow_array__()  # the Arrow data itself, not a copy
            if chunked.num_chunks > 1:
                whole = pa.chunked_array([chunked.combine_chunks()])
                joined = type(array)(whole, dtype=array.dtype) if isinstance(array, pd.arrays.ArrowStringArray) \
                    else type(array)(whole)
                frame[name] = pd.Series(joined, index=frame.index, name=name)
    return frame


def located(typed: pd.DataFrame, rel: str) -> pd.DataFrame:
    """A file's typed rows with ``_path`` and ``_row`` (its spreadsheet row: the header is row 1) in front."""
    location = pd.DataFrame({"_path": pd.Series([rel] * len(typed), dtype="str"),
                             "_row": np.arange(2, len(typed) + 2, dtype="int64")})
    return pd.concat([location, typed.reset_index(drop=True)], axis=1)


def typed_frame(text: pd.DataFrame, fields: list[dict]) -> pd.DataFrame:
    """Text cells converted by the schema."""
    index = pd.RangeIndex(len(text))
    columns = {}
    for spec in fields:
        column = text[spec["name"]]
        allowed = spec.get("constraints", {}).get("enum")
        if spec.get("type", "string") == "string" and column.dtype == TEXT and \
                all(isinstance(value, str) for value in allowed or []):
            columns[spec["name"]] = _text_value(column.array, allowed)
            continue
        typed = convert(column.reset_index(drop=True).astype("str"), spec.get("type", "string"))
        if allowed is not None:
            # An out-of-list value is already reported; downstream it is simply unknown.
            typed = typed.where(typed.isin(allowed))
        columns[spec["name"]] = typed
    # One frame made of all the columns: inserting them one at a time cost more than the conversions on
    # a small file (fifteen validations of the tiny package took 0.83x the processor time once it went).
    return pd.DataFrame(columns, index=index, copy=False)


def _text_value(cells, allowed: list | None) -> pd.Series:
    """``convert`` of a text column already held as Arrow text (an empty cell is missing), and outside
    ``allowed`` missing too, by Arrow's kernels: pandas' calls cost ten times as much on a small file."""
    array = cells.__arrow_array__()  # the Arrow data itself, not a copy (as in in_one_piece)
    keep = pc.fill_null(pc.not_equal(array, ""), False)
    if allowed is not None:
        keep = pc.and_(keep, pc.is_in(array, value_set=pa.array(allowed, type=array.type)))
    return pd.Series(type(cells)(pc.if_else(keep, array, pa.scalar(None, array.type)), dtype=TEXT))


def convert(text: pd.Series, ftype: str) -> pd.Series:
    """Text cells → typed values; what does not convert becomes missing.

    Integers, numbers and dates are read as validation reads them (pipeline/core/values.py): what
    validates is what the ledger holds (``+5``, ``05`` and ``５`` are 5; ``2026-3-5`` is 5 March)."""
    text = text.fillna("")
    if ftype == "date":
        # Parse each distinct date once: a million rows hold a few hundred dates.
        codes, uniques = pd.factorize(text)
        days = [values.date_value(u) for u in uniques]
        parsed = np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in days] or [],
                          dtype="datetime64[D]")
        # One unit whatever the values (an all-empty column would come back in seconds): frames of
        # different files and segments must have the same types.
        return pd.Series(parsed.astype(DATE_UNIT)[codes] if len(parsed) else np.empty(0, dtype=DATE_UNIT),
                         index=text.index)
    if ftype in ("integer", "number"):
        read = values.integer_value if ftype == "integer" else values.number_value
        codes, uniques = pd.factorize(text)  # a count column of a million rows holds a few thousand values
        kind = "Int64" if ftype == "integer" else "Float64"
        distinct = pd.array([read(u) for u in uniques], dtype=kind)
        return pd.Series(distinct.take(codes, allow_fill=True) if len(codes) else pd.array([], dtype=kind),
                         index=text.index)
    if ftype == "boolean":
        return text.map({"true": True, "false": False}).astype("boolean")
    if ftype == "yearmonth":
        return text.where(text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])"), None)
    return text.where(text != "", None)


def only_columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``frame[names]`` by the columns' positions: a third of the time (a validation makes about 60 views, the
    test suite tens of thousands); a name the frame lacks raises KeyError, as ``frame[names]`` does."""
    return frame.take([frame.columns.get_loc(name) for name in names], axis=1)


@dataclass
class Ledger:
    """The typed package at its snapshot date: what metrics and pages read."""

    package: DataPackage
    as_of: pd.Timestamp
    frames: dict[str, pd.DataFrame]
    calendar: WorkCalendar
    descendants: dict[str, frozenset[str]] = field(default_factory=dict)
    validated: dict[str, str] = field(default_factory=dict)  # data file → SHA-256 of the bytes validation read
    # Tables and values derived from this ledger that several sections read (``remembered``, ``kept``). Not an
    # argument: a view, or a ledger made by ``dataclasses.replace`` (a scope, other frames), starts with none of them.
    tables_made: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Where one resource's column finds its rows in another's (``positions``), shared by a ledger and its views:
    # each is asked for through the view's own columns, so sharing it reads nothing a view did not declare.
    lookups: dict[tuple[str, str, str, str], np.ndarray] = field(default_factory=dict, init=False, repr=False,
                                                                 compare=False)
    looking_up: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    @property
    def records(self) -> int:
        """Every row the ledger holds, of every resource: what ``release_freed_memory`` weighs a stage by."""
        return sum(len(frame) for frame in self.frames.values())

    def view(self, columns: dict[str, tuple[str, ...]]) -> "Ledger":
        """The ledger with only ``columns`` of each resource named (and every row's _path and _row);
        other resources are left out. A check run on a view cannot read what it did not declare."""
        frames = {name: only_columns(self.frames[name], ["_path", "_row", *dict.fromkeys(names)])
                  for name, names in columns.items()}
        view = Ledger(package=self.package, as_of=self.as_of, frames=frames, calendar=self.calendar,
                      descendants=self.descendants)
        view.lookups, view.looking_up = self.lookups, self.looking_up
        return view

    def positions(self, resource: str, column: str, of: str, key: str) -> np.ndarray:
        """For each row of ``resource``, the position of the first row of ``of`` whose ``key`` equals its
        ``column``, or -1 (``positions_in``; read-only). Made once for a ledger and all its views, under a
        lock (the rules run on two threads): at a million issues each lookup hashes every issue id (0.23 s)."""
        values, keys = self.frames[resource][column], self.frames[of][key]  # a view must hold both
        name = (resource, column, of, key)
        with self.looking_up:
            if name not in self.lookups:
                found = positions_in(values, keys)
                found.flags.writeable = False
                self.lookups[name] = found
            return self.lookups[name]

    def kept(self, name: str, make: Callable[[], object]) -> object:
        """``make()``'s value, made once for this ledger and shared, not copied: for values nobody changes
        (frozen records, tuples), where ``remembered`` copies a table for each caller."""
        if name not in self.tables_made:
            self.tables_made[name] = make()
        return self.tables_made[name]

    def remembered(self, name: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``make()``'s table, made once for this ledger; each caller gets a copy of its own to change."""
        if name not in self.tables_made:
            self.tables_made[name] = make()
        return self.tables_made[name].copy()

    def labels(self, resource: str, field_name: str) -> dict:
        """Code → Chinese label of an enum field, in the schema's order."""
        spec = self.package.field(resource, field_name)
        return {c["value"]: c["label"] for c in spec.get("categories", [])}

    def region_codes(self, code: str) -> frozenset[str]:
        """A region and everything below it."""
        return self.descendants.get(code, frozenset({code}))


def region_descendants(regions: pd.DataFrame) -> dict[str, frozenset[str]]:
    children: dict[str, list[str]] = {}
    for code, parent in zip(regions["code"], regions["parent_code"]):
        if isinstance(parent, str):
            children.setdefault(parent, []).append(code)
    result: dict[str, frozenset[str]] = {}

    def collect(code: str, trail: frozenset[str]) -> frozenset[str]:
        if code in result:
            return result[code]
        found = {code}
        for child in children.get(code, []):
            if child not in trail:  # a cycle is reported by validation; never loop on it
                found |= collect(child, trail | {code})
        result[code] = frozenset(found)
        return result[code]

    for code in regions["code"]:
        if isinstance(code, str):
            collect(code, frozenset())
    return result


def calendar_of(holidays: pd.DataFrame) -> WorkCalendar:
    rows = [(d.date(), kind) for d, kind in zip(holidays["date"], holidays["kind"]) if not pd.isna(d)]
    return WorkCalendar.from_rows(rows)


def compute_due(issues: pd.DataFrame, rules: pd.DataFrame, calendar: WorkCalendar) -> pd.DataFrame:
    """Effective due date: ``due_on`` where given, else from the tier's rule and ``assigned_on``.

    Computed once per distinct (assigned_on, tier) pair, so a million issues cost
    a few thousand calendar look-ups.
    """
    rule = {t: (int(l), u) for t, l, u in zip(rules["tier"], rules["limit"], rules["unit"])
            if isinstance(t, str) and not pd.isna(l) and isinstance(u, str)}
    day_codes, days = pd.factorize(issues["assigned_on"])  # -1 where missing
    tier_codes, tiers = pd.factorize(issues["tier"])
    known = (day_codes >= 0) & (tier_codes >= 0)
    pair_codes, pairs = pd.factorize(day_codes[known].astype("int64") * max(len(tiers), 1) + tier_codes[known])
    pair_due = np.full(len(pairs), np.datetime64("NaT"), dtype=issues["assigned_on"].dtype)
    pair_provisional = np.zeros(len(pairs), dtype=bool)
    for index, pair in enumerate(pairs):
        day, tier = days[pair // max(len(tiers), 1)], tiers[pair % max(len(tiers), 1)]
        if tier in rule:  # a tier without a rule gives no due date
            try:
                deadline = calendar.deadline(day.date(), *rule[tier])
            except OverflowError:  # past 9999-12-31 (validation reports such a date): no due date
                continue
            pair_due[index] = np.datetime64(deadline.due_on)
            pair_provisional[index] = deadline.provisional
    computed_due = np.full(len(issues), np.datetime64("NaT"), dtype=issues["assigned_on"].dtype)
    computed_due[known] = pair_due[pair_codes]
    provisional = np.zeros(len(issues), dtype=bool)
    provisional[known] = pair_provisional[pair_codes]
    given = issues["due_on"].notna()
    out = pd.DataFrame(index=issues.index)
    out["due"] = issues["due_on"].where(given, pd.Series(computed_due, index=issues.index))
    out["due_provisional"] = pd.Series(provisional, index=issues.index) & ~given
    return out


def month_text(dates: pd.Series) -> pd.Series:
    """"YYYY-MM" of each date (missing stays missing), formatted once per distinct month:
    ``dt.strftime`` formats every row, 0.2 s per million."""
    codes, months = pd.factorize(dates.to_numpy().astype("datetime64[M]"))
    labels = np.array([str(m)[:7] for m in months] + [np.nan], dtype=object)
    return pd.Series(labels[codes], index=dates.index, dtype=TEXT)  # code -1 (missing) takes the NaN


def positions_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of the first equal key, or -1 (a missing value matches nothing).

    A pyarrow hash lookup: a pandas merge with validation costs seconds at a million rows.
    """
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(keys), skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False)


def text_in(values: pd.Series, keys: pd.Series | pd.api.extensions.ExtensionArray) -> np.ndarray:
    """``values.isin(keys)`` for text keys, as a boolean array: a pyarrow hash lookup (pandas' ``isin`` on
    Arrow-backed text turns every key into a Python object first, seconds for a million ids). As in
    pandas, a missing value is in ``keys`` only when a key is missing too."""
    given, keys = keys, keys if isinstance(keys, pd.Series) else pd.Series(keys)
    if not (isinstance(values.dtype, pd.StringDtype) and _all_text(keys)):
        return values.isin(given).to_numpy(dtype=bool)  # not text on both sides: pandas' own comparison
    found = pc.is_in(_arrow_text(values), value_set=_arrow_text(keys.dropna()), skip_nulls=True)
    inside = found.fill_null(False).to_numpy(zero_copy_only=False)
    return inside | values.isna().to_numpy(dtype=bool) if keys.isna().any() else inside


def _all_text(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) or pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _arrow_text(series: pd.Series) -> pa.Array:
    array = pa.array(series.astype(TEXT), type=pa.string())  # zero-copy for Arrow-backed text
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def attach(frame: pd.DataFrame, key: str, table: pd.DataFrame, table_key: str, columns: list[str],
           prefix: str) -> pd.DataFrame:
    """``frame`` with ``columns`` of the ``table`` row its ``key`` refers to, named ``prefix + column``
    (missing where nothing matches); the frame's rows and order are kept."""
    return attach_each({"frame": (frame, columns)}, key, table, table_key, prefix)["frame"]


def attach_each(frames: dict[str, tuple[pd.DataFrame, list[str]]], key: str, table: pd.DataFrame, table_key: str,
                prefix: str) -> dict[str, pd.DataFrame]:
    """``attach`` of each frame (name → (frame, columns)) with one lookup: the table's keys are hashed
    once (at a million issues the evaluations' and the inspections' lookups each hashed a million ids)."""
    names = list(frames)
    values = [frames[name][0][key].astype(TEXT) for name in names]
    positions = positions_in(pd.concat(values, ignore_index=True) if len(values) > 1 else values[0], table[table_key])
    attached = {}
    for name, part in zip(names, np.split(positions, np.cumsum([len(v) for v in values])[:-1])):
        frame, columns = frames[name]
        attached[name] = frame.assign(**{f"{prefix}{c}": pd.Series(table[c].array.take(part, allow_fill=True),
                                                                   index=frame.index) for c in columns})
    return attached


def with_version_2_parts(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A version-1 package (pipeline/core/descriptor.py) lacks what version 2 added: the figures see those
    resources without rows and those fields empty, so that every page can say there is no such data."""
    standard = {res["name"]: res for res in load_standard()["resources"]}
    frames = dict(frames)
    for name in VERSION_2_RESOURCES:
        if name not in frames:
            frames[name] = located_concat([], standard[name]["schema"]["fields"])
    for name, added in VERSION_2_FIELDS.items():
        missing = [f for f in standard[name]["schema"]["fields"] if f["name"] in added and f["name"] not in frames[name]]
        if missing:
            text = pd.DataFrame({f["name"]: pd.Series([""] * len(frames[name]), dtype=TEXT) for f in missing})
            typed = typed_frame(text, missing).set_axis(frames[name].index)
            frames[name] = pd.concat([frames[name], typed], axis=1)
    return frames


def build_ledger(package: DataPackage, frames: dict[str, pd.DataFrame] | None = None,
                 derived: set[tuple[str, str]] | None = None) -> Ledger:
    """Every resource typed, with the derived columns (done, due, issue attributes …).

    ``frames`` are typed resources validation already assembled; the others are read here.
    ``derived`` names the derived columns to add (keys of ``DERIVED``), None every one: ``ledger
    validate`` adds only those its rules read, from frames of only their sources (a megacity's
    outcomes would otherwise carry every issue's place, department and category).
    """
    def wanted(name: str, column: str) -> bool:
        return derived is None or (name, column) in derived

    frames = dict(frames or {})
    for name in package.resource_names:
        if name not in frames:
            frames[name] = read_resource(package, name)
    frames = with_version_2_parts(frames)
    calendar = calendar_of(frames["holidays"])
    issues = frames["issues"]
    if wanted("issues", "done"):
        issues["done"] = issues["status"].isin(DONE)
    if wanted("issues", "withdrawn"):
        issues["withdrawn"] = issues["status"].eq("withdrawn")
    if "escalated" in issues:
        issues["escalated"] = issues["escalated"].fillna(False).astype(bool)
    if wanted("issues", "due") or wanted("issues", "due_provisional"):
        due = compute_due(issues, frames["deadline_rules"], calendar)
        issues["due"] = due["due"]
        issues["due_provisional"] = due["due_provisional"]
    if wanted("issues", "month"):
        issues["month"] = month_text(issues[MONTH_OF["issues"]])
    # Outcomes are broken down by their issue's place, department and mechanism.
    outcomes = {name: (frames[name], columns) for name in ("evaluations", "inspections")
                if (columns := [c for c in ISSUE_ATTRIBUTES if wanted(name, f"issue_{c}")])}
    if outcomes:
        frames.update(attach_each(outcomes, "issue_id", issues, "id", "issue_"))
    # Uptake is broken down by the item's department and power type.
    for name in ("devolutions", "item_cases"):
        if columns := [c for c in ITEM_ATTRIBUTES if wanted(name, f"item_{c}")]:
            frames[name] = attach(frames[name], "item_id", frames["devolved_items"], "id", columns, "item_")
    # The month a row counts in, for monthly breakdowns (item_cases and burden_reports have their own).
    for name, column in MONTH_OF.items():
        if name != "issues" and wanted(name, "month"):
            frames[name]["month"] = month_text(frames[name][column])
    return Ledger(package=package, as_of=pd.Timestamp(package.as_of), frames=frames, calendar=calendar,
                  descendants=region_descendants(frames["regions"]))
