"""The fast engine's key checks: unique fields, primary keys and foreign keys.

Each resource's key fields are typed once (``key_errors``), then compared with pandas group
operations; positions and error dictionaries are exactly frictionless' (see ``fast.py``).
"""

from __future__ import annotations

from decimal import Context, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.package import DataPackage
from pipeline.validate.fast import ResourceText, _error, typed_values
from pipeline.validate.translate import foreign_keys, key_is_unique_field, primary_key

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
    # Each distinct value once: values pandas' hash table takes for equal are equal to Python (``==``
    # and ``hash`` agree: 1, 1.0, Decimal("1.00") and True are one value), and so are their texts here;
    # each KeyNaN is its own value (it is equal to nothing), missing values come back as code -1.
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    if not len(uniques):
        return pd.Series("\0None", index=column.index, dtype=object)
    texts = np.array([None if isinstance(u, KeyNaN) else _comparable(u, None) for u in uniques] + ["\0None"],
                     dtype=object)
    found = texts[codes]  # code -1: the last, "\0None"
    nans = np.flatnonzero(found == None)  # noqa: E711  (elementwise)
    if len(nans):  # each row's NaN is its own value
        found[nans] = [_comparable(column.iat[i], column.index[i]) for i in nans]
    return pd.Series(found, index=column.index, dtype=object)


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


def key_typed_values(package: DataPackage, text: ResourceText) -> dict[str, pd.Series]:
    """The typed values of a resource's key fields (``key_field_names``), in the schema's order."""
    keys = key_field_names(package, text.name)
    return {spec["name"]: _key_typed(text.frame[spec["name"]], spec) for spec in package.fields(text.name)
            if spec["name"] in keys}


def key_errors(package: DataPackage, text: ResourceText) -> tuple[list[dict], dict[str, pd.Series]]:
    """Unique and primary-key errors of a resource, and its key fields' typed values."""
    fields = package.fields(text.name)
    errors: list[dict] = []
    typed = key_typed_values(package, text)
    for number, spec in enumerate(fields, start=1):
        if spec["name"] in typed and spec.get("constraints", {}).get("unique"):
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
