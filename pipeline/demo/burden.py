"""Burden reduction (基层减负): every township's and street's monthly burden report and the cut list.

The story the data tells: higher levels send each township documents, meetings, report forms and
inspections month by month (发文开会动态监测); the load peaks at year-end reporting (November and
December), dips in the month of the Spring Festival, and falls after each batch of cuts that applies
to the township (a city-wide decision, its county's, or its own). Two townships carry clearly more
than the others. The reports cover 24 months ending with the month of ``as_of`` (two full years, so
that the change against the earlier year compares like with like), or the months from 2025-01 when
that is longer. The cuts come in batches, one decision at each quarter's end, about fourteen cuts a
decision across all seven kinds; most name the department that had demanded the thing.

Drawn from their own random streams (``{seed}:burden-cuts``, ``{seed}:burden-reports``), so the other
resources keep their bytes.
"""

from __future__ import annotations

import datetime as dt
import random

from pipeline.demo import text as T
from pipeline.demo.common import START, months_between, poisson

# Spring Festival (正月初一) of each year the demo may span.
SPRING_FESTIVAL = {2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
                   2028: (1, 26), 2029: (2, 13), 2030: (2, 3)}
SEASON = {11: 1.22, 12: 1.38}  # year-end reporting
FESTIVAL_DIP, AFTER_FESTIVAL = 0.62, 0.88
# A township at factor 1, before any cut: documents, meetings, report forms, inspections a month; work groups kept.
BASE = {"documents_received": 40.0, "meetings_attended": 17.0, "report_forms": 26.0, "inspections_received": 3.2}
WORK_GROUPS = 36
TREND = 0.004  # the standing rule (2024): a little less every month, cuts aside
# kind → (the monthly count it lightens, the share it takes off each month after the cut)
EFFECT = {"document": ("documents_received", 0.035), "meeting": ("meetings_attended", 0.04),
          "report_form": ("report_forms", 0.03), "app": ("report_forms", 0.01),
          "inspection": ("inspections_received", 0.07)}
KIND_WEIGHTS = {"certificate": 30, "report_form": 20, "work_group": 14, "app": 11, "meeting": 9,
                "inspection": 9, "document": 7}
CUTS_PER_DECISION = (11, 17)
WITH_DEPARTMENT = 0.8  # most cuts name the department that demanded the thing

