"""Scale benchmark: a million issues, `ledger validate` and `ledger build` against stock frictionless.

Run with `make bench` (or `.venv/bin/python benchmarks/run.py --issues 1000000`).
Every measurement runs in its own process, in one run of this script, on the
same generated package; wall time and the process's peak resident memory are
recorded. Results go to benchmarks/results.md and benchmarks/results.json.

Targets (issue "Scale"): validate ≤ 0.25× frictionless (aim 0.1×); build ≤ 1.5×
frictionless validate (aim 1.0×); one-row revalidation ≤ 0.2× cold (aim 0.05×);
peak memory ≤ 2 GB; every HTML page ≤ 200 KB. Also recorded: the issue search index's size and the
bytes the search page loads for the first page of a few fixed queries — title words, place filters,
browsing — and an id lookup loads (``search_bytes``; target < 2 MB a query).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def measure(name: str, command: list[str], env: dict | None = None) -> dict:
    """Run ``command``; wall seconds and peak RSS (MB) of that process and its children."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
                               env={**os.environ, **(env or {})})
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    result = {"name": name, "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1),
              "exit": code, "command": " ".join(command[:3]) + " …"}
    print(f"{name}: {seconds:.1f} s, {result['peak_mb']} MB, exit {code}", flush=True)
    if code not in (0, 1):
        print(output.decode("utf-8", "replace")[-3000:])
    return result


