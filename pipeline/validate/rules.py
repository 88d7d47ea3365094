"""Cross-field rules: what Table Schema cannot say, as vectorised checks.

Each rule is a function ``(ledger) -> Iterator[Finding]`` that selects the
offending rows with column operations and yields one finding per row, with
the row's own file and spreadsheet row. Values that failed their type check
are missing here (already reported), and a rule's findings that read such a
cell are dropped (``consequences_dropped``): one root cause, one finding — a
date typed 2026/1/1 is a type error, not also "status resolved needs a date".

Per row, per segment or whole (issue #21). Each rule's findings are stored under the digests of
the columns it reads, segment by segment (validate/stages.py), and recomputed on the whole ledger
when any of those segments changed. By meaning:

- Row-local — a finding depends on its own row only (and on small whole tables: the calendar and
  deadline rules behind ``due``, the code lists): ``issue_status_fields``, ``issue_date_order``,
  ``issue_due_after_assigned``, ``dates_not_after_as_of``, ``devolved_item_rules``, ``survey_rules``,
  ``region_code_shape``, ``claim_urls``, ``event_fields_by_type``. These could run on the changed
  segments' rows alone; they still run whole, because the rules that read the same columns across
  rows (below) need the whole ledger built in the same run anyway, and running them is the small part.
- Lookups into another resource — the finding depends on its row and on the row it refers to:
  ``issue_meeting_consistent``, ``department_lists_exist``, ``devolution_rules``, ``item_case_rules``,
  ``evaluation_rules``, ``inspection_rules``, ``supervised_is_escalated``, ``duty_item_rules``. Not per
  segment: an edit to an issue changes the findings of the evaluations, inspections and events of
  that issue, wherever they are in their files.
- Across rows of one resource: ``event_dates_in_order`` and ``event_extension_later`` (an event
  against the previous event of its issue, by seq, in any segment) and ``calendar_coverage`` (a
  count per year over every issue). Not per segment; ``calendar_coverage`` could be kept as counts
  per segment and summed.
Keys (unique, primary, foreign) are per resource and per foreign key: ``validate.key_checks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import findings as fd
from pipeline.core.descriptor import VERSION_2_FIELDS, VERSION_2_RESOURCES
from pipeline.core.ledger import DONE, Ledger, base_columns, positions_in
from pipeline.core.csv_read import TEXT

Rule = Callable[[Ledger], Iterator[fd.Finding]]
# What a rule reads: resource → ledger columns (derived ones included, see frames.DERIVED), or a
# function of the package giving that. A rule runs on a view of the ledger with only these columns
# (and _path, _row), so it cannot read anything it has not declared: its cached findings are reused
# exactly when what it reads is unchanged (pipeline/validate/stages.py).
Reads = dict[str, tuple[str, ...]] | Callable[[object], dict[str, tuple[str, ...]]]


@dataclass(frozen=True)
class RuleSpec:
    check: Rule
    reads: Reads
    # Each resource checked on its own: every finding is about one resource and reads only that resource's
    # columns (a date after the snapshot, an integer or a total too large to publish). Its findings are
    # then cached per resource, so that a pull request changing issues does not check the events again.
    per_resource: bool = False

    @property
    def name(self) -> str:
        return self.check.__name__

    def columns(self, package) -> dict[str, tuple[str, ...]]:
        return self.reads(package) if callable(self.reads) else self.reads

    def parts(self, package) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
        """(stage name, what it reads): the rule whole, or one part per resource it reads anything of."""
        columns = self.columns(package)
        if not self.per_resource:
            return [(self.name, columns)]
        return [(f"{self.name}:{name}", {name: names}) for name, names in columns.items() if names]


RULES: list[RuleSpec] = []

STATUS_ZH = {"registered": "已登记", "assigned": "已交办", "resolved": "已办结", "evaluated": "已评价",
             "archived": "已归档", "withdrawn": "已撤回"}
LEVEL_ZH = {"city": "市", "county": "县(市、区)", "township": "乡镇", "street": "街道", "village": "村", "community": "社区"}


def in_view(ledger: Ledger, reads: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The resources of ``reads`` that ``ledger`` holds: all of them, or, on the view of one part of a rule
    checked per resource (``RuleSpec.per_resource``), that part's resource alone."""
    return ((name, names) for name, names in reads.items() if name in ledger.frames)


