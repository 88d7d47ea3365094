"""Personal-number detectors: what must be found in free text, and what must not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.privacy import Match, free_text_fields, id_check_digit, mask, scan

STANDARD = Path(__file__).resolve().parent.parent / "pipeline" / "standard.json"
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


# --- which fields are free text ----------------------------------------------------------

def schema_fields(resource: str) -> list[dict]:
    descriptor = json.loads(STANDARD.read_text(encoding="utf-8"))
    return next(r for r in descriptor["resources"] if r["name"] == resource)["schema"]["fields"]


def test_free_text_fields_of_issues():
    fields = free_text_fields(schema_fields("issues"))
    assert "title" in fields and "summary" in fields
    # Enums, patterned ids, dates, lists and booleans are not prose.
    for name in ["id", "mechanism", "request_type", "category", "tier", "status", "resolved_at_level",
                 "raised_on", "assigned_on", "due_on", "co_departments", "escalated"]:
        assert name not in fields, name
    # The plain string code fields (foreign keys, no pattern in the schema) are scanned too.
    assert fields == ["meeting_id", "region_code", "title", "lead_department", "summary"]


def test_free_text_fields_of_other_resources():
    assert "note" in free_text_fields(schema_fields("inspections"))
    assert "officer" not in free_text_fields(schema_fields("inspections"))  # pseudonym pattern
    claims = free_text_fields(schema_fields("claims"))
    assert {"quote", "subject", "source_title"} <= set(claims) and "metric" not in claims
    assert "subject" not in free_text_fields(schema_fields("surveys"))  # an enum there
