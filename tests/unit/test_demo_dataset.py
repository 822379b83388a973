"""The demo data set's shape: deterministic, valid for ingest, spread over channels and months."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from demo.dataset import build_dataset
from demo.plan import DemoConfig
from services.ingest.rejections import Rejection
from tests.support.demo_factories import NOW, as_ingested, dataset


def test_same_seed_and_now_give_identical_records() -> None:
    first = build_dataset(DemoConfig(leads=200, seed=7), NOW)
    again = build_dataset(DemoConfig(leads=200, seed=7), NOW)

    assert [(p.api, p.occurred_at, p.body) for p in first.posts] == [
        (p.api, p.occurred_at, p.body) for p in again.posts
    ]


def test_a_later_now_shifts_every_record_and_keeps_its_id() -> None:
    earlier = build_dataset(DemoConfig(leads=200, seed=7), NOW)
    later = build_dataset(DemoConfig(leads=200, seed=7), NOW + timedelta(days=3))

    assert [p.event_id for p in earlier.posts] == [p.event_id for p in later.posts]
    assert {
        b.occurred_at - a.occurred_at for a, b in zip(earlier.posts, later.posts, strict=True)
    } == {timedelta(days=3)}


def test_another_seed_shares_no_record_and_no_identity_with_the_first() -> None:
    one, other = dataset(seed=42), build_dataset(DemoConfig(leads=600, seed=43), NOW)

    assert not {p.event_id for p in one.posts} & {p.event_id for p in other.posts}
    people = {j.person.email for j in one.journeys} | {j.person.anonymous_id for j in one.journeys}
    assert not people & (
        {j.person.email for j in other.journeys} | {j.person.anonymous_id for j in other.journeys}
    )


def test_every_record_is_accepted_by_ingest() -> None:
    refused = Counter(
        (p.api, outcome.code, outcome.pointer)
        for p in dataset().posts
        if isinstance(outcome := as_ingested(p), Rejection)
    )

    assert not refused


def test_records_come_oldest_first_none_in_the_future_over_four_months() -> None:
    posts = dataset().posts
    times = [p.occurred_at for p in posts]

    assert times == sorted(times)
    assert max(times) < NOW
    assert min(times) >= NOW - timedelta(days=121)
    assert len({t.strftime("%Y-%m") for t in times}) >= 4


def test_every_channel_of_the_article_posts_and_wechat_carries_wechat_ids() -> None:
    events = [p.body for p in dataset().posts if p.api == "events"]
    channels = Counter(body["channel"] for body in events)
    wechat = [body for body in events if body["channel"] == "wechat"]
    apis = Counter(p.api for p in dataset().posts)

    assert set(channels) == {"website", "wechat", "ads", "email", "crm"}  # crm: feedback
    assert {body["type"] for body in events if body["channel"] == "crm"} == {"feedback_given"}
    assert all(body["identities"].get("wechat_openid") for body in wechat)
    assert apis["stage_changes"] > 100 and apis["communications"] > 100
    assert {j.channel for j in dataset().journeys} == {"website", "wechat", "ads", "email"}


def test_crm_records_are_version_2_and_feed_the_rep_points() -> None:
    posts = dataset().posts
    crm = [p.body for p in posts if p.api in ("stage_changes", "communications")]
    assert all(body["schema_version"] == 2 and body["owner"] for body in crm)
    assert all(b["amount"] and b["currency"] for b in crm if b.get("stage") == "won")
    assert sum(bool(b.get("minutes_uploaded")) for b in crm) > 20
    scores = [
        p.body["properties"]["score"] for p in posts if p.body.get("type") == "feedback_given"
    ]
    assert min(scores) <= 6 < max(scores)  # some detractors cost their rep points


def test_first_touches_carry_a_campaign_per_channel() -> None:
    campaigns = Counter((j.channel, j.campaign) for j in dataset().journeys)

    assert len({channel for channel, _ in campaigns}) == 4
    assert len(campaigns) >= 8
