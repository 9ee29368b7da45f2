"""Structured logs: one JSON object per line."""

from __future__ import annotations

import json
import logging

import pytest

from service.logs import JsonFormatter


def test_json_lines_with_extras_and_exceptions():
    formatter = JsonFormatter()
    record = logging.LogRecord("service.app", logging.WARNING, __file__, 1, "lag %d", (5,), None)
    record.settings = {"sasl_password": "***"}
    line = formatter.format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "warning" and data["msg"] == "lag 5"
    assert data["logger"] == "service.app" and data["settings"] == {"sasl_password": "***"}
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    data = json.loads(formatter.format(record))
    assert "ValueError: bad" in data["exc"]


def test_registered_secrets_are_masked_everywhere():
    import base64

    from service.logs import add_secret

    secret = "pw-not-for-logs-123"
    add_secret(secret)
    for text in (f"Request SaslAuthenticate b'user\\x00{secret}'",
                 base64.b64encode(secret.encode()).decode(), secret[::-1]):
        record = logging.LogRecord("aiokafka.conn", logging.DEBUG, __file__, 1, text, (), None)
        line = JsonFormatter().format(record)
        assert secret not in line and base64.b64encode(secret.encode()).decode() not in line
        assert secret[::-1] not in line and "***" in line


PASSWORDS = ['"', "a", "pw", 'p"w\\d', "ümlaut", "x'y\"z", "pass\u0000word",
             "long-" + "ü\\\"'" * 20 + "-password"]


def _lines_for(password: str) -> dict[str, str]:
    """Formatted log lines that would print ``password`` without redaction, by how they do it."""
    import base64

    token = b"\x00qingliu\x00" + password.encode()
    messages = {
        "sasl token (aiokafka debug)": ("Request 1: SaslAuthenticateRequest_v1(auth_bytes=%s)",
                                        (token,)),
        "settings dict": ("settings %s", ({"sasl_plain_password": password, "user": "q"},)),
        "key=value": ("connecting with password=%r and more", (password,)),
        "plain text": ("the password is %s", (password,)),
        "base64": ("token %s", (base64.b64encode(password.encode()).decode(),)),
    }
    formatter = JsonFormatter()
    lines = {}
    for name, (msg, args) in messages.items():
        record = logging.LogRecord("aiokafka.conn", logging.DEBUG, __file__, 1, msg, args, None)
        record.settings = {"sasl_password": password, "broker": "kafka://b:9092"}
        lines[name] = formatter.format(record)
    return lines


@pytest.mark.parametrize("password", PASSWORDS, ids=repr)
def test_any_password_is_masked_where_it_stands_as_a_secret(password):
    from service.logs import MIN_FREE_TEXT, add_secret

    add_secret(password)
    for name, line in _lines_for(password).items():
        data = json.loads(line)  # still one valid JSON object
        assert data["settings"]["sasl_password"] == "***", name
        assert data["settings"]["broker"] == "kafka://b:9092"
        msg = data["msg"]
        free_text = name in ("plain text", "base64")
        if len(password) >= MIN_FREE_TEXT or not free_text:
            assert "***" in msg, f"{name}: {msg}"
        if name == "sasl token (aiokafka debug)":
            assert repr(b"\x00qingliu\x00" + password.encode())[2:-1] not in msg
            assert "qingliu" in msg  # the user name is not a secret
        if name == "settings dict":
            assert repr(password) not in msg and "'user': 'q'" in msg
        if name == "key=value":
            assert f"password={password!r}" not in msg and msg.endswith(" and more")
        if len(password) >= MIN_FREE_TEXT:  # long enough to be masked anywhere, in any form
            import base64

            for form in (password, password[::-1], base64.b64encode(password.encode()).decode(),
                         json.dumps(password)[1:-1], repr(password)[1:-1],
                         repr(password.encode())[2:-1]):
                assert form not in line and form not in msg, f"{name}: {form!r} in {line}"


def test_short_secrets_leave_ordinary_text_alone():
    from service.logs import add_secret

    add_secret("a")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a banana at a table", (), None)
    assert json.loads(JsonFormatter().format(record))["msg"] == "a banana at a table"


def test_password_fields_are_masked_even_when_not_registered():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "conf %s",
                               ({"ssl_password": "never-registered", "n": 1},), None)
    record.extra_conf = {"review_token": "tok-unregistered", "token_count": 3}
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert "never-registered" not in data["msg"] and "'n': 1" in data["msg"]
    assert "tok-unregistered" not in line and data["extra_conf"]["token_count"] == 3
