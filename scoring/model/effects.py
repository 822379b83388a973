"""What a batch of messages decided: table changes and messages to send, as plain values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from schemas.outgoing import (
    DeadLetter,
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    NurtureSuggested,
)
from scoring.model.crossings import Emitted, ScoreChange

V = TypeVar("V")


def _json(model: BaseModel) -> bytes:
    """`model.model_dump_json().encode()`, the same bytes without the str in between."""
    return model.__pydantic_serializer__.to_json(model)


class Out(StrEnum):
    """Where a message goes; the adapter maps these to topic names."""

    HOPS = "hops"
    LEAD_INPUTS = "lead_inputs"
    LEAD_EVENTS = "lead_events"
    LEAD_SCORES = "lead_scores"
    PROMOTIONS = "promotions"
    LEAD_MERGES = "lead_merges"
    SALES_STAGES = "sales_stages"
    NURTURE = "nurture"
    DEAD_LETTERS = "dead_letters"


class Send(NamedTuple):  # a tuple: built for every message, 2.5x cheaper than a frozen dataclass
    """One message to publish; `partition` only for messages addressed to a partition (sweeps)."""

    out: Out
    key: str | None
    value: bytes | None  # None: a tombstone (an erased lead's score on the compacted topic)
    partition: int | None = None


class Overlay(Generic[V]):
    """A table as a batch sees it: reads through to the table, keeps writes until they are safe."""

    def __init__(self, read: Callable[[str], V | None]) -> None:
        self._read = read
        self.changed: dict[str, V] = {}

    def get(self, key: str) -> V | None:
        """The batch's value for a key: its own write, else the table's."""
        return self.changed[key] if key in self.changed else self._read(key)

    def set(self, key: str, value: V) -> None:
        """Write for the end of the batch (after every message it sends is acknowledged)."""
        self.changed[key] = value


@dataclass
class Effects:
    """Everything a batch decided, in order; counts feed the metrics."""

    sends: list[Send] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    scored_received_at: list[datetime] = field(default_factory=list)
    schedule: dict[str, bool] = field(default_factory=dict)  # lead → keep sweeping it?
    # leads.scores is compacted: a batch publishes a lead's latest score change only, in the
    # place of its first (`_score_at`); `_undo` restores what a failed input overwrote
    _score_at: dict[str, int] = field(default_factory=dict)
    _undo: list[tuple[int, Send]] = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        """A point to roll back to (`rollback`) if the next input fails."""
        return len(self.sends), len(self._undo)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Forget what was sent or overwritten since `mark`."""
        sends, undo = mark
        while len(self._undo) > undo:
            index, previous = self._undo.pop()
            self.sends[index] = previous
        del self.sends[sends:]
        for lead_id in [k for k, index in self._score_at.items() if index >= sends]:
            del self._score_at[lead_id]

    def send(
        self, out: Out, key: str | None, value: bytes | None, partition: int | None = None
    ) -> None:
        """Queue a message."""
        self.sends.append(Send(out, key, value, partition))

    def count(self, what: str, label: str = "") -> None:
        """Count an outcome (a metric name and its label)."""
        self.counts[(what, label)] += 1

    def emit(self, emitted: list[Emitted]) -> None:
        """Route the engine's emissions to their public topics."""
        for item in emitted:
            match item:
                case ScoreChange():
                    self._score(item)
                case LeadPromoted():
                    self.count("promoted", item.to_tier.value)
                    self.send(Out.PROMOTIONS, item.lead_id, _json(item))
                case LeadDemoted():
                    self.count("demoted", item.to_tier.value)
                    self.send(Out.PROMOTIONS, item.lead_id, _json(item))

    def _score(self, item: ScoreChange) -> None:
        send = Send(Out.LEAD_SCORES, item.lead_id, item.to_json())
        index = self._score_at.get(item.lead_id)
        if index is None:
            self._score_at[item.lead_id] = len(self.sends)
            self.sends.append(send)
        else:
            self._undo.append((index, self.sends[index]))
            self.sends[index] = send

    def merged(self, merge: LeadsMerged) -> None:
        """Publish a merge (keyed by the survivor) for every downstream consumer."""
        value = _json(merge)
        self.send(Out.LEAD_MERGES, merge.surviving_lead_id, value)

    def nurture(self, suggestion: NurtureSuggested) -> None:
        """Publish a nurture suggestion."""
        self.count("nurture", suggestion.content_pack)
        self.send(Out.NURTURE, suggestion.lead_id, _json(suggestion))

    def dead_letter(self, letter: DeadLetter) -> None:
        """Publish a message that cannot be processed, with the reason."""
        self.count("dead_letter", letter.source)
        self.send(Out.DEAD_LETTERS, letter.source, _json(letter))
