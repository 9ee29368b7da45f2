"""The README, CONTRIBUTING.md and docs/ agree with the code: every path they name exists, every
``qingliu`` command they show parses, every ``QINGLIU_*`` variable is read somewhere, the metrics
list is what a worker exports, and the setup commands are the README's.

Each check returns the problems it finds and is also run on a broken text, so it can fail."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import sys
from pathlib import Path

import pytest

from service import cli, config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_deploy_dashboard import exported_families, family_of

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
PATH_ROOTS = ("service/", "tests/", "deploy/", "topics/", "docs/", ".ci/")
TOP_FILES = {"README.md", "CONTRIBUTING.md", "docker-compose.yml", "pyproject.toml",
             ".dockerignore"}
SOURCE_TREES = ("service", "tests", "deploy", ".ci")
GENERATED = ("deploy/kafka/lib", "deploy/kafka/target", "test-artifacts")  # made by scripts, ignored


def code_spans(text: str) -> list[str]:
    """Fenced blocks and inline code of a Markdown text."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)
    rest = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    return fenced + re.findall(r"`([^`\n]+)`", rest)


def _expand(path: str) -> list[str]:
    """``a/{b,c}.py`` → ``a/b.py``, ``a/c.py``."""
    parts = re.split(r"\{([^{}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def path_problems(doc: Path, text: str) -> list[str]:
    """Paths named in code spans (repository-relative) and link targets (file-relative)."""
    named: list[tuple[str, Path]] = []
    for span in code_spans(text):
        for token in re.findall(r"[\w./{},+-]+", span):
            token = token.split("::")[0].rstrip(".,")
            if token.startswith(PATH_ROOTS) or token in TOP_FILES:
                named.extend((p, REPO / p) for p in _expand(token))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#")[0]
        named.append((target, (doc.parent / target)))
    return [f"{doc.name}: {name} does not exist" for name, path in named
            if not _placeholder(name) and not name.startswith(GENERATED) and not path.exists()]


def _placeholder(name: str) -> bool:
    """``service/data/<area>/``, ``build/*.py``, ``round…``, ``roundN/``: a pattern, not a path."""
    return any(c in name for c in "<>*…") or re.search(r"[a-z][A-Z]+(?=[/._-]|$)", name) is not None


def _parses(words: list[str]) -> bool:
    parser = cli.build_parser()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            parser.parse_args([*words, "--help"])
        except SystemExit as exc:
            return exc.code == 0
    return True


def command_problems(doc: Path, text: str) -> list[str]:
    """``qingliu X [Y]`` in code spans: X is a command (and Y, where X has subcommands)."""
    problems = []
    seen = set()
    for span in code_spans(text):
        for first, second in re.findall(r"(?:^|[\s/(])qingliu ([a-z][\w-]*)(?: ([a-z][\w-]*))?",
                                        span, re.M):
            words = [first] + ([second] if second else [])
            if tuple(words) in seen:
                continue
            seen.add(tuple(words))
            if not _parses([first]):
                problems.append(f"{doc.name}: `qingliu {first}` is not a command")
            elif second and not _parses(words) and _has_subcommands(first):
                problems.append(f"{doc.name}: `qingliu {first} {second}` is not a command")
    return problems


def _has_subcommands(command: str) -> bool:
    return not _parses([command, "no-such-subcommand"])


def setting_problems(doc: Path, text: str, source: str) -> list[str]:
    known = {s.env for s in config.SETTINGS}
    return [f"{doc.name}: {name} is neither a setting nor read anywhere"
            for name in sorted(set(re.findall(r"\bQINGLIU_[A-Z0-9_]*[A-Z0-9]\b", text)))
            if name not in known and not re.search(rf"\b{name}\b", source)]


def metric_problems(text: str, families: dict) -> list[str]:
    """Metric names in a text are exported, and (``complete``) every exported family is named."""
    problems = []
    for name in sorted(set(re.findall(r"\bqingliu_[a-z_]+[a-z]\b", text))):
        if family_of(name, families) is None and families.get(name, ("",))[0] != "histogram":
            problems.append(f"{name} is not exported by the worker")
    return problems


def metrics_missing(text: str, families: dict) -> list[str]:
    named = {family_of(n, families) or n for n in re.findall(r"\bqingliu_[a-z_]+[a-z]\b", text)}
    return sorted(name for name in families
                  if not name.endswith("_created") and name not in named)


@pytest.fixture(scope="module")
def source() -> str:
    texts = []
    for tree in SOURCE_TREES:
        for path in (REPO / tree).rglob("*"):
            if (path.suffix in (".py", ".sh", ".yml", ".yaml", ".json") and path.is_file()
                    and path.resolve() != Path(__file__).resolve()):
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_paths_exist(doc: Path) -> None:
    assert path_problems(doc, doc.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_commands_parse(doc: Path) -> None:
    assert command_problems(doc, doc.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_settings_exist(doc: Path, source: str) -> None:
    assert setting_problems(doc, doc.read_text(encoding="utf-8"), source) == []


def test_readme_lists_exactly_the_exported_metrics() -> None:
    families = exported_families()
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    assert metric_problems(text, families) == []
    assert metrics_missing((REPO / "README.md").read_text(encoding="utf-8"), families) == []


def test_contributing_sets_up_with_the_readme_commands() -> None:
    def commands(path: Path) -> list[str]:
        (block,) = [b for b in code_spans(path.read_text(encoding="utf-8"))
                    if "pip install -e ." in b][:1]
        return [line for line in block.splitlines() if line and not line.startswith("#")]

    readme = commands(REPO / "README.md")
    assert readme == commands(REPO / "CONTRIBUTING.md")
    assert any("deploy/test.sh" in line for line in readme)


def test_the_doc_checks_catch_what_they_are_for(source: str) -> None:
    doc = REPO / "docs" / "ARCHITECTURE.md"
    assert path_problems(doc, "see `service/worker/nothing.py` and [x](../NOPE.md)") == [
        "ARCHITECTURE.md: service/worker/nothing.py does not exist",
        "ARCHITECTURE.md: ../NOPE.md does not exist"]
    assert path_problems(doc, "`service/fixers/{widths,nothing}.py`") == [
        "ARCHITECTURE.md: service/fixers/nothing.py does not exist"]
    assert path_problems(doc, "`service/data/<area>/`, `deploy/kafka/lib/`, `docs/GONE.md`, "
                              "`tests/data/blind/roundN/x.json`, `docs/KAFKA.md`") == [
        "ARCHITECTURE.md: docs/GONE.md does not exist"]
    assert command_problems(doc, "run `qingliu frobnicate`") != []
    assert command_problems(doc, "```\nqingliu rules purge x\n```") != []
    assert command_problems(doc, "`qingliu rules add --protect x` `qingliu produce a.jsonl`") == []
    assert setting_problems(doc, "QINGLIU_NO_SUCH_SETTING and QINGLIU_BROKER", source) == [
        "ARCHITECTURE.md: QINGLIU_NO_SUCH_SETTING is neither a setting nor read anywhere"]
    families = exported_families()
    assert metric_problems("`qingliu_consumed` `qingliu_edits_total`", families) == [
        "qingliu_consumed is not exported by the worker"]
    assert "qingliu_edits_by_kind" in metrics_missing("qingliu_edits_total", families)


def provenance_problems(area: Path, provenance: str) -> list[str]:
    """Data files of ``area`` that its PROVENANCE.md does not name, and ``python -m
    service.build.X`` commands it shows whose module does not exist."""
    problems = [f"{area.name}: {path.name} has no provenance" for path in sorted(area.iterdir())
                if path.is_file() and path.suffix != ".py" and path.name != "PROVENANCE.md"
                and f"`{path.name}`" not in provenance]
    for module in sorted(set(re.findall(r"python -m service\.build\.(\w+)", provenance))):
        if not (REPO / "service" / "build" / f"{module}.py").is_file():
            problems.append(f"{area.name}: service.build.{module} does not exist")
    return problems


@pytest.mark.parametrize("area", sorted(p.name for p in (REPO / "service" / "data").iterdir()
                                        if p.is_dir() and not p.name.startswith("_")))
def test_every_data_file_has_its_provenance_and_build(area: str) -> None:
    folder = REPO / "service" / "data" / area
    assert provenance_problems(folder, (folder / "PROVENANCE.md").read_text("utf-8")) == []


def test_the_provenance_check_catches_a_missing_file_or_script() -> None:
    folder = REPO / "service" / "data" / "spun"
    assert provenance_problems(folder, "`lexicon.tsv` by `python -m service.build.nothing`")[-1] \
        == "spun: service.build.nothing does not exist"
    assert "spun: char_partners.tsv has no provenance" in provenance_problems(folder, "")
