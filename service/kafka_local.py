"""A local Apache Kafka (KRaft) node or cluster for tests, benchmarks and ``qingliu dev``.

The jars come from Maven Central through ``deploy/kafka/fetch.sh`` (cached per version); this module
renders ``deploy/kafka/templates/server.properties`` per node, formats the log directories with
``kafka.tools.StorageTool`` and runs ``kafka.Kafka`` with ``java`` on free loopback ports::

    with start_kafka(nodes=3) as bootstrap:        # "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
        bootstrap.cluster.kill_node(2)             # kill -9 one broker …
        bootstrap.cluster.start_node(2)            # … and bring it back with its log directory

Every node is a combined broker + controller.  Three nodes give replication factor 3 and
``min.insync.replicas=2``; one node gives 1/1.  A ``data_dir`` that already holds a cluster (from
an earlier run) is reused as it is: same cluster id, same ports, same logs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from service.errors import QingliuError
from service.lifeline import parent_death_preexec
from service.ports import free_ports

log = logging.getLogger(__name__)

REPO_KAFKA = Path(__file__).resolve().parents[1] / "deploy" / "kafka"
TEMPLATES = REPO_KAFKA / "templates"
FETCH_HINT = "run deploy/kafka/fetch.sh (needs Java 17+ and Maven; resolves Kafka from Maven Central)"
DEFAULT_HEAP = "512m"
STARTED = re.compile(r"Kafka Server started|\[KafkaRaftServer nodeId=\d+\] Kafka Server started")
_STATE_FILE = "qingliu-cluster.json"


class KafkaUnavailable(QingliuError):
    """Java or the Kafka jars are missing; the message says how to get them."""


class KafkaStartError(QingliuError):
    """A node did not come up; the message carries the tail of its log."""


def kafka_version() -> str:
    """The Kafka version pinned in ``deploy/kafka/pom.xml``."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", (REPO_KAFKA / "pom.xml").read_text())
    if not match:
        raise KafkaUnavailable(f"no <kafka.version> in {REPO_KAFKA / 'pom.xml'}")
    return match.group(1)


