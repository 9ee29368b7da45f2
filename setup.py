"""Build step beyond pyproject.toml: the spun engine's hot modules compiled with Cython.

The modules in ``COMPILED`` are ordinary Python (they run as they are from the source tree);
compiled, unchanged, they repair mixed text about a third faster and fully spun text about a
seventh faster (``qingliu bench repair``).  The build writes ``compiled.<interpreter tag>.json``
beside them (one per interpreter, as the compiled files are) with each source's SHA-256, taken
before Cython reads it: at import, ``service.spun.compiled`` runs the source instead of a
compiled module whose source has changed since (an editable install compiles in place), and
``QINGLIU_PURE_PYTHON=1`` runs the sources.

``QINGLIU_PURE_PYTHON=1`` at build time skips compiling and removes the copies an earlier
editable install compiled in place.  A machine that cannot compile gets the Python engine with
a line saying so (which pip shows only with ``-v``); ``QINGLIU_REQUIRE_COMPILED=1`` makes that an
error instead (the image's build sets it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

# Where the repair time goes (profiles of ``qingliu bench repair``): the engine's evidence,
# decoding and judges (the swapper and the padding judge), the dictionary-neighbour scans, the LM
# window scores and the word segmentation.
COMPILED = (
    "service/spun/engine.py",
    "service/spun/neighbours.py",
    "service/spun/swapper.py",
    "service/spun/padding.py",
    "service/spun/lm.py",
    "service/spun/wordlm.py",
    "service/spun/resources.py",
)
PURE_ENV = "QINGLIU_PURE_PYTHON"
REQUIRE_ENV = "QINGLIU_REQUIRE_COMPILED"
# Python semantics unchanged: type annotations are not C types (``x: float = d.get(k)`` may be
# None), functions stay introspectable and patchable.
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}


def manifest_name() -> str:
    """``compiled.<extension tag>.json``: the record of this interpreter's compiled files (a 3.11
    and a 3.12 build of one tree each keep theirs; service.spun.compiled reads the same name)."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return "compiled" + suffix.removesuffix(".so") + ".json"


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# Each source's hash, taken before Cython reads it: an edit saved during the build is never
# recorded as compiled.
SOURCES: dict[str, str] = {}


def _cannot_compile(reason: str) -> None:
    """Say that the engine stays Python, or stop the build with ``QINGLIU_REQUIRE_COMPILED``."""
    if _flag(REQUIRE_ENV):
        raise SystemExit(f"qingliu: {reason} ({REQUIRE_ENV}=1)")
    print(f"qingliu: {reason}; the spun engine runs as Python (slower; see `qingliu bench "
          "repair`)", file=sys.stderr)


class BuildCompiled(build_ext):
    """``build_ext`` that compiles on every core, writes the manifest of what it compiled, and
    leaves the engine as Python, saying why, where the machine cannot compile it."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any compiler failure leaves the Python sources
            _cannot_compile(f"compiling the spun engine failed ({exc})")
            return
        if not self.extensions:
            return
        from Cython import __version__ as cython_version

        manifest = {"compiler": f"Cython {cython_version}", "modules": dict(SOURCES)}
        target = Path(self.get_ext_fullpath(self.extensions[0].name)).parent / manifest_name()
        target.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _remove_compiled_copies() -> None:
    """The compiled copies and records an earlier editable install left in the source tree."""
    for path in map(Path, COMPILED):
        for copy in path.parent.glob(f"{path.stem}.*.so"):
            copy.unlink()
    for folder in {Path(path).parent for path in COMPILED}:
        for record in folder.glob("compiled*.json"):
            record.unlink()


def _extensions() -> list:
    """The compiled modules, or none with ``QINGLIU_PURE_PYTHON`` set or Cython failing."""
    if _flag(PURE_ENV):
        _remove_compiled_copies()
        print(f"qingliu: {PURE_ENV} set; the spun engine stays Python", file=sys.stderr)
        return []
    SOURCES.update({path[:-3].replace("/", "."): _sha256(path) for path in COMPILED})
    try:
        from Cython.Build import cythonize

        # force: translated afresh from the sources just hashed, whatever build/ holds
        return cythonize(list(COMPILED), build_dir="build/cython",
                         compiler_directives=DIRECTIVES, quiet=True, force=True)
    except Exception as exc:  # (Cython missing, or a construct it rejects)
        _cannot_compile(f"translating the spun engine with Cython failed ({exc})")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildCompiled})
