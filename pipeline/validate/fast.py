"""The fast structural engine: frictionless' checks as column operations.

It reports exactly what frictionless reports on the same data — same error
type, row position, field and note — and hands the same error dictionaries to
``translate.translate`` so that messages are identical too. Speed comes from
three things: one multithreaded parse per file (pyarrow), type and constraint
checks on each column's *distinct* values (a date column of a million rows has
a few hundred), and keys checked with pandas group operations (keys.py).
Frictionless stays the reference (``ledger validate --engine frictionless``);
tests/test_engines.py runs both on every fixture and on generated broken data.
"""

from __future__ import annotations

import re
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
from pipeline.validate.translate import RowMapper, foreign_keys, translate

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
FAST_DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False, "header": True,
                "headerRows": [1], "commentRows": [], "skipBlankRows": False}
# a reader of RFC 4180 takes either line end; header labels are checked by our own code in both engines; headerJoin
# joins several header rows, and there is one
FAST_DIALECT_FREE = {"lineTerminator", "caseSensitiveHeader", "headerCase", "headerJoin"}


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
    blank_mask = np.ones(len(text.frame), dtype=bool)
    for name in names:
        blank_mask &= ~filled(text.frame[name])
    blank = set(text.frame["_pos"].to_numpy()[blank_mask].astype(int).tolist())
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


def _pattern_flags(cells: list[str], pattern: str) -> list[bool]:
    """``_pattern_mask`` of a few cells, with the same kernels: RE2 for plain ASCII, Python elsewhere."""
    matched = pc.match_substring_regex(pa.array(cells, type=pa.string()), pattern=f"^(?:{pattern})$").to_pylist()
    compiled = re.compile(pattern)
    return [compiled.fullmatch(cell) is not None if not cell.isascii() or "\n" in cell else bool(found)
            for cell, found in zip(cells, matched)]


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


def filled(column: pd.Series) -> np.ndarray:
    """Where a text column holds a cell that is neither missing nor empty. On Arrow-backed text by Arrow's
    kernels: pandas' own operators cost about ten times as much per column, and validation asks this of
    every column of every segment."""
    array = getattr(column.array, "_pa_array", None)
    if isinstance(array, pa.ChunkedArray) and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return pc.fill_null(pc.greater(pc.binary_length(array), 0), False).to_numpy()
    return (column.notna() & column.ne("")).fillna(False).astype(bool).to_numpy()


