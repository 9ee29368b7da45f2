"""Byte decoding: UTF-8 when valid, else the most plausible legacy codec, else an error.

In order:

1. valid UTF-8 is UTF-8 (a leading UTF-8 byte-order mark is dropped);
2. UTF-16 with a BOM, when the payload is of even length and reads as plausible text
   (:func:`_plausible_utf16`: at least two characters, nearly all ASCII or common CJK);
3. *almost* UTF-8 — valid but for a few bad bytes or a sequence cut off at the end — is UTF-8
   with each bad stretch replaced by U+FFFD, reported as encoding ``"utf-8"`` (the U+FFFD in the
   text marks the loss).  "A few": at least :data:`MIN_UTF8_CHARS` valid multi-byte characters,
   and at least :data:`MIN_UTF8_SHARE` of the non-ASCII bytes (bar a cut-off tail) in valid
   multi-byte sequences — a legacy (GBK, Big5, cp1252) text almost never gets that far in UTF-8;
4. otherwise candidates (each decoded strictly): UTF-16 without a BOM (plausible text only),
   GB18030/GBK, Big5 (and its cp950 superset), Shift-JIS (cp932; only a reading with kana),
   cp1252 and latin-1, and UTF-8 with a few bad bytes replaced by U+FFFD.  Each decoding is scored by the character model of
   :mod:`service.fixers.textmodel` (ASCII bytes read the same in every candidate, so only the
   rest matters); the cheapest per byte wins.  Text with control characters or an implausible
   cost per character is refused as ``undecodable``.

EUC-JP is not a candidate: its kana occupy the same byte rows as GBK's, so the two cannot be told
apart safely on short texts.  :func:`decode_bytes` is the one bytes → text path of the service:
the pipeline (raw post values) and ``qingliu repair`` (lines, :func:`decode_lines`) both use it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from service.errors import InputError
from service.fixers.textmodel import char_cost, in_latin_words, is_cjk

# Cost per non-ASCII character above which a decoding is not believed.
MAX_MEAN_COST = 6.5
# A UTF-8 decoding with replacements is a candidate while at most this share of its non-ASCII
# characters are U+FFFD.
MAX_REPLACED = 0.1
# Almost-UTF-8 (step 3): this many valid multi-byte characters, and this share of the non-ASCII
# bytes (a sequence cut off at the very end not counted) in valid multi-byte sequences.
MIN_UTF8_CHARS = 2
MIN_UTF8_SHARE = 0.9
# UTF-16 is believed when at least this share of its characters are common (see _plausible_utf16).
MIN_UTF16_COMMON = 0.8
# What a full-width kana in a Shift-JIS reading costs less than the character model says.
KANA_DISCOUNT = 3.5
_KANA_FIRST, _KANA_LAST = "\u3041", "\u30fe"  # hiragana and katakana (full-width)
# A non-ASCII character at most this costly is common (everyday hanzi cost ~2–4, CJK punctuation 2).
COMMON_COST = 5.0


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, the codec that decoded it and how sure the choice is."""

    text: str
    encoding: str
    confidence: float = 1.0


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _cost(text: str) -> tuple[float, int] | None:
    """Summed cost and count of the non-ASCII characters; ``None`` if there are control codes."""
    total = 0.0
    count = 0
    prev = ""
    latin = in_latin_words(text)
    for index, ch in enumerate(text):
        cp = ord(ch)
        if cp < 0x80:
            if cp < 0x20 and ch not in "\t\n\r":
                return None
            prev = ch
            continue
        if 0x80 <= cp < 0xA0:
            return None
        cost = char_cost(ch)
        if index in latin:
            cost = min(cost, 2.0)  # an accented letter inside a Latin word
        elif 0x370 <= cp <= 0x52F and ch.isalpha() and prev.isalpha() and not is_cjk(prev):
            cost = min(cost, 2.5)  # Greek or Cyrillic inside a word
        total += cost
        count += 1
        prev = ch
    return total, count


