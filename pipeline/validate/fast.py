"""The fast structural engine: frictionless' checks as column operations.

It reports exactly what frictionless reports on the same data — same error
type, row position, field and note — and hands the same error dictionaries to
``translate.translate`` so that messages are identical too. Speed comes from
three things: one multithreaded parse per file (pyarrow), type and constraint
checks on each column's *distinct* values (a date column of a million rows has
a few hundred), and keys checked with pandas group operations.
Frictionless stays the reference (``ledger validate --engine frictionless``);
tests/test_engines.py runs both on every fixture and on generated broken data.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import findings as fd
from pipeline.core import values
from pipeline.core.package import DataPackage
from pipeline.core.csv_read import TextTable, read_text_table
from pipeline.validate.files import FileFacts
from pipeline.validate.translate import RowMapper, foreign_keys, key_is_unique_field, primary_key, translate

# --- type readers: frictionless' value readers, for one text cell -------------------------

def _yearmonth(text: str):
    try:
        year, month = text.split("-")
        year, month = int(year), int(month)
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 else None


def reader_for(spec: dict) -> Callable[[str], object] | None:
    """None for types whose every text is valid (string, list of strings)."""
    ftype = spec.get("type", "string")
    if ftype == "integer":
        return values.read_integer
    if ftype == "number":
        return values.read_number
    if ftype == "date":
        return values.read_date
    if ftype == "yearmonth":
        return _yearmonth
    if ftype == "boolean":
        mapping = {v: True for v in spec.get("trueValues", ["true", "True", "TRUE", "1"])}
        mapping.update({v: False for v in spec.get("falseValues", ["false", "False", "FALSE", "0"])})
        return mapping.get
    return None


# --- what the fast engine implements; a resource using anything else goes to frictionless ------------

# Table Schema as this engine reads it (README, "The two engines"): these types with their default
# format, these constraints, boolean true/false words, list fields of strings; the CSV dialect of RFC 4180
# as pipeline/standard.json states it; "" as the only missing value; UTF-8 CSV files.
FAST_TYPES = ("string", "integer", "number", "date", "yearmonth", "boolean", "list")
FAST_CONSTRAINTS = {"required": FAST_TYPES, "unique": FAST_TYPES, "enum": FAST_TYPES,
                    "minLength": ("string", "list"), "maxLength": ("string", "list"), "pattern": ("string",),
                    "minimum": ("integer", "number", "date", "yearmonth"),
                    "maximum": ("integer", "number", "date", "yearmonth")}
FAST_FIELD_KEYS = {"name", "type", "title", "description", "example", "categories", "categoriesOrdered",
                   "constraints", "rdfType", "format"}
FAST_TYPE_KEYS = {"boolean": {"trueValues", "falseValues"}, "list": {"delimiter", "itemType"}}
FAST_DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False, "header": True}
FAST_DIALECT_FREE = {"lineTerminator", "caseSensitiveHeader"}  # a reader of RFC 4180 takes either line end


def unimplemented_feature(package: DataPackage, name: str) -> str | None:
    """The first Table Schema feature of a resource that this engine does not implement, in words, or None."""
    resource = package.resource(name)
    if str(resource.get("encoding", "utf-8")).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return f'encoding "{resource["encoding"]}"'
    for key in ("format", "compression"):
        if resource.get(key, "csv" if key == "format" else None) not in ("csv", None):
            return f'{key} "{resource[key]}"'
    dialect = resource.get("dialect", {})
    for key, value in (dialect.items() if isinstance(dialect, dict) else [("dialect", dialect)]):
        if key not in FAST_DIALECT_FREE and (key not in FAST_DIALECT or value != FAST_DIALECT[key]):
            return f"dialect {key}={value!r}"
    schema = resource["schema"]
    if schema.get("missingValues", [""]) != [""]:
        return f"missingValues {schema['missingValues']!r}"
    for spec in schema["fields"]:
        ftype = spec.get("type", "string")
        where = f'field "{spec.get("name")}"'
        if ftype not in FAST_TYPES:
            return f'{where}: type "{ftype}"'
        if spec.get("format", "default") != "default":
            return f'{where}: format "{spec["format"]}"'
        extra = set(spec) - FAST_FIELD_KEYS - FAST_TYPE_KEYS.get(ftype, set())
        if extra:
            return f'{where}: {sorted(extra)[0]}'
        if ftype == "list" and spec.get("itemType", "string") != "string":
            return f'{where}: itemType "{spec["itemType"]}"'
        for key in spec.get("constraints", {}):
            if ftype not in FAST_CONSTRAINTS.get(key, ()):
                return f'{where}: constraint "{key}" on type "{ftype}"'
    return None


def handed_to_frictionless(package: DataPackage) -> dict[str, str]:
    """Resources the fast engine leaves to frictionless → why (the feature; or the foreign key that ties
    it to such a resource: keys are checked on both sides by one engine)."""
    handed = {name: why for name in package.resource_names if (why := unimplemented_feature(package, name))}
    changed = bool(handed)
    while changed:
        changed = False
        for name in package.resource_names:
            for fk in foreign_keys(package, name):
                pair = (name, fk["reference"]["resource"])
                for one, other in (pair, pair[::-1]):
                    if one not in handed and other in handed:
                        handed[one] = f'foreign key to "{other}"' if one == name else f'foreign key from "{other}"'
                        changed = True
    return handed


# --- the resource as the global checks see it -----------------------------------------------

@dataclass
class ResourceText:
    """The text of a resource's key fields (every file, in order) and each row's position ("_pos")."""

    name: str
    frame: pd.DataFrame


# --- checks ------------------------------------------------------------------------------

def _error(kind: str, position: int, **extra) -> dict:
    return {"type": kind, "rowNumber": int(position), **extra}


def row_shape_errors(text: ResourceText, table: TextTable, start: int, fields: list[dict]) -> tuple[list[dict], set[int]]:
    """extra-cell, missing-cell and blank-row errors; and the blank rows' positions."""
    errors: list[dict] = []
    names = [f["name"] for f in fields]
    cells = text.frame[names]
    blank_mask = (cells.isna() | cells.eq("")).all(axis=1)
    blank = set(text.frame.loc[blank_mask, "_pos"].astype(int))
    for position in sorted(blank):
        errors.append(_error("blank-row", position))
    for index, count in table.short_rows.items():
        if start + index in blank:
            continue
        for number in range(count + 1, len(names) + 1):
            errors.append(_error("missing-cell", start + index, fieldName=names[number - 1],
                                 fieldNumber=number, cell=""))
    for index, extra in table.extra_cells.items():
        for offset, cell in enumerate(extra):
            errors.append(_error("extra-cell", start + index, fieldName="",
                                 fieldNumber=len(names) + offset + 1, cell=cell))
    return errors, blank


