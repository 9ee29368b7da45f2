"""Mojibake: text that was decoded with the wrong codec, once or more.

Handled readings (each reversed by re-encoding a span with the wrong codec and decoding it with
the right one, strictly):

* UTF-8 bytes read as GBK/GB18030 (``鍙戝睍`` → ``发展``);
* UTF-8 bytes read as cp1252, sloppy cp1252 (undefined bytes kept as U+0080–U+009F) or latin-1
  (``å\\x8f\\x91å±\\x95`` → ``发展``, ``cafÃ©`` → ``café``);
* GBK bytes read as latin-1/cp1252 (``·¢Õ¹`` → ``发展``);
* any of these applied twice (repaired layer by layer), and damage confined to part of a line.

A dynamic programme over the neighbourhood of each suspicious character (and a search over whole-
text readings, for text damaged end to end) chooses, for every span, between keeping it and
decoding it,
by the character-frequency model of :mod:`service.fixers.textmodel`: a span is decoded only when
the decoded text is clearly more plausible, so ordinary Chinese is left alone.  Whatever remains
implausible in a Latin way is handed to ``ftfy.fix_encoding``.  Irrecoverable damage (U+FFFD,
``锟斤拷``) is reported as kind ``unrecoverable`` and left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from service.edits import Edit, apply_edits, compose, edits_from_diff
from service.fixers import FixResult, invisible
from service.fixers.textmodel import char_class, char_cost, in_latin_words, text_cost

KIND = "mojibake"
UNRECOVERABLE = "unrecoverable"

MARGIN = 3.0  # the cost a decoded span must save, beyond its own, to be accepted
C1_DECODED = 2.5  # cost of a C1 control in a decoded piece (see _decoded_cost)
IN_WORD = 2.5  # cost of keeping an accented letter inside a Latin word
LOST = 5.5  # cost of a character lost to a replaced or dropped byte (it becomes U+FFFD)
SWALLOWED = 2.0  # extra cost of an ASCII character that hid in a GBK trail byte
MAX_PASSES = 6  # span-search passes (each must lower the cost)
MAX_LAYERS = 3  # layers of whole-text encoding undone

_CP1252_SPECIALS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_LATIN_TO_BYTE: dict[str, int] = {chr(b): b for b in range(0x100)}
_LATIN_TO_BYTE.update({ch: ch.encode("cp1252")[0] for ch in _CP1252_SPECIALS})
_LATIN_BYTES: list[bytes | None] = [bytes([b]) for b in range(0x100)]


def _gb_chars(leads: range, trails: range) -> str:
    """The characters GB18030 gives for two bytes ``lead, trail``."""
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes([lead, trail]).decode("gb18030"))
            except UnicodeDecodeError:
                pass
    return "".join(sorted(chars))


_LATIN_HIGH = "\x80-\xff" + _CP1252_SPECIALS
# Where mojibake shows.  UTF-8 read as GBK: a UTF-8 3/4-byte lead paired with a continuation
# byte, then a character whose first byte is a continuation byte, or U+FFFD for a replaced one
# (every UTF-8 sequence of CJK text read this way has one every three characters).  UTF-8 or GBK read as latin-1/cp1252: a
# lead-byte letter followed by another high character, or a C1 control.
_GBK_LEADS = _gb_chars(range(0xE0, 0xF5), range(0x80, 0xC0))
_ANCHOR = re.compile(
    char_class(_GBK_LEADS)
    + "(?:" + char_class(_gb_chars(range(0x80, 0xC0), range(0x40, 0xFF))) + "|\ufffd)"
    + "|[\x80-\x9f]"
    + "|[\xa1-\xff][" + _LATIN_HIGH + "]"
)
_DETECT = re.compile(_ANCHOR.pattern + "|\ufffd|锟斤")
# What the invisible fixer may delete, less U+0080–U+00FF (bytes of latin-1 mojibake).
_HIDDEN = re.compile("(?![\x80-\xff])(?:" + invisible.SUSPECT.pattern + ")")
_HIDDEN_BMP = re.compile("(?![\x80-\xff])(?:" + invisible.SUSPECT_BMP.pattern + ")")
_UNRECOVERABLE = ("\ufffd", "锟斤拷")  # what irrecoverable damage leaves behind
WINDOW = 8  # characters searched on each side of an anchor


# The first characters of every _DETECT match, as one class: a single fast scan of clean text.
_FIRST = re.compile(char_class(_GBK_LEADS + "".join(map(chr, range(0x80, 0x100))) + "\ufffd锟"))


def detect(text: str) -> bool:
    """Could ``text`` contain codec damage?  A precompiled regex search (two when the text has
    invisible characters, which :func:`fix` looks through)."""
    if _FIRST.search(text) is not None and _DETECT.search(text) is not None:
        return True
    # (the BMP-only class where the text has nothing beyond the BMP: a faster scan, same matches)
    hidden = _HIDDEN if invisible.ASTRAL.search(text) is not None else _HIDDEN_BMP
    return hidden.search(text) is not None and _DETECT.search(hidden.sub("", text)) is not None


def _latin_byte(ch: str) -> bytes | None:
    value = _LATIN_TO_BYTE.get(ch)
    return None if value is None else _LATIN_BYTES[value]


@lru_cache(maxsize=1 << 16)
def _gb_bytes(ch: str) -> bytes | None:
    try:
        return ch.encode("gb18030")
    except UnicodeEncodeError:  # a lone surrogate
        return None


# (name, wrong codec's byte map, right codec, allowed first bytes, extra margin).  GBK bytes read
# as latin-1 are rarer than UTF-8 read as latin-1, hence the extra margin.
_READINGS: tuple[tuple[str, Callable[[str], bytes | None], str, range, float], ...] = (
    ("utf-8/gbk", _gb_bytes, "utf-8", range(0xC2, 0xF5), 0.0),
    ("utf-8/latin", _latin_byte, "utf-8", range(0xC2, 0xF5), 0.0),
    ("gbk/latin", _latin_byte, "gb18030", range(0x81, 0xFF), 2.0),
)


def _script(ch: str) -> int:
    """0 for ASCII letters and Latin-1 letters, 1 Greek, 2 Cyrillic, -1 anything else."""
    if not ch.isalpha():
        return -1
    cp = ord(ch)
    if cp <= 0x24F:
        return 0
    if 0x370 <= cp <= 0x3FF:
        return 1
    if 0x400 <= cp <= 0x52F:
        return 2
    return -1


def _cost_in_context(ch: str, prev: str) -> float:
    """Cost of ``ch`` next to ``prev``: an accented letter is cheap next to an ASCII letter, a
    Greek or Cyrillic letter next to one of its own script."""
    cost = char_cost(ch)
    if cost > 2.0 and prev and 0x80 <= ord(ch) <= 0x52F:
        script = _script(ch)
        if script == 0 and ord(ch) <= 0xFF and prev.isascii() and prev.isalpha():
            return 2.0
        if script > 0 and script == _script(prev):
            return 2.0
    return cost


def _decoded_cost(decoded: str, prev: str, layered: bool = False) -> float | None:
    """Cost of a decoded piece after ``prev``; ``None`` when it cannot be real text.

    A C1 control in a decoded piece is cheap: it is a byte of a further layer of mojibake (a
    sloppy cp1252 reading), which the next pass decodes.  With ``layered`` (a UTF-8 reading of
    latin-1 text, which may leave another latin-1 layer) so is every latin-1/cp1252 character.
    :func:`fix` drops any edit whose result still looks like a layer of mojibake.
    """
    total = 0.0
    for ch in decoded:
        cp = ord(ch)
        if cp == 0xFFFD or (cp < 0x20 and ch not in "\t\n\r") or 0xE000 <= cp <= 0xF8FF:
            return None  # replacement, control or private use (GB18030's user-defined area)
        if 0x80 <= cp < 0xA0:
            total += C1_DECODED
        elif layered and ch in _LATIN_TO_BYTE and cp >= 0x80:
            total += min(C1_DECODED, _cost_in_context(ch, prev))
        else:
            total += _cost_in_context(ch, prev)
        prev = ch
    return total


def _keep_costs(text: str) -> list[float]:
    """Per character, the cost of keeping it as it is."""
    costs = [char_cost(ch) for ch in text]
    for index in in_latin_words(text):
        costs[index] = min(costs[index], IN_WORD)
    for index, ch in enumerate(text):
        if 0x370 <= ord(ch) <= 0x52F:
            script = _script(ch)
            if script > 0 and any(
                0 <= k < len(text) and _script(text[k]) == script for k in (index - 1, index + 1)
            ):
                costs[index] = min(costs[index], 2.0)
    return costs


_TO_SLOPPY = str.maketrans({ch: chr(b) for ch, b in _LATIN_TO_BYTE.items() if ch in _CP1252_SPECIALS})
# A character that no latin-1/cp1252 byte reads as: the text cannot be such a reading (checked
# before translating a long Chinese text only to fail its encoding).
_NOT_SLOPPY = re.compile("[^\x00-\xff" + re.escape(_CP1252_SPECIALS) + "]")


def _encode_whole(text: str, to_bytes: Callable[[str], bytes | None]) -> bytes | None:
    try:
        if to_bytes is _gb_bytes:
            return text.encode("gb18030")
        if _NOT_SLOPPY.search(text) is not None:
            return None
        return text.translate(_TO_SLOPPY).encode("latin-1")
    except UnicodeEncodeError:
        return None


def _decode_whole(text: str, to_bytes: Callable[[str], bytes | None], codec: str) -> str | None:
    raw = _encode_whole(text, to_bytes)
    if raw is None:
        return None
    try:
        decoded = raw.decode(codec)
    except UnicodeDecodeError:
        return None
    return None if decoded == text else decoded


def _whole(text: str) -> str | None:
    """Undo damage of the whole text, all layers (the usual double encoding); ``None`` if none.

    Explores every chain of readings up to :data:`MAX_LAYERS` deep and keeps the cheapest
    result, so that an intermediate layer that looks worse than another reading still wins.
    """
    best: tuple[float, str] = (float("inf"), text)

    def explore(current: str, depth: int, penalty: float) -> None:
        nonlocal best
        if depth == MAX_LAYERS:
            return
        for _name, to_bytes, codec, _starts, extra in _READINGS:
            decoded = _decode_whole(current, to_bytes, codec)
            if decoded is None:
                continue
            cost = _decoded_cost(decoded, "")
            if cost is None:
                continue
            total = penalty + MARGIN + extra
            if cost + total < best[0] and not _C1.search(decoded):
                best = (cost + total, decoded)
            explore(decoded, depth + 1, total)

    explore(text, 0, 0.0)
    if best[1] == text or best[0] >= sum(_keep_costs(text)):
        return None
    return best[1]


_UNIT_CHARS = 12  # a GBK reading of UTF-8 realigns within a few characters


def _utf8_unit(
    text: str, i: int, to_bytes: Callable[[str], bytes | None]
) -> tuple[int, str, int] | None:
    """The shortest run of characters from ``i`` whose bytes are whole UTF-8 sequences, decoded;
    and how many characters of it were lost.

    A U+FFFD stands for the one byte that the wrong decoder replaced (``errors="replace"``), and
    a sequence one continuation byte short for a byte it dropped (``errors="ignore"``): that
    character becomes U+FFFD (lost, not guessed); the rest of the run is still restored.
    """
    sequences: list[bytearray] = []
    lost: list[bool] = []
    need = 0
    for j in range(i, min(len(text), i + _UNIT_CHARS)):
        if text[j] == "\ufffd":
            if not need or j == i:
                return None  # a lost lead byte: the length of its sequence is unknown
            need -= 1
            lost[-1] = True
            if not need:
                break
            continue
        raw = to_bytes(text[j])
        if raw is None:
            return None
        for b in raw:
            if need:
                if 0x80 <= b <= 0xBF:
                    sequences[-1].append(b)
                    need -= 1
                    continue
                # Continuation bytes were dropped (errors="ignore"): that character is lost.
                lost[-1] = True
                need = 0
            if b < 0x80:
                if j == i:
                    return None
                need = 0
            elif 0xC2 <= b <= 0xDF:
                need = 1
            elif 0xE0 <= b <= 0xEF:
                need = 2
            elif 0xF0 <= b <= 0xF4:
                need = 3
            else:
                return None
            sequences.append(bytearray([b]))
            lost.append(False)
        if not need:
            break
    else:
        return None
    if need and j == len(text) - 1:
        lost[-1] = True  # the text ends bytes short
        need = 0
    if need:
        return None
    out: list[str] = []
    for sequence, gone in zip(sequences, lost, strict=True):
        if gone:
            out.append("\ufffd")
            continue
        try:
            out.append(sequence.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    decoded = "".join(out)
    if "\ufffd" in decoded and decoded.count("\ufffd") != sum(lost):
        return None  # a real U+FFFD in the bytes (锟斤拷): nothing to restore
    return j + 1, decoded, sum(lost)


def _gbk_unit(text: str, i: int) -> tuple[int, bytes] | None:
    """A GBK (2-byte) or GB18030 (4-byte) character whose bytes were read as latin-1."""
    first = _latin_byte(text[i])
    if first is None or not 0x81 <= first[0] <= 0xFE or i + 1 >= len(text):
        return None
    second = _latin_byte(text[i + 1])
    if second is None:
        return None
    size = 4 if 0x30 <= second[0] <= 0x39 else 2
    if i + size > len(text):
        return None
    raw = b"".join(_latin_byte(ch) or b"\x00" for ch in text[i : i + size])
    return i + size, raw


def _units(text: str) -> list[list[tuple[int, str, float, float] | None]]:
    """Per reading and start offset: (end, decoded, cost after the text, cost after a unit)."""
    table: list[list[tuple[int, str, float, float] | None]] = []
    for _name, to_bytes, codec, starts, _extra in _READINGS:
        layered = to_bytes is _latin_byte and codec == "utf-8"
        row: list[tuple[int, str, float, float] | None] = [None] * len(text)
        last: dict[int, str] = {}
        for i, ch in enumerate(text):
            if ch.isascii():
                continue
            first = to_bytes(ch)
            if first is None or first[0] not in starts:
                continue
            lost = 0
            if codec == "gb18030":
                found = _gbk_unit(text, i)
                if found is None:
                    continue
                end, raw = found
                try:
                    decoded = raw.decode(codec)
                except UnicodeDecodeError:
                    continue
            else:
                unit = _utf8_unit(text, i, to_bytes)
                if unit is None:
                    continue
                end, decoded, lost = unit
            if decoded == text[i:end]:
                continue
            clear = decoded.replace("\ufffd", "") if lost else decoded
            after_text = _decoded_cost(clear, text[i - 1] if i and layered else "", layered)
            if after_text is None:
                continue
            if lost and all(c.isascii() or c == "\ufffd" for c in decoded):
                lost += 1  # nothing restored in this unit: weak evidence
            after_text += LOST * lost
            after_unit = _decoded_cost(clear, last.get(i, "") if layered else "", layered)
            if after_unit is not None:
                after_unit += LOST * lost
            if to_bytes is _gb_bytes:
                # ASCII swallowed as a GBK trail byte: possible, but a weaker reading.
                swallowed = SWALLOWED * sum(1 for c in decoded if c.isascii())
                after_text += swallowed
                after_unit = (after_unit or 0.0) + swallowed
            row[i] = (end, decoded, after_text, after_text if after_unit is None else after_unit)
            last[end] = decoded[-1]
        table.append(row)
    return table


def _one_pass(text: str) -> list[Edit]:
    """The cheapest reading of ``text`` as kept characters and decoded spans.

    A dynamic programme over character offsets with one state for "outside a span" and one per
    reading for "inside a decoded span"; a step decodes one unit (the shortest run of characters
    whose bytes are whole sequences of the right codec), and opening a span costs
    :data:`MARGIN` (plus the reading's extra margin).  Linear in the length of the text.
    """
    n = len(text)
    keep = _keep_costs(text)
    units = _units(text)
    states = 1 + len(_READINGS)
    inf = float("inf")
    cost = [[inf] * (n + 1) for _ in range(states)]
    # back[state][pos] = (previous state, previous pos, decoded unit or None for a kept char)
    back: list[list[tuple[int, int, str | None] | None]] = [[None] * (n + 1) for _ in range(states)]
    cost[0][0] = 0.0
    for i in range(n):
        best_state = min(range(states), key=lambda s: cost[s][i])
        best = cost[best_state][i]
        if best == inf:
            continue
        if best + keep[i] < cost[0][i + 1]:
            cost[0][i + 1] = best + keep[i]
            back[0][i + 1] = (best_state, i, None)
        if text[i].isascii():  # ASCII reads the same in every codec: a span may run through it
            for state in range(1, states):
                if cost[state][i] + keep[i] < cost[state][i + 1]:
                    cost[state][i + 1] = cost[state][i] + keep[i]
                    back[state][i + 1] = (state, i, text[i])
            continue
        for r, (_name, _to_bytes, _codec, _starts, extra) in enumerate(_READINGS):
            unit = units[r][i]
            if unit is None:
                continue
            end, decoded, after_text, after_unit = unit
            state = r + 1
            # Open a span here (from the cheapest state that is not this span) …
            other = min((s for s in range(states) if s != state), key=lambda s: cost[s][i])
            opened = cost[other][i] + MARGIN + extra + after_text
            if opened < cost[state][end]:
                cost[state][end] = opened
                back[state][end] = (other, i, decoded)
            # … or carry on decoding.
            if cost[state][i] < inf:
                carried = cost[state][i] + after_unit
                if carried < cost[state][end]:
                    cost[state][end] = carried
                    back[state][end] = (state, i, decoded)
    # Walk back, gathering consecutive units of one reading into one span.
    state = min(range(states), key=lambda s: cost[s][n])
    position = n
    spans: list[tuple[int, int, str]] = []
    pieces: list[str] = []
    span_end = -1
    while position > 0:
        step = back[state][position]
        if step is None:  # unreachable: every position has a kept-character path
            break
        previous, start, decoded = step
        if state:
            if span_end < 0:
                span_end = position
            pieces.append(decoded or "")
            if previous != state:
                spans.append((start, span_end, "".join(reversed(pieces))))
                pieces, span_end = [], -1
        state, position = previous, start
    edits: list[Edit] = []
    for start, end, decoded in reversed(spans):
        deeper = _whole(decoded)  # a span encoded twice: undo the other layers too
        if deeper is not None:
            decoded = deeper
        gain = sum(keep[start:end]) - text_cost(decoded)
        confidence = round(max(0.5, min(0.99, 0.5 + gain / 40)), 4)
        edits.append(Edit(start, end, text[start:end], decoded, KIND, confidence))
    return edits


# The first characters of every _ANCHOR match (and U+00A0), as one class.
_ANCHOR_FIRST = re.compile(char_class(_GBK_LEADS + "".join(map(chr, range(0x80, 0x100)))))


def _anchors(text: str) -> Iterator[re.Match[str]]:
    """``_ANCHOR.finditer(text)``, trying a match only where one can begin (the regex's three
    branches have no common first character, so its own search tries them at every character)."""
    find, match = _ANCHOR_FIRST.search, _ANCHOR.match
    position = 0
    while (candidate := find(text, position)) is not None:
        found = match(text, candidate.start())
        if found is None:
            position = candidate.start() + 1
        else:
            yield found
            position = found.end()


def _windowed_pass(text: str) -> list[Edit]:
    """:func:`_one_pass` on the neighbourhoods of the anchors only (clean text costs nothing)."""
    windows: list[list[int]] = []
    for match in _anchors(text):
        lo, hi = max(0, match.start() - WINDOW), min(len(text), match.end() + WINDOW)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    edits: list[Edit] = []
    for lo, hi in windows:
        for edit in _one_pass(text[lo:hi]):
            edits.append(
                Edit(edit.start + lo, edit.end + lo, edit.before, edit.after, KIND, edit.confidence)
            )
    return edits


def _ftfy_pass(text: str) -> list[Edit]:
    """Latin-only damage that the span search left (other single-byte codecs, lost NBSPs)."""
    import ftfy
    from ftfy.badness import is_bad

    if not is_bad(text):
        return []
    fixed = ftfy.fix_encoding(text)
    if fixed == text or text_cost(fixed) + MARGIN >= text_cost(text):
        return []
    return edits_from_diff(text, fixed, KIND, 0.8)


def _line_edits(before: str, after: str) -> list[Edit]:
    """Edits turning ``before`` into ``after`` (a whole-text decoding): one per changed line,
    trimmed of the unchanged ends.  Line feeds read the same in every codec handled here."""
    old_lines = before.split("\n")
    new_lines = after.split("\n")
    if len(old_lines) != len(new_lines):
        old_lines, new_lines = [before], [after]
    edits: list[Edit] = []
    offset = 0
    for old, new in zip(old_lines, new_lines, strict=True):
        if old != new:
            lo = 0
            while lo < min(len(old), len(new)) and old[lo] == new[lo]:
                lo += 1
            hi = 0
            while hi < min(len(old), len(new)) - lo and old[-1 - hi] == new[-1 - hi]:
                hi += 1
            start, end = offset + lo, offset + len(old) - hi
            edits.append(Edit(start, end, before[start:end], new[lo : len(new) - hi], KIND, 0.95))
        offset += len(old) + 1
    return edits


def _repair(text: str) -> list[Edit]:
    """Whole-text layers, span passes and ftfy, repeated until nothing changes."""
    current = text
    edits: list[Edit] = []
    for _ in range(MAX_PASSES):
        before = current
        whole = _whole(current)
        if whole is not None:
            # Whole-text decoding must also beat decoding spans (it cannot leave alone the
            # characters around a damaged stretch).
            spans = apply_edits(current, _windowed_pass(current))
            if text_cost(spans) < text_cost(whole):
                whole = None
        if whole is not None:
            step = _line_edits(current, whole)
            edits = compose(edits, step, text)
            current = whole
        for _ in range(MAX_PASSES):
            step = _windowed_pass(current)
            if not step:
                break
            edits = compose(edits, step, text)
            current = apply_edits(current, step)
        if _LATIN_SUSPECT.search(current):
            step = _ftfy_pass(current)
            if step:
                edits = compose(edits, step, text)
                current = apply_edits(current, step)
        if current == before:
            break
    # A repair that still holds a C1 control decoded a layer but not the next: not believed.
    return [edit for edit in edits if not _LAYER_LEFT.search(edit.after)]


def _repair_view(text: str, hidden: set[int]) -> list[Edit]:
    """:func:`_repair` of ``text`` without the characters at ``hidden``, in ``text``'s offsets."""
    if not hidden:
        return _repair(text)
    index = [i for i in range(len(text)) if i not in hidden]
    view = "".join(text[i] for i in index)
    edits = []
    for edit in _repair(view):
        start = index[edit.start]
        end = index[edit.end - 1] + 1
        edits.append(Edit(start, end, text[start:end], edit.after, KIND, edit.confidence))
    return edits


def fix(text: str) -> FixResult:
    """Undo every layer of codec damage found; report irrecoverable damage without editing it.

    Characters the invisible fixer will delete (zero-width, C0 controls; not U+0080–U+00FF,
    which are bytes of latin-1 mojibake) are looked
    through, so that they neither hide mojibake nor make the repair depend on the order of the
    fixers; an edit spanning them deletes them with the damaged span.
    """
    removable = invisible.removable(text)
    hidden = {i for i in removable if not 0x80 <= ord(text[i]) <= 0xFF}
    edits = _repair_view(text, hidden)
    # C1 controls and soft hyphens may be bytes of latin-1 mojibake; those that no repair used
    # will be deleted too, so look through them as well.
    covered = {i for edit in edits for i in range(edit.start, edit.end)}
    left = {i for i in removable if i not in hidden and i not in covered}
    if left:
        edits = _repair_view(text, hidden | left)
    current = apply_edits(text, edits)
    kinds: list[str] = []
    score = 0.0
    if edits:
        kinds.append(KIND)
        changed = sum(edit.end - edit.start for edit in edits)
        score = min(1.0, 0.5 + changed / max(1, len(text)))
    if any(mark in current for mark in _UNRECOVERABLE):
        kinds.append(UNRECOVERABLE)
        score = max(score, 0.5)
    return FixResult(edits, score, tuple(kinds))


_LATIN_SUSPECT = re.compile("[\x80-\xff" + _CP1252_SPECIALS + "]")
_C1 = re.compile("[\x80-\x9f]")
# A C1 control, or a UTF-8 lead byte followed by a continuation byte, read as latin-1/cp1252.
_LAYER_LEFT = re.compile(
    "[\x80-\x9f]|[\xc2-\xf4][\x80-\xbf" + "".join(
        ch for ch in _CP1252_SPECIALS if 0x80 <= _LATIN_TO_BYTE[ch] <= 0xBF) + "]"
)
