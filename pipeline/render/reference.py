"""Reference pages: the data dictionary, metric definitions and finding codes,
all generated from the schemas and the code so that they cannot drift."""

from __future__ import annotations

from pipeline.codes import CODES
from pipeline.frames import Ledger
from pipeline.metrics import METRICS, Metric
from pipeline.package import DataPackage, resource_paths
from pipeline.render.env import render
from pipeline.render.section import Rendered

def metric_definitions_block() -> str:
    return render("block_metrics.html.j2", specs=list(METRICS.values()))


def codes_block() -> str:
    return render("block_codes.html.j2", codes=list(CODES.values()))


def constraint_text(field: dict) -> list[str]:
    c = field.get("constraints", {})
    parts = []
    if c.get("required"):
        parts.append("必填")
    if c.get("unique"):
        parts.append("不重复")
    if "pattern" in c:
        parts.append(f"格式 {c['pattern']}")
    if "minimum" in c:
        parts.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        parts.append(f"≤ {c['maximum']}")
    if "minLength" in c:
        parts.append(f"至少 {c['minLength']} 字")
    if "maxLength" in c:
        parts.append(f"最多 {c['maxLength']} 字")
    if field.get("type") == "list":
        parts.append(f"多个值用“{field.get('delimiter', ',')}”分隔")
    return parts


TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "date": "日期 YYYY-MM-DD",
              "yearmonth": "年月 YYYY-MM", "boolean": "true / false", "list": "列表"}


def data_page(package: DataPackage, ledger: Ledger) -> str:
    resources = []
    for res in package.descriptor["resources"]:
        schema = res["schema"]
        fields = [{"name": f["name"], "title": f.get("title", ""), "type": TYPE_NAMES.get(f.get("type"), f.get("type")),
                   "constraints": constraint_text(f), "description": f.get("description", ""),
                   "categories": f.get("categories", []), "example": f.get("example", "")}
                  for f in schema["fields"]]
        keys = [{"fields": fk["fields"], "resource": fk["reference"]["resource"] or res["name"],
                 "target": fk["reference"]["fields"]} for fk in schema.get("foreignKeys", [])]
        resources.append({"name": res["name"], "title": res.get("title", ""), "description": res.get("description", ""),
                          "paths": resource_paths(res), "rows": len(ledger.frames[res["name"]]), "fields": fields,
                          "primary_key": schema.get("primaryKey", []), "foreign_keys": keys})
    licence = package.descriptor.get("licenses", [{}])[0]
    return render("data.md.j2", resources=resources, licence=licence, as_of=package.as_of.isoformat())


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return Rendered(
        blocks={"metric-definitions": metric_definitions_block(), "finding-codes": codes_block()},
        files={"data/index.md": data_page(ledger.package, ledger)},
    )
