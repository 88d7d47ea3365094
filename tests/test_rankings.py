"""排名 and the nine callback, lifecycle and duty-list metrics of the standard's version 2.

The published figures of a built site are recomputed here from the package's CSV files by an independent
implementation of the data standard's text ("New metrics", "Rankings"): the csv module and plain Python,
nothing imported from pipeline. Golden files pin one ranking page and its JSON document.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pipeline.figures.metrics import METRICS
from tests.golden import check_golden
from tests.test_build import bundled_site  # noqa: F401  (the session's build of the bundled demo)

NEW_METRICS = ("response_rate", "solved_rate", "satisfied_rate", "composite_score", "returned_rate",
               "reopened_rate", "extended_rate", "duty_items_active", "duty_shared_share")
DEFAULTS = {"weights": {"response": 0.1, "solved": 0.5, "satisfied": 0.4}, "basic_satisfied_weight": 0.9,
            "min_callbacks": 10, "period": "month"}
DONE = {"resolved", "evaluated", "archived"}


# --- an independent reading of the package -----------------------------------------------------------

def rows(folder: Path, resource: str) -> list[dict]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    paths = next(r["path"] for r in descriptor["resources"] if r["name"] == resource)
    out = []
    for rel in [paths] if isinstance(paths, str) else paths:
        with open(folder / rel, encoding="utf-8", newline="") as handle:
            out.extend(csv.DictReader(handle))
    return out


def settings(folder: Path) -> tuple[dict, str]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {**DEFAULTS, **descriptor.get("scoring", {})}, descriptor["as_of"]


def rate(numerator, denominator) -> dict:
    return {"value": numerator / denominator if denominator else None, "numerator": numerator,
            "denominator": denominator}


def callback_rates(evaluations: list[dict], scoring: dict) -> dict[str, dict]:
    """响应率, 解决率, 满意率 and 综合成绩 of some evaluations, as the standard defines them."""
    given = [e for e in evaluations if e["contacted"] in ("true", "false")]
    viewed = [e for e in evaluations if e["resolved_view"] != ""]
    rated = [int(e["rating"]) for e in evaluations if e["rating"] != ""]
    high, basic = sum(r >= 4 for r in rated), sum(r == 3 for r in rated)
    out = {"response_rate": rate(sum(e["contacted"] == "true" for e in given), len(given)),
           "solved_rate": rate(sum(e["resolved_view"] == "resolved" for e in viewed), len(viewed)),
           "satisfied_rate": rate(high + scoring["basic_satisfied_weight"] * basic, len(rated))}
    w = scoring["weights"]
    parts = [out["response_rate"]["value"], out["solved_rate"]["value"], out["satisfied_rate"]["value"]]
    score = None if None in parts else 100 * (w["response"] * parts[0] + w["solved"] * parts[1]
                                               + w["satisfied"] * parts[2])
    out["composite_score"] = {"value": score, "numerator": None, "denominator": len(evaluations)}
    return out


def recompute_metrics(folder: Path) -> dict[str, dict]:
    scoring, as_of = settings(folder)
    out = callback_rates(rows(folder, "evaluations"), scoring)
    issues = rows(folder, "issues")
    events = rows(folder, "issue_events")
    having = {kind: {e["issue_id"] for e in events if e["event"] == kind} for kind in ("returned", "reopened", "extended")}
    assigned = [i for i in issues if i["assigned_on"] != ""]
    done = [i for i in issues if i["status"] in DONE]
    out["returned_rate"] = rate(sum(i["id"] in having["returned"] for i in assigned), len(assigned))
    out["reopened_rate"] = rate(sum(i["id"] in having["reopened"] for i in done), len(done))
    out["extended_rate"] = rate(sum(i["id"] in having["extended"] for i in assigned), len(assigned))
    active = [d for d in rows(folder, "duty_items")
              if d["effective_on"] <= as_of and not (d["removed_on"] and d["removed_on"] <= as_of)]
    out["duty_items_active"] = {"value": len(active), "numerator": len(active), "denominator": None}
    out["duty_shared_share"] = rate(sum(d["list_type"] in ("cooperative", "returned_up") for d in active), len(active))
    return out


def period_key(day: str, period: str) -> str:
    year, month = int(day[:4]), int(day[5:7])
    return f"{year}-Q{(month - 1) // 3 + 1}" if period == "quarter" else day[:7]


def recompute_ranking(folder: Path, period: str, previous: str | None) -> list[dict]:
    """The ranking of one period, as the standard's "Rankings" section says."""
    scoring, as_of = settings(folder)
    regions = {r["code"]: r for r in rows(folder, "regions")}

    def unit(code: str) -> str | None:
        while code in regions:
            if regions[code]["level"] in ("township", "street"):
                return code
            code = regions[code]["parent_code"]
        return None

    issue_unit = {i["id"]: unit(i["region_code"]) for i in rows(folder, "issues")}
    evaluations = [e for e in rows(folder, "evaluations") if e["evaluated_on"] <= as_of]

    def table(key: str) -> dict[str, dict]:
        out = {}
        for code in sorted(c for c, r in regions.items() if r["level"] in ("township", "street")):
            mine = [e for e in evaluations
                    if issue_unit.get(e["issue_id"]) == code and period_key(e["evaluated_on"], scoring["period"]) == key]
            figures = callback_rates(mine, scoring)
            out[code] = {"region_code": code, "name": regions[code]["name"], "evaluations": len(mine),
                         **{k: figures[k] for k in ("response_rate", "solved_rate", "satisfied_rate")},
                         "composite_score": figures["composite_score"]["value"]}
        eligible = [r for r in out.values() if r["evaluations"] >= scoring["min_callbacks"]
                    and r["composite_score"] is not None]
        eligible.sort(key=lambda r: (-round(r["composite_score"], 9), -r["evaluations"], r["region_code"]))
        for code, one in out.items():
            one["rank"] = next((n for n, r in enumerate(eligible, 1) if r["region_code"] == code), None)
        return out

    now = table(period)
    before = table(previous) if previous else {}
    for code, one in now.items():
        old = before.get(code, {}).get("rank")
        one["rank_change"] = old - one["rank"] if one["rank"] is not None and old is not None else None
    return sorted(now.values(), key=lambda r: (r["rank"] is None, r["rank"] or 0, r["region_code"]))