# kind → (name, department that demanded it or None)
CUT_NAMES = {
    "certificate": [
        ("居住证明", "gaj"), ("无犯罪记录证明", "gaj"), ("亲属关系证明", "gaj"), ("户籍迁移情况证明", "gaj"),
        ("家庭经济困难证明", "mzj"), ("未婚证明", "mzj"), ("低收入家庭认定证明", "mzj"), ("残疾情况证明", "mzj"),
        ("健在证明", "rsj"), ("养老保险待遇领取资格证明", "rsj"), ("失业状况证明", "rsj"), ("无欠薪证明", "rsj"),
        ("房屋权属证明", "zrzyj"), ("土地使用情况证明", "zrzyj"), ("宅基地使用证明", "zrzyj"),
        ("无违法建设证明", "zjj"), ("房屋安全状况证明", "zjj"), ("就学困难证明", "jyj"), ("学籍所在地证明", "jyj"),
        ("医疗费用困难证明", "ybj"), ("参保缴费情况证明", "ybj"), ("农作物种植面积证明", "nyncj"),
        ("畜禽养殖情况证明", "nyncj"), ("经营场所使用证明", "scjgj"), ("计划生育情况证明", "wjw"),
        ("灾情损失证明", "yjglj"), ("用水情况证明", "slj"), ("收入情况证明", None), ("社会关系证明", None),
        ("在本地居住年限证明", None)],
    "report_form": [
        ("安全生产隐患排查月报表", "yjglj"), ("消防安全检查月报", "yjglj"), ("农村公路养护月报", "jtj"),
        ("食品安全协管周报", "scjgj"), ("河湖长制巡查台账", "slj"), ("秸秆禁烧巡查日报", "sthjj"),
        ("防止返贫监测周报", "nyncj"), ("高标准农田建设进度表", "nyncj"), ("就业情况月报", "rsj"),
        ("重点项目进度周报", "fgj"), ("统计调查季报", "fgj"), ("企业走访情况台账", "jxj"), ("信访维稳日报", "xfj"),
        ("文明创建材料报送表", "wgj"), ("低保对象动态管理月报", "mzj"), ("学生资助情况统计表", "jyj"),
        ("禁毒工作月报", "gaj"), ("矛盾纠纷排查月报", "sfj"), ("违法建设巡查周报", "zhzfj"), ("商贸流通统计表", "swj"),
        ("健康档案更新统计表", "wjw"), ("重复填报的基础信息表", None)],
    "app": [
        ("安全生产巡查APP", "yjglj"), ("森林防火巡护APP", "yjglj"), ("河长巡河APP", "slj"), ("防返贫监测APP", "nyncj"),
        ("文明实践积分APP", "wgj"), ("食品安全协管APP", "scjgj"), ("环保巡查小程序", "sthjj"),
        ("民政服务信息填报系统", "mzj"), ("社区矫正打卡APP", "sfj"), ("网格员签到APP", None), ("党建学习打卡APP", None),
        ("农房安全排查系统", "zjj")],
    "work_group": [
        ("交通安全劝导工作群", "jtj"), ("秸秆禁烧工作群", "sthjj"), ("创文创卫工作群", "wgj"), ("防汛值班工作群", "slj"),
        ("人口普查工作群", "fgj"), ("农业保险工作群", "nyncj"), ("招商引资信息群", "swj"), ("信访维稳工作群", "xfj"),
        ("社保扩面工作群", "rsj"), ("燃气安全整治工作群", "zjj"), ("疫苗接种工作群", "wjw"), ("校园安全工作群", "jyj"),
        ("消费维权工作群", "scjgj"), ("专项整治临时工作群", None), ("节日值班工作群", None), ("调研接待联络群", None)],
    "meeting": [
        ("每周安全生产例会", "yjglj"), ("季度统计工作会", "fgj"), ("防返贫监测推进会", "nyncj"),
        ("创建工作调度会", "wgj"), ("河湖长制推进会", "slj"), ("环保督察整改调度会", "sthjj"),
        ("信访形势分析会", "xfj"), ("民生实事推进会", "mzj"), ("年度工作部署视频会", None), ("层层传达的二次部署会", None)],
    "document": [
        ("安全生产月度提示函", "yjglj"), ("农村人居环境整治督办通知", "nyncj"), ("环境整治工作简报", "sthjj"),
        ("防汛工作提示函", "slj"), ("创建工作通报", "wgj"), ("统计数据催报函", "fgj"), ("只转发不细化的转发类文件", None),
        ("重复部署的工作方案", None)],
    "inspection": [
        ("安全生产专项督查", "yjglj"), ("文明创建检查", "wgj"), ("人居环境整治考核", "nyncj"), ("河湖长制考核", "slj"),
        ("食品安全检查", "scjgj"), ("信访工作考核", "xfj"), ("秸秆禁烧督查", "sthjj"), ("禁毒工作检查", "gaj"),
        ("台账资料检查", None), ("留痕材料考核", None)],
}
# Who issues a decision: (scope, issuer prefix); "" scope = the whole jurisdiction (the city).
ISSUERS = {"city": "示市委办", "district": "示区委办", "county": "示县委办"}


