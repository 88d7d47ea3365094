"""Personal-number detectors: what must be found in any cell, in any written form, and what must not."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.validate import person_names, privacy
from pipeline.validate.privacy import Match, id_check_digit, mask, normalise, scan
from pipeline.core.package import load
from pipeline.core.csv_read import read_text_table
from pipeline.validate import validate
from pipeline.validate.scan import personal_numbers
from tests.test_validate import edit_cell

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def found(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.masked) for m in scan(text)]


def with_check(first17: str) -> str:
    return first17 + id_check_digit(first17)


# --- resident ID numbers (GB 11643) -------------------------------------------------

def test_check_digits_computed_by_hand():
    # 11010519491231002X, the standard's own example:
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → X
    assert id_check_digit("11010519491231002") == "X"
    # 440524188001010014: 4·7+4·9+0·10+5·5+2·8+4·4+1·2+8·1+8·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 195;
    # 195 mod 11 = 8 → 4
    assert id_check_digit("44052418800101001") == "4"
    # 330782199003071235: 3·7+3·9+0·10+7·5+8·8+2·4+1·2+9·1+9·6+0·3+0·7+3·9+0·10+7·5+1·8+2·4+3·2 = 304;
    # 304 mod 11 = 7 → 5
    assert id_check_digit("33078219900307123") == "5"


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "330782199003071235",
                                    with_check("61012620000229401"), with_check("52010219851111003")])
def test_valid_id_numbers_are_found_and_masked(number):
    assert found(f"身份证号{number}") == [("id-number", number[:3] + "*" * 13 + number[-2:])]


def test_id_inside_chinese_text_without_spaces():
    text = "村民张某（身份证11010519491231002X）反映路灯损坏"
    assert found(text) == [("id-number", "110*************2X")]


def test_id_in_full_width_digits():
    text = "身份证号：" + "11010519491231002X".translate(FULL_WIDTH) + "，住青山村"
    assert found(text) == [("id-number", "110*************2X")]


def test_id_with_lower_case_x():
    assert found("证件11010519491231002x号") == [("id-number", "110*************2x")]


def test_wrong_check_digit_is_not_an_id():
    assert found("身份证号110105194912310021") == []
    assert found("身份证号440524188001010015") == []


def test_impossible_birth_date_is_not_an_id():
    for first17 in ["11010519490231002", "11010519491301002", "11010520010229002", "11010517991231002"]:
        assert found("编号" + with_check(first17)) == [], first17


def test_two_numbers_in_one_text_are_both_found():
    text = "甲11010519491231002X、乙440524188001010014"
    assert found(text) == [("id-number", "110*************2X"), ("id-number", "440*************14")]


# --- mobile numbers --------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "联系电话13812345678", "联系电话+8613812345678", "联系电话+86 138 1234 5678", "电话0086-138-1234-5678",
    "电话138-1234-5678。", "电话138 1234 5678，", "电话１３８１２３４５６７８", "电话138\t1234\t5678",
    "电话：\n138 1234\n5678",
])
def test_mobile_numbers_are_found(text):
    assert found(text) == [("mobile", "138******78")]


def test_all_mobile_prefixes_13_to_19():
    assert [m for p in range(3, 10) for m in found(f"号码1{p}912345678。")] == \
        [("mobile", f"1{p}9******78") for p in range(3, 10)]
    assert found("号码12912345678") == []  # 12x is not a mobile prefix


# --- what must not be found --------------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(first17: str) -> str:
    """A unified social credit code (GB 32100-2015) with its check character."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


@pytest.mark.parametrize("code", [uscc("91330782MA28F6JX0"), uscc("91330100MA2H3L5P7"),
                                  uscc("12330000470051726"), uscc("52330782MJ9876543")])
def test_unified_social_credit_codes_are_not_personal(code):
    assert len(code) == 18
    assert found(f"统一社会信用代码：{code}") == []
    assert found(f"统一社会信用代码{code}号") == []


@pytest.mark.parametrize("text", [
    "区划代码990121001000", "投入资金12443万元", "2026年3月5日办结", "办结日期2026-03-05",
    "流水号12345678901234567890", "座机0579-85123456", "座机0579 85123456", "帮助基层解决问题3227个",
    "订单号3301061990030712345",  # 19 digits: an ID number with one digit too many is not one
    "编号330782199003071234",     # an ID number whose check digit should be 5
    "金额138,123.45元", "文号示政发〔2025〕3号",
])
def test_ordinary_numbers_are_not_personal(text):
    assert found(text) == []


