"""A package written to version 1 of the standard stays valid (data-standard.md, "Version 2 additions":
"Additive: nothing above is renamed or removed, so version-1 packages stay valid"): a fork that has
not yet added issue_events, duty_items and the evaluations' callback fields validates and builds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pipeline.core.cache import FileCache
from pipeline.core.descriptor import VERSION_2_FIELDS, VERSION_2_RESOURCES, is_version_1, load_standard, version_1
from pipeline.core.package import load
from pipeline.validate import validate
from tests.conftest import make_tiny


def without_columns(path: Path, dropped: tuple[str, ...]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in dropped]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[row[i] for i in keep] for row in rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def version_1_package(folder: Path) -> Path:
    """The tiny package as a fork wrote it before version 2: no events, no duty lists, no callback columns,
    and a descriptor copied from the version-1 standard (no scoring)."""
    make_tiny(folder)
    for name in VERSION_2_RESOURCES:
        (folder / f"{name}.csv").unlink()
    without_columns(folder / "evaluations.csv", VERSION_2_FIELDS["evaluations"])
    descriptor = version_1(load_standard())
    descriptor.pop("scoring", None)
    descriptor["as_of"] = "2026-04-30"
    for res in descriptor["resources"]:
        if res["name"] == "issues":
            res["path"] = ["issues/2026.csv"]
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    return folder


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_a_version_1_package_was_refused_after_version_2(tmp_path, engine):
    folder = version_1_package(tmp_path / "v1")
    report, ledger = validate(folder, engine=engine, cache=FileCache(None))
    assert [(f.path, f.code, f.field) for f in report.findings] == []
    assert report.valid and ledger is not None


def test_what_version_2_added_is_there_without_rows_for_the_figures(tmp_path):
    report, ledger = validate(version_1_package(tmp_path / "v1"), cache=FileCache(None))
    assert [len(ledger.frames[name]) for name in VERSION_2_RESOURCES] == [0, 0, 0, 0]
    assert {"issue_id", "seq", "event", "on"} <= set(ledger.frames["issue_events"].columns)
    evaluations = ledger.frames["evaluations"]
    assert len(evaluations) > 0
    assert evaluations["contacted"].isna().all() and evaluations["resolved_view"].isna().all()
    assert list(load(tmp_path / "v1").resource_names) == [
        name for name in (r["name"] for r in load_standard()["resources"]) if name not in VERSION_2_RESOURCES]


def test_a_package_with_part_of_version_2_is_held_to_version_2_whole(tmp_path):
    folder = version_1_package(tmp_path / "mixed")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    standard = {res["name"]: res for res in load_standard()["resources"]}
    descriptor["resources"].append(standard["issue_events"])
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    (folder / "issue_events.csv").write_text(
        ",".join(f["name"] for f in standard["issue_events"]["schema"]["fields"]) + "\n", encoding="utf-8")
    report, _ = validate(folder, cache=FileCache(None))
    assert [(f.code, f.resource) for f in report.findings] == [("missing-resource", "duty_items")]
    assert not report.valid


@pytest.mark.parametrize(("descriptor", "expected"), [
    ({"resources": [{"name": "issues"}]}, True),
    ({"resources": [{"name": "duty_items"}]}, False),
    ({"resources": [{"name": "evaluations", "schema": {"fields": [{"name": "contacted"}]}}]}, False),
    ({"resources": [{"name": "evaluations", "schema": {"fields": [{"name": "rating"}]}}]}, True),
    ({"resources": "issues"}, False),
    ([], False),
])
def test_which_descriptors_are_version_1(descriptor, expected):
    assert is_version_1(descriptor) is expected


@pytest.mark.slow
def test_a_version_1_package_builds(tmp_path):
    from pipeline.build import BuildConfig, build

    folder = version_1_package(tmp_path / "v1")
    result = build(BuildConfig(data=folder, out=tmp_path / "site"))
    assert result.pages > 20
    assert (tmp_path / "site" / "index.html").is_file()
