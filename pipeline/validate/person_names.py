"""A person's name tied to a complaint: the third kind of personal data the standard forbids in free text.

A Chinese name cannot be told from ordinary words by its characters alone (高度, 方便 and 石料 begin with
surnames), so a name is looked for only where a ledger writes one: after a *label* (姓名：张三,
投诉人李四, 联系人：王五 13812345678) or after a *role* and before a *verb* (村民张三反映, 市民李小红来电称).
Such a name is a common surname (or a two-character one) and one or two more characters, none of them
a word that cannot be part of a given name (的, 们, 次, 村 …). What the standard allows is left alone:
张某, 张某某, 张XX, 张先生, 李女士, 王师傅, 老张.

The search runs on the normalised text (``privacy.normalise``); ``CANDIDATE`` is the RE2 pre-filter
validation runs on whole columns first, and it passes every text ``find`` could find a name in
(tests/test_privacy.py checks it, character by character for what normalisation changes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Common surnames (the census's most frequent, less 于 向 曾 常 易, which begin everyday phrases: 于近日,
# 向记者, 曾多次, 常年, 易发), then two-character surnames.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭肖田董潘袁蔡蒋余杜叶程魏苏"
            "吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚"
            "邵万覃武钱戴严欧莫孔汤康乔赖文施洪辛柯庄葛牛温章鲁邢倪")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯",
                     "长孙", "宇文", "司徒", "端木", "独孤", "南宫", "西门", "轩辕")
# Words a name follows: labels (a colon, a space or 是/为/叫/系 may stand between) …
LABELS = ("姓名", "联系人", "来电人", "投诉人", "举报人", "反映人", "申请人", "当事人", "求助人", "诉求人",
          "来访人", "报警人", "户主")
# … and the people a ledger's text speaks of, whose name must then be followed by what they did.
ROLES = ("市民", "村民", "居民", "群众", "农户", "农民", "业主", "住户", "租户", "商户", "店主", "家长", "患者",
         "职工", "工人", "老人", "来电人", "来电市民", "来电群众",
         "关于")  # as a case is titled: 关于张三反映村道路灯损坏的答复
VERBS = ("反映", "反应", "来电", "致电", "来信", "来访", "投诉", "举报", "诉称", "报称", "称", "说", "讲", "告诉",
         "表示", "求助", "咨询", "诉求", "要求", "希望", "提出", "认为", "申请", "报警", "等人", "一家", "夫妇",
         "家属")
# … or by the people with them: 张三等3人反映, 张三等五户.
_WITH_OTHERS = re.compile(r"等[0-9一二三四五六七八九十两几多]+[人户名位]")
# After a label the name may also end the text or stand before a number, a mark or these words.
AFTER_LABEL = ("电话", "手机", "联系", "性别", "男", "女", "年龄", "身份", "住", "现住", "家住")
# 称赞, 称号, 说明, 讲解 …: the verb's character begins another word.
_NOT_A_VERB = {"称": "赞号为道呼职谓心颂", "说": "法服", "讲": "解座话究"}
# How the standard says a person may be named instead: 张某, 张XX, 张先生, 李女士, 王师傅.
ANONYMOUS = ("某", "X", "x", "×", "*", "○", "〇", "先生", "女士", "小姐", "师傅", "老师", "大爷", "大妈", "大娘",
             "大婶", "阿姨", "大姐", "大哥", "奶奶", "爷爷", "老伯", "伯伯", "叔叔", "婆婆", "老汉", "老人",
             "同志", "书记", "主任", "村长", "镇长", "组长", "经理", "老板", "医生", "律师")
# Characters no given name holds in such a sentence: particles, pronouns, counters, time words, the
# ends of place and unit names, the second characters of words a label is often followed by, and the
# verbs above.
NOT_IN_A_NAME = set("的地得了着过们是在和与及对把被向从到都也就不没很所这那其之而并或已将要会能可有无又再还该此"
                    "某等他她我你您它次多曾均纷屡常经几先后共仍皆才便只早近现今去年日时当每各个位名户人者"
                    "氏姓男女村镇乡街路区县市组社队厂店院局委会司部庄屯寨湾坪岭桥塘坝楼苑巷港府处科站员"
                    "上下前间内外面述式序额款"  # 马上, 陈述, 方式, 程序, 金额, 钱款 after a label
                    "反映来电投诉举报称表示求助咨询提出说讲认为希望致信访申请警")

_GAP = r"[\s:：,，]{0,3}"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
_CONTEXT = re.compile(f"({'|'.join(sorted(set(LABELS) | set(ROLES), key=len, reverse=True))}){_GAP}"
                      f"(?:是|为|叫|系)?{_GAP}(?={_SURNAME})")
_HAN = re.compile(r"[\u4e00-\u9fff]")

# The pre-filter (RE2, on the text as written): a label or role, then anything but an ideograph, then the
# first character of a surname; or a character normalisation turns into an ideograph or drops.
_FIRSTS = "".join(sorted(set(SURNAMES) | {name[0] for name in COMPOUND_SURNAMES}))
CONTEXT_RUN = (f"(?:{'|'.join(sorted(set(LABELS) | set(ROLES)))})[^\\p{{Han}}]{{0,6}}(?:是|为|叫|系)?"
               f"[^\\p{{Han}}]{{0,6}}[{_FIRSTS}]")
# Invisible characters (dropped), compatibility ideographs, radicals, enclosed and squared ideographs
# (each becomes an ideograph): checked against every character by tests/test_privacy.py.
CHANGED_BY_NORMALISING = (r"[\p{Cf}\p{Mn}\p{Me}\x{2E80}-\x{2FDF}\x{3038}-\x{303A}\x{3190}-\x{319F}"
                          r"\x{3200}-\x{33FF}\x{F900}-\x{FAFF}\x{FE00}-\x{FE0F}\x{FF9E}\x{FF9F}\x{1F200}-\x{1F2FF}"
                          r"\x{2F800}-\x{2FA1F}]")
CANDIDATE = f"{CONTEXT_RUN}|{CHANGED_BY_NORMALISING}"


def find(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, masked name) of every name in the normalised ``text`` that a label, or a role and a
    verb, tie to a person, in the order they are written. A space may stand between its characters
    (张 三, as names are aligned in tables) and before the verb; the mask keeps the surname: 张*."""
    for context in _CONTEXT.finditer(text):
        start = context.end()
        surname = next((s for s in COMPOUND_SURNAMES if text.startswith(s, start)), text[start])
        given = _given_name(text, start + len(surname))
        if not given:
            continue
        labelled = context.group(1) in LABELS
        for length in (2, 1):  # the longer name first: 张三丰反映 is 张三丰, not 张三
            if len(given) >= length and _ends_a_name(text, given[length - 1] + 1, labelled):
                yield start, given[length - 1] + 1, surname + "*" * length
                break


def _given_name(text: str, at: int) -> list[int]:
    """Where the (up to two) characters of a given name stand from ``at``, or [] if the person is named
    as the standard allows (张某, 张先生) or what follows cannot be a given name."""
    if text.startswith(ANONYMOUS, _after_spaces(text, at)):
        return []
    places = []
    for _ in range(2):
        at = _after_spaces(text, at)
        if at == len(text) or not _HAN.match(text[at]) or text[at] in NOT_IN_A_NAME:
            break
        places.append(at)
        at += 1
    return places


def _after_spaces(text: str, at: int) -> int:
    """``at`` moved past at most two spaces."""
    for _ in range(2):
        if at < len(text) and text[at].isspace():
            at += 1
    return at


def _ends_a_name(text: str, end: int, labelled: bool) -> bool:
    after = _after_spaces(text, end)
    if _WITH_OTHERS.match(text, after):
        return True
    for verb in VERBS:
        if text.startswith(verb, after):
            follower = text[after + len(verb):after + len(verb) + 1]
            if not (follower and follower in _NOT_A_VERB.get(verb, "")):
                return True
    if labelled:
        return end == len(text) or not _HAN.match(text[end]) or text.startswith(AFTER_LABEL, after)
    return False
