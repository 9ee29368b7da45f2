"""OffsetTracker: commits stop at the lowest unacknowledged offset; stalls are noticed."""

from __future__ import annotations

from service.worker.offsets import OffsetTracker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def never_committed(tp):
    return None


def test_first_offset_of_a_never_committed_partition_holds_the_commit():
    offsets = OffsetTracker()
    for offset in (0, 1, 2):
        offsets.fetched("p", offset)
    offsets.ack("p", 1)
    offsets.ack("p", 2)
    assert offsets.committable(never_committed) == {}  # offset 0 has no outcome yet
    offsets.ack("p", 0)
    assert offsets.committable(never_committed) == {"p": 3}


def test_commit_is_the_contiguous_acknowledged_prefix():
    offsets = OffsetTracker()
    for offset in range(10, 20):
        offsets.fetched("p", offset)
    for offset in (10, 11, 12, 15, 16):
        offsets.ack("p", offset)
    assert offsets.committable(never_committed) == {"p": 13}
    assert offsets.committable(lambda tp: 13) == {}  # nothing beyond what is committed
    for offset in (13, 14):
        offsets.ack("p", offset)
    assert offsets.committable(lambda tp: 13) == {"p": 17}


def test_offset_holes_are_not_waited_for():
    offsets = OffsetTracker()
    for offset in (5, 8, 9):  # 6 and 7: transaction markers, never fetched
        offsets.fetched("p", offset)
    offsets.ack("p", 5)
    assert offsets.committable(never_committed) == {"p": 8}
    offsets.ack("p", 9)
    offsets.ack("p", 8)
    assert offsets.committable(never_committed) == {"p": 10}


def test_partitions_are_independent_and_can_be_filtered():
    offsets = OffsetTracker()
    offsets.fetched("a", 0)
    offsets.fetched("b", 0)
    offsets.ack("a", 0)
    offsets.ack("b", 0)
    assert offsets.committable(never_committed) == {"a": 1, "b": 1}
    assert offsets.committable(never_committed, only=["b"]) == {"b": 1}


def test_reset_forgets_and_stale_acks_are_ignored():
    offsets = OffsetTracker()
    offsets.fetched("p", 0)
    offsets.fetched("p", 1)
    offsets.reset(["p"])
    offsets.ack("p", 0)  # from a batch that outlived its partition's revocation
    assert offsets.committable(never_committed) == {}
    offsets.fetched("p", 1)  # read again from the committed offset
    offsets.ack("p", 0)
    assert offsets.committable(never_committed) == {}
    offsets.ack("p", 1)
    assert offsets.committable(never_committed) == {"p": 2}


def test_an_undelivered_offset_blocks_commits_until_the_partition_is_read_again():
    """A record fetched while the flow was suspended is not delivered: nothing passes it."""
    offsets = OffsetTracker()
    for offset in (0, 1, 2):
        offsets.fetched("p", offset)  # 1 is never delivered (flow suspended)
    offsets.ack("p", 0)
    offsets.ack("p", 2)
    assert offsets.committable(never_committed) == {"p": 1}


def test_commit_by_count():
    offsets = OffsetTracker()
    for offset in range(5):
        offsets.fetched("p", offset)
    offsets.ack("p", 1)
    assert offsets.acked_since_commit == 0
    offsets.ack("p", 0)
    assert offsets.acked_since_commit == 2
    offsets.committed()
    assert offsets.acked_since_commit == 0


def test_stalled_partition():
    clock = Clock()
    offsets = OffsetTracker(clock)
    offsets.fetched("p", 0)
    offsets.fetched("p", 1)
    offsets.fetched("q", 0)
    clock.now = 30
    offsets.ack("q", 0)
    assert offsets.stalled(60) == []
    clock.now = 61
    assert offsets.stalled(60) == [("p", 0, 61)]
    offsets.ack("p", 0)  # the head moves: the clock starts again
    assert offsets.stalled(60) == []
    clock.now = 200
    assert offsets.stalled(60) == [("p", 1, 139)]
    offsets.ack("p", 1)
    assert offsets.stalled(60) == []  # nothing waits


def test_a_redelivered_run_neither_holds_nor_moves_the_commit():
    """The consumer may deliver a run of messages again within one assignment; the agent takes
    each once (TakenOffsets), and the tracker must not wait for the copies it drops."""
    offsets = OffsetTracker()
    for offset in range(3):
        offsets.fetched("p", offset)
    offsets.ack("p", 0)
    offsets.ack("p", 1)
    for offset in range(3):  # 0 and 1 acknowledged, 2 still pending: all three come again
        offsets.fetched("p", offset)
    assert offsets.committable(never_committed) == {"p": 2}
    offsets.ack("p", 2)
    assert offsets.committable(never_committed) == {"p": 3}
    for offset in range(3):  # all acknowledged now: the copies change nothing
        offsets.fetched("p", offset)
    offsets.fetched("p", 3)
    offsets.ack("p", 3)
    assert offsets.committable(never_committed) == {"p": 4}
    assert offsets.stalled(0.0) == []


def test_the_agent_takes_each_offset_once_per_assignment():
    from service.worker.batch import TakenOffsets

    taken = TakenOffsets()
    first = [taken.first_time("p", offset) for offset in (5, 6, 7, 5, 6, 7, 8)]
    assert first == [True, True, True, False, False, False, True]
    assert taken.first_time("q", 5)  # partitions are independent
    taken.clear()  # a new assignment: the partition is read again from its committed offset
    assert taken.first_time("p", 5)
