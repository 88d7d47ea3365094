"""Validation: files, headers, frictionless, cross-field rules and privacy, in one report.

Order matters: a file that is missing, not UTF-8 or whose header is wrong
cannot be parsed meaningfully, so such problems are reported alone; otherwise
every check runs and all findings come back together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import findings as fd
from pipeline.validate import foreign_delta, privacy
from pipeline.core.cache import FileCache, to_frame
from pipeline.core.descriptor import OWNED, VERSION_2_FIELDS, load_standard
from pipeline.core.memory import release_freed_memory
from pipeline.core.ledger import (DERIVED, EVERY, Ledger, base_columns, build_ledger, located,
                                  located_concat)
from pipeline.core.package import DESCRIPTOR, DataPackage, PackageError, load, resource_paths
from pipeline.core.csv_read import TEXT, read_text_table
from pipeline.validate.fast import ResourceText, handed_to_frictionless, structural_findings
from pipeline.validate.keys import foreign_key_errors, key_errors, key_field_names, key_typed_values
from pipeline.validate.files import STILL_READ, FileFacts, check_files, with_record_counts
from pipeline.validate.records import with_record_ids
from pipeline.validate.rules import RULES, consequences_dropped, failed_cells, rules_for, run_rule, run_rules
from pipeline.validate import rules_v2  # noqa: F401  (registers the version 2 rules in RULES)
from pipeline.validate import rules_burden  # noqa: F401  (registers the burden rules in RULES)
from pipeline.validate import rules_totals  # noqa: F401  (registers the publishable-integer rules in RULES)
from pipeline.validate.stages import KEYS, StageCache
from pipeline.validate.scan import (EncodingProblem, FileWork, beyond_memory, local_file_errors, one_thread,
                                    personal_finding, Planner, personal_findings, personal_numbers, plan_files,
                                    validated_digests, work_files)
from pipeline.validate.structural import check_headers, handed_over_findings, run_frictionless
from pipeline.validate.translate import foreign_keys


ENGINES = ("fast", "frictionless")


def validate(root: Path, engine: str = "fast", cache: FileCache | None = None,
             ledger_needed: bool = True) -> tuple[fd.Report, Ledger | None]:
    """All checks of the package in ``root``; the typed ledger when the data could be read.

    ``engine`` chooses who runs the structural checks: our vectorised engine
    (default) or frictionless itself (the reference); both report the same findings.
    ``cache`` keeps per-segment work and check results between runs (fast engine only;
    see pipeline/validate/scan.py and stages.py). With ``ledger_needed=False`` the ledger is
    built only if a check needs it, and may come back None for valid data.
    """
    cache = cache or FileCache(None)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    try:
        package = load(root)
    except PackageError as exc:
        return _report(exc.findings, load_standard()), None
    # The data is checked against the standard's schemas whatever the descriptor says;
    # where the descriptor differs from the standard, that is reported beside the data's findings.
    findings, ledger = validate_package(package, engine, cache, ledger_needed)
    metadata = list(descriptor_personal_findings(package.descriptor))
    return _report([*package.findings, *metadata, *findings], package.descriptor), ledger  # titled and masked once


def validate_package(package: DataPackage, engine: str, cache: FileCache,
                     ledger_needed: bool) -> tuple[list[fd.Finding], Ledger | None]:
    # Each file is opened once: its size and first bytes, its cut and SHA-256, its header and (fast
    # engine) the work on its records take the same bytes (``Planner.held``, scan.py).
    planner = Planner(package, cache if engine == "fast" else FileCache(None))
    file_findings, facts = check_files(package, planner.held)
    encoding, plans = plan_files(package, facts, planner)
    unreadable = {f.path for f in encoding}
    readable = {name: [f for f in items if f.file.rel not in unreadable] for name, items in facts.items()}
    header_ends = {plan.file.rel: plan.cut.header[1] or None for items in plans.values() for plan in items}
    file_findings += encoding + list(check_headers(package, readable,
                                                   lambda file: planner.held.head(file, header_ends.get(file.rel))))
    planner.held.forget()  # each plan holds its file's bytes until the file is worked on
    if any(f.code not in STILL_READ for f in file_findings):
        return file_findings, None
    findings, ledger = _checked_records(package, engine, cache, ledger_needed, facts, plans)
    return file_findings + findings, ledger  # a file over the host's limit is still checked


def _checked_records(package: DataPackage, engine: str, cache: FileCache, ledger_needed: bool,
                     facts: dict, plans: dict) -> tuple[list[fd.Finding], Ledger | None]:
    if engine == "frictionless":  # the reference: frictionless and the ledger read the files themselves
        held = {plan.file.rel: plan.data for items in plans.values() for plan in items if plan.data is not None}
        findings = list(run_frictionless(package, with_record_counts(facts, held)))
        ledger = build_ledger(package)
        ledger.validated = validated_digests(plans)
        failed = failed_cells(findings)
        findings += list(text_personal_findings(package, held))
        findings += list(run_rules(ledger, failed))
        return with_record_ids(package, findings), ledger
    try:
        works = work_files(package, plans, cache, None if ledger_needed else columns_the_rules_read(package))
        alone = one_thread(plans)
        findings, ledger = checks_across_segments(package, works, StageCache(package, works, cache), ledger_needed,
                                                  side_by_side=not (beyond_memory(plans) or alone), alone=alone)
    except EncodingProblem as problem:  # a file changed while it was being read
        return [problem.finding], None
    findings += [f for name, items in works.items() for work in items for f in personal_findings(name, work)]
    if ledger is not None:
        ledger.validated = validated_digests(plans)
    return with_record_ids(package, findings), ledger  # each finding of a data row names its record


def checks_across_segments(package: DataPackage, works: dict[str, list[FileWork]], stages: StageCache,
                           ledger_needed: bool, side_by_side: bool = True,
                           alone: bool = False) -> tuple[list[fd.Finding], Ledger | None]:
    """Row-local errors from the segments; key checks and rules, each recalled or computed.

    The key checks and the rules run ``side_by_side`` on two threads, or (a megacity's year,
    ``scan.beyond_memory``) one after the other, so that their peaks do not meet (9.7 GB at ten
    million issues): the rules first, one at a time, when their ledger is let go after them (``ledger
    validate``), the key checks first when the ledger stays (``ledger build``)."""
    starts = {name: first_positions(items) for name, items in works.items()}
    records = sum(work.records for items in works.values() for work in items)
    local: dict[str, list[dict]] = {}
    blank: dict[str, set[int]] = {}
    for name, items in works.items():
        local[name], blank[name] = [], set()
        for work, start in zip(items, starts[name]):
            found, found_blank = local_file_errors(work, start)
            local[name] += found
            blank[name] |= found_blank
    built: list[Ledger] = []
    building = threading.Lock()

    specs = rules_for(package)
    # Each rule, or each resource's part of a rule checked per resource, is recalled or computed. What is
    # to be computed is known first: ``ledger validate``'s ledger holds only what those parts read.
    parts = [(index, name, columns) for index, spec in enumerate(specs) for name, columns in spec.parts(package)]
    recalled = [stages.recall(name, base_columns(columns)) for _, name, columns in parts]
    outcomes: list[list[dict] | None] = [stored for _, stored in recalled]  # type: ignore[misc]
    missed = [n for n, stored in enumerate(outcomes) if stored is None]
    reads = [parts[n][2] for n in missed]

    def ledger() -> Ledger:  # built at most once, and only when something needs it
        with building:
            if not built:  # when only the rules need it, of only what the rules to run read
                lean = not ledger_needed
                try:
                    built.append(build_ledger(package, typed_frames(package, works, columns_read(package, reads)
                                                                    if lean else None),
                                              derived_read(reads) if lean else None))
                except Exception as failure:  # the segments' tables are spent: every caller gets this failure
                    built.append(failure)
            if isinstance(built[0], Exception):
                raise built[0]
        return built[0]

    waiting = iter(missed)
    taking = threading.Lock()

    def work_on_rules() -> None:
        """Take the next rule part not yet taken until none is left: a second thread joins in when it is free."""
        while True:
            with taking:
                number = next(waiting, None)
            if number is None:
                return
            index, _, columns = parts[number]
            outcomes[number] = [f.to_dict() for f in run_rule(specs[index], ledger(), columns)]
            stages.store(recalled[number][0], outcomes[number])

    def rules_first() -> None:
        if ledger_needed:
            ledger()
        work_on_rules()

    # The rules read the typed rows, the key checks the key text: neither reads what the other makes,
    # so they run side by side (the Arrow and pandas kernels of each release the GIL); once the key
    # checks are done, this thread takes rules too. Each rule's result keeps its place in ``results``,
    # so the findings come out in the same order however the rules were shared. Only dropping a rule's
    # findings that follow from a failed cell waits for both.
    def checked_keys() -> dict[str, list[dict]]:
        keyed = key_checks(package, works, starts, stages)
        release_freed_memory(records)  # what the key checks' frames held, before what comes next
        return keyed

    with (InlineExecutor() if alone else ThreadPoolExecutor(max_workers=1)) as pool:
        if side_by_side:
            ruled = pool.submit(rules_first)
            keyed = key_checks(package, works, starts, stages)
        elif ledger_needed:  # the ledger stays for the build: the key checks' frames go before it is made
            keyed = checked_keys()
            ruled = pool.submit(rules_first)
        else:  # the rules' ledger goes once they are done, before the key checks; one rule at a time, so that
            ruled = pool.submit(rules_first)  # two rules' own frames never meet (+0.6 GB at ten million issues)
            ruled.result()
            built.clear()
            release_freed_memory(records)
            keyed = checked_keys()
        handed = handed_to_frictionless(package)  # resources using a feature the fast engine lacks
        errors = {name: local[name] + keyed.get(name, []) for name in works if name not in handed}
        facts = {name: [FileFacts(work.file, work.records) for work in items] for name, items in works.items()}
        findings = list(structural_findings(package, errors, blank, facts))
        findings += handed_over_findings(package, handed, facts)
        work_on_rules()
        ruled.result()
    failed = failed_cells(findings)
    results: list[list[dict]] = [[] for _ in specs]
    for (index, _, _), stored in zip(parts, outcomes):
        results[index] += stored  # type: ignore[arg-type]
    for spec, stored in zip(specs, results):
        findings += consequences_dropped(spec, [fd.Finding(**item) for item in stored], failed, package)
    return findings, built[0] if built and ledger_needed else None


class InlineExecutor:
    """An executor that runs each task at once on the calling thread: for a small package (``scan.one_thread``),
    whose rules are a few milliseconds of Python each, where a second thread taking rules only added the
    hand-overs of the interpreter lock."""

    def __enter__(self) -> "InlineExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[[], object]) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn())
        except BaseException as failure:  # raised by ``result()``, as a pool's future does
            done.set_exception(failure)
        return done


def key_checks(package: DataPackage, works: dict[str, list[FileWork]], starts: dict[str, list[int]],
               stages: StageCache) -> dict[str, list[dict]]:
    """Unique, primary-key and foreign-key errors of every resource, each check recalled or computed.

    A resource's unique and primary-key checks read its own key text only; a foreign key reads the
    key text of its resource and of the resource it refers to. Each is a stage of its own, so a pull
    request that adds issues re-checks the issue ids and the references to and from issues, not the
    primary key of the events (three million rows at a million issues). Within one resource the
    checks need every row at once (a duplicate may sit in any other segment): they are not per segment.
    Errors come back in the order ``key_check_errors`` gives them: per resource, its unique and
    primary-key errors, then each foreign key's in the schema's order.
    """
    texts: dict[str, ResourceText] = {}
    typed: dict[str, dict[str, pd.Series]] = {}

    def text(name: str) -> ResourceText:  # read once, and only for a check computed again
        if name not in texts:
            texts[name] = key_texts(package, {name: works[name]}, starts)[name]
        return texts[name]

    def key_typed(name: str) -> dict[str, pd.Series]:
        if name not in typed:
            typed[name] = key_typed_values(package, text(name))
        return typed[name]

    def own_errors(name: str) -> dict[str, list[dict]]:
        errors, typed[name] = key_errors(package, text(name))  # the typed keys serve its foreign keys too
        return {name: errors}

    found: dict[str, list[dict]] = {}
    referred: dict = {}  # what the foreign keys into one resource share (``foreign_delta.delta_errors``)
    for name in works:
        own = stages.through(f"{KEYS}:{name}", {name: {KEYS}}, lambda name=name: own_errors(name))
        found[name] = list(own.get(name, []))
    for name in works:
        for number, fk in enumerate(foreign_keys(package, name)):
            source = fk["reference"]["resource"]
            if source not in works:
                continue
            stage = f"{KEYS}:{name}:fk{number}"

            def checked(name=name, fk=fk, source=source, stage=stage) -> dict[str, list[dict]]:
                referring = stages.key(stage, {name: {KEYS}})
                errors = foreign_delta.delta_errors(package, name, fk, stage, referring, works, stages,
                                                    lambda: text(source), referred)
                if errors is None:  # in full
                    errors = foreign_key_errors(name, fk, {name: key_typed(name), source: key_typed(source)}, text(name))
                foreign_delta.record(stages, stage, referring, works[source], errors)
                return {name: errors}

            found[name] += stages.through(stage, {name: {KEYS}, source: {KEYS}}, checked).get(name, [])
    return found


def first_positions(items: list[FileWork]) -> list[int]:
    """Each file's first row position in its resource, as frictionless counts (the header is 1)."""
    starts, position = [], 2
    for work in items:
        starts.append(position)
        position += work.records
    return starts


