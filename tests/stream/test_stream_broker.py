"""The embedded Tansu broker wrapper."""

from __future__ import annotations

import socket

import pytest

from service.broker import BrokerError, EmbeddedBroker, _port_open, free_port

pytestmark = pytest.mark.integration


def test_session_broker_answers(broker):
    if not isinstance(broker, EmbeddedBroker):
        pytest.skip("the session broker is Apache Kafka (QINGLIU_TEST_BROKER=kafka)")
    assert broker.alive()
    assert broker.url == f"kafka://127.0.0.1:{broker.port}"
    assert _port_open("127.0.0.1", broker.port)


def test_start_and_stop_frees_the_port():
    with EmbeddedBroker() as running:
        port = running.port
        assert running.alive()
    assert not running.alive()
    assert not _port_open("127.0.0.1", port)


def test_taken_port_is_an_error_not_a_silent_exit():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(BrokerError, match="did not start"):
            EmbeddedBroker(port=port, start_timeout=5).start()


def test_missing_binary_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("QINGLIU_TANSU", str(tmp_path / "nope"))
    with pytest.raises(BrokerError, match="QINGLIU_TANSU"):
        EmbeddedBroker().start()


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_nothing_is_left_in_the_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with EmbeddedBroker() as running:
        assert running.alive()
    assert not list(tmp_path.iterdir())


def test_a_failed_start_reports_the_broker_output(monkeypatch, tmp_path):
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'broker says: no such flag' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("QINGLIU_TANSU", str(fake))
    with pytest.raises(BrokerError, match="no such flag"):
        EmbeddedBroker(start_timeout=5).start()
