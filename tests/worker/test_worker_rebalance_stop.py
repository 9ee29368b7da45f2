"""A rebalance that starts while the worker stops leaves the consumer to its own stop.

Faust would close the aiokafka client from the app's event loop instead, cancelling the metadata
synchronizer that a joining group leader may be waiting on: the stop then never ends (seen once,
a worker stopped while it was starting and joining as the group's leader).
"""

from __future__ import annotations

from service.config import Settings
from service.worker.app import create_app


def test_a_rebalance_while_stopping_does_not_close_the_client(tmp_path) -> None:
    app = create_app(Settings(broker="kafka://127.0.0.1:9", data_dir=str(tmp_path),
                              processes=0))
    closed: list[bool] = []
    try:
        app.consumer.close = lambda: closed.append(True)  # what Faust's own handler calls
        app._on_rebalance_when_stopped()
        assert not closed
    finally:
        if app.scratch_dir is not None:
            app.scratch_dir.cleanup()
