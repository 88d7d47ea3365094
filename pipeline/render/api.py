"""The static JSON API under ``api/v1/``: metric documents per region and department, and the endpoint registry.

Every endpoint any section writes under api/v1/ is listed in ``ENDPOINTS``;
the page data/api.md is generated from it and a test fails when the built
site holds a file under api/v1/ that no entry documents. URLs are stable:
a new field may be added to a document, nothing is renamed or removed
within v1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.figures.scope import scope
from pipeline.core.ledger import Ledger
from pipeline.figures.inspections import uninspected
from pipeline.figures.metrics import METRICS
from pipeline.figures.rankings import label, periods
from pipeline.render.officers import chunk_names, id_hashes

API = "api/v1"
REGION_LEVELS = ("city", "county", "township", "street")  # the levels the site has pages for


@dataclass(frozen=True)
class Endpoint:
    pattern: str  # a path under the site root; {name} stands for one path segment
    title: str
    description: str
    section: str  # the module that writes it (a render section, or the download pages from the export's manifest)
    example: Callable[[Ledger], str | None]  # one real path of this pattern in a build of ``ledger``

    def regex(self) -> re.Pattern:
        parts = re.split(r"(\{[a-z_]+\})", self.pattern)
        return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + r"\Z")

    def matches(self, path: str) -> bool:
        return bool(self.regex().match(path))


def _fixed(path: str) -> Callable[[Ledger], str | None]:
    return lambda ledger: path


def _first_region(ledger: Ledger) -> str | None:
    codes = documented_regions(ledger)
    return f"{API}/regions/{codes[0][0]}.json" if codes else None


def _first_department(ledger: Ledger) -> str | None:
    codes = sorted(c for c in ledger.departments["code"].dropna())
    return f"{API}/departments/{codes[0]}.json" if codes else None


def _officer_file(ledger: Ledger, name: str) -> str | None:
    towns = uninspected(ledger)["town"]
    return f"{API}/officers/{towns.iloc[0]}/{name}.json" if len(towns) else None


def _first_officer_chunk(ledger: Ledger) -> str | None:
    """The first not-yet-inspected chunk of the first township listed: named by its first issue's id."""
    first = uninspected(ledger)["id"].iloc[:1]  # the oldest: its township's first chunk starts with it
    return _officer_file(ledger, chunk_names(id_hashes(first), [0])[0]) if len(first) else None


def _first_item_chunk(ledger: Ledger) -> str | None:
    departments = sorted(d for d in ledger.devolved_items["from_department"].dropna())
    return f"{API}/items/chunks/{departments[0]}-1.json" if departments else None


def _first_ranking(ledger: Ledger) -> str | None:
    found = periods(ledger)
    return f"{API}/rankings/{label(found[0])}.json" if found else None


