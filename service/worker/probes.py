"""Broker probes and start-up checks: a misconfigured worker stops with one line naming the setting.

:func:`preflight` runs before the worker waits for its broker.  It checks what can be checked
without one (the data directory, the TLS files, the web port, the size limits) and, when the
broker answers, what needs one (credentials, transactions for ``exactly_once``, the output
topics' ``max.message.bytes``); :func:`wait_for_broker` runs the broker checks once a late broker
appears.  Errors are :class:`~service.errors.ConfigError` (a setting is inconsistent by itself)
or :class:`StartupError` (the machine or the broker refuses what the settings ask).

The size rule (README, docs/KAFKA.md): a clean event of a post at ``QINGLIU_MAX_BYTES`` is at most
:attr:`service.pipeline.Limits.max_event_bytes` (6 × the limit + 64 KiB), and its dead letter
carries the raw bytes base64-encoded (4/3 × the limit + 64 KiB); both must fit the producer's
largest request and the ``max.message.bytes`` of the topic they go to.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from service.config import BY_NAME, Settings
from service.errors import ConfigError, QingliuError
from service.metrics import Metrics
from service.pipeline import EVENT_BYTES_SLACK, Limits

log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 16 << 20  # the worker's producer max_request_size
PROBE_TIMEOUT_S = 5.0
TRANSACTIONS_TIMEOUT_S = 30.0  # a fresh cluster creates __transaction_state on first use
DEAD_LETTER_SLACK = EVENT_BYTES_SLACK  # envelope, error message and key of a dead letter
# The probe's transactional id: ``<group id>-preflight``, within a prefixed ACL that covers the
# worker's own transactional ids (``<group id>-<group>-<partition>``).
PREFLIGHT_SUFFIX = "-preflight"
# Kafka error codes an InitProducerId may answer while the coordinator is getting ready.
# request timed out, load in progress, coordinator not available or moved, and concurrent
# transactions (another worker of the group is starting or a killed one's state is being aborted)
_RETRIABLE_TXN_ERRORS = {7, 14, 15, 16, 51}


class StartupError(QingliuError):
    """The machine or the broker refuses what the settings ask (exit status 1); one line that
    names the setting."""


def _names(name: str) -> str:
    """``QINGLIU_X / --x`` for the setting ``name``."""
    setting = BY_NAME[name]
    return f"{setting.env} / {setting.flag}"


def producer_max_request_bytes() -> int:
    """The largest request the worker's producer sends (its ``max_request_size``)."""
    from service import config

    return int(getattr(config, "MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def needed_bytes(max_bytes: int) -> dict[str, int]:
    """The largest record each output carries for posts up to ``max_bytes``:
    ``{"clean": …, "dlq": …}`` (see the module's size rule)."""
    return {"clean": Limits(max_bytes=max_bytes).max_event_bytes,
            "dlq": 4 * ((max_bytes + 2) // 3) + DEAD_LETTER_SLACK}


# -- checks without a broker -----------------------------------------------------------------
def check_data_dir(settings: Settings) -> None:
    """``QINGLIU_DATA_DIR`` can be created and written to."""
    path = settings.data_dir
    if not path:
        return
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise StartupError(f"{_names('data_dir')}: cannot write to {path}: "
                           f"{exc.strerror or exc}") from None


def check_tls_files(settings: Settings) -> None:
    """The CA, certificate and key files exist and load (only for SSL and SASL_SSL)."""
    if "SSL" not in settings.security_protocol:
        return
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path = getattr(settings, name)
        if path and not os.path.isfile(path):
            raise ConfigError(f"{_names(name)}: no such file: {path}")
        if path and not os.access(path, os.R_OK):
            raise StartupError(f"{_names(name)}: cannot read {path}")
    if settings.ssl_keyfile and not settings.ssl_certfile:
        raise ConfigError(f"{_names('ssl_keyfile')} is set without {_names('ssl_certfile')}")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if settings.ssl_cafile:
        try:
            context.load_verify_locations(cafile=settings.ssl_cafile)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"{_names('ssl_cafile')}: {settings.ssl_cafile} is not a PEM CA "
                              f"bundle ({_reason(exc)})") from None
    if settings.ssl_certfile:
        try:
            context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile or None)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"{_names('ssl_certfile')} / {_names('ssl_keyfile')}: cannot load the client "
                f"certificate {settings.ssl_certfile} with key "
                f"{settings.ssl_keyfile or '(in the certificate file)'} ({_reason(exc)})"
            ) from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())


def check_web_port(settings: Settings) -> None:
    """The web server's address can be bound (port 0 always can: see :func:`resolve_web_port`)."""
    if settings.web_port == 0:
        return
    try:
        _bind(settings.web_host, settings.web_port).close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"{_names('web_port')}: port {settings.web_port} on {settings.web_host} is in use; "
                "choose another port (0 picks a free one)") from None
        raise StartupError(f"{_names('web_host')} / {_names('web_port')}: cannot listen on "
                           f"{settings.web_host}:{settings.web_port}: {_reason(exc)}") from None


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound as the web server binds (address reuse on, as aiohttp does on Unix)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        return sock
    except BaseException:
        sock.close()
        raise


