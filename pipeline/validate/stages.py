"""Checks across rows, files and resources, reused when exactly what they read is unchanged.

After the per-segment work (scan.py) two kinds of checks remain that no segment
can do alone: the key checks (unique and primary keys, foreign keys, on the key
text of every resource) and the cross-field rules (rules.py, each on the ledger
columns it declares; derived columns count as the columns they come from,
frames.DERIVED). Each result is stored under a key made of the tool version,
the descriptor, the snapshot date, the check's name and the digests of the
columns it reads, segment by segment, with each segment's record count (which
fixes the rows' numbers). When every result is found, the ledger is not even
built: a pull request that edits a title re-works that title's segment only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from pipeline.cache import FileCache, tool_version
from pipeline.frames import EVERY
from pipeline.package import DataPackage
from pipeline.validate.scan import FileWork

KEYS = "keys"  # the digest of a segment's key text, among its column digests


class StageCache:
    """Stored results of the checks of one package state."""

    def __init__(self, package: DataPackage, works: dict[str, list[FileWork]], cache: FileCache):
        self.works = works
        self.cache = cache
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
        key = self.key(name, columns)
        stored = self.cache.get_json(key, "stage.json")
        if stored is not None:
            return stored
        value = compute()
        self.cache.put_json(key, "stage.json", value)
        return value
