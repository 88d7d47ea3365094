"""Validation: files, headers, frictionless, cross-field rules and privacy, in one report.

Order matters: a file that is not UTF-8 or whose header is wrong cannot be
parsed meaningfully, so such problems are reported alone; otherwise every
check runs and all findings come back together.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline import findings as fd
from pipeline import privacy
from pipeline.cache import FileCache
from pipeline.frames import Ledger, build_ledger
from pipeline.package import DataPackage, PackageError, load
from pipeline.validate.fast import read_texts, run_fast
from pipeline.validate.files import check_files, with_record_counts
from pipeline.validate.rules import run_rules
from pipeline.validate.structural import check_headers, run_frictionless


ENGINES = ("fast", "frictionless")


def validate(root: Path, engine: str = "fast", cache: FileCache | None = None) -> tuple[fd.Report, Ledger | None]:
    """All checks of the package in ``root``; the typed ledger when the data could be read.

    ``engine`` chooses who runs the structural checks: our vectorised engine
    (default) or frictionless itself (the reference); both report the same findings.
    ``cache`` keeps per-file work between runs (fast engine only; see pipeline/cache.py).
    """
    cache = cache or FileCache(None)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    try:
        package = load(root)
    except PackageError as exc:
        return fd.Report.of(exc.findings), None
    file_findings, facts = check_files(package)
    file_findings += list(check_headers(package, facts))
    if file_findings:
        return fd.Report.of(file_findings), None
    if engine == "fast":
        texts = read_texts(package, facts, cache)
        findings = list(run_fast(package, facts, texts, cache))
        keys = {(name, f.rel): k for name, text in texts.items() for f, k in zip(package.files(name), text.keys)}
        file_keys = {name: text.keys for name, text in texts.items()}
        columns = {name: [t.frame for t in text.tables] for name, text in texts.items()}
        del texts  # build_ledger releases each resource's text once it is typed
        ledger = build_ledger(package, columns, file_keys, cache)
    else:
        findings = list(run_frictionless(package, with_record_counts(facts)))
        ledger = build_ledger(package)
        keys = {}
    findings += list(run_rules(ledger))
    findings += list(privacy_findings(package, ledger, keys, cache))
    return fd.Report.of(findings), ledger


def privacy_findings(package: DataPackage, ledger: Ledger, keys: dict[tuple[str, str], str | None],
                     cache: FileCache) -> Iterator[fd.Finding]:
    """Personal numbers in free text, file by file (a file's result is cached with its key)."""
    for name in package.resource_names:
        frame = ledger.frames[name]
        schema = package.resource(name)["schema"]
        columns = privacy.free_text_fields(package.fields(name), privacy.key_fields(schema))
        for file in package.files(name):
            key = keys.get((name, file.rel))
            stored = cache.get_json(key, "privacy.json")
            if stored is None:
                part = frame[frame["_path"] == file.rel] if len(package.files(name)) > 1 else frame
                stored = [f.to_dict() for f in _scan_frame(name, part, columns)]
                cache.put_json(key, "privacy.json", stored)
            yield from (fd.Finding(**item) for item in stored)


def _scan_frame(name: str, frame, columns: list[str]) -> Iterator[fd.Finding]:
    codes = {"id-number": "pii-id-number", "mobile": "pii-mobile"}
    for column in columns:
        cells = frame[column].dropna()
        candidates = cells[cells.astype("str").str.contains(privacy.CANDIDATE, regex=True)]
        for index, text in candidates.items():
            for match in privacy.scan(text):
                row = frame.loc[index]
                yield fd.make(codes[match.kind], path=row["_path"], row=int(row["_row"]), field=column,
                              resource=name, value=match.masked, masked=match.masked)
