"""What a pull request may not do through data/datapackage.json: the descriptor is held to the standard.

The descriptor may set as_of, the resources' file paths and the package's own metadata; every
resource and schema is the standard's (pipeline/standard.json), and the data is checked against
the standard whatever the descriptor says. Each fixture below is named after the defect it carries.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import shutil
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipeline.core import findings as fd
from pipeline.contribute import prcomment
from pipeline.build import BuildConfig, InvalidData, build
from pipeline.cli import cli
from pipeline.core.descriptor import OWNED
from pipeline.core.package import DataPackage
from pipeline.validate import validate
from pipeline.contribute.workbook import template_bytes
from tests.conftest import STANDARD, make_tiny
from tests.test_validate import edit_cell

FIX_DIFFERS = ("datapackage.json 只能写数据截止日 as_of、资源的文件路径和数据包的标题、说明、版本、许可、关键词、来源；"
               "字段、类型、约束、主键、外键、缺失值和文件格式以数据标准 pipeline/standard.json 为准，把这一处改回标准的写法。"
               "修改数据标准本身要单独提交，由维护者审核。")


def flat(report: fd.Report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code) for f in report.findings]


def read(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def save(folder: Path, descriptor: object) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def field(descriptor: dict, name: str, field_name: str) -> dict:
    return next(f for f in resource(descriptor, name)["schema"]["fields"] if f["name"] == field_name)


# --- Fixtures: one descriptor defect each ----------------------------------------------------------

def resource_name_is_a_path(descriptor: dict) -> None:
    """An extra resource named like a path, with a valid schema and file: the build would write through it."""
    extra = copy.deepcopy(resource(descriptor, "regions"))
    extra["name"] = "../../../../../../escaped/package"
    descriptor["resources"].append(extra)


def unknown_resource(descriptor: dict) -> None:
    extra = copy.deepcopy(resource(descriptor, "departments"))
    extra["name"] = "residents"
    descriptor["resources"].append(extra)


def loosened_summary_pattern(descriptor: dict) -> None:
    """A pattern on issues.summary makes it a code column, which the personal-data scan skips."""
    field(descriptor, "issues", "summary").setdefault("constraints", {})["pattern"] = "[\\s\\S]*"


def javascript_licence_url(descriptor: dict) -> None:
    descriptor["licenses"][0]["path"] = "javascript:alert(1)"


def apply(folder: Path, *defects) -> dict:
    descriptor = read(folder)
    for defect in defects:
        defect(descriptor)
    save(folder, descriptor)
    return descriptor


# --- 1. A resource name becomes a file path ------------------------------------------------------------

def test_a_resource_name_becomes_a_file_path(tmp_path):
    data = make_tiny(tmp_path / "work" / "data")
    apply(data, resource_name_is_a_path)
    out = tmp_path / "work" / "site" / "public"
    with pytest.raises(InvalidData) as failed:
        build(BuildConfig(data=data, out=out))
    report = failed.value.report
    assert flat(report) == [("datapackage.json", None, None, "resource-name")]
    assert report.findings[0].message_zh == ("资源名“../../../../../../escaped/package”不合规："
                                             "只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符")
    assert not [p for p in tmp_path.rglob("*") if "escaped" in p.name or p.name.startswith("package.")]
    assert not out.exists()


@pytest.mark.parametrize("name,why", [("..", "不能只由点组成"), (".", "不能只由点组成"),
                                      ("Issues", "只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符"),
                                      ("issues/2026", "只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符"),
                                      ("问题", "只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符"),
                                      ("", "只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符")])
def test_resource_names_follow_the_data_package_pattern(tiny, name, why):
    descriptor = read(tiny)
    resource(descriptor, "claims")["name"] = name
    save(tiny, descriptor)
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, None, "missing-resource"),
                            ("datapackage.json", None, None, "resource-name")]
    assert [f.message_zh for f in report.findings] == ["数据包缺少数据标准中的资源 claims（公开报道数据）。",
                                                       f"资源名“{name}”不合规：{why}"]
    assert ledger is None


def test_unknown_resource_is_refused_before_any_file_is_opened(tiny):
    descriptor = apply(tiny, unknown_resource)
    resource(descriptor, "residents")["path"] = "residents.csv"  # no such file: it must not even be looked for
    save(tiny, descriptor)
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, None, "unknown-resource")]
    assert report.findings[0].message_zh == "数据标准中没有资源 residents；数据包只能包含数据标准列出的资源。"
    assert ledger is None


def test_a_resource_named_twice_is_refused(tiny):
    descriptor = read(tiny)
    descriptor["resources"].append(copy.deepcopy(resource(descriptor, "claims")))
    save(tiny, descriptor)
    report, _ = validate(tiny)
    assert flat(report) == [("datapackage.json", None, None, "resource-name")]
    assert report.findings[0].message_zh == "资源名“claims”不合规：同一个资源名出现了两次"


# --- 2. The descriptor loosens the rules ---------------------------------------------------------------

def test_the_descriptor_loosens_the_rules(tiny):
    apply(tiny, loosened_summary_pattern)
    edit_cell(tiny, "issues/2026.csv", 2, "summary", "已联系 13812345678 处理")
    report, _ = validate(tiny)
    assert flat(report) == [("datapackage.json", None, "summary", "descriptor-differs"),
                            ("issues/2026.csv", 2, "summary", "pii-mobile")]
    differs = report.findings[0]
    assert (differs.resource, differs.value) == ("issues", '"[\\\\s\\\\S]*"')
    assert differs.message_zh == ('资源“issues”的字段“summary”（办理情况）的格式规则（constraints.pattern）'
                                  '与数据标准不同：标准为 （无），这里为 "[\\\\s\\\\S]*"。')
    assert differs.fix_zh == FIX_DIFFERS
    assert not report.valid
    assert "❌ 数据无效，不能发布：2 个错误" in prcomment.render(report, [])


def test_the_frictionless_engine_also_checks_against_the_standard(tiny):
    descriptor = read(tiny)
    del field(descriptor, "issues", "title")["constraints"]["required"]
    save(tiny, descriptor)
    edit_cell(tiny, "issues/2026.csv", 3, "title", "")
    report, _ = validate(tiny, engine="frictionless")
    assert flat(report) == [("datapackage.json", None, "title", "descriptor-differs"),
                            ("issues/2026.csv", 3, "title", "constraint-error")]


def _change_type(d):
    field(d, "issues", "escalated")["type"] = "string"


def _drop_required(d):
    del field(d, "issues", "raised_on")["constraints"]["required"]


def _widen_enum(d):
    field(d, "issues", "status")["constraints"]["enum"].append("closed")


def _drop_field(d):
    resource(d, "surveys")["schema"]["fields"] = [f for f in resource(d, "surveys")["schema"]["fields"]
                                                 if f["name"] != "surveyor"]


def _add_field(d):
    resource(d, "issues")["schema"]["fields"].append({"name": "reporter_name", "type": "string"})


def _swap_fields(d):
    fields = resource(d, "holidays")["schema"]["fields"]
    fields[0], fields[1] = fields[1], fields[0]


def _change_key(d):
    resource(d, "issues")["schema"]["primaryKey"] = ["id", "title"]


def _drop_foreign_keys(d):
    del resource(d, "evaluations")["schema"]["foreignKeys"]


def _missing_values(d):
    resource(d, "issues")["schema"]["missingValues"] = ["", "无"]


def _dialect(d):
    resource(d, "regions")["dialect"]["delimiter"] = ";"


def _header_one(d):
    resource(d, "regions")["dialect"]["header"] = 1  # equal to true in Python, not in JSON


def _resource_title(d):
    resource(d, "regions")["title"] = "区划"


def _package_profile(d):
    d["profile"] = "data-package"


def _package_schema(d):
    d["$schema"] = "https://datapackage.org/profiles/1.0/datapackage.json"


DIFFERENCES = {
    "type-changed": (_change_type, ("escalated", "issues"),
                     '资源“issues”的字段“escalated”（是否督办）的类型（type）与数据标准不同：标准为 "boolean"，这里为 "string"。'),
    "required-dropped": (_drop_required, ("raised_on", "issues"),
                         "资源“issues”的字段“raised_on”（提出日期）的必填（constraints.required）与数据标准不同："
                         "标准为 true，这里为 （无）。"),
    "enum-widened": (_widen_enum, ("status", "issues"), None),
    "field-dropped": (_drop_field, ("surveyor", "surveys"), None),
    "field-added": (_add_field, ("reporter_name", "issues"),
                    '资源“issues”的字段“reporter_name”的字段定义与数据标准不同：标准为 （无），'
                    '这里为 {"name": "reporter_name", "type": "string"}。'),
    "fields-swapped": (_swap_fields, (None, "holidays"), None),
    "primary-key-changed": (_change_key, (None, "issues"),
                            '资源“issues”的主键（schema.primaryKey）与数据标准不同：标准为 ["id"]，这里为 ["id", "title"]。'),
    "foreign-keys-dropped": (_drop_foreign_keys, (None, "evaluations"), None),
    "missing-values-added": (_missing_values, (None, "issues"),
                             '资源“issues”的缺失值写法（schema.missingValues）与数据标准不同：标准为 [""]，这里为 ["", "无"]。'),
    "dialect-changed": (_dialect, (None, "regions"),
                        '资源“regions”的分隔符（dialect.delimiter）与数据标准不同：标准为 ","，这里为 ";"。'),
    "resource-title-changed": (_resource_title, (None, "regions"), None),
    "header-one-for-true": (_header_one, (None, "regions"),
                            "资源“regions”的表头行（dialect.header）与数据标准不同：标准为 true，这里为 1。"),
    "package-profile-changed": (_package_profile, (None, None),
                                '数据包的规范（profile）与数据标准不同：标准为 （无），这里为 "data-package"。'),
    "package-schema-changed": (_package_schema, (None, None),
                               '数据包的规范（$schema）与数据标准不同：标准为 "https://datapackage.org/profiles/2.0/datapackage.json"，'
                               '这里为 "https://datapackage.org/profiles/1.0/datapackage.json"。'),
}


@pytest.mark.parametrize("defect", sorted(DIFFERENCES))
def test_every_difference_from_the_standard_is_an_error_naming_resource_and_field(tiny, defect):
    change, (field_name, resource_name), message = DIFFERENCES[defect]
    apply(tiny, change)
    report, _ = validate(tiny)
    differs = [f for f in report.findings if f.code == "descriptor-differs"]
    assert [(f.field, f.resource) for f in differs] == [(field_name, resource_name)]
    assert differs[0].severity == fd.ERROR and not report.valid
    if message:
        assert differs[0].message_zh == message


def test_the_data_owns_its_as_of_paths_and_metadata(tiny):
    descriptor = read(tiny)
    descriptor.update(as_of="2026-05-01", title="某县基层治理台账", description="某县改革办公开的记录。", version="2.1",
                      licenses=[{"name": "CC0-1.0", "title": "CC0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
                      keywords=["基层治理"], sources=[{"title": "县政府网站", "path": "http://www.example.gov.cn/"}],
                      homepage="https://example.org/ledger")
    (tiny / "issues" / "2026.csv").rename(tiny / "issues" / "y2026.csv")
    resource(descriptor, "issues")["path"] = ["issues/y2026.csv"]
    save(tiny, descriptor)
    report, ledger = validate(tiny)
    assert report.valid, [f.message_zh for f in report.findings]
    package = ledger.package
    assert (package.as_of, package.descriptor["title"], package.descriptor["sources"][0]["title"]) == \
        (dt.date(2026, 5, 1), "某县基层治理台账", "县政府网站")
    assert package.resource("issues")["path"] == ["issues/y2026.csv"]
    standard = json.loads(STANDARD.read_text(encoding="utf-8"))
    assert [r["schema"] for r in package.descriptor["resources"]] == [r["schema"] for r in standard["resources"]]


# --- 3. datapackage.json as a symbolic link ---------------------------------------------------------

def test_datapackage_json_may_be_a_symlink_out_of_data(tiny, tmp_path):
    outside = tmp_path / "elsewhere.json"
    shutil.move(tiny / "datapackage.json", outside)
    (tiny / "datapackage.json").symlink_to(outside)
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, None, "package-error")]
    assert report.findings[0].message_zh == ("数据包描述文件 datapackage.json 无法使用："
                                             "它是符号链接；描述文件必须是 data 文件夹中的普通文件")
    assert ledger is None


# --- 4. Descriptor text: URLs and formulas ----------------------------------------------------------

def test_a_javascript_licence_url_stops_the_build(tiny, tmp_path):
    apply(tiny, javascript_licence_url)
    with pytest.raises(InvalidData) as failed:
        build(BuildConfig(data=tiny, out=tmp_path / "public"))
    assert flat(failed.value.report) == [("datapackage.json", None, "licenses[0].path", "unsafe-url")]
    assert failed.value.report.findings[0].message_zh == "链接“javascript:alert(1)”不是 http 或 https 网址。"


@pytest.mark.parametrize("key,value,where", [
    ("licenses", [{"name": "x", "path": "JavaScript:alert(1)"}], "licenses[0].path"),
    ("licenses", [{"name": "x", "path": " https://example.org"}], "licenses[0].path"),
    ("licenses", [{"name": "x", "path": 'https://example.org/"><script>'}], "licenses[0].path"),
    ("sources", [{"title": "来源", "path": "data:text/html,<script>alert(1)</script>"}], "sources[0].path"),
    ("sources", [{"title": "来源", "path": "//evil.example/x"}], "sources[0].path"),
    ("homepage", "vbscript:msgbox(1)", "homepage"),
    ("contributors", [{"title": "改革办", "path": "file:///etc/passwd"}], "contributors[0].path"),
])
def test_descriptor_urls_must_be_http(tiny, key, value, where):
    descriptor = read(tiny)
    descriptor[key] = value
    save(tiny, descriptor)
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, where, "unsafe-url")]
    assert ledger is None


@pytest.mark.parametrize("name", ["../../site", "Sunshine Ledger", "..", "阳光台账"])
def test_the_package_name_follows_the_data_package_name_pattern(tiny, name):
    descriptor = read(tiny)
    descriptor["name"] = name
    save(tiny, descriptor)
    report, ledger = validate(tiny)
    assert flat(report) == [("datapackage.json", None, "name", "package-error")]
    assert report.findings[0].message_zh.startswith("数据包描述文件 datapackage.json 无法使用：数据包名称 name ")
    assert ledger is None


def test_formula_text_in_the_standard_stays_text_in_the_excel_templates(tiny):
    """Descriptor text reaches the templates only through the standard; openpyxl would make '=…' a formula."""
    standard = json.loads(STANDARD.read_text(encoding="utf-8"))
    issues = resource(standard, "issues")
    issues["title"] = '=HYPERLINK("http://evil","问题")'
    issues["description"] = "@SUM(A1)"
    for spec, text in zip(issues["schema"]["fields"][:4], ("=1+1", "+1+1", "-2+3", "@SUM(A1)")):
        spec["title"] = spec["description"] = text
    for spec in issues["schema"]["fields"]:
        if spec.get("categories"):
            spec["categories"][0]["label"] = "=cmd|' /C calc'!A0"
            break
    resource(standard, "issues")["path"] = ["issues/2026.csv"]
    package = DataPackage(root=tiny, descriptor=standard, as_of=dt.date(2026, 4, 30))
    book = load_workbook(io.BytesIO(template_bytes(package, "issues")))
    cells = [cell for sheet in book.worksheets for line in sheet.iter_rows() for cell in line if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells}
    assert {'=HYPERLINK("http://evil","问题")（issues）填写说明', "=1+1", "+1+1", "-2+3", "@SUM(A1)",
            "=cmd|' /C calc'!A0"} <= texts


def test_descriptor_findings_in_markdown_are_escaped(tiny):
    descriptor = read(tiny)
    descriptor["licenses"][0]["path"] = "javascript:alert(1)//[x](javascript:alert(1))<b>|"
    save(tiny, descriptor)
    report, _ = validate(tiny)
    markdown = fd.to_markdown(report)
    assert ("| ☐ |  | licenses\\[0\\].path | javascript:alert(1)//\\[x\\](javascript:alert(1))&lt;b&gt;\\| | "
            "链接“javascript:alert(1)//\\[x\\](javascript:alert(1))&lt;b&gt;\\|”不是 http 或 https 网址。 |") in markdown
    comment = prcomment.render(report, [])
    assert "[x](" not in comment and "<b>" not in comment and "javascript:\u200b" not in comment


# --- Malformed descriptors: findings, never a crash ------------------------------------------------

def run_validate(folder: Path):
    return CliRunner().invoke(cli, ["validate", "--data", str(folder)])


def assert_refused(result, first: str = "[错误] datapackage.json") -> None:
    """Exit 1, no traceback, each finding a one-line Chinese message under its heading."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(first), lines[0]
    headings = [i for i, line in enumerate(lines) if line.startswith("[错误] ") or line.startswith("[警告] ")]
    assert headings
    for i in headings:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[i + 1]) and lines[i + 2].startswith("  修改方法：")
    assert lines[-1].startswith("数据无效，不能发布：")


