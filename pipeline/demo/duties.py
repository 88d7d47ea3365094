"""Duty lists (履职事项清单) of every township and street: 基本, 配合 and 上级部门收回 items.

Each county publishes one list document for its townships (or streets) and
revises it once; most items are shared across the county's units, some are
local. Nationally a unit lists about 340 items (117 / 99 / 124); here each lists
roughly 300–380. A devolved power a unit took over is a basic item resting on it
(``devolved_item_id``); a revoked one becomes an item its department took back.
Drawn from its own random stream, so the other resources keep their bytes.
"""

from __future__ import annotations

import datetime as dt
import random

from pipeline.demo import text as T

# (domain, departments that lead its 配合 items or take its items back, objects of its duties)
DOMAINS = [
    ("党的建设", ["mzj"], ["基层党组织建设", "党员教育管理", "村（社区）两委班子建设", "党风廉政建设", "意识形态工作",
                      "群团组织建设", "离退休干部服务", "村务监督委员会建设", "基层干部培训", "党群服务中心运行"]),
    ("经济发展", ["fgj", "jxj", "swj"], ["企业走访服务", "招商引资项目服务", "统计调查", "农村集体经济发展",
                                     "营商环境优化", "重点项目建设服务", "个体工商户帮扶", "电商服务站点建设",
                                     "闲置资产盘活", "小微企业融资对接"]),
    ("社会保障", ["mzj", "rsj", "ybj"], ["最低生活保障申请受理", "特困人员救助供养", "残疾人两项补贴受理",
                                      "居家养老服务", "就业创业服务", "城乡居民医保参保", "城乡居民养老保险经办",
                                      "殡葬改革宣传", "困境儿童关爱", "临时救助申请受理"]),
    ("公共服务", ["jyj", "wjw", "wgj", "dsj"], ["适龄儿童入学动员", "基本公共卫生服务", "家庭医生签约服务",
                                              "公共文化活动组织", "全民健身设施管护", "政务服务事项代办",
                                              "便民服务中心运行", "爱国卫生运动", "健康教育宣传", "文物巡查看护"]),
    ("平安法治", ["sfj", "gaj", "xfj"], ["矛盾纠纷排查化解", "信访事项办理", "网格化服务管理", "普法宣传教育",
                                      "社区矫正协助", "禁毒宣传教育", "防范电信网络诈骗宣传", "人民调解组织建设",
                                      "重点人员服务管理", "群防群治队伍建设"]),
    ("生态环保", ["sthjj", "slj"], ["河湖长制巡查", "林长制巡护", "秸秆禁烧巡查", "农村生活污水治理设施管护",
                                 "大气污染防治巡查", "饮用水水源地巡查", "畜禽养殖污染巡查", "河道保洁",
                                 "水土保持巡查", "环境问题信访处置"]),
    ("应急管理", ["yjglj", "slj"], ["防汛防台", "森林防灭火", "安全生产巡查", "自然灾害救助", "应急预案演练",
                                 "消防安全检查", "地质灾害隐患点巡查", "应急物资储备", "危化品运输巡查",
                                 "避灾安置场所管理"]),
    ("城乡建设", ["zjj", "zhzfj", "jtj"], ["农村建房巡查", "违法建设巡查", "市容环境卫生管理", "农村公路养护",
                                       "农村供水保障", "物业管理指导", "老旧小区改造", "燃气安全巡查",
                                       "户外广告设置管理", "农村生活垃圾收运"]),
    ("农业农村", ["nyncj", "zrzyj"], ["耕地保护巡查", "粮食生产", "动物防疫", "农田水利设施管护",
                                   "乡村振兴项目管理", "防止返贫动态监测", "农村土地承包管理",
                                   "高标准农田建设", "农产品质量安全巡查", "宅基地使用巡查"]),
    ("市场监管", ["scjgj"], ["食品安全协管", "特种设备安全巡查", "无证无照经营巡查", "农贸市场管理",
                          "校园周边食品安全巡查", "价格监督", "计量器具巡查", "消费纠纷调解",
                          "药品安全宣传", "集体聚餐备案指导"]),
]
BASIC_VERBS = ["组织开展", "负责", "落实"]
RETURNED_FORMS = ["{obj}中的专业检测", "{obj}相关行政审批", "{obj}中的行政执法", "{obj}的数据统计填报",
                  "{obj}的技术评估", "{obj}相关证明开具"]
