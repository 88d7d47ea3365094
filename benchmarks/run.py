"""Scale benchmark: `ledger validate` and `ledger build` at a million issues (or ten), against stock frictionless.

Run with `make bench` (or `.venv/bin/python benchmarks/run.py --issues 1000000`; `--issues 10000000
--skip-frictionless` for the megacity run). Every measurement runs in its own process, in one run of this
script, on the same generated package; wall time and peak resident memory (the process and its descendants:
``measure``) are recorded.
Results go to benchmarks/results.md and benchmarks/results.json (or results-<N>.md/json with --tag).

The order of the runs is that of a real pull request: a cold validation and build of the package; then the
realistic pull request of ``realistic_pr.py`` (resolves 100 issues, re-tiers one, adds 10), validated and
built cold into another folder and then again with the caches of the first run (the cold runs first: a
build that replaces a site makes the file system slow for the next one, see ``main``), and the two sites
compared file by file (they must be byte-identical).

Targets (issue "A city's year on real hosting…"): cold validate ≤ 0.1× frictionless (aim 0.05×); cold build
≤ 0.5× (aim 0.3×); the realistic pull request revalidates in ≤ 0.15× of a cold validation (aim 0.05×) and
rebuilds in ≤ 0.3× of a cold build (aim 0.1×); peak memory ≤ 2 GB at 1M (≤ 4 GB at 10M); no data file over
50 MB; pages + API + lookup and search shards ≤ 1 GB (downloads may go to release assets); every HTML page
≤ 200 KB. Also recorded: the bytes the issue search loads for a few fixed queries — title words, place filters,
browsing — and an id lookup (``search_bytes``; target < 2 MB a query).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def measure(name: str, command: list[str], env: dict | None = None) -> dict:
    """Run ``command``; wall seconds and peak memory (MB): the larger of the process's own peak RSS (with
    its largest child's) and the largest sum of RSS over the process and all its descendants at once,
    sampled ten times a second (the build writes the SQLite download in a process of its own)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
                               env={**os.environ, **(env or {})})
    tree = TreeMemory(process.pid)
    tree.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    tree.stop()
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    peak, source = peak_mb(usage.ru_maxrss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, tree.peak_kb)
    result = {"name": name, "seconds": round(seconds, 2), "peak_mb": peak, "peak_from": source,
              "exit": code, "command": " ".join(command[:3]) + " …"}
    print(f"{name}: {seconds:.1f} s, {result['peak_mb']} MB, exit {code}", flush=True)
    if code not in (0, 1):
        print(output.decode("utf-8", "replace")[-3000:])
    return result


def peak_mb(child_kb: int, own_kb: int, sampled_kb: int) -> tuple[float, str]:
    """The run's peak (MB) and where it comes from. Linux hands a process's peak resident size at fork on
    to the child (``ru_maxrss``): a child's figure no higher than this process's own peak may be this
    process's, not the child's, and then only the sampled sum of the process tree counts."""
    if child_kb <= own_kb:
        return round(sampled_kb / 1024, 1), "sampled (the process's own peak may be inherited)"
    if child_kb >= sampled_kb:
        return round(child_kb / 1024, 1), "maxrss"
    return round(sampled_kb / 1024, 1), "sampled"