def _candidates(data: bytes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    gb = _strict(data, "gb18030")
    if gb is not None:
        found.append(("gbk" if _strict(data, "gbk") == gb else "gb18030", gb))
    big5 = _strict(data, "big5")
    if big5 is not None:
        found.append(("big5", big5))
    else:
        cp950 = _strict(data, "cp950")
        if cp950 is not None:
            found.append(("big5", cp950))
    shift_jis = _strict(data, "cp932")
    if shift_jis is not None and shift_jis != gb and _has_kana(shift_jis):
        found.append(("shift_jis", shift_jis))
    cp1252 = _strict(data, "cp1252")
    latin = data.decode("latin-1")
    if cp1252 is not None and cp1252 != latin:
        found.append(("cp1252", cp1252))
    found.append(("latin-1", latin))
    if len(data) % 2 == 0 and len(data) >= 4:  # UTF-16 without a BOM (scored like the rest)
        for codec, name in (("utf-16-le", "utf-16le"), ("utf-16-be", "utf-16be")):
            text = _strict(data, codec)
            if text is not None and _plausible_utf16(text.removeprefix("\ufeff")):
                found.append((name, text))
    replaced = data.decode("utf-8", "replace")
    bad = replaced.count("\ufffd")
    wide = sum(1 for ch in replaced if ord(ch) >= 0x80)
    if bad and wide > bad and bad <= MAX_REPLACED * wide:
        found.append(("utf-8", replaced))
    return found


def _has_kana(text: str) -> bool:
    """Japanese text nearly always has kana; a kana-less Shift-JIS reading is not believed (it
    is far more often GBK or Big5 read wrongly than kanji-only Japanese)."""
    return any(_KANA_FIRST <= ch <= _KANA_LAST for ch in text)


def _plausible_utf16(text: str) -> bool:
    """Does a UTF-16 reading look like text: two or more characters, nearly all of them ASCII
    letters, digits, spaces or punctuation, or common CJK (cheap in the character model)?"""
    if len(text) < 2 or _cost(text) is None:
        return False
    common = sum(
        1
        for ch in text
        if (ch.isascii() and (ch.isprintable() or ch in "\t\n\r")) or char_cost(ch) <= COMMON_COST
    )
    return common >= MIN_UTF16_COMMON * len(text)


def _almost_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with a few bad bytes or a cut-off last sequence, U+FFFD for each bad stretch."""
    escaped = data.decode("utf-8", "surrogateescape")  # one U+DC80–U+DCFF per bad byte
    bad = lost = sum(1 for ch in escaped if "\udc80" <= ch <= "\udcff")
    if not bad:
        return None
    tail = len(escaped) - len(escaped.rstrip("".join(chr(0xDC00 + b) for b in range(0x80, 0x100))))
    if 0 < tail <= 3:
        try:  # a valid but unfinished sequence is buffered, not refused
            if codecs.getincrementaldecoder("utf-8")().decode(data[-tail:], final=False) == "":
                bad -= tail
        except UnicodeDecodeError:
            pass
    wide = [ch for ch in escaped if ord(ch) >= 0x80 and not "\udc80" <= ch <= "\udcff"]
    if len(wide) < MIN_UTF8_CHARS:
        return None
    good = sum(len(ch.encode("utf-8")) for ch in wide)
    if good < MIN_UTF8_SHARE * (good + bad):
        return None
    text = data.decode("utf-8", "replace")
    cost = _cost(text.replace("\ufffd", ""))
    if cost is None or cost[1] == 0 or cost[0] / cost[1] > MAX_MEAN_COST:
        return None
    return Decoded(text, "utf-8", round(0.99 * good / (good + lost), 4))


def _utf16_ascii(data: bytes) -> bool:
    """Mostly-ASCII UTF-16 without a BOM: every other byte NUL (it is valid UTF-8 too)."""
    if len(data) % 2 or len(data) < 4:
        return False
    even, odd = data[0::2], data[1::2]
    return even.count(0) == len(even) or odd.count(0) == len(odd)


def _utf16_shape(data: bytes, little: bool) -> bool:
    """Do the high bytes look like Chinese or ASCII text in UTF-16 (0x00, 0x30, 0x4E–0x9F, 0xFF)?"""
    high = data[1::2] if little else data[0::2]
    if len(high) < 6:
        return False
    usual = sum(1 for b in high if b in (0x00, 0x30, 0xFF) or 0x4E <= b <= 0x9F)
    return usual >= 0.9 * len(high)


UNDECODABLE = "undecodable"


def decode_bytes(data: bytes, *, lenient: bool = False) -> Decoded:
    """Decode ``data``; raise ``InputError('undecodable')`` when no codec gives plausible text.

    ``lenient``: instead of raising, return the bytes read as UTF-8 with U+FFFD for each bad
    stretch, with encoding ``"undecodable"`` and confidence 0 (``qingliu repair`` keeps one output
    line per input line that way).
    """
    try:
        return _decode(data)
    except InputError:
        if not lenient:
            raise
        return Decoded(data.decode("utf-8", "replace"), UNDECODABLE, 0.0)


def decode_lines(stream: IO[bytes]) -> Iterator[Decoded]:
    """Each line of ``stream`` decoded (leniently), without its line end.

    A stream that starts with a UTF-16 byte-order mark is decoded whole before it is split
    (splitting UTF-16 on the byte 0x0A would cut characters in half); a UTF-8 BOM is dropped;
    every other line is decoded on its own by :func:`decode_bytes`, so one file may mix codecs.
    """
    head = stream.read(2)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = (head + stream.read()).decode("utf-16", errors="replace")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            yield Decoded(line.rstrip("\r"), "utf-16", 0.99)
        return
    for line in split_lines(stream, head):
        yield decode_bytes(line, lenient=True)


def split_lines(stream: IO[bytes], head: bytes = b"") -> Iterator[bytes]:
    """Lines of ``stream`` (after ``head``, bytes already read from it) without their line ends;
    a leading UTF-8 byte-order mark is dropped."""
    if len(head) < 3:
        head += stream.read(3 - len(head))
    head = head.removeprefix(codecs.BOM_UTF8)
    read = getattr(stream, "read1", stream.read)  # read1: don't wait for a full buffer on pipes
    pending = head
    while True:
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r")
        chunk = read(1 << 16)
        if not chunk:
            break
        pending += chunk
    if pending:
        yield pending.rstrip(b"\r")


def _decode(data: bytes) -> Decoded:
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
        if "\x00" not in text or not _utf16_ascii(data):
            return Decoded(text, "utf-8")
    except UnicodeDecodeError:
        pass
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and len(data) % 2 == 0:
        text = _strict(data, "utf-16")
        if text is not None and _plausible_utf16(text):
            return Decoded(text, "utf-16", 0.99)
    almost = _almost_utf8(data)
    if almost is not None:
        return almost
    # (score, rank, name, text); ASCII is free among byte-compatible codecs (it reads the same
    # in all of them), but UTF-16 reads ASCII bytes as parts of other characters, so UTF-16 is
    # compared with the best of the others with every character charged.
    scored: list[tuple[float, int, str, str]] = []
    wide: list[tuple[float, int, str, str]] = []
    for rank, (name, text) in enumerate(_candidates(data)):
        cost = _cost(text)
        if cost is None:
            continue
        total, count = cost
        utf16 = name.startswith("utf-16")
        if count == 0:  # all ASCII: only UTF-16 can give that from non-UTF-8 bytes
            wide.append((0.0, rank, name, text))
            continue
        if total / count > MAX_MEAN_COST:
            continue
        if name == "utf-8":
            total += 3.0  # lost bytes: prefer a codec that reads every byte
        elif name == "shift_jis":
            # The character model is Chinese, where kana are rare.  Full-width kana in a
            # Shift-JIS reading take lead bytes 0x82/0x83, which GBK and Big5 text almost never
            # has (GBK's 0x82/0x83 rows are rare hanzi; Big5 has no such lead bytes), so they are
            # charged what CJK punctuation costs.
            total -= KANA_DISCOUNT * sum(1 for ch in text if _KANA_FIRST <= ch <= _KANA_LAST)
        elif utf16:  # without a BOM: only on the evidence of its shape
            total = total * 0.5 if _utf16_shape(data, name == "utf-16le") else total + 0.5 * count
        charged = (total + sum(1 for ch in text if ch.isascii())) / len(data)
        if utf16:
            wide.append((charged, rank, name, text))
        else:
            # Normalise by bytes, not characters: a double-byte codec makes half as many.
            non_ascii_bytes = sum(1 for b in data if b >= 0x80) or 1
            scored.append((total / non_ascii_bytes, rank, name, text))
            wide.append((charged, rank, name, text))
    if not wide:
        raise InputError(
            "undecodable",
            "bytes are not UTF-8 and no candidate codec (GB18030/GBK, Big5, Shift-JIS, UTF-16, "
            "cp1252, latin-1) gives plausible text",
        )
    scored.sort()
    wide.sort()
    if scored and not wide[0][2].startswith("utf-16"):
        ranking = scored
    elif scored:
        best_other = next(item for item in wide if item[2] == scored[0][2])
        ranking = [wide[0], best_other]
    else:
        ranking = wide
    best = ranking[0]
    if len(ranking) > 1:
        margin = ranking[1][0] - best[0]
        confidence = round(min(0.99, 0.5 + margin / 2), 4)
    else:
        confidence = 0.9
    return Decoded(best[3], best[2], confidence)
