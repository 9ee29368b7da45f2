"""``qingliu rules add|list|remove``: operator rules on the rules topic; ``--rules-file`` loading.

Registered by :func:`add_parser`.  A refused rule or a missing topic is a
:class:`~service.errors.ConfigError` (one line, exit status 2); a broker failure exits with 1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from service import config
from service.errors import ConfigError, QingliuError
from service.rules.model import EMPTY, KINDS, RuleError, RuleSet, load_file, make_rule, now_iso

TIMEOUT_S = 30.0


def batch_rules(args: argparse.Namespace | None = None) -> RuleSet:
    """The rules of ``--rules-file`` (or ``QINGLIU_RULES_FILE``) for a batch command."""
    path = getattr(args, "rules_file", None) or os.environ.get("QINGLIU_RULES_FILE", "")
    if not path:
        return EMPTY
    try:
        return load_file(path)
    except RuleError as exc:
        raise ConfigError(f"--rules-file: {exc.message}") from None


def _run(coro: Any, settings: config.Settings, timeout: float) -> Any:
    from service.rules.kafka import RulesTopicMissing

    async def bounded() -> Any:
        return await asyncio.wait_for(coro, timeout)

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the one line below says it
    try:
        return asyncio.run(bounded())
    except RulesTopicMissing as exc:
        raise ConfigError(str(exc)) from None
    except (TimeoutError, OSError) as exc:
        raise QingliuError(f"cannot reach the broker at {settings.broker} "
                           f"({type(exc).__name__}); set QINGLIU_BROKER / --broker") from None
    except QingliuError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("aiokafka"):
            raise QingliuError(f"broker {settings.broker}: {type(exc).__name__}") from None
        raise


def _settings(args: argparse.Namespace) -> config.Settings:
    from service.logs import add_secret

    settings = config.load(args)
    add_secret(settings.sasl_password)
    return settings


def cmd_add(args: argparse.Namespace) -> int:
    """Validate a rule and put it on the rules topic."""
    try:
        if args.protect is not None:
            rule = make_rule("protect", id=args.id, phrase=args.protect, by=args.by,
                             at=now_iso(), why=args.why)
        elif args.restore is not None:
            spun, sep, original = args.restore.partition("=")
            if not sep:
                raise RuleError("bad_text", "--restore wants SPUN=ORIGINAL")
            rule = make_rule("restore", id=args.id, spun=spun, original=original, by=args.by,
                             at=now_iso(), why=args.why)
        else:
            rule = make_rule("disable", id=args.id, kind=args.disable_kind, by=args.by,
                             at=now_iso(), why=args.why)
    except RuleError as exc:
        raise ConfigError(exc.message) from None
    settings = _settings(args)
    from service.rules.kafka import put

    _run(put(settings, rule), settings, args.timeout)
    print(f"added {rule.id}: {rule.action} {rule.subject()} (topic {settings.topic_rules})")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove a rule (a tombstone for its id)."""
    settings = _settings(args)
    from service.rules.kafka import read_all, remove

    store = _run(read_all(settings), settings, args.timeout)
    if args.rule_id not in store.by_id and not args.force:
        raise ConfigError(f"no rule {args.rule_id!r} on {settings.topic_rules} "
                          "(`qingliu rules list`; --force writes the tombstone anyway)")
    _run(remove(settings, args.rule_id), settings, args.timeout)
    print(f"removed {args.rule_id} (topic {settings.topic_rules})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the rules in force as a table (or JSONL with --json), and the version."""
    settings = _settings(args)
    from service.rules.kafka import read_all

    skipped: list[Any] = []
    store = _run(read_all(settings, on_skip=skipped.append), settings, args.timeout)
    skipped = [s for s in skipped if s.key not in store.by_id]
    rules = store.rules
    if args.json:
        sys.stdout.buffer.write(rules.to_jsonl())
        return 0
    rows = [("ID", "ACTION", "WHAT", "BY", "AT", "WHY")]
    rows += [(r.id, r.action, r.subject(), r.by, r.at, r.why) for r in rules.rules]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[5])
    print(f"{len(rules)} rules, version {rules.version}"
          + (f"; {len(skipped)} invalid records skipped" if skipped else ""), file=sys.stderr)
    for item in skipped:
        print(f"  skipped {item.key}: {item.message}", file=sys.stderr)
    return 0


def add_parser(sub: Any) -> None:
    """Register ``rules`` and its subcommands on the ``qingliu`` subparsers ``sub``."""
    p = sub.add_parser("rules", help="operator rules: add, list, remove (no release needed)",
                       description="Operator rules on the compacted rules topic (QINGLIU_TOPIC_RULES,"
                       " default qingliu.rules), applied by every worker within seconds: never "
                       "change a phrase, also restore a spun form, disable a fixer kind.")
    rules_sub = p.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    connection = (*config.CONNECTION, "topic_rules")

    q = rules_sub.add_parser("add", help="add (or replace, same --id) a rule")
    what = q.add_mutually_exclusive_group(required=True)
    what.add_argument("--protect", metavar="PHRASE", help="never change this word or phrase")
    what.add_argument("--restore", metavar="SPUN=ORIGINAL",
                      help="also restore the spun form SPUN as ORIGINAL")
    what.add_argument("--disable-kind", metavar="KIND",
                      help=f"do not run the fixer of this kind ({', '.join(KINDS)})")
    q.add_argument("--id", help="rule id (default: derived from what the rule does)")
    q.add_argument("--by", default=os.environ.get("USER", ""), help="who (default: $USER)")
    q.add_argument("--why", default="", help="why (kept with the rule)")
    q.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="S")
    config.add_flags(q, connection)
    q.set_defaults(func=cmd_add)

    q = rules_sub.add_parser("list", help="show the rules in force")
    q.add_argument("--json", action="store_true", help="JSONL (a --rules-file) instead of a table")
    q.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="S")
    config.add_flags(q, connection)
    q.set_defaults(func=cmd_list)

    q = rules_sub.add_parser("remove", help="remove a rule by id (a tombstone)")
    q.add_argument("rule_id", metavar="ID")
    q.add_argument("--force", action="store_true", help="write the tombstone even if unknown")
    q.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="S")
    config.add_flags(q, connection)
    q.set_defaults(func=cmd_remove)