def test_a_mobile_inside_a_longer_number_is_not_one():
    assert found("单号013812345678") == [] and found("单号138123456789") == []


# --- masking ----------------------------------------------------------------------------

def test_mask_keeps_the_first_three_and_last_two():
    assert mask("11010519491231002X") == "110*************2X"
    assert mask("13812345678") == "138******78"
    assert mask("123456") == "123*56"


def test_mask_of_a_short_text_hides_everything():
    assert mask("12345") == "*****" and mask("abc") == "***" and mask("") == ""


# --- property tests ----------------------------------------------------------------------

CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=20)


@st.composite
def valid_ids(draw) -> str:
    region = draw(st.integers(100000, 899999))  # six digits, the first 1–8
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    sequence = draw(st.integers(0, 999))
    return with_check(f"{region}{born:%Y%m%d}{sequence:03d}")


@settings(max_examples=50, deadline=None)
@given(number=valid_ids(), before=CHINESE, after=CHINESE, full_width=st.booleans())
def test_any_valid_id_between_chinese_text_is_found_exactly_once(number, before, after, full_width):
    shown = number.translate(FULL_WIDTH) if full_width else number
    assert list(scan(before + shown + after)) == [Match("id-number", mask(number))]


@settings(max_examples=50, deadline=None)
@given(number=st.integers(0, 10**17 - 1), data=st.data(), before=CHINESE, after=CHINESE)
def test_seventeen_digits_and_a_wrong_check_digit_are_not_an_id(number, data, before, after):
    first17 = f"{number:017d}"
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != id_check_digit(first17)]))
    assert [m for m in scan(before + first17 + wrong + after) if m.kind == "id-number"] == []
    assert list(scan(before + first17 + wrong + after)) == []  # 18 digits are no mobile either



# --- defect: numbers in id, code and numeric fields were never scanned --------------------
# Each fixture is named after the defect it carries: (file, spreadsheet row, field, value) and the
# exact findings. Before, only "free text" fields were scanned: no enum, pattern, key or number field.

UNSCANNED_FIELD_DEFECTS = {
    "mobile-as-issue-id": (("issues/2026.csv", 5, "id", "13812345678"),
                           [("issues/2026.csv", 5, "id", "pii-mobile", "138******78")]),
    "mobile-as-survey-count": (("surveys.csv", 2, "very_satisfied", "13812345678"),
                               [("surveys.csv", 2, "very_satisfied", "pii-mobile", "138******78")]),
    "id-number-as-claim-value": (("claims.csv", 2, "value", "440524188001010014"),
                                 [("claims.csv", 2, "value", "pii-id-number", "440*************14")]),
    "mobile-as-persons-received": (("meetings.csv", 3, "persons_received", "13912345678"),
                                   [("meetings.csv", 3, "persons_received", "pii-mobile", "139******78")]),
    "mobile-as-status": (("issues/2026.csv", 3, "status", "13812345678"),
                         [("issues/2026.csv", 3, "status", "constraint-error", "138******78"),
                          ("issues/2026.csv", 3, "status", "pii-mobile", "138******78")]),
    "mobile-in-officer-code": (("inspections.csv", 2, "officer", "TYG-13812345678"),
                               [("inspections.csv", 2, "officer", "constraint-error", "TYG**********78"),
                                ("inspections.csv", 2, "officer", "pii-mobile", "138******78")]),
    "mobile-as-raised-on": (("issues/2026.csv", 6, "raised_on", "138-1234-5678"),
                            [("issues/2026.csv", 6, "raised_on", "pii-mobile", "138******78"),
                             ("issues/2026.csv", 6, "raised_on", "type-error", "138********78")]),
}


def flat(folder, engine="fast") -> list[tuple]:
    report, _ = validate(folder, engine=engine)
    return [(f.path, f.row, f.field, f.code, f.value) for f in report.findings]


