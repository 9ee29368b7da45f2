"""The `qingliu` command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from service import cli, contracts
from service.fixers.decoding import split_lines
from service.pipeline import explain, repair_text

QINGLIU = [sys.executable, "-m", "service.cli"]


def run(*args: str, stdin: bytes = b"", env: dict | None = None, timeout: float = 120):
    return subprocess.run([*QINGLIU, *args], input=stdin, capture_output=True, timeout=timeout,
                          env=env)


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for command in ("dev", "worker", "topics", "produce", "tail", "process", "repair", "eval",
                    "bench"):
        assert command in text
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "usage: qingliu" in capsys.readouterr().out
    assert "QINGLIU_BROKER" in text


def test_worker_help_lists_env_vars(capsys):
    with pytest.raises(SystemExit):
        cli.main(["worker", "--help"])
    text = capsys.readouterr().out
    for env in ("QINGLIU_BROKER", "QINGLIU_GROUP_ID", "QINGLIU_PROCESSING_GUARANTEE",
                "QINGLIU_WEB_HOST", "QINGLIU_SASL_PASSWORD"):
        assert env in text


def test_bad_setting_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("QINGLIU_BROKER", "http://nope")
    assert cli.main(["topics", "describe"]) == 2
    err = capsys.readouterr().err
    assert "QINGLIU_BROKER" in err and "kafka://host:port" in err


def test_unreachable_broker_says_what_to_do(capsys):
    from service.broker import free_port

    code = cli.main(["topics", "apply", "--broker", f"127.0.0.1:{free_port()}",
                     "--timeout", "3"])
    assert code == 1  # a runtime failure, not a usage error
    assert "qingliu dev" in capsys.readouterr().err


def test_repair_lines_and_bytes():
    text = "这是一个正常的句子。\n第二行\n"
    result = run("repair", stdin=text.encode("utf-8") + b"\xff\xfe bad bytes \x80\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").split("\n")
    assert lines[0] == repair_text("这是一个正常的句子。").text
    assert lines[1] == repair_text("第二行").text
    assert len(lines) == 4 and lines[3] == ""  # one output line per input line


def test_repair_explain_is_one_json_object_per_line():
    result = run("repair", "--explain", stdin="甲\n\n乙\n".encode() + "肇庆市丙".encode("gbk") + b"\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(records) == 4
    for record in records:
        assert set(record) == {"text", "original_text", "normalized", "encoding", "edits",
                               "corruption", "tags"}
        assert set(record["corruption"]) == {"detected", "score", "kinds"}
        assert set(record["tags"]) == {"topics", "places", "evidence"}
    assert records[0] == explain("甲".encode())  # the pipeline's explain, unchanged
    assert records[0]["text"] == repair_text("甲").text
    assert records[3]["text"] == "肇庆市丙"
    assert records[3]["encoding"] in ("gbk", "gb18030")
    assert [p["name"] for p in records[3]["tags"]["places"]] == ["肇庆市"]


def test_repair_arguments(capsys):
    assert cli.main(["repair", "--text", "你好", "-t", "年夜会"]) == 0
    assert capsys.readouterr().out == "".join(repair_text(t).text + "\n" for t in ("你好", "年夜会"))


def test_repair_reads_a_file_argument(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_text("第一行\n第二行\n", encoding="utf-8")
    assert cli.main(["repair", str(path)]) == 0
    assert capsys.readouterr().out == "第一行\n第二行\n"


def test_repair_decodes_a_utf16_file_as_a_whole(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_bytes("第一行\r\n第二行\n".encode("utf-16"))
    assert cli.main(["repair", str(path)]) == 0
    assert capsys.readouterr().out == "第一行\n第二行\n"


def test_repair_drops_a_utf8_bom(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "你好\n".encode())
    assert cli.main(["repair", str(path)]) == 0
    assert capsys.readouterr().out == "你好\n"


def test_process_batch(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b'{"id": "a", "text": "hello"}\n[1]\n\n{"id": "b", "text": "\xe4\xbd\xa0"}\n')
    out, dlq = tmp_path / "clean.jsonl", tmp_path / "dlq.jsonl"
    result = run("process", "--input", str(posts), "--output", str(out), "--dlq", str(dlq))
    assert result.returncode == 0, result.stderr
    clean = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    dead = [orjson.loads(line) for line in dlq.read_bytes().splitlines()]
    assert [e["id"] for e in clean] == ["a", "b"]
    assert [d["error"]["code"] for d in dead] == ["not_object"]
    assert dead[0]["offset"] == 2 and dead[0]["topic"] == str(posts)  # the input line, from 1
    for event in clean:
        contracts.validator("clean").validate(event)
    contracts.validator("dlq").validate(dead[0])
    assert b"2 clean events, 1 dead letters" in result.stderr


def test_process_stdin_to_stdout():
    result = run("process", stdin=b'{"id": "x", "text": "t"}\n')
    assert result.returncode == 0
    assert orjson.loads(result.stdout)["id"] == "x"


def test_eval_spun_is_wired(capsys, tmp_path):
    spun, orig = tmp_path / "spun.txt", tmp_path / "orig.txt"
    spun.write_text("年夜会正正在召开\n", encoding="utf-8")
    orig.write_text("大会正在召开\n", encoding="utf-8")
    assert cli.main(["eval", "spun", "--spun", str(spun), "--orig", str(orig)]) == 0
    assert "errors_removed" in capsys.readouterr().out


def test_bench_dispatch_discovers_modules():
    from service import benchmarks

    found = benchmarks.discover()
    assert {"stream", "repair", "tag"} <= set(found)
    for module in found.values():
        assert callable(module.add_arguments) and callable(module.run)


def test_bench_rates_time_each_measure_in_turns():
    from service.benchmarks import rates

    order: list[str] = []
    found = rates(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
        units=10,
        min_time=0.0,
    )
    # one round of each, in turns, at least three rounds
    assert order[:6] == ["a", "b"] * 3 and len(order) % 2 == 0
    assert set(found) == {"a", "b"} and all(rate > 0 for rate in found.values())


@pytest.mark.parametrize("name", ["repair", "tag"])
def test_bench_smoke(name, capsys):
    assert cli.main(["bench", name, "--tiny"]) == 0
    assert "chars/s" in capsys.readouterr().out


@pytest.mark.integration
def test_topics_produce_tail(broker, tmp_path):
    from .conftest import fresh_settings

    settings = fresh_settings(broker, tmp_path)
    flags = ["--broker", settings.broker, "--topic-raw", settings.topic_raw,
             "--topic-clean", settings.topic_clean, "--topic-dlq", settings.topic_dlq]
    assert cli.main(["topics", "apply", *flags]) == 0
    assert cli.main(["topics", "apply", *flags]) == 0
    assert cli.main(["topics", "describe", *flags]) == 0
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b'{"id": "1", "text": "a"}\n{"id": "2", "text": "b"}\n')
    assert cli.main(["produce", str(posts), "--broker", settings.broker,
                     "--topic-raw", settings.topic_raw]) == 0


@pytest.mark.integration
def test_dev_demo_streams_the_samples():
    result = run("dev", "--demo", "--once", "--idle-timeout", "60", timeout=180)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    out = result.stdout.decode()
    from service.samples import demo_posts

    outcomes = [line for line in out.splitlines() if line.startswith(("✓ ", "✗ ", "· "))]
    assert len(outcomes) == len(demo_posts())
    assert "✓ clean" not in out  # an outcome says what happened: repaired, unchanged …
    assert "dead letter" in out and "not_json" in out
    assert f"{len(demo_posts())}/{len(demo_posts())} outcomes" in result.stderr.decode()
    # A labelled sample that comes out unchanged is named as such, line by line and in the sum.
    unrepaired = [line for line in outcomes if "left unrepaired: labelled" in line]
    assert all(line.startswith("✗ ") for line in unrepaired)
    if unrepaired:
        assert f"{len(unrepaired)} labelled sample" in result.stderr.decode()
    else:
        assert "left unrepaired" not in result.stderr.decode()


@pytest.mark.integration
@pytest.mark.slow  # over 30 s on a loaded 2-core machine
def test_bench_stream_smoke(capsys):
    assert cli.main(["bench", "stream", "--posts", "60", "--latency-posts", "20",
                     "--processes", "auto", "--rounds", "2", "--rate", "50",
                     "--partitions", "2", "--timeout", "90"]) == 0
    out = capsys.readouterr().out
    assert "qingliu process" in out and "rounds: 2" in out
    rows = [line for line in out.splitlines() if line.startswith("stream at_least_once")]
    assert len(rows) == 2 and all(row.count("ratios") == 1 for row in rows)
    assert "processes=auto (" in rows[0] and "pipeline stubbed" in rows[1]
    assert all(len(row.split("ratios ")[1].split(";")[0].split(", ")) == 2 for row in rows)
    assert float(rows[1].split()[4].replace(",", "")) > 0  # the stub worker's posts/s


@given(st.binary(max_size=200))
def test_input_lines_split_like_the_bytes(data):
    assume(not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")))
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    assert list(split_lines(io.BytesIO(data))) == [line.rstrip(b"\r") for line in expected]
