"""Every runtime setting in one table: each is an environment variable and a command-line flag.

``qingliu worker``, ``topics``, ``produce``, ``tail``, ``dev`` and the benchmarks read the same
table, so a setting means the same thing everywhere.  Precedence: flag > environment > default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from service.errors import ConfigError

GUARANTEES = ("at_least_once", "exactly_once")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or a positive integer")
    return value


def _processes(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _nonnegative_int(text)
    except ValueError:
        raise ValueError("must be auto, 0 or a positive integer") from None


def usable_cpus() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup CPU quota (containers)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        count = min(count, max(1, int(quota + 0.5)))
    return max(1, count)


def _cgroup_cpu_quota() -> float | None:
    """The container's CPU limit in CPUs (cgroup v2 ``cpu.max`` or v1 CFS), None if unlimited."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


# Kafka clients' largest request (producer) and fetch: a dead letter of a too-large post carries
# the post base64-encoded.
MAX_REQUEST_BYTES = 16 << 20

# The largest QINGLIU_MAX_BYTES accepted: a clean event may take 6 × this (see the clean-event
# schema), and a dead letter carries the raw value base64-encoded.
MAX_MAX_BYTES = 64 << 20


def _max_bytes(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_MAX_BYTES:
        raise ValueError(f"must be between 1 and {MAX_MAX_BYTES} (64 MiB)")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise ValueError("must be a number of seconds, more than 0 and at most 3600")
    return value


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be on or off (1/0, true/false, yes/no)")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be a TCP port number (0-65535)")
    return value


