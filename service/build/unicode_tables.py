"""Build the Unicode tables of the encoding/obfuscation fixers (``service/data/unicode/``).

Run as ``python -m service.build.unicode_tables``.  Inputs (build time only, see PROVENANCE.md):

* jieba's ``dict.txt`` (PyPI ``jieba``) – word frequencies → per-character costs; Traditional
  forms get the cost of their Simplified form via OpenCC (PyPI ``opencc``);
* the Unicode Character Database shipped by Debian's ``unicode-data`` package
  (``/usr/share/unicode``): EquivalentUnifiedIdeograph.txt, DerivedCoreProperties.txt,
  emoji/emoji-data.txt;
* Python's ``unicodedata`` (compatibility ideographs, via NFC);
* Unicode's confusables.txt as shipped by PyPI ``confusable-homoglyphs`` (confusables.json).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

UCD = Path("/usr/share/unicode")
OUT = Path(__file__).resolve().parent.parent / "data" / "unicode"
_RANGE = re.compile(r"^([0-9A-F]{4,6})(?:\.\.([0-9A-F]{4,6}))?\s*;\s*([^#]+?)\s*(?:#|$)")


def _cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3FFFF or 0xF900 <= cp <= 0xFAFF


def char_costs() -> dict[str, float]:
    """-log10 relative frequency of each CJK ideograph in jieba's dictionary (weighted by word)."""
    import jieba
    import opencc

    counts: Counter[str] = Counter()
    path = Path(jieba.__file__).parent / "dict.txt"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, freq = parts[0], int(parts[1])
            for ch in word:
                if _cjk(ch):
                    counts[ch] += freq
    s2t = opencc.OpenCC("s2t")
    s2hk = opencc.OpenCC("s2hk")
    s2tw = opencc.OpenCC("s2tw")
    for ch, count in list(counts.items()):
        for converter in (s2t, s2tw, s2hk):
            trad = converter.convert(ch)
            if len(trad) == 1 and trad != ch:
                counts[trad] = max(counts[trad], count)
    # Traditional forms (麵, 後 …): at least a third of the frequency of their Simplified form.
    t2s = opencc.OpenCC("t2s")
    for cp in range(0x4E00, 0xA000):
        ch = chr(cp)
        simple = t2s.convert(ch)
        if len(simple) == 1 and simple != ch and counts.get(simple):
            counts[ch] = max(counts[ch], counts[simple] // 3)
    total = sum(counts.values())
    return {ch: round(-math.log10(n / total), 2) for ch, n in counts.items()}


def _ranges(path: Path, wanted: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _RANGE.match(line)
        if match and match.group(3) == wanted:
            lo = int(match.group(1), 16)
            out.append((lo, int(match.group(2) or match.group(1), 16)))
    return sorted(out)


def radicals() -> dict[str, str]:
    """Kangxi radicals, CJK Radicals Supplement and compatibility ideographs → unified."""
    table: dict[str, str] = {}
    for line in (UCD / "EquivalentUnifiedIdeograph.txt").read_text().splitlines():
        match = _RANGE.match(line)
        if not match:
            continue
        target = chr(int(match.group(3).split()[0], 16))
        lo = int(match.group(1), 16)
        for cp in range(lo, int(match.group(2) or match.group(1), 16) + 1):
            table[chr(cp)] = target
    for cp in list(range(0xF900, 0xFB00)) + list(range(0x2F800, 0x2FA20)):
        ch = chr(cp)
        nfc = unicodedata.normalize("NFC", ch)
        if nfc != ch and len(nfc) == 1:
            table[ch] = nfc
    for cp in range(0x2F00, 0x2FE0):  # any Kangxi radical the file lacks: NFKC
        ch = chr(cp)
        nfkc = unicodedata.normalize("NFKC", ch)
        if ch not in table and nfkc != ch and len(nfkc) == 1:
            table[ch] = nfkc
    return table


def homoglyphs() -> dict[str, str]:
    """Cyrillic and Greek letters that Unicode lists as confusable with one ASCII letter."""
    import confusable_homoglyphs

    data = json.loads(
        (Path(confusable_homoglyphs.__file__).parent / "confusables.json").read_text("utf-8")
    )
    table: dict[str, str] = {}
    for key, entries in data.items():
        for entry in entries:
            # confusables.json lists, for each character, the characters it is confused with.
            pair = (key, entry["c"])
            for src, dst in (pair, pair[::-1]):
                if len(src) != 1 or len(dst) != 1 or not (dst.isascii() and dst.isalpha()):
                    continue
                name = unicodedata.name(src, "")
                if not (name.startswith("CYRILLIC") or name.startswith("GREEK")):
                    continue
                if not src.isalpha():
                    continue
                # Keep the case: a lower-case look-alike maps to a lower-case letter.
                if src.islower() != dst.islower() and src.lower() != src.upper():
                    continue
                table.setdefault(src, dst)
    return table


def write_ranges(path: Path, ranges: list[tuple[int, int]], header: str) -> None:
    lines = [f"# {header}"] + [f"{lo:04X}\t{hi:04X}" for lo, hi in ranges]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    costs = char_costs()
    rows = sorted(costs.items(), key=lambda item: (item[1], item[0]))
    (out / "char_cost.tsv").write_text(
        "# char\t-log10(relative frequency); built by service.build.unicode_tables\n"
        + "".join(f"{ch}\t{cost}\n" for ch, cost in rows),
        encoding="utf-8",
    )
    table = radicals()
    (out / "radicals.tsv").write_text(
        "# radical or compatibility ideograph\tunified ideograph\n"
        + "".join(f"{src}\t{dst}\t{ord(src):04X}\t{ord(dst):04X}\n" for src, dst in sorted(table.items())),
        encoding="utf-8",
    )
    glyphs = homoglyphs()
    (out / "homoglyphs.tsv").write_text(
        "# Cyrillic/Greek look-alike\tASCII letter\n"
        + "".join(f"{src}\t{dst}\t{ord(src):04X}\n" for src, dst in sorted(glyphs.items())),
        encoding="utf-8",
    )
    write_ranges(
        out / "default_ignorable.tsv",
        _ranges(UCD / "DerivedCoreProperties.txt", "Default_Ignorable_Code_Point"),
        "Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt)",
    )
    write_ranges(
        out / "pictographic.tsv",
        _ranges(UCD / "emoji" / "emoji-data.txt", "Extended_Pictographic"),
        "Extended_Pictographic ranges (emoji-data.txt)",
    )
    print(f"wrote {len(rows)} char costs, {len(table)} radicals, {len(glyphs)} homoglyphs to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
