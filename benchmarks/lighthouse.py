"""Lighthouse benchmark: mobile performance and accessibility of the home, issue and item pages.

Run with `make lighthouse` (or `.venv/bin/python benchmarks/lighthouse.py [--site public]`).
It builds the bundled data into benchmarks/work/lighthouse-site (or takes a built folder with
--site), serves it on 127.0.0.1 and runs Google Lighthouse (npm `lighthouse`, pinned in
tools/lighthouse/package-lock.json; `npm ci --prefix tools/lighthouse`) in Debian's Chromium
with its default mobile emulation (Moto G Power screen, simulated slow 4G, 4× CPU slowdown).
Only the performance and accessibility categories run: neither fetches anything but the page
under test, and Chromium runs with its background networking off.

The local server compresses text with gzip, as every static host the site is published on does
(GitHub Pages, GitLab Pages, nginx with `gzip on`); `--no-gzip` measures the uncompressed case.

Lighthouse's 4× CPU slowdown assumes a host CPU with a benchmark index of at least 1000 (it warns
below that). A run on a busier host is recorded but not counted: each page runs until it has --runs
trusted runs (default 3; at most --runs × --attempts runs) and the one with the median performance
score is kept. The raw reports are kept with --reports DIR.
Results go to benchmarks/lighthouse-results.md and benchmarks/lighthouse-results.json.

Targets (issue "Find it in two taps"): performance ≥ 90, CLS < 0.1, accessibility 100.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gzip
import http.server
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LIGHTHOUSE = REPO / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-domain-reliability"]
TARGETS = {"performance": 90, "accessibility": 100, "cls": 0.1}
METRICS = {"cls": "cumulative-layout-shift", "lcp_ms": "largest-contentful-paint",
           "tbt_ms": "total-blocking-time", "fcp_ms": "first-contentful-paint", "si_ms": "speed-index"}
SLOW_CPU_BENCHMARK_INDEX = 1000  # Lighthouse's own threshold (core/gather/driver/environment.js)
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


# --- Reading a Lighthouse report -----------------------------------------------------------------

def summarize(report: dict) -> dict:
    """The figures kept from one Lighthouse JSON report: scores (0–100), metrics, what failed.

    A run Lighthouse itself could not complete (``runtimeError``, or a category without a score)
    is reported as an error instead of figures, never as a zero score.
    """
    error = report.get("runtimeError")
    categories = report.get("categories", {})
    scores = {name: categories.get(name, {}).get("score") for name in ("performance", "accessibility")}
    if error or None in scores.values():
        reason = error["code"] + ": " + error.get("message", "") if error else "a category has no score"
        return {"url": report.get("finalDisplayedUrl") or report.get("requestedUrl"), "error": reason}
    audits = report["audits"]
    figures = {key: audits[audit_id]["numericValue"] for key, audit_id in METRICS.items()}
    summary = {
        "url": report.get("finalDisplayedUrl") or report["requestedUrl"],
        "performance": round(scores["performance"] * 100),
        "accessibility": round(scores["accessibility"] * 100),
        "cls": round(figures["cls"], 3),
        **{key: round(value) for key, value in figures.items() if key != "cls"},
        "accessibility_failures": _failing(report, "accessibility"),
        "performance_opportunities": _opportunities(audits),
        "outside_requests": outside_requests(audits),
        "benchmark_index": round((report.get("environment") or {}).get("benchmarkIndex") or 0),
        "warnings": list(report.get("runWarnings", [])),
    }
    summary["meets_targets"] = meets_targets(summary)
    return summary


def outside_requests(audits: dict) -> list[str]:
    """Requests the page made to any host but the local server (there must be none)."""
    items = ((audits.get("network-requests") or {}).get("details") or {}).get("items") or []
    urls = [item["url"] for item in items if urllib.parse.urlsplit(item["url"]).scheme in ("http", "https", "ws", "wss")]
    return sorted({url for url in urls if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost")})


def meets_targets(summary: dict) -> bool:
    return ("error" not in summary and summary["performance"] >= TARGETS["performance"]
            and summary["accessibility"] >= TARGETS["accessibility"] and summary["cls"] < TARGETS["cls"])


def _failing(report: dict, category: str) -> list[dict]:
    """Audits of ``category`` that count towards its score and did not pass, with their elements."""
    audits = report["audits"]
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            items = (audit.get("details") or {}).get("items") or []
            nodes = [item["node"].get("selector", "") for item in items if isinstance(item.get("node"), dict)]
            failing.append({"id": ref["id"], "title": audit["title"], "elements": nodes})
    return failing


def _opportunities(audits: dict) -> list[dict]:
    """Audits Lighthouse estimates would save LCP, FCP or TBT time, largest saving first."""
    found = []
    for audit_id, audit in audits.items():
        savings = {metric: audit.get("metricSavings", {}).get(metric) or 0 for metric in ("LCP", "FCP", "TBT")}
        metric = max(savings, key=lambda name: savings[name])
        if savings[metric] > 0 and audit.get("score") is not None and audit["score"] < 0.9:
            found.append({"id": audit_id, "title": audit["title"], "metric": metric,
                          "saving_ms": round(savings[metric]), "display": audit.get("displayValue", "")})
    return sorted(found, key=lambda item: (-item["saving_ms"], item["id"]))


def trusted(summary: dict) -> bool:
    """A run on a host CPU Lighthouse considers fast enough for its 4× slowdown (benchmark index ≥ 1000:
    below that, Lighthouse itself warns that the performance score is unreliable)."""
    return "error" not in summary and summary["benchmark_index"] >= SLOW_CPU_BENCHMARK_INDEX


def median_run(summaries: list[dict]) -> dict:
    """The run with the median performance score (Lighthouse's advice for noisy figures), taken from the
    trusted runs when there are any; ``trusted`` in the result says which."""
    good = [s for s in summaries if trusted(s)] or [s for s in summaries if "error" not in s]
    if not good:
        return {**summaries[0], "trusted": False}
    ordered = sorted(good, key=lambda s: (s["performance"], -s["lcp_ms"]))
    kept = ordered[(len(ordered) - 1) // 2]
    return {**kept, "trusted": trusted(kept)}


# --- Serving the site ----------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as any static host (Python's default 1.0 opens a connection per file)
    compress = True

    def log_message(self, *args) -> None:
        pass

    def send_head(self):  # gzip text when the client accepts it, as a static host does
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urllib.parse.urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # the redirect to the folder with a slash
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and accepts and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(folder: Path, compress: bool) -> Iterator[str]:
    handler = functools.partial(type("Handler", (_Handler,), {"compress": compress}), directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- Running Lighthouse --------------------------------------------------------------------------

def chrome_path() -> str:
    found = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("没有找到 Chromium：请安装（apt-get install -y chromium）或设置 CHROME_PATH。 Chromium not found.")
    return found


def run_lighthouse(url: str, chrome: str, output: Path) -> dict:
    output.unlink(missing_ok=True)
    command = [str(LIGHTHOUSE), url, "--only-categories=performance,accessibility", "--output=json",
               f"--output-path={output}", f"--chrome-flags={' '.join(CHROME_FLAGS)}", "--quiet",
               "--max-wait-for-load=60000"]
    process = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CHROME_PATH": chrome},
                             timeout=300)
    if not output.exists():
        return {"url": url, "error": f"lighthouse exited {process.returncode}: {process.stderr.strip()[-500:]}"}
    return json.loads(output.read_text(encoding="utf-8"))


def first_issue_id(site: Path) -> str:
    """An issue id that exists in the built site: the first one in the first issue shard."""
    shards = sorted((site / "api" / "v1" / "issues").glob("[0-9]*.json"), key=lambda p: (len(p.stem), p.stem))
    for shard in shards:
        document = json.loads(shard.read_text(encoding="utf-8"))
        records = document.get("issues", document) if isinstance(document, dict) else document
        # Compact shards (rows-v2): each record an array, the id first.
        ids = sorted(records) if isinstance(records, dict) else sorted(
            r[0] if isinstance(r, list) else r["id"] for r in records)
        if ids:
            return ids[0]
    sys.exit(f"{site} 里没有问题分片（api/v1/issues/*.json）。 No issue shard in the site.")


def build_site(data: Path, out: Path) -> None:
    command = [sys.executable, "-m", "pipeline", "build", "--data", str(data), "--out", str(out)]
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if process.returncode != 0:
        sys.exit(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "ledger build failed")


# --- Writing the results -------------------------------------------------------------------------

def render_markdown(results: dict) -> str:
    lines = [f"# Lighthouse results ({results['date']})", "",
             f"Lighthouse {results['lighthouse']} in {results['chromium']}, default mobile emulation "
             f"(simulated slow 4G, 4× CPU slowdown); {results['machine']}. Served on 127.0.0.1 "
             f"{'with gzip, as a static host does' if results['gzip'] else 'without compression'}. "
             f"Each page: the median of {results['runs']} trusted run(s) (host benchmark index ≥ "
             f"{SLOW_CPU_BENCHMARK_INDEX}, Lighthouse's own threshold), at most {results['runs'] * results['attempts']} runs.",
             "", "Targets: performance ≥ 90, CLS < 0.1, accessibility 100.", "",
             "| page | performance | accessibility | CLS | LCP ms | TBT ms | FCP ms | targets | performance of every run |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for name, page in results["pages"].items():
        every = ", ".join(f"{run['performance']}" + ("" if run.get("benchmark_index", 0) >= SLOW_CPU_BENCHMARK_INDEX
                                                     else "*") for run in page.get("runs", []) if "error" not in run)
        if "error" in page:
            lines.append(f"| {name} | – | – | – | – | – | – | not measured: {page['error']} | {every} |")
            continue
        verdict = ("met" if page["meets_targets"] else "missed") + ("" if page.get("trusted", True) else
                                                                   " (no trusted run: host CPU too busy)")
        lines.append(f"| {name} (`{page['path']}`) | {page['performance']} | {page['accessibility']} | "
                     f"{page['cls']} | {page['lcp_ms']} | {page['tbt_ms']} | {page['fcp_ms']} | {verdict} | {every} |")
    lines += ["", "\\* a run on a busy host CPU (benchmark index below the threshold), not counted."]
    outside = sorted({url for page in results["pages"].values() for url in page.get("outside_requests", [])})
    lines += ["", "Requests to other hosts: " + (", ".join(outside) if outside else "none") + "."]
    for name, page in results["pages"].items():
        if "error" in page:
            continue
        failures = page["accessibility_failures"]
        opportunities = page["performance_opportunities"][:5]
        if failures or opportunities:
            lines += ["", f"## {name}: what Lighthouse suggests", ""]
        for failure in failures:
            lines.append(f"- accessibility: {failure['id']} ({failure['title']}): "
                         + (", ".join(f"`{e}`" for e in failure["elements"][:5]) or "no element named"))
        for item in opportunities:
            lines.append(f"- performance: {item['id']} ({item['title']}), estimated {item['metric']} saving "
                         f"{item['saving_ms']} ms{': ' + item['display'] if item['display'] else ''}")
    return "\n".join(lines) + "\n"


def lighthouse_version() -> str:
    package = LIGHTHOUSE.resolve().parent.parent / "package.json"
    return json.loads(package.read_text(encoding="utf-8"))["version"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, help="a built site folder (default: build --data into benchmarks/work)")
    parser.add_argument("--data", type=Path, default=REPO / "data")
    parser.add_argument("--runs", type=int, default=3, help="trusted runs per page (the median is kept)")
    parser.add_argument("--attempts", type=int, default=3,
                        help="give up on trusted runs after RUNS × ATTEMPTS runs of a page (a busy machine)")
    parser.add_argument("--issue-id", help="the id for issue/?id= (default: the first in the site's shards)")
    parser.add_argument("--no-gzip", action="store_true", help="serve without compression")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for lighthouse-results.md/.json")
    parser.add_argument("--page", action="append", choices=["home", "issue", "items"],
                        help="measure only this page (repeatable; default: all three)")
    parser.add_argument("--reports", type=Path, help="keep Lighthouse's own JSON reports in this folder")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("没有安装 Lighthouse：请运行 npm ci --prefix tools/lighthouse。 Lighthouse is not installed.")
    chrome = chrome_path()

    # Load inputs
    site = args.site
    if site is None:
        site = HERE / "work" / "lighthouse-site"
        print(f"building {args.data} into {site} …", flush=True)
        build_site(args.data, site)
    issue_id = args.issue_id or first_issue_id(site)
    pages = {"home": "/", "issue": f"/issue/?id={issue_id}", "items": "/items/"}
    pages = {name: path for name, path in pages.items() if not args.page or name in args.page}

    # Process data
    results_pages = {}
    reports = args.reports or Path(tempfile.mkdtemp(prefix="lighthouse-"))
    reports.mkdir(parents=True, exist_ok=True)
    with serve(site, compress=not args.no_gzip) as base:
        for name, path in pages.items():
            runs: list[dict] = []
            while sum(map(trusted, runs)) < args.runs and len(runs) < args.runs * args.attempts:
                number = len(runs) + 1
                report = run_lighthouse(base + path, chrome, reports / f"{name}-{number}.json")
                summary = report if "error" in report and "audits" not in report else summarize(report)
                runs.append(summary)
                shown = summary.get("error") or (
                    f"performance {summary['performance']}, accessibility {summary['accessibility']}, CLS "
                    f"{summary['cls']}, LCP {summary['lcp_ms']} ms, TBT {summary['tbt_ms']} ms, benchmark index "
                    f"{summary['benchmark_index']}{'' if trusted(summary) else ' (host CPU too busy: not counted)'}")
                print(f"{name} run {number}: {shown}", flush=True)
            kept = median_run(runs)
            kept["path"] = kept["url"] = path  # the port changes from run to run: keep the path
            kept["runs"] = [{key: run.get(key) for key in ("performance", "accessibility", "cls", "lcp_ms", "tbt_ms",
                                                           "benchmark_index", "error") if key in run} for run in runs]
            results_pages[name] = kept

    if not args.reports:
        shutil.rmtree(reports, ignore_errors=True)

    # Save outputs
    version = subprocess.run([chrome, "--version"], capture_output=True, text=True).stdout.strip()
    results = {"date": dt.date.today().isoformat(), "lighthouse": lighthouse_version(),
               "chromium": version or chrome,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, Node {node_version()}",
               "gzip": not args.no_gzip, "runs": args.runs, "attempts": args.attempts, "targets": TARGETS, "pages": results_pages}
    suffix = "" if not args.no_gzip else "-no-gzip"
    (args.out / f"lighthouse-results{suffix}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (args.out / f"lighthouse-results{suffix}.md").write_text(render_markdown(results), encoding="utf-8")
    print(render_markdown(results))


def node_version() -> str:
    found = subprocess.run(["node", "--version"], capture_output=True, text=True)
    return found.stdout.strip() or "?"


if __name__ == "__main__":
    main()