@pytest.mark.parametrize("defect", sorted(UNSCANNED_FIELD_DEFECTS))
def test_numbers_in_id_code_and_numeric_fields_are_scanned(tiny, defect):
    cell, expected = UNSCANNED_FIELD_DEFECTS[defect]
    edit_cell(tiny, *cell)
    assert flat(tiny) == expected
    assert flat(tiny, "frictionless") == expected


# --- defect: other findings on the same cell printed the number in full -----------------

def test_other_findings_show_a_personal_number_masked(tiny):
    edit_cell(tiny, "issues/2026.csv", 3, "status", "电话13812345678")
    report, _ = validate(tiny)
    assert [(f.code, f.value) for f in report.findings] == [("constraint-error", "电话1********78"),
                                                            ("pii-mobile", "138******78")]
    assert not any("13812345678" in f.message_zh + f.message_en + f.fix_zh + f.fix_en for f in report.findings)


def test_a_header_that_is_a_personal_number_is_shown_masked(tiny):
    path = tiny / "surveys.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",13812345678"] + lines[1:]) + "\n", encoding="utf-8")
    (finding,) = [f for f in validate(tiny)[0].findings if f.code == "extra-label"]
    assert finding.value == "138******78" and "13812345678" not in finding.message_zh + finding.message_en


# --- defect: written forms the pre-filter or the detector missed -------------------------

WRITTEN_FORMS = {  # text → what is found
    "身份证110105 19491231 002X": "id-number", "身份证110105-19491231-002X": "id-number",
    "身份证 110105 19491231 002 X。": "id-number", "身份证号：１１０１０５１９４９１２３１００２Ｘ": "id-number",
    "电话8613812345678": "mobile", "电话+86 138 1234 5678": "mobile", "Tel:13812345678": "mobile",
    "Tel13812345678": "mobile", "TEL 138 1234 5678": "mobile", "(+86)138-1234-5678": "mobile",
    "0086 138 1234 5678": "mobile", "电话138  1234  5678": "mobile", "电话138–1234–5678": "mobile",
    "电话138—1234—5678": "mobile", "电话138‒1234―5678": "mobile", "电话138−1234﹣5678": "mobile",
    "电话138.1234.5678": "mobile", "电话138·1234·5678": "mobile", "电话(138)1234-5678": "mobile",
    "电话1\u200b3\u200c8\u200d1\u20602\ufeff345678": "mobile", "电话１３８１２３４５６７８": "mobile",
    "电话𝟏𝟑𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖": "mobile", "电话①③⑧①②③④⑤⑥⑦⑧": "mobile", "电话❶❸❽❶❷❸❹❺❻❼❽": "mobile",
    "电话١٣٨١٢٣٤٥٦٧٨": "mobile", "电话۱۳۸۱۲۳۴۵۶۷۸": "mobile", "电话१३८१२३४५६७८": "mobile",
    "电话13812345678 1234户": "mobile", "电话\u3000138\u30001234\u30005678": "mobile",
    # Chinese numerals, digit by digit: as a number is read out (幺 for 1, 两 for 2) or written in words
    "电话一三八一二三四五六七八": "mobile", "电话幺三八幺两三四五六七八": "mobile", "电话一三八 一二三四 五六七八": "mobile",
    "电话138一二三四5678": "mobile", "电话壹叁捌壹贰叁肆伍陆柒捌": "mobile", "身份证一一〇一〇五一九四九一二三一〇〇二X": "id-number",
    "身份证壹壹零壹零伍壹玖肆玖壹贰叁壹零零贰X": "id-number",
    # a number written in digits and a word that begins with a numeral: the number, not twelve digits
    "电话13812345678一直打不通": "mobile", "请拨三次13812345678": "mobile", "身份证11010519491231002X一份": "id-number",
}


@pytest.mark.parametrize("text", list(WRITTEN_FORMS))
def test_missed_written_forms_are_found(text):
    kind = WRITTEN_FORMS[text]
    assert found(text) == [(kind, "110*************2X" if kind == "id-number" else "138******78")]


@pytest.mark.parametrize("text", list(WRITTEN_FORMS))
def test_missed_written_forms_pass_the_column_prefilter(text):
    assert prefilter([text]) == [True]


def test_prefilter_drops_plain_numbers_that_cannot_be_personal():
    assert prefilter(["990121001000", "13812345678", "8613812345678", "008613812345678", "11010519491231002X",
                      "3301061990030712345", "330782202600000001", "330782202600001", "12812345678",
                      "区划990121001000", "", "Q-2026-00005"]) == \
        [False, True, True, True, True, False, False, False, False, True, False, False]