def _choice(options: Iterable[str], *, lower: bool = True) -> Callable[[str], str]:
    allowed = tuple(options)

    def parse(text: str) -> str:
        value = text.strip().lower() if lower else text.strip().upper()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def broker_urls(text: str) -> str:
    """Normalise ``host:port[,host:port]`` or ``kafka://host:port;…`` to ``kafka://h:p,h:p``."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("is empty; give kafka://host:port (comma-separated for several)")
    hosts = []
    for part in parts:
        scheme, sep, rest = part.partition("://")
        if not sep:
            scheme, rest = "kafka", part
        if scheme != "kafka":
            raise ValueError(f"scheme {scheme!r} is not supported; use kafka://host:port")
        host, colon, port = rest.rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ValueError(f"{part!r} is not host:port")
        if not 1 <= int(port) <= 65535:
            raise ValueError(f"{part!r}: the port must be between 1 and 65535")
        hosts.append(f"{host}:{port}")
    return "kafka://" + ",".join(hosts)


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: attribute name, env var, flag, parser, default and help."""

    name: str
    env: str
    flag: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    secret: bool = False
    metavar: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("broker", "QINGLIU_BROKER", "--broker", broker_urls, "kafka://localhost:9092",
            "Kafka bootstrap servers, kafka://host:port (comma-separated for several)", metavar="URL"),
    Setting("topic_raw", "QINGLIU_TOPIC_RAW", "--topic-raw", str, "posts.raw",
            "topic of raw posts (input)", metavar="TOPIC"),
    Setting("topic_clean", "QINGLIU_TOPIC_CLEAN", "--topic-clean", str, "posts.clean",
            "topic of clean events (output)", metavar="TOPIC"),
    Setting("topic_dlq", "QINGLIU_TOPIC_DLQ", "--topic-dlq", str, "posts.dlq",
            "dead-letter topic (output)", metavar="TOPIC"),
    Setting("topic_rules", "QINGLIU_TOPIC_RULES", "--topic-rules", str, "qingliu.rules",
            "compacted topic of operator rules (read by every worker; `qingliu rules`)",
            metavar="TOPIC"),
    Setting("rules_file", "QINGLIU_RULES_FILE", "--rules-file", str, "",
            "batch commands: operator rules from this JSONL file (the rules topic's values)",
            metavar="FILE"),
    Setting("group_id", "QINGLIU_GROUP_ID", "--group-id", str, "qingliu",
            "consumer group / Faust app id; workers with the same id share partitions", metavar="ID"),
    Setting("concurrency", "QINGLIU_CONCURRENCY", "--concurrency", _positive_int, 4,
            "at_least_once: batches in flight per worker (published or in the child processes "
            "while the next batch is read)", metavar="N"),
    Setting("processes", "QINGLIU_PROCESSES", "--processes", _processes, "auto",
            "pipeline child processes per worker: 0 runs the pipeline in a thread of the worker "
            "(a huge post then holds up its event loop and /healthz for up to a second); N > 0 "
            "uses N more cores (at_least_once: batches in flight may then be published out of "
            "order); auto (default): one per usable CPU beyond the first (container CPU limits "
            "count) and at least one; one under exactly_once, which processes one batch at a "
            "time, in order", metavar="N|auto"),
    Setting("processing_guarantee", "QINGLIU_PROCESSING_GUARANTEE", "--processing-guarantee",
            _choice(GUARANTEES), "at_least_once",
            "at_least_once, or exactly_once (Kafka transactions; needs Apache Kafka)"),
    Setting("max_bytes", "QINGLIU_MAX_BYTES", "--max-bytes", _max_bytes, 1 << 20,
            "raw values larger than this are dead-lettered as too_large (1 to 64 MiB)",
            metavar="BYTES"),
    Setting("web_host", "QINGLIU_WEB_HOST", "--web-host", str, "127.0.0.1",
            "address the health/metrics web server binds (0.0.0.0 in containers)", metavar="HOST"),
    Setting("web_port", "QINGLIU_WEB_PORT", "--web-port", _port, 6066,
            "port of /healthz, /readyz and /metrics (0: pick a free one)", metavar="PORT"),
    Setting("stop_timeout", "QINGLIU_STOP_TIMEOUT", "--stop-timeout", _seconds, 25.0,
            "seconds a stopping worker may take to finish its batches, commit and leave the "
            "group; then it logs every thread's stack and exits with status 1 (keep it below "
            "the orchestrator's grace period, 30 s on Kubernetes, and above 15 s: batches being "
            "published get 10 s before the last commit, and a shorter stop cuts them, to be "
            "read again)", metavar="S"),
    Setting("log_level", "QINGLIU_LOG_LEVEL", "--log-level", _choice(LOG_LEVELS), "info",
            "log level (debug, info, warning, error, critical)"),
    Setting("data_dir", "QINGLIU_DATA_DIR", "--data-dir", str, "",
            "Faust data directory (default: a fresh temporary directory)", metavar="DIR"),
    Setting("partitions", "QINGLIU_PARTITIONS", "--partitions", _positive_int, None,
            "partitions per topic when creating topics (default: topics/topics.v1.json)",
            metavar="N"),
    Setting("replication", "QINGLIU_REPLICATION", "--replication", _positive_int, None,
            "replication factor when creating topics (default: topics/topics.v1.json)",
            metavar="N"),
    Setting("security_protocol", "QINGLIU_SECURITY_PROTOCOL", "--security-protocol",
            _choice(SECURITY_PROTOCOLS, lower=False), "PLAINTEXT", "Kafka security protocol"),
    Setting("sasl_mechanism", "QINGLIU_SASL_MECHANISM", "--sasl-mechanism",
            _choice(SASL_MECHANISMS, lower=False), "PLAIN", "SASL mechanism"),
    Setting("sasl_username", "QINGLIU_SASL_USERNAME", "--sasl-username", str, "",
            "SASL user name", metavar="USER"),
    Setting("sasl_password", "QINGLIU_SASL_PASSWORD", "--sasl-password", str, "",
            "SASL password (prefer the environment variable; never logged)", secret=True,
            metavar="PASSWORD"),
    Setting("ssl_cafile", "QINGLIU_SSL_CAFILE", "--ssl-cafile", str, "",
            "CA bundle to verify the brokers", metavar="FILE"),
    Setting("ssl_certfile", "QINGLIU_SSL_CERTFILE", "--ssl-certfile", str, "",
            "client certificate (mutual TLS)", metavar="FILE"),
    Setting("ssl_keyfile", "QINGLIU_SSL_KEYFILE", "--ssl-keyfile", str, "",
            "client private key (mutual TLS)", metavar="FILE"),
    Setting("review", "QINGLIU_REVIEW", "--review", _switch, False,
            "serve the review page (/review: recent outcomes with their edits) on the worker's "
            "web server; off by default (posts are user content)", metavar="on|off"),
    Setting("review_token", "QINGLIU_REVIEW_TOKEN", "--review-token", str, "",
            "token the review page requires (?token= once, then a cookie; or Authorization: "
            "Bearer); empty: none", secret=True, metavar="TOKEN"),
    Setting("review_host", "QINGLIU_REVIEW_HOST", "--review-host", str, "127.0.0.1",
            "`qingliu review`: address its web server binds", metavar="HOST"),
    Setting("review_port", "QINGLIU_REVIEW_PORT", "--review-port", _port, 6068,
            "`qingliu review`: port of its web server (0: pick a free one)", metavar="PORT"),
)
BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}

#: Groups of settings the subcommands take.
CONNECTION = ("broker", "security_protocol", "sasl_mechanism", "sasl_username", "sasl_password",
              "ssl_cafile", "ssl_certfile", "ssl_keyfile")