def same(published: dict, expected: dict) -> None:
    """Equal, floats to 1e-9 relative."""
    for key, value in expected.items():
        got = published[key]
        if isinstance(value, dict):
            same(got, value)
        elif isinstance(value, float) and got is not None:
            assert got == pytest.approx(value, rel=1e-9), key
        else:
            assert got == value, key


# --- the tests -------------------------------------------------------------------------------------

def test_new_metrics_missing_from_the_registry():
    """The nine metrics of the standard's version 2 are registered, each with a definition and its columns."""
    for name in NEW_METRICS:
        spec = METRICS[name]
        assert spec.title_zh and spec.definition_zh and spec.reads, name
    assert METRICS["composite_score"].kind == "score"
    assert METRICS["duty_items_active"].kind == "count"


@pytest.mark.slow
def test_new_metrics_in_summary_differ_from_an_independent_recomputation(bundled_demo, bundled_site):  # noqa: F811
    summary = json.loads((bundled_site / "api/v1/summary.json").read_text(encoding="utf-8"))["metrics"]
    expected = recompute_metrics(bundled_demo)
    for name in NEW_METRICS:
        same(summary[name], expected[name])
    assert summary["duty_items_active"]["value"] > 0 and summary["returned_rate"]["numerator"] > 0


@pytest.mark.slow
def test_latest_ranking_differs_from_an_independent_recomputation(bundled_demo, bundled_site):  # noqa: F811
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    latest, previous = index["periods"][0]["period"], index["periods"][1]["period"]
    document = json.loads((bundled_site / f"api/v1/rankings/{latest}.json").read_text(encoding="utf-8"))
    expected = recompute_ranking(bundled_demo, latest, previous)
    assert [u["region_code"] for u in document["units"]] == [u["region_code"] for u in expected]
    for published, mine in zip(document["units"], expected):
        same(published, mine)
    ranked = [u for u in expected if u["rank"] is not None]
    assert ranked and len(ranked) < len(expected)  # both kinds of row are exercised
    assert any(u["rank_change"] not in (None, 0) for u in ranked)


