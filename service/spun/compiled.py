"""Which of the spun engine's modules run compiled, and a guard against stale compiled copies.

The build (``setup.py``) compiles the engine's hot modules with Cython, unchanged, and writes
``compiled.<extension tag>.json`` beside them (:data:`MANIFEST`, one per interpreter, as the
compiled files are): each source's SHA-256 at the time.  Python imports a compiled
module before its source, so after an edit to a module compiled in place (an editable install)
the old code would run.  :func:`prefer_current_sources`, called when the package is imported,
loads the source of every module whose compiled copy does not match it, and of every module
when ``QINGLIU_PURE_PYTHON`` is set (profiling, debugging, comparing the two).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import logging
import os
import sys
import sysconfig
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

# (setup.py's manifest_name: the same name)
_EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
MANIFEST = "compiled" + _EXT_SUFFIX.removesuffix(".so") + ".json"
PURE_ENV = "QINGLIU_PURE_PYTHON"

log = logging.getLogger(__name__)


def pure_python_requested() -> bool:
    """Whether ``QINGLIU_PURE_PYTHON`` asks for the Python sources."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def _manifest(folder: Path) -> dict:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    modules = data.get("modules") if isinstance(data, dict) else None
    return data if isinstance(modules, dict) else {}


def _compiled_file(folder: Path, stem: str) -> Path | None:
    for suffix in EXTENSION_SUFFIXES:
        path = folder / (stem + suffix)
        if path.is_file():
            return path
    return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their Python sources (ahead of the path's compiled copies)."""

    def __init__(self) -> None:
        self.sources: dict[str, Path] = {}

    def find_spec(self, name: str, path: object = None, target: object = None):
        source = self.sources.get(name)
        return None if source is None else importlib.util.spec_from_file_location(name, source)


_finder = _SourceFinder()


def prefer_current_sources(package: str, folder: Path, pure: bool | None = None) -> list[str]:
    """Have the modules of ``package`` (in ``folder``) whose compiled copy is not from their
    current source, or all of them when ``pure`` (default: :func:`pure_python_requested`), load
    from their sources.  Returns their names.

    Must run before those modules are first imported (the package's ``__init__`` calls it)."""
    pure = pure_python_requested() if pure is None else pure
    recorded = _manifest(folder).get("modules", {})
    redirected: list[str] = []
    for source in sorted(folder.glob("*.py")):
        name = f"{package}.{source.stem}"
        if _compiled_file(folder, source.stem) is None:
            continue
        if not pure and recorded.get(name) == hashlib.sha256(source.read_bytes()).hexdigest():
            continue
        _finder.sources[name] = source
        redirected.append(name)
        if pure:
            continue
        why = (
            "changed since it was compiled"
            if name in recorded
            else "has a compiled copy with no record of its source"
        )
        log.warning("%s %s: running its source (pip install -e . compiles it again)", source, why)
    if redirected and _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    return redirected


def status() -> dict[str, str]:
    """Each engine module that has a compiled copy → ``"compiled"``, or ``"source"`` where
    :func:`prefer_current_sources` runs its source; empty when nothing was compiled."""
    folder = Path(__file__).resolve().parent
    return _status(folder, _manifest(folder))


def _status(folder: Path, manifest: dict) -> dict[str, str]:
    return {
        name: "source" if name in _finder.sources else "compiled"
        for name in sorted(manifest.get("modules", {}))
        if _compiled_file(folder, name.rpartition(".")[2]) is not None
    }


def describe() -> str:
    """One line for logs and benchmarks: how the engine runs."""
    folder = Path(__file__).resolve().parent
    manifest = _manifest(folder)
    states = _status(folder, manifest)
    if not states:
        return "spun engine: Python (not compiled)"
    compiled = [name.rpartition(".")[2] for name, state in states.items() if state == "compiled"]
    others = [name.rpartition(".")[2] for name, state in states.items() if state != "compiled"]
    compiler = manifest.get("compiler", "compiled")
    if not others:
        return f"spun engine: compiled ({compiler}): {', '.join(compiled)}"
    if not compiled:
        return f"spun engine: Python ({', '.join(others)} compiled but not in use)"
    return (f"spun engine: partly compiled ({compiler}): {', '.join(compiled)}; Python: "
            f"{', '.join(others)}")