class TreeMemory(threading.Thread):
    """The largest sum of resident memory of a process and its descendants, from /proc (Linux)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._stopped = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.1):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            try:  # the parent pid follows the command name in parentheses, which may hold spaces
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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
    issue = sorted(row[0] for row in first)[0]  # compact shards: each record an array, its id first
    shard = out / API_DIR / f"{fnv1a(issue) % index['shards']}.json"
    # issue-lookup.js fetches the index (it decodes the records) beside the shard
    return {"id": issue, "files": 2, "bytes": shard.stat().st_size + (out / API_DIR / "index.json").stat().st_size,
            "shards": index["shards"]}


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


HOST_FILE_LIMIT = 50 * 1024 * 1024
PAGES_LIMIT = 1_000_000_000  # GitHub Pages publishes at most 1 GB
RELEASE_URL = "https://example.invalid/releases/download/site-bench/"  # downloads as release assets


def largest_data_file(data: Path) -> dict:
    size, name = max((p.stat().st_size, str(p.relative_to(data))) for p in data.rglob("*.csv"))
    return {"path": name, "bytes": size, "files": len(list(data.rglob("*.csv")))}


def differing_files(a: Path, b: Path) -> list[str]:
    """Paths (relative) that are not byte-identical in the two trees, or are in only one of them."""
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}
    left, right = files(a), files(b)
    out = sorted(set(left) ^ set(right))
    out += sorted(k for k in set(left) & set(right)
                  if left[k].stat().st_size != right[k].stat().st_size or left[k].read_bytes() != right[k].read_bytes())
    return out


def changed_output(before: Path, after: Path) -> dict:
    """How much of a built site (and of its release folder) the pull request changes: files and bytes that
    differ from the site of the package before it, or are new, and how many of each top folder (``api/v1/x``
    for the API). What a host that receives only changed files (rsync, object storage) is sent."""
    def summary(a: Path, b: Path) -> dict:
        differing = set(differing_files(a, b))
        files = {str(p.relative_to(b)): p.stat().st_size for p in b.rglob("*") if p.is_file()}
        changed = [name for name in files if name in differing]
        folders: dict[str, list[int]] = {}
        for name in files:
            parts = name.split("/")
            folder = "/".join(parts[:3]) if parts[0] == "api" else parts[0] if len(parts) > 1 else "(top)"
            counts = folders.setdefault(folder, [0, 0])
            counts[0] += name in differing
            counts[1] += 1
        return {"files": len(changed), "of_files": len(files), "bytes": sum(files[n] for n in changed),
                "of_bytes": sum(files.values()), "removed": len(differing - set(files)),
                "by_folder": {k: v for k, v in sorted(folders.items(), key=lambda kv: (-kv[1][0], kv[0])) if v[0]}}
    return {"site": summary(before, after),
            "release": summary(before.with_name(before.name + "-release"), after.with_name(after.name + "-release"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--skip-build", action="store_true", help="measure validation only")
    parser.add_argument("--skip-frictionless", action="store_true",
                        help="do not run stock frictionless (at 10M it takes about 20 minutes); ratios to it are left out")
    parser.add_argument("--tag", default="", help="write results-<tag>.md/json instead of results.md/json")
    parser.add_argument("--cold-only", action="store_true",
                        help="generate, validate and build once each (the megacity run); no pull request")
    args = parser.parse_args()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))

    data = args.work / "data"
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    ledger = [sys.executable, "-m", "pipeline"]
    results = [measure("generate", [*ledger, "demo", "--out", str(data), "--issues", str(args.issues)])]
    rows = sum(1 for p in data.rglob("*.csv") for _ in p.open(encoding="utf-8")) - len(list(data.rglob("*.csv")))
    biggest = largest_data_file(data)
    if not args.skip_frictionless:
        results.append(measure("frictionless validate",
                               [str(BIN / "frictionless"), "validate", str(data / "datapackage.json")]))
    # Downloads go to release assets, as the deploy workflow publishes them; the caches are the ones a pull
    # request's second run finds (warm) or none (fresh, the cold runs after the edit).
    hosting = {"LEDGER_DOWNLOADS_URL": RELEASE_URL}
    warm = {**hosting, "LEDGER_CACHE_DIR": str(args.work / "cache")}
    warm_build = {**hosting, "LEDGER_CACHE_DIR": str(args.work / "cache-build")}  # empty for the cold build
    fresh = {**hosting, "LEDGER_CACHE_DIR": str(args.work / "cache-cold")}
    results.append(measure("ledger validate (cold)", [*ledger, "validate", "--data", str(data)], warm))
    page = search = size = changed = identical = output = None
    if not args.cold_only:
        results.append(measure("ledger validate (nothing changed)", [*ledger, "validate", "--data", str(data)], warm))
    if not args.skip_build:
        results.append(measure("ledger build (cold)", [*ledger, "build", "--data", str(data), "--out",
                                                       str(args.work / "public")], warm_build))
    if args.cold_only:
        return finish(args, data, rows, biggest, results, None, None, None)
    changed = edited_by_realistic_pr(data)
    # The cold runs of the edited package come before the cached ones: a cached build replaces the site,
    # deleting about 90,000 files, and for a minute or more after many deletions ext4 creates files
    # several times slower (60,000 files: 3.4 s, 23 s just after 150,000 were deleted), which would charge
    # the next build for the one before. No measured run follows the cached build.
    results.append(measure("ledger validate (cold, after the PR)", [*ledger, "validate", "--data", str(data)], fresh))
    if not args.skip_build:
        results.append(measure("ledger build (cold, after the PR)", [*ledger, "build", "--data", str(data), "--out",
                                                                    str(args.work / "public-cold")], fresh))
        output = changed_output(args.work / "public", args.work / "public-cold")  # before the rebuild replaces it
    results.append(measure("ledger validate (realistic PR)", [*ledger, "validate", "--data", str(data)], warm))
    if not args.skip_build:
        results.append(measure("ledger build (realistic PR)", [*ledger, "build", "--data", str(data), "--out",
                                                              str(args.work / "public")], warm_build))
        identical = differing_files(args.work / "public", args.work / "public-cold")
        identical += [f"release: {name}" for name in differing_files(args.work / "public-release",
                                                                     args.work / "public-cold-release")]
    finish(args, data, rows, biggest, results, changed, identical, output)


def edited_by_realistic_pr(data: Path) -> dict:
    """``realistic_pr.py`` applied to ``data`` in a process of its own. Applied here, it grew this process
    to about 1.4 GB at 10⁶, and Linux hands a process's peak resident size at fork on to its children:
    every run measured after it reported at least that much (``ru_maxrss``)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.realistic_pr", str(data), "1"], cwd=REPO,
                          capture_output=True)
    if done.returncode:
        raise RuntimeError("realistic_pr.py failed: " + done.stderr.decode("utf-8", "replace")[-2000:])
    return json.loads(done.stdout)


