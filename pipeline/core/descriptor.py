"""The descriptor against the data standard: what a pull request may change, and what it may not.

``data/datapackage.json`` comes from pull requests; ``pipeline/standard.json``
is the reviewed data standard. The descriptor may set only what the data owns:

- ``as_of`` (the snapshot date) and each resource's ``path`` (its files: the
  issue year files grow every year; paths are checked in package.py);
- the package's own metadata: ``name``, ``title``, ``description``,
  ``version``, ``licenses``, ``keywords``, ``sources``, ``contributors``,
  ``homepage`` (checked in descriptor_checks.py: text of bounded size, URLs http(s) only);
- ``scoring``: how the jurisdiction weighs its units in the rankings (checked
  there; keys it leaves out keep the standard's defaults).

Everything else — which resources exist, their names, titles, schemas (fields,
types, constraints, keys, missingValues), dialect and encoding — is the
standard's, and a difference is a finding naming the resource, the field and
what differs. Validation then runs on :func:`effective`: the standard with the
data's own parts laid over it, never on the descriptor's schemas.

:func:`changes` describes differences between two schemas in words; the
pull-request comment uses it to show a change of the standard itself first.
Standard library only: ``pipeline.contribute.prcomment`` imports this module.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STANDARD = Path(__file__).resolve().parent.parent / "standard.json"

# The package metadata the data owns: key → its shape.
TEXT_KEYS = ("name", "title", "description", "version", "homepage")
LIST_KEYS = {"licenses": ("name", "title", "path"), "sources": ("title", "path", "email"),
             "contributors": ("title", "path", "email", "role", "organization"), "keywords": None}
OWNED = ("as_of",) + TEXT_KEYS + tuple(LIST_KEYS) + ("scoring",)

ASPECTS = {  # key → how a maintainer calls it
    "type": "类型", "format": "格式", "constraints": "约束", "title": "中文名", "description": "说明",
    "example": "示例", "categories": "可选值标签", "missingValues": "缺失值写法", "primaryKey": "主键",
    "foreignKeys": "外键", "fields": "字段", "schema": "表结构", "dialect": "文件格式", "encoding": "编码",
    "mediatype": "媒体类型", "profile": "规范", "$schema": "规范", "name": "名称", "trueValues": "“是”的写法",
    "falseValues": "“否”的写法", "required": "必填", "unique": "不重复", "pattern": "格式规则", "enum": "可选值",
    "minLength": "最短长度", "maxLength": "最长长度", "minimum": "最小值", "maximum": "最大值",
    "delimiter": "分隔符", "header": "表头行", "quoteChar": "引号",
    "lineTerminator": "换行符", "doubleQuote": "引号转义（两个引号）", "skipInitialSpace": "分隔符后的空格",
    "headerRows": "表头所在行", "headerJoin": "多行表头的连接符", "commentRows": "注释行", "commentChar": "注释符",
    "headerCase": "表头区分大小写", "skipBlankRows": "跳过空行", "escapeChar": "转义符", "nullSequence": "空值写法",
}
ABSENT = "（无）"


# --- Differences in words -------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One difference: where (resource, field), what (a key path) and the two values."""
    resource: str | None
    field: str | None
    field_title: str | None
    key: str  # "constraints.pattern", "type", "schema.primaryKey", "" for the field as a whole
    before: object  # the standard's value (ABSENT_VALUE when missing)
    after: object  # the other value

    @property
    def where_zh(self) -> str:
        place = f"资源“{self.resource}”" if self.resource else "数据包"
        if self.field is not None:
            place += f"的字段“{self.field}”" + (f"（{self.field_title}）" if self.field_title else "")
        return place

    @property
    def where_en(self) -> str:
        place = f"resource '{self.resource}'" if self.resource else "the package"
        return place + (f", field '{self.field}'" if self.field is not None else "")

    @property
    def what_zh(self) -> str:
        if not self.key:
            return "字段定义"
        last = self.key.split(".")[-1]
        return f"{ASPECTS.get(last, '设置')}（{self.key}）"

    @property
    def what_en(self) -> str:
        return self.key or "the field"

    def words(self) -> str:
        """The change of a standard, for review: 新增、删除、由 … 改为 …"""
        if self.field is not None and not self.key:
            if self.before is ABSENT_VALUE:
                return f"{self.where_zh}：新增字段，{shown(self.after)}"
            if self.after is ABSENT_VALUE:
                return f"{self.where_zh}：删除字段"
        if self.resource and self.field is None and not self.key:
            return f"{self.where_zh}：{'新增资源' if self.before is ABSENT_VALUE else '删除资源'}"
        if self.before is ABSENT_VALUE:
            return f"{self.where_zh}：新增{self.what_zh}，为 {shown(self.after)}"
        if self.after is ABSENT_VALUE:
            return f"{self.where_zh}：删除{self.what_zh}（原为 {shown(self.before)}）"
        return f"{self.where_zh}：{self.what_zh}由 {shown(self.before)} 改为 {shown(self.after)}"


