"""Scratch data folders left by killed workers are removed by the next worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from service.worker.app import SCRATCH_PREFIX, remove_stale_scratch


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_folders_of_processes_that_are_gone_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / f"{SCRATCH_PREFIX}{dead_pid()}-abc"
    live = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def"
    unnamed = tmp_path / f"{SCRATCH_PREFIX}xyz"  # an older naming: not ours to judge
    other = tmp_path / "unrelated-1-x"
    for folder in (stale, live, unnamed, other):
        (folder / "tables").mkdir(parents=True)
    assert remove_stale_scratch(str(tmp_path)) == [str(stale)]
    assert not stale.exists()
    assert live.exists() and unnamed.exists() and other.exists()
