"""The data package ZIP: stock frictionless validates it unzipped, hashes included; a changed byte fails it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from pipeline.export import package_zip
from pipeline.core.package import load

PERMISSIONS = 0o100644


@pytest.fixture(scope="module")
def zipped(demo_dir, tmp_path_factory) -> tuple[Path, Path]:
    package = load(demo_dir)
    folder = tmp_path_factory.mktemp("zip")
    path = folder / "package.zip"
    package_zip.write_zip(package, package_zip.descriptor_bytes(package_zip.descriptor_with_hashes(package)), path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder / "unzipped")
    return path, folder / "unzipped" / package_zip.folder_name(package)


def frictionless_errors(descriptor: Path) -> list[tuple[str, str]]:
    from frictionless import Package

    report = Package(str(descriptor)).validate()
    return [(task.name, error.type) for task in report.tasks for error in task.errors] + \
        [("package", error.type) for error in report.errors]


def test_every_resource_states_bytes_and_a_sha256_hash(zipped, demo_dir):
    _, root = zipped
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        assert res["hash"].startswith("sha256:") and len(res["hash"]) == 7 + 64
        paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
        if len(paths) == 1:
            data = (root / paths[0]).read_bytes()
            assert res["bytes"] == len(data) and res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    # everything else in the descriptor is as published
    source = json.loads((demo_dir / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        del res["bytes"], res["hash"]
    assert descriptor == source


def test_multipart_resource_is_hashed_as_frictionless_reads_it(zipped):
    """issues/2025.csv + issues/2026.csv without its header line: the stream frictionless hashes."""
    _, root = zipped
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    issues = next(r for r in descriptor["resources"] if r["name"] == "issues")
    assert len(issues["path"]) == 2
    first, second = ((root / p).read_bytes() for p in issues["path"])
    stream = first + second.split(b"\n", 1)[1]
    assert issues["bytes"] == len(stream) and issues["hash"] == "sha256:" + hashlib.sha256(stream).hexdigest()


def test_stock_frictionless_validates_the_unzipped_package(zipped):
    _, root = zipped
    assert frictionless_errors(root / "datapackage.json") == []


@pytest.mark.parametrize("rel", ["regions.csv", "issues/2026.csv"])
def test_one_changed_byte_fails_with_a_hash_error(zipped, tmp_path, rel):
    import shutil

    _, root = zipped
    copy = tmp_path / "pkg"
    shutil.copytree(root, copy)
    data = bytearray((copy / rel).read_bytes())
    position = data.rindex(b"9")  # a digit in the last row: still a valid value, only the bytes differ
    data[position:position + 1] = b"8"
    (copy / rel).write_bytes(bytes(data))
    errors = frictionless_errors(copy / "datapackage.json")
    resource = "regions" if rel == "regions.csv" else "issues"
    assert (resource, "hash-count") in errors
    assert {name for name, _ in errors} == {resource}


def test_zip_entries_are_sorted_dated_as_of_and_0644(zipped, demo_dir):
    path, _ = zipped
    as_of = load(demo_dir).as_of
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and names[0].startswith("sunshine-ledger/")
    assert "sunshine-ledger/datapackage.json" in names and "sunshine-ledger/issues/2025.csv" in names
    assert {i.date_time for i in infos} == {(as_of.year, as_of.month, as_of.day, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {PERMISSIONS}
    assert {i.create_system for i in infos} == {3} and {i.extra for i in infos} == {b""}


def test_zip_is_byte_identical_when_written_again(zipped, demo_dir, tmp_path):
    path, _ = zipped
    package = load(demo_dir)
    again = tmp_path / "again.zip"
    package_zip.write_zip(package, package_zip.descriptor_bytes(package_zip.descriptor_with_hashes(package)), again)
    assert again.read_bytes() == path.read_bytes()