def test_missed_written_forms_are_found_by_validation(tiny):
    edit_cell(tiny, "issues/2026.csv", 2, "summary", "已联系𝟏𝟑𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖处理")
    edit_cell(tiny, "issues/2026.csv", 3, "summary", "村民身份证110105-19491231-002X")
    edit_cell(tiny, "issues/2026.csv", 4, "summary", "电话①③⑧①②③④⑤⑥⑦⑧")
    edit_cell(tiny, "inspections.csv", 2, "note", "电话١٣٨١٢٣٤٥٦٧٨")
    edit_cell(tiny, "claims.csv", 2, "quote", "联系电话138\u200b1234\u200b5678")
    edit_cell(tiny, "issues/2026.csv", 5, "title", "请回电幺三八幺两三四五六七八")
    expected = [("claims.csv", 2, "quote", "pii-mobile", "138******78"),
                ("inspections.csv", 2, "note", "pii-mobile", "138******78"),
                ("issues/2026.csv", 2, "summary", "pii-mobile", "138******78"),
                ("issues/2026.csv", 3, "summary", "pii-id-number", "110*************2X"),
                ("issues/2026.csv", 4, "summary", "pii-mobile", "138******78"),
                ("issues/2026.csv", 5, "title", "pii-mobile", "138******78")]
    assert flat(tiny) == expected
    assert flat(tiny, "frictionless") == expected


def test_finding_shows_the_normalised_number_masked(tiny):
    edit_cell(tiny, "issues/2026.csv", 2, "summary", "电话①③⑧-1234-5678")
    (finding,) = validate(tiny)[0].findings
    assert (finding.value, finding.message_zh) == ("138******78", "字段 summary 中含有疑似手机号码（138******78）。")


def test_normalise_folds_digits_and_drops_invisible_characters():
    assert normalise("𝟏①❶١۱१１\u200b\ufeff²") == "11111112"
    assert normalise("１３８－１２３４") == "138-1234"


@pytest.mark.parametrize("text", [
    "单号Q13812345678", "校验码13812345678ab", "哈希e3b0c13812345678ff", "Hotel13812345678",
    "电话138 1234 56789", "区划代码 990121001000 2026-03-05", "时间 2026.03.13 2026.04.05",
    "编号 330782-19900307-1234", "统一社会信用代码 91330782 MA28F6JX 0X",
    "编号S-2025Q1-130 2025-01-01", "第135 2026-03-05 12号",
    "一一对应，三三两两，二〇二六年三月五日", "第一二三四五六七八九批", "号码一三八一二三四五六七", "三三两两一一二二三三四四五五",
    "一三八万一二三四五六七八", "5一三八一二三四五六七八", "二〇二六年一二三四五六七八九月",
])
def test_near_misses_in_written_forms_are_not_personal(text):
    assert found(text) == []


# --- property tests: any written form is found, ordinary numbers are not -----------------

SEPARATORS = [" ", "  ", "-", "‐", "‑", "‒", "–", "—", "―", "−", "﹣", "－", ".", "．", "·", "・", "\u3000", "\t",
              " - ", "\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200b \u200b"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
DIGIT_STYLES = {
    "ascii": lambda d: d, "full-width": lambda d: chr(0xFF10 + int(d)), "bold": lambda d: chr(0x1D7CE + int(d)),
    "double-struck": lambda d: chr(0x1D7D8 + int(d)), "circled": lambda d: "⓪①②③④⑤⑥⑦⑧⑨"[int(d)],
    "negative-circled": lambda d: "⓿❶❷❸❹❺❻❼❽❾"[int(d)], "dingbat": lambda d: "🄋➀➁➂➃➄➅➆➇➈"[int(d)],
    "arabic-indic": lambda d: chr(0x0660 + int(d)), "persian": lambda d: chr(0x06F0 + int(d)),
    "devanagari": lambda d: chr(0x0966 + int(d)), "chinese": lambda d: "〇一二三四五六七八九"[int(d)],
    "chinese-spoken": lambda d: "零幺两三四五六七八九"[int(d)], "chinese-financial": lambda d: "零壹贰叁肆伍陆柒捌玖"[int(d)],
}
LABELS = ["", "电话", "手机：", "Tel:", "Tel", "TEL ", "联系方式 ", "身份证号", "ID:", "（", "No."]
PREFIXES = ["", "86", "+86", "+86 ", "0086", "0086-", "(+86)", "（+86）", "+86-"]


@st.composite
def valid_mobiles(draw) -> str:
    return f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 10**9 - 1)):09d}"


