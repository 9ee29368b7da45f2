"""A broker for local runs: ``qingliu dev``, the stream benchmarks and the tests pick one by kind.

``embedded`` starts the Tansu broker shipped in a wheel (:mod:`service.broker`), ``kafka`` a
local Apache Kafka (:mod:`service.kafka_local`), anything else is taken as a ``kafka://`` URL.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from service import config
from service.errors import ConfigError

KINDS = ("embedded", "kafka")


@contextlib.contextmanager
def local_broker(kind: str) -> Iterator[str]:
    """Yield a ``kafka://`` URL: the embedded Tansu broker, a local Apache Kafka, or ``kind``.

    Raises :class:`ConfigError` when ``kind`` is neither a known kind nor a broker URL.
    """
    if kind == "embedded":
        from service.broker import EmbeddedBroker

        with EmbeddedBroker() as broker:
            yield broker.url
    elif kind == "kafka":
        try:
            from service.kafka_local import start_kafka
        except ImportError:
            raise ConfigError("--broker kafka needs service.kafka_local (the Apache Kafka tier); "
                              "use --broker embedded, or a kafka://host:port URL") from None
        with start_kafka(nodes=1) as bootstrap:
            yield config.broker_urls(str(bootstrap))
    else:
        try:
            url = config.broker_urls(kind)
        except ValueError as exc:
            raise ConfigError(f"--broker {kind!r} {exc} (or: embedded, kafka)") from None
        yield url


def broker_kind(text: str) -> str:
    """``text`` if it names a local broker kind or a broker URL (an argparse ``type``), so that
    a mistyped ``--broker`` is refused before anything starts."""
    if text in KINDS:
        return text
    try:
        config.broker_urls(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or: embedded, kafka)") from None
    return text