def key_texts(package: DataPackage, works: dict[str, list[FileWork]],
              starts: dict[str, list[int]]) -> dict[str, ResourceText]:
    """The key text of every resource, each row with its position as frictionless counts it."""
    texts = {}
    for name, items in works.items():
        frames = [work.take("keys").assign(_pos=np.arange(start, start + work.records))
                  for work, start in zip(items, starts[name]) if work.records]
        texts[name] = ResourceText(name, pd.concat(frames, ignore_index=True) if len(frames) > 1 else
                                   frames[0] if frames else _empty_keys(package, name))
    return texts


def typed_frames(package: DataPackage, works: dict[str, list[FileWork]],
                 columns: dict[str, set[str]] | None = None) -> dict[str, pd.DataFrame]:
    """Each resource's typed rows: every column, or only ``columns`` (resource → field names), then with
    the text of few values as categories (``as_categories``)."""
    return {name: resource_frame(package, name, items, None if columns is None else columns.get(name, set()),
                                 as_categories=columns is not None)
            for name, items in works.items()}


def closed_lists(fields: list[dict]) -> dict[str, list[str]]:
    """Each text field of a closed list (``enum``) → its values, sorted (so that categories sort as text does)."""
    return {f["name"]: sorted(set(f["constraints"]["enum"])) for f in fields
            if "enum" in f.get("constraints", {}) and f.get("type", "string") == "string"}


