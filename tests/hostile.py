"""A hostile data set: the demo package with attack strings in every free-text cell.

Data reaches the site through pull requests, so every cell is hostile until
proven otherwise. ``make_hostile`` rewrites a copy of the demo package so that
every free-text field of every resource carries markup, template syntax,
Markdown tricks, spreadsheet formulas, bidirectional and line-separator
characters and very long text, while codes, ids, dates and numbers stay valid:
the package must still validate, and the build must publish it inert.
The descriptor's own metadata (title, description, licence, keywords, sources)
carries attack text too (``make_hostile_descriptor``). ``javascript:`` in
``claims.source_url`` or in a descriptor URL is refused by validation; that is
tested on its own (``poison_source_url``, tests/test_descriptor_standard.py).
"""

from __future__ import annotations

import csv
import html
import html.parser
import json
from pathlib import Path

LONG = 5000  # length of the long payload in fields without a maxLength

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "</script><script>alert(1)</script>",
    "{{ 7*7 }}",
    "{% raw %}",
    "[x](javascript:alert(1))",
    '{: onclick="alert(1)" }',
    '<div markdown="1">*x*</div>',
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\u202eevil\u200b名称",
    "行一\u2028行二\u2029行三",
    "<svg onload=alert(1)>",
    "]]><!-- --></style></title></textarea>",
    "javascript:alert(1)",
    "控制\x0b字符\x1b[31m\x7f",
    None,  # the long payload, cut to the field's maxLength
)

# resource → free-text fields (the ones whose content is prose, not a code).
FREE_TEXT = {
    "regions": ["name"],
    "departments": ["name"],
    "holidays": ["name"],
    "issues": ["title", "summary"],
    "devolved_items": ["name", "list_name", "legal_basis", "decision_ref"],
    "evaluations": ["evaluator"],
    "surveys": ["surveyor"],
    "inspections": ["note"],
    "issue_events": ["note"],
    "duty_items": ["name", "source_ref"],
    "claims": ["region_name", "subject", "unit", "source_title", "source_publisher", "quote"],
    "burden_cuts": ["name", "source_ref"],
}


# Ids without a pattern in the standard (any text is valid) → the fields that refer to them.
FREE_IDS = {
    "devolved_items": [("devolutions.csv", "item_id"), ("item_cases.csv", "item_id"),
                       ("duty_items.csv", "devolved_item_id")],  # an optional reference: empty stays empty
    "claims": [], "evaluations": [], "surveys": [], "inspections": [], "duty_items": [], "burden_cuts": [],
}
ID_PAYLOADS = ('"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", "</script><script>alert(1)</script>",
               " {{ 7*7 }}", "/../../x", "=HYPERLINK(\"http://evil\",\"x\")", "#frag ment?q=1")
NEGATIVE = "-3.5"  # claims.value of the second claim: a real negative number (a reported decrease)


def payload(index: int, max_length: int | None, min_length: int = 0) -> str:
    """The payload for row ``index``: cycles through PAYLOADS, fitted to the field's length rules."""
    text = PAYLOADS[index % len(PAYLOADS)]
    if text is None:
        text = ("<b>长</b>" + "https://example.org/" + "a" * 200 + "很长的文字" * LONG)[:max_length or LONG]
    if max_length is not None:
        text = text[:max_length]
    return text.ljust(min_length, "。")


def _constraints(descriptor: dict, resource: str, field: str) -> dict:
    for res in descriptor["resources"]:
        if res["name"] == resource:
            for item in res["schema"]["fields"]:
                if item["name"] == field:
                    return item.get("constraints", {})
    raise KeyError(f"{resource}.{field}")


def _paths(descriptor: dict, resource: str) -> list[str]:
    for res in descriptor["resources"]:
        if res["name"] == resource:
            path = res["path"]
            return list(path) if isinstance(path, list) else [path]
    raise KeyError(resource)


def rewrite(folder: Path, rel: str, change) -> None:
    """Apply ``change(row_number, row_dict)`` to every row of one CSV (canonical writing kept)."""
    path = folder / rel
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        rows = list(reader)
    for number, row in enumerate(rows):
        change(number, row)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            cells = [row[name] for name in names]
            # The csv module leaves a bare CR unquoted when the terminator is LF; readers split there.
            writer = csv.writer(handle, lineterminator="\n",
                                quoting=csv.QUOTE_ALL if any("\r" in c for c in cells) else csv.QUOTE_MINIMAL)
            writer.writerow(cells)


def make_hostile(folder: Path) -> dict[str, int]:
    """Rewrite the package in ``folder``; return resource → cells made hostile."""
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for offset, (resource, fields) in enumerate(sorted(FREE_TEXT.items())):
        limits = {f: _constraints(descriptor, resource, f) for f in fields}
        done = 0

        def change(number: int, row: dict, fields=fields, limits=limits, offset=offset) -> None:
            nonlocal done
            for position, field in enumerate(fields):
                rule = limits[field]
                row[field] = payload(number + offset + position, rule.get("maxLength"), rule.get("minLength", 0))
                done += 1

        for rel in _paths(descriptor, resource):
            rewrite(folder, rel, change)
        counts[resource] = done
    for resource, references in sorted(FREE_IDS.items()):
        renamed: dict[str, str] = {}

        def rename(number: int, row: dict, renamed=renamed) -> None:
            hostile = ID_PAYLOADS[number % len(ID_PAYLOADS)]
            new = hostile + row["id"] if number % 2 else row["id"] + hostile
            renamed[row["id"]] = row["id"] = new

        for rel in _paths(descriptor, resource):
            rewrite(folder, rel, rename)
        for rel, field in references:
            rewrite(folder, rel, lambda n, row, field=field, renamed=renamed: row.update(
                {field: renamed[row[field]] if row[field] else ""}))
        counts[resource] += len(renamed)
    rewrite(folder, "claims.csv", lambda n, row: row.update(value=NEGATIVE) if n == 1 else None)
    make_hostile_descriptor(folder)
    return counts