@pytest.mark.slow
def test_every_period_missing_a_page_or_document(bundled_demo, bundled_site):  # noqa: F811
    """Every month from the first evaluation to as_of has a page and a document; home links the latest."""
    months = sorted({e["evaluated_on"][:7] for e in rows(bundled_demo, "evaluations")})
    first, last = months[0], settings(bundled_demo)[1][:7]
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    periods = [p["period"] for p in index["periods"]]
    assert periods[0] == last and periods[-1] == first
    assert len(periods) == (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    for period in periods:
        assert (bundled_site / f"rankings/{period}/index.html").is_file()
        assert (bundled_site / f"api/v1/rankings/{period}.json").is_file()
    home = (bundled_site / "index.html").read_text(encoding="utf-8")
    assert f'<a href="rankings/{last}/">最新一期（{last}）排名</a>' in home


def test_ranking_page_and_document_golden(bundled_demo):
    from pipeline.render.rankings import render_section
    from pipeline.validate import validate

    _, ledger = validate(bundled_demo)
    files = render_section(ledger, {}).files
    check_golden("rankings_2026-09.md", files["rankings/2026-09.md"])
    check_golden("rankings_2026-09.json", files["api/v1/rankings/2026-09.json"])


# --- the ranking rules on a hand-made set of callbacks ------------------------------------------------

A, B = "990121001000", "990121002000"  # the tiny package's two townships (甲镇, 乙镇)


def callbacks(tiny_ledger, answers: list[tuple[str, str, bool, str, int]], **settings):
    """The tiny ledger with ``answers`` (evaluated_on, region, contacted, resolved_view, rating) as its evaluations
    and ``settings`` laid over the standard's scoring."""
    import dataclasses

    import pandas as pd

    frame = pd.DataFrame({"evaluated_on": pd.to_datetime([a[0] for a in answers]),
                          "issue_region_code": [a[1] for a in answers],
                          "contacted": pd.array([a[2] for a in answers], dtype="boolean"),
                          "resolved_view": [a[3] for a in answers],
                          "rating": pd.array([a[4] for a in answers], dtype="Int64")})
    descriptor = {**tiny_ledger.package.descriptor, "scoring": {**DEFAULTS, **settings}}
    package = dataclasses.replace(tiny_ledger.package, descriptor=descriptor)
    return dataclasses.replace(tiny_ledger, package=package, frames={**tiny_ledger.frames, "evaluations": frame})


def test_ranking_tie_not_broken_by_evaluations_then_code(tiny_ledger):
    """Equal composite scores: more evaluations first; equal again, the lower region code first."""
    from pipeline.figures.rankings import rankings

    same_answers = [("2026-03-02", A, True, "resolved", 5)] * 3 + [("2026-03-02", B, True, "resolved", 5)] * 3
    (march, april) = rankings(callbacks(tiny_ledger, same_answers + [("2026-04-01", B, True, "resolved", 5)] * 4
                                        + [("2026-04-01", A, True, "resolved", 5)] * 3, min_callbacks=3))
    assert [(r.region_code, r.rank, r.composite_score) for r in march.rows] == [(A, 1, 100.0), (B, 2, 100.0)]
    assert [(r.region_code, r.rank, r.rank_change) for r in april.rows] == [(B, 1, 1), (A, 2, -1)]


def test_ranking_ranks_a_unit_below_min_callbacks(tiny_ledger):
    """Fewer than min_callbacks evaluations: listed with its rates, rank null, no rank change."""
    from pipeline.figures.rankings import rankings

    answers = [("2026-03-02", A, True, "resolved", 5)] * 3 + [("2026-03-02", B, False, "partly", 3)] * 2
    (march,) = [r for r in rankings(callbacks(tiny_ledger, answers, min_callbacks=3)) if r.period == "2026-03"]
    assert [(r.region_code, r.evaluations, r.rank) for r in march.rows] == [(A, 3, 1), (B, 2, None)]
    b = march.rows[1]
    assert b.rates["satisfied_rate"].to_dict() == {"value": 0.9, "numerator": 1.8, "denominator": 2}
    assert b.rates["solved_rate"].to_dict() == {"value": 0.0, "numerator": 0, "denominator": 2}
    assert b.composite_score == pytest.approx(100 * 0.4 * 0.9) and b.rank_change is None


def test_quarter_period_labelled_as_months(tiny_ledger):
    """scoring.period = quarter: one ranking per calendar quarter, labelled YYYY-Qn, from the first callback's."""
    from pipeline.figures.rankings import rankings

    answers = [("2025-12-31", A, True, "resolved", 4), ("2026-01-01", A, True, "resolved", 4),
               ("2026-03-31", A, False, "not_resolved", 1)]
    tables = rankings(callbacks(tiny_ledger, answers, period="quarter", min_callbacks=1))
    assert [(t.period, t.first_day, t.last_day) for t in tables] == [
        ("2025-Q4", "2025-10-01", "2025-12-31"), ("2026-Q1", "2026-01-01", "2026-03-31"),
        ("2026-Q2", "2026-04-01", "2026-06-30")]
    assert [r.evaluations for r in tables[1].rows] == [2, 0]
    assert tables[1].rows[0].rates["response_rate"].to_dict() == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert tables[1].rows[0].rank_change == 0 and tables[2].rows[0].rank is None


def test_composite_score_ignores_scoring_weights(tiny_ledger):
    """The descriptor's weights and 基本满意 credit make the score, not the defaults."""
    from pipeline.figures.metrics import composite_score

    answers = [("2026-03-02", A, True, "not_resolved", 3), ("2026-03-02", A, False, "resolved", 5)]
    ledger = callbacks(tiny_ledger, answers, weights={"response": 0.5, "solved": 0.0, "satisfied": 0.5},
                       basic_satisfied_weight=0.5)
    assert composite_score(ledger).value == pytest.approx(100 * (0.5 * 0.5 + 0.5 * 0.75))


@pytest.mark.slow
def test_ranking_feed_missing_for_a_township(bundled_demo, bundled_site):  # noqa: F811
    """Every township and street has an Atom feed of its rankings: an entry per period (newest first, ids that
    name the period and the unit, dated by the period's last day), listed on the API page."""
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    units = [r for r in rows(bundled_demo, "regions") if r["level"] in ("township", "street")]
    periods = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))["periods"]
    api_page = (bundled_site / "data/api/index.html").read_text(encoding="utf-8")
    for unit in units:
        path = f"feeds/rankings-{unit['code']}.xml"
        assert f"<code>{path}</code>" in api_page
        feed = ET.parse(bundled_site / path).getroot()
        entries = feed.findall("a:entry", ns)
        assert [e.find("a:id", ns).text for e in entries] == [
            f"tag:sunshine-ledger,2026:ranking/{p['period']}/{unit['code']}" for p in periods]
        latest = json.loads((bundled_site / periods[0]["path"]).read_text(encoding="utf-8"))
        row = next(u for u in latest["units"] if u["region_code"] == unit["code"])
        title = entries[0].find("a:title", ns).text
        assert title == (f"{unit['name']} {periods[0]['period']} 回访排名：" +
                         ("样本不足，未排名" if row["rank"] is None
                          else f"第 {row['rank']} 名，综合成绩 {row['composite_score']:.2f}"))
        assert entries[0].find("a:updated", ns).text == "2026-10-31T00:00:00+08:00"