class _Absent:
    def __repr__(self) -> str:
        return ABSENT


ABSENT_VALUE = _Absent()


def shown(value: object, limit: int = 80) -> str:
    if value is ABSENT_VALUE:
        return ABSENT
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (RecursionError, TypeError, ValueError):
        return "（嵌套过深）"
    return text if len(text) <= limit else text[:limit] + "…"


def _by_name(items: object) -> dict[str, object]:
    """Named entries of a list (resources, fields) by name; entries without a string name by position."""
    out: dict[str, object] = {}
    for position, item in enumerate(items if isinstance(items, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        out[name if isinstance(name, str) else f"#{position + 1}"] = item
    return out


def _walk(before: object, after: object, key: str) -> Iterator[tuple[str, object, object]]:
    """(key path, before, after) for every difference between two JSON values."""
    if isinstance(before, dict) and isinstance(after, dict):
        for name in list(before) + [k for k in after if k not in before]:
            yield from _walk(before.get(name, ABSENT_VALUE), after.get(name, ABSENT_VALUE),
                             f"{key}.{name}" if key else str(name))
    elif not same(before, after):
        yield key, before, after


def same(a: object, b: object) -> bool:
    """Equal as JSON: true is not 1, [1.0] is not [1]."""
    if a is ABSENT_VALUE or b is ABSENT_VALUE:
        return a is b
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (RecursionError, TypeError, ValueError):
        return False


def field_changes(resource: str, before: object, after: object, skip: tuple[str, ...] = ("path",)) -> Iterator[Change]:
    """Differences between two versions of one resource, field by field (``skip``: keys not compared)."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        if not same(before, after):
            yield Change(resource, None, None, "resource", before, after)
        return
    skip = skip + ("schema",)
    for key, was, now in _walk({k: v for k, v in old.items() if k not in skip},
                               {k: v for k, v in new.items() if k not in skip}, ""):
        yield Change(resource, None, None, key, was, now)
    old_schema, new_schema = old.get("schema", ABSENT_VALUE), new.get("schema", ABSENT_VALUE)
    if not isinstance(old_schema, dict) or not isinstance(new_schema, dict):
        if not same(old_schema, new_schema):
            yield Change(resource, None, None, "schema", old_schema, new_schema)
        return
    for key, was, now in _walk({k: v for k, v in old_schema.items() if k != "fields"},
                               {k: v for k, v in new_schema.items() if k != "fields"}, "schema"):
        yield Change(resource, None, None, key, was, now)
    if not isinstance(new_schema.get("fields"), list) or not isinstance(old_schema.get("fields"), list):
        if not same(old_schema.get("fields", ABSENT_VALUE), new_schema.get("fields", ABSENT_VALUE)):
            yield Change(resource, None, None, "schema.fields", old_schema.get("fields", ABSENT_VALUE),
                         new_schema.get("fields", ABSENT_VALUE))
        return
    old_fields, new_fields = _by_name(old_schema["fields"]), _by_name(new_schema["fields"])
    for name, spec in old_fields.items():
        title = spec.get("title") if isinstance(spec, dict) and isinstance(spec.get("title"), str) else None
        if name not in new_fields:
            yield Change(resource, name, title, "", spec, ABSENT_VALUE)
            continue
        for key, was, now in _walk(spec, new_fields[name], ""):
            yield Change(resource, name, title, key, was, now)
    for name, spec in new_fields.items():
        if name not in old_fields:
            yield Change(resource, name, None, "", ABSENT_VALUE, spec)
    common = [name for name in old_fields if name in new_fields]
    if common != [name for name in new_fields if name in old_fields]:
        yield Change(resource, None, None, "schema.fields", [n for n in common],
                     [n for n in new_fields if n in old_fields])


def changes(before: dict, after: dict, everything: bool = False) -> list[Change]:
    """How ``after`` differs from ``before``: in everything the standard fixes (not paths, not the
    metadata the data owns), or with ``everything`` in every key (two versions of the standard)."""
    skip = ("resources",) if everything else OWNED + ("resources",)
    old, new = _by_name(before.get("resources")), _by_name(after.get("resources"))
    found = [Change(None, None, None, key, was, now)
             for key, was, now in _walk({k: v for k, v in before.items() if k not in skip},
                                        {k: v for k, v in after.items() if k not in skip}, "")]
    for name, resource in old.items():
        if name in new:
            found += field_changes(name, resource, new[name], () if everything else ("path",))
        else:
            found.append(Change(name, None, None, "", resource, ABSENT_VALUE))
    found += [Change(name, None, None, "", ABSENT_VALUE, resource) for name, resource in new.items() if name not in old]
    return found


def json_copy(value: object) -> object:
    """A copy of a JSON value, as ``copy.deepcopy`` makes it (dicts and lists copied, the immutable scalars
    shared) in a third of the time: every validation copies the standard more than once, and the test
    suite validates thousands of times. Anything else is deep-copied."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if value is None or kind in (str, int, float, bool):
        return value
    return copy.deepcopy(value)


# --- The standard, its versions, and the descriptor validation uses ---------------------------------

def load_standard() -> dict:
    return json.loads(STANDARD.read_text(encoding="utf-8"))


# Version 2 of the standard only adds (data-standard.md, "Version 2 additions"): a package written to
# version 1 — without these resources and these evaluations fields — stays valid, and is held to the
# standard without them. A package with some of them is held to version 2 whole.
VERSION_2_RESOURCES = ("issue_events", "duty_items", "burden_reports", "burden_cuts")
VERSION_2_FIELDS = {"evaluations": ("contacted", "resolved_view")}
# Burden reduction (基层减负, issue #22) came to version 2 after forks had taken up the rest of it: a
# version-2 package that names neither burden resource is held to the standard without them, and one
# that names either is held to both.
BURDEN_RESOURCES = ("burden_reports", "burden_cuts")
# … and the burden metrics a claim may name (claims.metric): not in the vocabulary of a package without them.
BURDEN_METRICS = ("documents_received_12m", "meetings_attended_12m", "report_forms_12m", "burden_change_rate",
                  "burden_cuts_count")


def is_version_1(descriptor: object) -> bool:
    """No resource and no evaluations field that version 2 added (a descriptor of any shape: False)."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return False
    resources = [res for res in descriptor["resources"] if isinstance(res, dict)]
    if any(res.get("name") in VERSION_2_RESOURCES for res in resources):
        return False
    for res in resources:
        added = VERSION_2_FIELDS.get(res.get("name"))
        schema = res.get("schema")
        if added and isinstance(schema, dict) and isinstance(schema.get("fields"), list):
            names = {f.get("name") for f in schema["fields"] if isinstance(f, dict)}
            if names & set(added):
                return False
    return True


def version_1(standard: dict) -> dict:
    """The standard without what version 2 added."""
    result = without_burden(standard)
    result["resources"] = [res for res in result["resources"] if res["name"] not in VERSION_2_RESOURCES]
    for res in result["resources"]:
        added = VERSION_2_FIELDS.get(res["name"], ())
        res["schema"]["fields"] = [f for f in res["schema"]["fields"] if f["name"] not in added]
    return result


def without_burden(standard: dict) -> dict:
    """The standard without the burden resources and metrics (a package from before issue #22)."""
    result = json_copy(standard)
    result["resources"] = [res for res in result["resources"] if res["name"] not in BURDEN_RESOURCES]
    for res in result["resources"]:
        for spec in res["schema"]["fields"] if res["name"] == "claims" else ():
            if spec["name"] == "metric" and "enum" in spec.get("constraints", {}):
                spec["constraints"]["enum"] = [v for v in spec["constraints"]["enum"] if v not in BURDEN_METRICS]
                if isinstance(spec.get("categories"), list):
                    spec["categories"] = [c for c in spec["categories"] if c.get("value") not in BURDEN_METRICS]
    return result


def names_burden(descriptor: object) -> bool:
    """True when the descriptor names either burden resource (a descriptor of any shape: False)."""
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    return isinstance(resources, list) and any(
        isinstance(res, dict) and res.get("name") in BURDEN_RESOURCES for res in resources)


def standard_for(descriptor: object, standard: dict) -> dict:
    """The standard a descriptor is held to: version 1 for a version-1 package; version 2 without the
    burden resources for a package that names neither of them; else the whole standard."""
    if is_version_1(descriptor):
        return version_1(standard)
    return standard if names_burden(descriptor) or not isinstance(descriptor, dict) else without_burden(standard)


def effective(descriptor: dict, standard: dict) -> dict:
    """The descriptor validation and the build use: the standard, with the data's own parts laid over it."""
    result = json_copy(standard)
    for key in OWNED:
        if key in descriptor:
            result[key] = json_copy(descriptor[key])
    if isinstance(descriptor.get("scoring"), dict):  # the keys it leaves out keep the standard's defaults
        result["scoring"] = json_copy(standard.get("scoring", {})) | json_copy(descriptor["scoring"])
    paths = {res["name"]: res["path"] for res in descriptor["resources"]}
    for res in result["resources"]:
        res["path"] = json_copy(paths[res["name"]])
    return result