def columns_the_rules_read(package: DataPackage) -> dict[str, set[str]]:
    """The fields of each resource that the rules read, or that the derived columns they read are made
    from (``DERIVED``, ``derived_read``), and what every ledger reads (the regions' tree, the
    calendar): a ledger of only these is enough for every rule, and ``ledger validate`` builds no other.
    At a million issues it leaves out most of the text (titles, summaries, replies), which only the
    per-segment checks read, and the issues' places, departments and categories, which no rule reads."""
    return columns_read(package, [spec.columns(package) for spec in rules_for(package)])


def columns_read(package: DataPackage, reads: list[dict[str, tuple[str, ...]]]) -> dict[str, set[str]]:
    """The fields behind what ``reads`` (each the ledger columns a rule, or a part of one, reads) name,
    and what every ledger reads (``columns_the_rules_read``)."""
    needed: dict[str, set[str]] = {"regions": {"code", "parent_code"}, "holidays": {EVERY}}
    for columns in reads:
        for name, names in base_columns(columns).items():
            needed.setdefault(name, set()).update(names)
    for name, names in VERSION_2_FIELDS.items():  # present, so that the ledger does not fill them in empty
        needed.setdefault(name, set()).update(names)
    return needed


def derived_read(reads: list[dict[str, tuple[str, ...]]]) -> set[tuple[str, str]]:
    """The derived columns (``DERIVED``) that ``reads`` name: the only ones ``ledger validate``'s ledger adds."""
    return {(name, column) for columns in reads for name, names in columns.items()
            for column in names if (name, column) in DERIVED}


