"""Structural checks: headers (ours) and frictionless (types, constraints, keys).

frictionless numbers the rows of a multipart resource (issues split by year)
continuously and does not look at the headers of the second and later files,
so headers are checked here for every file and frictionless' row positions
are mapped back to (file, spreadsheet row) by ``translate.RowMapper``.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable, Iterator
from decimal import Decimal

from pipeline.core import findings as fd
from pipeline.core import values
from pipeline.core.package import DataPackage, ResourceFile
from pipeline.validate.fast import value_check_errors
from pipeline.validate.files import FileFacts
from pipeline.validate.translate import RowMapper, key_is_unique_field, translate


def check_headers(package: DataPackage, facts: dict[str, list[FileFacts]],
                  read: Callable[[ResourceFile], bytes]) -> Iterator[fd.Finding]:
    """The header of every file, from the bytes validation already read (``read``: at least the header record)."""
    for name, file_facts in facts.items():
        expected = [f["name"] for f in package.fields(name)]
        dialect = package.resource(name).get("dialect")
        if isinstance(dialect, dict) and dialect.get("header") is False:
            continue  # no header row: frictionless reads the fields by position, and so do we
        options = csv_options(dialect)
        for fact in file_facts:
            yield from _header_findings(fact.file, _read_header(read(fact.file), **options), expected)


def csv_options(dialect: object) -> dict:
    """Python csv's reading options for a resource's CSV dialect, as frictionless reads it (RFC 4180 where it
    is silent, or where it states what csv cannot take: frictionless rejects that descriptor)."""
    stated = dialect if isinstance(dialect, dict) else {}
    options = {"delimiter": stated.get("delimiter", ","), "quotechar": stated.get("quoteChar", '"'),
               "doublequote": stated.get("doubleQuote", True), "skipinitialspace": stated.get("skipInitialSpace", False)}
    try:
        csv.reader([], **options)
    except (TypeError, csv.Error):
        return {}
    return options


def _read_header(data: bytes, **options) -> list[str]:
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle, **options), [])


def _header_findings(file: ResourceFile, header: list[str], expected: list[str]) -> Iterator[fd.Finding]:
    """Compare the header with the schema, column by column (order matters, as in frictionless)."""
    where = {"path": file.rel, "row": 1, "resource": file.resource}
    seen: set[str] = set()
    for column, label in enumerate(header, start=1):
        want = expected[column - 1] if column <= len(expected) else None
        if label.strip() == "":
            yield fd.make("blank-label", **where, field=want, column=column)
        elif label in seen:
            yield fd.make("duplicate-label", **where, field=want, value=label, column=column)
        elif want is None:
            yield fd.make("extra-label", **where, value=label, column=column)
        elif label != want:
            yield fd.make("incorrect-label", **where, field=want, value=label, column=column, expected=want)
        seen.add(label)
    for name in expected[len(header):]:
        yield fd.make("missing-label", **where, field=name)


def run_frictionless(package: DataPackage, facts: dict[str, list[FileFacts]],
                     only: set[str] | None = None) -> Iterator[fd.Finding]:
    """frictionless' findings on the package; with ``only``, those of these resources alone (the ones the
    fast engine hands over: ``fast.handed_to_frictionless``)."""
    from frictionless import FrictionlessException, Package, system  # heavy import: only when validation runs

    system.register("sunshine-ledger", _plugin())  # sNaN read as the fast engine reads it (idempotent)
    # The package's descriptor, not the file: its schemas are the standard's (pipeline/core/descriptor.py);
    # whole_value_patterns works on a copy.
    descriptor = stated_dialects(whole_value_patterns(package.descriptor))
    if only is not None:  # closed under foreign keys: the resources handed over need no other
        descriptor["resources"] = [res for res in descriptor["resources"] if res["name"] in only]
    try:
        report = Package(descriptor, basepath=str(package.root)).validate()
    except FrictionlessException as exc:  # a descriptor frictionless rejects (e.g. a v2 constraint in v1)
        yield fd.make("package-error", path="datapackage.json",
                      detail=f"frictionless 不接受这个描述文件（{one_line(exc.error.message)}）")
        return
    mappers = {name: RowMapper(file_facts) for name, file_facts in facts.items()}
    for error in report.errors if only is None else []:  # package-level problems (descriptor)
        yield fd.make("package-error", path="datapackage.json", detail=error.message)
    for task in report.tasks:
        name = task.name
        if only is not None and name not in only:
            continue
        errors = [error.to_descriptor() for error in task.errors]
        if name in facts:  # the standard's own checks on values frictionless reads (pipeline/core/values.py)
            errors += value_check_errors(package, name, facts[name])
        # A blank row is one problem, not also a missing key on that row.
        blank = {e.get("rowNumber") for e in errors if e.get("type") == "blank-row"}
        for error in errors:
            if error.get("type") != "blank-row" and error.get("rowNumber") in blank:
                continue
            if error.get("type", "").endswith("-label"):
                continue  # the header of every file is checked by check_headers, as in the fast engine
            if error.get("type") == "primary-key" and key_is_unique_field(package, name):
                continue  # the unique-error on the same row already says it, with the field
            yield translate(package, name, mappers[name], error)


def handed_over_findings(package: DataPackage, handed: dict[str, str],
                         facts: dict[str, list[FileFacts]]) -> Iterator[fd.Finding]:
    """For the fast engine: a warning naming each resource it hands to frictionless and why, then
    frictionless' findings on those resources (``fast.handed_to_frictionless``)."""
    if not handed:
        return
    for name, feature in handed.items():
        yield fd.make("engine-handoff", path="datapackage.json", resource=name, feature=feature)
    yield from run_frictionless(package, {name: facts[name] for name in handed}, only=set(handed))


