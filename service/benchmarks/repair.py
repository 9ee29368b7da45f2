"""Repair speed: full pipeline.repair_text vs jieba, encoding stages vs ftfy, and RSS."""

from __future__ import annotations

import argparse
from pathlib import Path

from service.benchmarks import rates, rss_mib

# Fully spun text: the synthetic spinner applied to every line (rate 1.0), news and tech.
SPUN_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "spun"
SPUN_FILES = ("synth_news_r1.0_spun.txt", "synth_tech_r1.0_spun.txt")


def spun_text() -> str | None:
    """The fully spun corpus (one text), or None where the test data is not present."""
    paths = [SPUN_DIR / name for name in SPUN_FILES]
    if not all(path.is_file() for path in paths):
        return None
    return "\n".join(path.read_text(encoding="utf-8").rstrip("\n") for path in paths)


def _cold_repair(*posts: str) -> None:
    """``repair_text`` of each post after emptying the spun engine's LM window memos (they then
    hold one run's windows, so emptying them costs next to nothing): a stream's posts are new."""
    from service import pipeline
    from service.spun.engine import engine

    eng = engine()
    eng.window_score.clear()
    eng.swapper.word_score.clear()
    for post in posts:
        pipeline.repair_text(post)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``qingliu bench repair``."""
    parser.add_argument("--min-time", type=float, default=2.0, metavar="S",
                        help="measure each side for at least S seconds (default 2)")
    parser.add_argument("--repeat-text", type=int, default=1, metavar="N",
                        help="concatenate the corpus N times (default 1)")
    parser.add_argument("--tiny", action="store_true", help="a few lines only (smoke test)")


def run(args: argparse.Namespace) -> int:
    """Print chars/s of each side and the ratios."""
    import ftfy
    import jieba

    from service import pipeline, samples

    jieba.setLogLevel(60)
    mixed = samples.mixed_text()
    clean_lines = samples.texts("clean-texts.txt")
    dev = samples.seed_dev()
    if dev is not None:
        clean_lines = [line.replace("⟦", "").replace("⟧", "") for line in dev[1]] + clean_lines
    clean = "\n".join(clean_lines)
    spun = spun_text()
    if args.tiny:
        mixed, clean = "\n".join(mixed.splitlines()[:3]), "\n".join(clean_lines[:3])
        spun = None if spun is None else "\n".join(spun.splitlines()[:3])
    mixed *= max(1, args.repeat_text)
    clean *= max(1, args.repeat_text)
    if spun is not None:
        spun *= max(1, args.repeat_text)
    # Warm up as a worker does (load dictionaries and models, settle the heap) before measuring
    # or reading RSS.
    pipeline.warm_up()
    pipeline.repair_text(mixed)
    jieba.lcut(mixed, HMM=False)
    pipeline.repair_text(clean, fixers=pipeline.ENCODING_FIXERS)
    ftfy.fix_text(clean)
    rss = rss_mib()
    min_time = 0.05 if args.tiny else args.min_time

    # Each measure is timed in turns with its baseline (``rates``), so that both see the same
    # machine.  The second row empties the process-wide LM window memos first: repeating one
    # text lets every window hit them, which a stream of new posts cannot; it is the pessimistic
    # bound.
    mixed_rates = rates(
        {
            "full": lambda: pipeline.repair_text(mixed),
            "cold": lambda: _cold_repair(mixed),
            "seg": lambda: jieba.lcut(mixed, HMM=False),
        },
        len(mixed),
        min_time,
    )
    full, cold, seg = mixed_rates["full"], mixed_rates["cold"], mixed_rates["seg"]
    posts = [line for line in mixed.splitlines() if line.strip()]
    post_rates = rates(
        {
            "repair": lambda: _cold_repair(*posts),
            "seg": lambda: [jieba.lcut(line, HMM=False) for line in posts],
        },
        sum(map(len, posts)),
        min_time,
    )
    per_post, per_post_seg = post_rates["repair"], post_rates["seg"]
    encoding_rates = rates(
        {
            "repair": lambda: pipeline.repair_text(clean, fixers=pipeline.ENCODING_FIXERS),
            "ftfy": lambda: ftfy.fix_text(clean),
        },
        len(clean),
        min_time,
    )
    enc, ft = encoding_rates["repair"], encoding_rates["ftfy"]
    if spun is not None:
        pipeline.repair_text(spun)
        spun_rates = rates(
            {
                "repair": lambda: pipeline.repair_text(spun),
                "seg": lambda: jieba.lcut(spun, HMM=False),
            },
            len(spun),
            min_time,
        )
        spun_full, spun_seg = spun_rates["repair"], spun_rates["seg"]
    from service.spun.compiled import describe

    source = "seed-dev + shipped samples" if dev is not None else "shipped samples"
    print(describe())
    print(f"corpus: {source}; mixed {len(mixed)} chars, clean {len(clean)} chars")
    print(f"{'measure':44} {'chars/s':>12} {'ratio':>8}")
    print(f"{'full repair_text (mixed spun+clean)':44} {full:12,.0f} {full / seg:8.2f}  "
          "vs jieba")
    print(f"{'  the same, LM window memos emptied first':44} {cold:12,.0f} {cold / seg:8.2f}  "
          "vs jieba")
    print(f"{'jieba.lcut(HMM=False) (baseline)':44} {seg:12,.0f} {1:8.2f}")
    print(f"{'each mixed line as a post, memos emptied':44} {per_post:12,.0f} "
          f"{per_post / per_post_seg:8.2f}  vs jieba")
    print(f"{'jieba.lcut(HMM=False) line by line':44} {per_post_seg:12,.0f} {1:8.2f}")
    if spun is not None:
        print(f"{'full repair_text (fully spun, ' + str(len(spun)) + ' chars)':44} "
              f"{spun_full:12,.0f} {spun_full / spun_seg:8.2f}  vs jieba")
        print(f"{'jieba.lcut(HMM=False) (same spun text)':44} {spun_seg:12,.0f} {1:8.2f}")
    print(f"{'encoding stages repair_text (clean text)':44} {enc:12,.0f} {enc / ft:8.2f}  "
          "vs ftfy")
    print(f"{'ftfy.fix_text (baseline)':44} {ft:12,.0f} {1:8.2f}")
    print(f"RSS after loading everything: {rss:.1f} MiB")
    return 0
