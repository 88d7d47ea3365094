"""排名: townships and streets ranked by composite_score, period by period (data standard, "Rankings").

For every period (``scoring.period``: calendar month ``YYYY-MM`` or quarter ``YYYY-Qn``) from the one
holding the first evaluation to the one holding as_of, each township and street gets the callback
metrics of the registry (response_rate, solved_rate, satisfied_rate, composite_score) over the
evaluations of that period (by ``evaluated_on``), placed by the township or street of the evaluated
issue (an issue raised in a village counts for its township). A unit with fewer than
``scoring.min_callbacks`` evaluations, or whose score cannot be computed, is not ranked (样本不足).
The others are ranked by composite_score, higher first; ties: more evaluations first, then region
code. ``rank_change`` is the previous period's rank minus this one (positive: moved up), when the
unit was ranked in both.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric, composite_of, response_rate, satisfied_rate, scoring, solved_rate
from pipeline.figures.callbacks import CallbackCounts  # noqa: I001 (after metrics: it registers v2)

UNIT_LEVELS = ("township", "street")
RATES = {"response_rate": response_rate, "solved_rate": solved_rate, "satisfied_rate": satisfied_rate}
PARTS = {"response_rate": "response", "solved_rate": "solved", "satisfied_rate": "satisfied"}  # → scoring.weights
NO_ROWS = np.zeros(0, dtype=np.int64)
SCORE_DIGITS = 9  # scores equal to this many decimals are a tie (no float noise decides a rank)


@dataclass(frozen=True)
class Row:
    region_code: str
    name: str
    level: str
    evaluations: int
    rates: dict[str, Metric]
    composite_score: float | None
    rank: int | None
    rank_change: int | None

    def to_dict(self) -> dict:
        return {"region_code": self.region_code, "name": self.name, "level": self.level,
                "evaluations": self.evaluations, **{k: m.to_dict() for k, m in self.rates.items()},
                "composite_score": self.composite_score, "rank": self.rank, "rank_change": self.rank_change}


@dataclass(frozen=True)
class Ranking:
    period: str
    first_day: str
    last_day: str
    rows: list[Row]  # ranked units by rank, then the unranked by region code

    @property
    def ranked(self) -> int:
        """How many units were ranked (the others: 样本不足)."""
        return sum(row.rank is not None for row in self.rows)

    @property
    def unranked(self) -> int:
        """How many units were not ranked (样本不足)."""
        return len(self.rows) - self.ranked

    def running(self, as_of: pd.Timestamp) -> bool:
        """Whether the period is still running at as_of (its last day is after it)."""
        return self.last_day > as_of.strftime("%Y-%m-%d")


def period_of(dates: pd.Series, period: str) -> pd.Series:
    """Each date's period label: YYYY-MM or YYYY-Qn."""
    if period == "quarter":
        return dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    return dates.dt.strftime("%Y-%m")


def periods(ledger: Ledger) -> list[pd.Period]:
    """Every period from the first evaluation's to as_of's, oldest first (none without evaluations)."""
    freq = "Q" if scoring(ledger)["period"] == "quarter" else "M"
    dates = ledger.evaluations["evaluated_on"]
    dates = dates[dates <= ledger.as_of].dropna()
    if dates.empty:
        return []
    return list(pd.period_range(dates.min().to_period(freq), ledger.as_of.to_period(freq), freq=freq))


def label(period: pd.Period) -> str:
    return f"{period.year}-Q{period.quarter}" if period.freqstr.startswith("Q") else period.strftime("%Y-%m")


def units(ledger: Ledger) -> pd.DataFrame:
    """The townships and streets, by code."""
    regions = ledger.regions
    return regions[regions["level"].isin(UNIT_LEVELS)].sort_values("code")[["code", "name", "level"]]


def unit_of_region(ledger: Ledger) -> dict[str, str]:
    """Region code → the township or street it lies in (itself for a township or street)."""
    out: dict[str, str] = {}
    for code in units(ledger)["code"]:
        for below in ledger.region_codes(code):
            out[below] = code
    return out


# (package, as_of, evaluations, regions) → the package, the frames' weak references and their rankings,
# while the evaluations live
_computed: dict[tuple, tuple[object, tuple[weakref.ref, ...], list[Ranking]]] = {}


def rankings(ledger: Ledger) -> list[Ranking]:
    """One ranking per period, oldest first.

    Two sections read them (排名 and each township page); they are computed once per package, snapshot
    date, evaluations and regions: what a ranking reads. So the issue pages' ledger, which keeps fewer
    issue columns (``pipeline.render.issues.page_ledger``), reads the 排名 section's rankings: computing
    them twice cost about 1.3 s at a million issues. Frames are unhashable, so the memo is keyed by
    their identity and dropped when the evaluations are.
    """
    read = (ledger.evaluations, ledger.regions)
    key = (id(ledger.package), ledger.as_of, *(id(frame) for frame in read))
    hit = _computed.get(key)
    if hit is not None and hit[0] is ledger.package and all(ref() is frame for ref, frame in zip(hit[1], read)):
        return hit[2]
    out = _rank_every_period(ledger)
    _computed[key] = (ledger.package, tuple(weakref.ref(frame) for frame in read), out)
    weakref.finalize(read[0], _computed.pop, key, None)
    return out


def _rank_every_period(ledger: Ledger) -> list[Ranking]:
    settings = scoring(ledger)
    least = settings["min_callbacks"]
    evaluations = ledger.evaluations
    evaluations = evaluations[(evaluations["evaluated_on"] <= ledger.as_of).fillna(False).astype(bool)]
    unit = evaluations["issue_region_code"].map(unit_of_region(ledger))
    keys = period_of(evaluations["evaluated_on"], settings["period"])
    groups = evaluations.groupby([keys, unit], sort=False).indices if len(evaluations) else {}
    counts = CallbackCounts(evaluations, settings["basic_satisfied_weight"])  # the RATES, a part at a time
    out: list[Ranking] = []
    previous: dict[str, int] = {}
    for period in periods(ledger):
        name = label(period)
        rows = []
        for code, unit_name, level in units(ledger).itertuples(index=False):
            part = groups.get((name, code), NO_ROWS)
            rates = counts.rates(part)
            score = composite_of({PARTS[k]: m for k, m in rates.items()}, settings["weights"], len(part)).value
            rows.append((code, unit_name, level, len(part), rates, score))
        ranked = sorted((r for r in rows if r[3] >= least and r[5] is not None),
                        key=lambda r: (-round(r[5], SCORE_DIGITS), -r[3], r[0]))
        ranks = {r[0]: i for i, r in enumerate(ranked, start=1)}
        table = [Row(code, unit_name, level, n, rates, score, ranks.get(code),
                     previous[code] - ranks[code] if code in ranks and code in previous else None)
                 for code, unit_name, level, n, rates, score in rows]
        table.sort(key=lambda r: (r.rank is None, r.rank or 0, r.region_code))
        out.append(Ranking(name, period.start_time.strftime("%Y-%m-%d"), period.end_time.strftime("%Y-%m-%d"), table))
        previous = ranks
    return out


@dataclass(frozen=True)
class HistoryPoint:
    period: str
    last_day: str
    row: Row


def history(tables: list[Ranking]) -> dict[str, list[HistoryPoint]]:
    """Each unit's row in every period, oldest first: its score and rank over time."""
    out: dict[str, list[HistoryPoint]] = {}
    for table in tables:
        for row in table.rows:
            out.setdefault(row.region_code, []).append(HistoryPoint(table.period, table.last_day, row))
    return out