def _cache_root() -> Path:
    if os.environ.get("QINGLIU_KAFKA_CACHE"):
        return Path(os.environ["QINGLIU_KAFKA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qingliu" / "kafka"


def find_java() -> str:
    """The ``java`` executable (``$JAVA_HOME/bin/java`` first), checked to be version 17 or newer."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    if found := shutil.which("java"):
        candidates.append(found)
    for java in candidates:
        if not os.access(java, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=30
            ).stderr
        except (OSError, subprocess.SubprocessError):
            continue
        match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
        if match:
            major = int(match.group(1))
            if major == 1 and match.group(2):
                major = int(match.group(2))
            if major >= 17:
                return java
    raise KafkaUnavailable(
        "Apache Kafka 4 needs Java 17 or newer and none was found "
        "(install openjdk-17-jre-headless or set JAVA_HOME); then " + FETCH_HINT
    )


def find_kafka_lib(version: str | None = None) -> Path:
    """The folder of Kafka jars: ``$QINGLIU_KAFKA_LIB``, ``deploy/kafka/lib`` or the fetch cache."""
    version = version or kafka_version()
    candidates = []
    if os.environ.get("QINGLIU_KAFKA_LIB"):
        candidates.append(Path(os.environ["QINGLIU_KAFKA_LIB"]))
    candidates += [REPO_KAFKA / "lib", _cache_root() / version / "lib"]
    for lib in candidates:
        if (lib / f"kafka_2.13-{version}.jar").is_file():
            return lib
    raise KafkaUnavailable(
        f"Apache Kafka {version} jars not found (looked in {', '.join(map(str, candidates))}); "
        + FETCH_HINT
    )


def fetch_kafka(timeout: float = 900) -> Path:
    """Run ``deploy/kafka/fetch.sh`` (a no-op when cached) and return the jar folder."""
    try:
        out = subprocess.run(
            ["bash", str(REPO_KAFKA / "fetch.sh")],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise KafkaUnavailable(f"deploy/kafka/fetch.sh failed: {exc.stderr[-2000:]}") from None
    return Path(out.stdout.strip().splitlines()[-1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def new_cluster_id() -> str:
    """A random Kafka cluster id (a UUID in URL-safe base64, as ``kafka-storage random-uuid``)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


@dataclass
class KafkaNode:
    """One combined broker + controller JVM."""

    node_id: int
    port: int
    controller_port: int
    home: Path
    java: str
    classpath: str
    heap: str = DEFAULT_HEAP
    proc: subprocess.Popen | None = field(default=None, repr=False)
    _log_offset: int = field(default=0, repr=False)

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _jvm(self) -> list[str]:
        return [
            self.java,
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-Xss512k",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:MaxDirectMemorySize=256m",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.home}",
            "-cp",
            self.classpath,
        ]

    def format(self, cluster_id: str) -> None:
        """Format the log directory (once; an already formatted directory is left alone)."""
        if (self.log_dir / "meta.properties").exists():
            return
        cmd = [*self._jvm(), "kafka.tools.StorageTool", "format", "-t", cluster_id,
               "-c", str(self.config), "--ignore-formatted"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise KafkaStartError(
                f"formatting node {self.node_id} failed:\n{(done.stdout + done.stderr)[-3000:]}"
            )

    def start(self) -> None:
        """Start the JVM (returns at once; see :meth:`wait_ready`).

        Started from the main thread, the JVM dies with this process (a parent-death signal),
        so a killed test run or ``qingliu dev`` leaves no broker behind.
        """
        if self.alive:
            return
        if port_open(self.port) or port_open(self.controller_port):
            raise KafkaStartError(
                f"node {self.node_id}: port {self.port} or {self.controller_port} is taken"
            )
        self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self._jvm(), "kafka.Kafka", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=parent_death_preexec(),
            )

    def log_tail(self, chars: int = 4000) -> str:
        """The end of this node's log."""
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def started(self) -> bool:
        """Whether the current run has logged that it started and its port answers."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return False
        return bool(STARTED.search(text)) and port_open(self.port)

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the node reports it started (raises :class:`KafkaStartError` if not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.started():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise KafkaStartError(
                    f"Kafka node {self.node_id} exited with {self.proc.returncode}:\n"
                    + self.log_tail()
                )
            time.sleep(0.1)
        raise KafkaStartError(
            f"Kafka node {self.node_id} not ready after {timeout:.0f} s:\n" + self.log_tail()
        )

    def kill(self) -> None:
        """``kill -9`` the JVM (no shutdown hooks, no flush)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """Graceful shutdown (SIGTERM), escalating to SIGKILL after ``timeout``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class KafkaCluster:
    """One or three local KRaft nodes sharing a cluster id."""

    nodes: list[KafkaNode]
    cluster_id: str
    root: Path

    @property
    def bootstrap(self) -> str:
        """``127.0.0.1:p1,127.0.0.1:p2,…`` for every node."""
        return ",".join(node.address for node in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        """The node with ``node_id`` (1-based)."""
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KeyError(node_id)

    def start(self, timeout: float = 90) -> None:
        """Start every node that is not running and wait until all are ready."""
        for node in self.nodes:
            node.start()
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            node.wait_ready(max(1.0, deadline - time.monotonic()))

    def kill_node(self, node_id: int) -> None:
        """``kill -9`` one node."""
        self.node(node_id).kill()

    def stop_node(self, node_id: int, timeout: float = 30) -> None:
        """Shut one node down gracefully."""
        self.node(node_id).stop(timeout)

    def start_node(self, node_id: int, timeout: float = 60, wait: bool = True) -> None:
        """Start one node again with its log directory; wait until it is ready."""
        node = self.node(node_id)
        node.start()
        if wait:
            node.wait_ready(timeout)

    def restart_node(self, node_id: int, *, hard: bool = True, timeout: float = 60) -> None:
        """Kill (``hard``) or stop one node, then start it again with its log directory."""
        if hard:
            self.kill_node(node_id)
        else:
            self.stop_node(node_id)
        self.start_node(node_id, timeout)

    def close(self) -> None:
        """Stop every node (kill those that do not stop within 20 s)."""
        for node in self.nodes:
            if node.alive and node.proc is not None:
                node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.stop(timeout=20)


class Bootstrap(str):
    """The bootstrap string, carrying its :class:`KafkaCluster` as ``.cluster``."""

    cluster: KafkaCluster

    def __new__(cls, cluster: KafkaCluster) -> Bootstrap:
        value = super().__new__(cls, cluster.bootstrap)
        value.cluster = cluster
        return value


def _render(template: str, **values: object) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
        template,
    )


def create_cluster(
    nodes: int = 1,
    root: Path | None = None,
    *,
    heap: str = DEFAULT_HEAP,
    auto_create_topics: bool = False,
    extra_config: dict[str, str] | None = None,
    sasl_users: dict[str, str] | None = None,
    lib: Path | None = None,
    format_storage: bool = True,
) -> KafkaCluster:
    """Lay out (or reopen) a cluster under ``root``: configs rendered, log directories formatted.

    ``sasl_users`` (``{user: password}``) makes the client listener ``SASL_PLAINTEXT`` with the
    PLAIN mechanism and those accounts (the controller listener stays plaintext on loopback).
    """
    if nodes < 1:
        raise ValueError("nodes must be at least 1")
    java = find_java()
    lib = lib or find_kafka_lib()
    classpath = os.pathsep.join(sorted(str(jar) for jar in lib.glob("*.jar")))
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="qingliu-kafka-"))
    root.mkdir(parents=True, exist_ok=True)
    state_file = root / _STATE_FILE
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if len(state["nodes"]) != nodes:
            raise KafkaStartError(
                f"{root} holds a {len(state['nodes'])}-node cluster, not {nodes}; use another data dir"
            )
    else:
        ports = free_ports(2 * nodes)
        state = {
            "cluster_id": new_cluster_id(),
            "nodes": [
                {"node_id": i + 1, "port": ports[2 * i], "controller_port": ports[2 * i + 1]}
                for i in range(nodes)
            ],
        }
    voters = ",".join(f"{n['node_id']}@127.0.0.1:{n['controller_port']}" for n in state["nodes"])
    replication = min(nodes, 3)
    template = (TEMPLATES / "server.properties").read_text()
    members = []
    for spec in state["nodes"]:
        node = KafkaNode(
            spec["node_id"], spec["port"], spec["controller_port"],
            root / f"node-{spec['node_id']}", java, classpath, heap,
        )
        node.home.mkdir(parents=True, exist_ok=True)
        text = _render(
            template,
            node_id=node.node_id, voters=voters, port=node.port,
            controller_port=node.controller_port, log_dir=node.log_dir,
            replication=replication, min_isr=max(1, replication - 1),
            auto_create="true" if auto_create_topics else "false",
            protocol="SASL_PLAINTEXT" if sasl_users else "PLAINTEXT",
        )
        if sasl_users:
            text += _sasl_config(sasl_users)
        for key, value in (extra_config or {}).items():
            text += f"{key}={value}\n"
        node.config.write_text(text)
        members.append(node)
    cluster = KafkaCluster(members, state["cluster_id"], root)
    state_file.write_text(json.dumps(state, indent=2))
    if format_storage:
        _parallel_format(members, state["cluster_id"])
    return cluster


def _jaas_quote(value: str) -> str:
    """``value`` as a JAAS quoted string (Java's ``StreamTokenizer`` reads the escapes back)."""
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"'


def _properties_escape(value: str) -> str:
    """``value`` for the value side of a ``.properties`` line.

    ``java.util.Properties.load`` reads ISO-8859-1 and treats ``\\`` as an escape, so backslashes
    are doubled and everything outside printable ASCII becomes ``\\uXXXX`` (UTF-16 units).
    """
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif " " <= char <= "~":
            out.append(char)
        else:
            data = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(data[i:i + 2], 'big'):04x}"
                       for i in range(0, len(data), 2))
    return "".join(out)