def _plugin():
    """A frictionless plugin whose number fields read ``sNaN`` as NaN (``values.read_number``): stock
    frictionless reads it as a signaling Decimal NaN and crashes comparing it with a minimum or maximum;
    and whose list values can be keys (stock frictionless crashes on a unique or primary-key list field)."""
    from frictionless import Plugin, fields

    class QuietNumberField(fields.NumberField):
        def create_value_reader(self):
            read = super().create_value_reader()

            def value_reader(cell):
                value = read(cell)
                return values.quiet(value) if isinstance(value, Decimal) else value

            return value_reader

    class HashableList(list):
        """A list value that a unique or primary-key check can hold in a dict (stock frictionless raises
        TypeError there); shown as a list."""

        def __hash__(self):
            return hash(tuple(self))

    class HashableListField(fields.ListField):
        def create_value_reader(self):
            read = super().create_value_reader()

            def value_reader(cell):
                value = read(cell)
                return HashableList(value) if isinstance(value, list) else value

            return value_reader

    class QuietNumbers(Plugin):
        def select_field_class(self, type=None):
            return {"number": QuietNumberField, "list": HashableListField}.get(type)

    return QuietNumbers()


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def stated_dialects(descriptor: dict) -> dict:
    """``descriptor`` (a copy) with every CSV dialect stated in full, the CSV defaults of Table Schema
    where it says nothing: frictionless would otherwise guess from the file (``skipInitialSpace`` after
    ``x, "y"``) and read it differently from the fast engine."""
    for resource in descriptor.get("resources", []):
        if resource.get("format", "csv") == "csv" and isinstance(resource.get("dialect", {}), dict):
            resource["dialect"] = {**CSV_DEFAULTS, **resource.get("dialect", {})}
    return descriptor


CSV_DEFAULTS = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False, "header": True}


def whole_value_patterns(descriptor: dict) -> dict:
    """The descriptor with every pattern anchored at the very end of the value.

    frictionless compiles ``^(pattern)$`` and uses ``re.match``, where ``$`` also matches before a
    trailing newline: "Q-001\\n" would pass ``^Q-\\d{3}$``. ``(?:pattern)\\Z`` leaves it no such
    place, so frictionless checks what the fast engine checks (``re.fullmatch``)."""
    anchored = copy.deepcopy(descriptor)
    for resource in anchored.get("resources", []):
        for spec in resource.get("schema", {}).get("fields", []):
            constraints = spec.get("constraints", {})
            if isinstance(constraints.get("pattern"), str):
                constraints["pattern"] = f"(?:{constraints['pattern']})\\Z"
    return anchored