def typed_values(column: pd.Series, spec: dict) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(typed values with None where missing or invalid, present mask, invalid mask) of one text column."""
    present = pd.Series(filled(column), index=column.index)
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


# Up to this many records a field is checked cell by cell (``_few_cells_errors``): pandas' cost per column
# and per mask (tens of microseconds a call, a dozen calls a field) is then most of the work. The test
# suite validates small packages, often cut into segments of two or three records, thousands of times.
FEW_RECORDS = 256


def field_errors(text: ResourceText, spec: dict, number: int, skip: set[int]) -> list[dict]:
    """Type and constraint errors of one field (row by row: no other row matters)."""
    if len(text.frame) <= FEW_RECORDS and not _list_length_checked(spec):
        return _few_cells_errors(text, spec, number, skip)
    return _column_errors(text, spec, number, skip)


def _column_errors(text: ResourceText, spec: dict, number: int, skip: set[int]) -> list[dict]:
    """``field_errors`` as column operations, each distinct text read once."""
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


# The order in which a field's constraint errors are reported, as the reference engine reports them, on both paths.
CONSTRAINTS_IN_ORDER = ("minLength", "maxLength", "minimum", "maximum", "pattern", "enum")


def _constraint_checks(spec: dict, column: pd.Series, typed: pd.Series, valid: pd.Series):
    constraints = spec.get("constraints", {})
    ftype = spec.get("type", "string")
    reader = reader_for(spec) or (lambda v: v)
    for key in CONSTRAINTS_IN_ORDER:
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
            else:  # each distinct text read once: its value is the typed cell's
                allowed = [reader(str(v)) for v in constraints[key]]
                yield key, _distinct_mask(column, valid, lambda text, a=allowed: reader(text) not in a)
                continue
        else:
            bound = reader(str(constraints[key]))
            # NaN is within no bound (as frictionless has it); comparing it would raise
            yield key, _distinct_mask(column, valid, lambda text, b=bound, k=key: _out_of_bound(reader(text), b, k))
            continue
        yield key, bad.reindex(column.index, fill_value=False)


def _list_length_checked(spec: dict) -> bool:
    """A list field with a length constraint: its items are split as pandas splits them (a delimiter of
    more than one character is a regular expression there), so it stays on the column path."""
    constraints = spec.get("constraints", {})
    return spec.get("type") == "list" and ("minLength" in constraints or "maxLength" in constraints)


def _few_cells_errors(text: ResourceText, spec: dict, number: int, skip: set[int]) -> list[dict]:
    """``field_errors`` of a few records, cell by cell: the same errors in the same order (type errors,
    then required, then each constraint in ``_constraint_checks``' order, then ``value_checks``).
    tests/test_validate_few_cells.py holds the two paths to each other on generated columns."""
    name, ftype = spec["name"], spec.get("type", "string")
    constraints = spec.get("constraints", {})
    cells = text.frame[name].tolist()
    positions = text.frame["_pos"].tolist()
    present = [not (cell is None or cell is pd.NA or cell != cell) and cell != "" for cell in cells]
    reader = reader_for(spec)
    invalid = [reader is not None and ok and reader(cell) is None for cell, ok in zip(cells, present)]
    valid = [ok and not bad for ok, bad in zip(present, invalid)]
    errors: list[dict] = []

    def add(kind: str, failing: list[bool], note: str) -> None:
        for position, cell, failed in zip(positions, cells, failing):
            if failed and position not in skip:
                errors.append(_error(kind, position, fieldName=name, fieldNumber=number,
                                     cell="None" if pd.isna(cell) else str(cell), note=note))

    def each_valid(failing: Callable[[str], bool]) -> list[bool]:
        return [ok and failing(cell) for cell, ok in zip(cells, valid)]

    add("type-error", invalid, f'type is "{ftype}/{spec.get("format", "default")}"')
    if constraints.get("required"):
        add("constraint-error", [not ok for ok in present], f'constraint "required" is "{constraints["required"]}"')
    read = reader or (lambda v: v)
    for key in CONSTRAINTS_IN_ORDER:
        if key not in constraints or not any(valid):
            continue
        if key in ("minLength", "maxLength"):
            if ftype != "string":
                continue  # a list's lengths: ``_list_length_checked``
            limit = constraints[key]
            failing = each_valid(lambda cell: len(cell) < limit if key == "minLength" else len(cell) > limit)
        elif key == "pattern":
            if ftype != "string":
                continue
            shown = [cell for cell, ok in zip(cells, valid) if ok]
            flags = iter(_pattern_flags(shown, constraints[key]))
            failing = [ok and not next(flags) for ok in valid]
        elif key == "enum":
            if ftype == "string":
                failing = each_valid(lambda cell: cell not in constraints[key])
            else:
                allowed = [read(str(v)) for v in constraints[key]]
                failing = each_valid(lambda cell: read(cell) not in allowed)
        else:
            bound = read(str(constraints[key]))
            failing = each_valid(lambda cell: _out_of_bound(read(cell), bound, key))
        add("constraint-error", failing, f'constraint "{key}" is "{constraints[key]}"')
    if any(valid):
        if ftype == "integer":
            add("integer-out-of-range", each_valid(lambda cell: values.integer_out_of_range(values.read_integer(cell))), "")
        elif ftype == "number":
            add("number-out-of-range", each_valid(
                lambda cell: values.number_problem(values.read_number(cell)) is not None), "")
        elif ftype == "string" and _needs_visible(spec):
            shown = [cell for cell, ok in zip(cells, valid) if ok]
            flags = iter(values.invisible_flags(pa.array(shown, type=pa.string())))
            add("invisible-value", [ok and next(flags) for ok in valid], "")
    return errors


def _out_of_bound(value, bound, key: str) -> bool:
    return value != value or (value < bound if key == "minimum" else value > bound)


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


def structural_findings(package: DataPackage, errors: dict[str, list[dict]], blank: dict[str, set[int]],
               facts: dict[str, list[FileFacts]]) -> Iterator[fd.Finding]:
    """Frictionless-shaped errors as findings; a blank row is one problem, not also its empty cells."""
    for name, found in errors.items():
        mapper = RowMapper(facts[name])
        for error in found:
            if error["type"] != "blank-row" and error["rowNumber"] in blank[name]:
                continue
            yield translate(package, name, mapper, error)