BROKEN = {
    "not-json": "{not json",
    "not-utf8": b"\xff\xfe{}",
    "a-list": "[]",
    "a-number": "3",
    "null": "null",
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "resources-not-a-list": '{"as_of": "2026-04-30", "resources": {"issues": {}}}',
    "resources-empty": '{"as_of": "2026-04-30", "resources": []}',
    "resource-a-string": '{"as_of": "2026-04-30", "resources": ["issues"]}',
    "resource-without-name": '{"as_of": "2026-04-30", "resources": [{"path": "x.csv"}]}',
    "name-not-a-string": '{"as_of": "2026-04-30", "resources": [{"name": 3, "path": "x.csv"}]}',
    "path-not-a-string": '{"as_of": "2026-04-30", "resources": [{"name": "issues", "path": {"a": 1}}]}',
    "schema-not-an-object": '{"as_of": "2026-04-30", "resources": [{"name": "x", "path": "x.csv", "schema": 3}]}',
}


@pytest.mark.parametrize("defect", sorted(BROKEN))
def test_a_malformed_descriptor_is_a_finding_never_a_crash(tmp_path, defect):
    raw = BROKEN[defect]
    (tmp_path / "datapackage.json").write_bytes(raw if isinstance(raw, bytes) else raw.encode("utf-8"))
    assert_refused(run_validate(tmp_path))


