"""Fold an opportunity's sales-stage changes into stays (intervals) in each open stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from funnel.model.rows import StageChangeRow, StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, Outcome, StageOrder


def _tuple(items: tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    return None if items is None else tuple(items)  # a text[] read back is a list


def _stay(
    change: StageChangeRow, seq: int, owner: str | None, amount: float | None
) -> StageIntervalRow:
    return StageIntervalRow(
        opportunity_id=change.opportunity_id,
        seq=seq,
        lead_id=None,
        stage=change.stage,
        entered_at=change.occurred_at,
        entered_event_id=change.event_id,
        owner=owner,
        amount=amount,
        currency=change.currency,
    )


def opportunity_intervals(
    changes: Iterable[StageChangeRow], order: StageOrder = DEFAULT_ORDER
) -> list[StageIntervalRow]:
    """Stays of one opportunity in event-time order; re-posting a stage is no move, and
    reaching won or lost closes the current stay without opening one."""
    ordered = sorted(changes, key=lambda change: (change.occurred_at, change.event_id))
    lead_id = next((c.lead_id for c in reversed(ordered) if c.lead_id is not None), None)
    stays: list[StageIntervalRow] = []
    current: StageIntervalRow | None = None
    owner: str | None = None
    amount: float | None = None
    for change in ordered:
        owner = change.owner if change.owner is not None else owner
        amount = change.amount if change.amount is not None else amount
        if current is not None and change.stage == current.stage:
            current = replace(current, owner=owner, amount=amount)
            continue
        if current is not None:
            outcome = order.classify_exit(current.stage, change.stage)
            stays.append(
                replace(
                    current,
                    exited_at=change.occurred_at,
                    outcome=outcome.value,
                    next_stage=change.stage,
                    lost_reason=change.lost_reason if outcome is Outcome.LOST else None,
                    owner=owner,
                    amount=amount,
                    exit_gate_missing=_tuple(change.gate_missing),
                )
            )
            current = None
        if not order.is_terminal(change.stage):
            current = _stay(change, len(stays), owner, amount)
    if current is not None:
        stays.append(current)
    return [replace(stay, lead_id=lead_id) for stay in stays]


def stage_intervals(
    changes: Iterable[StageChangeRow], order: StageOrder = DEFAULT_ORDER
) -> list[StageIntervalRow]:
    """Stays of every opportunity the changes mention, by opportunity then entry."""
    by_opportunity: dict[str, list[StageChangeRow]] = defaultdict(list)
    for change in changes:
        by_opportunity[change.opportunity_id].append(change)
    return [
        stay
        for opportunity_id in sorted(by_opportunity)
        for stay in opportunity_intervals(by_opportunity[opportunity_id], order)
    ]
