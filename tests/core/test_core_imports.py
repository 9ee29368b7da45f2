"""Layering, checked on the source: the runtime never imports tooling, only the command-line
entry imports the CLI, and there is one Traditional → Simplified converter."""

from __future__ import annotations

import ast
from pathlib import Path

import service
from service import normalize, tagging

PACKAGE = Path(service.__file__).resolve().parent
CLI = "service.cli"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_tooling(name: str) -> bool:
    """Benchmarks, data build scripts, evaluators and the spinner: run by people, not the worker."""
    parts = name.split(".")
    return (name.startswith(("service.benchmarks", "service.build"))
            or parts[-1] in ("evaluate", "spinner", "selfcheck"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (function bodies included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_is_scanned() -> None:
    assert {"service.pipeline", CLI, "service.benchmarks.stream", "service.tagging.evaluate"} \
        <= set(MODULES)


def test_runtime_modules_never_import_tooling() -> None:
    offences = {
        name: sorted(module for module in _imports(path) if module.startswith("service.")
                     and _is_tooling(module) and module in MODULES)
        for name, path in MODULES.items()
        if name != CLI and not _is_tooling(name)
    }
    assert {name: found for name, found in offences.items() if found} == {}


def test_only_the_command_line_entry_imports_the_cli() -> None:
    offences = sorted(name for name, path in MODULES.items()
                      if name != CLI and any(module == CLI or module.startswith(CLI + ".")
                                             for module in _imports(path)))
    assert offences == []


def test_tagging_evaluator_does_not_reach_up_into_the_pipeline() -> None:
    assert not {m for m in _imports(MODULES["service.tagging.evaluate"])
                if m.startswith("service.pipeline")}


def test_one_traditional_to_simplified_converter() -> None:
    users = sorted(name for name, path in MODULES.items()
                   if not _is_tooling(name) and "opencc" in _imports(path))
    assert users == ["service.normalize"]
    assert tagging.to_simplified is normalize.to_simplified
    # the same rules on both sides: 於 and 乾 are also Simplified characters, kept as they are
    assert normalize.normalize("於乾隆").text == "於乾隆" == normalize.to_simplified("於乾隆")
    assert normalize.normalize("臺灣發展").text == "台湾发展"
    places = tagging.tag("廣東省肇慶市").places
    assert [place["name"] for place in places][-1:] == ["肇庆市"]