@pytest.mark.slow
def test_new_metrics_of_a_township_differ_from_an_independent_recomputation(bundled_demo, bundled_site):  # noqa: F811
    """Broken down like the others: a township's document (api/v1/regions/<code>.json) holds the new metrics
    over its own records (issues placed in it or its villages, their evaluations and events, its duty items)."""
    import shutil
    import tempfile

    regions = {r["code"]: r for r in rows(bundled_demo, "regions")}

    def inside(code: str, town: str) -> bool:
        while code in regions:
            if code == town:
                return True
            code = regions[code]["parent_code"]
        return False

    town = sorted(c for c, r in regions.items() if r["level"] == "township")[0]
    with tempfile.TemporaryDirectory() as folder:
        part = Path(folder)
        shutil.copy(bundled_demo / "datapackage.json", part / "datapackage.json")
        issues = [i for i in rows(bundled_demo, "issues") if inside(i["region_code"], town)]
        ids = {i["id"] for i in issues}
        kept = {"issues": issues, "evaluations": [e for e in rows(bundled_demo, "evaluations") if e["issue_id"] in ids],
                "issue_events": [e for e in rows(bundled_demo, "issue_events") if e["issue_id"] in ids],
                "duty_items": [d for d in rows(bundled_demo, "duty_items") if inside(d["region_code"], town)]}
        descriptor = json.loads((part / "datapackage.json").read_text(encoding="utf-8"))
        for resource in descriptor["resources"]:
            if resource["name"] in kept:
                resource["path"] = f"{resource['name']}.csv"
                with open(part / resource["path"], "w", encoding="utf-8", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(kept[resource["name"]][0]))
                    writer.writeheader()
                    writer.writerows(kept[resource["name"]])
        (part / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        expected = recompute_metrics(part)
    published = json.loads((bundled_site / f"api/v1/regions/{town}.json").read_text(encoding="utf-8"))["metrics"]
    for name in NEW_METRICS:
        same(published[name], expected[name])
    assert published["duty_items_active"]["value"] > 0


@pytest.mark.slow
def test_an_older_ranking_differs_from_an_independent_recomputation(bundled_demo, bundled_site):  # noqa: F811
    """Every period, not only the latest: older pages stay at their URLs, so each must stay right."""
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    periods = [p["period"] for p in reversed(index["periods"])]  # oldest first
    assert len(periods) > 12
    for previous, period in zip([None, *periods], periods):
        document = json.loads((bundled_site / f"api/v1/rankings/{period}.json").read_text(encoding="utf-8"))
        expected = recompute_ranking(bundled_demo, period, previous)
        assert [u["region_code"] for u in document["units"]] == [u["region_code"] for u in expected], period
        for published, mine in zip(document["units"], expected):
            same(published, mine)


@pytest.mark.slow
def test_township_page_missing_its_ranking(bundled_demo, bundled_site):  # noqa: F811
    """A township's page carries its score chart, its latest periods and a link to its whole history."""
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    latest = index["periods"][0]["period"]
    document = json.loads((bundled_site / f"api/v1/rankings/{latest}.json").read_text(encoding="utf-8"))
    for unit in document["units"]:
        code, name = unit["region_code"], unit["name"]
        page = (bundled_site / f"issues/region/{code}/index.html").read_text(encoding="utf-8")
        assert '<h2 id="ranking">回访排名' in page, code
        assert f'<a href="../../../rankings/unit/{code}/">历次排名（{len(index["periods"])} 期）</a>' in page
        assert f'<a href="../../../feeds/rankings-{code}.xml">' in page
        if unit["rank"] is None:
            sentence = f'回访评价 {unit["evaluations"]} 条，少于 10 条，样本不足，未排名。'
        else:
            sentence = f'排第 {unit["rank"]} 名，综合成绩 {unit["composite_score"]:.2f}（'
        assert f'{name}在最近一期（<a href="../../../rankings/{latest}/">{latest}</a>）{sentence}' in page
        history = (bundled_site / f"rankings/unit/{code}/index.html").read_text(encoding="utf-8")
        ranked_ever = 'id="ranking-history-' in history
        assert (f'id="ranking-{code}"' in page) is ranked_ever  # the same chart as the history page, or none
    assert any(u["rank"] is None for u in document["units"]) and any(u["rank"] for u in document["units"])


def test_two_metrics_share_a_title():
    """满意率 (ratings 3–5 all count) and the ranking's 回访满意率 (基本满意 counts 0.9) once had one title."""
    stems = [m.title_zh.split("（")[0] for m in METRICS.values()]  # a note in brackets is lost in a table header
    assert sorted(s for s in stems if stems.count(s) > 1) == []
    assert METRICS["satisfied_rate"].title_zh == "回访满意率"


def test_rankings_computed_once_for_the_section_and_the_township_pages(tiny_ledger, monkeypatch):
    """The 排名 section and every township page read one computation: also the issue pages' ledger, which
    keeps fewer issue columns (the same evaluations and regions), reads it; other evaluations are ranked afresh."""
    from dataclasses import replace

    from pipeline.figures import rankings as module
    from pipeline.render.issues import page_ledger

    calls = []
    original = module._rank_every_period
    monkeypatch.setattr(module, "_rank_every_period", lambda ledger: calls.append(1) or original(ledger))
    fresh = replace_frames(tiny_ledger)
    first = module.rankings(fresh)
    assert module.rankings(fresh) is first
    assert module.rankings(page_ledger(fresh)) is first
    assert len(calls) == 1
    fewer = replace(fresh, frames={**fresh.frames, "evaluations": fresh.evaluations.iloc[:-1]})
    assert module.rankings(fewer) is not first and len(calls) == 2  # other evaluations are ranked afresh
    other_package = replace(fresh, package=replace(fresh.package))
    assert module.rankings(other_package) == first and len(calls) == 3  # so is another package


def test_rankings_computed_once_in_a_render(tiny_ledger, monkeypatch, tmp_path):
    """A whole render (every section) ranks each period once."""
    from pipeline.figures import rankings as module
    from pipeline.render import render_all

    calls = []
    original = module._rank_every_period
    monkeypatch.setattr(module, "_rank_every_period", lambda ledger: calls.append(1) or original(ledger))
    ledger = replace_frames(tiny_ledger)
    render_all(ledger, lambda file: None)
    assert len(calls) == 1


def replace_frames(ledger):
    """The ledger with evaluations of its own (a frame no other test has ranked)."""
    from dataclasses import replace

    return replace(ledger, frames={**ledger.frames, "evaluations": ledger.evaluations.copy()})
