"""Fetch ``service/data/spun/word3.bin``: the word 3-gram KenLM model of the fcitx5 input method.

Run: ``python -m service.build.spun_word_lm [--deb PATH] [--out PATH]``.  Without ``--deb`` the
Debian package ``libime-data-language-model`` ``VERSION`` (LGPL-2.1+) is fetched with
``apt-get download`` into a temporary directory.  The package's ``zh_CN.lm`` (a KenLM binary,
17 MB) is copied unchanged and must have ``SHA256``: the swap judge (``swapper.json``) was trained
with exactly this model, so another one means rebuilding the judge too.  Nothing is trained here.
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
VERSION = "1.0.16-1"
MEMBER = "zh_CN.lm"
SHA256 = "e4097ca9ca1082928c2ea7d5e368080a696611efa0714dfe563c769f26a415d2"


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
            subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=tmp, check=True)
            found = sorted(Path(tmp).glob(f"{PACKAGE}_*.deb"))
            if not found:
                raise SystemExit(f"apt-get download {PACKAGE}={VERSION} gave no package")
            deb = found[0]
        extract(deb, args.out)
        print(f"{deb.name} -> {args.out}")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out.stat().st_size} bytes, sha256 {digest}")
    if digest != SHA256:
        raise SystemExit(f"sha256 {digest} is not the model the judge was trained with ({SHA256})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
