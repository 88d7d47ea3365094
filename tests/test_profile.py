"""The descriptor validates against the Data Package 2.0 profile it declares (issue #15).

The profile is vendored: pipeline/profiles/datapackage-2.0/ (dplib-py 1.1.0, MIT; SOURCE.md). One stated
departure: the profile's field ``oneOf`` has no ``list`` type, which Table Schema v2 defines and the standard
uses twice (meetings.departments, issues.co_departments). A ``list`` field is checked against LIST_FIELD,
written below from the Table Schema v2 text, and the rest of that field (name, title, description, example,
...) against the profile's ``string`` field; everything else of the descriptor against the profile as it is.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.core.cache import FileCache
from pipeline.demo.generator import generate
from pipeline.validate import validate
from tests.conftest import make_tiny

ROOT = Path(__file__).resolve().parent.parent
VENDORED = ROOT / "pipeline" / "profiles" / "datapackage-2.0"
PROFILE = json.loads((VENDORED / "datapackage.json").read_text(encoding="utf-8"))
PROFILE_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
FIELD = PROFILE["properties"]["resources"]["items"]["properties"]["schema"]["properties"]["fields"]["items"]

# Table Schema v2, "list": a field of items with one delimiter; ``itemType`` "MUST be one of string, integer,
# boolean, number, datetime, date, and time" (default string); ``delimiter`` a string (default ","); no
# format options; constraints "required, unique, minLength, maxLength".
LIST_FIELD = {
    "type": "object",
    "required": ["name", "type"],
    "properties": {
        "name": {"type": "string"},
        "type": {"const": "list"},
        "format": {"const": "default"},
        "itemType": {"enum": ["string", "integer", "boolean", "number", "datetime", "date", "time"]},
        "delimiter": {"type": "string"},
        "constraints": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"required": {"type": "boolean"}, "unique": {"type": "boolean"},
                           "minLength": {"type": "integer"}, "maxLength": {"type": "integer"}},
        },
    },
}
LIST_ONLY = ("type", "format", "itemType", "delimiter", "constraints")


def profile_with_list_fields() -> dict:
    """The profile, its field ``oneOf`` left to every type but ``list``, which LIST_FIELD checks."""
    schema = copy.deepcopy(PROFILE)
    fields = schema["properties"]["resources"]["items"]["properties"]["schema"]["properties"]["fields"]
    fields["items"] = {"if": {"properties": {"type": {"const": "list"}}, "required": ["type"]},
                      "then": LIST_FIELD, "else": fields["items"]}
    return schema


def profile_errors(descriptor: dict) -> list[str]:
    """What the profile (with the one departure) rejects in ``descriptor``: 'where: message', sorted."""
    validator = jsonschema.Draft7Validator(profile_with_list_fields())
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(descriptor)]
    for r, res in enumerate(descriptor.get("resources", [])):
        for f, spec in enumerate(res.get("schema", {}).get("fields", [])):
            if isinstance(spec, dict) and spec.get("type") == "list":  # the rest of it, as a string field
                rest = {k: v for k, v in spec.items() if k not in LIST_ONLY} | {"type": "string"}
                found += [f"resources/{r}/schema/fields/{f}: {e.message}"
                          for e in jsonschema.Draft7Validator(FIELD).iter_errors(rest)]
    return sorted(found)


@pytest.fixture(scope="module")
def demo_descriptor(tmp_path_factory) -> dict:
    """A fresh `ledger demo` descriptor (written from pipeline/standard.json)."""
    folder = tmp_path_factory.mktemp("profile") / "demo"
    generate(folder, issues=40, seed=7)
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def where(descriptor: dict, resource: str, field: str | None = None, key: str = "") -> str:
    """The JSON path profile_errors names for a resource (a field of it, a key below)."""
    r = next(i for i, res in enumerate(descriptor["resources"]) if res["name"] == resource)
    path = f"resources/{r}"
    if field is not None:
        f = next(i for i, spec in enumerate(descriptor["resources"][r]["schema"]["fields"]) if spec["name"] == field)
        path += f"/schema/fields/{f}"
    return path + (f"/{key}" if key else "")


def test_vendored_profile_is_the_registry_file_with_its_licence():
    source = (VENDORED / "SOURCE.md").read_text(encoding="utf-8")
    for name in ("datapackage.json", "LICENSE.md"):
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() in source
    assert "dplib-py` 1.1.0" in source and "dplib/profiles/2.0/datapackage.json" in source
    assert (VENDORED / "LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License (MIT)")
    assert PROFILE["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_descriptor_declares_the_profile_it_is_checked_against(demo_descriptor):
    descriptor = demo_descriptor
    assert descriptor["$schema"] == PROFILE_URL and "profile" not in descriptor
    assert [res["name"] for res in descriptor["resources"] if "profile" in res] == []


@pytest.mark.reads_data
def test_bundled_descriptor_is_invalid_against_its_profile():
    """data/datapackage.json (the demo here, a fork's own descriptor there) passes the profile it declares."""
    assert profile_errors(json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))) == []


def test_fresh_demo_descriptor_is_invalid_against_its_profile(demo_descriptor):
    assert profile_errors(demo_descriptor) == []


def test_list_fields_are_the_one_departure(demo_descriptor):
    """Without the departure the profile rejects exactly the two list fields; so they are what it is for."""
    descriptor = demo_descriptor
    errors = list(jsonschema.Draft7Validator(PROFILE).iter_errors(descriptor))
    where = sorted((descriptor["resources"][e.absolute_path[1]]["name"],
                    descriptor["resources"][e.absolute_path[1]]["schema"]["fields"][e.absolute_path[4]]["name"])
                   for e in errors)
    assert where == [("issues", "co_departments"), ("meetings", "departments")]


