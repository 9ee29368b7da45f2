"""A bounded atheris run of tests/fuzz/atheris_pipeline.py (set QINGLIU_ATHERIS_SECONDS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris not installed (pip install 'atheris>=2.3,<4')")

HARNESS = Path(__file__).with_name("atheris_pipeline.py")


def test_atheris_finds_no_contract_violation(tmp_path: Path) -> None:
    seconds = int(os.environ.get("QINGLIU_ATHERIS_SECONDS", "15"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed").write_bytes(b'\x80{"id":"1","text":"\xe4\xb8\xad\xe6\x96\x87"}')
    done = subprocess.run(
        [sys.executable, str(HARNESS), f"-max_total_time={seconds}", "-seed=1",
         "-rss_limit_mb=2048", "-max_len=4096", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=seconds + 120, cwd=tmp_path,
    )
    crashes = sorted(p.name for p in tmp_path.glob("crash-*"))
    assert done.returncode == 0 and not crashes, (
        f"atheris found a failing input {crashes}:\n{done.stderr[-4000:]}"
    )
    assert "Done" in done.stderr
