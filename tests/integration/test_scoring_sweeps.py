"""Timer-driven sweeps: decay demotes a lead once, nurture is suggested once per period."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from schemas.outgoing import LeadDemoted, Tier
from services.settings import Settings
from tests.integration.scoring_fixtures import (  # noqa: F401 (fixtures)
    WorkerProcess,
    envelope,
    produce,
    scoring_settings,
    worker,
)
from tests.support.scoring_outputs import OutputReader, Outputs


def _demotions(outputs: Outputs) -> list[LeadDemoted]:
    return [c for _, c in outputs.tier_changes if isinstance(c, LeadDemoted)]


async def test_sweeps_demote_a_decayed_mql_once_and_suggest_nurture_once_per_period(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    # every lead is due again right after each sweep: the timer logs a sweep every second
    worker.extra = {
        "LEADFUNNEL_SCORING_SWEEP_INTERVAL_SECONDS": "1",
        "LEADFUNNEL_SCORING_SWEEP_EVERY_SECONDS": "0",
    }
    worker.start()
    now = datetime.now(UTC)
    long_ago, weeks_ago = now - timedelta(days=40), now - timedelta(days=20)
    price_list = {"asset_id": "p", "asset_kind": "price_list"}
    buyer, reader_ids = {"anonymous_id": "sweep-buyer"}, {"anonymous_id": "sweep-reader"}
    await produce(
        scoring_settings,
        [
            envelope("asset_downloaded", buyer, price_list, at=long_ago),
            envelope("asset_downloaded", buyer, price_list, at=long_ago + timedelta(minutes=1)),
            envelope(
                "page_viewed",
                reader_ids,
                {"url": "https://x.cn/pricing", "dwell_seconds": 40},
                at=weeks_ago,
            ),
        ],
    )
    async with OutputReader(scoring_settings) as reader:
        outputs = await reader.until(lambda o: bool(_demotions(o)) and bool(o.nurture))
        await asyncio.sleep(3)  # three more sweeps of both leads
        outputs = await reader.poll()

    (promoted,) = outputs.promotions
    (demoted,) = _demotions(outputs)
    assert (promoted.to_tier, promoted.score) == (Tier.MQL, 50.0)
    assert (demoted.lead_id, demoted.from_tier, demoted.to_tier) == (
        promoted.lead_id,
        Tier.MQL,
        Tier.LEAD,
    )
    assert 19 < demoted.score < 20  # 50 points after 40 days at a 30-day half-life
    # a sweep publishes a score only for a crossing or a drop of at least a point: once each
    decay = {s.lead_id: s for s in outputs.scores if s.cause == "decay"}
    assert len(decay) == len([s for s in outputs.scores if s.cause == "decay"]) == 2
    assert decay[promoted.lead_id].tier is Tier.LEAD
    (suggestion,) = outputs.nurture
    assert suggestion.lead_id != promoted.lead_id
    assert (suggestion.content_pack, suggestion.interests) == ("pricing_and_roi", ["page:pricing"])
