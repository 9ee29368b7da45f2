"""Former home of the worker; it lives in :mod:`service.worker` now (kept for old imports)."""

from __future__ import annotations

from service.worker.app import MAX_REQUEST_BYTES, QingliuApp, create_app
from service.worker.barrier import CommitBarrier

__all__ = ["MAX_REQUEST_BYTES", "CommitBarrier", "QingliuApp", "create_app"]
