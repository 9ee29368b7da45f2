"""Structured logs: one JSON object per line."""

from __future__ import annotations

import json
import logging

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
