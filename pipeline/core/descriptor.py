"""The descriptor against the data standard: what a pull request may change, and what it may not.

``data/datapackage.json`` comes from pull requests; ``pipeline/standard.json``
is the reviewed data standard. The descriptor may set only what the data owns:

- ``as_of`` (the snapshot date) and each resource's ``path`` (its files: the
  issue year files grow every year; paths are checked in package.py);
- the package's own metadata: ``name``, ``title``, ``description``,
  ``version``, ``licenses``, ``keywords``, ``sources``, ``contributors``,
  ``homepage`` (checked here: text of bounded size, URLs http(s) only);
- ``scoring``: how the jurisdiction weighs its units in the rankings (checked
  here; keys it leaves out keep the standard's defaults).

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
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import findings as fd

DESCRIPTOR = "datapackage.json"
DIFFERS = "descriptor-differs"
STANDARD = Path(__file__).resolve().parent.parent / "standard.json"
NAME = re.compile(r"[a-z0-9._-]{1,100}")  # the Data Package name pattern, with a length cap
SAFE_URL = re.compile(r"https?://[^\s<>\"'\\`]+", re.IGNORECASE)
MAX_TEXT = 2000  # characters of one metadata text
MAX_ITEMS = 100  # entries of one metadata list

# The package metadata the data owns: key → its shape.
TEXT_KEYS = ("name", "title", "description", "version", "homepage")
LIST_KEYS = {"licenses": ("name", "title", "path"), "sources": ("title", "path", "email"),
             "contributors": ("title", "path", "email", "role", "organization"), "keywords": None}
URL_KEYS = ("path", "homepage")
OWNED = ("as_of",) + TEXT_KEYS + tuple(LIST_KEYS) + ("scoring",)
SCORING_WEIGHTS = ("response", "solved", "satisfied")
SCORING_PERIODS = ("month", "quarter")

ASPECTS = {  # key → how a maintainer calls it
    "type": "类型", "format": "格式", "constraints": "约束", "title": "中文名", "description": "说明",
    "example": "示例", "categories": "可选值标签", "missingValues": "缺失值写法", "primaryKey": "主键",
    "foreignKeys": "外键", "fields": "字段", "schema": "表结构", "dialect": "文件格式", "encoding": "编码",
    "mediatype": "媒体类型", "profile": "规范", "name": "名称", "trueValues": "“是”的写法",
    "falseValues": "“否”的写法", "required": "必填", "unique": "不重复", "pattern": "格式规则", "enum": "可选值",
    "minLength": "最短长度", "maxLength": "最长长度", "minimum": "最小值", "maximum": "最大值",
    "delimiter": "分隔符", "header": "表头行", "quoteChar": "引号",
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


# --- The descriptor's checks --------------------------------------------------------------------------

def load_standard() -> dict:
    return json.loads(STANDARD.read_text(encoding="utf-8"))


# Version 2 of the standard only adds (data-standard.md, "Version 2 additions"): a package written to
# version 1 — without these resources and these evaluations fields — stays valid, and is held to the
# standard without them. A package with some of them is held to version 2 whole.
VERSION_2_RESOURCES = ("issue_events", "duty_items")
VERSION_2_FIELDS = {"evaluations": ("contacted", "resolved_view")}


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
    result = copy.deepcopy(standard)
    result["resources"] = [res for res in result["resources"] if res["name"] not in VERSION_2_RESOURCES]
    for res in result["resources"]:
        added = VERSION_2_FIELDS.get(res["name"], ())
        res["schema"]["fields"] = [f for f in res["schema"]["fields"] if f["name"] not in added]
    return result


def standard_for(descriptor: object, standard: dict) -> dict:
    """The standard a descriptor is held to: version 1 for a version-1 package, else the whole standard."""
    return version_1(standard) if is_version_1(descriptor) else standard


def _error(detail: str, **where: object) -> fd.Finding:
    return fd.make("package-error", path=DESCRIPTOR, detail=detail, **where)


def shape_findings(descriptor: object) -> list[fd.Finding]:
    """Shapes the checks below rely on; any finding here means nothing else can be read."""
    if not isinstance(descriptor, dict):
        return [_error("顶层应为 JSON 对象（{…}）")]
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        return [_error("缺少 resources 列表")]
    found = []
    for position, res in enumerate(resources, start=1):
        if not isinstance(res, dict):
            found.append(_error(f"resources 的第 {position} 项应为对象（{{…}}）"))
        elif not isinstance(res.get("name"), str):
            found.append(_error(f"resources 的第 {position} 项缺少字符串 name（资源名）"))
        elif not (isinstance(res.get("path"), str) or (isinstance(res.get("path"), list) and res["path"])):
            found.append(_error("path 应为文件路径，或由文件路径组成的非空列表", resource=res["name"]))
    return found


def name_problem(name: str) -> tuple[str, str] | None:
    """Why a resource or package name is not allowed (Chinese, English), or None."""
    if not NAME.fullmatch(name):
        return ("只能由小写字母、数字、点、横线和下划线组成，最长 100 个字符",
                "only lower-case letters, digits, '.', '-' and '_', at most 100 characters")
    if set(name) <= {"."}:
        return "不能只由点组成", "not dots only"
    return None


def resource_findings(descriptor: dict, standard: dict) -> Iterator[fd.Finding]:
    """Resource names: well-formed, known to the standard, none twice, none missing."""
    known = {res["name"]: res for res in standard["resources"]}
    seen: set[str] = set()
    for res in descriptor["resources"]:
        name = res["name"]
        why = name_problem(name)
        if why:
            yield fd.make("resource-name", path=DESCRIPTOR, value=name, detail=why[0], detail_en=why[1])
        elif name not in known:
            yield fd.make("unknown-resource", path=DESCRIPTOR, value=name)
        elif name in seen:
            yield fd.make("resource-name", path=DESCRIPTOR, value=name, detail="同一个资源名出现了两次",
                          detail_en="the name appears twice")
        seen.add(name)
    for name, res in known.items():
        if name not in seen:
            yield fd.make("missing-resource", path=DESCRIPTOR, resource=name, title=res.get("title", name))


def difference_findings(descriptor: dict, standard: dict) -> Iterator[fd.Finding]:
    """Everything the standard fixes and the descriptor changes, one finding per difference."""
    known = {res["name"] for res in standard["resources"]}
    mine = {k: v for k, v in descriptor.items() if k != "resources"} | {
        "resources": [res for res in descriptor["resources"] if res["name"] in known]}
    theirs = {k: v for k, v in standard.items() if k != "resources"} | {
        "resources": [res for res in standard["resources"] if res["name"] in {r["name"] for r in mine["resources"]}]}
    for change in changes(theirs, mine):
        yield fd.make(DIFFERS, path=DESCRIPTOR, resource=change.resource, field=change.field,
                      value=None if change.after is ABSENT_VALUE else shown(change.after, 200),
                      where=change.where_zh, where_en=change.where_en, what=change.what_zh, what_en=change.what_en,
                      expected=shown(change.before), actual=shown(change.after))


def metadata_findings(descriptor: dict) -> Iterator[fd.Finding]:
    """The package metadata the data owns: the right shapes, bounded text, http(s) URLs only."""
    for key in TEXT_KEYS:
        if key in descriptor:
            yield from _text(descriptor[key], key, url=key in URL_KEYS)
    name = descriptor.get("name")
    if isinstance(name, str) and name_problem(name):
        yield _error(f"数据包名称 name {name_problem(name)[0]}", field="name", value=name)
    for key, parts in LIST_KEYS.items():
        if key not in descriptor:
            continue
        items = descriptor[key]
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            yield _error(f"{key} 应为不超过 {MAX_ITEMS} 项的列表", field=key)
            continue
        for position, item in enumerate(items):
            where = f"{key}[{position}]"
            if parts is None:
                yield from _text(item, where)
            elif not isinstance(item, dict):
                yield _error(f"{where} 应为对象（{{…}}）", field=where)
            else:
                for part in parts:
                    if part in item:
                        yield from _text(item[part], f"{where}.{part}", url=part in URL_KEYS)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and value not in (float("inf"), float("-inf"))


def _scoring_problem(scoring: object) -> tuple[str, str] | None:
    """Why a descriptor's ``scoring`` cannot be used (where, what it should be), or None."""
    if not isinstance(scoring, dict):
        return "scoring", "应为对象（{…}），可含 weights、basic_satisfied_weight、min_callbacks、period"
    for key in scoring:
        if key not in ("weights", "basic_satisfied_weight", "min_callbacks", "period"):
            return f"scoring.{key}", "不是数据标准中的评分设置；只能有 weights、basic_satisfied_weight、min_callbacks、period"
    weights = scoring.get("weights", {"response": 0.1, "solved": 0.5, "satisfied": 0.4})
    if not isinstance(weights, dict) or sorted(weights) != sorted(SCORING_WEIGHTS):
        return "scoring.weights", "应为对象，恰好含 response、solved、satisfied 三个权重"
    if not all(_number(weights[k]) and weights[k] >= 0 for k in SCORING_WEIGHTS):
        return "scoring.weights", "三个权重都应为不小于 0 的数"
    if abs(sum(weights[k] for k in SCORING_WEIGHTS) - 1) > 1e-9:
        return "scoring.weights", "三个权重之和应为 1"
    basic = scoring.get("basic_satisfied_weight", 0.9)
    if not _number(basic) or not 0 <= basic <= 1:
        return "scoring.basic_satisfied_weight", "应为 0 到 1 之间的数"
    least = scoring.get("min_callbacks", 10)
    if not isinstance(least, int) or isinstance(least, bool) or not 1 <= least <= 1_000_000:
        return "scoring.min_callbacks", "应为 1 到 1000000 之间的整数"
    if scoring.get("period", "month") not in SCORING_PERIODS:
        return "scoring.period", "应为 month（按月）或 quarter（按季度）"
    return None