def report_months(as_of: dt.date) -> list[tuple[int, int]]:
    """24 months ending with the month of as_of, or from 2025-01 when that is longer."""
    last = as_of.year * 12 + as_of.month - 1 - 23
    first = min(dt.date(last // 12, last % 12 + 1, 1), START)
    return months_between(first, as_of)


def decision_dates(months: list[tuple[int, int]], as_of: dt.date) -> list[dt.date]:
    """A decision at the end of each quarter from the fourth month on, none after as_of."""
    ends = []
    for y, m in months[3:]:
        if m in (3, 6, 9, 12):
            end = dt.date(y, m, {3: 31, 6: 30, 9: 30, 12: 31}[m])
            if end <= as_of:
                ends.append(end)
    return ends


def build_burden_cuts(rng: random.Random, units: list[dict], as_of: dt.date) -> list[dict]:
    """Batches of cuts, one decision a quarter: city-wide, a county's, now and then a township's own."""
    months = report_months(as_of)
    counties = {"district": T.COUNTIES[0][0], "county": T.COUNTIES[1][0]}
    used: set[tuple[str | None, str]] = set()
    numbers: dict[tuple[str, int], int] = {}
    rows = []
    for decided in decision_dates(months, as_of):
        scope = ["city", "county", "district"][len(rows) % 3] if rng.random() < 0.75 else "unit"
        if scope == "unit":
            unit = rng.choice(units)
            region, issuer = unit["code"], f"{unit['name']}党委"
        else:
            region, issuer = counties.get(scope), ISSUERS[scope]
        numbers[(issuer, decided.year)] = numbers.get((issuer, decided.year), rng.randint(2, 9)) + rng.randint(3, 12)
        source_ref = f"{issuer}〔{decided.year}〕{numbers[(issuer, decided.year)]}号"
        for _ in range(rng.randint(*CUTS_PER_DECISION)):
            kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
            free = [(n, d) for n, d in CUT_NAMES[kind] if (region, n) not in used and (None, n) not in used]
            if not free:
                continue
            name, department = rng.choice(free)
            used.add((region, name))
            if department is not None and rng.random() > WITH_DEPARTMENT:
                department = None  # the decision does not say who had demanded it
            cut_on = decided - dt.timedelta(days=rng.choice([0, 0, 0, 1, 5, 10]))
            rows.append({"id": None, "region_code": region, "kind": kind, "name": name, "cut_on": cut_on,
                         "department": department, "source_ref": source_ref})
    # Every kind at least once: the list shows them all.
    for kind in KIND_WEIGHTS:
        if rows and not any(r["kind"] == kind for r in rows):
            name, department = next((n, d) for n, d in CUT_NAMES[kind] if (None, n) not in used)
            rows.append(rows[-1] | {"kind": kind, "name": name, "department": department, "region_code": None})
    rows.sort(key=lambda r: (r["cut_on"], r["source_ref"], r["kind"], r["name"]))
    per_year: dict[int, int] = {}
    for row in rows:
        per_year[row["cut_on"].year] = per_year.get(row["cut_on"].year, 0) + 1
        row["id"] = f"JF-{row['cut_on'].year}-{per_year[row['cut_on'].year]:03d}"
    return rows


def _season(y: int, m: int) -> float:
    festival = SPRING_FESTIVAL.get(y, (2, 1))[0]
    if m == festival:
        return FESTIVAL_DIP
    if m == festival + 1:
        return AFTER_FESTIVAL
    return SEASON.get(m, 1.0)


def _applies(cut: dict, unit: str) -> bool:
    return cut["region_code"] in (None, unit, unit[:6] + "000000")


def build_burden_reports(rng: random.Random, units: list[dict], cuts: list[dict], as_of: dt.date) -> list[dict]:
    """One row per township or street and month: the load after the cuts that apply to it."""
    months = report_months(as_of)
    townships = [u["code"] for u in units if u["level"] == "township"]
    heavy = set(rng.sample(townships, min(2, len(townships))))
    factors = {u["code"]: rng.uniform(1.45, 1.65) if u["code"] in heavy else rng.uniform(0.7, 1.12) for u in units}
    rows = []
    for unit in units:
        code = unit["code"]
        factor = factors[code]
        mine = [c for c in cuts if _applies(c, code)]
        for index, (y, m) in enumerate(months):
            start = dt.date(y, m, 1)
            done = [c for c in mine if c["cut_on"] < start]
            level = factor * _season(y, m) * (1 - TREND * index)
            row = {"region_code": code, "month": f"{y:04d}-{m:02d}"}
            for column, base in BASE.items():
                relief = 1.0
                for cut in done:
                    lightened, share = EFFECT.get(cut["kind"], (None, 0.0))
                    if lightened == column:
                        relief *= 1 - share
                row[column] = poisson(rng, base * level * relief)
            closed = sum(1 for c in done if c["kind"] in ("work_group", "app"))
            row["work_groups"] = max(3, round(WORK_GROUPS * factor) - closed + rng.randint(-1, 2))
            if unit["level"] == "street" and (y, m) < (2025, 7):
                row["inspections_received"] = None  # streets began counting inspections in July 2025
            rows.append(row)
    return rows