def rule(reads: Reads, per_resource: bool = False) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append(RuleSpec(fn, reads, per_resource))
        return fn
    return register


def _fmt(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def emit(frame: pd.DataFrame, mask: pd.Series, code: str, resource: str, field: str,
         value: str | None = None, **columns: str | Callable[[pd.Series], object]) -> Iterator[fd.Finding]:
    """One finding per selected row; ``columns`` maps template parameters to columns or functions."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():  # the usual case: do not even build an empty selection
        return
    for _, row in frame.loc[mask].iterrows():
        params = {key: _fmt(spec(row) if callable(spec) else row[spec]) for key, spec in columns.items()}
        yield fd.make(code, path=row["_path"], row=int(row["_row"]), field=field, resource=resource,
                      value=_fmt(row[value or field]), **params)


# --- snapshot date ----------------------------------------------------------

# Dates that may lie after the snapshot: announced holidays and future deadlines.
FUTURE_ALLOWED = {("holidays", "date"), ("issues", "due_on"), ("issue_events", "new_due_on")}


def _date_fields(package) -> dict[str, tuple[str, ...]]:
    return {name: tuple(f["name"] for f in package.fields(name)
                        if f.get("type") in ("date", "yearmonth") and (name, f["name"]) not in FUTURE_ALLOWED)
            for name in package.resource_names}


@rule(reads=_date_fields, per_resource=True)
def dates_not_after_as_of(ledger: Ledger) -> Iterator[fd.Finding]:
    as_of = ledger.as_of
    for name, columns in in_view(ledger, _date_fields(ledger.package)):
        frame = ledger.frames[name]
        for column in columns:
            series = frame[column]
            if pd.api.types.is_datetime64_any_dtype(series):
                late = series > as_of
            elif ledger.package.field(name, column).get("type") == "yearmonth":
                late = series.fillna("") > as_of.strftime("%Y-%m")
            else:
                continue
            yield from emit(frame, late, "date-after-as-of", name, column, as_of=lambda _r: as_of)


# The snapshot long after the newest issue: a mistyped year in as_of (2062 for 2026) would publish every
# open issue decades overdue. A warning: a quiet half year is possible, and the data still publishes.
AS_OF_GAP_DAYS = 180


@rule(reads={"issues": ("raised_on",)})
def as_of_long_after_the_newest_issue(ledger: Ledger) -> Iterator[fd.Finding]:
    raised = ledger.issues["raised_on"].dropna()
    if raised.empty:
        return
    newest = raised.max()
    days = int((ledger.as_of - newest).days)
    if days > AS_OF_GAP_DAYS:
        yield fd.make("as-of-after-data", path="datapackage.json", field="as_of", value=_fmt(ledger.as_of),
                      newest=_fmt(newest), days=days)


# --- issues -------------------------------------------------------------------

REQUIRED_BY_STATUS = {
    "assigned_on": ("assigned", *DONE),
    "resolved_on": DONE,
    "resolved_at_level": DONE,
    "archived_on": ("archived",),
}
FORBIDDEN_BY_STATUS = {
    "resolved_on": ("registered", "assigned", "withdrawn"),
    "archived_on": ("registered", "assigned", "resolved", "evaluated", "withdrawn"),
}
LIFECYCLE = ["raised_on", "assigned_on", "resolved_on", "archived_on"]


@rule(reads={"issues": ("status", "assigned_on", "resolved_on", "resolved_at_level", "archived_on")})
def issue_status_fields(ledger: Ledger) -> Iterator[fd.Finding]:
    issues = ledger.issues
    zh = {"status_zh": lambda r: STATUS_ZH.get(r["status"], r["status"]), "status": "status"}
    for column, statuses in REQUIRED_BY_STATUS.items():
        yield from emit(issues, issues["status"].isin(statuses) & issues[column].isna(),
                        "status-missing-field", "issues", column, **zh)
    for column, statuses in FORBIDDEN_BY_STATUS.items():
        yield from emit(issues, issues["status"].isin(statuses) & issues[column].notna(),
                        "status-extra-field", "issues", column, **zh)


@rule(reads={"issues": ("raised_on", "assigned_on", "resolved_on", "archived_on")})
def issue_date_order(ledger: Ledger) -> Iterator[fd.Finding]:
    issues = ledger.issues
    # Compare each date with the nearest earlier lifecycle date that is present.
    for later_index in range(1, len(LIFECYCLE)):
        later = LIFECYCLE[later_index]
        earlier = issues[LIFECYCLE[0]].copy()
        earlier_name = pd.Series(LIFECYCLE[0], index=issues.index)
        for name in LIFECYCLE[1:later_index]:
            present = issues[name].notna()
            earlier = earlier.where(~present, issues[name])
            earlier_name = earlier_name.where(~present, name)
        bad = issues[later].notna() & earlier.notna() & (issues[later] < earlier)
        frame = issues.assign(_earlier=earlier, _earlier_name=earlier_name)
        yield from emit(frame, bad, "date-order", "issues", later,
                        other_field="_earlier_name", other_value="_earlier")


@rule(reads={"issues": ("assigned_on", "due_on")})
def issue_due_after_assigned(ledger: Ledger) -> Iterator[fd.Finding]:
    issues = ledger.issues
    # A deadline counts from the day of assignment: the same day (same_day rules) at the earliest.
    early = issues["due_on"].notna() & issues["assigned_on"].notna() & (issues["due_on"] < issues["assigned_on"])
    titles = {name: ledger.package.field("issues", name).get("title") or name for name in ("due_on", "assigned_on")}
    yield from emit(issues, early, "due-before-assigned", "issues", "due_on", assigned_on="assigned_on",
                    title=lambda _r: titles["due_on"], other_title=lambda _r: titles["assigned_on"])


@rule(reads={"issues": ("meeting_id", "mechanism"), "meetings": ("id", "mechanism")})
def issue_meeting_consistent(ledger: Ledger) -> Iterator[fd.Finding]:
    meetings = ledger.meetings
    issues = ledger.issues
    found = positions_in(issues["meeting_id"], meetings["id"])
    expected = pd.Series(meetings["mechanism"].array.take(found, allow_fill=True), index=issues.index)
    bad = expected.notna() & issues["mechanism"].notna() & (expected != issues["mechanism"])
    frame = issues.assign(_expected=expected)
    yield from emit(frame, bad, "meeting-mismatch", "issues", "mechanism",
                    meeting_id="meeting_id", expected="_expected")


def _unknown_codes(frame: pd.DataFrame, resource: str, column: str, known: set[str], target: str) -> Iterator[fd.Finding]:
    """Each code of a ";"-separated list that is not ``known``, split and looked up by Arrow."""
    listed = frame[column].dropna()
    if listed.empty:
        return
    parts = pc.split_pattern(pa.array(listed.astype(TEXT), type=pa.string()), pattern=";")
    codes = pc.list_flatten(parts)
    unknown = ~pc.is_in(codes, value_set=pa.array(sorted(known), type=pa.string())).to_numpy(zero_copy_only=False)
    owners = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    for owner, code in zip(owners[unknown], codes.filter(pa.array(unknown)).to_pylist()):
        row = frame.loc[listed.index[owner]]
        yield fd.make("unknown-code", path=row["_path"], row=int(row["_row"]), field=column,
                      resource=resource, value=code, target=target)


@rule(reads={"departments": ("code",), "issues": ("co_departments",), "meetings": ("departments",)})
def department_lists_exist(ledger: Ledger) -> Iterator[fd.Finding]:
    known = set(ledger.departments["code"].dropna())
    yield from _unknown_codes(ledger.issues, "issues", "co_departments", known, "departments（code）")
    yield from _unknown_codes(ledger.meetings, "meetings", "departments", known, "departments（code）")


# --- devolved items -------------------------------------------------------------

@rule(reads={"devolved_items": ("revoked_on", "effective_on", "promised_limit", "statutory_limit", "limit_unit")})
def devolved_item_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    items = ledger.devolved_items
    yield from emit(items, items["revoked_on"] < items["effective_on"], "date-order", "devolved_items", "revoked_on",
                    other_field=lambda _r: "effective_on", other_value="effective_on")
    yield from emit(items, items["promised_limit"] > items["statutory_limit"], "limit-order", "devolved_items",
                    "promised_limit", statutory="statutory_limit")
    has_limit = items["statutory_limit"].notna() | items["promised_limit"].notna()
    yield from emit(items, has_limit & items["limit_unit"].isna(), "limit-unit-missing", "devolved_items", "limit_unit")


@rule(reads={"regions": ("code", "level"), "devolutions": ("region_code", "effective_on", "item_effective_on")})
def devolution_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    levels = ledger.regions.drop_duplicates("code").set_index("code")["level"]
    devolutions = ledger.devolutions
    level = devolutions["region_code"].map(levels)
    bad = level.notna() & ~level.isin(["township", "street"])
    frame = devolutions.assign(_level=level)
    yield from emit(frame, bad, "devolution-level", "devolutions", "region_code",
                    level="_level", level_zh=lambda r: LEVEL_ZH.get(r["_level"], r["_level"]))
    yield from emit(devolutions, devolutions["effective_on"] < devolutions["item_effective_on"], "date-order",
                    "devolutions", "effective_on", other_field=lambda _r: "devolved_items.effective_on",
                    other_value="item_effective_on")


@rule(reads={"item_cases": ("within_promise", "cases", "item_id", "region_code", "month"),
         "devolutions": ("item_id", "region_code", "effective_on", "item_effective_on")})
def item_case_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    cases = ledger.item_cases
    yield from emit(cases, cases["within_promise"] > cases["cases"], "cases-exceed", "item_cases", "within_promise",
                    cases="cases")
    devolutions = ledger.devolutions.drop_duplicates(["item_id", "region_code"])
    start = devolutions["effective_on"].fillna(devolutions["item_effective_on"])
    start_month = pd.Series(start.dt.strftime("%Y-%m").values,
                            index=pd.MultiIndex.from_frame(devolutions[["item_id", "region_code"]]))
    keys = pd.MultiIndex.from_frame(cases[["item_id", "region_code"]])
    effective = pd.Series(start_month.reindex(keys).values, index=cases.index)
    bad = effective.notna() & cases["month"].notna() & (cases["month"] < effective)
    yield from emit(cases.assign(_effective=effective), bad, "cases-before-devolution", "item_cases", "month",
                    effective="_effective")


# --- outcomes -------------------------------------------------------------------

def _after_resolution(frame: pd.DataFrame, resource: str, date_field: str, what: str, what_en: str) -> Iterator[fd.Finding]:
    known = frame["issue_status"].notna()
    not_done = known & ~frame["issue_status"].isin(DONE)
    yield from emit(frame, not_done, "issue-not-resolved", resource, "issue_id",
                    status="issue_status", status_zh=lambda r: STATUS_ZH.get(r["issue_status"], r["issue_status"]),
                    what=lambda _r: what, what_en=lambda _r: what_en)
    early = ~not_done & (frame[date_field] < frame["issue_resolved_on"])
    yield from emit(frame, early, "before-resolution", resource, date_field,
                    issue_id="issue_id", resolved_on="issue_resolved_on")


@rule(reads={"evaluations": ("issue_id", "issue_status", "issue_resolved_on", "evaluated_on", "rectified_on", "rating")})
def evaluation_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    evaluations = ledger.evaluations
    yield from _after_resolution(evaluations, "evaluations", "evaluated_on", "满意度评价", "an evaluation")
    yield from emit(evaluations, evaluations["rectified_on"] < evaluations["evaluated_on"], "date-order",
                    "evaluations", "rectified_on", other_field=lambda _r: "evaluated_on", other_value="evaluated_on")
    positive = evaluations["rating"].fillna(0) >= 3
    yield from emit(evaluations, positive & evaluations["rectified_on"].notna(), "rectified-not-negative",
                    "evaluations", "rectified_on", rating="rating")


@rule(reads={"inspections": ("issue_id", "issue_status", "issue_resolved_on", "inspected_on")})
def inspection_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    yield from _after_resolution(ledger.inspections, "inspections", "inspected_on", "体验官核查", "an inspection")


SURVEY_COUNTS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")


@rule(reads={"surveys": ("period_start", "period_end", "subject", "subject_ref", *SURVEY_COUNTS), "departments": ("code",)})
def survey_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    surveys = ledger.surveys
    yield from emit(surveys, surveys["period_end"] < surveys["period_start"], "date-order", "surveys", "period_end",
                    other_field=lambda _r: "period_start", other_value="period_start")
    mechanisms = set(ledger.labels("issues", "mechanism"))
    departments = set(ledger.departments["code"].dropna())
    ref = surveys["subject_ref"]
    subject = surveys["subject"]
    checks = [
        (subject.eq("mechanism") & ~ref.isin(mechanisms), "须填写机制代码", "a mechanism code is required"),
        (subject.eq("department") & ~ref.isin(departments), "须填写存在的部门代码", "an existing department code is required"),
        (subject.isin(["overall", "devolved_items"]) & ref.notna(), "对象代码应留空", "subject_ref must be empty"),
    ]
    for mask, detail, detail_en in checks:
        yield from emit(surveys, mask, "survey-subject-ref", "surveys", "subject_ref", subject="subject",
                        detail=lambda _r, d=detail: d, detail_en=lambda _r, d=detail_en: d)
    counts = surveys[list(SURVEY_COUNTS)]
    complete = counts.notna().all(axis=1)
    yield from emit(surveys, complete & counts.fillna(0).sum(axis=1).eq(0), "survey-empty", "surveys",
                    "very_satisfied")


# --- reference data and links ------------------------------------------------------

REGION_SHAPES = {
    "city": (r"\d{4}0{8}", "市级代码应为4位数字加00000000"),
    "county": (r"\d{6}0{6}", "县级代码应为6位数字加000000"),
    "township": (r"\d{9}000", "乡镇代码应为9位数字加000"),
    "street": (r"\d{9}000", "街道代码应为9位数字加000"),
    "village": (r"\d{9}(?!000)\d{3}", "村级代码最后3位不能是000"),
    "community": (r"\d{9}(?!000)\d{3}", "社区代码最后3位不能是000"),
}


@rule(reads={"regions": ("code", "level")})
def region_code_shape(ledger: Ledger) -> Iterator[fd.Finding]:
    regions = ledger.regions
    for level, (pattern, detail) in REGION_SHAPES.items():
        wrong = regions["level"].eq(level) & regions["code"].notna() & ~regions["code"].fillna("").str.fullmatch(pattern)
        if level in ("township", "street"):
            wrong |= regions["level"].eq(level) & regions["code"].fillna("").str.fullmatch(r"\d{6}0{6}")
        yield from emit(regions, wrong, "region-code-level", "regions", "code", level="level",
                        level_zh=lambda r: LEVEL_ZH.get(r["level"], r["level"]), detail=lambda _r, d=detail: d)


SAFE_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@rule(reads={"claims": ("source_url",)})
def claim_urls(ledger: Ledger) -> Iterator[fd.Finding]:
    claims = ledger.claims
    url = claims["source_url"]
    bad = url.notna() & ~url.fillna("").str.fullmatch(SAFE_URL.pattern, case=False)
    yield from emit(claims, bad, "unsafe-url", "claims", "source_url")


@rule(reads={"issues": ("due", "due_provisional")})
def calendar_coverage(ledger: Ledger) -> Iterator[fd.Finding]:
    issues = ledger.issues
    provisional = issues.loc[issues["due_provisional"], "due"].dropna()
    for year, count in provisional.dt.year.value_counts().sort_index().items():
        yield fd.make("calendar-year-missing", path="holidays.csv", resource="holidays", value=str(year),
                      year=int(year), count=int(count))


# --- one root cause, one finding -----------------------------------------------------

# Codes of the structural checks whose cell reaches the rules as missing: the value failed its type.
FAILED_TYPE = ("type-error",)
# The cells of its own row a rule's finding reads besides its own field, where that is less than
# everything its rule reads ((resource, code) or, for any resource, (None, code) → fields); any
# other finding reads all its rule reads.
CELLS_READ: dict[tuple[str | None, str], tuple[str, ...]] = {
    (None, "date-after-as-of"): (),
    (None, "unknown-code"): (),
    (None, "integer-too-large"): (),
    (None, "total-too-large"): (),  # a column's total: only its own cell of the row is read
    ("issues", "status-missing-field"): ("status",),
    ("issues", "status-extra-field"): ("status",),
    ("issues", "due-before-assigned"): ("assigned_on",),
    ("devolved_items", "date-order"): ("effective_on",),
    ("devolved_items", "limit-order"): ("statutory_limit",),
    ("devolved_items", "limit-unit-missing"): ("statutory_limit", "promised_limit"),
}


def failed_cells(findings: list[fd.Finding]) -> set[tuple[str, int, str]]:
    """(file, row, field) of every cell that failed its type."""
    return {(f.path, f.row, f.field) for f in findings if f.code in FAILED_TYPE and f.row is not None and f.field}


def cells_read(spec: RuleSpec, finding: fd.Finding, package) -> set[str]:
    """The fields of the finding's own row that ``finding`` (of rule ``spec``) depends on."""
    own = {finding.field} if finding.field else set()
    for key in ((finding.resource, finding.code), (None, finding.code)):
        if key in CELLS_READ:
            return own | set(CELLS_READ[key])
    return own | base_columns(spec.columns(package)).get(finding.resource, set())


def consequences_dropped(spec: RuleSpec, found: list[fd.Finding], failed: set[tuple[str, int, str]],
                         package) -> list[fd.Finding]:
    """The rule's findings without those that read a cell of their row that failed its type: that cell
    is missing to the rule, and the type error already says what to fix."""
    if not failed:
        return found
    rows = {(path, row) for path, row, _ in failed}
    return [f for f in found if (f.path, f.row) not in rows
            or not any((f.path, f.row, name) in failed for name in cells_read(spec, f, package))]


def run_rule(spec: RuleSpec, ledger: Ledger, columns: dict[str, tuple[str, ...]] | None = None) -> list[fd.Finding]:
    """One rule's findings, computed on a view of the ledger holding only what the rule declares, or
    only ``columns`` of it (one of its ``parts``)."""
    return list(spec.check(ledger.view(spec.columns(ledger.package) if columns is None else columns)))


def applies(spec: RuleSpec, package) -> bool:
    """False for a rule reading what version 2 added when a version-1 package lacks it (there is
    nothing for it to check: pipeline/core/descriptor.py)."""
    for resource, columns in spec.columns(package).items():
        if resource in VERSION_2_RESOURCES and resource not in package.resource_names:
            return False
        added = set(VERSION_2_FIELDS.get(resource, ())) & set(columns)
        if added and not added <= {f["name"] for f in package.fields(resource)}:
            return False
    return True


def rules_for(package) -> list[RuleSpec]:
    return [spec for spec in RULES if applies(spec, package)]


def run_rules(ledger: Ledger, failed: set[tuple[str, int, str]] = frozenset()) -> Iterator[fd.Finding]:
    for spec in rules_for(ledger.package):
        yield from consequences_dropped(spec, run_rule(spec, ledger), failed, ledger.package)
