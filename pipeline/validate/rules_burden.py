"""Cross-field rules of the burden resources (基层减负, data-standard.md "Burden reduction").

Registered in the same list as pipeline/validate/rules.py (``RULES``), so both engines run them on
the same ledger and report the same findings. What Table Schema says is checked there already: the
primary key (region_code, month), the foreign keys, the enum ``kind``, counts ≥ 0; and the generic
snapshot rule (rules.py, ``dates_not_after_as_of``) holds ``month`` to the month of ``as_of`` and
``cut_on`` to ``as_of``. Left here: a burden report belongs to a township or a street.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.core import findings as fd
from pipeline.core.ledger import Ledger
from pipeline.validate.rules import LEVEL_ZH, emit, rule

REPORTS = "burden_reports"
UNIT_LEVELS = ("township", "street")


@rule(reads={REPORTS: ("region_code",), "regions": ("code", "level")})
def burden_report_level(ledger: Ledger) -> Iterator[fd.Finding]:
    """Each monthly report names a township or a street (an unknown code is a foreign-key finding)."""
    reports = ledger.burden_reports
    levels = ledger.regions.drop_duplicates("code").set_index("code")["level"]
    level = reports["region_code"].map(levels)
    title = ledger.package.field(REPORTS, "region_code").get("title") or "region_code"
    yield from emit(reports.assign(_level=level), level.notna() & ~level.isin(UNIT_LEVELS), "burden-level",
                    REPORTS, "region_code", field_zh=lambda _r: title, level="_level",
                    level_zh=lambda r: LEVEL_ZH.get(r["_level"], r["_level"]))
