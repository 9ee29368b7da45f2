"""Structured logs: one JSON object per line (ts, level, logger, msg, and exception text)."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

_SECRETS: set[str] = set()
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def add_secret(secret: str) -> None:
    """Mask ``secret`` (and its base64 and reversed forms) in every formatted log line.

    Third-party debug logs (aiokafka dumps SASL handshakes) would otherwise print it.
    """
    import base64

    if secret and len(secret) >= 3:
        _SECRETS.update({secret, base64.b64encode(secret.encode()).decode("ascii"), secret[::-1],
                         secret.encode("unicode_escape").decode("ascii")})


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class JsonFormatter(logging.Formatter):
    """Format records as JSON lines; extra attributes passed via ``extra=`` are included."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                plain = isinstance(value, str | int | float | bool | dict | list | None)
                out[key] = value if plain else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        try:
            line = orjson.dumps(out, default=repr).decode("utf-8")
        except TypeError:  # e.g. non-string dict keys
            line = orjson.dumps({k: v if isinstance(v, str) else repr(v)
                                 for k, v in out.items()}).decode("utf-8")
        return redact(line) if _SECRETS else line


def configure(level: str = "info") -> None:
    """Send the root logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
