"""Atom feeds (RFC 4287): resolved issues (overall and per township/street), devolved-item changes, claims.

Entry ids are tag URIs (RFC 4151) built from the package name, a fixed year
and the record's own id, so an entry keeps its id across releases and feed
readers never show it twice. Every date comes from the data (resolved_on,
effective_on, revoked_on, source_date at 00:00 China time), never from the
build clock. Feeds hold the newest ``LIMIT`` entries. Documents are built
with xml.etree, which escapes all text; characters XML cannot carry are
dropped first.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.timing import newest_resolved

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LIMIT = 100
TAG_YEAR = "2026"  # the tagging date of every id: fixed forever, or ids would change
CHINA = dt.timezone(dt.timedelta(hours=8))
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
AUTHOR = "阳光台账"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: dt.date
    content: str
    link: str | None = None  # rel="alternate", relative to the feed
    related: str | None = None  # rel="related": an outside source
    categories: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (term, label)


def authority(ledger: Ledger) -> str:
    """The tagging authority: the package name as a DNS-style label."""
    name = re.sub(r"[^a-z0-9-]+", "-", str(ledger.package.descriptor.get("name", "")).lower()).strip("-")
    return name or "sunshine-ledger"


def tag(ledger: Ledger, specific: str) -> str:
    return f"tag:{authority(ledger)},{TAG_YEAR}:{quote(specific, safe='/:@-._~')}"


def timestamp(day: dt.date) -> str:
    """RFC 3339 at 00:00 China time: a date in the data is a day in China."""
    return dt.datetime.combine(day, dt.time(), CHINA).isoformat()


def clean(text: object) -> str:
    return NOT_XML.sub("", "" if text is None else str(text))


def _date(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def newest(entries: list[Entry], limit: int = LIMIT) -> list[Entry]:
    return sorted(entries, key=lambda e: (-e.updated.toordinal(), e.id))[:limit]


def atom(ledger: Ledger, key: str, title: str, subtitle: str, self_href: str, alternate: str,
         entries: list[Entry]) -> bytes:
    """One feed document; ``entries`` newest first."""
    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, name, {k: clean(v) for k, v in attrs.items()})
        if text is not None:
            element.text = clean(text)
        return element

    # Plain tag names under a default xmlns: ElementTree cannot give unprefixed attributes a default namespace.
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "zh-CN"})
    sub(root, "id", tag(ledger, f"feed/{key}"))
    sub(root, "title", title)
    sub(root, "subtitle", subtitle)
    updated = max((e.updated for e in entries), default=ledger.package.as_of)
    sub(root, "updated", timestamp(updated))
    sub(sub(root, "author"), "name", AUTHOR)
    sub(root, "link", rel="self", type="application/atom+xml", href=self_href)
    sub(root, "link", rel="alternate", type="text/html", href=alternate)
    licence = (ledger.package.descriptor.get("licenses") or [{}])[0]
    if licence:
        sub(root, "rights", f"{licence.get('title') or licence.get('name', '')} {licence.get('path', '')}".strip())
    for item in entries:
        entry = sub(root, "entry")
        sub(entry, "id", item.id)
        sub(entry, "title", item.title)
        sub(entry, "updated", timestamp(item.updated))
        sub(entry, "published", timestamp(item.updated))
        if item.link:
            sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        if item.related:
            sub(entry, "link", rel="related", href=item.related)
        for term, label in item.categories:
            sub(entry, "category", term=term, label=label)
        sub(entry, "content", item.content, type="text")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- resolved issues -----------------------------------------------------------------

def _names(ledger: Ledger, resource: str) -> dict[str, str]:
    frame = ledger.frames[resource]
    return dict(zip(frame["code"], frame["name"]))


RESOLVED_COLUMNS = ["id", "title", "summary", "region_code", "category", "lead_department", "raised_on",
                    "resolved_on"]


def resolved_entries(ledger: Ledger, issues: pd.DataFrame) -> list[Entry]:
    return entries_of_resolved(ledger, issues, newest_resolved(ledger, issues))


def entries_of_resolved(ledger: Ledger, issues: pd.DataFrame, ordered: pd.DataFrame) -> list[Entry]:
    """Entries of the first LIMIT rows of ``newest_resolved`` (or of a selection of its rows)."""
    rows = issues[RESOLVED_COLUMNS].iloc[ordered["_position"].to_numpy()[:LIMIT]]
    regions, departments = _names(ledger, "regions"), _names(ledger, "departments")
    categories = ledger.labels("issues", "category")
    entries = []
    for row in rows.itertuples(index=False):
        resolved, raised = _date(row.resolved_on), _date(row.raised_on)
        days = (resolved - raised).days if raised else None
        parts = [regions.get(row.region_code, row.region_code), categories.get(row.category, row.category),
                 f"牵头部门：{departments.get(row.lead_department, row.lead_department)}",
                 f"{raised.isoformat() if raised else '—'} 提出，{resolved.isoformat()} 办结"
                 + (f"（用时 {days} 天）" if days is not None else "")]
        summary = row.summary if isinstance(row.summary, str) else ""
        entries.append(Entry(
            id=tag(ledger, f"issue/{row.id}/resolved"), title=row.title, updated=resolved,
            content="；".join(str(p) for p in parts if p) + "。" + (f"办理情况：{summary}" if summary else ""),
            link=f"../issue/?id={quote(row.id, safe='')}",
            categories=((row.category, categories.get(row.category, row.category)),) if row.category else ()))
    return newest(entries)


def township_codes(ledger: Ledger) -> list[tuple[str, str]]:
    """(code, name) of every township and street, the places a per-place feed is for."""
    regions = ledger.regions
    chosen = regions[regions["level"].isin(["township", "street"])].sort_values("code")
    return list(zip(chosen["code"], chosen["name"]))


# --- devolved items ----------------------------------------------------------------------

def item_entries(ledger: Ledger) -> list[Entry]:
    departments = _names(ledger, "departments")
    types = ledger.labels("devolved_items", "power_type")
    entries = []
    for row in ledger.devolved_items.sort_values("id").itertuples(index=False):
        details = [departments.get(row.from_department, row.from_department), types.get(row.power_type, ""),
                   row.list_name, f"依据：{row.legal_basis}" if isinstance(row.legal_basis, str) else "",
                   f"文号：{row.decision_ref}" if isinstance(row.decision_ref, str) else ""]
        text = "；".join(str(d) for d in details if d)
        link = f"../items/department/{quote(str(row.from_department), safe='')}/"
        for event, column, verb in (("effective", "effective_on", "下放生效"), ("revoked", "revoked_on", "收回")):
            day = _date(getattr(row, column))
            if day is None or day > ledger.package.as_of:
                continue
            entries.append(Entry(id=tag(ledger, f"item/{row.id}/{event}"), title=f"{verb}：{row.name}", updated=day,
                                 content=f"{verb}于 {day.isoformat()}。{text}。", link=link,
                                 categories=((event, verb),)))
    return newest(entries)


# --- claims ---------------------------------------------------------------------------------

def _outside_url(value: object) -> str | None:
    return value if isinstance(value, str) and re.match(r"https?://", value) else None


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def claim_entries(ledger: Ledger) -> list[Entry]:
    entries = []
    for row in ledger.claims.sort_values("id").itertuples(index=False):
        day = _date(row.source_date)
        if day is None:
            continue
        figure = _number(row.value)
        unit = row.unit if isinstance(row.unit, str) else ""
        text = f"《{row.source_title}》（{row.source_publisher}，{day.isoformat()}）：“{row.quote}”"
        if figure:
            text += f" 报道的数字：{figure}{unit}。"
        entries.append(Entry(id=tag(ledger, f"claim/{row.id}"), title=f"{row.source_publisher}：{row.subject}",
                             updated=day, content=text, related=_outside_url(row.source_url),
                             categories=((row.metric, row.metric),) if isinstance(row.metric, str) else ()))
    return newest(entries)


# --- all feeds -----------------------------------------------------------------------------

def feed_files(ledger: Ledger) -> dict[str, bytes]:
    title = ledger.package.descriptor.get("title") or AUTHOR
    resolved = newest_resolved(ledger, ledger.issues)  # sorted once; each place takes its rows from it
    files = {
        "feeds/resolved.xml": atom(ledger, "resolved", f"{title}：最近办结的问题",
                                   f"按办结日期最新的 {LIMIT} 个问题", "resolved.xml", "../issues/",
                                   entries_of_resolved(ledger, ledger.issues, resolved)),
        "feeds/items.xml": atom(ledger, "items", f"{title}：赋权事项的下放与收回",
                                f"按日期最新的 {LIMIT} 次下放生效或收回", "items.xml", "../items/",
                                item_entries(ledger)),
        "feeds/claims.xml": atom(ledger, "claims", f"{title}：公开报道的数据",
                                 f"按报道日期最新的 {LIMIT} 条", "claims.xml", "../claims/",
                                 claim_entries(ledger)),
    }
    for code, name in township_codes(ledger):
        part = resolved[resolved["region_code"].isin(ledger.region_codes(code))]
        files[f"feeds/resolved-{code}.xml"] = atom(
            ledger, f"resolved/{code}", f"{title}：{name}最近办结的问题", f"{name}（含所辖村、社区）按办结日期最新的 {LIMIT} 个问题",
            f"resolved-{code}.xml", "../issues/", entries_of_resolved(ledger, ledger.issues, part))
    return files