# The package metadata the data owns (pipeline/core/descriptor.py), each text an attack; URLs stay http(s).
HOSTILE_METADATA = {
    "title": '=HYPERLINK("http://evil","阳光")<script>alert(1)</script>{{ 7*7 }}',
    "description": "+1+1 [x](javascript:alert(1)) <img src=x onerror=alert(1)> *强调* | 表格 | \u2028行二",
    "version": "-2+3",
    "licenses": [{"name": "@SUM(A1)", "title": '<svg onload=alert(1)>许可" onmouseover="alert(1)',
                  "path": "https://example.org/licence?a=1&b=2#x{{7*7}}"}],
    "keywords": ["=1+1", "</script><script>alert(1)</script>", "\t=1+1"],
    "sources": [{"title": "@SUM(A1) 来源", "path": "https://example.org/source"}],
}


def make_hostile_descriptor(folder: Path) -> dict:
    """Put attack text into the descriptor's own metadata (title, description, licence, keywords, sources)."""
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor.update(json.loads(json.dumps(HOSTILE_METADATA)))
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return descriptor


def poison_source_url(folder: Path, url: str = "javascript:alert(1)") -> None:
    """Put an unsafe URL into the first claim's source_url."""
    rewrite(folder, "claims.csv", lambda n, row: row.update(source_url=url) if n == 0 else None)


# --- values that validated and then broke the build or the downloads ----------------------

# name → (file, data row index, field, value, code). A value the standard refuses stops the build with
# ``code`` (never a crash); one it accepts (code None) builds, and every download writes it canonically.
VALUE_CASES = {
    "nan-in-number": ("claims.csv", 0, "value", "NaN", "number-out-of-range"),
    "infinity-in-number": ("claims.csv", 0, "value", "Infinity", "number-out-of-range"),
    "1e309-in-number": ("claims.csv", 0, "value", "1e309", "number-out-of-range"),
    "twenty-digit-integer": ("surveys.csv", 0, "satisfied", "12345678901234567890", "integer-out-of-range"),
    "trailing-newline-in-code": ("inspections.csv", 0, "officer", "TYG-01\n", "constraint-error"),
    "zero-width-name": ("regions.csv", 0, "name", "\u200b\u200c\u200d\u2060\ufeff", "invisible-value"),
    "full-width-space-name": ("departments.csv", 0, "name", "\u3000", "invisible-value"),
    "arabic-indic-digits": ("surveys.csv", 0, "very_satisfied", "١٢", None),
    "underscore-digits": ("surveys.csv", 0, "satisfied", "1_000", None),
    "full-width-digit": ("surveys.csv", 0, "basic", "５", None),
    "plus-sign": ("surveys.csv", 1, "very_satisfied", "+5", None),
    "leading-zero": ("surveys.csv", 1, "satisfied", "05", None),
}
CANONICAL_VALUES = {"١٢": "12", "1_000": "1000", "５": "5", "+5": "5", "05": "5"}


def poison_value(folder: Path, case: str) -> None:
    """Put the value of ``VALUE_CASES[case]`` into its cell."""
    rel, index, field, value, _ = VALUE_CASES[case]
    rewrite(folder, rel, lambda n, row: row.update({field: value}) if n == index else None)


# --- what "inert" means, checked on the output files --------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset", "background"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dangerous_url(value: str) -> bool:
    """A URL a browser would run as script (``javascript:``, also with control characters or entities hidden in it)."""
    compact = "".join(ch for ch in html.unescape(value) if ch > " " and ch != "\x7f").lower()
    return compact.startswith(("javascript:", "vbscript:", "data:text/html"))


class ElementScan(html.parser.HTMLParser):
    """Every element with its attributes, and the text of every <script>, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[tuple[dict, str]] = []  # (attributes, text)
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script, self._text = dict(attrs), []

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def scan(text: str) -> ElementScan:
    parser = ElementScan()
    parser.feed(text)
    parser.close()
    return parser


def html_problems(text: str) -> list[str]:
    """Why this HTML is not inert: event-handler attributes, script URLs, injected elements or scripts."""
    parsed = scan(text)
    problems = []
    for tag, attrs in parsed.elements:
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES and value and dangerous_url(value):
                problems.append(f"<{tag} {name}={value!r}>")
            if name == "markdown":
                problems.append(f"<{tag} markdown=…> from a cell")
        if tag == "img" and dict(attrs).get("src") == "x":
            problems.append("<img src=x> injected")
    for attrs, body in parsed.scripts:
        if "alert(" in body:
            problems.append(f"<script> runs injected code: {body[:60]!r}")
        if attrs.get("type") == "application/json":
            problems.extend(json_in_script_problems(body))
    return problems


def json_in_script_problems(body: str) -> list[str]:
    problems = []
    if "</" in body or "<!--" in body:
        problems.append("JSON in <script> carries '</' or '<!--' unescaped")
    if "\u2028" in body or "\u2029" in body:
        problems.append("JSON in <script> carries U+2028/U+2029 unescaped")
    try:
        json.loads(body)
    except ValueError as exc:
        problems.append(f"JSON in <script> does not parse: {exc}")
    return problems
