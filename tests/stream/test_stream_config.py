"""Settings: one table, flags > environment > defaults, clear errors, secrets never shown."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import config
from service.errors import ConfigError

CONTRACT = {
    "QINGLIU_BROKER": "--broker", "QINGLIU_TOPIC_RAW": "--topic-raw",
    "QINGLIU_TOPIC_CLEAN": "--topic-clean", "QINGLIU_TOPIC_DLQ": "--topic-dlq",
    "QINGLIU_GROUP_ID": "--group-id", "QINGLIU_CONCURRENCY": "--concurrency",
    "QINGLIU_PROCESSES": "--processes",
    "QINGLIU_PROCESSING_GUARANTEE": "--processing-guarantee", "QINGLIU_MAX_BYTES": "--max-bytes",
    "QINGLIU_WEB_HOST": "--web-host", "QINGLIU_WEB_PORT": "--web-port",
    "QINGLIU_STOP_TIMEOUT": "--stop-timeout",
    "QINGLIU_LOG_LEVEL": "--log-level", "QINGLIU_DATA_DIR": "--data-dir",
    "QINGLIU_PARTITIONS": "--partitions", "QINGLIU_REPLICATION": "--replication",
    "QINGLIU_SECURITY_PROTOCOL": "--security-protocol", "QINGLIU_SASL_MECHANISM": "--sasl-mechanism",
    "QINGLIU_SASL_USERNAME": "--sasl-username", "QINGLIU_SASL_PASSWORD": "--sasl-password",
    "QINGLIU_SSL_CAFILE": "--ssl-cafile", "QINGLIU_SSL_CERTFILE": "--ssl-certfile",
    "QINGLIU_SSL_KEYFILE": "--ssl-keyfile",
    "QINGLIU_REVIEW": "--review", "QINGLIU_REVIEW_TOKEN": "--review-token",
    "QINGLIU_REVIEW_HOST": "--review-host", "QINGLIU_REVIEW_PORT": "--review-port",
    "QINGLIU_RULES_FILE": "--rules-file", "QINGLIU_TOPIC_RULES": "--topic-rules",
}


def test_the_settings_contract_names():
    table = {s.env: s.flag for s in config.SETTINGS}
    assert table == CONTRACT
    assert len({s.name for s in config.SETTINGS}) == len(config.SETTINGS)


def test_defaults():
    s = config.load({}, environ={})
    assert s.broker == "kafka://localhost:9092"
    assert (s.topic_raw, s.topic_clean, s.topic_dlq) == ("posts.raw", "posts.clean", "posts.dlq")
    assert s.group_id == "qingliu" and s.web_host == "127.0.0.1" and s.web_port == 6066
    assert s.processing_guarantee == "at_least_once" and s.max_bytes == 1 << 20
    assert s == config.Settings()  # the dataclass defaults mirror the table


def test_every_setting_default_matches_the_dataclass():
    defaults = config.Settings()
    for setting in config.SETTINGS:
        assert getattr(defaults, setting.name) == setting.default, setting.name


def test_flag_beats_environment_beats_default():
    parser = argparse.ArgumentParser()
    config.add_flags(parser)
    env = {"QINGLIU_TOPIC_RAW": "env.raw", "QINGLIU_CONCURRENCY": "7",
           "QINGLIU_BROKER": "a:1,kafka://b:2"}
    args = parser.parse_args(["--topic-raw", "flag.raw"])
    s = config.load(args, environ=env)
    assert s.topic_raw == "flag.raw" and s.concurrency == 7
    assert s.broker == "kafka://a:1,b:2" and s.bootstrap == "a:1,b:2"


@pytest.mark.parametrize(("env", "value"), [
    ("QINGLIU_CONCURRENCY", "0"), ("QINGLIU_WEB_PORT", "70000"), ("QINGLIU_STOP_TIMEOUT", "0"),
    ("QINGLIU_PROCESSING_GUARANTEE", "sometimes"), ("QINGLIU_BROKER", "http://x:1"),
    ("QINGLIU_BROKER", "nohostport"), ("QINGLIU_MAX_BYTES", "lots"),
])
def test_bad_values_name_the_setting(env, value):
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={env: value})
    assert env in str(info.value)


def test_secrets_are_never_shown():
    s = config.load({}, environ={"QINGLIU_SASL_PASSWORD": "hunter2",
                                 "QINGLIU_SECURITY_PROTOCOL": "sasl_ssl"})
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.redacted())
    assert s.kafka_auth()["sasl_plain_password"] == "hunter2"
    assert s.kafka_auth()["security_protocol"] == "SASL_SSL"
    assert config.load({}, environ={}).kafka_auth() == {}


@given(st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
                          st.integers(1, 65535)), min_size=1, max_size=4))
def test_broker_urls_roundtrip(hosts):
    text = ",".join(f"{h}:{p}" for h, p in hosts)
    url = config.broker_urls(text)
    assert url == "kafka://" + text
    assert config.broker_urls(url) == url


def test_worker_parser_has_every_worker_flag():
    from service.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["worker", *[a for s in config.WORKER
                                          for a in (config.BY_NAME[s].flag, "1")]])
    assert all(getattr(args, name) == "1" for name in config.WORKER)


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"])
def test_faust_credentials_match_the_aiokafka_settings(protocol):
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    s = config.load({}, environ={"QINGLIU_SECURITY_PROTOCOL": protocol,
                                 "QINGLIU_SASL_MECHANISM": "SCRAM-SHA-256",
                                 "QINGLIU_SASL_USERNAME": "u", "QINGLIU_SASL_PASSWORD": "p"})
    creds = s.faust_credentials()
    if protocol == "PLAINTEXT":
        assert creds is None and s.kafka_auth() == {}
        return
    auth = credentials_to_aiokafka_auth(creds, None)
    assert auth["security_protocol"] == protocol == s.kafka_auth()["security_protocol"]
    if protocol.startswith("SASL"):
        assert auth["sasl_mechanism"] == "SCRAM-SHA-256"
        assert auth["sasl_plain_username"] == "u" and auth["sasl_plain_password"] == "p"
        assert "p" not in repr(creds)


def test_processes_auto_resolves_from_usable_cpus(monkeypatch):
    assert config.load({}, environ={}).processes == "auto"
    monkeypatch.setattr(config, "usable_cpus", lambda: 4)
    assert config.Settings().pipeline_processes == 3
    assert config.Settings(processing_guarantee="exactly_once").pipeline_processes == 1
    assert config.load({}, environ={"QINGLIU_PROCESSES": "2"}).pipeline_processes == 2
    assert config.load({}, environ={"QINGLIU_PROCESSES": "AUTO"}).pipeline_processes == 3
    monkeypatch.setattr(config, "usable_cpus", lambda: 1)
    # never in the worker's own process by default: a huge post would stall its event loop
    assert config.Settings().pipeline_processes == 1
    assert config.Settings(processing_guarantee="exactly_once").pipeline_processes == 1
    with pytest.raises(ConfigError, match="QINGLIU_PROCESSES.*auto"):
        config.load({}, environ={"QINGLIU_PROCESSES": "-1"})


@pytest.mark.parametrize(("cpu_max", "affinity", "expected"), [
    ("max 100000\n", 8, 8), ("200000 100000\n", 8, 2), ("150000 100000\n", 8, 2),
    ("50000 100000\n", 8, 1), ("400000 100000\n", 2, 2), (None, 3, 3),
])
def test_usable_cpus_honours_a_container_cpu_limit(monkeypatch, tmp_path, cpu_max, affinity,
                                                   expected):
    import builtins

    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if str(path).startswith("/sys/fs/cgroup/"):
            if cpu_max is None or not str(path).endswith("cpu.max"):
                raise FileNotFoundError(path)
            target = tmp_path / "cpu.max"
            target.write_text(cpu_max)
            return real_open(target, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: set(range(affinity)))
    assert config.usable_cpus() == expected


@pytest.mark.parametrize("url", ["kafka://h:99999", "kafka://h:0", "h:65536", "kafka://h:x"])
def test_a_broker_port_out_of_range_is_refused(url):
    with pytest.raises(ConfigError, match="QINGLIU_BROKER"):
        config.load({}, environ={"QINGLIU_BROKER": url})


@pytest.mark.parametrize("value", ["-5", "0", str(config.MAX_MAX_BYTES + 1), "99999999999"])
def test_max_bytes_is_bounded(value):
    with pytest.raises(ConfigError, match="QINGLIU_MAX_BYTES"):
        config.load({}, environ={"QINGLIU_MAX_BYTES": value})
    assert config.load({}, environ={"QINGLIU_MAX_BYTES": str(config.MAX_MAX_BYTES)}).max_bytes \
        == config.MAX_MAX_BYTES


@pytest.mark.parametrize("name", config.SSL_FILES)
def test_a_missing_certificate_file_names_the_path_and_the_setting(name, tmp_path):
    setting = config.BY_NAME[name]
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={setting.env: missing})
    assert setting.env in str(info.value) and missing in str(info.value)
    present = tmp_path / "present.pem"
    present.write_text("x")
    assert getattr(config.load({}, environ={setting.env: str(present)}), name) == str(present)
