"""Operator rules: the model, validation and parsing (pure; no Kafka, no pipeline imports).

A rule is keyed by its id and does one of three things:

* ``protect``  – never change ``phrase``: fixer edits that touch an occurrence are dropped;
* ``restore``  – also restore the spun form ``spun`` as ``original`` (an extra ``spun`` edit);
* ``disable``  – do not run the fixer whose edits are of ``kind``.

Each carries who (``by``), when (``at``) and why (``why``).  The wire form (a value of the
compacted rules topic, or a line of a ``--rules-file``) is a JSON object described by
``topics/schemas/rule.v1.json``.  A :class:`RuleSet` is an immutable, picklable snapshot with a
content ``version``; :data:`EMPTY` changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import orjson

from service.errors import QingliuError

if TYPE_CHECKING:
    from service.fixers import Fixer

RULE_SCHEMA = "qingliu.rule/1"
ACTIONS = ("protect", "restore", "disable")
# The edit kinds of the fixers a rule may disable (each fixer module's ``KIND``).  Byte
# decoding is not a text fixer (it runs before there is text) and cannot be disabled.
KINDS = ("mojibake", "invisible", "fullwidth", "radical", "homoglyph", "spun")
KIND_ALIASES = {"width": "fullwidth", "widths": "fullwidth", "radicals": "radical",
                "homoglyphs": "homoglyph"}

MAX_PHRASE_CHARS = 64
MAX_RULES = 1000
MAX_VALUE_BYTES = 4096
MAX_ID_CHARS = 64
MAX_BY_CHARS = 200
MAX_WHY_CHARS = 1000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
_FIELDS = {"schema", "id", "action", "phrase", "spun", "original", "kind", "by", "at", "why"}

Action = Literal["protect", "restore", "disable"]


class RuleError(QingliuError):
    """A rule that cannot be used; ``reason`` is a short metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule (use :func:`make_rule` or :func:`parse_value` to build one)."""

    id: str
    action: Action
    phrase: str = ""  # protect
    spun: str = ""  # restore
    original: str = ""  # restore
    kind: str = ""  # disable
    by: str = ""
    at: str = ""
    why: str = ""

    def subject(self) -> str:
        """What the rule is about, for tables and logs."""
        if self.action == "protect":
            return self.phrase
        if self.action == "restore":
            return f"{self.spun} → {self.original}"
        return self.kind

    def effect(self) -> tuple[str, ...]:
        """The fields that change repairs (what the version hashes)."""
        return (self.id, self.action, self.phrase, self.spun, self.original, self.kind)

    def to_dict(self) -> dict[str, Any]:
        """The wire form (topic value / rules-file line)."""
        out: dict[str, Any] = {"schema": RULE_SCHEMA, "id": self.id, "action": self.action}
        if self.action == "protect":
            out["phrase"] = self.phrase
        elif self.action == "restore":
            out["spun"], out["original"] = self.spun, self.original
        else:
            out["kind"] = self.kind
        out.update(by=self.by, at=self.at, why=self.why)
        return out

    def to_bytes(self) -> bytes:
        """The serialized wire form."""
        return orjson.dumps(self.to_dict())


def _text(value: Any, name: str, limit: int, *, required: bool) -> str:
    if value is None:
        if required:
            raise RuleError("empty", f"{name} is missing")
        return ""
    if not isinstance(value, str):
        raise RuleError("wrong_type", f"{name} must be a string")
    if required and not value.strip():
        raise RuleError("empty", f"{name} is empty")
    if len(value) > limit:
        raise RuleError("too_large", f"{name} is {len(value)} characters; the limit is {limit}")
    if any(ch in value for ch in "\r\n\x00"):
        raise RuleError("bad_text", f"{name} contains a line break or NUL")
    return value


def canonical_kind(kind: str) -> str:
    """A fixer kind from its name or a common alias; :class:`RuleError` if unknown."""
    name = kind.strip().lower() if isinstance(kind, str) else ""
    name = KIND_ALIASES.get(name, name)
    if name not in KINDS:
        raise RuleError("unknown_kind", f"unknown fixer kind {kind!r}; use one of "
                        f"{', '.join(KINDS)} (byte decoding cannot be disabled)")
    return name


def default_id(action: str, subject: str) -> str:
    """A deterministic id from what the rule does (adding the same rule twice is idempotent)."""
    digest = hashlib.blake2b(f"{action}\0{subject}".encode(), digest_size=5).hexdigest()
    return f"{action}-{digest}"


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def make_rule(action: str, *, id: str | None = None, phrase: str | None = None,
              spun: str | None = None, original: str | None = None, kind: str | None = None,
              by: str | None = None, at: str | None = None, why: str | None = None) -> Rule:
    """Validate the parts of a rule and build it; raises :class:`RuleError`."""
    if action not in ACTIONS:
        raise RuleError("unknown_action", f"unknown action {action!r}; use one of "
                        f"{', '.join(ACTIONS)}")
    fields = {"phrase": "", "spun": "", "original": "", "kind": ""}
    if action == "protect":
        fields["phrase"] = _text(phrase, "phrase", MAX_PHRASE_CHARS, required=True)
        subject = fields["phrase"]
    elif action == "restore":
        fields["spun"] = _text(spun, "spun", MAX_PHRASE_CHARS, required=True)
        fields["original"] = _text(original, "original", MAX_PHRASE_CHARS, required=True)
        if fields["spun"] == fields["original"]:
            raise RuleError("no_op", "spun and original are the same")
        subject = f"{fields['spun']}\0{fields['original']}"
    else:
        fields["kind"] = canonical_kind(kind or "")
        subject = fields["kind"]
    rule_id = default_id(action, subject) if id is None else id
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleError("bad_id", "id is empty")
    if len(rule_id) > MAX_ID_CHARS or not _ID.match(rule_id):
        raise RuleError("bad_id", f"id {rule_id[:80]!r} must be 1-{MAX_ID_CHARS} letters, digits "
                        "or . _ : @ - (starting with a letter or digit)")
    return Rule(
        id=rule_id, action=action,  # type: ignore[arg-type]
        by=_text(by, "by", MAX_BY_CHARS, required=False),
        at=_text(at, "at", 40, required=False),
        why=_text(why, "why", MAX_WHY_CHARS, required=False),
        **fields,
    )


def parse_value(value: bytes | str, key: str | None = None) -> Rule:
    """A rule from its wire form; ``key`` (the topic key) must match the id if both are given.

    Raises :class:`RuleError` for anything malformed, oversized or unknown.
    """
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if len(raw) > MAX_VALUE_BYTES:
        raise RuleError("too_large", f"rule is {len(raw)} bytes; the limit is {MAX_VALUE_BYTES}")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RuleError("not_json", f"rule is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RuleError("not_object", "rule is not a JSON object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise RuleError("unknown_field", f"unknown field(s) {', '.join(sorted(unknown))}")
    if data.get("schema", RULE_SCHEMA) != RULE_SCHEMA:
        raise RuleError("wrong_schema", f"schema must be {RULE_SCHEMA!r}")
    rule_id = data.get("id")
    if key is not None:
        if rule_id is not None and rule_id != key:
            raise RuleError("bad_id", f"id {rule_id!r} differs from the key {key!r}")
        rule_id = key
    return make_rule(
        data.get("action"), id=rule_id, phrase=data.get("phrase"), spun=data.get("spun"),
        original=data.get("original"), kind=data.get("kind"), by=data.get("by"),
        at=data.get("at"), why=data.get("why"),
    )


@dataclass(frozen=True)
class RuleSet:
    """An immutable snapshot of the rules in force (picklable: child processes receive it).

    ``version`` is a content hash of what the rules do ("none" without rules), so replicas that
    read the same rules report the same version whatever order they read them in.
    """

    rules: tuple[Rule, ...] = ()
    version: str = field(default="none")

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleSet:
        """The rule set of ``rules`` (the last rule of an id wins), at most :data:`MAX_RULES`.

        Beyond the limit, the rules with the greatest ids are left out (deterministically);
        :meth:`of_mapping` reports how many.
        """
        return cls.of_mapping({rule.id: rule for rule in rules})[0]

    @classmethod
    def of_mapping(cls, by_id: Mapping[str, Rule]) -> tuple[RuleSet, int]:
        """The rule set of ``{id: rule}`` and the number of rules left out over the limit."""
        ordered = tuple(by_id[key] for key in sorted(by_id))
        left_out = max(0, len(ordered) - MAX_RULES)
        ordered = ordered[:MAX_RULES]
        if not ordered:
            return EMPTY, left_out
        digest = hashlib.blake2b(orjson.dumps([rule.effect() for rule in ordered]),
                                 digest_size=6).hexdigest()
        return cls(ordered, digest), left_out

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @cached_property
    def protected(self) -> tuple[str, ...]:
        """Phrases never to change (longest first)."""
        phrases = {rule.phrase for rule in self.rules if rule.action == "protect"}
        return tuple(sorted(phrases, key=lambda p: (-len(p), p)))

    @cached_property
    def restores(self) -> dict[str, str]:
        """Spun form → original (for a spun form given twice, the rule with the greater id)."""
        return {rule.spun: rule.original for rule in self.rules if rule.action == "restore"}

    @cached_property
    def disabled(self) -> frozenset[str]:
        """Fixer kinds not to run."""
        return frozenset(rule.kind for rule in self.rules if rule.action == "disable")

    def fixers(self, fixers: Sequence[Fixer]) -> Sequence[Fixer]:
        """``fixers`` as these rules want them run (``fixers`` itself without rules)."""
        if not self.rules:
            return fixers
        from service.rules.apply import fixers_for

        return fixers_for(self, fixers)

    def to_jsonl(self) -> bytes:
        """The rules as a ``--rules-file`` (one wire-form JSON object per line)."""
        return b"".join(rule.to_bytes() + b"\n" for rule in self.rules)


EMPTY = RuleSet()


def load_lines(lines: Iterable[bytes | str], source: str = "rules") -> RuleSet:
    """A rule set from wire-form lines (blank lines and ``#`` comments skipped).

    Raises :class:`RuleError` naming the line of the first bad rule or the count beyond
    :data:`MAX_RULES` (a file is checked strictly; the worker skips bad rules instead).
    """
    by_id: dict[str, Rule] = {}
    for number, line in enumerate(lines, start=1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            rule = parse_value(text.strip())
        except RuleError as exc:
            raise RuleError(exc.reason, f"{source}:{number}: {exc.message}") from None
        by_id[rule.id] = rule
    if len(by_id) > MAX_RULES:
        raise RuleError("too_many", f"{source}: {len(by_id)} rules; the limit is {MAX_RULES}")
    return RuleSet.of_mapping(by_id)[0]


def load_file(path: str) -> RuleSet:
    """A rule set from a JSONL file; raises :class:`RuleError` (unreadable or bad rule)."""
    try:
        with open(path, "rb") as stream:
            return load_lines(stream, path)
    except OSError as exc:
        raise RuleError("unreadable", f"cannot read {path}: {exc.strerror}") from None
