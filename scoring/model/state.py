"""A lead's scoring state: everything the fold needs, small, frozen and cheap to copy.

Plain msgspec structs (no validation on copy: the fold builds every value itself). The table's
binary form is `scoring/worker/codec.py`; `to_json`/`from_json` are the readable form (and the
format the table held before the codec).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from schemas.outgoing import Tier
from scoring.model.clock import DAY_US, from_us


# gc=False: a state holds only strings, numbers and containers of them, never a reference cycle,
# so the garbage collector need not track (and rescan) the table's 100,000s of them.
class Contribution(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """One event scoring under one rule: the explanation of a slice of the score."""

    event_id: str
    rule_id: str
    event_type: str
    points: float
    at_us: int

    def sort_key(self) -> tuple[int, str, str]:
        """Newest first when sorted in reverse; ties broken by ids, never by arrival."""
        return (self.at_us, self.event_id, self.rule_id)


class LeadState(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """One lead's score table value. Times are exact epoch microseconds (`*_us`).

    `contributions` are points per rule valued at `as_of_us` (decay applied up to then);
    `windows` hold, per `rule@window`, the (time, event id) of the events that score under a cap;
    `seen` maps accepted event ids to their time for dedupe, bounded by `floor_us`; `effects`
    keeps, for the same ids, what each event counted (type, interest, rules matched), so a merge
    of two leads that both applied one event (a redelivery resolved twice) counts it once.
    `reached` is, per tier above lead, when the lead's own timeline first met it
    (scoring/model/reach.py).
    """

    lead_id: str
    rule_version: str = ""
    score: float = 0.0
    tier: Tier = Tier.LEAD
    tier_since_us: int | None = None
    contributions: dict[str, float] = {}
    as_of_us: int | None = None
    clock_us: int | None = None
    floor_us: int | None = None
    pruned_us: int | None = None
    event_counts: dict[str, int] = {}
    rule_counts: dict[str, int] = {}
    rule_scored: dict[str, int] = {}
    windows: dict[str, tuple[tuple[int, str], ...]] = {}
    seen: dict[str, int] = {}
    effects: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    recent: tuple[Contribution, ...] = ()
    interests: dict[str, int] = {}
    first_activity_us: int | None = None
    last_activity_us: int | None = None
    last_event_id: str | None = None
    promotions: dict[Tier, int] = {}
    demotions: dict[Tier, int] = {}
    reached: dict[Tier, int] = {}
    merged_into: str | None = None
    merged_from: tuple[str, ...] = ()

    def watermark_us(self, max_lateness_days: float) -> int | None:
        """Events at or before this time are dropped as too late (see docs/scoring.md)."""
        floor = self.floor_us
        if self.clock_us is None:
            return floor
        horizon = self.clock_us - round(max_lateness_days * DAY_US)
        return horizon if floor is None or horizon > floor else floor

    def counts(self) -> dict[str, int]:
        """Behaviour counts tier criteria read: per event type and per rule matched."""
        return {**self.event_counts, **self.rule_counts}

    @property
    def last_activity_at(self) -> datetime | None:
        """Event time of the latest accepted event."""
        return None if self.last_activity_us is None else from_us(self.last_activity_us)

    @property
    def first_activity_at(self) -> datetime | None:
        """Event time of the earliest accepted event."""
        return None if self.first_activity_us is None else from_us(self.first_activity_us)

    @property
    def tier_since(self) -> datetime | None:
        """When the lead entered its current tier."""
        return None if self.tier_since_us is None else from_us(self.tier_since_us)


def new_lead(lead_id: str) -> LeadState:
    """The state of a lead nothing has happened to yet."""
    return LeadState(lead_id=lead_id)


replace = msgspec.structs.replace  # a copy with some fields changed (no validation, no deep copy)

_JSON = msgspec.json.Encoder()
_FROM_JSON = msgspec.json.Decoder(LeadState)


def to_json(state: LeadState) -> bytes:
    """The state as JSON (the same document the pydantic model wrote)."""
    return _JSON.encode(state)


def from_json(data: bytes | str) -> LeadState:
    """A state from JSON, including the table values written before the binary codec."""
    return _FROM_JSON.decode(data)
