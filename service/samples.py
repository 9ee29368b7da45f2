"""The shipped sample corpus (``service/data/samples/``) and synthetic post streams built from it.

Used by ``qingliu dev --demo`` and the benchmarks; nothing here reads test data.
"""

from __future__ import annotations

import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
SEED_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "seed-dev"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def demo_posts() -> list[bytes]:
    """Raw demo posts, one per line (bytes; one is GBK-encoded, five are deliberately bad)."""
    return [line for line in _read("demo-posts.jsonl").split(b"\n") if line.strip()]


def texts(name: str = "bench-texts.txt") -> list[str]:
    """Lines of a shipped text file (``bench-texts.txt``: spun and clean mixed)."""
    return [line for line in _read(name).decode("utf-8").splitlines() if line.strip()]


def seed_dev() -> tuple[list[str], list[str]] | None:
    """``(spun, orig)`` lines of ../shared/data/seed-dev when present, else None."""
    spun, orig = SEED_DEV / "spun.txt", SEED_DEV / "orig.txt"
    if not (spun.is_file() and orig.is_file()):
        return None
    return (spun.read_text(encoding="utf-8").splitlines(),
            orig.read_text(encoding="utf-8").splitlines())


def mixed_text() -> str:
    """One text of spun and clean lines: seed-dev (when present) plus the shipped lines."""
    lines = texts()
    dev = seed_dev()
    if dev is not None:
        lines = dev[0] + lines + [line.replace("⟦", "").replace("⟧", "") for line in dev[1]]
    return "\n".join(lines)


def make_posts(count: int, prefix: str = "p", sentences: tuple[int, int] = (3, 6)) -> list[bytes]:
    """``count`` valid raw posts with unique ids; each joins 3–6 sample lines (~100–300 chars)."""
    pool = texts("bench-texts.txt") + texts("clean-texts.txt")
    low, high = sentences
    out = []
    for i in range(count):
        size = low + i % (high - low + 1)
        text = "".join(pool[(i * 7 + j) % len(pool)] for j in range(size))
        post = {"id": f"{prefix}-{i:07d}", "text": text, "source": "bench", "lang": "zh", "ts": i}
        out.append(json.dumps(post, ensure_ascii=False).encode("utf-8"))
    return out
