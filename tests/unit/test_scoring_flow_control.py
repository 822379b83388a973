"""Fix 1 of scoring/worker/faust_fixes.py: a resume clears the agents' queues only after a
suspension.

Faust calls `flow_control.resume()` again once the tables are recovered, while records of the
stream partitions are already queued; stock mode clears every queue on any resume, and those
records were never fetched again (leads short of one event's points after a restart).
"""

from __future__ import annotations

from mode.utils.queues import FlowControlEvent, FlowControlQueue

from scoring.worker.faust_fixes import FlowControl


def _queue(flow: FlowControlEvent) -> FlowControlQueue[str]:
    return FlowControlQueue(maxsize=10, flow_control=flow, clear_on_resume=True)


def test_a_resume_while_the_flow_runs_keeps_the_queued_records() -> None:
    flow = FlowControl()
    queue = _queue(flow)
    flow.resume()  # the first resume after start (the flow starts suspended)
    queue.put_nowait("lead-inputs[0]@429")
    queue.put_nowait("lead-inputs[0]@430")

    flow.resume()  # what Faust's recovery calls after its seek to the committed offsets

    assert flow.is_active()
    assert [queue.get_nowait(), queue.get_nowait()] == ["lead-inputs[0]@429", "lead-inputs[0]@430"]


def test_a_resume_after_a_suspension_still_drops_the_stale_records() -> None:
    flow = FlowControl()
    queue = _queue(flow)
    flow.resume()
    queue.put_nowait("fetched before the rebalance")

    flow.suspend()  # partitions revoked
    flow.resume()  # assigned again: what was queued belongs to the old generation

    assert flow.is_active() and queue.empty()


def test_stock_flow_control_drops_queued_records_on_any_resume() -> None:
    """Why the fix exists: if mode ever stops doing this, FlowControl can go."""
    flow = FlowControlEvent()
    queue = _queue(flow)
    flow.resume()
    queue.put_nowait("lead-inputs[0]@429")

    flow.resume()

    assert queue.empty()
