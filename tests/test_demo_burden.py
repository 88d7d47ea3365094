"""The demo's burden data (pipeline/demo/burden.py): every township and street reports every month, the
load has its seasons and falls after the cuts, two townships carry clearly more, and the cut list spans
all seven kinds, mostly naming who had demanded the thing. Asserted on the rows (csv module), on the
bundled demo and on other seeds and snapshot dates."""

from __future__ import annotations

import collections
import datetime as dt
import random
import re
import statistics

import pytest

from pipeline.demo import burden
from pipeline.demo.generator import build_departments, build_regions
from tests.test_demo import Package

KINDS = {"certificate", "report_form", "app", "work_group", "meeting", "document", "inspection"}
LOAD = ("documents_received", "meetings_attended", "report_forms")


def world(seed: int, as_of: dt.date) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    regions = build_regions(random.Random(f"{seed}:regions"))
    units = [r for r in regions if r["level"] in ("township", "street")]
    cuts = burden.build_burden_cuts(random.Random(f"{seed}:burden-cuts"), units, as_of)
    reports = burden.build_burden_reports(random.Random(f"{seed}:burden-reports"), units, cuts, as_of)
    return regions, units, cuts, reports


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def check_rules(regions: list[dict], cuts: list[dict], reports: list[dict], as_of: dt.date) -> None:
    """Every rule of the standard on the rows."""
    levels = {r["code"]: r["level"] for r in regions}
    departments = {d["code"] for d in build_departments()}
    keys = [(r["region_code"], r["month"]) for r in reports]
    assert len(keys) == len(set(keys))
    for row in reports:
        assert levels[row["region_code"]] in ("township", "street")
        assert re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", row["month"]) and row["month"] <= as_of.strftime("%Y-%m")
        assert all(isinstance(row[c], int) and row[c] >= 0 for c in LOAD)
        assert row["inspections_received"] is None or row["inspections_received"] >= 0
        assert row["work_groups"] >= 0
    assert len({c["id"] for c in cuts}) == len(cuts)
    for cut in cuts:
        assert cut["kind"] in KINDS and cut["name"] and cut["source_ref"]
        assert cut["cut_on"] <= as_of
        assert cut["region_code"] is None or cut["region_code"] in levels
        assert cut["department"] is None or cut["department"] in departments


def test_burden_rows_keep_the_rules_for_several_seeds_and_dates():
    for seed, as_of in [(20261031, dt.date(2026, 10, 31)), (7, dt.date(2025, 4, 1)), (11, dt.date(2027, 12, 31)),
                        (3, dt.date(2026, 2, 28))]:
        regions, units, cuts, reports = world(seed, as_of)
        check_rules(regions, cuts, reports, as_of)
        every = months(min(r["month"] for r in reports), as_of.strftime("%Y-%m"))
        assert len(every) >= 24 and every[0] <= "2025-01"
        assert sorted((r["region_code"], r["month"]) for r in reports) == sorted(
            (u["code"], m) for u in units for m in every)


def test_burden_data_is_deterministic_by_seed():
    as_of = dt.date(2026, 10, 31)
    assert world(5, as_of) == world(5, as_of)
    assert world(5, as_of)[2] != world(6, as_of)[2]


def test_the_cut_list_spans_every_kind_mostly_with_departments():
    _, _, cuts, _ = world(20261031, dt.date(2026, 10, 31))
    assert 60 <= len(cuts) <= 150
    assert {c["kind"] for c in cuts} == KINDS
    assert sum(c["department"] is not None for c in cuts) >= 0.6 * len(cuts)
    assert all(re.fullmatch(r".+〔20\d\d〕\d+号", c["source_ref"]) for c in cuts)
    assert len({c["source_ref"] for c in cuts}) >= 5  # several decisions, not one
    scopes = collections.Counter(c["region_code"] is None for c in cuts)
    assert scopes[True] > 0 and scopes[False] > 0  # city-wide cuts and a county's or township's own


@pytest.fixture(scope="module")
def bundled(bundled_demo) -> Package:
    return Package(bundled_demo)


def totals_by_month(reports: list[dict]) -> dict[str, int]:
    out: dict[str, int] = collections.defaultdict(int)
    for row in reports:
        out[row["month"]] += sum(int(row[c]) for c in LOAD)
    return out


def test_the_load_peaks_at_year_end_dips_at_spring_festival_and_falls_after_cuts(bundled):
    by_month = totals_by_month(bundled["burden_reports"])
    def ordinary(year: str) -> float:  # April to September of that year: no peak, no festival
        return statistics.median(by_month[f"{year}-{m:02d}"] for m in range(4, 10))

    assert by_month["2025-12"] > 1.2 * ordinary("2025") and by_month["2025-11"] > 1.1 * ordinary("2025")
    assert by_month["2026-02"] < 0.8 * ordinary("2026")  # Spring Festival 2026-02-17
    assert by_month["2025-01"] < 0.8 * ordinary("2025")  # Spring Festival 2025-01-29
    last_year = sum(by_month[m] for m in months("2025-11", "2026-10"))
    year_before = sum(by_month[m] for m in months("2024-11", "2025-10"))
    assert last_year < 0.9 * year_before


def test_some_townships_carry_clearly_more(bundled):
    per_unit: dict[str, int] = collections.defaultdict(int)
    for row in bundled["burden_reports"]:
        per_unit[row["region_code"]] += sum(int(row[c]) for c in LOAD)
    loads = sorted(per_unit.values())
    assert loads[-2] > 1.3 * statistics.median(loads)


def test_bundled_burden_files_are_what_the_demo_writes(bundled):
    assert (len(bundled["burden_reports"]), len(bundled["burden_cuts"])) == (288, 98)
    assert bundled["burden_reports"][0] == {"region_code": "990102001000", "month": "2024-11",
                                            "documents_received": "48", "meetings_attended": "20",
                                            "report_forms": "23", "inspections_received": "",
                                            "work_groups": "27"}


def test_burden_claims_hold_against_the_rows_or_not(bundled):
    """C-009 the county's own cuts so far (agrees), C-010 the district's cuts of 2025 (overstated by six),
    C-011 the city's load of the last 12 months against the 12 before, in % to one place (agrees)."""
    claims = {c["id"]: c for c in bundled["claims"]}
    cuts = bundled["burden_cuts"]
    county = sum(1 for c in cuts if c["region_code"][:6] == "990121")
    district_2025 = sum(1 for c in cuts if c["region_code"][:6] == "990102" and c["cut_on"][:4] == "2025")
    assert [(claims[i]["metric"], float(claims[i]["value"])) for i in ("C-009", "C-010")] == [
        ("burden_cuts_count", county), ("burden_cuts_count", district_2025 + 6)]
    by_month = totals_by_month(bundled["burden_reports"])
    now = sum(by_month[m] for m in months("2025-11", "2026-10"))
    before = sum(by_month[m] for m in months("2024-11", "2025-10"))
    assert claims["C-011"]["metric"] == "burden_change_rate" and claims["C-011"]["unit"] == "%"
    assert float(claims["C-011"]["value"]) == round(100 * (now / before - 1), 1) < 0
    assert claims["C-011"]["value"] in claims["C-011"]["quote"]
    assert claims["R-C-02"]["metric"] == "burden_cuts_count" and claims["R-C-02"]["region_code"] == ""
