"""Write synthetic spun/original evaluation pairs from the held-out clean text.

Run: ``python -m service.build.spun_synthetic [OUT_DIR] [N]``.  Takes held-out paragraphs 1000..
1000+N of ``service/data/spun/heldout_clean.txt`` (never used for LM training; disjoint from the
paragraphs the unit tests use) and spins each with ``service.spun.spinner.spin`` (seed = line
number) for the news and tech variants at rate 1.0 and 0.6.  Output files, one paragraph a line:
``synth_{variant}_r{rate}_{spun,orig}.txt`` in OUT_DIR (default ``tests/data/spun``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from service.spun.spinner import spin

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "service" / "data" / "spun" / "heldout_clean.txt"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "tests" / "data" / "spun"
    n = int(argv[1]) if len(argv) > 1 else 200
    paras = [p for p in HELDOUT.read_text("utf-8").splitlines() if p.strip()][1000 : 1000 + n]
    out.mkdir(parents=True, exist_ok=True)
    for variant in ("news", "tech"):
        for rate in (1.0, 0.6):
            spun = [spin(p, seed=i, rate=rate, variant=variant) for i, p in enumerate(paras)]
            stem = f"synth_{variant}_r{rate:.1f}"
            (out / f"{stem}_spun.txt").write_text("\n".join(spun) + "\n", "utf-8")
            (out / f"{stem}_orig.txt").write_text("\n".join(paras) + "\n", "utf-8")
    print(f"{len(paras)} paragraphs x 4 sets -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
