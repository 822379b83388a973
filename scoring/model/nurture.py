"""Nurture: a lead with activity that stays under the MQL bar gets a content pack suggestion."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from schemas.outgoing import NurtureSuggested, Tier
from scoring.model.clock import DAY_US, to_us
from scoring.model.state import LeadState

NurtureChannel = Literal["email", "sms", "wecom"]


class ContentPack(BaseModel):
    """Content for some interests (keys: `asset:<kind>`, `page:<first path segment>`, `video`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    interests: tuple[str, ...] = ()
    description: str = ""


DEFAULT_PACKS = (
    ContentPack(name="pricing_and_roi", interests=("asset:price_list", "page:pricing")),
    ContentPack(name="customer_stories", interests=("asset:case_study", "page:customers")),
    ContentPack(
        name="product_tour",
        interests=("asset:product_brochure", "asset:datasheet", "video", "page:products"),
    ),
    ContentPack(
        name="whitepapers",
        interests=("asset:whitepaper", "asset:webinar_recording", "page:blog"),
    ),
)


class NurturePolicy(BaseModel):
    """When a lead under the MQL bar is nurtured, how often, on which channels, with which packs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_days: PositiveFloat = 14.0
    every_days: PositiveFloat = 14.0
    active_within_days: PositiveFloat = 60.0
    channels: tuple[NurtureChannel, ...] = ("email", "sms", "wecom")
    packs: tuple[ContentPack, ...] = DEFAULT_PACKS
    default_pack: str = "whitepapers"

    @model_validator(mode="after")
    def _default_pack_exists(self) -> Self:
        if self.default_pack not in {pack.name for pack in self.packs}:
            raise ValueError(f"nurture.default_pack {self.default_pack!r} is not one of the packs")
        return self


def top_interests(state: LeadState, limit: int = 5) -> list[str]:
    """The lead's strongest interests, most frequent first (ties by name)."""
    ranked = sorted(state.interests.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, _ in ranked[:limit]]


def choose_pack(state: LeadState, policy: NurturePolicy) -> str:
    """The pack covering most of the lead's interest events; the default pack when none do."""
    weights = [sum(state.interests.get(i, 0) for i in pack.interests) for pack in policy.packs]
    best = max(range(len(weights)), key=lambda index: (weights[index], -index), default=None)
    return policy.default_pack if best is None or weights[best] == 0 else policy.packs[best].name


def suggest_nurture(
    state: LeadState, now: datetime, policy: NurturePolicy
) -> NurtureSuggested | None:
    """A suggestion when the lead has sat under MQL for `after_days` and was active recently.

    The id is stable within each `every_days` period, so a timer may ask as often as it likes:
    consumers dedupe on `suggestion_id`.
    """
    since, last = state.tier_since_us, state.last_activity_us
    if state.tier is not Tier.LEAD or state.merged_into or since is None or last is None:
        return None
    waited, idle = to_us(now) - since, to_us(now) - last
    if waited < policy.after_days * DAY_US or idle > policy.active_within_days * DAY_US:
        return None
    period = int((waited - policy.after_days * DAY_US) // (policy.every_days * DAY_US))
    digest = hashlib.sha256(f"nurture|{state.lead_id}|{since}|{period}".encode()).hexdigest()
    return NurtureSuggested(
        suggestion_id=f"nur_{digest[:24]}",
        lead_id=state.lead_id,
        content_pack=choose_pack(state, policy),
        interests=top_interests(state),
        channels=list(policy.channels),
        occurred_at=now,
    )
