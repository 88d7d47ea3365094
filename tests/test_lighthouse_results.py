"""benchmarks/lighthouse.py reads Lighthouse's JSON reports right (the benchmark itself is not a test).

The fixtures are real Lighthouse 12.8.2 reports (mobile, performance + accessibility), trimmed to the
categories, the weighted audits and the audits with estimated savings, the port replaced by 8000:
- issue-page-layout-shift.json: issue/?id=Q-2025-00029 of the bundled site before the lookup box kept
  its space (CLS 0.659, performance 49) on a busy host;
- page-low-contrast-unlabelled-input.json: a two-element page with grey text on white and an input
  without a label (accessibility 81).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lighthouse"


def _load_script():
    spec = importlib.util.spec_from_file_location("lighthouse_bench", ROOT / "benchmarks" / "lighthouse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lighthouse = _load_script()


def report(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_summarize_reads_scores_and_metrics_of_a_layout_shift():
    summary = lighthouse.summarize(report("issue-page-layout-shift"))
    figures = {key: summary[key] for key in ("url", "performance", "accessibility", "cls", "lcp_ms", "tbt_ms",
                                             "fcp_ms", "si_ms", "benchmark_index", "meets_targets")}
    assert figures == {"url": "http://127.0.0.1:8000/issue/?id=Q-2025-00029", "performance": 49, "accessibility": 100,
                       "cls": 0.659, "lcp_ms": 2166, "tbt_ms": 1164, "fcp_ms": 2032, "si_ms": 3354,
                       "benchmark_index": 1037, "meets_targets": False}
    assert summary["accessibility_failures"] == []
    assert [(o["id"], o["metric"], o["saving_ms"]) for o in summary["performance_opportunities"]] == [
        ("mainthread-work-breakdown", "TBT", 1150), ("render-blocking-insight", "LCP", 450),
        ("render-blocking-resources", "LCP", 450)]


def test_summarize_names_failed_accessibility_audits_and_their_elements():
    summary = lighthouse.summarize(report("page-low-contrast-unlabelled-input"))
    assert (summary["performance"], summary["accessibility"], summary["cls"]) == (100, 81, 0)
    assert [(f["id"], f["elements"]) for f in summary["accessibility_failures"]] == [
        ("color-contrast", ["body > p"]), ("label", ["body > form > input#q"])]
    assert summary["meets_targets"] is False  # accessibility below 100


def test_a_run_lighthouse_could_not_complete_is_an_error_not_a_zero():
    failed = {"requestedUrl": "http://127.0.0.1:8000/items/",
              "runtimeError": {"code": "NO_FCP", "message": "The page did not paint any content."},
              "categories": {"performance": {"score": None}, "accessibility": {"score": None}}, "audits": {}}
    summary = lighthouse.summarize(failed)
    assert summary == {"url": "http://127.0.0.1:8000/items/", "error": "NO_FCP: The page did not paint any content."}
    assert lighthouse.meets_targets(summary) is False and lighthouse.trusted(summary) is False


def test_median_keeps_trusted_runs_only():
    runs = [{"performance": 95, "lcp_ms": 1000, "benchmark_index": 1500},
            {"performance": 40, "lcp_ms": 5000, "benchmark_index": 400},  # a busy host: not counted
            {"performance": 91, "lcp_ms": 1200, "benchmark_index": 1100},
            {"performance": 88, "lcp_ms": 1300, "benchmark_index": 1200},
            {"error": "lighthouse exited 1"}]
    kept = lighthouse.median_run(runs)
    assert (kept["performance"], kept["trusted"]) == (91, True)
    busy = lighthouse.median_run([runs[1], {**runs[1], "performance": 60}, {**runs[1], "performance": 70}])
    assert (busy["performance"], busy["trusted"]) == (60, False)


def test_markdown_shows_each_page_and_what_to_fix():
    page = {**lighthouse.summarize(report("page-low-contrast-unlabelled-input")), "path": "/", "trusted": True,
            "runs": [{"performance": 100, "benchmark_index": 1854}, {"performance": 97, "benchmark_index": 700}]}
    results = {"date": "2026-12-03", "lighthouse": "12.8.2", "chromium": "Chromium 156", "machine": "x86_64",
               "gzip": True, "runs": 1, "attempts": 3, "pages": {"home": page}}
    text = lighthouse.render_markdown(results)
    assert "| home (`/`) | 100 | 81 | 0 | 734 | 0 | 734 | missed | 100, 97* |" in text
    assert "- accessibility: label (Form elements do not have associated labels): `body > form > input#q`" in text


def test_requests_to_other_hosts_are_named():
    audits = {"network-requests": {"details": {"items": [
        {"url": "http://127.0.0.1:8000/"}, {"url": "http://127.0.0.1:8000/assets/ledger.css"},
        {"url": "data:image/svg+xml;charset=utf-8,<svg/>"}, {"url": "https://fonts.gstatic.com/s/x.woff2"},
        {"url": "http://localhost:8000/a.js"}]}}}
    assert lighthouse.outside_requests(audits) == ["https://fonts.gstatic.com/s/x.woff2"]
    assert lighthouse.outside_requests({}) == []