def _pattern_mask(values: pd.Series, pattern: str) -> pd.Series:
    """True where ``values`` match ``pattern`` whole, as ``re.fullmatch`` (RE2 for plain ASCII).

    Whole means whole: ``$`` alone also matches before a trailing newline, so an id "Q-001\\n" would
    pass ``^Q-\\d{3}$`` (frictionless is given the same rule: ``structural.whole_value_patterns``)."""
    compiled = re.compile(pattern)
    array = pa.array(values.astype(object).tolist(), type=pa.string()) if values.dtype == object else values.array._pa_array
    matched = pd.Series(pc.match_substring_regex(array, pattern=f"^(?:{pattern})$").to_numpy(zero_copy_only=False),
                        index=values.index, dtype=bool)
    # RE2 and Python differ on non-ASCII \d; a newline is left to Python too: ask Python there.
    special = ~(values.str.isascii() & ~values.str.contains("\n", regex=False)).fillna(False).astype(bool)
    for index in values.index[special.to_numpy()]:
        matched[index] = compiled.fullmatch(values[index]) is not None
    return matched


def typed_values(column: pd.Series, spec: dict) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(typed values with None where missing or invalid, present mask, invalid mask) of one text column."""
    present = (column.notna() & column.ne("")).fillna(False).astype(bool)
    invalid = pd.Series(False, index=column.index)
    reader = reader_for(spec)
    if reader is None:
        return column.where(present), present, invalid  # text is its own value; stays Arrow-backed
    typed = pd.Series(None, index=column.index, dtype=object)
    if present.any():
        codes, uniques = pd.factorize(column[present])
        values = np.empty(len(uniques), dtype=object)
        for i, unique in enumerate(uniques):  # element-wise: tuples must stay single objects
            values[i] = reader(unique)
        typed[present] = values[codes]
        unreadable = np.array([v is None for v in values], dtype=bool)
        invalid[present] = unreadable[codes]
    return typed, present, invalid


def field_errors(text: ResourceText, spec: dict, number: int, skip: set[int]) -> list[dict]:
    """Type and constraint errors of one field (row by row: no other row matters)."""
    name, ftype = spec["name"], spec.get("type", "string")
    column = text.frame[name]
    positions = text.frame["_pos"]
    constraints = spec.get("constraints", {})
    typed, present, invalid = typed_values(column, spec)
    errors: list[dict] = []

    def add(kind: str, mask: pd.Series, note: str) -> None:
        for index in mask.index[mask.to_numpy()]:
            position = int(positions[index])
            if position in skip:
                continue
            cell = column[index]
            errors.append(_error(kind, position, fieldName=name, fieldNumber=number,
                                 cell="None" if pd.isna(cell) else str(cell), note=note))

    add("type-error", invalid, f'type is "{ftype}/{spec.get("format", "default")}"')
    valid = present & ~invalid
    if constraints.get("required"):
        add("constraint-error", ~present, f'constraint "required" is "{constraints["required"]}"')
    checks = _constraint_checks(spec, column, typed, valid)
    for key, failing in checks:
        add("constraint-error", failing, f'constraint "{key}" is "{constraints[key]}"')
    for kind, failing in value_checks(spec, column, valid):
        add(kind, failing, "")
    return errors


def value_checks(spec: dict, column: pd.Series, valid: pd.Series):
    """(code, failing mask) of the standard's checks frictionless does not make: integers that fit
    in 64 bits, finite numbers, required text with something visible (pipeline/core/values.py).
    ``valid``: cells of the right type. Both engines run these (``value_check_errors``)."""
    ftype = spec.get("type", "string")
    if not valid.any():
        return
    if ftype == "integer":
        yield "integer-out-of-range", _distinct_mask(column, valid, lambda text: values.integer_out_of_range(
            values.read_integer(text)))
    elif ftype == "number":
        yield "number-out-of-range", _distinct_mask(column, valid, lambda text: values.number_problem(
            values.read_number(text)) is not None)
    elif ftype == "string" and _needs_visible(spec):
        yield "invisible-value", values.invisible_mask(column[valid]).reindex(column.index, fill_value=False)


def _distinct_mask(column: pd.Series, valid: pd.Series, failing: Callable[[str], bool]) -> pd.Series:
    """``failing`` of each valid cell, asked once per distinct text."""
    codes, uniques = pd.factorize(column[valid])
    bad = np.array([failing(u) for u in uniques], dtype=bool)
    mask = pd.Series(False, index=column.index)
    mask[valid] = bad[codes]
    return mask


def _needs_visible(spec: dict) -> bool:
    """A required text field that no list of values or pattern constrains already."""
    constraints = spec.get("constraints", {})
    return bool(constraints.get("required")) and "enum" not in constraints and "pattern" not in constraints


def _constraint_checks(spec: dict, column: pd.Series, typed: pd.Series, valid: pd.Series):
    constraints = spec.get("constraints", {})
    ftype = spec.get("type", "string")
    reader = reader_for(spec) or (lambda v: v)
    for key in ("minLength", "maxLength", "minimum", "maximum", "pattern", "enum"):
        if key not in constraints or not valid.any():
            continue
        if key in ("minLength", "maxLength"):
            if ftype not in ("string", "list"):
                continue
            lengths = column[valid].str.len() if ftype == "string" else column[valid].str.split(spec.get("delimiter", ",")).str.len()
            bad = lengths < constraints[key] if key == "minLength" else lengths > constraints[key]
        elif key == "pattern":
            if ftype != "string":
                continue
            bad = ~_pattern_mask(column[valid], constraints[key])
        elif key == "enum":
            if ftype == "string":
                bad = ~column[valid].isin(constraints[key]).astype(bool)
            else:
                allowed = [reader(str(v)) for v in constraints[key]]
                bad = ~typed[valid].map(lambda v, a=allowed: v in a).astype(bool)
        else:
            bound = reader(str(constraints[key]))
            # NaN is within no bound (as frictionless has it); comparing it would raise
            bad = typed[valid].map(lambda v, b=bound, k=key: v != v or (v < b if k == "minimum" else v > b)).astype(bool)
        yield key, bad.reindex(column.index, fill_value=False)


def _previous_positions(keys: pd.DataFrame, positions: pd.Series) -> pd.Series:
    """For each row, the position of the previous row with the same key (NaN if none)."""
    codes = [pd.factorize(_key_values(keys[c]))[0] for c in keys.columns]
    grouped = positions.groupby(codes, sort=False)
    return grouped.shift(1)


def unique_errors(text: ResourceText, spec: dict, number: int, typed: pd.Series) -> list[dict]:
    present = ~_missing(typed)
    keys = (typed[present].map(_hashable) if typed.dtype == object else typed[present]).to_frame("k")
    previous = _previous_positions(keys, text.frame.loc[present, "_pos"])
    errors = []
    for index in previous.index[previous.notna().to_numpy()]:
        errors.append(_error("unique-error", text.frame.at[index, "_pos"], fieldName=spec["name"], fieldNumber=number,
                             cell=_typed_text(typed[index], spec),
                             note=f"the same as in the row at position {int(previous[index])}"))
    return errors


def _typed_text(value: object, spec: dict) -> str:
    """A value as frictionless shows it in a unique-error: ``str`` of the value read (``2025-01-01`` for
    ``2025-1-1``, ``3`` for ``03``), a year-month as its named tuple, a list as a Python list."""
    if spec.get("type") == "yearmonth" and isinstance(value, tuple):
        return "yearmonth(year=%d, month=%d)" % value
    if spec.get("type") == "list":  # text here; frictionless holds the list of items
        return str(str(value).split(spec.get("delimiter", ",")))
    return str(value)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


class KeyNaN:
    """A number field's NaN in a key: a value (frictionless does not take it for missing, as pandas' ``isna``
    would a Decimal NaN), equal to nothing, not even itself in another row; shown as read."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal):
        self.value = value

    def __str__(self) -> str:
        return str(self.value)


