"""Operator rules that steer repairs without a release.

Rules live on a compacted topic (``qingliu.rules``, keyed by rule id; a tombstone removes one),
are written by ``qingliu rules add|remove``, and are followed by every worker
(:func:`service.rules.follow.attach`); batch commands take them from ``--rules-file``.  See
:mod:`service.rules.model` for what a rule is and :mod:`service.rules.apply` for its effect.
"""

from __future__ import annotations

from service.rules.apply import fixers_for
from service.rules.model import (
    ACTIONS,
    EMPTY,
    KINDS,
    MAX_PHRASE_CHARS,
    MAX_RULES,
    MAX_VALUE_BYTES,
    Rule,
    RuleError,
    RuleSet,
    load_file,
    load_lines,
    make_rule,
    parse_value,
)

__all__ = ["ACTIONS", "EMPTY", "KINDS", "MAX_PHRASE_CHARS", "MAX_RULES", "MAX_VALUE_BYTES",
           "Rule", "RuleError", "RuleSet", "fixers_for", "load_file", "load_lines", "make_rule",
           "parse_value"]
