"""Start-up checks: each misconfiguration is one line naming the setting, before any traceback."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import orjson
import pytest

from service.broker import EmbeddedBroker, free_port
from service.config import Settings
from service.errors import ConfigError
from service.pipeline import Limits, Origin, process_message
from service.worker import probes
from service.worker.probes import StartupError, preflight


def _one_line(exc: BaseException, *needles: str) -> str:
    text = str(exc)
    assert "\n" not in text, text
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
    return text


def _local(tmp_path: Path, **changes: object) -> Settings:
    """Settings whose broker nobody listens on (preflight then skips the broker checks)."""
    base = Settings(broker=f"kafka://127.0.0.1:{free_port()}", web_port=free_port(),
                    data_dir=str(tmp_path / "data"))
    return base.replace(**changes)


async def test_a_sound_configuration_passes_without_a_broker(tmp_path):
    await asyncio.wait_for(preflight(_local(tmp_path)), 30)
    assert (tmp_path / "data").is_dir()


async def test_an_unwritable_data_dir_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StartupError) as caught:
        await preflight(_local(tmp_path, data_dir=str(blocker / "data")))
    _one_line(caught.value, "QINGLIU_DATA_DIR", "--data-dir", str(blocker / "data"))


@pytest.mark.parametrize("name, env", [("ssl_cafile", "QINGLIU_SSL_CAFILE"),
                                       ("ssl_certfile", "QINGLIU_SSL_CERTFILE"),
                                       ("ssl_keyfile", "QINGLIU_SSL_KEYFILE")])
async def test_a_missing_tls_file_is_named_with_its_path(tmp_path, name, env):
    missing = str(tmp_path / "nope.pem")
    settings = _local(tmp_path, security_protocol="SSL", **{name: missing})
    if name == "ssl_keyfile":
        cert = tmp_path / "cert.pem"
        cert.write_text("not a certificate")
        settings = settings.replace(ssl_certfile=str(cert))
    with pytest.raises(ConfigError) as caught:
        await preflight(settings)
    _one_line(caught.value, env, missing)


async def test_a_bad_ca_bundle_and_a_key_without_certificate_are_named(tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError) as caught:
        await preflight(_local(tmp_path, security_protocol="SASL_SSL", ssl_cafile=str(bogus)))
    _one_line(caught.value, "QINGLIU_SSL_CAFILE", str(bogus))
    with pytest.raises(ConfigError) as caught:
        await preflight(_local(tmp_path, security_protocol="SSL", ssl_keyfile=str(bogus)))
    _one_line(caught.value, "QINGLIU_SSL_KEYFILE", "QINGLIU_SSL_CERTFILE")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_valid_tls_files_pass_and_a_mismatched_key_is_named(tmp_path):
    def make(name: str) -> tuple[Path, Path]:
        cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=120)
        return cert, key

    cert, key = make("client")
    other_cert, other_key = make("other")
    settings = _local(tmp_path, security_protocol="SSL", ssl_cafile=str(other_cert),
                      ssl_certfile=str(cert), ssl_keyfile=str(key))
    await preflight(settings)
    with pytest.raises(ConfigError) as caught:
        await preflight(settings.replace(ssl_keyfile=str(other_key)))
    _one_line(caught.value, "QINGLIU_SSL_CERTFILE", "QINGLIU_SSL_KEYFILE", str(other_key))


async def test_a_web_port_in_use_is_named(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError) as caught:
            await preflight(_local(tmp_path, web_port=port))
    _one_line(caught.value, "QINGLIU_WEB_PORT", "--web-port", str(port), "in use")


def test_web_port_zero_resolves_to_a_free_port(tmp_path):
    settings = _local(tmp_path, web_port=0)
    port = probes.resolve_web_port(settings)
    assert 0 < port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert probes.resolve_web_port(settings.replace(web_port=6066)) == 6066
    probes.check_web_port(settings)  # 0 is never "in use"


def test_sizes_must_fit_the_producer(tmp_path):
    probes.check_sizes(_local(tmp_path))  # the defaults agree
    too_big = (16 << 20) // 6
    with pytest.raises(ConfigError) as caught:
        probes.check_sizes(_local(tmp_path, max_bytes=too_big), max_request_bytes=16 << 20)
    _one_line(caught.value, "QINGLIU_MAX_BYTES", str(too_big), "max request size")


def test_needed_bytes_cover_real_outcomes_at_the_limit():
    limit = 64 << 10
    needed = probes.needed_bytes(limit)
    # a dead letter of a post just over the limit carries it base64-encoded
    post = orjson.dumps({"id": "p", "text": "x" * limit})
    dead = process_message(post, b"k" * 200, Origin("posts.raw", 0, 1), Limits(max_bytes=limit))
    assert dead.kind == "dlq" and dead.error_code == "too_large"
    assert len(dead.value_bytes()) <= needed["dlq"]
    assert needed["dlq"] >= limit * 4 // 3
    # a clean event of a post at the limit with an edit on every character
    text = "ａb" * ((limit - 40) // 4)
    event = process_message(orjson.dumps({"id": "p", "text": text}), b"p", Origin(),
                            Limits(max_bytes=limit))
    assert event.kind == "clean"
    assert len(event.value_bytes()) <= needed["clean"]


# -- against brokers ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tansu():
    with EmbeddedBroker() as running:
        yield running


@pytest.mark.integration
async def test_exactly_once_on_the_embedded_broker_says_it_needs_kafka(tansu, tmp_path):
    settings = _local(tmp_path, broker=tansu.url, processing_guarantee="exactly_once")
    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(preflight(settings), 60)
    _one_line(caught.value, "QINGLIU_PROCESSING_GUARANTEE", "exactly_once", "Apache Kafka")
    await asyncio.wait_for(preflight(settings.replace(processing_guarantee="at_least_once")), 60)


@pytest.fixture(scope="module")
def kafka(tmp_path_factory):
    from service import kafka_local

    try:
        kafka_local.find_java()
        kafka_local.find_kafka_lib()
    except kafka_local.KafkaUnavailable as exc:
        pytest.skip(f"Apache Kafka tier skipped: {exc}")
    with kafka_local.start_kafka(1, tmp_path_factory.mktemp("kafka-probes")) as bootstrap:
        yield "kafka://" + bootstrap


async def _create(settings: Settings, max_message_bytes: dict[str, str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([
            NewTopic(name, 1, 1, topic_configs={"max.message.bytes": size})
            for name, size in max_message_bytes.items()])
    finally:
        await admin.close()


@pytest.mark.kafka
@pytest.mark.integration
async def test_topic_max_message_bytes_must_fit_the_largest_outcome(kafka, tmp_path):
    run = uuid.uuid4().hex[:8]
    settings = _local(tmp_path, broker=kafka, topic_clean=f"{run}.clean", topic_dlq=f"{run}.dlq")
    await asyncio.wait_for(preflight(settings), 60)  # topics not there yet: nothing to compare
    await _create(settings, {settings.topic_clean: "8388608", settings.topic_dlq: "1048576"})
    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(preflight(settings), 60)
    _one_line(caught.value, "QINGLIU_MAX_BYTES", settings.topic_dlq, "max.message.bytes=1048576",
              "QINGLIU_TOPIC_DLQ")
    await asyncio.wait_for(preflight(settings.replace(max_bytes=512 << 10)), 60)  # 4/3 fits


@pytest.mark.kafka
@pytest.mark.integration
async def test_exactly_once_on_apache_kafka_passes(kafka, tmp_path):
    settings = _local(tmp_path, broker=kafka, processing_guarantee="exactly_once")
    await asyncio.wait_for(preflight(settings), 90)


# -- through `qingliu worker` --------------------------------------------------------------------
QUIET = {"QINGLIU_LOG_LEVEL": "warning", "QINGLIU_PROCESSES": "0"}


@pytest.mark.integration
def test_worker_exactly_once_on_the_embedded_broker_is_one_line(tansu, spawn_worker):
    worker = spawn_worker(tansu.url, QINGLIU_PROCESSING_GUARANTEE="exactly_once", **QUIET)
    try:
        code = worker.process.wait(120)
    finally:
        worker.close()
    output = worker.log_path.read_text(errors="replace")
    assert code == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    (line,) = [text for text in output.splitlines() if "error" in text]
    assert "QINGLIU_PROCESSING_GUARANTEE" in line and "Apache Kafka" in line


@pytest.mark.integration
def test_worker_web_port_zero_serves_on_the_port_it_logs(tansu, spawn_worker):
    import re
    import time
    import urllib.request

    worker = spawn_worker(tansu.url, QINGLIU_WEB_PORT="0", **QUIET)
    log = worker.log_path
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status != 200:
            assert worker.process.poll() is None, log.read_text(errors="replace")[-3000:]
            found = re.search(r"on port (\d+)", log.read_text(errors="replace"))
            if found:
                try:
                    url = f"http://127.0.0.1:{found.group(1)}/healthz"
                    with urllib.request.urlopen(url, timeout=2) as response:
                        status = response.status
                except OSError:
                    pass
            time.sleep(0.3)
        assert status == 200, log.read_text(errors="replace")[-3000:]
    finally:
        worker.process.terminate()
        try:
            worker.process.wait(60)
        except subprocess.TimeoutExpired:
            worker.close()


class _TxnClient:
    """Answers InitProducerId with the next code of ``codes`` (no broker)."""

    codes: list[int] = []

    def __init__(self, **kwargs) -> None:
        pass

    async def bootstrap(self) -> None:
        pass

    async def coordinator_lookup(self, kind: int, key: str) -> int:
        return 0

    async def send(self, node: int, request):
        from types import SimpleNamespace

        return SimpleNamespace(error_code=self.codes.pop(0))

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("codes, refused", [
    ([51, 51, 0], False),  # concurrent transactions while other workers start: wait, then go
    ([53], True),  # transactional-id authorization failed: a one-line refusal
    ([-1], True),  # a broker without transactions
])
async def test_the_transactions_probe_waits_out_concurrent_starts(monkeypatch, codes, refused):
    import aiokafka.client

    from service.worker.probes import StartupError, check_transactions

    monkeypatch.setattr(aiokafka.client, "AIOKafkaClient", _TxnClient)
    monkeypatch.setattr(_TxnClient, "codes", list(codes))
    settings = Settings(processing_guarantee="exactly_once")
    if refused:
        with pytest.raises(StartupError, match="exactly_once"):
            await check_transactions(settings, timeout=10)
    else:
        await check_transactions(settings, timeout=10)
        assert _TxnClient.codes == []
