"""No module outside service/worker/compat.py touches a private attribute of a library.

AST check over ``service/``: an attribute access ``x._name`` is allowed when ``x`` is ``self`` or
``cls``, when ``_name`` is defined in the same module (its own class attributes, functions or
assignments), or when ``x`` names an imported module other than faust, aiokafka, mode or
prometheus_client (the project's own modules, ``os._exit``).  Any other base (an object of unknown
type) counts: it may well be a library's object.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2] / "service"
ALLOWED_FILES = {SERVICE / "worker" / "compat.py"}
LIBRARIES = {"faust", "aiokafka", "mode", "prometheus_client"}
#: (path relative to service/, attribute) being moved behind compat.py by their owners.
#: They can call service.worker.compat.refresh_metadata / fetch_all_metadata(consumer) instead.
KNOWN_OFFENDERS: set[tuple[str, str]] = set()


def _imported_modules(tree: ast.AST) -> dict[str, str]:
    """Local name → the module (or module attribute) it was imported as."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            for alias in node.names:
                names[alias.asname or alias.name] = f"{prefix}.{alias.name}"
    return names


def _own_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def private_accesses(path: Path) -> list[tuple[int, str]]:
    """``(line, attribute)`` of every foreign private attribute read in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    own = _own_names(tree)
    imported = _imported_modules(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__") and name.endswith("__"):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            continue
        if name in own:
            continue
        if isinstance(base, ast.Name) and base.id in imported and \
                imported[base.id].split(".")[0] not in LIBRARIES:
            continue  # a private name of the project's own (or the standard library's) module
        found.append((node.lineno, name))
    return found


def test_the_checker_catches_private_reads(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nimport faust\nfrom service import mojibake\n"
                      "class A:\n    _mine = 1\n\ndef f(app, c):\n    app._mine\n"
                      "    c._consumer._conns\n    self_ = app._thread\n    mojibake._ANCHOR\n"
                      "    faust._internal\n    os._exit(0)\n")
    assert sorted(name for _, name in private_accesses(sample)) == [
        "_conns", "_consumer", "_internal", "_thread"]


def test_only_compat_touches_private_attributes():
    offenders = []
    for path in sorted(SERVICE.rglob("*.py")):
        if path in ALLOWED_FILES:
            continue
        for line, name in private_accesses(path):
            relative = str(path.relative_to(SERVICE))
            if (relative, name) not in KNOWN_OFFENDERS:
                offenders.append(f"service/{relative}:{line}: {name}")
    assert not offenders, "private attributes outside compat.py:\n" + "\n".join(offenders)


def test_versions_are_checked_at_start_up(monkeypatch):
    """An unknown faust-streaming or aiokafka stops the worker with one line naming both."""
    import pytest

    from service.errors import ConfigError
    from service.worker import compat

    compat.check_versions({})  # the installed ones are the known ones
    monkeypatch.setitem(compat.WRITTEN_FOR, "aiokafka", "0.99")
    with pytest.raises(ConfigError) as caught:
        compat.check_versions({})
    message = str(caught.value)
    assert "\n" not in message and "aiokafka" in message and "0.99.x" in message
    assert compat.ALLOW_ENV in message
    compat.check_versions({compat.ALLOW_ENV: "1"})  # at the operator's own risk