def resolve_web_port(settings: Settings) -> int:
    """``QINGLIU_WEB_PORT``, or for 0 a port that is free on ``QINGLIU_WEB_HOST`` now (logged)."""
    if settings.web_port:
        return settings.web_port
    try:
        with _bind(settings.web_host, 0) as sock:
            port = int(sock.getsockname()[1])
    except OSError as exc:
        raise StartupError(f"{_names('web_host')}: cannot listen on {settings.web_host}: "
                           f"{_reason(exc)}") from None
    log.warning("QINGLIU_WEB_PORT=0: serving /healthz, /readyz and /metrics on port %d", port,
                extra={"web_port": port})
    return port


def check_sizes(settings: Settings, max_request_bytes: int | None = None) -> None:
    """A clean event and a dead letter of a post at ``QINGLIU_MAX_BYTES`` fit the producer."""
    limit = producer_max_request_bytes() if max_request_bytes is None else max_request_bytes
    for kind, size in needed_bytes(settings.max_bytes).items():
        if size > limit:
            what = "a clean event" if kind == "clean" else "a dead letter"
            raise ConfigError(
                f"{_names('max_bytes')}={settings.max_bytes}: {what} of a post at that limit "
                f"takes up to {size} bytes, more than the producer's max request size "
                f"({limit}); lower {BY_NAME['max_bytes'].env}")


# -- checks against the broker ---------------------------------------------------------------
async def broker_reachable(settings: Settings, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a bootstrap server answers a metadata request.

    Raises :class:`StartupError` when one answers but refuses the credentials or the TLS
    handshake: waiting would not help.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=int(timeout * 1000), **settings.kafka_auth())
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return True
    except Exception:
        pass
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    await _check_credentials(settings, timeout)
    return False


async def _check_credentials(settings: Settings, timeout: float) -> None:
    """Connect to each bootstrap server; raise if one answers and refuses us."""
    from aiokafka import errors
    from aiokafka.conn import create_conn

    auth = settings.kafka_auth()
    for server in settings.bootstrap.split(","):
        host, _, port = server.rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(host, int(port), request_timeout_ms=int(timeout * 1000), **auth),
                timeout)
        except (errors.SaslAuthenticationFailed, errors.AuthenticationFailedError) as exc:
            raise StartupError(
                f"broker {server}: authentication failed for user {settings.sasl_username!r} "
                f"({settings.sasl_mechanism}): check {_names('sasl_username')} and "
                f"{_names('sasl_password')}{_detail(exc)}") from None
        except ssl.SSLCertVerificationError as exc:
            raise StartupError(
                f"broker {server}: TLS certificate not trusted ({_reason(exc)}); check "
                f"{_names('ssl_cafile')}") from None
        except ssl.SSLError as exc:
            raise StartupError(
                f"broker {server}: TLS handshake failed ({_reason(exc)}); check "
                f"{_names('security_protocol')} and the SSL files") from None
        except (errors.UnsupportedSaslMechanismError, errors.IllegalSaslStateError) as exc:
            raise StartupError(
                f"broker {server}: {type(exc).__name__}; check "
                f"{_names('sasl_mechanism')} and {_names('security_protocol')}") from None
        except Exception:
            continue  # not answering: the caller waits for it
        conn.close()


def _detail(exc: BaseException) -> str:
    """The broker's own words from an aiokafka error (``[Error 58] X: words``), if any."""
    text = str(exc)
    words = text.split(": ", 1)[1] if ": " in text else ""
    return f" ({' '.join(words.split())})" if words else ""


