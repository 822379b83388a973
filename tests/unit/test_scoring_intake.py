"""The agents' intake (scoring/worker/intake.py): batches as fetched, tracked, acked, cleared.

The app here is a stand-in holding what the intake reads of Faust's app (its flow control, the
consumer's generation, track and ack); the fetch loop that fills an intake runs against the real
broker in tests/integration/test_scoring_*.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from scoring.worker.faust_fixes import FlowControl
from scoring.worker.intake import HEADROOM, Intake


@dataclass(eq=False)
class Message:
    offset: int
    generation_id: int = 1
    topic: str = "lead-inputs"
    tracked: bool = False


@dataclass
class Consumer:
    tracked: list[int] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    _unacked_messages: set[Message] = field(default_factory=set)  # as Faust's consumer keeps

    def track_message(self, message: Message) -> None:
        self.tracked.append(message.offset)
        self._unacked_messages.add(message)

    def ack(self, message: Message) -> None:
        self.acked.append(message.offset)
        self._unacked_messages.discard(message)


@dataclass
class App:
    flow_control: FlowControl = field(default_factory=FlowControl)
    consumer: Consumer = field(default_factory=Consumer)
    consumer_generation_id: int = 1


def _intake(batch_size: int = 3) -> tuple[App, Intake]:
    app = App()
    app.flow_control.resume()  # the flow starts suspended, as Faust's does
    return app, Intake(app, ["lead-inputs"], batch_size)


async def test_a_full_batch_is_taken_at_once_and_the_rest_waits_for_the_next() -> None:
    app, intake = _intake(batch_size=3)
    for offset in range(5):
        intake.put(Message(offset))

    first = await asyncio.wait_for(intake.take(within=60), timeout=1)  # no wait: a batch is there
    second = await intake.take(within=0.01)  # two left: taken once `within` has passed

    assert [m.offset for m in first] == [0, 1, 2]
    assert [m.offset for m in second] == [3, 4]
    assert app.consumer.tracked == [0, 1, 2, 3, 4] and all(m.tracked for m in first + second)
    assert app.consumer.acked == []  # nothing is acked before its batch is done


async def test_a_short_batch_waits_for_more_records_up_to_within() -> None:
    _, intake = _intake(batch_size=3)
    intake.put(Message(0))

    async def later() -> None:
        await asyncio.sleep(0.01)
        intake.put(Message(1))
        intake.put(Message(2))

    adding = asyncio.create_task(later())
    batch = await asyncio.wait_for(intake.take(within=5), timeout=1)  # full before 5 s are up
    await adding

    assert [m.offset for m in batch] == [0, 1, 2]


async def test_done_acks_the_batch_in_order() -> None:
    app, intake = _intake()
    intake.put(Message(7))
    intake.put(Message(8))
    batch = await intake.take(within=0)

    intake.done(batch)

    assert app.consumer.acked == [7, 8]


async def test_a_batch_not_stored_is_untracked_but_never_acked() -> None:
    app, intake = _intake()
    intake.put(Message(3))
    intake.put(Message(4))
    batch = await intake.take(within=0)
    assert len(app.consumer._unacked_messages) == 2  # a rebalance would wait for them

    intake.drop(batch)  # rebalanced mid-batch: the new owner reads them again

    assert app.consumer.acked == [] and not app.consumer._unacked_messages


async def test_records_of_an_older_generation_are_dropped_untracked() -> None:
    app, intake = _intake()
    intake.put(Message(0, generation_id=1))
    app.consumer_generation_id = 2  # a rebalance happened since that fetch
    intake.put(Message(5, generation_id=2))

    batch = await intake.take(within=0)

    assert [m.offset for m in batch] == [5]
    assert app.consumer.tracked == [5]


async def test_a_rebalance_clears_what_was_fetched() -> None:
    app, intake = _intake()
    intake.put(Message(0))
    intake.put(Message(1))

    app.flow_control.suspend()  # partitions revoked
    app.flow_control.resume()  # assigned again: the flow control clears its managed queues

    assert len(intake) == 0
    intake.put(Message(9))
    assert [m.offset for m in await intake.take(within=0)] == [9]


async def test_nothing_is_handed_over_while_the_flow_is_suspended() -> None:
    app, intake = _intake()
    intake.put(Message(0))
    app.flow_control.suspend()

    taking = asyncio.create_task(intake.take(within=0))
    await asyncio.sleep(0.02)

    assert not taking.done() and app.consumer.tracked == []
    taking.cancel()


async def test_the_fetch_loop_is_told_to_wait_when_the_agent_falls_behind() -> None:
    _, intake = _intake(batch_size=2)
    for offset in range(HEADROOM * 2 - 1):
        intake.put(Message(offset))
    assert not intake.full()

    intake.put(Message(99))
    waiting = asyncio.create_task(intake.wait_for_room())
    await asyncio.sleep(0.01)
    assert intake.full() and not waiting.done()

    await intake.take(within=0)  # the agent takes a batch: room again
    await asyncio.wait_for(waiting, timeout=1)
    assert not intake.full()
