"""Typed errors: every rejected message carries one of these codes to the dead-letter topic."""

from __future__ import annotations

ERROR_CODES = (
    "not_json",
    "not_object",
    "missing_field",
    "wrong_type",
    "empty_text",
    "too_large",
    "undecodable",
    "internal_error",
    "outcome_too_large",  # the outcome is larger than the producer or broker accepts
    "publish_refused",  # the broker refuses the outcome (or keeps failing) for another reason
)


class QingliuError(Exception):
    """Base class of the service's own errors."""


class InputError(QingliuError):
    """A message that cannot become a clean event; ``code`` is one of :data:`ERROR_CODES`."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ConfigError(QingliuError):
    """A setting is missing or malformed; the message says which and how to fix it."""
