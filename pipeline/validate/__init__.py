"""Validation: files, headers, frictionless, cross-field rules and privacy, in one report.

Order matters: a file that is missing, not UTF-8 or whose header is wrong
cannot be parsed meaningfully, so such problems are reported alone; otherwise
every check runs and all findings come back together.
"""

from __future__ import annotations

from collections.abc import Iterator

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import findings as fd
from pipeline import privacy
from pipeline.cache import FileCache
from pipeline.frames import Ledger, build_ledger, located, located_concat
from pipeline.package import DataPackage, PackageError, load
from pipeline.validate.fast import ResourceText, run_fast
from pipeline.validate.files import FileFacts, check_files, with_record_counts
from pipeline.validate.rules import run_rules
from pipeline.validate.scan import (EncodingProblem, FileWork, local_file_errors, personal_findings,
                                    personal_numbers, plan_files, work_files)
from pipeline.validate.structural import check_headers, run_frictionless


ENGINES = ("fast", "frictionless")


def validate(root: Path, engine: str = "fast", cache: FileCache | None = None) -> tuple[fd.Report, Ledger | None]:
    """All checks of the package in ``root``; the typed ledger when the data could be read.

    ``engine`` chooses who runs the structural checks: our vectorised engine
    (default) or frictionless itself (the reference); both report the same findings.
    ``cache`` keeps per-segment work between runs (fast engine only; see pipeline/validate/scan.py).
    """
    cache = cache or FileCache(None)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    try:
        package = load(root)
    except PackageError as exc:
        return fd.Report.of(exc.findings), None
    file_findings, facts = check_files(package)
    encoding, plans = plan_files(package, facts, cache if engine == "fast" else FileCache(None))
    unreadable = {f.path for f in encoding}
    readable = {name: [f for f in items if f.file.rel not in unreadable] for name, items in facts.items()}
    file_findings += encoding + list(check_headers(package, readable))
    if file_findings:
        return fd.Report.of(file_findings), None
    if engine == "fast":
        try:
            works = work_files(package, plans, cache)
        except EncodingProblem as problem:  # a file changed while it was being read
            return fd.Report.of([problem.finding]), None
        findings = list(structural_findings(package, works))
        ledger = build_ledger(package, {name: resource_frame(package, name, items) for name, items in works.items()})
        findings += [f for name, items in works.items() for work in items for f in personal_findings(name, work)]
    else:
        findings = list(run_frictionless(package, with_record_counts(facts)))
        ledger = build_ledger(package)
        findings += list(ledger_personal_findings(package, ledger))
    findings += list(run_rules(ledger))
    return fd.Report.of(findings), ledger


def structural_findings(package: DataPackage, works: dict[str, list[FileWork]]) -> Iterator[fd.Finding]:
    """The fast engine: row-local errors from the segments, then the checks across rows and files."""
    texts: dict[str, ResourceText] = {}
    local: dict[str, tuple[list[dict], set[int]]] = {}
    facts: dict[str, list[FileFacts]] = {}
    for name, items in works.items():
        errors, blank, frames, position = [], set(), [], 2  # frictionless counts the header as position 1
        for work in items:
            found, found_blank = local_file_errors(work, position)
            errors += found
            blank |= found_blank
            if work.records:
                frames.append(work.frame("keys").assign(_pos=np.arange(position, position + work.records)))
            position += work.records
        texts[name] = ResourceText(name, pd.concat(frames, ignore_index=True) if len(frames) > 1 else
                                   frames[0] if frames else _empty_keys(package, name))
        local[name] = (errors, blank)
        facts[name] = [FileFacts(work.file, work.records) for work in items]
    yield from run_fast(package, texts, local, facts)


def _empty_keys(package: DataPackage, name: str) -> pd.DataFrame:
    from pipeline.tables import TEXT
    from pipeline.validate.fast import key_field_names

    keys = key_field_names(package, name)
    return pd.DataFrame({f["name"]: pd.Series(dtype=TEXT) for f in package.fields(name) if f["name"] in keys}
                        | {"_pos": pd.Series(dtype="int64")})


def resource_frame(package: DataPackage, name: str, works: list[FileWork]) -> pd.DataFrame:
    """A resource's typed rows from its files' segments, located by file and spreadsheet row."""
    parts = [located(work.frame("typed"), work.file.rel) for work in works if work.records]
    return located_concat(parts, package.fields(name))


def ledger_personal_findings(package: DataPackage, ledger: Ledger) -> Iterator[fd.Finding]:
    """Personal numbers in free text, from the ledger's frames (the frictionless engine's path)."""
    for name in package.resource_names:
        frame = ledger.frames[name]
        columns = privacy.free_text_fields(package.fields(name), privacy.key_fields(package.resource(name)["schema"]))
        for column, index, kind, masked in personal_numbers(frame, columns):
            yield fd.make(f"pii-{kind}", path=frame["_path"].iat[index], row=int(frame["_row"].iat[index]),
                          field=column, resource=name, value=masked, masked=masked)