async def check_transactions(settings: Settings, timeout: float = TRANSACTIONS_TIMEOUT_S) -> None:
    """``exactly_once`` needs a broker with transactions: ask for a transactional producer id."""
    if settings.processing_guarantee != "exactly_once":
        return
    from aiokafka import errors
    from aiokafka.client import AIOKafkaClient
    from aiokafka.protocol.transaction import InitProducerIdRequest

    client = AIOKafkaClient(bootstrap_servers=settings.bootstrap,
                            request_timeout_ms=int(PROBE_TIMEOUT_S * 1000),
                            **settings.kafka_auth())
    transactional_id = settings.group_id + PREFLIGHT_SUFFIX
    deadline = time.monotonic() + timeout
    last = ""
    try:
        await asyncio.wait_for(client.bootstrap(), PROBE_TIMEOUT_S)
        while time.monotonic() < deadline:
            try:
                node = await client.coordinator_lookup(1, transactional_id)
                response = await client.send(node, InitProducerIdRequest(transactional_id, 60000))
                code = response.error_code
            except errors.KafkaError as exc:
                if not exc.retriable:
                    code = getattr(exc, "errno", -1)
                    last = type(exc).__name__
                else:
                    code, last = 15, type(exc).__name__
            if code == 0:
                return
            if code not in _RETRIABLE_TXN_ERRORS:
                name = errors.for_code(code).__name__
                if code == -1:
                    raise StartupError(
                        f"{_names('processing_guarantee')}=exactly_once needs a broker with "
                        f"transactions; {settings.broker} refused a transactional producer "
                        f"({name}) — the embedded broker has none: use Apache Kafka "
                        "(`qingliu dev --broker kafka`) or at_least_once")
                raise StartupError(
                    f"{_names('processing_guarantee')}=exactly_once: {settings.broker} refused a "
                    f"transactional producer ({name}); check the transactional-id ACLs and "
                    "transaction.state.log settings, or use at_least_once")
            last = last or errors.for_code(code).__name__
            await asyncio.sleep(0.5)
        log.warning("exactly_once: the transaction coordinator did not answer within %.0fs (%s); "
                    "starting anyway", timeout, last)
    except (TimeoutError, errors.KafkaConnectionError) as exc:
        log.warning("exactly_once: cannot check transactions now (%r); starting anyway", exc)
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def topic_max_message_bytes(settings: Settings) -> dict[str, int]:
    """``max.message.bytes`` of the clean and dead-letter topics, by role (``clean``, ``dlq``);
    a topic that does not exist yet, or a broker that does not say, is left out."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=int(PROBE_TIMEOUT_S * 1000),
                                **settings.kafka_auth())
    found: dict[str, int] = {}
    try:
        await asyncio.wait_for(admin.start(), PROBE_TIMEOUT_S)
        roles = {settings.topic_clean: "clean", settings.topic_dlq: "dlq"}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name, {"max.message.bytes": None})
                     for name in roles]
        for response in await asyncio.wait_for(admin.describe_configs(resources),
                                                PROBE_TIMEOUT_S):
            for error_code, _, _, name, entries in response.resources:
                if error_code or name not in roles:
                    continue  # e.g. the topic does not exist yet
                for entry in entries:
                    if entry[0] == "max.message.bytes" and str(entry[1]).isdigit():
                        found[roles[name]] = int(entry[1])
    except Exception as exc:  # brokers without DescribeConfigs (or without the right to use it)
        log.info("cannot read the topics' max.message.bytes (%r); size check skipped", exc)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    return found


async def check_topic_sizes(settings: Settings) -> None:
    """The output topics accept the largest clean event and dead letter (the size rule)."""
    needed = needed_bytes(settings.max_bytes)
    topics = {"clean": settings.topic_clean, "dlq": settings.topic_dlq}
    settings_of = {"clean": "topic_clean", "dlq": "topic_dlq"}
    for role, limit in (await topic_max_message_bytes(settings)).items():
        if needed[role] > limit:
            what = "a clean event" if role == "clean" else "a dead letter"
            raise StartupError(
                f"{_names('max_bytes')}={settings.max_bytes}: {what} of a post at that limit "
                f"takes up to {needed[role]} bytes, but topic {topics[role]} "
                f"({_names(settings_of[role])}) has max.message.bytes={limit}; raise the topic's "
                f"max.message.bytes to {needed[role]} or lower {BY_NAME['max_bytes'].env}")


async def check_broker(settings: Settings) -> None:
    """The checks that need the broker (call once it answers)."""
    await check_transactions(settings)
    await check_topic_sizes(settings)


async def preflight(settings: Settings) -> None:
    """Check the settings against the machine and the broker before the worker starts.

    Raises :class:`~service.errors.ConfigError` or :class:`StartupError` with one line naming
    the setting.  A broker that does not answer yet is not an error: :func:`wait_for_broker`
    waits for it and runs the broker checks then.
    """
    check_data_dir(settings)
    check_tls_files(settings)
    check_web_port(settings)
    check_sizes(settings)
    if await broker_reachable(settings):
        await check_broker(settings)


async def wait_for_broker(settings: Settings, metrics: Metrics,
                          checks: Callable[[Settings], Awaitable[None]] = check_broker) -> None:
    """Return once the broker answers; until then serve /healthz 200 and /readyz 503.

    A worker started before its broker (or during an outage) waits instead of exiting, and
    says so to its probes; Faust's own web server takes the port over afterwards.  Once a late
    broker answers, ``checks`` run (those :func:`preflight` could not).  Wrong credentials end
    the wait with :class:`StartupError`.
    """
    if await broker_reachable(settings):
        return
    from aiohttp import web

    async def healthz(request: Any) -> Any:
        return web.json_response({"status": "ok"})

    async def readyz(request: Any) -> Any:
        return web.json_response({"ready": False, "connected": False,
                                  "reason": "waiting for the broker"}, status=503)

    async def metrics_page(request: Any) -> Any:
        return web.Response(body=metrics.render(), content_type="text/plain")

    standby = web.Application()
    standby.router.add_get("/healthz", healthz)
    standby.router.add_get("/readyz", readyz)
    standby.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(standby)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:
        log.warning("cannot serve probes while waiting for the broker: %r", exc)
    delay = 1.0
    try:
        while not await broker_reachable(settings):
            log.warning("broker %s is not reachable; retrying in %.0fs", settings.broker, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        log.info("broker %s is reachable", settings.broker)
        await checks(settings)
    finally:
        await runner.cleanup()