def _empty_keys(package: DataPackage, name: str) -> pd.DataFrame:
    keys = key_field_names(package, name)
    return pd.DataFrame({f["name"]: pd.Series(dtype=TEXT) for f in package.fields(name) if f["name"] in keys}
                        | {"_pos": pd.Series(dtype="int64")})


def resource_frame(package: DataPackage, name: str, works: list[FileWork],
                   columns: set[str] | None = None, as_categories: bool = False) -> pd.DataFrame:
    """A resource's typed rows from its files' segments, located by file and spreadsheet row; of every
    field, or of the fields in ``columns`` only (all of them if it holds ``EVERY``).

    ``as_categories`` holds the file paths and every field of a closed list (``closed_lists``) as pandas
    categories, a byte a row instead of the text (at ten million issues these were half of the rules'
    ledger). Only ``ledger validate``'s ledger, read by the rules alone, is made so; tests hold its
    findings equal to those of the whole ledger, on every defect fixture and randomly broken copies.

    The segments' tables are copied out a few at a time (``typed_pieces``), then each column is joined
    in one piece and turned into pandas, one column after the other, its pieces let go as it is done:
    the rows are held about once while the frame is made, not three times (the segments, mapped from the
    cache, their joined copy and the frame: 7.4 GB at ten million issues). The frame is the one
    ``located_concat`` of the files' located frames gives: the same columns, dtypes and values, each
    column in one piece (every later filter pays per piece)."""
    fields = [f for f in package.fields(name) if columns is None or EVERY in columns or f["name"] in columns]
    names = [f["name"] for f in fields]
    files = [(work.file.rel, work.records) for work in works if work.records]
    pieces = typed_pieces([work for work in works if work.records], names) if files and names else None
    if pieces is None:
        return located_concat([located(pd.DataFrame(index=pd.RangeIndex(records)), rel) for rel, records in files],
                              fields)  # no rows, or no columns
    table = pa.concat_tables(pieces)
    del pieces  # the table's columns hold the pieces' buffers, each let go with its column
    counts = np.array([records for _, records in files], dtype=np.int64)
    paths = pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(len(files), dtype=np.int32), counts)),
                                           pa.array([rel for rel, _ in files], type=pa.string()))
    categories = {"_path": sorted(rel for rel, _ in files), **closed_lists(fields)} if as_categories else {}
    frame = to_frame(pa.table({"_path": paths if as_categories else paths.cast(pa.string())}))
    starts = np.repeat(np.cumsum(counts) - counts, counts)  # each row's file begins at its spreadsheet row 2
    frame["_row"] = np.arange(len(frame), dtype=np.int64) - starts + 2
    if table.nbytes <= WHOLE_TABLE_BYTES:  # small: one conversion, not one a column (most of a small package's ledger)
        table = table.combine_chunks()
        for column in names:
            if column in categories:
                table = table.set_column(table.schema.get_field_index(column), column,
                                         pc.dictionary_encode(table.column(column)))
        frame = pd.concat([frame, to_frame(table.select(names))], axis=1)
        names = []
    for column in names:
        # (a text column over 2 GiB stays in as few pieces as Arrow's 32-bit offsets allow; pandas' text is 64-bit)
        joined = pa.table({column: table.column(column)}).combine_chunks()
        table = table.drop_columns([column])
        if column in categories:  # encoded in Arrow, turned into pandas categories without the text
            joined = pa.table({column: pc.dictionary_encode(joined.column(0))})
        frame[column] = to_frame(joined)[column]
    for column, values in categories.items():
        frame[column] = frame[column].cat.set_categories(values)
    return frame