SIZES = {"basic": (60, 85), "cooperative": (85, 112), "returned_up": (100, 135)}  # per unit, before devolved items
LETTERS = {"basic": "J", "cooperative": "P", "returned_up": "S"}
# county → (list document, its date; revision document, its date)
DOCUMENTS = {
    T.COUNTIES[0][0]: ("示区办发〔2025〕6号", "2025-04-30", "示区办发〔2026〕4号", "2026-03-31"),
    T.COUNTIES[1][0]: ("示县办发〔2025〕11号", "2025-06-30", "示县办发〔2026〕5号", "2026-04-30"),
}


def catalogue() -> dict[str, list[tuple[str, str | None]]]:
    """Every possible item of each list: (name, department)."""
    basic = [(verb + obj, None) for _, _, objects in DOMAINS for obj in objects for verb in BASIC_VERBS]
    cooperative = [(f"配合{T.DEPARTMENTS[dept]}做好{obj}", dept)
                   for _, depts, objects in DOMAINS for obj in objects for dept in depts]
    returned_up = [(form.format(obj=obj), depts[i % len(depts)])
                   for _, depts, objects in DOMAINS for obj in objects for i, form in enumerate(RETURNED_FORMS)]
    return {"basic": basic, "cooperative": cooperative, "returned_up": returned_up}


def build_duty_items(rng: random.Random, units: list[dict], items: list[dict], devolutions: list[dict],
                     as_of: dt.date) -> list[dict]:
    every = catalogue()
    by_item = {item["id"]: item for item in items}
    rows = []
    for county, (ref, first, revision_ref, revised) in DOCUMENTS.items():
        start = min(dt.date.fromisoformat(first), as_of)
        revised_on = dt.date.fromisoformat(revised)
        revision = revised_on <= as_of
        # The county's catalogue: what its units' lists are drawn from (most items shared).
        shared = {kind: rng.sample(options, min(len(options), SIZES[kind][1] + 15)) for kind, options in every.items()}
        for unit in [u for u in units if u["code"][:6] == county[:6]]:
            serial = dict.fromkeys(LETTERS, 0)

            def add(kind: str, name: str, department: str | None, effective: dt.date, source: str,
                    devolved: str | None = None, removed: dt.date | None = None) -> None:
                serial[kind] += 1
                rows.append({"id": f"LZ-{unit['code'][:9]}-{LETTERS[kind]}{serial[kind]:03d}",
                             "region_code": unit["code"], "name": name, "list_type": kind, "department": department,
                             "devolved_item_id": devolved, "source_ref": source, "effective_on": effective,
                             "removed_on": removed})

            for kind, (lo, hi) in SIZES.items():
                chosen = sorted(rng.sample(range(len(shared[kind])), rng.randint(lo, hi)))
                for index in chosen:
                    name, department = shared[kind][index]
                    if revision and rng.random() < 0.03:  # taken off the list at the revision
                        add(kind, name, department, start, ref, removed=revised_on)
                    elif revision and rng.random() < 0.04:  # added at the revision
                        add(kind, name, department, revised_on, revision_ref)
                    else:
                        add(kind, name, department, start, ref)
            for devolution in [d for d in devolutions if d["region_code"] == unit["code"]]:
                item = by_item[devolution["item_id"]]
                took_over = max(devolution["effective_on"] or item["effective_on"], start)
                if took_over > as_of or rng.random() < 0.3:
                    continue
                source = ref if took_over == start else (revision_ref if took_over <= revised_on else item["decision_ref"])
                revoked = item.get("revoked_on")
                if revoked and revoked < took_over:
                    continue
                add("basic", item["name"], item["from_department"], took_over, source, devolved=item["id"],
                    removed=revoked)
                if revoked:
                    add("returned_up", item["name"], item["from_department"], revoked, item["decision_ref"],
                        devolved=item["id"])
    rows.sort(key=lambda r: r["id"])
    return rows
