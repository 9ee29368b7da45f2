"""Structured logs: one JSON object per line (ts, level, logger, msg, and exception text)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import orjson

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
MASK = "***"
#: A secret this long or longer is masked wherever it appears; a shorter one (``"a"`` would
#: otherwise turn every ``a`` of a log line into ``***``) only where it stands as a secret: the
#: value of a password field, or after the NUL separator of a SASL/PLAIN token.
MIN_FREE_TEXT = 3

_SECRETS: set[str] = set()
_FREE_TEXT: list[str] = []  # forms masked anywhere, longest first
_CONTEXT: re.Pattern[str] | None = None  # forms masked where they stand as a secret
# The value of a field whose name says it holds a secret, as JSON, repr() or key=value writes it
# (quotes possibly escaped by an enclosing JSON string).
_FIELD = re.compile(
    r"""(?P<key>[\w.-]*(?:password|passwd|secret|token)[\w.-]*(?:\\*["'])?\s*[:=]\s*)"""
    r"""(?P<quote>\\*["'])(?P<value>(?:\\.|(?!(?P=quote)).)*?)(?P=quote)""",
    re.IGNORECASE,
)
_NUL = r"(?:\x00|\\(?:\\\\)*x00|\\(?:\\\\)*u0000)"
_KEY = r"""(?:password|passwd|secret|token)[\w.-]*(?:\\*["'])?\s*[:=]\s*(?:\\*["'])?"""
_END = r"""(?=$|[\s"',;:)}\]\\]|\x00)"""


def _forms(secret: str) -> set[str]:
    """How ``secret`` can appear in a JSON log line: as itself, reversed, base64-encoded, in
    ``repr()`` of a str or of its UTF-8 bytes, unicode-escaped, then JSON-escaped once or twice."""
    import base64

    plain = {
        secret, secret[::-1], base64.b64encode(secret.encode()).decode("ascii"),
        repr(secret)[1:-1], repr(secret.encode())[2:-1],
        secret.encode("unicode_escape").decode("ascii"),
        repr('"' + secret)[2:-1], repr("'" + secret)[2:-1],  # repr() choosing the other quote
        repr(b'"' + secret.encode())[3:-1], repr(b"'" + secret.encode())[3:-1],
    }
    forms = set(plain)
    for form in plain:
        once = orjson.dumps(form).decode("utf-8")[1:-1]
        forms.update({once, orjson.dumps(once).decode("utf-8")[1:-1]})
    return {form for form in forms if form}


def add_secret(secret: str) -> None:
    """Mask ``secret`` (and its escaped, base64 and reversed forms) in every formatted log line.

    Third-party debug logs (aiokafka dumps SASL handshakes) would otherwise print it.  Secrets
    shorter than :data:`MIN_FREE_TEXT` characters are masked where they stand as a secret.
    """
    global _CONTEXT
    if not secret or secret in _SECRETS:
        return
    _SECRETS.add(secret)
    free: set[str] = set(_FREE_TEXT)
    context: set[str] = set()
    for known in _SECRETS:
        forms = _forms(known)
        context |= forms
        if len(known) >= MIN_FREE_TEXT:
            free |= {form for form in forms if len(form) >= MIN_FREE_TEXT}
    _FREE_TEXT[:] = sorted(free, key=len, reverse=True)
    alternatives = "|".join(re.escape(form) for form in sorted(context, key=len, reverse=True))
    _CONTEXT = re.compile(rf"(?P<pre>{_NUL}[^\x00\\'\"]*?{_NUL}|{_NUL}|{_KEY})"
                          rf"(?:{alternatives}){_END}", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every registered secret, and every password field's value, replaced."""
    text = _FIELD.sub(lambda m: f"{m['key']}{m['quote']}{MASK}{m['quote']}"
                      if m["value"] != MASK else m[0], text)
    for form in _FREE_TEXT:
        if form in text:
            text = text.replace(form, MASK)
    if _CONTEXT is not None:
        text = _CONTEXT.sub(lambda m: m["pre"] + MASK, text)
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
        return redact(line)


def configure(level: str = "info") -> None:
    """Send the root logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
