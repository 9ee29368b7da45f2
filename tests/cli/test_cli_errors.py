"""Every command-line error is one line on stderr, exit status 2 (usage) or 1 (runtime)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.broker import free_port

QINGLIU = [sys.executable, "-m", "service.cli"]
POST = b'{"id": "a", "text": "b"}\n'


def qingliu(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"",
            timeout: float = 120) -> tuple[int, list[str]]:
    """Run ``qingliu ARGS``; the exit status and the lines of stderr."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIU_")}
    environ.update(env or {})
    result = subprocess.run([*QINGLIU, *args], input=stdin, capture_output=True, env=environ,
                            timeout=timeout)
    return result.returncode, result.stderr.decode("utf-8", "replace").splitlines()


def _one_line(lines: list[str], prefix: str, *words: str) -> str:
    assert len(lines) == 1, "\n".join(lines)
    line = lines[0]
    assert line.startswith(f"{prefix}: error: "), line
    assert "Traceback" not in line
    for word in words:
        assert word in line, line
    return line


def _unreachable() -> str:
    return f"kafka://127.0.0.1:{free_port()}"


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(POST)
    return path


def test_tail_with_an_unreachable_broker() -> None:
    code, lines = qingliu("tail", "--broker", _unreachable(), "--idle-timeout", "1")
    assert code == 1
    _one_line(lines, "qingliu tail", "cannot reach the broker")


def test_produce_to_an_unreachable_broker(posts: Path) -> None:
    code, lines = qingliu("produce", str(posts), "--broker", _unreachable(), "--timeout", "10")
    assert code == 1
    _one_line(lines, "qingliu produce", "cannot reach the broker")


def test_topics_with_an_unreachable_broker() -> None:
    code, lines = qingliu("topics", "describe", "--broker", _unreachable(), "--timeout", "10")
    assert code == 1
    _one_line(lines, "qingliu topics", "cannot reach the broker")


@pytest.mark.parametrize(
    ("args", "prefix"),
    [(["repair", "--bogus"], "qingliu repair"),
     (["bench", "tag", "--bogus"], "qingliu bench tag"),
     (["process", "extra"], "qingliu process"),
     (["tail", "--max", "x"], "qingliu tail"),
     (["topics"], "qingliu topics"),
     (["bench", "backlog", "--broker", "bogus://x"], "qingliu bench backlog"),
     (["bench", "stream", "--broker", "localhost:99999"], "qingliu bench stream"),
     (["nosuch"], "qingliu")],
)
def test_usage_errors_name_the_subcommand(args: list[str], prefix: str) -> None:
    code, lines = qingliu(*args)
    assert code == 2
    _one_line(lines, prefix, f"{prefix} --help")


@pytest.mark.parametrize("value", ["-5", "0", "99999999999", "lots"])
def test_process_refuses_a_bad_max_bytes_flag(value: str) -> None:
    code, lines = qingliu("process", "--max-bytes", value, stdin=POST)
    assert code == 2
    _one_line(lines, "qingliu process", "--max-bytes", "QINGLIU_MAX_BYTES")


def test_max_bytes_from_the_environment_is_bounded() -> None:
    code, lines = qingliu("process", env={"QINGLIU_MAX_BYTES": "99999999999"}, stdin=POST)
    assert code == 2
    _one_line(lines, "qingliu process", "QINGLIU_MAX_BYTES", "67108864")


@pytest.mark.parametrize("url", ["kafka://localhost:99999", "kafka://localhost:0",
                                 "kafka://localhost:nine"])
def test_a_bad_broker_port_names_the_setting(url: str, posts: Path) -> None:
    code, lines = qingliu("produce", str(posts), env={"QINGLIU_BROKER": url})
    assert code == 2
    _one_line(lines, "qingliu produce", "QINGLIU_BROKER")


def test_a_missing_ca_file_names_the_path_and_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    code, lines = qingliu("topics", "describe", env={"QINGLIU_SSL_CAFILE": str(missing),
                                                     "QINGLIU_SECURITY_PROTOCOL": "SSL"})
    assert code == 2
    _one_line(lines, "qingliu topics", "QINGLIU_SSL_CAFILE", str(missing))


def test_dev_with_a_bad_broker_kind() -> None:
    code, lines = qingliu("dev", "--broker", "bogus://x")
    assert code == 2
    _one_line(lines, "qingliu dev", "--broker")


def test_a_missing_input_file(tmp_path: Path) -> None:
    code, lines = qingliu("eval", "spun", "--spun", str(tmp_path / "a"),
                          "--orig", str(tmp_path / "b"))
    assert code == 2
    _one_line(lines, "qingliu eval spun", str(tmp_path / "a"))


def test_dev_with_an_unreachable_broker() -> None:
    code, lines = qingliu("dev", "--broker", _unreachable(), "--demo")
    assert code == 1
    progress, error = lines[:-1], lines[-1:]
    assert all(line.startswith("broker ") for line in progress), lines  # what it tried
    _one_line(error, "qingliu dev", "cannot reach the broker")
