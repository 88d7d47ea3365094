"""The data package as published: descriptor with byte counts and sha256 hashes, and a deterministic ZIP.

Each resource gets ``bytes`` and ``"hash": "sha256:<hex>"`` (frictionless v5),
so ``frictionless validate datapackage.json`` of the unzipped package checks
that no file was altered. A resource split into several files (issues by
year) is read by frictionless as one stream: the first file whole, each later
file without its header line; its bytes and hash are counted over that stream.
The ZIP's entries are sorted, dated as_of 00:00 and mode 0644.
"""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile
from pathlib import Path

from pipeline.export import ziputil
from pipeline.core.package import DESCRIPTOR, DataPackage, resource_paths

CHUNK = 1 << 20


def resource_stats(root: Path, paths: list[str]) -> tuple[int, str]:
    """(bytes, sha256 hex) of a resource's byte stream as frictionless reads it."""
    digest, size = hashlib.sha256(), 0
    for number, rel in enumerate(paths):
        with (root / rel).open("rb") as handle:
            if number:
                handle.readline()  # a later part's header line is not part of the stream
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
    return size, digest.hexdigest()


def descriptor_with_hashes(package: DataPackage) -> dict:
    """The descriptor as published, each resource with ``bytes`` and ``hash`` after its ``path``."""
    descriptor = copy.deepcopy(package.descriptor)
    resources = []
    for res in descriptor["resources"]:
        size, hexdigest = resource_stats(package.root, resource_paths(res))
        stats = {"bytes": size, "hash": f"sha256:{hexdigest}"}
        ordered = {}
        for key, value in res.items():
            if key in stats:
                continue
            ordered[key] = value
            if key == "path":
                ordered.update(stats)
        resources.append(ordered)
    descriptor["resources"] = resources
    return descriptor


def descriptor_bytes(descriptor: dict) -> bytes:
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def package_files(package: DataPackage) -> list[str]:
    """Every data file of the package, sorted (descriptor excluded)."""
    return sorted({rel for res in package.descriptor["resources"] for rel in resource_paths(res)})


def folder_name(package: DataPackage) -> str:
    """The ZIP's top folder: the package name, so that unzipping makes one folder."""
    name = str(package.descriptor.get("name") or "data-package")
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name).strip(".") or "data-package"


def write_zip(package: DataPackage, descriptor: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    top = folder_name(package)
    entries = [(f"{top}/{DESCRIPTOR}", None)] + [(f"{top}/{rel}", package.root / rel) for rel in package_files(package)]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, source in sorted(entries, key=lambda e: e[0]):
            if source is None:
                ziputil.add_bytes(archive, name, descriptor, package.as_of)
            else:
                ziputil.add_file(archive, name, source, package.as_of)
    tmp.replace(path)
