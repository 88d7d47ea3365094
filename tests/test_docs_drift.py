"""Docs and catalogue that cannot drift from the code.

- Every `ledger` command and every option (read from the click command objects) is documented in
  README.md or CONTRIBUTING.md (the sqlite-utils model).
- Every module the docs name exists.
- Every finding code in pipeline/core/codes.py is emitted by the pipeline and produced in a test
  (the frictionless model): a string literal in pipeline/ outside codes.py — an f-string such as
  ``f"pii-{kind}"`` counts for the codes it can make — and a string literal in a test that asserts
  it. The codes no test produced before are produced in tests/test_validate_rare_codes.py.
- The README's table of figures at a million issues is the latest `benchmarks/results.json`.
- The 参与贡献 page names the pull-request comment's columns as the comment has them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

from pipeline.cli import cli
from pipeline.core.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "CONTRIBUTING.md")
GLOBAL = {"--debug", "--help", "-h"}  # documented once for every command (README: The `ledger` command)


def docs_text() -> str:
    return "\n".join((ROOT / name).read_text(encoding="utf-8") for name in DOCS)


def command_docs(name: str) -> str:
    """What the docs say about ``ledger NAME``: every line that names it (its table row, its examples)."""
    named = re.compile(rf"ledger {re.escape(name)}(?![\w-])")
    return "\n".join(line for line in docs_text().splitlines() if named.search(line))


def mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def undocumented(group: click.Group) -> list[str]:
    missing = [f"ledger {option}" for p in group.params for option in p.opts if not mentions(docs_text(), option)]
    for name, command in sorted(group.commands.items()):
        text = command_docs(name)
        if not text:
            missing.append(f"ledger {name}")
            continue
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            options = [o for o in param.opts + param.secondary_opts if o not in GLOBAL]
            if options and not any(mentions(text, o) for o in options):
                missing.append(f"ledger {name} {'/'.join(options)}")
    return missing


def test_undocumented_command_or_option():
    assert undocumented(cli) == []


def test_an_undocumented_option_is_named_in_the_failure():
    @click.group()
    def probe():
        pass

    @probe.command(name="validate")
    @click.option("--no-such-option")
    @click.option("--format")
    def validate_probe(no_such_option, format):  # noqa: A002 - the option's own name
        pass

    @probe.command(name="no-such-command")
    def nothing():
        pass

    assert undocumented(probe) == ["ledger no-such-command", "ledger validate --no-such-option"]


# --- module paths in the docs ---------------------------------------------------------------

MODULE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.py)\b")


def missing_modules(text: str) -> list[str]:
    """Modules the text names that do not exist: a path from the repository or from pipeline/,
    or a bare file name that no file in pipeline/, tests/, benchmarks/ or tools/ has."""
    names = {p.name for top in ("pipeline", "tests", "benchmarks", "tools") for p in (ROOT / top).rglob("*.py")}
    missing = []
    for path in sorted(set(MODULE.findall(text))):
        if "/" in path:
            if not ((ROOT / path).is_file() or (ROOT / "pipeline" / path).is_file()):
                missing.append(path)
        elif path not in names and not (ROOT / path).is_file():  # a bare name: anywhere, or at the top
            missing.append(path)
    return missing


def test_docs_name_a_module_that_does_not_exist():
    assert missing_modules(docs_text()) == []


def test_a_module_moved_away_is_named_in_the_failure():
    text = "metrics come from `pipeline/metrics.py` and `frames.py`; see `pipeline/figures/metrics.py`"
    assert missing_modules(text) == ["frames.py", "pipeline/metrics.py"]


# --- every finding code is emitted and produced in a test -----------------------------------

def string_literals(path: Path) -> list[ast.Constant | ast.JoinedStr]:
    """String constants and f-strings of a module, docstrings left out (prose, not code)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node for node in ast.walk(tree)
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings)
            or isinstance(node, ast.JoinedStr)]


def literal_pattern(node: ast.Constant | ast.JoinedStr) -> re.Pattern | None:
    """The codes a literal can be: itself; an f-string only when it starts with a family's fixed
    prefix ("pii-…"): one such as f"{kind}" could be any code and counts for none."""
    if isinstance(node, ast.Constant):
        return re.compile(re.escape(node.value))
    first = node.values[0]
    if not (isinstance(first, ast.Constant) and re.fullmatch(r"[a-z]+-", first.value)):
        return None
    return re.compile("".join(re.escape(part.value) if isinstance(part, ast.Constant) else r"[a-z]+(?:-[a-z]+)*"
                              for part in node.values))


def codes_found(paths: list[Path], f_strings: bool = True) -> set[str]:
    patterns = [literal_pattern(node) for path in paths for node in string_literals(path)
                if f_strings or isinstance(node, ast.Constant)]
    return {code for code in CODES if any(p is not None and p.fullmatch(code) for p in patterns)}


def test_finding_code_never_emitted_or_tested():
    emitting = [p for p in (ROOT / "pipeline").rglob("*.py") if p != ROOT / "pipeline" / "core" / "codes.py"]
    # test_codes.py checks the catalogue itself; this file names codes only through CODES
    testing = [p for p in (ROOT / "tests").rglob("*.py") if p.name not in ("test_codes.py", Path(__file__).name)]
    never_emitted = sorted(set(CODES) - codes_found(emitting))
    never_tested = sorted(set(CODES) - codes_found(testing, f_strings=False))  # a test names what it expects
    assert (never_emitted, never_tested) == ([], [])