# A resource's typed rows up to this size are turned into pandas in one conversion; larger ones a column at a time
# (each column's pieces let go as it is done, see ``resource_frame``).
WHOLE_TABLE_BYTES = 4 << 20
PIECE_BYTES = 256 << 20  # typed rows copied out of the segments' tables this much at a time


def typed_pieces(works: list[FileWork], names: list[str]) -> list[pa.Table] | None:
    """The typed rows of ``names`` of every segment of ``works``, in order, copied into tables of about
    ``PIECE_BYTES`` each; every segment lets go of its table once copied, so that no more than a piece's
    segments are held (or mapped from the cache) at once. None when the segments' tables have no columns."""
    pieces: list[pa.Table] = []
    group: list[pa.Table] = []
    grouped = 0  # bytes in ``group``

    def copied() -> None:
        joined = pa.concat_tables(group)  # concat_arrays copies even a single chunk: nothing stays mapped
        pieces.append(pa.table({n: pa.concat_arrays(joined.column(n).chunks) for n in names}))
        group.clear()

    for work in works:
        for index in range(len(work.segments)):
            table = work.taken(index, "typed")
            if table.num_columns == 0:
                return None
            group.append(table.select(names))
            grouped += group[-1].nbytes
            if grouped >= PIECE_BYTES:
                copied()
                grouped = 0
    if group:
        copied()
    return pieces


