"""The latest record of each rule id, as read from the rules topic (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from service.rules.model import EMPTY, Rule, RuleError, RuleSet, parse_value


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record of the rules topic that was not used."""

    key: str
    reason: str
    message: str


class RulesStore:
    """Rules by id: the latest valid record of each key; tombstones and bad records remove it.

    A bad record removes an earlier good one of the same id: the latest record of a key decides,
    as it does once the topic is compacted, so every replica (however late it starts) ends up
    with the same rules.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, Rule] = {}
        self.rules: RuleSet = EMPTY
        self.left_out = 0  # valid rules beyond MAX_RULES (the greatest ids)

    def apply(self, key: bytes | None, value: bytes | None) -> Skipped | None:
        """Take one record into account; returns why it was skipped, if it was."""
        if key is None:
            return Skipped("", "no_key", "record without a key (the rule id)")
        try:
            rule_id = key.decode("utf-8")
        except UnicodeDecodeError:
            return Skipped(repr(key), "bad_id", "key is not UTF-8")
        if value is None:
            self.by_id.pop(rule_id, None)
            return None
        try:
            self.by_id[rule_id] = parse_value(value, key=rule_id)
        except RuleError as exc:
            self.by_id.pop(rule_id, None)
            return Skipped(rule_id, exc.reason, exc.message)
        return None

    def snapshot(self) -> tuple[RuleSet, int]:
        """Rebuild :attr:`rules`; returns it and how many more rules are now left out."""
        rules, left_out = RuleSet.of_mapping(self.by_id)
        newly = max(0, left_out - self.left_out)
        self.rules, self.left_out = rules, left_out
        return rules, newly
