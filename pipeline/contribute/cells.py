"""Reading one cell of a clerk's sheet as the canonical text of its field.

Dates as 2026/3/5, 2026年3月5日 or Excel serial numbers, Chinese labels for codes
(已办结 → resolved), full-width digits, numbers stored as text, codes Excel turned
into scientific notation or stripped of their leading zeros, and departments or
places typed by their names (pipeline/contribute/names.py): each becomes the text
validation expects, or a reason in Chinese why it cannot.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from pipeline.contribute import names as nm
from pipeline.contribute.sheets import EXCEL_EPOCH

DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]0?0:00(?::00)?)?"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]
MONTH_FORMS = [re.compile(r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?")]
SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+\d+")
CODE_LIKE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._;/+-]*")  # 990121001003, Q-2026-00001, zrzyj;sthjj
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation → ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def convert_date(text: str, *, excel_serial: bool, epoch: dt.date = EXCEL_EPOCH) -> str | None:
    folded = fold(text)
    for form in DATE_FORMS:
        match = form.fullmatch(folded)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                return None
    if excel_serial and re.fullmatch(r"\d{5}(\.0+)?", folded):
        return (epoch + dt.timedelta(days=int(float(folded)))).isoformat()
    return None


def convert_month(text: str, epoch: dt.date = EXCEL_EPOCH) -> str | None:
    folded = fold(text)
    for form in MONTH_FORMS:
        match = form.fullmatch(folded)
        if match and 1 <= int(match["m"]) <= 12:
            return f"{int(match['y']):04d}-{int(match['m']):02d}"
    full = convert_date(text, excel_serial=True, epoch=epoch)
    return full[:7] if full else None


def _label_table(field: dict) -> dict[str, str]:
    """Folded Chinese label → code. A label with a note in brackets, 复杂问题（3个工作日）,
    is also known by its words before the brackets, 复杂问题, when no other label shares them."""
    table = {fold(str(c["label"])): str(c["value"]) for c in field.get("categories", [])}
    short: dict[str, list[str]] = {}
    for label, value in list(table.items()):
        words = re.sub(r"\(.*\)$", "", label).strip()
        if words and words != label:
            short.setdefault(words, []).append(value)
    for words, values in short.items():
        if len(values) == 1 and words not in table:
            table[words] = values[0]
    return table


class _Converter:
    """Per-field conversion of one resource, with the lookups built once."""

    def __init__(self, fields: list[dict], epoch: dt.date = EXCEL_EPOCH, refs: dict[str, nm.Lookup] | None = None):
        self.fields = fields
        self.epoch = epoch  # day 0 of the sheet's serial dates
        self.refs = refs or {}  # field → the code list whose names it may be typed with
        self.renamed: dict[tuple[str, str, str], list[int]] = {}  # (field, name, code) → the sheet rows
        self.row = 0  # the sheet row being converted, for ``renamed``
        self.by_header: dict[str, str] = {}
        for f in fields:
            self.by_header[f["name"]] = f["name"]
            self.by_header[fold(f["name"]).lower()] = f["name"]
            if f.get("title"):
                self.by_header[fold(f["title"])] = f["name"]
        self.labels = {f["name"]: _label_table(f) for f in fields}
        self.codes = {f["name"]: {str(v) for v in f.get("constraints", {}).get("enum", [])} for f in fields}

    def header(self, label: object) -> str | None:
        text = fold(_cell_text(label))
        return self.by_header.get(text) or self.by_header.get(text.lower())

    def cell(self, field: dict, value: object) -> tuple[str | None, str | None]:
        """(canonical text, None) or (None, reason in Chinese)."""
        name, ftype = field["name"], field.get("type", "string")
        text = _cell_text(value).strip()
        if text == "":
            return "", None
        if isinstance(value, (dt.date, dt.datetime)) and ftype in ("date", "yearmonth"):
            return (text[:10] if ftype == "date" else text[:7]), None
        if self.codes[name]:
            folded = fold(text)
            if folded in self.codes[name]:
                return folded, None
            if folded in self.labels[name]:
                return self.labels[name][folded], None
            allowed = "、".join(f"{c['value']}（{c['label']}）" for c in field.get("categories", []))
            return None, f"“{text}”不是可选值；可选值：{allowed}"
        if fold(text) in self.labels[name]:  # categories without an enum, e.g. rating 4 = 满意
            return self.labels[name][fold(text)], None
        if ftype == "date":
            converted = convert_date(text, excel_serial=not isinstance(value, str) or text.isdigit(), epoch=self.epoch)
            return (converted, None) if converted else (None, f"“{text}”不是可识别的日期；请写成 2026-03-05")
        if ftype == "yearmonth":
            converted = convert_month(text, self.epoch)
            return (converted, None) if converted else (None, f"“{text}”不是可识别的年月；请写成 2026-03")
        if ftype in ("integer", "number"):
            folded = fold(text).replace(",", "")
            if SCIENTIFIC.fullmatch(folded):
                return None, f"“{text}”是科学计数法，Excel 已把长数字截断，无法还原；请把该列设为文本后重新输入"
            pattern = r"[+-]?\d+" if ftype == "integer" else r"[+-]?(\d+(\.\d*)?|\.\d+)"
            return (folded, None) if re.fullmatch(pattern, folded) else (None, f"“{text}”不是{'整数' if ftype == 'integer' else '数字'}")
        if ftype == "boolean":
            folded = fold(text).lower()
            truth = {"true": "true", "是": "true", "1": "true", "false": "false", "否": "false", "0": "false"}
            return (truth[folded], None) if folded in truth else (None, f"“{text}”应为 是/否 或 true/false")
        pattern = field.get("constraints", {}).get("pattern")
        if SCIENTIFIC.fullmatch(fold(text)):  # no text is just "9.90121E+11": a code Excel turned into a number
            return None, f"“{text}”是科学计数法，Excel 已把编号截断，无法还原；请把该列设为文本后重新输入"
        if (pattern and ftype == "string") or CODE_LIKE.fullmatch(fold(text)):
            # Codes, ids and lists of codes typed in full-width characters become ASCII;
            # prose keeps its full-width digits and punctuation as written.
            text = fold(text)
        if pattern and ftype == "string":
            if re.fullmatch(r"\d+", text) and re.fullmatch(pattern, text) is None and pattern.startswith("^\\d{"):
                width = int(re.match(r"\^\\d\{(\d+)\}", pattern).group(1))
                if len(text) < width:
                    return None, f"“{text}”只有 {len(text)} 位，应为 {width} 位：Excel 可能去掉了开头的 0；请把该列设为文本"
        if name in self.refs:
            return self.codes_for_names(name, ftype, text)
        return text, None

    def codes_for_names(self, name: str, ftype: str, text: str) -> tuple[str | None, str | None]:
        """A department or place typed by its name → its code, when one record has that name."""
        lookup = self.refs[name]
        parts = [p.strip() for p in nm.LIST_SEPARATORS.split(text)] if ftype == "list" else [text]
        found = [lookup.resolve(part) for part in parts]
        if not any(found):
            return text, None  # codes (or unknown words: validation names them)
        out = []
        for part, candidates in zip(parts, found):
            if candidates is None:
                out.append(fold(part))
            elif len(candidates) == 1:
                out.append(candidates[0].code)
                self.renamed.setdefault((name, part, candidates[0].code), []).append(self.row)
            else:
                return None, (f"“{part}”是{lookup.what}名称，不是代码，有 {len(candidates)} 个{lookup.what}同名："
                              f"{nm.candidates_text(candidates)}；请改填其中一个代码")
        return ";".join(out), None
