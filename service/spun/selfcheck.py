"""Speed and memory self-check of the spun engine.

Run: ``python -m service.spun.selfcheck [--posts N] [--spun-only]``.  Builds a mixed set of posts
(held-out clean paragraphs and the same paragraphs through the synthetic spinner, alternating
news/tech; ``--spun-only``: the spun versions only) and
reports engine characters per CPU-second (``service.spun.fix`` per post, detect first, as the pipeline
does), ``jieba.lcut(text, HMM=False)`` characters per second on the same posts, and the process RSS.
"""

from __future__ import annotations

import argparse
import gc
import time

import psutil

from service.spun.lexicon import LEXICON_PATH


def posts(limit: int, spun_only: bool = False) -> list[str]:
    """Held-out paragraphs and their spun versions (``spun_only``: ``limit`` spun ones only)."""
    from service.spun.spinner import spin

    clean = [
        p
        for p in (LEXICON_PATH.parent / "heldout_clean.txt").read_text("utf-8").splitlines()
        if p.strip()
    ]
    out: list[str] = []
    for i, para in enumerate(clean[: limit if spun_only else limit // 2]):
        if not spun_only:
            out.append(para)
        out.append(spin(para, seed=i, variant="tech" if i % 2 else "news"))
    return out


def quality(limit: int) -> None:
    """Clean-text changes, post-level AUROC and synthetic restoration on held-out text."""
    import json

    from service import spun
    from service.edits import apply_edits
    from service.spun.evaluate import distance
    from service.spun.spinner import spin

    held = [
        p
        for p in (LEXICON_PATH.parent / "heldout_clean.txt").read_text("utf-8").splitlines()
        if p.strip()
    ][:limit]
    labelled_dir = LEXICON_PATH.parents[3] / "tests" / "data"
    labelled = [
        json.loads(line)["text"]
        for path in sorted(labelled_dir.glob("labelled_paragraphs_*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line
    ]
    tricky = [
        line
        for line in (labelled_dir / "spun" / "clean_tricky.txt").read_text("utf-8").splitlines()
        if line
    ]
    for name, paras in (("held-out", held), ("labelled", labelled), ("tricky", tricky)):
        changed = total = 0
        clean_scores: list[float] = []
        for para in paras:
            result = spun.fix(para)
            total += len(para)
            changed += sum(max(e.end - e.start, len(e.after)) for e in result.edits)
            clean_scores.append(result.score)
        print(f"{name}: {changed} changed chars in {total} = {1e4 * changed / total:.2f} per 10k")
        for variant in ("news", "tech"):
            for rate in (1.0, 0.6):
                before = after = 0
                scores: list[float] = []
                for i, para in enumerate(paras):
                    spun_text = spin(para, seed=i, rate=rate, variant=variant)
                    if spun_text == para:
                        continue
                    result = spun.fix(spun_text)
                    scores.append(result.score)
                    before += distance(spun_text, para)[0]
                    after += distance(apply_edits(spun_text, result.edits), para)[0]
                wins = sum((p > n) + 0.5 * (p == n) for p in scores for n in clean_scores)
                auroc = wins / max(1, len(scores) * len(clean_scores))
                print(
                    f"  {variant} rate {rate}: AUROC {auroc:.4f}; per-paragraph errors "
                    f"removed {(before - after) / max(before, 1):.3f}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--spun-only", action="store_true", help="time fully spun posts only (the slow case)"
    )
    parser.add_argument(
        "--quality",
        type=int,
        metavar="N",
        default=0,
        help="instead: clean-text changes and AUROC on N held-out paragraphs",
    )
    args = parser.parse_args(argv)
    if args.quality:
        quality(args.quality)
        return 0
    import jieba

    from service import spun

    texts = posts(args.posts, args.spun_only)
    chars = sum(map(len, texts))
    spun.fix("年夜")  # load the engine
    jieba.lcut("预热", HMM=False)
    gc.collect()
    rss = psutil.Process().memory_info().rss / 2**20

    def once(fn) -> float:
        started = time.process_time()  # CPU time: less sensitive to other load on the machine
        for text in texts:
            fn(text)
        return time.process_time() - started

    def engine(text: str) -> None:
        if spun.detect(text):
            spun.fix(text)

    def segment(text: str) -> None:
        jieba.lcut(text, HMM=False)

    best_engine = best_jieba = float("inf")
    for _ in range(args.repeat):  # interleaved, best of each
        best_engine = min(best_engine, once(engine))
        best_jieba = min(best_jieba, once(segment))
    engine_cps, jieba_cps = chars / best_engine, chars / best_jieba
    print(f"posts {len(texts)}, chars {chars}")
    print(f"engine chars/s {engine_cps:,.0f}")
    print(f"jieba  chars/s {jieba_cps:,.0f}  (HMM=False)")
    print(f"ratio  {engine_cps / jieba_cps:.2f}  (target >= 0.5)")
    print(f"RSS after loading engine + jieba: {rss:.0f} MB (target <= 400)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