def change_one_row(data: Path) -> str:
    """Edit the title of one issue in the middle of the last year file (a typical one-row PR)."""
    year_file = sorted((data / "issues").glob("*.csv"))[-1]
    with year_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    row = rows[len(rows) // 2]
    row[rows[0].index("title")] = row[rows[0].index("title")] + "（已更正）"
    with year_file.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return f"{year_file.relative_to(data)} row {len(rows) // 2 + 1}"


def largest_page(out: Path) -> tuple[str, int, int]:
    pages = [(p.stat().st_size, str(p.relative_to(out))) for p in out.rglob("*.html")]
    size, name = max(pages)
    return name, size, len(pages)


def search_queries(manifest: dict) -> dict[str, dict[str, str]]:
    """The fixed queries measured: title words, a place filter (a township's officer lists, a village),
    a department's overdue issues, browsing. Places and departments are the manifest's first township,
    village and department, so any build has them."""
    township = next((p[0] for p in manifest["places"] if p[2] in ("township", "street")), manifest["places"][0][0])
    village = next((p[0] for p in manifest["places"] if p[2] in ("village", "community")), township)
    department = manifest["departments"][0][0] if manifest["departments"] else "none"
    return {"words 补贴": {"words": "补贴"}, "words 残疾人补贴": {"words": "残疾人补贴"},
            "words 村 排查": {"words": "村 排查"}, "words 道路 维修": {"words": "道路 维修"},
            "place (village)": {"place": village}, "place (village), words 道路": {"place": village, "words": "道路"},
            "township, resolved not inspected": {"place": township, "uninspected": "1"},
            "township, disputed": {"place": township, "disputed": "1"},
            "department, overdue": {"lead": department, "overdue": "1"}, "browse, page 1": {}}


def lookup_bytes(out: Path) -> dict:
    """Bytes issue/?id=… loads for one issue: the shard its id hashes to (issue-lookup.js also tries the
    id's upper and lower case, each in its own shard, only when the id as typed is not found)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from pipeline.render.issues_lookup import API_DIR, fnv1a

    index = json.loads((out / API_DIR / "index.json").read_text(encoding="utf-8"))
    first = json.loads((out / API_DIR / "0.json").read_text(encoding="utf-8"))["issues"]
    issue = sorted(first)[0]
    shard = out / API_DIR / f"{fnv1a(issue) % index['shards']}.json"
    return {"id": issue, "files": 1, "bytes": shard.stat().st_size, "shards": index["shards"]}


def search_bytes(out: Path) -> dict:
    """Bytes the search page's script loads for the first page of each fixed query (the manifest, the
    term buckets, the row chunks), from the built site's files; the bytes of an id lookup; and the
    whole index's size."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from pipeline.render.issues_search import SEARCH_DIR, query_files

    def read(path: str) -> bytes:
        return (out / path).read_bytes()

    manifest = json.loads(read(f"{SEARCH_DIR}/index.json"))
    queries = {}
    for name, params in search_queries(manifest).items():
        files, positions = query_files(read, params)
        queries[name] = {"params": params, "found": len(positions), "files": len(files),
                         "bytes": sum((out / f).stat().st_size for f in files)}
    index = [p for p in (out / SEARCH_DIR).rglob("*.json")]
    return {"manifest_bytes": (out / SEARCH_DIR / "index.json").stat().st_size,
            "index_bytes": sum(p.stat().st_size for p in index), "index_files": len(index), "queries": queries,
            "id_lookup": lookup_bytes(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--skip-build", action="store_true", help="measure validation only")
    args = parser.parse_args()

    data, out, cache = args.work / "data", args.work / "public", args.work / "cache"
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    ledger = [sys.executable, "-m", "pipeline"]
    results = [measure("generate", [*ledger, "demo", "--out", str(data), "--issues", str(args.issues)])]
    rows = sum(1 for p in data.rglob("*.csv") for _ in p.open(encoding="utf-8")) - len(list(data.rglob("*.csv")))
    results.append(measure("frictionless validate", [str(BIN / "frictionless"), "validate", str(data / "datapackage.json")]))
    env = {"LEDGER_CACHE_DIR": str(cache)}
    results.append(measure("ledger validate (cold)", [*ledger, "validate", "--data", str(data)], env))
    results.append(measure("ledger validate (nothing changed)", [*ledger, "validate", "--data", str(data)], env))
    changed = change_one_row(data)
    results.append(measure("ledger validate (one row changed)", [*ledger, "validate", "--data", str(data)], env))
    shutil.rmtree(cache, ignore_errors=True)
    results.append(measure("ledger validate (cold, after the change)", [*ledger, "validate", "--data", str(data)], env))
    page = search = None
    if not args.skip_build:
        shutil.rmtree(cache, ignore_errors=True)
        results.append(measure("ledger build (cold)", [*ledger, "build", "--data", str(data), "--out", str(out)], env))
        page = largest_page(out)
        search = search_bytes(out)

    by_name = {r["name"]: r for r in results}
    reference = by_name["frictionless validate"]["seconds"]
    cold = by_name["ledger validate (cold, after the change)"]["seconds"]
    summary = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "issues": args.issues,
        "rows_in_package": rows,
        "changed": changed,
        "validate_vs_frictionless": round(by_name["ledger validate (cold)"]["seconds"] / reference, 3),
        "one_row_vs_cold": round(by_name["ledger validate (one row changed)"]["seconds"] / cold, 3),
        "peak_mb": max(r["peak_mb"] for r in results if r["name"] != "generate"),
        "results": results,
    }
    if page:
        summary["build_vs_frictionless"] = round(by_name["ledger build (cold)"]["seconds"] / reference, 3)
        summary["largest_page"] = {"path": page[0], "bytes": page[1]}
        summary["html_pages"] = page[2]
    if search:
        summary["search"] = search
    (HERE / "results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (HERE / "results.md").write_text(render_markdown(summary), encoding="utf-8")
    print(render_markdown(summary))


def render_markdown(s: dict) -> str:
    lines = [f"# Benchmark results ({s['date']})", "",
             f"{s['issues']:,} issues, {s['rows_in_package']:,} rows in the package; {s['machine']}.", "",
             "| run | seconds | peak MB | exit |", "|---|---:|---:|---:|"]
    lines += [f"| {r['name']} | {r['seconds']} | {r['peak_mb']} | {r['exit']} |" for r in s["results"]]
    lines += ["", "| ratio | measured | target (aim) |", "|---|---:|---|",
              f"| ledger validate ÷ frictionless validate | {s['validate_vs_frictionless']} | ≤ 0.25 (0.1) |",
              f"| one-row revalidation ÷ cold validation | {s['one_row_vs_cold']} | ≤ 0.2 (0.05) |"]
    if "build_vs_frictionless" in s:
        lines.append(f"| ledger build ÷ frictionless validate | {s['build_vs_frictionless']} | ≤ 1.5 (1.0) |")
    lines += ["", f"Peak memory of any measured run: {s['peak_mb']} MB (target ≤ 2048 MB)."]
    if "largest_page" in s:
        lines.append(f"HTML pages: {s['html_pages']}; largest: {s['largest_page']['path']} "
                     f"({s['largest_page']['bytes']:,} bytes; target ≤ 200 KB).")
    if "search" in s:
        q = s["search"]
        lines += ["", f"Issue search index: {q['index_bytes']:,} bytes in {q['index_files']:,} files "
                  f"(manifest {q['manifest_bytes']:,} bytes). First page of a query:", "",
                  "| query | found | files | bytes loaded |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {r['found']:,} | {r['files']} | {r['bytes']:,} |" for name, r in q["queries"].items()]
        if "id_lookup" in q:
            lookup = q["id_lookup"]
            lines.append(f"| id lookup `issue/?id={lookup['id']}` (one of {lookup['shards']:,} shards) | 1 | "
                         f"{lookup['files']} | {lookup['bytes']:,} |")
        worst = max([r["bytes"] for r in q["queries"].values()] + [q.get("id_lookup", {}).get("bytes", 0)])
        lines += ["", f"Largest query: {worst:,} bytes (target < 2 MB)."]
        lines.append("")
    lines.append(f"One-row change: {s['changed']}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
