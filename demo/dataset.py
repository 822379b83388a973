"""The whole demo data set: every lead's journey and every opportunity, in event-time order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from demo.catalog import OPPORTUNITY_RATE
from demo.journeys import LeadJourney, lead_journey
from demo.opportunities import Opening, OpportunityPlan, opportunity, plan_stays
from demo.plan import DemoConfig, Post


@dataclass(frozen=True, slots=True)
class Dataset:
    """What the feed posts (oldest first) and what it was built to show."""

    now: datetime
    journeys: tuple[LeadJourney, ...]
    opportunities: tuple[OpportunityPlan, ...]
    posts: tuple[Post, ...]


def openings(journeys: list[LeadJourney], seed: int, now: datetime) -> list[Opening]:
    """The SQLs sales picks up: first contact a few hours to two days after the SQL."""
    found = []
    for journey in journeys:
        rng = random.Random(f"{seed}:opening:{journey.lead}")
        if journey.sql_at is None or rng.random() >= OPPORTUNITY_RATE:
            continue
        contact_at = journey.sql_at + timedelta(days=rng.uniform(0.1, 2.0))
        if contact_at < now:
            found.append(Opening(journey.lead, contact_at, journey.person.contact()))
    return sorted(found, key=lambda opening: (opening.first_contact_at, opening.lead))


def build_dataset(config: DemoConfig, now: datetime) -> Dataset:
    """The data set for `config` as of `now`; the same inputs always give the same records."""
    journeys = [lead_journey(config, index, now) for index in range(config.leads)]
    opened = openings(journeys, config.seed, now)
    stays = plan_stays(opened, config.seed, now)
    plans = [
        opportunity(opening, opening_stays, config.seed, now)
        for opening, opening_stays in zip(opened, stays, strict=True)
    ]
    posts = [post for journey in journeys for post in journey.posts]
    posts += [post for plan in plans for post in plan.posts]
    posts.sort(key=lambda post: (post.occurred_at, post.event_id))
    return Dataset(now, tuple(journeys), tuple(plans), tuple(posts))
