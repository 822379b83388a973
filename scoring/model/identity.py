"""Cross-channel identity resolution: which lead an event belongs to, and which leads merge.

Lead ids sort by age: `lead_` + first-seen time (12 hex digits of epoch ms) + a hash of the key
that created the lead. When two leads turn out to be one person, the smaller id (the older lead)
survives, so every merge points from a larger id to a smaller one and chains of merges end.

Intended topology (partitioned, many workers, no global lock, no single-process assumption):

1. `events.raw` is keyed by the event's strongest identity key (ingest already does this).
2. Identity agent, table `identities: key -> lead_id`, each key written only by the worker that
   owns the key's partition. An event visits the partition of each of its identity keys in turn,
   strongest first, through a repartition topic keyed by the next key and carrying a `Hop`:
   `start(event)` before the first key, then `step(hop, key, identities.get(key), event)` at each
   key's owner, which writes the returned assignment to its own table entry and publishes any
   `LeadsMerged`. After the last key it publishes `ResolvedEvent(lead_id=hop.lead_id)` to
   `events.resolved`, keyed by lead id (the re-key before scoring).
3. Scoring agent, table `leads: lead_id -> LeadState`, sources keyed by lead id. A `LeadsMerged`
   goes first to the merged lead's partition: if that lead is live, its state is sent to the
   survivor (keyed by the survivor id), which folds it in with `engine.merge`, and it becomes
   `engine.tombstone(state, survivor)`. If it was already merged into X, `reconcile` gives the
   merge between the survivor and X to run instead (until none is left). Events that still reach
   a tombstone (`admit` says MERGED) are re-keyed to `state.merged_into`; so are transfers that
   reach a tombstoned survivor. Stale table entries that name a merged lead are harmless: they
   lead to the tombstone, which forwards.

Replaying the same log gives the same assignments and merges; the final grouping of keys into
leads and the surviving id (the lead born from the oldest event of the group) do not depend on
how partitions interleave, although the intermediate merges may.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.events import Event
from schemas.outgoing import LeadsMerged
from scoring.model.clock import to_us


# Hop and Step are built for every identity key of every event: slotted dataclasses, half the
# cost of a pydantic model; pydantic still checks a Hop inside an IdentityHop (extra forbidden).
@dataclass(frozen=True, slots=True)
class Hop:
    """An event's lead so far while it visits its identity keys; `is_materialized` once stored."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    lead_id: str
    is_materialized: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome at one identity key: the hop to carry on, the key's new lead, any merge."""

    hop: Hop
    assignment: str | None = None
    merge: LeadsMerged | None = None


class Resolution(BaseModel):
    """Where an event goes, what the identity table must now say, and which leads merged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lead_id: str
    assignments: dict[str, str]
    merges: tuple[LeadsMerged, ...]


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def born_prefix(born_at: datetime) -> str:
    """The part of a lead id its birth time makes: `lead_` and 12 hex digits of epoch ms."""
    return f"lead_{max(0, to_us(born_at) // 1000):012x}"


def lead_id_for(key: str, born_at: datetime) -> str:
    """A new lead's id: older leads sort first, then by a hash of the key that created it."""
    return born_prefix(born_at) + _digest(key, 12)


def merge_event(survivor: str, merged: str, key: str, event_id: str, at: datetime) -> LeadsMerged:
    """The merge of two leads; its id depends on the pair only, so repeats dedupe."""
    return LeadsMerged(
        merge_id=f"mrg_{_digest(f'{survivor}|{merged}', 24)}",
        surviving_lead_id=survivor,
        merged_lead_id=merged,
        linking_identities=[key],
        trigger_event_id=event_id,
        occurred_at=at,
    )


def start(event: Event, keys: list[str] | None = None) -> Hop:
    """The lead an event would create: born at its time, from its strongest key (`keys`: its
    `identities.keys()`, when the caller has them)."""
    keys = event.identities.keys() if keys is None else keys
    key = keys[0] if keys else f"event:{event.event_id}"
    return Hop(lead_id=lead_id_for(key, event.occurred_at))


def adopt(current: str | None, event: Event) -> Hop | None:
    """The step at an event's first key without the lead it would create, when the key's lead
    `current` is older than any such lead (a smaller birth prefix): `step(start(event), key,
    current, event)` then adopts `current`, assigns nothing and merges nothing whatever the new
    id's hash, so it is not made (a returning visitor, most events). None: take the full step."""
    if current is None:
        return None
    prefix = born_prefix(event.occurred_at)
    return None if current[: len(prefix)] >= prefix else Hop(lead_id=current, is_materialized=True)


def step(hop: Hop, key: str, current: str | None, event: Event) -> Step:
    """Decide one identity key: adopt, assign, or merge (the older lead survives)."""
    stored = Hop(lead_id=hop.lead_id, is_materialized=True)
    if current is None:
        return Step(hop=stored, assignment=hop.lead_id)
    if current == hop.lead_id:
        return Step(hop=stored)
    winner, loser = sorted((current, hop.lead_id))
    is_real = loser == current or hop.is_materialized  # an unstored proposal merges nothing
    merge = merge_event(winner, loser, key, event.event_id, event.occurred_at) if is_real else None
    assignment = winner if winner != current else None
    return Step(hop=Hop(lead_id=winner, is_materialized=True), assignment=assignment, merge=merge)


def resolve(event: Event, known: Mapping[str, str]) -> Resolution:
    """All hops at once, for one process or a test: `known` maps the event's keys to leads."""
    hop, assignments, merges = start(event), {}, []
    for key in event.identities.keys():  # noqa: SIM118 - Identities.keys() is a method, not a dict
        outcome = step(hop, key, known.get(key), event)
        hop = outcome.hop
        if outcome.assignment is not None:
            assignments[key] = outcome.assignment
        if outcome.merge is not None:
            merges.append(outcome.merge)
    return Resolution(lead_id=hop.lead_id, assignments=assignments, merges=tuple(merges))


def reconcile(merge: LeadsMerged, merged_into: str | None) -> LeadsMerged | None:
    """When the merged lead was already merged into another, the merge that must happen instead."""
    if merged_into is None or merged_into == merge.surviving_lead_id:
        return None
    winner, loser = sorted((merged_into, merge.surviving_lead_id))
    key = merge.linking_identities[0] if merge.linking_identities else ""
    return merge_event(winner, loser, key, merge.trigger_event_id, merge.occurred_at)
