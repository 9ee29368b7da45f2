"""Tagging speed: service.tagging.tag chars/s on the sample corpus."""

from __future__ import annotations

import argparse

from service.benchmarks import rates, rss_mib


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``qingliu bench tag``."""
    parser.add_argument("--min-time", type=float, default=2.0, metavar="S")
    parser.add_argument("--tiny", action="store_true", help="a few lines only (smoke test)")


def run(args: argparse.Namespace) -> int:
    """Print chars/s per post-sized call and on the whole text."""
    from service import samples
    from service.tagging import tag

    lines = samples.mixed_text().splitlines()
    if args.tiny:
        lines = lines[:3]
    text = "\n".join(lines)
    for line in lines:
        tag(line)  # warm up
    min_time = 0.05 if args.tiny else args.min_time
    found = rates(
        {"per_line": lambda: [tag(line) for line in lines], "whole": lambda: tag(text)},
        len(text),
        min_time,
    )
    # (per line: the characters of the lines alone, without the line breaks)
    per_line = found["per_line"] * sum(map(len, lines)) / len(text)
    whole = found["whole"]
    print(f"corpus: {len(lines)} lines, {len(text)} chars")
    print(f"tag() per line: {per_line:12,.0f} chars/s ({per_line / max(1, len(text) / len(lines)):,.0f} lines/s)")
    print(f"tag() whole   : {whole:12,.0f} chars/s")
    print(f"RSS: {rss_mib():.1f} MiB")
    return 0