def finish(args, data: Path, rows: int, biggest: dict, results: list[dict], changed, identical, output) -> None:
    from benchmarks.site_size import site_size

    page = search = size = None
    out = args.work / "public"
    if not args.skip_build:
        page, search = largest_page(out), search_bytes(out)
        size = site_size(out)
        size["release_bytes"] = sum(p.stat().st_size for p in (args.work / "public-release").rglob("*") if p.is_file())
    by_name = {r["name"]: r for r in results}
    seconds = {name: r["seconds"] for name, r in by_name.items()}
    reference = seconds.get("frictionless validate")
    summary = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "issues": args.issues,
        "rows_in_package": rows,
        "largest_data_file": biggest,
        "realistic_pr": changed,
        "output_changed_by_pr": output,
        "peak_mb": max(r["peak_mb"] for r in results if r["name"] not in ("generate", "frictionless validate")),
        "ratios": {},
        "results": results,
    }
    ratios = summary["ratios"]
    if reference:
        ratios["validate_vs_frictionless"] = round(seconds["ledger validate (cold)"] / reference, 3)
    if changed is not None:
        ratios["pr_validate_vs_cold"] = round(seconds["ledger validate (realistic PR)"]
                                              / seconds["ledger validate (cold, after the PR)"], 3)
    if not args.skip_build:
        if reference:
            ratios["build_vs_frictionless"] = round(seconds["ledger build (cold)"] / reference, 3)
        if changed is not None:
            ratios["pr_build_vs_cold"] = round(seconds["ledger build (realistic PR)"]
                                               / seconds["ledger build (cold, after the PR)"], 3)
            summary["incremental_equals_cold"] = {"identical": not identical, "differing": identical[:20]}
        summary["largest_page"] = {"path": page[0], "bytes": page[1]}
        summary["html_pages"] = page[2]
        summary["search"] = search
        summary["site"] = size
    name = f"results-{args.tag}" if args.tag else "results"
    (HERE / f"{name}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (HERE / f"{name}.md").write_text(render_markdown(summary), encoding="utf-8")
    print(render_markdown(summary))


TARGETS = {  # ratio → (target, aim, what it divides)
    "validate_vs_frictionless": (0.1, 0.05, "cold ledger validate ÷ frictionless validate"),
    "build_vs_frictionless": (0.5, 0.3, "cold ledger build ÷ frictionless validate"),
    "pr_validate_vs_cold": (0.15, 0.05, "realistic PR revalidation ÷ cold validation of the same data"),
    "pr_build_vs_cold": (0.3, 0.1, "realistic PR rebuild ÷ cold build of the same data"),
}


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render_markdown(s: dict) -> str:
    memory_limit = 4096 if s["issues"] > 2_000_000 else 2048
    lines = [f"# Benchmark results ({s['date']})", "",
             f"{s['issues']:,} issues, {s['rows_in_package']:,} rows in the package; {s['machine']}.", "",
             "| run | seconds | peak MB | exit |", "|---|---:|---:|---:|"]
    lines += [f"| {r['name']} | {r['seconds']} | {r['peak_mb']} | {r['exit']} |" for r in s["results"]]
    lines += ["", "| ratio | measured | target (aim) | |", "|---|---:|---|---|"]
    for key, (target, aim, text) in TARGETS.items():
        if key in s["ratios"]:
            value = s["ratios"][key]
            lines.append(f"| {text} | {value} | ≤ {target} ({aim}) | {verdict(value <= target)} |")
    big = s["largest_data_file"]
    lines += ["", "| measure | measured | target | |", "|---|---:|---|---|",
              f"| peak memory of any ledger run | {s['peak_mb']:,} MB | ≤ {memory_limit:,} MB | "
              f"{verdict(s['peak_mb'] <= memory_limit)} |",
              f"| largest data file ({big['files']:,} CSV files) | {big['bytes'] / 2**20:.1f} MB (`{big['path']}`) | "
              f"≤ 50 MB | {verdict(big['bytes'] <= HOST_FILE_LIMIT)} |"]
    if not any(r["name"].startswith("ledger build") for r in s["results"]):
        lines += ["", "`ledger build` was not run (`--skip-build`): no figure of the build or the site in this run."]
    if "site" in s:
        site = s["site"]
        hosted = site["published_bytes"]
        lines += [f"| pages + API + shards | {hosted / 1e6:,.1f} MB | ≤ 1,000 MB | {verdict(hosted <= PAGES_LIMIT)} |",
                  f"| largest HTML page ({s['html_pages']:,} pages) | {s['largest_page']['bytes']:,} bytes "
                  f"(`{s['largest_page']['path']}`) | ≤ 200 KB | {verdict(s['largest_page']['bytes'] <= 200_000)} |",
                  ]
        if "incremental_equals_cold" in s:
            same = s["incremental_equals_cold"]
            lines.append(f"| incremental site = cold site of the same data | "
                         f"{'byte-identical' if same['identical'] else 'differs: ' + ', '.join(same['differing'][:5])} "
                         f"| byte-identical | {verdict(same['identical'])} |")
        lines += ["", f"Downloads left in the site: {site['downloads_bytes'] / 1e6:,.1f} MB; moved to release assets "
                  f"(`LEDGER_DOWNLOADS_URL` set, as the deploy workflow does): {site['release_bytes'] / 1e6:,.1f} MB. "
                  f"Lookup shards {site['lookup_shards_bytes'] / 1e6:,.1f} MB, search shards "
                  f"{site['search_shards_bytes'] / 1e6:,.1f} MB. Site by folder:", "", "| folder | MB |", "|---|---:|"]
        lines += [f"| {folder} | {size / 1e6:,.1f} |" for folder, size in site["by_folder"].items()]
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
    if s["realistic_pr"] is not None:
        lines += ["", "Realistic pull request: " + json.dumps(s["realistic_pr"], ensure_ascii=False) + "."]
    if s.get("output_changed_by_pr"):
        lines += ["", "What the pull request changes in the output (its cold build against the site of the package "
                  "before it, file by file):", "", "| output | files changed | bytes changed | files removed |",
                  "|---|---:|---:|---:|"]
        for name, o in s["output_changed_by_pr"].items():
            lines.append(f"| {name} | {o['files']:,} of {o['of_files']:,} | {o['bytes'] / 1e6:,.1f} of "
                         f"{o['of_bytes'] / 1e6:,.1f} MB | {o['removed']:,} |")
        site = s["output_changed_by_pr"]["site"]["by_folder"]
        lines += ["", "Site folders with changed files: " + "; ".join(f"`{k}` {c:,} of {n:,}" for k, (c, n) in site.items())
                  + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