MOBILE_GROUPS = [(11,), (3, 4, 4), (3, 8), (7, 4), (4, 4, 3), (1,) * 11]  # as people write them


@st.composite
def written(draw, number: str, groups: tuple[int, ...] | None = None) -> str:
    """``number`` as a person might type it: groups (``groups`` digits, or cut anywhere), a separator
    between groups, digit styles, invisible characters."""
    if groups is None:
        cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=5)))
    else:
        cuts = [sum(groups[:i]) for i in range(1, len(groups))]
    pieces = [number[a:b] for a, b in zip([0] + cuts, cuts + [len(number)])]
    styles = draw(st.lists(st.sampled_from(sorted(DIGIT_STYLES)), min_size=1, max_size=2))

    def show(char: str) -> str:
        if not char.isdigit():
            return draw(st.sampled_from([char, char.translate({0x58: 0xFF38, 0x78: 0xFF58})]))
        shown = DIGIT_STYLES[draw(st.sampled_from(styles))](char)
        return shown + (draw(st.sampled_from(INVISIBLE)) if draw(st.integers(0, 9)) == 0 else "")

    parts = ["".join(show(c) for c in piece) for piece in pieces]
    # An invisible separator joins two groups; one digit at a time is written with visible ones.
    between = [s for s in SEPARATORS if s.strip("\u200b\u200c\u200d\u2060\ufeff")] \
        if groups is not None and set(groups) == {1} else SEPARATORS
    return "".join(part + (draw(st.sampled_from(between)) if i < len(parts) - 1 else "")
                   for i, part in enumerate(parts))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), before=CHINESE, after=CHINESE)
def test_any_written_form_of_a_mobile_is_found(data, before, after):
    number = data.draw(valid_mobiles())
    prefix = data.draw(st.sampled_from(PREFIXES))
    groups = data.draw(st.sampled_from(MOBILE_GROUPS))
    text = before + data.draw(st.sampled_from(LABELS)) + prefix + data.draw(written(number, groups)) + after
    assert list(scan(text)) == [Match("mobile", mask(number))], text
    assert prefilter([text]) == [True]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=valid_ids(), before=CHINESE, after=CHINESE, lower_x=st.booleans())
def test_any_written_form_of_an_id_number_is_found(data, number, before, after, lower_x):
    number = number.lower() if lower_x else number
    text = before + data.draw(st.sampled_from(LABELS)) + data.draw(written(number)) + after
    assert list(scan(text)) == [Match("id-number", mask(number))], text
    assert prefilter([text]) == [True]


@st.composite
def ordinary_numbers(draw) -> str:
    day = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
    return draw(st.sampled_from([
        f"{day:%Y-%m-%d}", f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y.%m.%d}", f"{day:%Y%m%d}",
        f"99{draw(st.integers(0, 10**10 - 1)):010d}",  # a region code of the demo
        f"{draw(st.integers(0, 10**9)):,}", f"{draw(st.integers(0, 10**7))}.{draw(st.integers(0, 99)):02d}万元",
        f"Q-{day.year}-{draw(st.integers(1, 99999)):05d}", f"M-{day.year}-{draw(st.integers(1, 9999)):04d}",
        f"S-{day.year}Q{draw(st.integers(1, 4))}-{draw(st.integers(1, 999)):03d}",
        uscc("9133" + "".join(draw(st.lists(st.sampled_from(USCC_CHARS), min_size=13, max_size=13)))),
        f"0{draw(st.integers(10, 999))}-{draw(st.integers(2000000, 89999999))}",  # a landline
        f"示政发〔{day.year}〕{draw(st.integers(1, 99))}号", str(draw(st.integers(0, 10**6))),
    ]))