def _with(descriptor: dict, change) -> dict:
    descriptor = copy.deepcopy(descriptor)
    change(descriptor)
    return descriptor


def _field(descriptor: dict, resource: str, name: str) -> dict:
    res = next(r for r in descriptor["resources"] if r["name"] == resource)
    return next(f for f in res["schema"]["fields"] if f["name"] == name)


def _res(descriptor: dict, resource: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == resource)


PROFILE_DEFECTS = {  # defect → (change, where the profile says so: resource, field, key)
    "numeric-example": (lambda d: _field(d, "issues", "id").update(example=3), ("issues", "id", "")),
    "dialect-header-not-boolean": (lambda d: _res(d, "regions")["dialect"].update(header="yes"),
                                   ("regions", None, "dialect/header")),
    "missing-resource-name": (lambda d: _res(d, "regions").pop("name"), ("regions", None, "")),
    "list-item-type-unknown": (lambda d: _field(d, "meetings", "departments").update(itemType="code"),
                               ("meetings", "departments", "itemType")),
    "list-delimiter-not-string": (lambda d: _field(d, "issues", "co_departments").update(delimiter=59),
                                  ("issues", "co_departments", "delimiter")),
    "list-field-title-not-string": (lambda d: _field(d, "meetings", "departments").update(title=["参会部门"]),
                                    ("meetings", "departments", "")),
    "list-constraint-pattern": (lambda d: _field(d, "meetings", "departments").update(constraints={"pattern": "x"}),
                                ("meetings", "departments", "constraints")),
}


@pytest.mark.parametrize("defect", sorted(PROFILE_DEFECTS))
def test_profile_catches_defect(demo_descriptor, defect):
    change, (resource, field, key) = PROFILE_DEFECTS[defect]
    place = where(demo_descriptor, resource, field, key)
    errors = profile_errors(_with(demo_descriptor, change))
    assert [e.split(": ")[0] for e in errors] == [place], errors


@settings(max_examples=40, deadline=None)
@given(item_type=st.text(max_size=10), delimiter=st.one_of(st.text(max_size=3), st.integers(), st.none()))
def test_list_field_schema_follows_table_schema_v2(demo_descriptor, item_type, delimiter):
    descriptor = copy.deepcopy(demo_descriptor)
    _field(descriptor, "meetings", "departments").update(itemType=item_type, delimiter=delimiter)
    allowed = item_type in LIST_FIELD["properties"]["itemType"]["enum"] and isinstance(delimiter, str)
    assert (profile_errors(descriptor) == []) == allowed


def _validate(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "--data", str(folder), "--no-cache"])
    return result.exit_code, result.output


@pytest.mark.parametrize("defect", ["dialect-header-not-boolean", "missing-resource-name", "list-item-type-unknown"])
def test_validate_reports_a_descriptor_the_profile_rejects(tmp_path, defect):
    folder = make_tiny(tmp_path / "tiny")
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    PROFILE_DEFECTS[defect][0](descriptor)
    assert profile_errors(descriptor)
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    code, output = _validate(folder)
    expected = {"dialect-header-not-boolean": "[错误] datapackage.json [descriptor-differs]\n"
                                              '  资源“regions”的表头行（dialect.header）与数据标准不同：标准为 true，这里为 "yes"。\n',
                "missing-resource-name": "[错误] datapackage.json [package-error]\n"
                                         "  数据包描述文件 datapackage.json 无法使用：resources 的第 1 项缺少字符串 name（资源名）\n",
                "list-item-type-unknown": "[错误] datapackage.json，字段 departments（参会部门） [descriptor-differs]\n"
                                          "  资源“meetings”的字段“departments”（参会部门）的设置（itemType）与数据标准不同："
                                          '标准为 "string"，这里为 "code"。\n'}
    assert code == 1 and output.startswith(expected[defect]), output
    assert output.endswith("数据无效，不能发布：1 个错误，0 个警告。 (invalid: 1 errors, 0 warnings)\n")


def v1_declared(folder: Path) -> Path:
    """The tiny package with the declaration every descriptor had before: Data Package v1 ``profile``."""
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    del descriptor["$schema"]
    descriptor = {"profile": "tabular-data-package"} | descriptor
    for res in descriptor["resources"]:
        res["profile"] = "tabular-data-resource"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_v1_declared_package_is_refused(tmp_path, engine):
    report, ledger = validate(v1_declared(make_tiny(tmp_path / "tiny")), engine=engine, cache=FileCache(None))
    assert [(f.code, f.resource, f.field, f.message_zh) for f in report.findings] == []
    assert report.valid and ledger is not None


def test_half_v1_declaration_is_a_difference(tmp_path):
    """Only the v1 declaration in full reads as v2: a v1 package profile with a non-tabular resource differs."""
    folder = v1_declared(make_tiny(tmp_path / "tiny"))
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["profile"] = "data-resource"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    report, _ = validate(folder, cache=FileCache(None))
    assert sorted(f.message_zh for f in report.findings if f.code == "descriptor-differs") == [
        '数据包的规范（$schema）与数据标准不同：标准为 "https://datapackage.org/profiles/2.0/datapackage.json"，这里为 （无）。',
        '数据包的规范（profile）与数据标准不同：标准为 （无），这里为 "tabular-data-package"。',
    ] + sorted(f'资源“{res["name"]}”的规范（profile）与数据标准不同：标准为 （无），这里为 '
               f'"{"data-resource" if i == 0 else "tabular-data-resource"}"。'
               for i, res in enumerate(descriptor["resources"]))