def _key_typed(column: pd.Series, spec: dict) -> pd.Series:
    typed = typed_values(column, spec)[0]
    if spec.get("type") == "number":
        typed = typed.map(lambda v: KeyNaN(v) if isinstance(v, Decimal) and v.is_nan() else v)
    return typed


def _missing(column: pd.Series) -> pd.Series:
    """Cells with no value (empty or unreadable)."""
    return column.isna().astype(bool)  # a NaN number is held as a KeyNaN, which is not missing


def _key_values(column: pd.Series) -> pd.Series:
    """Values to group or match keys on, equal where frictionless' values are equal (Python ``==``):
    text as it is; numbers by value (``1``, ``1.0``, ``1.00`` and an integer 1 are one key, a NaN equals
    nothing), other typed values by repr (dates, tuples), all apart from text ("\0" first)."""
    if column.dtype != object and pd.api.types.is_string_dtype(column.dtype):
        return column.fillna("\0None")
    return pd.Series([_comparable(v, i) for i, v in zip(column.index, column)], index=column.index, dtype=object)


def _comparable(value: object, index: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "\0None"
    if isinstance(value, KeyNaN):
        return f"\0nan {index}"  # NaN is not equal to itself: no two rows share it
    if isinstance(value, (bool, int, Decimal)):
        number = Decimal(int(value) if isinstance(value, bool) else value)
        if number.is_zero():
            return "\0n 0"
        exact = Context(prec=max(28, len(number.as_tuple().digits)))  # normalize rounds to the context
        return f"\0n {number.normalize(context=exact)}"
    return f"\0{value!r}"


def primary_key_errors(text: ResourceText, keys: list[str], typed: dict[str, pd.Series], names: list[str]) -> list[dict]:
    frame = pd.DataFrame({k: typed[k].map(_hashable) if typed[k].dtype == object else typed[k] for k in keys})
    all_none = pd.concat([_missing(frame[k]) for k in keys], axis=1).all(axis=1)
    errors = [_error("primary-key", text.frame.at[i, "_pos"], cells=_cells(text, i, names),
                     note='cells composing the primary keys are all "None"') for i in frame.index[all_none.to_numpy()]]
    previous = _previous_positions(frame[~all_none], text.frame.loc[~all_none, "_pos"])
    for index in previous.index[previous.notna().to_numpy()]:
        errors.append(_error("primary-key", text.frame.at[index, "_pos"], cells=_cells(text, index, names),
                             note=f"the same as in the row at position {int(previous[index])}"))
    return errors


def _cells(text: ResourceText, index: int, names: list[str]) -> list[str]:
    """The row's cells as frictionless lists them (only key fields are kept here; the others show empty)."""
    cells = []
    for name in names:
        value = text.frame.at[index, name] if name in text.frame.columns else None
        cells.append("" if value is None or pd.isna(value) else str(value))
    return cells


def _joined_key(frame: pd.DataFrame) -> pa.Array:
    """One comparable text per row for a (possibly composite) key; empty parts stay distinct."""
    parts = [_key_values(frame[c]).astype("str") for c in frame.columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep="\x1f")
    array = pa.array(joined, type=pa.string())  # zero-copy for Arrow-backed text
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _all_missing(frame: pd.DataFrame) -> pd.Series:
    return pd.concat([_missing(frame[c]) for c in frame.columns], axis=1).all(axis=1)


def _isin(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    # pyarrow's hash lookup: pandas' isin on Arrow strings is ~50x slower for large sets.
    return pc.is_in(values, value_set=value_set).to_numpy(zero_copy_only=False)


def foreign_key_errors(name: str, fk: dict, typed: dict[str, dict[str, pd.Series]], text: ResourceText) -> list[dict]:
    source = fk["reference"]["resource"]
    source_key, target_key = fk["reference"]["fields"], fk["fields"]
    source_frame = pd.DataFrame({k: typed[source][k] for k in source_key})
    source_frame = source_frame[~_all_missing(source_frame)]
    target = pd.DataFrame({k: typed[name][k] for k in target_key})
    target = target[~_all_missing(target)]
    # Match on comparable keys: a partly empty key matches only the same partly empty key.
    missing = ~_isin(_joined_key(target), _joined_key(source_frame))
    errors = []
    for index in target.index[missing]:
        cells = [typed[name][k][index] for k in target_key]
        cells = [None if c is None or c is pd.NA or (isinstance(c, float) and c != c) else c for c in cells]
        note = 'for "%s": values "%s" not found in the lookup table "%s" as "%s"' % (
            ", ".join(target_key), ", ".join(str(c) for c in cells), source, ", ".join(source_key))
        errors.append(_error("foreign-key", text.frame.at[index, "_pos"], note=note, fieldNames=list(target_key),
                             fieldCells=[None if c is None else str(c) for c in cells], referenceName=source,
                             referenceFieldNames=list(source_key)))
    return errors


def local_errors(package: DataPackage, name: str, table: TextTable, start: int) -> tuple[list[dict], set[int]]:
    """Row-local errors of some records (shape, type, constraints) and the blank ones, at positions from ``start``."""
    frame = table.frame.copy()
    frame["_pos"] = np.arange(start, start + table.records)
    text = ResourceText(name, frame)
    fields = package.fields(name)
    errors, blank = row_shape_errors(text, table, start, fields)
    for number, spec in enumerate(fields, start=1):
        errors += field_errors(text, spec, number, blank)
    return errors, blank


def value_check_errors(package: DataPackage, name: str, facts: list[FileFacts]) -> list[dict]:
    """``value_checks`` of every file of a resource, at positions as frictionless counts them: what the
    reference engine adds to frictionless' own report (it reads every integer, NaN and blank text)."""
    fields = package.fields(name)
    names = [f["name"] for f in fields]
    errors: list[dict] = []
    start = 2
    for fact in facts:
        table = read_text_table(fact.file.abs, names)
        positions = pd.Series(np.arange(start, start + table.records), index=table.frame.index)
        for number, spec in enumerate(fields, start=1):
            column = table.frame[spec["name"]]
            _, present, invalid = typed_values(column, spec)
            for kind, failing in value_checks(spec, column, present & ~invalid):
                for index in failing.index[failing.to_numpy()]:
                    errors.append(_error(kind, positions[index], fieldName=spec["name"], fieldNumber=number,
                                         cell=str(column[index]), note=""))
        start += table.records
    return errors


def key_field_names(package: DataPackage, name: str) -> set[str]:
    """Fields whose values other rows or resources look at: unique, primary and foreign keys."""
    schema = package.resource(name)["schema"]
    names = {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")}
    names.update(primary_key(package, name))
    for fk in foreign_keys(package, name):
        names.update(fk["fields"])
    for other in package.resource_names:
        for fk in foreign_keys(package, other):
            if fk["reference"]["resource"] == name:
                names.update(fk["reference"]["fields"])
    return names


def key_errors(package: DataPackage, text: ResourceText) -> tuple[list[dict], dict[str, pd.Series]]:
    """Unique and primary-key errors of a resource, and its key fields' typed values."""
    fields = package.fields(text.name)
    errors: list[dict] = []
    typed: dict[str, pd.Series] = {}
    keys = key_field_names(package, text.name)
    for number, spec in enumerate(fields, start=1):
        if spec["name"] not in keys:
            continue
        typed[spec["name"]] = _key_typed(text.frame[spec["name"]], spec)
        if spec.get("constraints", {}).get("unique"):
            errors += unique_errors(text, spec, number, typed[spec["name"]])
    primary = primary_key(package, text.name)
    if primary and not key_is_unique_field(package, text.name):
        errors += primary_key_errors(text, primary, typed, [f["name"] for f in fields])
    return errors, typed


def key_check_errors(package: DataPackage, texts: dict[str, ResourceText]) -> dict[str, list[dict]]:
    """Unique, primary-key and foreign-key errors of every resource (positions as frictionless counts them)."""
    typed: dict[str, dict[str, pd.Series]] = {}
    found: dict[str, list[dict]] = {}
    for name, text in texts.items():
        found[name], typed[name] = key_errors(package, text)
    for name, text in texts.items():
        for fk in foreign_keys(package, name):
            found[name] += foreign_key_errors(name, fk, typed, text)
    return found


def structural_findings(package: DataPackage, errors: dict[str, list[dict]], blank: dict[str, set[int]],
               facts: dict[str, list[FileFacts]]) -> Iterator[fd.Finding]:
    """Frictionless-shaped errors as findings; a blank row is one problem, not also its empty cells."""
    for name, found in errors.items():
        mapper = RowMapper(facts[name])
        for error in found:
            if error["type"] != "blank-row" and error["rowNumber"] in blank[name]:
                continue
            yield translate(package, name, mapper, error)
