"""Burden reduction (issue #22) came to version 2 after forks had taken it up: a version-2 package
without burden_reports and burden_cuts stays valid; one with either is held to both
(pipeline/core/descriptor.py, BURDEN_RESOURCES)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.cache import FileCache
from pipeline.core.descriptor import (BURDEN_METRICS, BURDEN_RESOURCES, load_standard, names_burden,
                                       standard_for, without_burden)
from pipeline.validate import validate
from tests.conftest import make_tiny


def without_burden_package(folder: Path, keep: tuple[str, ...] = ()) -> Path:
    """The tiny package as a fork wrote it with version 2 before issue #22 (``keep``: burden resources
    it has after all)."""
    make_tiny(folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    before = without_burden(load_standard())  # the standard as it was: no burden resources nor metrics
    descriptor["resources"] = [res for res in before["resources"] if res["name"] != "issues"] + [
        res for res in descriptor["resources"] if res["name"] == "issues" or res["name"] in keep]
    for name in BURDEN_RESOURCES:
        if name not in keep:
            (folder / f"{name}.csv").unlink()
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_a_version_2_package_from_before_burden_was_refused(tmp_path, engine):
    report, ledger = validate(without_burden_package(tmp_path / "v2"), engine=engine, cache=FileCache(None))
    assert [(f.path, f.code, f.field) for f in report.findings] == []
    assert [len(ledger.frames[name]) for name in BURDEN_RESOURCES] == [0, 0]
    assert {"region_code", "month", "documents_received"} <= set(ledger.frames["burden_reports"].columns)
    assert {"id", "kind", "cut_on", "month"} <= set(ledger.frames["burden_cuts"].columns)


def test_a_package_with_one_burden_resource_is_held_to_both(tmp_path):
    folder = without_burden_package(tmp_path / "half", keep=("burden_cuts",))
    report, _ = validate(folder, cache=FileCache(None))
    assert [(f.code, f.resource) for f in report.findings] == [("missing-resource", "burden_reports")]
    assert not report.valid


def test_the_tiny_package_carries_burden_rows(tiny_ledger):
    assert len(tiny_ledger.burden_reports) == 22 and len(tiny_ledger.burden_cuts) == 4
    assert list(tiny_ledger.burden_cuts["month"]) == ["2025-06", "2025-09", "2026-01", "2026-03"]
    assert str(tiny_ledger.burden_reports["documents_received"].dtype) == "Int64"


@pytest.mark.parametrize(("descriptor", "expected"), [
    ({"resources": [{"name": "issues"}, {"name": "issue_events"}]}, []),
    ({"resources": [{"name": "issue_events"}, {"name": "burden_cuts"}]}, list(BURDEN_RESOURCES)),
    ({"resources": [{"name": "burden_reports"}]}, list(BURDEN_RESOURCES)),
    ({"resources": [{"name": "issues"}]}, []),  # version 1
])
def test_which_standard_a_descriptor_is_held_to(descriptor, expected):
    held = [res["name"] for res in standard_for(descriptor, load_standard())["resources"]]
    assert [name for name in held if name in BURDEN_RESOURCES] == expected
    assert names_burden(descriptor) is bool(set(BURDEN_RESOURCES) & {r["name"] for r in descriptor["resources"]})


def test_claims_of_a_package_without_burden_cannot_name_burden_metrics(tmp_path):
    folder = without_burden_package(tmp_path / "v2")
    lines = (folder / "claims.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("metric")] = "burden_cuts_count"
    (folder / "claims.csv").write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    report, _ = validate(folder, cache=FileCache(None))
    assert [(f.path, f.row, f.field, f.code) for f in report.findings] == [("claims.csv", 2, "metric", "constraint-error")]
    enum = next(f for res in load_standard()["resources"] if res["name"] == "claims"
                for f in res["schema"]["fields"] if f["name"] == "metric")["constraints"]["enum"]
    assert enum[-6:] == [*BURDEN_METRICS, "other"]