def scoring_findings(descriptor: dict) -> Iterator[fd.Finding]:
    """The descriptor's own ``scoring``, if it has one: a shape the rankings can use."""
    if "scoring" not in descriptor:
        return
    problem = _scoring_problem(descriptor["scoring"])
    if problem:
        yield fd.make("scoring-invalid", path=DESCRIPTOR, field=problem[0], where=problem[0], detail=problem[1],
                      value=shown(descriptor["scoring"], 200))


def _text(value: object, where: str, url: bool = False) -> Iterator[fd.Finding]:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        yield _error(f"{where} 应为不超过 {MAX_TEXT} 个字符的文字", field=where)
    elif url and not SAFE_URL.fullmatch(value):
        yield fd.make("unsafe-url", path=DESCRIPTOR, field=where, value=value)


def check(descriptor: object, standard: dict) -> list[fd.Finding]:
    """Every finding of the descriptor against the standard (empty: :func:`effective` may be used)."""
    found = shape_findings(descriptor)
    if found:
        return found
    assert isinstance(descriptor, dict)
    found = list(resource_findings(descriptor, standard))
    found += list(difference_findings(descriptor, standard))
    found += list(metadata_findings(descriptor))
    found += list(scoring_findings(descriptor))
    return found


def effective(descriptor: dict, standard: dict) -> dict:
    """The descriptor validation and the build use: the standard, with the data's own parts laid over it."""
    result = copy.deepcopy(standard)
    for key in OWNED:
        if key in descriptor:
            result[key] = copy.deepcopy(descriptor[key])
    if isinstance(descriptor.get("scoring"), dict):  # the keys it leaves out keep the standard's defaults
        result["scoring"] = copy.deepcopy(standard.get("scoring", {})) | copy.deepcopy(descriptor["scoring"])
    paths = {res["name"]: res["path"] for res in descriptor["resources"]}
    for res in result["resources"]:
        res["path"] = copy.deepcopy(paths[res["name"]])
    return result