ENDPOINTS: list[Endpoint] = [
    Endpoint(f"{API}/summary.json", "全部指标（全域）", "每个指标在全部数据上的值、分子和分母，以及数据截止日。",
             "pipeline.render.home", _fixed(f"{API}/summary.json")),
    Endpoint(f"{API}/metrics.json", "指标目录", "每个指标的代码、中文名、定义、类型和可分解的维度。",
             "pipeline.render.downloads", _fixed(f"{API}/metrics.json")),
    Endpoint(f"{API}/regions.json", "区划目录", "有指标文件的区划（市、县、乡镇、街道）及其文件地址。",
             "pipeline.render.downloads", _fixed(f"{API}/regions.json")),
    Endpoint(f"{API}/regions/{{code}}.json", "一个区划的指标",
             "该区划（含所辖各级）按区划可分解的全部指标：值、分子、分母。{code} 为12位区划代码。",
             "pipeline.render.downloads", _first_region),
    Endpoint(f"{API}/departments.json", "部门目录", "全部部门及其指标文件地址。",
             "pipeline.render.downloads", _fixed(f"{API}/departments.json")),
    Endpoint(f"{API}/departments/{{code}}.json", "一个部门的指标",
             "该部门按部门可分解的全部指标（问题按牵头部门，事项按下放部门）。{code} 为部门代码。",
             "pipeline.render.downloads", _first_department),
    Endpoint(f"{API}/downloads.json", "下载文件清单", "每个下载文件的地址、格式、资源、行数、字节数和 SHA-256。",
             "pipeline.render.downloads_pages", _fixed(f"{API}/downloads.json")),
    Endpoint(f"{API}/issues/index.json", "问题查询索引",
             "问题查询分片的数量和定位方法：编号的 FNV-1a 32 位散列值对分片数取余；fields 说明分片中每个问题数组各位置的含义"
             "（日期为数据截止日之前的天数，重复的名称为表中的序号）。",
             "pipeline.render.issues", _fixed(f"{API}/issues/index.json")),
    Endpoint(f"{API}/issues/{{n}}.json", "问题查询分片", "一组问题的完整记录（状态、期限、评价、核查），紧凑格式：每个问题一个数组，按索引的 fields 解码。"
             "{n} 由索引中的方法算出。",
             "pipeline.render.issues", _fixed(f"{API}/issues/0.json")),
    Endpoint(f"{API}/places/index.json", "村（社区）查询索引",
             "村（社区）分片的数量和定位方法：区划代码的 FNV-1a 32 位散列值对分片数取余。",
             "pipeline.render.places", _fixed(f"{API}/places/index.json")),
    Endpoint(f"{API}/places/{{n}}.json", "村（社区）分片",
             "一组村（社区）的主要数字、未办结问题（最多30件）和最近的下沉会议（最多10次）。{n} 由索引中的方法算出。",
             "pipeline.render.places", _fixed(f"{API}/places/0.json")),
    Endpoint(f"{API}/search/index.json", "问题搜索索引",
             "问题搜索的分块数量、定位方法（键的 Unicode 码位 FNV-1a 32 位散列对分块数取余）和筛选项名称。",
             "pipeline.render.issues_search", _fixed(f"{API}/search/index.json")),
    Endpoint(f"{API}/search/terms/{{n}}.json", "问题搜索词块",
             "标题和办理情况中的单字、相邻两字及各筛选条件所对应的问题位置列表。{n} 由索引中的方法算出。",
             "pipeline.render.issues_search", _fixed(f"{API}/search/terms/0.json")),
    Endpoint(f"{API}/search/rows/{{n}}.json", "问题搜索列表块",
             "按提出日期从旧到新排列（同一天的按编号）的问题列表记录，每块 16 条；{n} 为位置除以 16 的商。"
             "新增的问题排在最后，已有问题的位置不变；搜索页从最后一个位置倒着列出，即从新到旧。",
             "pipeline.render.issues_search", _fixed(f"{API}/search/rows/0.json")),
    Endpoint(f"{API}/items/index.json", "赋权事项目录索引", "事项目录的筛选项（类型、部门、清单、乡镇）和各分块的地址。",
             "pipeline.render.items", _fixed(f"{API}/items/index.json")),
    Endpoint(f"{API}/items/chunks/{{part}}.json", "赋权事项目录分块", "一个下放部门的事项记录（每块最多60项）。",
             "pipeline.render.items", _first_item_chunk),
    Endpoint(f"{API}/claims.json", "报道核对", "每条公开报道的数字与台账记录的对照结果。",
             "pipeline.render.claims", _fixed(f"{API}/claims.json")),
    Endpoint(f"{API}/officers/{{code}}/index.json", "体验官待核查清单（一个乡镇、街道）",
             "该乡镇（街道）已办结、尚未核查和仍存疑的问题数，核查过的体验官代码，仍存疑问题及其全部核查记录，"
             "以及尚未核查问题各分块的件数和等待天数。{code} 为12位区划代码。",
             "pipeline.render.officers", lambda ledger: _officer_file(ledger, "index")),
    Endpoint(f"{API}/officers/{{code}}/{{chunk}}.json", "体验官待核查清单分块",
             "已办结、尚未核查的问题，办结最早的在前，平均每块约200件（50至600件，最后一块可更少）；"
             "{chunk} 为分块名，按该乡镇 index.json 中 uninspected.chunks 的顺序读取。分块的边界由问题编号决定，"
             "一件问题办结或被核查只改变它所在的一块。",
             "pipeline.render.officers", _first_officer_chunk),
    Endpoint(f"{API}/outcomes.json", "满意度与核查", "第三方评价、满意度调查和体验官核查的汇总（调查满意率附 Wilson 区间）。",
             "pipeline.render.outcomes", _fixed(f"{API}/outcomes.json")),
    Endpoint(f"{API}/rankings/index.json", "排名期次目录", "各期乡镇（街道）回访排名的期次、文件地址和评分设置（scoring）。",
             "pipeline.render.rankings", _fixed(f"{API}/rankings/index.json")),
    Endpoint(f"{API}/rankings/{{period}}.json", "一期回访排名",
             "该期每个乡镇（街道）的评价数、响应率、解决率、回访满意率（各附分子和分母）、综合成绩、名次（样本不足为 null）和较上期的名次变化。"
             "{period} 为 YYYY-MM（按月）或 YYYY-Qn（按季度）。", "pipeline.render.rankings", _first_ranking),
]


