"""The texts behind published figures, normalised once so that a quote can be found in them verbatim.

The copies of the reports that could be found online are not the printed texts: some went
through a converter that wrote traditional characters with a pinyin reading after some of
them (``開會(huì)下沉一級(jí)``). One normalisation, in this order, gives back the printed
sentence in nearly every case:

1. remove every pinyin group: a parenthesis holding only lower-case Latin letters with or
   without tone marks, ``(huì)`` or ``（huì）`` (Chinese in parentheses, ``村(社)``, stays);
2. convert traditional to simplified characters with OpenCC ``t2s``
   (opencc-python-reimplemented, pinned in requirements.lock);
3. Unicode NFKC (full-width digits, letters and punctuation become their plain forms).

A claim's ``quote`` is a run of the normalised text, character for character, and its
``value`` is written in that quote in one of the forms of ``figure_forms``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

# Lower-case pinyin: Latin letters and the vowels with tone marks (ü with its four tones included).
PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
PINYIN_GROUP = re.compile(f"[(（][{PINYIN_LETTERS}]+[)）]")
OPENCC_CONFIG = "t2s"


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC  # opencc-python-reimplemented; imported on first use, not at import time

    return OpenCC(OPENCC_CONFIG)


def remove_pinyin(text: str) -> str:
    """``開會(huì)`` → ``開會``; ``村(社)`` and ``(2020)`` stay."""
    return PINYIN_GROUP.sub("", text)


def to_simplified(text: str) -> str:
    """OpenCC t2s: ``開會`` → ``开会``."""
    return _converter().convert(text)


def normalise(text: str) -> str:
    """The one normalisation of a source text: pinyin groups removed, OpenCC t2s, then NFKC."""
    return unicodedata.normalize("NFKC", to_simplified(remove_pinyin(text)))


def figure_forms(value: float | int | str) -> list[str]:
    """The ways a report writes a number: 928, 90.55, 100; 22000 also as 2.2万, 30000 as 3万.

    The 万 form is offered only for whole thousands of at least 10000 (2.2万 is 22000; a report
    writing 1.2443万 for 12443 would be rounding, and is not expected).
    """
    number = Decimal(str(value)).normalize()
    plain = f"{number:f}"
    forms = [plain]
    if number >= 10000 and number % 1000 == 0:
        forms.append(f"{(number / 10000).normalize():f}万")
    return forms


def figure_in(text: str, value: float | int | str) -> bool:
    """Whether ``text`` writes ``value`` as a number of its own, in one of its ``figure_forms``.

    A form inside a longer number does not count: 23 is not in 2023 or 1.23, 5 is not in 15039.
    """
    forms = "|".join(re.escape(form) for form in figure_forms(value))
    return re.search(rf"(?<![\d.])(?:{forms})(?!\d|\.\d)", text) is not None
