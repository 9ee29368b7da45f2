"""The transactional producers (exactly_once) across rebalances and failed commits, without a broker.

Under exactly_once each input partition has its own transaction.  An open transaction must never
outlive the offsets it belongs to: when a partition that stays with the worker is read again from
its committed offset, its outputs would be published a second time into that same transaction.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import IllegalOperation
from faust.types import TP

from service.worker import compat

GROUP = "qingliu"
RAW = "posts.raw"


def tid(partition: int) -> str:
    return f"{GROUP}-0-{partition}"


class FakeProducer:
    """Faust's producer as the transaction manager uses it: one transactional producer per id."""

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.fail = set(fail)
        self._transaction_producers: dict[str, object] = {}
        self.generation: dict[str, int] = {}  # how many producers each id has had
        self.committed: list[tuple[str, dict[TP, int]]] = []
        self.stopped: list[str] = []

    async def maybe_begin_transaction(self, transactional_id: str) -> None:
        if transactional_id not in self._transaction_producers:  # as Faust: keep an existing one
            self.generation[transactional_id] = self.generation.get(transactional_id, 0) + 1
            self._transaction_producers[transactional_id] = object()

    async def stop_transaction(self, transactional_id: str) -> None:
        if self._transaction_producers.pop(transactional_id, None) is not None:
            self.stopped.append(transactional_id)

    async def commit_transactions(self, by_id: dict[str, dict[TP, int]], group_id: str,
                                  start_new_transaction: bool = True) -> None:
        for transactional_id, offsets in by_id.items():  # as Faust: stop at the first failure
            if transactional_id in self.fail:
                raise IllegalOperation("Not in the middle of a transaction")
            self.committed.append((transactional_id, dict(offsets)))

    async def flush(self) -> None:
        return None


class FakeAssignor:
    def __init__(self, standbys: set[TP] = frozenset()) -> None:
        self.standbys = set(standbys)

    def group_for_topic(self, topic: str) -> int:
        return 0

    def is_standby(self, tp: TP) -> bool:
        return tp in self.standbys


def manager(producer: FakeProducer, assignor: FakeAssignor) -> Any:
    app = SimpleNamespace(conf=SimpleNamespace(id=GROUP), assignor=assignor)
    transport = SimpleNamespace(app=app)
    cls = compat.Transport.TransactionManager  # what the worker's transport creates
    return cls(transport, consumer=SimpleNamespace(), producer=producer)


def tps(*partitions: int) -> set[TP]:
    return {TP(RAW, p) for p in partitions}


async def rebalance(mgr: Any, before: set[TP], after: set[TP]) -> None:
    await mgr.on_rebalance(after, before - after, after - before)


async def test_revoked_partition_that_became_a_standby_loses_its_producer():
    # Faust's assignor also names standby partitions of the input topic; one revoked from this
    # worker may become its standby.  Its producer must go: the partition's next owner fences
    # it, and a fenced producer kept until the partition comes back fails every send and commit.
    producer = FakeProducer()
    assignor = FakeAssignor()
    mgr = manager(producer, assignor)
    await rebalance(mgr, set(), tps(0, 2, 4))
    assert producer.generation == {tid(0): 1, tid(2): 1, tid(4): 1}

    assignor.standbys = tps(0)  # partition 0 goes to another worker; here it is a standby
    await rebalance(mgr, tps(0, 2, 4), tps(2, 4))
    assert tid(0) in producer.stopped
    assert set(producer._transaction_producers) == {tid(2), tid(4)}

    assignor.standbys = set()  # partition 0 comes back: a new producer, not the fenced one
    await rebalance(mgr, tps(2, 4), tps(0, 2, 4))
    assert producer.generation[tid(0)] == 2
    assert producer.generation[tid(2)] == producer.generation[tid(4)] == 1  # kept


async def test_a_failing_transaction_does_not_keep_the_others_from_committing():
    producer = FakeProducer(fail={tid(0)})
    mgr = manager(producer, FakeAssignor())
    await rebalance(mgr, set(), tps(0, 2, 4))
    offsets = {TP(RAW, 0): 10, TP(RAW, 2): 20, TP(RAW, 4): 40}

    with pytest.raises(IllegalOperation):  # raised, so that no offset is recorded as committed
        await mgr.commit(offsets)
    assert sorted(producer.committed) == [(tid(2), {TP(RAW, 2): 20}),
                                          (tid(4), {TP(RAW, 4): 40})]


async def test_the_producer_of_a_failed_commit_is_replaced_at_the_next_assignment():
    # The failed transaction still holds outputs whose offsets were not committed; a partition
    # kept through the rebalance is read again from its committed offset, so its transaction must
    # start empty (a new producer for the id makes the broker abort the old transaction).
    producer = FakeProducer(fail={tid(4)})
    mgr = manager(producer, FakeAssignor())
    await rebalance(mgr, set(), tps(0, 2, 4))
    with pytest.raises(IllegalOperation):
        await mgr.commit({TP(RAW, 0): 10, TP(RAW, 4): 40})

    producer.fail.clear()
    await rebalance(mgr, tps(0, 2, 4), tps(2, 4))
    assert producer.generation[tid(4)] == 2  # replaced although the partition stayed
    assert producer.generation[tid(2)] == 1  # committed fine (or idle): kept
    assert tid(0) not in producer._transaction_producers  # revoked

    await mgr.commit({TP(RAW, 4): 45})
    await rebalance(mgr, tps(2, 4), tps(2, 4))
    assert producer.generation[tid(4)] == 2  # committed since: kept


async def test_abandoned_transactions_get_new_producers_at_the_next_assignment():
    # A revocation whose batch was still being published (exactly_once) commits nothing: the
    # transactions hold outcomes whose offsets will not be committed, so each is aborted by a
    # new producer for its id, although the partitions stay.
    producer = FakeProducer()
    mgr = manager(producer, FakeAssignor())
    await rebalance(mgr, set(), tps(0, 2))
    mgr.abandon(tps(0, 2))
    await rebalance(mgr, tps(0, 2), tps(0, 2))
    assert producer.generation == {tid(0): 2, tid(2): 2}
