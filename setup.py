"""Build step beyond pyproject.toml: the spun engine's hot modules compiled with Cython.

The modules in ``COMPILED`` are ordinary Python (they run as they are from the source tree);
compiled, unchanged, they repair mixed text about a third faster and fully spun text about a
seventh faster (``qingliu bench repair``).  The build writes ``service/spun/compiled.json``
beside them with each source's SHA-256: at import, ``service.spun.compiled`` runs the source
instead of a compiled module whose source has changed since (an editable install compiles in
place), and ``QINGLIU_PURE_PYTHON=1`` runs the sources.

``QINGLIU_PURE_PYTHON=1`` at build time skips compiling; so does a machine without a C
compiler (the build says so and the engine runs as Python).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

# Where the repair time goes (profiles of ``qingliu bench repair``): the engine's evidence,
# decoding and judge (the swapper), the dictionary-neighbour scans, the LM window scores and the
# word segmentation.
COMPILED = (
    "service/spun/engine.py",
    "service/spun/neighbours.py",
    "service/spun/swapper.py",
    "service/spun/lm.py",
    "service/spun/wordlm.py",
    "service/spun/resources.py",
)
MANIFEST = "compiled.json"
# Python semantics unchanged: type annotations are not C types (``x: float = d.get(k)`` may be
# None), functions stay introspectable and patchable.
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
            print(f"qingliu: compiling the spun engine failed ({exc}); it runs as Python "
                  "(slower; see `qingliu bench repair`)", file=sys.stderr)
            return
        if not self.extensions:
            return
        from Cython import __version__ as cython_version

        manifest = {
            "compiler": f"Cython {cython_version}",
            "modules": {path[:-3].replace("/", "."): _sha256(path) for path in COMPILED},
        }
        target = Path(self.get_ext_fullpath(self.extensions[0].name)).parent / MANIFEST
        target.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _extensions() -> list:
    """The compiled modules, or none with ``QINGLIU_PURE_PYTHON`` set."""
    if os.environ.get("QINGLIU_PURE_PYTHON", "") not in ("", "0"):
        print("qingliu: QINGLIU_PURE_PYTHON set; the spun engine stays Python", file=sys.stderr)
        return []
    from Cython.Build import cythonize

    return cythonize(list(COMPILED), build_dir="build/cython", compiler_directives=DIRECTIVES,
                     quiet=True)


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildCompiled})
