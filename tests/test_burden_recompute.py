"""The five burden metrics recomputed from the CSVs by an independent implementation of the
standard's definitions (data-standard.md, "Burden metrics"), with the csv module only, against the
published api/v1/summary.json:

- documents_received_12m, meetings_attended_12m, report_forms_12m: the sum over the 12 calendar
  months ending with the month of as_of;
- burden_change_rate: (documents + meetings + report forms in those 12 months) ÷ (the same in the
  12 months before) − 1; empty when the earlier year has no rows;
- burden_cuts_count: burden_cuts rows with cut_on ≤ as_of.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipeline.core.cache import FileCache
from pipeline.figures.metrics import compute_all
from pipeline.render.home import summary_document
from pipeline.validate import validate

NAMES = ("documents_received_12m", "meetings_attended_12m", "report_forms_12m", "burden_change_rate",
         "burden_cuts_count")


def rows(folder: Path, name: str) -> list[dict]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def months_back(as_of: dt.date, first: int, last: int) -> set[str]:
    """The months ``first`` … ``last`` months before the month of as_of (0 = that month)."""
    found = set()
    for back in range(first, last + 1):
        year, month = as_of.year, as_of.month - back
        while month < 1:
            year, month = year - 1, month + 12
        found.add(f"{year:04d}-{month:02d}")
    return found


def recomputed(folder: Path, as_of: dt.date | None = None) -> dict[str, dict]:
    if as_of is None:
        as_of = dt.date.fromisoformat(json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["as_of"])
    reports = rows(folder, "burden_reports")
    recent, earlier = months_back(as_of, 0, 11), months_back(as_of, 12, 23)
    assert len(recent) == len(earlier) == 12 and not recent & earlier

    def total(field: str, months: set[str]) -> int:
        return sum(int(r[field]) for r in reports if r["month"] in months)

    out = {}
    for field, name in (("documents_received", "documents_received_12m"),
                        ("meetings_attended", "meetings_attended_12m"), ("report_forms", "report_forms_12m")):
        value = total(field, recent)
        out[name] = {"value": value, "numerator": value, "denominator": None}
    load = ("documents_received", "meetings_attended", "report_forms")
    now = sum(total(f, recent) for f in load)
    before_rows = [r for r in reports if r["month"] in earlier]
    before = sum(total(f, earlier) for f in load)
    if not before_rows:
        out["burden_change_rate"] = {"value": None, "numerator": now, "denominator": None}
    else:
        out["burden_change_rate"] = {"value": now / before - 1 if before else None, "numerator": now,
                                     "denominator": before}
    cuts = sum(1 for r in rows(folder, "burden_cuts") if dt.date.fromisoformat(r["cut_on"]) <= as_of)
    out["burden_cuts_count"] = {"value": cuts, "numerator": cuts, "denominator": None}
    return out


def published(folder: Path) -> dict[str, dict]:
    """api/v1/summary.json as the build writes it (pipeline/render/home.py) for the package."""
    report, ledger = validate(folder, cache=FileCache(None))
    assert report.valid, [f.message_en for f in report.errors]
    summary = json.loads(summary_document(ledger, compute_all(ledger)))
    return {name: summary["metrics"][name] for name in NAMES}


def test_burden_metrics_recompute_from_the_demo_site(demo_dir, built_demo_site):
    summary = json.loads((built_demo_site / "api" / "v1" / "summary.json").read_text(encoding="utf-8"))
    expected = recomputed(demo_dir)
    assert {name: summary["metrics"][name] for name in NAMES} == expected
    assert expected["burden_change_rate"]["value"] < 0  # the demo's load falls after the cuts
    assert 60 <= expected["burden_cuts_count"]["value"] <= 150


def test_burden_metrics_recompute_on_the_tiny_package(tiny):
    expected = recomputed(tiny)
    assert published(tiny) == expected
    # tiny, as_of 2026-04-30: 2025-05…2026-04 against 2024-05…2025-04 (甲镇's 2025-01…04 only)
    assert expected["documents_received_12m"]["value"] == 312 + 99
    assert expected["burden_change_rate"]["numerator"] == 411 + 161 + 265
    assert expected["burden_change_rate"]["denominator"] == 112 + 45 + 75
    assert expected["burden_cuts_count"]["value"] == 4


def test_burden_change_rate_is_empty_when_the_earlier_year_has_no_rows(tiny):
    path = tiny / "burden_reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[1] >= "2025-05"]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    figures = published(tiny)
    assert figures == recomputed(tiny)
    assert figures["burden_change_rate"] == {"value": None, "numerator": 837, "denominator": None}


def test_burden_windows_and_cuts_move_with_the_day_figures_are_taken(tiny):
    """As 报道核对 takes a claim's figures at its period's end (figures/claims.py, period_scope): on
    2026-01-31 the windows are 2025-02…2026-01 and 2024-02…2025-01, and two cuts are counted."""
    report, ledger = validate(tiny, cache=FileCache(None))
    earlier = replace(ledger, as_of=pd.Timestamp("2026-01-31"))
    figures = {name: metric.to_dict() for name, metric in compute_all(earlier).items() if name in NAMES}
    assert figures == recomputed(tiny, dt.date(2026, 1, 31))
    assert figures["burden_cuts_count"]["value"] == 3
    assert figures["burden_change_rate"]["denominator"] == 30 + 12 + 20  # 甲镇's 2025-01 alone