def endpoint_for(path: str) -> Endpoint | None:
    return next((e for e in ENDPOINTS if e.matches(path)), None)


def dump(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def metrics_for(ledger: Ledger, dimension: str, value: str) -> dict[str, dict]:
    """Every metric that supports ``dimension``, for one value of it.

    The same as ``aggregate.metric_for(ledger, name, **{dimension: value})`` for each
    name (a test pins the equality), with the scope computed once instead of per metric.
    """
    part = scope(ledger, **{dimension: value})
    return {name: spec.fn(part).to_dict() for name, spec in METRICS.items() if dimension in spec.dims}


def documented_regions(ledger: Ledger) -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent_code) of the regions that get a document, by code."""
    regions = ledger.regions
    chosen = regions[regions["level"].isin(REGION_LEVELS)].sort_values("code")
    return [(c, n, lv, p if isinstance(p, str) else None)
            for c, n, lv, p in zip(chosen["code"], chosen["name"], chosen["level"], chosen["parent_code"])]


def metric_catalogue(ledger: Ledger) -> dict:
    return {"as_of": ledger.as_of.strftime("%Y-%m-%d"),
            "metrics": [{"name": s.name, "title": s.title_zh, "definition": s.definition_zh, "kind": s.kind,
                         "dimensions": sorted(s.dims)} for s in METRICS.values()]}


def api_files(ledger: Ledger) -> dict[str, str]:
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    levels = ledger.labels("regions", "level")
    files: dict[str, str] = {f"{API}/metrics.json": dump(metric_catalogue(ledger))}
    index = []
    for code, name, level, parent in documented_regions(ledger):
        region = {"code": code, "name": name, "level": level, "level_label": levels.get(level, level),
                  "parent_code": parent}
        path = f"{API}/regions/{code}.json"
        files[path] = dump({"as_of": as_of, "region": region, "metrics": metrics_for(ledger, "region", code)})
        index.append({**region, "path": path})
    files[f"{API}/regions.json"] = dump({"as_of": as_of, "regions": index})
    departments = ledger.departments.sort_values("code")
    index = []
    for code, name, region_code in zip(departments["code"], departments["name"], departments["region_code"]):
        department = {"code": code, "name": name, "region_code": region_code}
        path = f"{API}/departments/{code}.json"
        files[path] = dump({"as_of": as_of, "department": department,
                            "metrics": metrics_for(ledger, "department", code)})
        index.append({**department, "path": path})
    files[f"{API}/departments.json"] = dump({"as_of": as_of, "departments": index})
    return files