# What stands between two ordinary numbers in a text. Never white space alone: a space or a line break
# between two numbers is how a number is written in groups ("138 0013 8000"), so "…-130" and
# "20000101" with a space between them read as a mobile written 3 + 8
# (test_two_numbers_apart_by_a_space_read_as_one). White space around a word or a mark stays.
JOINS = ["，", "、", "；", "至", "和", "：", " 至 ", "， ", "\n说明：", " 和\n"]


@settings(max_examples=300, deadline=None)
@given(numbers=st.lists(ordinary_numbers(), min_size=1, max_size=6),
       joins=st.lists(st.sampled_from(JOINS), min_size=6, max_size=6),
       before=CHINESE)
def test_ordinary_numbers_in_any_text_are_not_personal(numbers, joins, before):
    text = before + "".join(n + j for n, j in zip(numbers, joins))
    assert list(scan(text)) == [], text


@pytest.mark.parametrize("text, found", [
    ("S-2000Q1-130 20000101", "130******01"),  # a survey's id, a space, a date: 3 + 8 digits
    ("M-2025-1380 0138000", "138******00"),  # a meeting's id, a space, a number: 4 + 7 digits
    ("说明：130\n20000101", "130******01"),  # a line break is white space too
])
def test_two_numbers_apart_by_a_space_read_as_one(text, found):
    """Found by the property test above when it still joined numbers by a space: two numbers with only
    white space between them are, to the scanner, one number written in groups, as a mobile often is
    (138 0013 8000). It cannot tell them apart and errs towards privacy: the clerk is asked to look."""
    assert list(scan(text)) == [Match("mobile", found)]


def test_generated_demo_has_no_personal_number_in_any_cell(demo_dir):
    """No false positive on demo data: region codes, dates, ids, amounts, decision numbers."""
    package = load(demo_dir)
    found_anywhere = []
    for name in package.resource_names:
        names = [f["name"] for f in package.fields(name)]
        for file in package.files(name):
            found_anywhere += personal_numbers(read_text_table(file.abs, names).frame, names)
    assert found_anywhere == []


# --- the column pre-filter lets through everything scan() finds ---------------------------

def prefilter(texts: list[str]) -> list[bool]:
    passed = set(privacy.candidates(pa.array(texts, type=pa.string())).tolist())
    return [i in passed for i in range(len(texts))]


NOISE = st.lists(st.sampled_from(
    list("0123456789XxTel+()-. 电话号码") + SEPARATORS + INVISIBLE
    + ["①", "⑩", "⑬", "½", "㏠", "㍥", "１", "𝟖", "٣", "❾", "¨", "´", "ﾞ", "︵", "﹒", "。", "【", "〕", "⁻", "₍", "…",
       "一", "三", "八", "幺", "两", "〇", "零", "捌", "十", "万"]),
    max_size=30).map("".join)


@settings(max_examples=500, deadline=None)
@given(before=NOISE, after=NOISE, middle=st.one_of(
    NOISE, st.integers(0, 10**20).map(str), valid_ids().flatmap(written),
    st.tuples(valid_mobiles(), st.sampled_from(MOBILE_GROUPS)).flatmap(lambda drawn: written(*drawn))))
def test_prefilter_passes_every_text_scan_finds_something_in(before, middle, after):
    text = before + middle + after
    if list(scan(text)):
        assert prefilter([text]) == [True], text


def _separator_only(text: str) -> bool:
    return text == "" or re.fullmatch(privacy._SEPARATOR + "+", text) is not None


def test_prefilter_classes_cover_every_character():
    """Every non-ASCII character the normalisation turns into something with a digit is an "other
    digit" of the pre-filter; no character it turns into separators only is an ASCII letter or digit
    or a CJK ideograph (which the pre-filter does not let stand between ASCII digits)."""
    chars = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    other_digit = pc.match_substring_regex(pa.array(chars), f"^(?:{privacy._OTHER_DIGIT})$").to_pylist()
    missing = []
    for char, is_other_digit in zip(chars, other_digit):
        if is_other_digit:
            continue
        if unicodedata.normalize("NFKC", char) == char and unicodedata.category(char) not in ("Cf", "Mn", "Me", "No"):
            folded = char if unicodedata.digit(char, None) is None else "0"
        else:
            folded = normalise(char)
        if any(c in "0123456789" for c in folded):
            missing.append(f"U+{ord(char):04X}")
    assert missing == []
    breaking = [c for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                + "".join(map(chr, range(0x4E00, 0xA000))) if _separator_only(normalise(c))]
    assert breaking == []
    # The Chinese numerals, digits of scan()'s second reading, are each taken by the run class.
    numerals = sorted(privacy.CHINESE_DIGITS)
    assert pc.match_substring_regex(pa.array(numerals), f"^{privacy._NUMERAL}$").to_pylist() == [True] * len(numerals)
    assert sorted(set(privacy.CHINESE_DIGITS.values())) == list("0123456789")


