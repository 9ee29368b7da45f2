"""``qingliu bench NAME``: every module here with ``add_arguments(parser)`` and ``run(args) -> int``.

Modules are discovered at run time, so a benchmark added later (e.g. ``backlog``) appears in
``qingliu bench --help`` without touching the CLI.  Benchmarks print figures, never assert them.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import statistics
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)


def discover() -> dict[str, ModuleType]:
    """``{name: module}`` for each benchmark module in this package (broken ones are skipped)."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except Exception as exc:  # one broken benchmark must not break the CLI
            log.warning("benchmark %s cannot be imported: %r", info.name, exc)
            continue
        if callable(getattr(module, "add_arguments", None)) and callable(
            getattr(module, "run", None)
        ):
            found[info.name] = module
    return found


def rates(
    funs: dict[str, Callable[[], Any]], units: float, min_time: float = 1.0, max_rounds: int = 1000
) -> dict[str, float]:
    """Units per second of each of ``funs`` (best of its rounds), measured in turns: one round of
    each, again and again until each has run ``min_time`` in total (and at least three rounds).

    A measure and its baseline timed in turns see the same machine: on a shared host whose speed
    drifts by tens of percent over seconds, timing one after the other moves their ratio as much.
    """
    best = dict.fromkeys(funs, float("inf"))
    total = dict.fromkeys(funs, 0.0)
    rounds = 0
    while rounds < max_rounds and (rounds < 3 or min(total.values()) < min_time):
        for name, fun in funs.items():
            started = time.perf_counter()
            fun()
            elapsed = time.perf_counter() - started
            best[name] = min(best[name], elapsed)
            total[name] += elapsed
        rounds += 1
    return {name: units / t if t > 0 else float("inf") for name, t in best.items()}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values`` (nearest rank), NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    """Median, NaN when empty."""
    return statistics.median(values) if values else float("nan")


def rss_mib() -> float:
    """Resident set size of this process in MiB."""
    import psutil

    return psutil.Process().memory_info().rss / (1 << 20)