def _sasl_config(users: dict[str, str]) -> str:
    """Broker settings for a SASL/PLAIN client listener with ``users`` (the first one is the
    inter-broker account).  Any password works: quotes, backslashes, non-ASCII, one character."""
    for name in users:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"SASL user name {name!r}: use letters, digits, '_', '.', '-'")
    (admin, admin_password), *_ = users.items()
    accounts = " ".join(f"user_{name}={_jaas_quote(password)}"
                        for name, password in users.items())
    jaas = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f"username={_jaas_quote(admin)} password={_jaas_quote(admin_password)} {accounts};"
    )
    return (
        "sasl.enabled.mechanisms=PLAIN\n"
        "sasl.mechanism.inter.broker.protocol=PLAIN\n"
        f"listener.name.sasl_plaintext.plain.sasl.jaas.config={_properties_escape(jaas)}\n"
    )


def _parallel_format(nodes: Sequence[KafkaNode], cluster_id: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        for future in [pool.submit(node.format, cluster_id) for node in nodes]:
            future.result()


@contextlib.contextmanager
def start_kafka(
    nodes: int = 1,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    heap: str = DEFAULT_HEAP,
    auto_create_topics: bool = False,
    extra_config: dict[str, str] | None = None,
    sasl_users: dict[str, str] | None = None,
    timeout: float = 90,
) -> Iterator[Bootstrap]:
    """Run a local KRaft cluster of ``nodes`` and yield its bootstrap string (see :class:`Bootstrap`).

    With ``data_dir`` the cluster lives (and stays) there; without, in a temporary folder removed
    on exit.  Raises :class:`KafkaUnavailable` when Java or the jars are missing.
    """
    root = Path(data_dir) if data_dir is not None else None
    attempts = 3
    for attempt in range(1, attempts + 1):
        fresh = root is None or not (root / _STATE_FILE).exists()
        cluster = create_cluster(
            nodes, root, heap=heap, auto_create_topics=auto_create_topics,
            extra_config=extra_config, sasl_users=sasl_users, format_storage=False,
        )
        try:
            _parallel_format(cluster.nodes, cluster.cluster_id)
            cluster.start(timeout)
            break
        except KafkaStartError as exc:
            cluster.close()
            # A new cluster's free ports can be taken by another process before the JVMs bind
            # them: start over on new ports.  A reopened data dir keeps its ports, so no retry.
            if not fresh or attempt == attempts:
                if root is None:
                    shutil.rmtree(cluster.root, ignore_errors=True)
                raise
            log.warning("Kafka did not start (attempt %d of %d), retrying on new ports: %s",
                        attempt, attempts, str(exc)[-2000:])
            if root is None:
                shutil.rmtree(cluster.root, ignore_errors=True)
                continue
            for node in cluster.nodes:  # only what create_cluster made
                shutil.rmtree(node.home, ignore_errors=True)
            (cluster.root / _STATE_FILE).unlink(missing_ok=True)
    try:
        yield Bootstrap(cluster)
    finally:
        cluster.close()
        if root is None:
            shutil.rmtree(cluster.root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m service.kafka_local [--nodes N] [--data-dir DIR]``: run a cluster until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 3))
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    try:
        with start_kafka(args.nodes, args.data_dir) as bootstrap:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            print(f"kafka://{bootstrap}", flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KafkaUnavailable as exc:
        print(f"error: {exc}")
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
