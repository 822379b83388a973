"""Marketing spend contract: what a channel (or one of its campaigns) cost in a calendar month.

Spend is not a lead event (it concerns no person, so the event envelope's identities do not
fit): it has its own topic, compacted by `spend_id`, so the latest posting of a month is what
the log keeps and what a rebuild reads.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, Field, model_validator

from schemas.events import Channel, Contract

MONTH_PATTERN = r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$"
MAX_AMOUNT = 1e12  # a month's spend of one channel; more is a typo (or the wrong unit)
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="calendar month YYYY-MM")]


def spend_id_of(channel: Channel | str, campaign: str | None, month: str) -> str:
    """The id of a channel's (campaign's) spend in a month: a re-post of it replaces it."""
    channel_name = channel.value if isinstance(channel, Channel) else channel
    text = json.dumps([channel_name, campaign, month], ensure_ascii=False)
    return "sp_" + hashlib.sha256(text.encode()).hexdigest()[:32]


class SpendRecorded(Contract):
    """A channel's (or campaign's) marketing spend for one month, as last posted."""

    spend_id: str = Field(description="sp_ + sha256 of [channel, campaign, month], 32 hex digits")
    channel: Channel
    campaign: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="null: the channel's spend not attributable to one campaign",
    )
    month: Month
    amount: float = Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    recorded_at: AwareDatetime = Field(description="when ingest accepted it; the latest wins")
    source: str = Field(min_length=1, max_length=200, description="the write key's name")

    @model_validator(mode="after")
    def _id_names_the_month(self) -> Self:
        expected = spend_id_of(self.channel, self.campaign, self.month)
        if self.spend_id != expected:
            raise ValueError(f"spend_id must be {expected} for this channel, campaign and month")
        return self

    @classmethod
    def of(cls, **fields: Any) -> SpendRecorded:
        """The record of `fields` (all but the id), its id derived from channel, campaign, month."""
        derived = spend_id_of(fields["channel"], fields.get("campaign"), fields["month"])
        return cls(spend_id=derived, **fields)
