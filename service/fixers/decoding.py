"""Placeholder byte decoder (filled in by the encoding issue): UTF-8 or an error."""

from __future__ import annotations

from dataclasses import dataclass

from service.errors import InputError


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, the codec that decoded it and how sure the choice is."""

    text: str
    encoding: str
    confidence: float = 1.0


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``: UTF-8 when valid, else raise ``InputError('undecodable')``."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("undecodable", f"bytes are not valid UTF-8: {exc}") from None