def test_an_f_string_counts_for_the_codes_it_can_make(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('"""type-error in a docstring is prose."""\n'
                      'def f(kind, code):\n    return make(f"pii-{kind}"), make(f"{code}"), "unique-error"\n',
                      encoding="utf-8")
    assert codes_found([module]) == {"pii-mobile", "pii-id-number", "pii-name", "unique-error"}
    assert codes_found([module], f_strings=False) == {"unique-error"}


# --- exit codes ------------------------------------------------------------------------------

def exit_codes_in_code() -> set[int]:
    """Every exit code the modules of pipeline/cli/ can end with: sys.exit(N) and each exception's exit_code."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "pipeline" / "cli").glob("*.py"))]
    found = {0}  # sys.exit(code) of a command that returned normally
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.exit" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
            found.add(node.args[0].value)
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["exit_code"]:
            found.add(node.value.value)
    return found


def test_exit_codes_differ_between_readme_help_and_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| code | meaning |", 1)[1].split("\n\n", 1)[0]
    in_readme = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    in_help = {int(code) for code in re.findall(r"^ {6}(\d+) ", cli.help.split("退出码 / Exit codes:", 1)[1], re.M)}
    assert in_readme == in_help == exit_codes_in_code() == {0, 1, 2, 3, 130}


# --- The README's performance table and the benchmark's latest results ---------------------------------

PERFORMANCE_ROWS = {  # the table row's first cell → (ratio, its numerator's run, its denominator's run)
    "cold `ledger validate` ÷ `frictionless validate`":
        ("validate_vs_frictionless", "ledger validate (cold)", "frictionless validate"),
    "cold `ledger build` ÷ `frictionless validate`":
        ("build_vs_frictionless", "ledger build (cold)", "frictionless validate"),
    "realistic pull request: revalidation ÷ cold":
        ("pr_validate_vs_cold", "ledger validate (realistic PR)", "ledger validate (cold, after the PR)"),
    "realistic pull request: rebuild ÷ cold":
        ("pr_build_vs_cold", "ledger build (realistic PR)", "ledger build (cold, after the PR)"),
}


def performance_drift(readme: str, results: dict) -> list[str]:
    """Where the README's table of figures at 10⁶ says other than ``benchmarks/results.json``: each ratio
    as rounded to the digits shown, the two times it divides (to 0.1 s) and the build's peak (to 0.01 GB)."""
    seconds = {run["name"]: run["seconds"] for run in results["results"]}
    problems = []
    for label, (ratio, top, bottom) in PERFORMANCE_ROWS.items():
        row = re.search(rf"^\| {re.escape(label)} \| (\d+\.(\d+)) \((\d+\.\d) s vs (\d+\.\d) s", readme, re.M)
        if row is None:
            problems.append(f"no row '{label}' in the form 'RATIO (A s vs B s'")
            continue
        shown, digits, a, b = row.group(1), len(row.group(2)), float(row.group(3)), float(row.group(4))
        if float(shown) != round(results["ratios"][ratio], digits):
            problems.append(f"{label}: {shown}, results.json {results['ratios'][ratio]}")
        if (a, b) != (round(seconds[top], 1), round(seconds[bottom], 1)):
            problems.append(f"{label}: {a} s vs {b} s, results.json {seconds[top]} s vs {seconds[bottom]} s")
    build_peak = max(run["peak_mb"] for run in results["results"] if run["name"].startswith("ledger build"))
    if f"build {build_peak / 1000:.2f} GB" not in readme:
        problems.append(f"the build's peak: results.json {build_peak} MB, not 'build {build_peak / 1000:.2f} GB'")
    return problems


def test_readme_performance_figures_are_the_latest_results():
    import json
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    assert performance_drift(readme, results) == []


def test_a_performance_figure_left_behind_is_named():
    import json
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    results["ratios"]["build_vs_frictionless"] = 0.613
    results["results"] = [{**run, "seconds": 11.04} if run["name"] == "ledger validate (cold)" else run
                          for run in results["results"]]
    shown = re.search(r"^\| cold `ledger build` ÷ `frictionless validate` \| (\S+)", readme, re.M).group(1)
    a = re.search(r"^\| cold `ledger validate` ÷ `frictionless validate` \| \S+ \((\S+) s", readme, re.M).group(1)
    b = re.search(r"^\| cold `ledger validate` ÷ `frictionless validate` \| \S+ \(\S+ s vs (\S+) s", readme, re.M).group(1)
    frictionless = next(r["seconds"] for r in results["results"] if r["name"] == "frictionless validate")
    assert performance_drift(readme, results) == [
        f"cold `ledger validate` ÷ `frictionless validate`: {float(a)} s vs {float(b)} s, results.json 11.04 s vs {frictionless} s",
        f"cold `ledger build` ÷ `frictionless validate`: {shown}, results.json 0.613",
    ]


def test_contributing_page_names_the_comment_s_columns():
    from pipeline.contribute import prcomment
    from pipeline.core import findings as fd

    comment = prcomment.render(fd.Report.of([fd.make("blank-row", path="issues/2026.csv", row=3)]), None)
    header = next(line for line in comment.splitlines() if line.startswith("| | 行"))
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]  # the first is the check box
    page = (ROOT / "site" / "contributing.md").read_text(encoding="utf-8")
    assert f"待办清单是一张表格，列依次为：{'、'.join(columns)}（" in page
