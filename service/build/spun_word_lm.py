"""Fetch ``service/data/spun/word3.bin``: the word 3-gram KenLM model of the fcitx5 input method.

Run: ``python -m service.build.spun_word_lm [--deb PATH] [--out PATH]``.  Without ``--deb`` the
Debian package ``libime-data-language-model`` (LGPL-2.1+; 1.0.16-1 when this was written) is
fetched with ``apt-get download`` into a temporary directory.  The package's ``zh_CN.lm`` (a
KenLM binary, 17 MB) is copied unchanged; its size and SHA-256 are printed for the provenance
table.  Nothing is trained here: the model is used as it ships.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from service.spun.wordlm import MODEL_PATH

PACKAGE = "libime-data-language-model"
MEMBER = "zh_CN.lm"


def extract(deb: Path, out: Path) -> None:
    """Copy the package's ``zh_CN.lm`` to ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        found = sorted(root.rglob(MEMBER))
        if len(found) != 1:
            raise SystemExit(f"{deb.name}: expected one {MEMBER}, found {len(found)}")
        shutil.copyfile(found[0], out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="an already downloaded .deb of the package")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        deb = args.deb
        if deb is None:
            subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True)
            deb = next(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        extract(deb, args.out)
        print(f"{deb.name} -> {args.out}")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out.stat().st_size} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
