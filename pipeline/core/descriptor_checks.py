"""The descriptor's checks against the data standard (see descriptor.py for what the data owns).

``check`` gives every finding: the shape the other checks rely on, resource names, any difference
from the standard in what the standard fixes, the package's own metadata (text of bounded size,
URLs http(s) only) and ``scoring``. No third-party import, like descriptor.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.core import findings as fd
from pipeline.core.descriptor import ABSENT_VALUE, LIST_KEYS, TEXT_KEYS, changes, json_copy, shown

DESCRIPTOR = "datapackage.json"
DIFFERS = "descriptor-differs"
NAME = re.compile(r"[a-z0-9._-]{1,100}")  # the Data Package name pattern, with a length cap
SAFE_URL = re.compile(r"https?://[^\s<>\"'\\`]+", re.IGNORECASE)
MAX_TEXT = 2000  # characters of one metadata text
MAX_ITEMS = 100  # entries of one metadata list
URL_KEYS = ("path", "homepage")
SCORING_WEIGHTS = ("response", "solved", "satisfied")
SCORING_PERIODS = ("month", "quarter")


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


# Table Dialect's defaults: how frictionless 5.21 reads a property a descriptor leaves out. The standard states
# every one (so that no engine guesses); a descriptor may leave out those whose default is the standard's.
DIALECT_DEFAULTS = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True,
                    "skipInitialSpace": False, "header": True, "headerRows": [1], "headerJoin": " ", "commentRows": [],
                    "headerCase": True, "skipBlankRows": False}
LINE_ENDS = ("\n", "\r\n")  # every reader (Python's csv, pyarrow) takes either: naming one changes no reading
# The standard declares Data Package v2 (``$schema``). A package written before declares v1 (``profile``:
# tabular-data-package, each resource tabular-data-resource); frictionless 5.21 reads our packages the same
# either way (README, "The descriptor"), so a descriptor declaring v1 in full reads as declaring v2.
PROFILE_V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
PROFILE_V1 = ("tabular-data-package", "tabular-data-resource")


def as_read(descriptor: dict) -> dict:
    """``descriptor`` (a copy) as a reader takes it: each CSV dialect in full (a property left out has its
    default; either line end as LF), each numeric ``example`` as the text it stands for (the profiles want
    text; ``3`` and ``"3"`` show the same example), and a Data Package v1 declaration as the v2 one."""
    result = json_copy(descriptor)
    if result.get("profile") == PROFILE_V1[0] and "$schema" not in result \
            and all(res.get("profile", PROFILE_V1[1]) == PROFILE_V1[1] for res in result["resources"]):
        del result["profile"]
        result = {"$schema": PROFILE_V2} | result
        for res in result["resources"]:
            res.pop("profile", None)
    for res in result["resources"]:
        dialect = res.get("dialect", {})
        if res.get("format", "csv") == "csv" and isinstance(dialect, dict):
            res["dialect"] = DIALECT_DEFAULTS | dialect
            if res["dialect"]["lineTerminator"] in LINE_ENDS:
                res["dialect"]["lineTerminator"] = "\n"
        schema = res.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        for spec in fields if isinstance(fields, list) else []:
            example = spec.get("example") if isinstance(spec, dict) else None
            if isinstance(example, (int, float)) and not isinstance(example, bool):
                spec["example"] = str(example)
    return result


def difference_findings(descriptor: dict, standard: dict) -> Iterator[fd.Finding]:
    """Everything the standard fixes and the descriptor changes, one finding per difference (in what a
    reader takes from them: see :func:`as_read`)."""
    descriptor, standard = as_read(descriptor), as_read(standard)
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
