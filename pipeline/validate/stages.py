"""Checks across rows, files and resources, reused when exactly what they read is unchanged.

After the per-segment work (scan.py) two kinds of checks remain that no segment
can do alone: the key checks (each resource's unique and primary keys on its key
text, each foreign key on its two resources' key text: ``validate.key_checks``) and the cross-field rules (rules.py, each on the ledger
columns it declares; derived columns count as the columns they come from,
frames.DERIVED). Each result is stored under a key made of the tool version,
the descriptor, the snapshot date, the check's name and the digests of the
columns it reads, segment by segment, with each segment's record count (which
fixes the rows' numbers). When every result is found, the ledger is not even
built: a pull request that edits a title re-works that title's segment only.
A stored result counts only when this machine sealed it (pipeline/core/cache.py) and
it has the shape of the check's result; any other is computed again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import fields

from pipeline.core import findings as fd
from pipeline.core.cache import FileCache, tool_version
from pipeline.core.codes import CODES
from pipeline.core.ledger import EVERY
from pipeline.core.package import DataPackage
from pipeline.validate.scan import FileWork
from pipeline.validate.scan_store import error_shape

KEYS = "keys"  # the digest of a segment's key text, among its column digests


def is_key_stage(name: str) -> bool:
    """The key checks' stages: "keys:<resource>" (unique and primary keys) and "keys:<resource>:fk<n>"."""
    return name == KEYS or name.startswith(KEYS + ":")


class StageCache:
    """Stored results of the checks of one package state."""

    def __init__(self, package: DataPackage, works: dict[str, list[FileWork]], cache: FileCache):
        self.works = works
        self.cache = cache
        self.fields = {name: [f["name"] for f in package.fields(name)] for name in package.resource_names}
        descriptor = json.dumps(package.descriptor, sort_keys=True, ensure_ascii=False)
        self.salt = f"{tool_version()}|{package.as_of}|{hashlib.sha256(descriptor.encode('utf-8')).hexdigest()}"

    def key(self, name: str, columns: dict[str, set[str]]) -> str | None:
        """The key of check ``name`` reading ``columns`` (resource → column digests' names)."""
        if self.cache.root is None:
            return None
        digest = hashlib.sha256(f"{self.salt}|{name}".encode("utf-8"))
        for resource in sorted(columns):
            for work in self.works.get(resource, []):
                digest.update(f"|{resource}|{work.file.rel}|".encode("utf-8"))
                for segment in work.segments:
                    names = sorted(segment.digests) if EVERY in columns[resource] else sorted(columns[resource])
                    digest.update(f"{segment.records}:{','.join(segment.digests[n] for n in names)};".encode())
        return digest.hexdigest()

    def through(self, name: str, columns: dict[str, set[str]], compute: Callable[[], object]):
        """The stored result of check ``name``, or ``compute()``'s, stored."""
        key, stored = self.recall(name, columns)
        if stored is not None:
            return stored
        value = compute()
        self.store(key, value)
        return value

    def recall(self, name: str, columns: dict[str, set[str]]) -> tuple[str | None, object]:
        """(the key of check ``name`` reading ``columns``, its stored result or None): known before the
        check runs, so that ``ledger validate`` builds its ledger of what the checks to run read only."""
        key = self.key(name, columns)
        stored = self.cache.get_json(key, "stage.json")
        if stored is not None and (self.errors_shape(stored) if is_key_stage(name) else findings_shape(stored)):
            return key, stored
        return key, None

    def store(self, key: str | None, value: object) -> None:
        self.cache.put_json(key, "stage.json", value)

    def errors_shape(self, stored) -> bool:
        """The key checks' result: resource → its errors (frictionless' shape, rows as it counts them)."""
        return isinstance(stored, dict) and all(
            name in self.fields and isinstance(errors, list) and all(error_shape(e, None, self.fields[name]) for e in errors)
            for name, errors in stored.items())


FINDING_FIELDS = {f.name for f in fields(fd.Finding)}
OPTIONAL = {"row": int, "field": str, "resource": str, "value": str, "record": str, "field_title": str}


def findings_shape(stored) -> bool:
    """A rule's result: findings as dictionaries, each field of its type and a known code."""
    return isinstance(stored, list) and all(
        isinstance(item, dict) and set(item) == FINDING_FIELDS and item["code"] in CODES
        and item["severity"] in (fd.ERROR, fd.WARNING)
        and all(isinstance(item[k], str) for k in ("path", "message_zh", "message_en", "fix_zh", "fix_en"))
        and all(item[k] is None or type(item[k]) is t for k, t in OPTIONAL.items())
        for item in stored)
