"""The stream worker: a thin Faust app around a batch processor (see ``service/worker/app.py``).

Modules: ``app`` (the Faust app, routes, seams), ``batch`` (the agent's work), ``publish``
(outcomes out, poison isolated), ``poison`` (errors → dead letters, cut to fit), ``offsets``
(committable offsets, stalls), ``barrier`` (commits vs publishing), ``compat`` (every Faust and
aiokafka override), ``probes`` (broker probes, start-up checks).  ``create_app``,
``QingliuApp`` and ``MAX_REQUEST_BYTES`` are importable from here (loaded on first use).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_REQUEST_BYTES", "QingliuApp", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from service.worker import app

        return getattr(app, name)
    raise AttributeError(name)
