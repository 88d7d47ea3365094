"""A metric as a card: what the home page, 满意度与核查 and 基层减负 show of a figure (templates format it)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.figures.registry import Metric


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    definition: str
    kind: str
    metric: Metric
    interval: tuple[float, float] | None = None  # a 95 % Wilson interval, for survey rates
    href: str | None = None  # its methodology entry, from the site root, where a page links it