def _report(findings: list[fd.Finding], descriptor: dict) -> fd.Report:
    """The report: each finding with its field's Chinese title (from ``descriptor``'s schemas: the checks,
    and the results recalled from the cache, name fields by their names only), personal numbers masked."""
    return fd.Report.of(personal_values_masked(fd.with_field_titles(findings, descriptor)))


def personal_values_masked(findings: list[fd.Finding]) -> list[fd.Finding]:
    """Findings whose value holds a personal number (a type error on a mobile number, a header that
    is one) show the value masked, in the value and in their messages: a report or pull-request
    comment must not publish what the data may not."""
    shown = [f.value if f.value is not None and not f.code.startswith("pii-") else "" for f in findings]
    risky = {int(i) for i in privacy.candidates(pa.array(shown, type=pa.string()))
             if next(privacy.scan(shown[int(i)]), None) is not None}
    return [replace(f, value=privacy.mask(f.value), **{
        name: getattr(f, name).replace(f.value, privacy.mask(f.value))
        for name in ("message_zh", "message_en", "fix_zh", "fix_en")}) if i in risky else f
        for i, f in enumerate(findings)]


def descriptor_personal_findings(descriptor: dict) -> Iterator[fd.Finding]:
    """Personal data in what the data owns of the descriptor (title, description, sources, contributors
    with any key they hold, the resources' file names …): it is published as it stands, in the package
    ZIP, the workbook's 说明 sheet and DCAT."""
    texts = [(where, text) for key in OWNED if key in descriptor for where, text in _texts_in(descriptor[key], key)]
    texts += [(f"resources[{i}].path", rel) for i, res in enumerate(descriptor["resources"]) for rel in resource_paths(res)]
    for where, text in texts:
        for match in privacy.scan(text):
            yield fd.make(f"pii-{match.kind}", path=DESCRIPTOR, field=where, value=match.masked, masked=match.masked)


def _texts_in(value: object, where: str) -> Iterator[tuple[str, str]]:
    """Every text in a JSON value, keys too, with where it stands (``contributors[0].phone``)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", str(key)
            yield from _texts_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _texts_in(item, f"{where}[{position}]")
    elif value is not None and not isinstance(value, bool):
        yield where, str(value)  # a number: 13812345678 written without quotes


def text_personal_findings(package: DataPackage, held: dict[str, bytes] | None = None) -> Iterator[fd.Finding]:
    """Personal numbers in every cell of every file, as written (the frictionless engine's path), from
    the bytes validation read (``held``: file → bytes) where it has them."""
    held = held or {}
    for name in package.resource_names:
        names = [f["name"] for f in package.fields(name)]
        for file in package.files(name):
            text = read_text_table(held.get(file.rel, file.abs), names).frame
            for column, index, kind, masked in personal_numbers(text, names):
                yield personal_finding(name, file.rel, index + 2, column, kind, masked)
