"""The final commit of a stopping worker covers its last batches even when the periodic commit
is under way (Faust's own commit would then return without committing: the next owner of the
partitions published those batches again, caught by the soak test as duplicates after a SIGTERM).
"""

from __future__ import annotations

import asyncio

from service.config import Settings
from service.worker.app import create_app


async def test_the_final_commit_waits_for_a_commit_under_way_then_commits(tmp_path) -> None:
    app = create_app(Settings(broker="kafka://127.0.0.1:9", data_dir=str(tmp_path), processes=0))
    consumer = app.consumer
    commits: list[bool] = []

    async def force_commit(topics=None, start_new_transaction=True) -> bool:
        commits.append(start_new_transaction)
        return True

    async def nothing_in_flight() -> None:
        pass

    try:
        consumer.force_commit = force_commit
        app.before_final_commit = nothing_in_flight
        periodic = asyncio.get_running_loop().create_future()
        consumer._commit_fut = periodic  # the periodic commit, begun before the last acks
        stopping = asyncio.ensure_future(consumer.on_stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # waits for the commit under way …
        consumer._commit_fut = None  # … which ends as Faust ends it
        periodic.set_result(None)
        await asyncio.wait_for(stopping, 10)
        assert commits == [False]  # … then commits itself, ending the transactions
    finally:
        if app.scratch_dir is not None:
            app.scratch_dir.cleanup()
