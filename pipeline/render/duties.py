"""履职事项清单 on the region pages: a township's (street's) three lists, a county's townships compared.

Figures come from ``pipeline.figures.duties``; this module only names the places and
their pages, and the template ``issues_duties.html.j2`` lays them out.
"""

from __future__ import annotations

from collections.abc import Collection

from pipeline.core.ledger import Ledger
from pipeline.figures.duties import county_duties, town_duties
from pipeline.render.issues_records import Names

TOWN_LEVELS = ("township", "street")


def towns_of(ledger: Ledger, county: str) -> list[str]:
    """The county's townships and streets, in the order of regions.csv."""
    regions = ledger.regions
    below = regions[regions["parent_code"].eq(county) & regions["level"].isin(TOWN_LEVELS)]
    return list(dict.fromkeys(below["code"].dropna()))


def duty_context(ledger: Ledger, names: Names, code: str, linked: Collection[str]) -> dict | None:
    """What the region page's 履职事项清单 section shows: ``town`` for a township or street, ``county`` for a
    county (its townships side by side, each linked to its page), None for other levels."""
    level = names.levels.get(code)
    if level in TOWN_LEVELS:
        return {"town": town_duties(ledger, code), "county": None}
    if level != "county":
        return None
    compared = county_duties(ledger, towns_of(ledger, code))
    for row in compared["rows"]:
        row["name"] = names.regions.get(row["code"], row["code"])
        row["href"] = f"../{row['code']}/" if row["code"] in linked else None
    return {"town": None, "county": compared}
