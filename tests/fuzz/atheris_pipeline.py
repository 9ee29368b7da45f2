"""Coverage-guided fuzzing of the whole pipeline with atheris (libFuzzer).

    pip install 'atheris>=2.3,<4'
    python tests/fuzz/atheris_pipeline.py -max_total_time=600 -rss_limit_mb=2048 [corpus_dir]

Each input is split into a key and a value (the first byte picks the split and, for some inputs,
wraps the rest in a post ``{"id": …, "text": …}`` so the repair stages see text rather than
mostly-invalid JSON).  A crash is any input that breaks the contract checked by
:func:`qingliu_fuzz_support.check_outcome` (an escaped exception, ``internal_error``, a schema
violation, edits that do not rebuild the text); libFuzzer saves it as ``crash-*``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import service.edits
    import service.fixers
    import service.pipeline
    from service.fixers import decoding  # noqa: F401

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("qingliu_fuzz_support",
                                               _HERE / "qingliu_fuzz_support.py")
support = importlib.util.module_from_spec(_spec)
sys.modules["qingliu_fuzz_support"] = support
_spec.loader.exec_module(support)

ORIGIN = service.pipeline.Origin("posts.raw", 0, 0, 0)
LIMITS = service.pipeline.Limits(max_bytes=1 << 16)


def one_input(data: bytes) -> None:
    """libFuzzer entry point."""
    if not data:
        return
    mode, rest = data[0], data[1:]
    split = min(len(rest), mode % 16)
    key, value = (rest[:split] or None), rest[split:]
    if mode & 0x80:  # wrap as a post so the text stages get exercised
        fdp = atheris.FuzzedDataProvider(value)
        text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
        value = json.dumps({"id": "a", "text": text}, ensure_ascii=bool(mode & 0x40)).encode()
    outcome = service.pipeline.process_message(value, key, ORIGIN, LIMITS)
    support.check_outcome(outcome, value, key)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
