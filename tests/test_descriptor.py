"""The data standard says everything Table Schema can say, and the bundled demo's descriptor is that standard.

pipeline/standard.json is checked directly; the demo is generated afresh (the bundled_demo fixture).
What data/ itself must satisfy is in tests/test_data_folder.py.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import STANDARD

DESCRIPTOR = json.loads(STANDARD.read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"]}
FIELDS = [(r["name"], f) for r in DESCRIPTOR["resources"] for f in r["schema"]["fields"]]


@pytest.fixture(scope="module")
def demo_descriptor(bundled_demo) -> dict:
    return json.loads((bundled_demo / "datapackage.json").read_text(encoding="utf-8"))


def test_every_resource_of_the_standard_is_present():
    assert list(RESOURCES) == ["regions", "departments", "holidays", "deadline_rules", "meetings", "issues",
                               "issue_events", "devolved_items", "devolutions", "item_cases", "duty_items",
                               "evaluations", "surveys", "inspections", "claims", "burden_reports", "burden_cuts"]


def test_package_metadata(demo_descriptor):
    assert demo_descriptor["as_of"] == "2026-10-31"
    assert demo_descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert "示例数据" in demo_descriptor["title"]


def test_issues_are_split_by_year(demo_descriptor):
    issues = next(r for r in demo_descriptor["resources"] if r["name"] == "issues")
    assert issues["path"] == ["issues/2025.csv", "issues/2026.csv"]


def test_bundled_schemas_are_the_standard_s(demo_descriptor):
    assert [r["name"] for r in demo_descriptor["resources"]] == list(RESOURCES)
    for resource in demo_descriptor["resources"]:
        assert resource["schema"] == RESOURCES[resource["name"]]["schema"], resource["name"]


@pytest.mark.parametrize("resource,field", [(r, f["name"]) for r, f in FIELDS])
def test_every_field_has_a_chinese_title_and_a_description(resource, field):
    spec = next(f for r, f in FIELDS if r == resource and f["name"] == field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in spec["title"]), spec["title"]
    assert len(spec["description"]) >= 4
    assert "example" in spec


@pytest.mark.parametrize("resource,field", [(r, f["name"]) for r, f in FIELDS if "categories" in f])
def test_enums_are_enforced_and_labelled(resource, field):
    spec = next(f for r, f in FIELDS if r == resource and f["name"] == field)
    values = [c["value"] for c in spec["categories"]]
    if spec["type"] == "string":
        assert spec["constraints"]["enum"] == values
    assert all(c["label"] for c in spec["categories"])


@pytest.mark.parametrize("resource,keys", [
    ("regions", ["code"]), ("departments", ["code"]), ("holidays", ["date"]), ("deadline_rules", ["tier"]),
    ("meetings", ["id"]), ("issues", ["id"]), ("devolved_items", ["id"]), ("devolutions", ["item_id", "region_code"]),
    ("item_cases", ["item_id", "region_code", "month"]), ("evaluations", ["id"]), ("surveys", ["id"]),
    ("inspections", ["id"]), ("claims", ["id"]),
])
def test_primary_keys(resource, keys):
    assert RESOURCES[resource]["schema"]["primaryKey"] == keys


def test_foreign_keys_of_the_standard():
    def fks(name):
        return sorted((tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"]))
                      for fk in RESOURCES[name]["schema"].get("foreignKeys", []))

    assert fks("issues") == [(("lead_department",), "departments", ("code",)), (("meeting_id",), "meetings", ("id",)),
                             (("region_code",), "regions", ("code",))]
    assert fks("item_cases") == [(("item_id", "region_code"), "devolutions", ("item_id", "region_code"))]
    assert fks("regions") == [(("parent_code",), "", ("code",))]
    assert fks("evaluations") == [(("issue_id",), "issues", ("id",))]
    assert fks("inspections") == [(("issue_id",), "issues", ("id",))]


def test_stock_frictionless_accepts_the_bundled_package(bundled_demo):
    from frictionless import validate

    report = validate(str(bundled_demo / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