TOPICS = ("topic_raw", "topic_clean", "topic_dlq", "topic_rules")
TOPIC_CREATION = ("partitions", "replication")
#: settings of the worker's own process, which `qingliu dev` (a stack in one process) lacks
WORKER_PROCESS = ("stop_timeout",)
WORKER = (*CONNECTION, *TOPICS, *TOPIC_CREATION, "group_id", "concurrency", "processes",
          "processing_guarantee", "max_bytes", "web_host", "web_port", *WORKER_PROCESS,
          "log_level", "data_dir", "review", "review_token")


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings (see :data:`SETTINGS` for meaning and defaults)."""

    broker: str = "kafka://localhost:9092"
    topic_raw: str = "posts.raw"
    topic_clean: str = "posts.clean"
    topic_dlq: str = "posts.dlq"
    topic_rules: str = "qingliu.rules"
    rules_file: str = ""
    group_id: str = "qingliu"
    concurrency: int = 4
    processes: int | str = "auto"
    processing_guarantee: str = "at_least_once"
    max_bytes: int = 1 << 20
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    stop_timeout: float = 25.0
    log_level: str = "info"
    data_dir: str = ""
    partitions: int | None = None
    replication: int | None = None
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    review: bool = False
    review_token: str = field(default="", repr=False)
    review_host: str = "127.0.0.1"
    review_port: int = 6068

    @property
    def pipeline_processes(self) -> int:
        """``processes`` resolved: the number of pipeline child processes to start."""
        if self.processes != "auto":
            return int(self.processes)
        # At least one: the pipeline's long C calls (automaton and regex scans over a whole
        # 1 MiB text) hold the GIL, so in a thread they stall the event loop and /healthz.
        if self.processing_guarantee == "exactly_once":
            return 1  # one batch at a time: more children would idle
        return max(1, usable_cpus() - 1)

    @property
    def bootstrap(self) -> str:
        """``host:port,host:port`` for aiokafka clients."""
        return self.broker.removeprefix("kafka://")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict, secrets masked (safe to log)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if BY_NAME[f.name].secret and value else value
        return out

    def kafka_auth(self) -> dict[str, Any]:
        """Security keyword arguments for aiokafka clients (empty for PLAINTEXT)."""
        if self.security_protocol == "PLAINTEXT":
            return {}
        kwargs: dict[str, Any] = {"security_protocol": self.security_protocol}
        if "SSL" in self.security_protocol:
            kwargs["ssl_context"] = self.ssl_context()
        if self.security_protocol.startswith("SASL"):
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password
        return kwargs

    def ssl_context(self) -> Any:
        """An SSL context from the CA/cert/key files (None without SSL)."""
        if "SSL" not in self.security_protocol:
            return None
        from aiokafka.helpers import create_ssl_context

        return create_ssl_context(
            cafile=self.ssl_cafile or None,
            certfile=self.ssl_certfile or None,
            keyfile=self.ssl_keyfile or None,
        )

    def faust_credentials(self) -> Any:
        """Faust ``broker_credentials`` for the security settings (None for PLAINTEXT)."""
        if self.security_protocol == "PLAINTEXT":
            return None
        import faust

        if self.security_protocol == "SSL":
            return faust.SSLCredentials(self.ssl_context())
        mechanism = self.sasl_mechanism
        if mechanism == "GSSAPI":
            return faust.GSSAPICredentials(ssl_context=self.ssl_context())
        return faust.SASLCredentials(
            username=self.sasl_username,
            password=self.sasl_password,
            ssl_context=self.ssl_context(),
            mechanism=mechanism,
        )


def add_flags(parser: argparse.ArgumentParser, names: Iterable[str] = WORKER) -> None:
    """Add a flag for each named setting; help shows the env var and its default."""
    group = parser.add_argument_group("settings (flag > environment variable > default)")
    for name in names:
        setting = BY_NAME[name]
        default = "" if setting.secret else f", default {setting.default!r}"
        group.add_argument(
            setting.flag,
            dest=setting.name,
            default=None,
            metavar=setting.metavar,
            help=f"{setting.help} [env {setting.env}{default}]",
        )


def load(
    args: argparse.Namespace | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting from flags (``args``), then ``environ``, then defaults.

    Raises :class:`ConfigError` naming the flag and variable of a malformed value, or of a
    certificate or key file that does not exist.
    """
    environ = os.environ if environ is None else environ
    given = vars(args) if isinstance(args, argparse.Namespace) else dict(args or {})
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = given.get(setting.name)
        source = setting.flag
        if raw is None:
            raw = environ.get(setting.env)
            source = setting.env
        if raw is None or (isinstance(raw, str) and raw.strip() == "" and setting.default is not None
                           and not isinstance(setting.default, str)):
            values[setting.name] = setting.default
            continue
        if not isinstance(raw, str):
            values[setting.name] = raw
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = "***" if setting.secret else repr(raw)
            raise ConfigError(
                f"{source}={shown} {exc} (flag {setting.flag}, env {setting.env})"
            ) from None
    for name in SSL_FILES:
        path = values[name]
        if path and not os.path.isfile(path):
            setting = BY_NAME[name]
            raise ConfigError(f"{setting.env} / {setting.flag}: no such file: {path}")
    return Settings(**values)


#: Settings that name files which must exist when they are given.
SSL_FILES = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")