def _fields(d: dict, name: str = "issues") -> list:
    return resource(d, name)["schema"]["fields"]


INNER_SHAPES = {
    "fields-not-a-list": (lambda d: resource(d, "issues")["schema"].update(fields={"id": {}}),
                          [(None, "descriptor-differs")]),
    "field-without-name": (lambda d: _fields(d)[1].pop("name"), [("#2", "descriptor-differs"),
                                                                 ("mechanism", "descriptor-differs")]),
    "field-a-string": (lambda d: _fields(d).__setitem__(0, "id"), [("#1", "descriptor-differs"),
                                                                    ("id", "descriptor-differs")]),
    "schema-not-an-object": (lambda d: resource(d, "regions").update(schema=["code"]), [(None, "descriptor-differs")]),
    "constraints-a-list": (lambda d: _fields(d)[0].update(constraints=["required"]), [("id", "descriptor-differs")]),
    "primary-key-a-number": (lambda d: resource(d, "issues")["schema"].update(primaryKey=1), [(None, "descriptor-differs")]),
    "dialect-a-string": (lambda d: resource(d, "claims").update(dialect=","), [(None, "descriptor-differs")]),
}


@pytest.mark.parametrize("defect", sorted(INNER_SHAPES))
def test_a_wrong_shape_inside_a_resource_is_named_and_the_data_still_checked(tiny, defect):
    change, expected = INNER_SHAPES[defect]
    apply(tiny, change)
    result = run_validate(tiny)
    assert_refused(result)
    report, ledger = validate(tiny)
    assert [(f.field, f.code) for f in report.findings] == expected
    assert ledger is not None  # the data was read and checked against the standard


