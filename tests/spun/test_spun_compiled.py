"""The spun engine's compiled modules (setup.py): the guard that runs a module's source when its
compiled copy is stale, and compiled and Python engines giving the same output."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from service.spun import compiled

REPO = Path(__file__).resolve().parents[2]
BLIND = REPO / "tests" / "data" / "blind"


def _package(tmp_path: Path, name: str, manifest_source: str | None) -> Path:
    """A package ``name`` with a module ``mod`` (source returns "source") beside a file named as
    its compiled copy that cannot be loaded (importing it fails), and a manifest recording the
    hash of ``manifest_source``."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    source = "WHERE = 'source'\n"
    (folder / "mod.py").write_text(source)
    (folder / ("mod" + EXTENSION_SUFFIXES[0])).write_bytes(b"not a shared object")
    if manifest_source is not None:
        digest = hashlib.sha256(manifest_source.encode()).hexdigest()
        (folder / compiled.MANIFEST).write_text(
            json.dumps({"compiler": "test", "modules": {f"{name}.mod": digest}}))
    return folder


@pytest.fixture
def fresh_finder(monkeypatch):
    """A finder of its own for each test (the module's is process-wide)."""
    finder = compiled._SourceFinder()
    monkeypatch.setattr(compiled, "_finder", finder)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield finder
    for name in [n for n in sys.modules if n.startswith("qlpkg")]:
        del sys.modules[name]


@pytest.mark.parametrize("manifest", [None, "WHERE = 'an older source'\n"])
def test_a_stale_or_unrecorded_compiled_copy_runs_the_source(tmp_path, fresh_finder, manifest):
    name = f"qlpkg_stale_{'none' if manifest is None else 'old'}"
    folder = _package(tmp_path, name, manifest)
    sys.path.insert(0, str(tmp_path))
    package = importlib.import_module(name)
    assert compiled.prefer_current_sources(name, folder, pure=False) == [f"{name}.mod"]
    module = importlib.import_module(f"{name}.mod")
    assert module.WHERE == "source" and module.__file__.endswith("mod.py")
    assert package.mod is module


def test_a_current_compiled_copy_is_left_to_the_import_system(tmp_path, fresh_finder):
    folder = _package(tmp_path, "qlpkg_current", "WHERE = 'source'\n")
    sys.path.insert(0, str(tmp_path))
    importlib.import_module("qlpkg_current")
    assert compiled.prefer_current_sources("qlpkg_current", folder, pure=False) == []
    # (the import system takes the compiled file: here a broken one, so the import fails)
    with pytest.raises(ImportError):
        importlib.import_module("qlpkg_current.mod")


def test_pure_python_runs_every_source(tmp_path, fresh_finder):
    folder = _package(tmp_path, "qlpkg_pure", "WHERE = 'source'\n")
    sys.path.insert(0, str(tmp_path))
    importlib.import_module("qlpkg_pure")
    assert compiled.prefer_current_sources("qlpkg_pure", folder, pure=True) == ["qlpkg_pure.mod"]
    assert importlib.import_module("qlpkg_pure.mod").WHERE == "source"


def test_modules_without_a_compiled_copy_are_left_alone(tmp_path, fresh_finder):
    folder = _package(tmp_path, "qlpkg_plain", None)
    (folder / ("mod" + EXTENSION_SUFFIXES[0])).unlink()
    assert compiled.prefer_current_sources("qlpkg_plain", folder, pure=True) == []


def test_the_engine_reports_how_it_runs():
    line = compiled.describe()
    states = compiled.status()
    assert line.startswith("spun engine: ")
    if not states:
        assert line == "spun engine: Python (not compiled)"
        return
    module = sys.modules.get("service.spun.engine") or importlib.import_module(
        "service.spun.engine")
    on_disk = "compiled" if module.__file__.endswith(tuple(EXTENSION_SUFFIXES)) else "source"
    assert states["service.spun.engine"] == on_disk
    assert ("compiled (" in line) == all(s == "compiled" for s in states.values())


def _repair(lines: Path, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    if pure:
        env[compiled.PURE_ENV] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "repair", "--explain", str(lines)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=True)
    return result.stdout


@pytest.mark.slow
def test_compiled_and_python_engines_repair_alike(tmp_path):
    """The same edits, scores and tags, line for line, on spun and clean blind posts."""
    states = compiled.status()
    if not states or set(states.values()) != {"compiled"}:
        pytest.skip(f"the engine is not (all) compiled in this install: {compiled.describe()} "
                    "(pip install -e . compiles it)")
    posts = []
    for name in ("round20", "round21"):
        for path in sorted((BLIND / name / "spun").glob("*.txt")):
            posts += path.read_text(encoding="utf-8").splitlines()[:40]
        posts += (BLIND / name / "texts" / "clean_short.txt").read_text(
            encoding="utf-8").splitlines()[:60]
    lines = tmp_path / "posts.txt"
    lines.write_text("\n".join(posts) + "\n", encoding="utf-8")
    assert _repair(lines, pure=False) == _repair(lines, pure=True)


def _can_compile() -> bool:
    """Whether this interpreter's C compiler and headers are here (what setup.py needs)."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler) is not None and headers.is_file()


def test_a_machine_that_compiles_runs_the_compiled_engine():
    """Where a C compiler and Python's headers exist and nothing asked for Python, the install
    compiled the engine (the speed figures of ``qingliu bench repair`` assume it); a module
    edited since runs as source and is reported so."""
    if not _can_compile() or compiled.pure_python_requested():
        pytest.skip("no C compiler or Python headers here, or QINGLIU_PURE_PYTHON set")
    states = compiled.status()
    assert states, "nothing compiled: run pip install -e . (setup.py compiles the engine)"
    assert set(states) >= {"service.spun.engine", "service.spun.neighbours",
                           "service.spun.swapper"}


def test_the_manifest_is_per_interpreter_and_the_image_build_requires_compiling():
    """setup.py and the runtime name the manifest alike (one per interpreter, as the compiled
    files are), and the image's build stops where the engine does not compile."""
    setup_py = (REPO / "setup.py").read_text(encoding="utf-8")
    assert 'get_config_var("EXT_SUFFIX")' in setup_py and '"compiled" + suffix' in setup_py
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert compiled.MANIFEST == "compiled" + suffix.removesuffix(".so") + ".json"
    assert 'REQUIRE_ENV = "QINGLIU_REQUIRE_COMPILED"' in setup_py
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "RUN QINGLIU_REQUIRE_COMPILED=1 pip wheel" in dockerfile