def test_every_dash_and_space_is_a_separator():
    dashes = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) == "Pd"]
    spaces = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and chr(c).isspace()]
    assert [f"U+{ord(c):04X}" for c in dashes + spaces if not _separator_only(normalise(c))] == []
    assert found("电话138" + dashes[-1] + "1234" + spaces[-1] + "5678") == [("mobile", "138******78")]


# --- a person's name tied to a complaint (pipeline/validate/person_names.py) ------------------

NAMES_WRITTEN = {
    "村民张三反映村道路灯损坏": "张*", "市民李小红来电称路灯不亮": "李**", "居民王五投诉楼上噪声": "王*",
    "来电人张三丰反映": "张**", "投诉人欧阳娜娜": "欧阳**", "户主：陈大明": "陈**", "姓名：王五": "王*",
    "姓名 张三 男": "张*", "联系人:刘强，电话请见档案": "刘*", "申请人是赵小燕": "赵**", "举报人系孙亮，系其邻居": "孙*",
    "村民黄金山等人反映": "黄**", "村民张三等3人反映": "张*", "居民李四等五户联名反映": "李*",
    "关于王小明反映村道路灯损坏的答复": "王**", "关于赵强投诉噪声的处理情况": "赵*", "村民张家豪一家反映": "张**", "村民王五说明情况": "王*", "业主周杰告诉记者": "周*",
    # written apart, or with characters normalisation takes out
    "村民 张 三反映": "张*", "村民张三  反映": "张*", "姓名：张 三": "张*", "村\u200b民张三反映": "张*",
    "村民张\u200b三反映": "张*", "姓名：张三": "张*", "姓名\u3000张三": "张*",
}


@pytest.mark.parametrize("text", list(NAMES_WRITTEN))
def test_names_a_label_or_a_role_and_verb_tie_to_a_person_are_found(text):
    assert found(text) == [("name", NAMES_WRITTEN[text])]
    assert prefilter([text]) == [True]


@pytest.mark.parametrize("text", [
    # named as the standard allows
    "村民张某反映", "村民张某某反映", "村民张 某反映", "村民张XX反映", "村民张××反映", "联系人：李先生", "业主刘先生投诉",
    "投诉人王女士", "村民王师傅来电", "村民老张反映", "当事人江某", "户主：陈某某",
    # everyday phrases that begin with a surname's character
    "群众高度称赞", "群众高兴地说", "村民曾多次反映", "村民向记者反映", "居民向物业反映", "村民李家村反映",
    "群众方便办事", "居民安全感。", "村民田间道路损坏", "根据当事人陈述，双方同意调解", "联系人方式：见档案",
    "申请人为本村村民", "当事人双方同意调解", "群众代表共同调处矛盾", "村民们自有答案", "群众零次跑",
    "当事人马上赶到", "村民于近日反映", "群众关心的问题", "村民林地被占", "居民金额较大",
    "关于石桥镇反映问题的答复", "关于王家村反映道路损坏", "关于林业局反映的情况", "关于吴江区居民反映噪声",
    "关于陈述申辩的告知", "关于高度重视群众反映", "村民石料等堆放", "关于金融机构反映", "关于马路反映",
    # the demo's and the sources' own sentences
    "村民建房用地审批进度咨询", "养殖场气味影响周边居民", "当地村民(左)在邱县古城", "推广“村民说事”强自治",
    "该平台共接报群众反映热点难点问题", "至今共接待群众414批/974人次",
])
def test_words_that_only_look_like_a_name_are_not_one(text):
    assert found(text) == []


def test_a_name_and_a_number_in_one_text_are_both_found_in_order():
    assert found("投诉人张三，电话13812345678，称村民李四反映属实") == \
        [("name", "张*"), ("mobile", "138******78"), ("name", "李*")]


