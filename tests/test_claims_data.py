"""The real published figures (pipeline/reported_claims.csv) and their verdicts in a generated demo package.

The source is /work/shared/reported-figures.md, sections A–E (outside the repository): the
counts per section and ten exact rows below pin the transcription. The quotes are runs of the
normalised source texts (tests/test_claims_sources.py checks them against those texts).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.figures.claims import check_claims, claims_of, internal_checks, verdict_counts
from pipeline.demo.generator import REPORTED_CLAIMS
from pipeline.validate import validate

REPO = Path(__file__).resolve().parent.parent
FIELDS = ["id", "region_name", "region_code", "subject", "metric", "value", "unit", "period_start", "period_end",
          "source_title", "source_publisher", "source_date", "source_url", "quote"]
TITLE_A = "开会下沉一级 服务更进一步（基层治理新实践）"
TITLE_B = '跑好服务群众"最后一百米"——河北深入推进乡镇和街道改革'
TITLE_C = '松绑减负激活力——"我为群众办实事"系列报道⑤'
TITLE_D = ("关于中办《关于持续解决困扰基层的形式主义问题为决胜全面建成小康社会提供坚强作风保证的通知》的报道"
           "（原标题未载明）")
TITLE_E = "宁波市奉化区周一夜访村(社)（原标题未载明）"
NO_VALUE = {"R-B-06", "R-B-07", "R-B-09", "R-B-13", "R-D-04"}


def row(id_, region, subject, metric, value, unit, start, end, title, publisher, date, quote) -> dict:
    return dict(zip(FIELDS, [id_, region, "", subject, metric, value, unit, start, end, title, publisher, date, "",
                             quote]))


SPOT_CHECKS = [
    row("R-A-01", "义乌市", '组织"市会镇开、镇会村开"活动', "meetings_held", "928", "次", "2019-06-01", "2020-11-06",
        TITLE_A, "人民日报", "2020-11-06", "如今,机制实行一年多,义乌市已组织“市会镇开、镇会村开”活动928次,帮助基层解决问题3227个。"),
    row("R-A-04", "义乌市", "党政纪处分", "other", "23", "人", "2019-06-01", "2020-11-06", TITLE_A, "人民日报",
        "2020-11-06", "结合整治“不守规、不担当、不作为、不适宜、不自律”干部,已问责处理53人,其中党政纪处分23人。"),
    row("R-A-07", "义乌市", "帮助企业稳定信贷规模", "other", "12443", "万元", "", "", TITLE_A, "人民日报", "2020-11-06",
        "在严格核查相关资质后,多方商议,依法依规解决了企业存在的问题,帮助企业稳定信贷规模12443万元,担保风险化解减免630万元,新增贷款2000万元。"),
    row("R-B-02", "河北省", "向基层下沉编制（原文：2.2万余）", "other", "22000", "名", "", "", TITLE_B, "河北日报",
        "2020-08-01", "向基层下沉编制2.2万余名"),
    row("R-B-09", "邱县", "划转的执法事项", "items_devolved", "", "项", "", "", TITLE_B, "河北日报", "2020-08-01",
        "最终确定将住建、发改等10个部门共项执法事项进行划转,集中到新成立的综合行政执法局。"),
    row("R-B-14", "邱县", "在乡镇化解的比例", "township_resolution_share", "75", "%", "", "", TITLE_B, "河北日报",
        "2020-08-01", "今年以来,该平台共接报群众反映热点难点问题3万余件,受理率%,75%在乡镇化解。"),
    row("R-C-08", "西宁市城西区 社区", "盖章证明 精简后", "other", "5", "项", "", "", TITLE_C, "人民网", "2021-12-01",
        "182项盖章证明精简后就剩5项。"),
    row("R-C-11", "达日县", "总体网办率", "other", "90.55", "%", "", "", TITLE_C, "人民网", "2021-12-01",
        "在青海政务服务网形成本级行政许可事项和公共服务事项434项,可在线办理393项,总体网办率达90.55%"),
    row("R-D-01", "北京市", "自2020年7月1日起下放至街道和乡镇的职权", "items_devolved", "431", "项", "", "", TITLE_D,
        "共产党员网（人民日报报道）", "2020-08-01",
        "在北京,自今年7月1日起,原来由市、区有关部门承担的431项相关职权下放至街道办事处和乡镇人民政府,各街乡综合行政执法队相继成立。"),
    row("R-E-03", "宁波市奉化区", "接待群众 人次", "persons_received", "974", "人次", "", "", TITLE_E,
        "奉化区委理论学习中心组", "2020-01-01", "至今共接待群众414批/974人次,化解和办结信访事项、民生实事等各类问题352件。"),
]


@pytest.fixture(scope="module")
def reported() -> list[dict]:
    with REPORTED_CLAIMS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_reported_claims_have_the_claims_schema(reported):
    standard = json.loads((REPO / "pipeline" / "standard.json").read_text(encoding="utf-8"))
    claims = next(r for r in standard["resources"] if r["name"] == "claims")
    assert [f["name"] for f in claims["schema"]["fields"]] == FIELDS
    assert list(reported[0]) == FIELDS


def test_every_figure_of_every_section_is_a_claim(reported):
    sections = Counter(r["id"].split("-")[1] for r in reported)
    assert sections == {"A": 10, "B": 18, "C": 16, "D": 4, "E": 11}  # C: "182 → 5" is two claims
    for section, count in sections.items():
        ids = [r["id"] for r in reported if r["id"].startswith(f"R-{section}-")]
        assert ids == [f"R-{section}-{n:02d}" for n in range(1, count + 1)]


@pytest.mark.parametrize("expected", SPOT_CHECKS, ids=[r["id"] for r in SPOT_CHECKS])
def test_spot_checked_rows(reported, expected):
    assert next(r for r in reported if r["id"] == expected["id"]) == expected


def test_real_claims_keep_real_places_out_of_regions(reported):
    for r in reported:
        assert r["region_code"] == "" and r["source_url"] == "", r["id"]
        assert 0 < len(r["quote"]) <= 300 and r["source_title"] and r["source_publisher"], r["id"]
        assert re.fullmatch(r"20(20|21)-\d\d-\d\d", r["source_date"]), r["id"]


def test_numbers_are_the_sources_own(reported):
    """Every value appears in its quote, or its approximate original words (万余, 余) do."""
    approximate = {"R-B-02": "2.2万余", "R-B-12": "3万余", "R-C-16": "1600余"}
    for r in reported:
        if r["value"] == "":
            assert r["id"] in NO_VALUE
            continue
        assert (approximate.get(r["id"]) or r["value"]) in r["quote"], r["id"]
    assert {r["id"] for r in reported if r["value"] == ""} == NO_VALUE


def test_generator_copies_the_real_claims_unchanged(demo_dir):
    lines = (demo_dir / "claims.csv").read_text(encoding="utf-8").splitlines()
    reported = REPORTED_CLAIMS.read_text(encoding="utf-8").splitlines()
    assert lines[0] == reported[0]
    assert lines[-len(reported) + 1:] == reported[1:]
    assert all(line.startswith("C-") for line in lines[1:-len(reported) + 1])


def test_verdicts_in_the_demo_package(demo_dir):
    report, ledger = validate(demo_dir)
    assert report.valid
    checks = {c.claim.id: c for c in check_claims(ledger)}
    assert len(checks) == 11 + 59
    expected = {"C-001": "consistent", "C-002": "consistent", "C-003": "consistent", "C-004": "consistent",
                "C-005": "inconsistent", "C-006": "inconsistent", "C-007": "inconsistent", "C-008": "no_value",
                "C-009": "consistent", "C-010": "inconsistent", "C-011": "consistent"}  # C-009…011: 基层减负
    assert {k: checks[k].verdict for k in expected} == expected
    real = {k: c.verdict for k, c in checks.items() if k.startswith("R-")}
    assert {k for k, v in real.items() if v == "no_value"} == NO_VALUE
    assert {v for k, v in real.items() if k not in NO_VALUE} == {"unverifiable"}
    assert verdict_counts(list(checks.values())) == {"consistent": 6, "inconsistent": 4, "unverifiable": 54,
                                                     "no_value": 6}
    internal = internal_checks(claims_of(ledger))
    assert {k: v.verdict for k, v in internal.items()} == {"R-C-11": "consistent", "R-C-15": "consistent"}


def test_other_metric_shown_as_other(demo_dir):
    """The defect: 46 reasons read "台账中没有对应的指标（other）"; they now say what the claim counts."""
    report, ledger = validate(demo_dir)
    checks = {c.claim.id: c for c in check_claims(ledger)}
    assert not [k for k, c in checks.items() if "other" in c.reason]
    assert checks["R-A-03"].reason == "“问责处理”在台账中没有对应的记录，无法核对。"
    assert checks["R-B-02"].reason == "“向基层下沉编制”在台账中没有对应的记录，无法核对。"
    assert checks["R-C-08"].reason == "“盖章证明 精简后”在台账中没有对应的记录，无法核对。"
    # 45 of the 46 (R-C-02 累计为基层减负 names burden_cuts_count since issue #22: unverifiable for its place)
    assert sum(1 for c in checks.values() if c.reason.endswith("在台账中没有对应的记录，无法核对。")) == 45
    assert checks["R-C-02"].reason == "该地区不在本台账的区划表中（没有区划代码），台账中没有它的记录。"
