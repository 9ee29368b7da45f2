"""Full-width ASCII: ``ｖｉａｇｒａ``, ``１２３`` and ``ｗｗｗ．ｘ．ｃｏｍ`` → half width.

Full-width letters and digits are always folded.  Symbols are judged a run at a time (a run is
a maximal stretch of symbols between letters or digits, e.g. ``：／／`` in ``ｈｔｔｐ：／／ｅｘ``).
A full-width symbol is folded when its run touches a full-width letter or digit or sits between
two letters or digits (``１００％``, ``ｗｗｗ．ｘ．ｃｏｍ``, ``a＋b``, ``Ｃ＋＋``).  Chinese
punctuation ``，：；！？（）`` is folded only inside such a run between two letters or digits
that also holds another symbol and touches full width or holds a full-width symbol
(``ｈｔｔｐ：／／ｅｘ`` → ``http://ex``), or alone between two digits one of which is full width
(``１，０００``, ``１２：３０``; ``ｖｘ：ｗｘ`` keeps its colon).  So ``100％`` and ``价格：100``
stay as they are.  U+3000 and all other Chinese punctuation (。、「」…) are never touched.
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
# The characters of a token that :func:`_alnum` accepts: ASCII letters and digits, either width.
_ALNUM = re.compile("[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def detect(text: str) -> bool:
    """Any full-width letter, digit or non-Chinese symbol?"""
    return _DETECT.search(text) is not None


def _half(ch: str) -> str:
    cp = ord(ch)
    return chr(cp - 0xFEE0) if 0xFF01 <= cp <= 0xFF5E else ch


def _is_wide(ch: str) -> bool:
    return bool(ch) and 0xFF01 <= ord(ch) <= 0xFF5E


def _alnum(ch: str) -> bool:
    return _half(ch).isascii() and _half(ch).isalnum()


def _wide_alnum(ch: str) -> bool:
    return _is_wide(ch) and _alnum(ch)


def _fold_run(run: str, prev: str, nxt: str) -> str:
    """The run of symbols ``run`` (between ``prev`` and ``nxt``, "" at a token edge) folded."""
    between = _alnum(prev) and _alnum(nxt) if prev and nxt else False
    wide = _wide_alnum(prev) or _wide_alnum(nxt)
    if not (between or wide):
        return run
    symbols = [ch for ch in run if ch not in _CHINESE_PUNCT]
    # Chinese punctuation goes with a run of other symbols (``：／／`` in a URL) …
    mixed = between and bool(symbols) and (wide or any(_is_wide(ch) for ch in symbols))
    # … or alone between two digits (``１，０００``).
    digits = len(run) == 1 and between and wide and _half(prev).isdigit() and _half(nxt).isdigit()
    return "".join(_half(ch) if ch not in _CHINESE_PUNCT or mixed or digits else ch for ch in run)


def fix(text: str) -> FixResult:
    """Fold full-width letters, digits and the runs of symbols among them."""
    edits: list[Edit] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if _ALNUM.search(token) is None:
            continue  # symbols alone (most tokens are one Chinese comma)
        base = match.start()
        out: list[str] = []
        k = 0
        while k < len(token):
            if _alnum(token[k]):
                out.append(_half(token[k]))
                k += 1
                continue
            end = k
            while end < len(token) and not _alnum(token[end]):
                end += 1
            prev = token[k - 1] if k else ""
            nxt = token[end] if end < len(token) else ""
            out.extend(_fold_run(token[k:end], prev, nxt))
            k = end
        # One edit per maximal run of changed characters.
        k = 0
        while k < len(token):
            if out[k] == token[k]:
                k += 1
                continue
            end = k
            while end < len(token) and out[end] != token[end]:
                end += 1
            edits.append(Edit(base + k, base + end, token[k:end], "".join(out[k:end]), KIND))
            k = end
    score = min(1.0, 0.5 + 0.05 * len(edits)) if edits else 0.0
    return FixResult(edits, score, (KIND,) if edits else ())
