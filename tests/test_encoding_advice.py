"""Encoding advice is one path (issue #18): the BOM error and the GBK error say the same thing.

Before, the BOM error said "use `ledger import`" and the GBK error said "re-save as CSV UTF-8",
which is exactly what adds the BOM: a clerk with only Excel went round in a circle. Both now say:
save as .xlsx from Excel, then `ledger import` (or upload the .xlsx to inbox/).
"""

from __future__ import annotations

from pipeline.core.codes import CODES
from pipeline.validate import validate
from tests.test_validate import bom, gb18030_export, utf16_export

ADVICE_ZH = ("在 Excel 中打开这个文件，另存为“Excel 工作簿（.xlsx）”（不要另存为 CSV：Excel 的“CSV UTF-8”开头带 BOM，"
             "普通“CSV”是 GBK 编码，都不能直接提交），然后用 `ledger import 文件.xlsx --resource 资源名` 转换成标准 CSV；"
             "只有浏览器时，把 .xlsx 上传到 inbox/ 文件夹，校验会按同样的方式转换。")
ADVICE_EN = ("Open the file in Excel and save it as an Excel workbook (.xlsx), not as CSV (Excel's 'CSV UTF-8' starts "
             "with a BOM and its plain 'CSV' is GBK; neither can be committed), then convert it with "
             "`ledger import FILE.xlsx --resource NAME`; with only a browser, upload the .xlsx into the inbox/ folder, "
             "where the check converts it the same way.")


def only_finding(folder):
    (finding,) = validate(folder)[0].findings
    return finding


def test_encoding_advice_goes_in_a_circle_no_more_bom(tiny):
    bom(tiny)
    finding = only_finding(tiny)
    assert (finding.code, finding.fix_zh, finding.fix_en) == ("bom-present", ADVICE_ZH, ADVICE_EN)


def test_encoding_advice_goes_in_a_circle_no_more_gbk(tiny):
    gb18030_export(tiny)
    finding = only_finding(tiny)
    assert (finding.code, finding.fix_zh, finding.fix_en) == ("encoding-error", ADVICE_ZH, ADVICE_EN)


def test_encoding_advice_goes_in_a_circle_no_more_utf16(tiny):
    utf16_export(tiny)
    finding = only_finding(tiny)
    assert (finding.code, finding.fix_zh, finding.fix_en) == ("encoding-error", ADVICE_ZH, ADVICE_EN)


def test_no_validation_code_advises_saving_as_csv_utf8():
    # The import codes may mention CSV UTF-8: `ledger import` reads a BOM. Validation refuses one.
    advising = [c.code for c in CODES.values() if not c.code.startswith(("import-", "unreadable-"))
                and ("另存为“CSV UTF-8”" in c.fix_zh or "另存为 CSV UTF-8" in c.fix_zh or "as 'CSV UTF-8'" in c.fix_en)]
    assert advising == []
