"""benchmarks/run.py's report says what it did not measure: a run with ``--skip-build`` (the megacity's
validation) names no build figure and says why."""

from __future__ import annotations

import benchmarks.run as bench

SKIPPED = "`ledger build` was not run (`--skip-build`): no figure of the build or the site in this run."


def summary(results: list[dict]) -> dict:
    return {"date": "2026-12-04", "machine": "m", "issues": 10_000_000, "rows_in_package": 23_278_992,
            "largest_data_file": {"path": "issues/2026/2026-10.csv", "bytes": 45 << 20, "files": 136},
            "realistic_pr": None, "peak_mb": max(r["peak_mb"] for r in results), "ratios": {}, "results": results}


def run(name: str, seconds: float, peak: float) -> dict:
    return {"name": name, "seconds": seconds, "peak_mb": peak, "exit": 0, "command": "ledger …"}


def test_a_run_without_the_build_says_so_and_judges_validation_against_four_gb():
    text = bench.render_markdown(summary([run("generate", 759.0, 63.2), run("ledger validate (cold)", 229.1, 9895.5)]))
    assert SKIPPED in text.splitlines()
    assert "| ledger validate (cold) | 229.1 | 9895.5 | 0 |" in text.splitlines()
    assert "| peak memory of any ledger run | 9,895.5 MB | ≤ 4,096 MB | **not met** |" in text.splitlines()


def test_a_run_with_the_build_does_not_say_it_was_skipped():
    text = bench.render_markdown(summary([run("ledger validate (cold)", 13.4, 1231.3),
                                          run("ledger build (cold)", 117.1, 1728.4)]))
    assert SKIPPED not in text


def test_a_childs_peak_no_higher_than_the_benchmarks_own_is_not_trusted():
    """Linux hands a process's peak resident size at fork on to its child: a child reporting at most the
    benchmark's own peak may be reporting the benchmark's, and then only the sampled tree counts."""
    assert bench.peak_mb(child_kb=1_400_000, own_kb=1_400_000, sampled_kb=1_030_000) == (
        1005.9, "sampled (the process's own peak may be inherited)")
    assert bench.peak_mb(child_kb=1_843_200, own_kb=60_000, sampled_kb=1_700_000) == (1800.0, "maxrss")
    # The downloads' processes run beside the build: their sum at once can exceed the largest one's peak.
    assert bench.peak_mb(child_kb=1_700_000, own_kb=60_000, sampled_kb=1_843_200) == (1800.0, "sampled")


def test_what_a_pull_request_changes_is_counted_by_file_bytes_and_folder(tmp_path):
    """The benchmark compares the cold build after the pull request with the site before it: files that
    differ or are new count as changed (with their bytes), files gone as removed, each top folder (the
    API's by its second level) with its count; the release folder beside each site is compared the same way."""
    def write(root, files):
        for name, content in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)
    before, after = tmp_path / "public", tmp_path / "public-cold"
    write(before, {"index.html": b"a", "api/v1/search/rows/0.json": b"[1]", "api/v1/search/rows/1.json": b"[2]",
                   "api/v1/issues/0.json": b"{}", "feeds/old.xml": b"x"})
    write(after, {"index.html": b"a", "api/v1/search/rows/0.json": b"[1]", "api/v1/search/rows/1.json": b"[2,3]",
                  "api/v1/search/rows/2.json": b"[4]", "api/v1/issues/0.json": b"{}"})
    write(tmp_path / "public-release", {"issues.csv": b"id\n1\n"})
    write(tmp_path / "public-cold-release", {"issues.csv": b"id\n1\n2\n"})
    output = bench.changed_output(before, after)
    assert output == {
        "site": {"files": 2, "of_files": 5, "bytes": 8, "of_bytes": 14, "removed": 1,
                 "by_folder": {"api/v1/search": [2, 3]}},
        "release": {"files": 1, "of_files": 1, "bytes": 7, "of_bytes": 7, "removed": 0,
                    "by_folder": {"(top)": [1, 1]}},
    }
    text = bench.render_markdown({**summary([run("ledger build (cold)", 1.0, 1.0)]), "output_changed_by_pr": output})
    assert "| site | 2 of 5 | 0.0 of 0.0 MB | 1 |" in text.splitlines()
    assert "Site folders with changed files: `api/v1/search` 2 of 3." in text.splitlines()
