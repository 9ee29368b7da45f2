"""Security basics against a SASL/PLAIN Apache Kafka broker.

* SASL settings pass through ``QINGLIU_SECURITY_PROTOCOL``/``QINGLIU_SASL_*`` (or flags) to the
  worker's Kafka clients: the worker authenticates and processes posts;
* the password never appears in the worker's output (debug logging included), in any web
  response, nor when authentication fails;
* the web server binds to ``QINGLIU_WEB_HOST`` and serves only /healthz, /readyz and /metrics.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import qingliu_kafka_harness as h

from service import kafka_local
from service.ports import free_ports

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

ADMIN = ("admin", "admin-" + uuid.uuid4().hex)
SECRET = "pw-" + uuid.uuid4().hex  # the worker's password: must never be printed
ADMIN_AUTH = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
              "sasl_plain_username": ADMIN[0], "sasl_plain_password": ADMIN[1]}


@pytest.fixture(scope="module")
def sasl_kafka(kafka_jars: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    users = {ADMIN[0]: ADMIN[1], "qingliu": SECRET}
    with kafka_local.start_kafka(1, tmp_path_factory.mktemp("sasl"), sasl_users=users) as b:
        yield b


def _sasl_env(password: str) -> dict[str, str]:
    return {"QINGLIU_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "QINGLIU_SASL_MECHANISM": "PLAIN",
            "QINGLIU_SASL_USERNAME": "qingliu", "QINGLIU_SASL_PASSWORD": password,
            "QINGLIU_LOG_LEVEL": "debug"}


def _assert_not_leaked(secret: str, *texts: str | bytes) -> None:
    import base64

    forms = {secret, base64.b64encode(secret.encode()).decode(), secret[::-1],
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             repr(secret)[1:-1], repr(secret.encode())[2:-1]}
    for text in texts:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for form in forms:
            assert form not in text, "the SASL password leaked"


@pytest.mark.parametrize("via", ["env", "flag"])
def test_sasl_passes_through_and_the_password_is_never_logged(
    sasl_kafka: str, workers: list, logdir: Path, via: str
) -> None:
    topics = h.Topics.fresh("sasl")
    h.create_topics(sasl_kafka, topics, partitions=2, security=ADMIN_AUTH)
    env = _sasl_env(SECRET)
    args = []
    if via == "flag":
        env.pop("QINGLIU_SASL_PASSWORD")
        args = ["--sasl-password", SECRET]
    w = h.Worker(sasl_kafka, topics, h.unique("g"), "at_least_once", logdir, f"sasl-{via}",
                 env=env)
    workers.append(w.start(args))
    w.wait_ready(90)
    posts = h.make_posts(60, "sa")
    h.produce(sasl_kafka, topics.raw, posts, security=ADMIN_AUTH)
    h.wait_for_outcomes(sasl_kafka, topics, [k for k, _ in posts], security=ADMIN_AUTH,
                        check=w.assert_alive)
    pages = [w.get(path)[1] for path in ("/healthz", "/readyz", "/metrics")]
    assert w.terminate(60) == 0
    log = w.log()
    assert '"level":"debug"' in log or "DEBUG" in log, "debug logging was not on"
    _assert_not_leaked(SECRET, log, *pages)
    result = h.tally(sasl_kafka, topics, [k for k, _ in posts], security=ADMIN_AUTH)
    assert not result.lost and not result.duplicated


# Ids name the kind of password, not its random value, so that every collection agrees.
@pytest.mark.parametrize("wrong", ["wrong-" + uuid.uuid4().hex, 'p"w\\d-ü'],
                         ids=["random", "quote-backslash-non-ascii"])
def test_a_wrong_password_is_refused_and_not_logged(sasl_kafka: str, workers: list,
                                                    logdir: Path, wrong: str) -> None:
    topics = h.Topics.fresh("sasl-bad")
    h.create_topics(sasl_kafka, topics, partitions=1, security=ADMIN_AUTH)
    w = h.Worker(sasl_kafka, topics, h.unique("g"), "at_least_once", logdir, "bad",
                 env=_sasl_env(wrong))
    workers.append(w.start())
    import time

    deadline = time.monotonic() + 20
    statuses = set()
    while time.monotonic() < deadline and w.alive:
        statuses.add(w.get("/readyz")[0])
        if "uthentication" in w.log():
            break
        time.sleep(0.3)
    assert 200 not in statuses, "ready with a wrong password"
    assert "uthentication" in w.log(), "the log does not say that authentication failed"
    w.close()
    _assert_not_leaked(wrong, w.log())


def test_web_serves_only_health_and_metrics_on_the_configured_host(
    kafka1: str, workers: list, logdir: Path
) -> None:
    topics = h.Topics.fresh("web")
    h.create_topics(kafka1, topics, partitions=1)
    w = h.Worker(kafka1, topics, h.unique("g"), "at_least_once", logdir, "web",
                 web_host="127.0.0.2")
    workers.append(w.start())
    w.wait_ready(90)

    status, body, ctype = w.get("/healthz")
    assert status == 200 and "json" in ctype
    json.loads(body)
    status, body, ctype = w.get("/readyz")
    assert status == 200 and json.loads(body)["ready"] is True
    status, body, ctype = w.get("/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    assert b"# TYPE" in body

    for path in ("/", "/router/", "/table/", "/stats/", "/graph/", "/signal/", "/livecheck/",
                 "/debug", "/static/app.js", "/metrics/x", "/healthz/x", "/../etc/passwd",
                 "/tables", "/favicon.ico"):
        status, body, _ = w.get(path)
        assert status == 404, f"{path} answered {status}"
    for method in ("POST", "PUT", "DELETE"):
        request = urllib.request.Request(f"http://127.0.0.2:{w.port}/metrics", data=b"x",
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=3) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status in (404, 405), f"{method} /metrics answered {status}"

    # bound to 127.0.0.2 only: nothing answers on 127.0.0.1 at that port
    assert not kafka_local.port_open(w.port, "127.0.0.1")
    assert kafka_local.port_open(w.port, "127.0.0.2")
    assert w.terminate(60) == 0


@pytest.mark.parametrize("password", ["wrong-" + uuid.uuid4().hex, '"', "a", 'p"w\\d'],
                         ids=["random", "quote", "one-char", "quote-backslash"])
def test_wrong_credentials_are_an_authentication_error_not_an_unreachable_broker(
        sasl_kafka: str, tmp_path: Path, password: str) -> None:
    import asyncio

    from service.config import Settings
    from service.worker.probes import StartupError, preflight

    settings = Settings(broker="kafka://" + sasl_kafka, security_protocol="SASL_PLAINTEXT",
                        sasl_mechanism="PLAIN", sasl_username="qingliu", sasl_password=password,
                        web_port=free_ports(1)[0], data_dir=str(tmp_path / "data"))
    with pytest.raises(StartupError) as caught:
        asyncio.run(asyncio.wait_for(preflight(settings), 60))
    message = str(caught.value)
    assert "\n" not in message and "authentication failed" in message
    assert "QINGLIU_SASL_PASSWORD" in message and "reach" not in message
    assert f"password={password}" not in message and repr(password) not in message
    asyncio.run(asyncio.wait_for(preflight(settings.replace(sasl_password=SECRET)), 60))