def _mutations(descriptor: dict) -> list[tuple[list, object]]:
    """Every (path to a node) of the descriptor: where hypothesis may put a value of the wrong shape."""
    found: list[tuple[list, object]] = []

    def walk(node, path):
        found.append((path, node))
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + [key])
        elif isinstance(node, list):
            for index, value in enumerate(node[:20]):
                walk(value, path + [index])

    walk(descriptor, [])
    return found


JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(string.printable + "问题", max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["name", "path", "schema", "fields", "type", "x"]), inner, max_size=3),
                    max_leaves=6)


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("shape") / "tiny")


def _owned(path: list) -> bool:
    """Parts the data may set: metadata, as_of, a resource's path."""
    return bool(path) and (path[0] in OWNED or (path[0] == "resources" and len(path) > 2 and path[2] == "path"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=JSON)
def test_any_node_of_the_descriptor_in_a_wrong_shape_is_a_finding(tmp_path_factory, tiny_package, data, value):
    """Replace any node of a valid descriptor with any JSON: findings (exit 1) or, for the data's own
    metadata, possibly valid (exit 0); never a crash. Changing what the standard fixes is always exit 1."""
    original = read(tiny_package)
    path, old = data.draw(st.sampled_from(_mutations(original)))
    assume(value != old or type(value) is not type(old))
    descriptor = copy.deepcopy(original)
    if not path:
        descriptor = value
    else:
        parent = descriptor
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value
    folder = tmp_path_factory.mktemp("broken") / "tiny"
    shutil.copytree(tiny_package, folder)
    save(folder, descriptor)
    result = run_validate(folder)
    if result.exit_code == 0:
        assert _owned(path) and result.output.startswith("数据有效"), (path, value)
    else:
        assert_refused(result, first="[错误] ")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30)


def containers(value: object) -> list[object]:
    """Every dict and list inside ``value``, ``value`` included."""
    found = [value] if isinstance(value, (dict, list)) else []
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        found += containers(item)
    return found


@given(value=JSON_VALUES)
def test_a_json_copy_is_a_deep_copy(value):
    """The descriptor's and the standard's copies (``json_copy``) are what ``copy.deepcopy`` makes: equal, and
    sharing no dict or list with the original, so changing the copy never changes the standard."""
    from pipeline.core.descriptor import json_copy

    copied = json_copy(value)
    assert copied == copy.deepcopy(value) == value
    assert not {id(c) for c in containers(copied)} & {id(c) for c in containers(value)}


def test_a_json_copy_deep_copies_what_json_does_not_hold():
    from pipeline.core.descriptor import json_copy

    original = {"fields": ({"name": ["id"]},)}  # a tuple, as code (not JSON) might hand one
    copied = json_copy(original)
    assert copied == original and type(copied["fields"]) is tuple
    assert copied["fields"][0]["name"] is not original["fields"][0]["name"]
