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
