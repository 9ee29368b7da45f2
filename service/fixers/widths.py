"""Full-width ASCII: ``ｖｉａｇｒａ``, ``１２３`` and ``ｗｗｗ．ｘ．ｃｏｍ`` → half width.

Full-width letters and digits are always folded.  Another full-width symbol is folded when it
touches a full-width letter or digit or sits between two letters or digits (``１００％``,
``ｗｗｗ．ｘ．ｃｏｍ``, ``a＋b``); Chinese punctuation ``，：；！？（）`` only between two digits
one of which is full width (``１，０００``, ``１２：３０``; ``ｖｘ：ｗｘ`` keeps its colon).  So ``100％`` and ``价格：100``
stay as they are.  U+3000 and all other Chinese punctuation (。、「」…) are
never touched.
"""

from __future__ import annotations

import re

from service.edits import Edit
from service.fixers import FixResult

KIND = "fullwidth"

_CHINESE_PUNCT = frozenset("，：；！？（）")
# Any full-width form but the Chinese punctuation (which alone never changes).
_DETECT = re.compile("[\uff02-\uff07\uff0a\uff0b\uff0d-\uff19\uff1c-\uff1e\uff20-\uff5e]")
_TOKEN = re.compile("[\uff01-\uff5e\u0021-\u007e]*[\uff01-\uff5e][\uff01-\uff5e\u0021-\u007e]*")


def detect(text: str) -> bool:
    """Any full-width letter, digit or non-Chinese symbol?"""
    return _DETECT.search(text) is not None


def _half(ch: str) -> str:
    cp = ord(ch)
    return chr(cp - 0xFEE0) if 0xFF01 <= cp <= 0xFF5E else ch


def _alnum(ch: str) -> bool:
    return _half(ch).isascii() and _half(ch).isalnum()


def _wide_alnum(ch: str) -> bool:
    return bool(ch) and 0xFF01 <= ord(ch) <= 0xFF5E and _alnum(ch)


def fix(text: str) -> FixResult:
    """Fold full-width letters, digits and the symbols among them."""
    edits: list[Edit] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not any(_alnum(ch) for ch in token):
            continue
        base = match.start()
        out = []
        for k, ch in enumerate(token):
            if not 0xFF01 <= ord(ch) <= 0xFF5E:
                out.append(ch)
                continue
            if _alnum(ch):
                out.append(_half(ch))
                continue
            prev = token[k - 1] if k else ""
            nxt = token[k + 1] if k + 1 < len(token) else ""
            between = bool(prev) and bool(nxt) and _alnum(prev) and _alnum(nxt)
            wide = _wide_alnum(prev) or _wide_alnum(nxt)
            if ch in _CHINESE_PUNCT:
                digits = between and _half(prev).isdigit() and _half(nxt).isdigit()
                out.append(_half(ch) if digits and wide else ch)
            else:
                out.append(_half(ch) if between or wide else ch)
        # One edit per maximal run of changed characters.
        k = 0
        while k < len(token):
            if out[k] == token[k]:
                k += 1
                continue
            end = k
            while end < len(token) and out[end] != token[end]:
                end += 1
            edits.append(
                Edit(base + k, base + end, token[k:end], "".join(out[k:end]), KIND)
            )
            k = end
    score = min(1.0, 0.5 + 0.05 * len(edits)) if edits else 0.0
    return FixResult(edits, score, (KIND,) if edits else ())