GIVEN_CHARACTERS = "小红明华建国伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超霞平刚桂兰玉凤志文云飞鹏"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), before=CHINESE, after=CHINESE)
def test_any_name_after_a_label_or_between_a_role_and_a_verb_is_found(data, before, after):
    surname = data.draw(st.sampled_from(list(person_names.SURNAMES) + list(person_names.COMPOUND_SURNAMES)))
    given_name = data.draw(st.text(alphabet=GIVEN_CHARACTERS, min_size=1, max_size=2))
    space = data.draw(st.sampled_from(["", " ", "\u3000", "\u200b"]))
    if data.draw(st.booleans()):
        context = data.draw(st.sampled_from(person_names.LABELS)) + data.draw(st.sampled_from(["", "：", ":", " ", "是"]))
        text = before + "，" + context + surname + space + given_name + data.draw(st.sampled_from(["", "，", "1", " 电话"]))
    else:
        context = data.draw(st.sampled_from(person_names.ROLES))
        verb = data.draw(st.sampled_from([v for v in person_names.VERBS if v not in person_names._NOT_A_VERB]))
        text = before + "，" + context + surname + space + given_name + verb + "，" + after
    names = [m for m in scan(text) if m.kind == "name"]
    assert Match("name", surname + "*" * len(given_name)) in names, text
    assert prefilter([text]) == [True], text


def test_the_name_prefilter_covers_every_character_normalisation_turns_into_an_ideograph_or_drops():
    chars = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    changed = pc.match_substring_regex(pa.array(chars), f"^(?:{person_names.CHANGED_BY_NORMALISING})$").to_pylist()
    missing = [f"U+{ord(char):04X}" for char, covered in zip(chars, changed) if not covered
               and normalise(char) != char
               and (normalise(char) == "" or any("\u4e00" <= c <= "\u9fff" for c in normalise(char)))]
    assert missing == []
    # and the two ends of the run: each label and role, and each surname's first character, as written
    contexts = list(person_names.LABELS) + list(person_names.ROLES)
    assert prefilter([c + "：" + s for c in contexts for s in person_names.SURNAMES]) == \
        [True] * len(contexts) * len(person_names.SURNAMES)


def test_a_name_in_a_summary_is_found_by_validation_in_both_engines(tiny):
    edit_cell(tiny, "issues/2026.csv", 3, "summary", "村民张三反映河道垃圾已清理")
    edit_cell(tiny, "inspections.csv", 2, "note", "联系人：李小红")
    expected = [("inspections.csv", 2, "note", "pii-name", "李**"),
                ("issues/2026.csv", 3, "summary", "pii-name", "张*")]
    assert flat(tiny) == expected
    assert flat(tiny, "frictionless") == expected
    finding = next(f for f in validate(tiny)[0].findings if f.path == "issues/2026.csv")
    assert (finding.message_zh, finding.fix_zh) == (
        "字段 summary 中含有疑似个人姓名（张*）。",
        "公开数据不得包含个人信息：把姓名改成“张某”“张先生”“李女士”这样的称呼，或删去姓名。")


# --- the descriptor's own metadata is published too ---------------------------------------------

def test_personal_data_in_the_descriptors_metadata_is_found(tiny):
    """The defect: a phone number in the package's description, a source's title or a contributor's extra
    key passed validation, and the descriptor is published as it stands (package ZIP, 说明 sheet, DCAT)."""
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["description"] = "数据联系人：张三，电话13812345678"
    descriptor["sources"] = [{"title": "来电记录 139-1234-5678", "path": "https://example.com/"}]
    descriptor["contributors"] = [{"title": "示例县改革办", "phone": "137 1234 5678", "tel": 13612345678}]
    (tiny / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    expected = [("datapackage.json", None, "contributors[0].phone", "pii-mobile", "137******78"),
                ("datapackage.json", None, "contributors[0].tel", "pii-mobile", "136******78"),
                ("datapackage.json", None, "description", "pii-mobile", "138******78"),
                ("datapackage.json", None, "description", "pii-name", "张*"),
                ("datapackage.json", None, "sources[0].title", "pii-mobile", "139******78")]
    assert flat(tiny) == expected
    assert flat(tiny, "frictionless") == expected
