"""The finding catalogue as the site lists it: every code in a group, with an example and its fix."""

from __future__ import annotations

import re

import pytest

from pipeline.core import findings as fd
from pipeline.core.codes import CODES, GROUPS, CodeInfo
from pipeline.render.reference import codes_block

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_group_and_a_realistic_chinese_example(code):
    info = CODES[code]
    assert info.group in GROUPS
    assert HAN.search(info.example_zh) and len(info.example_zh) <= 60


def test_codes_are_listed_group_by_group_in_the_site_order():
    groups = [info.group for info in CODES.values()]
    assert sorted(groups, key=GROUPS.index) == groups
    assert list(dict.fromkeys(groups)) == list(GROUPS)  # every group has a code


def test_the_new_fields_have_defaults_so_older_callers_still_work():
    info = CodeInfo("x", "标题", "消息", "message", "修改", "fix")
    assert (info.severity, info.group, info.example_zh) == ("error", "格式与取值", "")


def test_importer_codes():
    assert fd.make("unreadable-file", path="台账.xlsx", detail="文件已损坏").message_zh == "无法打开文件：文件已损坏"
    finding = fd.make("import-encoding-error", path="台账.csv", row=7, detail="第 90 个字节 FF，按 UTF-8 无法解码")
    assert finding.message_zh == "无法识别文件的编码：第 7 行有无法识别的字节（第 90 个字节 FF，按 UTF-8 无法解码）。"
    assert finding.fix_zh.startswith("把文件另存为“CSV UTF-8”或 .xlsx 后重试")
    assert CODES["unreadable-file"].group == CODES["import-encoding-error"].group == "文件与编码"


def test_codes_block_has_one_table_per_group_in_order():
    html = codes_block()
    assert re.findall(r'<h3 id="codes-[^"]+">([^<]+)</h3>', html) == list(GROUPS)
    assert html.count("<table") == html.count("</table>") == len(GROUPS)
    assert html.count("<tr id=\"code-") == len(CODES)
    assert re.findall(r'<tr id="code-([a-z-]+)">', html) == list(CODES)


def test_codes_block_row_shows_title_code_example_severity_and_fix():
    html = codes_block()
    row = html[html.index('<tr id="code-pii-mobile">'):]
    assert row[:row.index("</tr>") + 5] == (
        '<tr id="code-pii-mobile">\n'
        "<td><strong>含有手机号码</strong> <code>pii-mobile</code></td>\n"
        '<td data-label="例子" class="items-wide">标题写成“村民反映路灯不亮，联系电话 13812345678”</td>\n'
        '<td data-label="修改方法" class="items-wide">公开数据不得包含个人信息：删除号码。</td>\n'
        "</tr>")


def test_codes_block_escapes_examples_and_turns_backticks_into_code():
    html = codes_block()
    assert "资源路径写成了 &#34;../问题台账.csv&#34; 或一个网址" in html
    assert ("然后用 <code>ledger import 文件.xlsx --resource 资源名</code> 转换成标准 CSV；"
            "只有浏览器时，把 .xlsx 上传到 inbox/ 文件夹，校验会按同样的方式转换。") in html
    assert "`" not in html
    assert html.count("警告：可以发布") == 6  # calendar-year-missing, rectified-not-negative, supervised-not-escalated, engine-handoff,
    # unlisted-file, as-of-after-data
    assert ('<td><strong>缺少节假日安排</strong> <code>calendar-year-missing</code> '
            '<span class="items-flag items-flag-review">警告：可以发布，请尽快处理</span></td>') in html
