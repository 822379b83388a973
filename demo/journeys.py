"""One demo lead's behaviour across website, WeChat, ads and email, shaped by how keen it is.

Intent decides the tier the default rules (scoring/default_rules.yaml) will give the lead:
`lead` never meets the MQL bar; `mql` submits a form and watches two product videos;
`sql` then books a demo (or, one in seven, studies the price list until its score passes 80).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from demo.catalog import (
    AD_PLATFORMS,
    ASSETS,
    CAMPAIGNS,
    CHANNEL_WEIGHTS,
    MQL_RATE,
    PAGES,
    PRICING_PAGE,
    SITE,
    SQL_RATE,
    TREND_END,
    TREND_START,
    VIDEOS,
    WECHAT_ARTICLES,
    WECHAT_MENU,
)
from demo.people import Person, person
from demo.plan import DemoConfig, Post, Trail

Intent = Literal["lead", "mql", "sql"]


@dataclass(frozen=True, slots=True)
class LeadJourney:
    """A lead's records and the milestones they were built to reach (None: not before now)."""

    lead: int
    channel: str
    campaign: str
    intent: Intent
    first_seen_at: datetime
    mql_at: datetime | None
    sql_at: datetime | None
    person: Person
    posts: tuple[Post, ...]


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def _page(path: str, dwell: float) -> dict[str, Any]:
    return {"url": SITE + path, "dwell_seconds": round(dwell, 1)}


def _video(rng: random.Random, watched: bool) -> dict[str, Any]:
    video_id, title = rng.choice(VIDEOS)
    percent = rng.uniform(55, 100) if watched else rng.uniform(10, 40)
    return {"video_id": video_id, "title": title, "percent": round(percent), "seconds": 30}


def _asset(kind: str) -> dict[str, Any]:
    asset_id, title = ASSETS[kind]
    return {"asset_id": asset_id, "asset_kind": kind, "title": title}


class Journey:
    """Writes one lead's records into its trail; each method is one step of the story."""

    def __init__(self, trail: Trail, who: Person, channel: str, campaign: str) -> None:
        self.trail, self.who, self.channel, self.campaign = trail, who, channel, campaign
        self.rng = trail.rng

    def web(self, at: datetime, kind: str, props: dict[str, Any], **ids: str) -> bool:
        """An event on the website, from the lead's browser (plus any identities it gave)."""
        identities = {"anonymous_id": self.who.anonymous_id, **ids}
        return self.trail.event(at, kind, "website", identities, props)

    def wechat(self, at: datetime, kind: str, props: dict[str, Any] | None, **ids: str) -> bool:
        """An event from the official account (公众号), keyed by the lead's WeChat ids."""
        return self.trail.event(at, kind, "wechat", {**self.who.wechat, **ids}, props)

    def own(self, at: datetime, kind: str, props: dict[str, Any]) -> bool:
        """An event where the lead usually is: inside WeChat for followers, else the website."""
        if self.channel == "wechat":
            return self.wechat(at, kind, props)
        return self.web(at, kind, props)

    def read(self, at: datetime) -> bool:
        """A page read: an article inside WeChat for followers, else a page of the website."""
        if self.channel == "wechat":
            article = "https://mp.weixin.qq.com/" + self.rng.choice(WECHAT_ARTICLES)
            read = {"url": article, "dwell_seconds": round(self.rng.uniform(30, 200))}
            return self.wechat(at, "page_viewed", read)
        return self.web(at, "page_viewed", _page(self.rng.choice(PAGES), self.rng.uniform(10, 150)))

    def first_session(self, t0: datetime) -> None:
        """How the lead arrives, tagged with its campaign (the funnel's first touch)."""
        rng, who, campaign, minute = self.rng, self.who, self.campaign, timedelta(minutes=1)
        match self.channel:
            case "website":
                browser = {"anonymous_id": who.anonymous_id}
                landing = _page("/", rng.uniform(15, 50))
                self.trail.event(t0, "page_viewed", "website", browser, landing, campaign)
                product = _page("/products/mes", rng.uniform(60, 240))
                self.web(t0 + 2 * minute, "page_viewed", product)
            case "wechat":
                scene = {"scene": "qrscene_expo_booth" if rng.random() < 0.5 else "qrscene_article"}
                self.trail.event(t0, "wechat_subscribed", "wechat", who.wechat, scene, campaign)
                self.read(t0 + 3 * minute)
            case "ads":
                platform = AD_PLATFORMS[campaign]
                click = {"platform": platform, "campaign_id": campaign, "ad_id": f"{campaign}-ad-1"}
                clicked = {"ad_click_id": who.ad_click_id}
                self.trail.event(t0, "ad_clicked", "ads", clicked, click, campaign)
                landing = _page("/solutions/electronics", rng.uniform(20, 90))
                self.web(t0 + minute, "page_viewed", landing, **clicked)
            case _:
                inbox = {"email": who.email}
                mail = {"campaign_id": campaign, "message_id": f"{campaign}-2026"}
                self.trail.event(t0, "email_opened", "email", inbox, mail, campaign)
                clicked = mail | {"url": SITE + "/customers"}
                self.trail.event(t0 + 2 * minute, "email_clicked", "email", inbox, clicked)
                page = _page("/customers", rng.uniform(40, 150))
                self.web(t0 + 3 * minute, "page_viewed", page, **inbox)

    def browse(self, t0: datetime, touches: int, allow_asset: bool) -> None:
        """A few more visits over the next days: pages, a whitepaper, a video sampled."""
        rng = self.rng
        for _ in range(touches):
            at = t0 + _days(rng, 0.3, 10)
            choice = rng.random()
            if choice < 0.2 and allow_asset:
                allow_asset = False
                self.own(at, "asset_downloaded", _asset(rng.choice(["whitepaper", "datasheet"])))
            elif choice < 0.35:
                self.own(at, "video_watched", _video(rng, watched=False))
            elif self.channel == "wechat" and choice < 0.7:
                menu = {"menu_key": rng.choice(WECHAT_MENU)}
                self.wechat(at, "wechat_menu_clicked", menu)
            else:
                self.read(at)

    def qualify(self, at: datetime) -> None:
        """The MQL bar: a form (or an ad lead form) and two product videos watched; the second
        video, last, is what crosses it."""
        rng, who = self.rng, self.who
        first_video, form_at = at - _days(rng, 1, 3), at - _days(rng, 0.1, 0.9)
        if rng.random() < 0.3:
            self.own(first_video - _days(rng, 0, 1), "asset_downloaded", _asset("case_study"))
        form = {"form_id": "contact-sales", "form_name": "联系销售"}
        match self.channel:
            case "wechat":
                self.wechat(form_at, "form_submitted", form, **who.form())
            case "ads":
                lead_form = {
                    "platform": AD_PLATFORMS[self.campaign],
                    "lead_id": who.ad_lead_id,
                    "campaign_id": self.campaign,
                    "is_test": False,
                }
                ids = {"ad_lead_id": who.ad_lead_id, "ad_click_id": who.ad_click_id}
                self.trail.event(form_at, "ad_lead_submitted", "ads", ids | who.form(), lead_form)
            case _:
                self.web(form_at, "form_submitted", form, **who.form())
        self.own(first_video, "video_watched", _video(rng, watched=True))
        self.own(at, "video_watched", _video(rng, watched=True))

    def book_demo(self, at: datetime, by_score: bool) -> None:
        """SQL: a demo request; or the price list, a case study and the pricing page (score)."""
        rng, contact = self.rng, self.who.form()
        pricing = _page(PRICING_PAGE, rng.uniform(60, 170))
        self.web(at - _days(rng, 0.05, 0.5), "page_viewed", pricing, **contact)
        if by_score:
            before = at - timedelta(minutes=20)
            self.web(before, "asset_downloaded", _asset("product_brochure"), **contact)
            self.web(before, "asset_downloaded", _asset("case_study"), **contact)
            self.web(at, "asset_downloaded", _asset("price_list"), **contact)
            return
        self.web(at, "demo_requested", {"product": "MES"}, **contact)

    def nurture(self, after: datetime, count: int) -> None:
        """Nurture emails opened by a lead under the SQL bar that gave its email."""
        if not self.who.has_email:
            return
        for _ in range(count):
            mail = {"campaign_id": "nurture-case-pack", "message_id": "nurture-2026"}
            at = after + _days(self.rng, 2, 30)
            self.trail.event(at, "email_opened", "email", {"email": self.who.email}, mail)

    def unfollow(self, at: datetime) -> None:
        """A WeChat follower who loses interest."""
        self.wechat(at, "wechat_unsubscribed", None)


def _intent(rng: random.Random, channel: str, progress: float) -> tuple[Intent, bool]:
    trend = TREND_START + (TREND_END - TREND_START) * progress
    if rng.random() >= MQL_RATE[channel]:
        return "lead", False
    if rng.random() >= min(0.95, SQL_RATE[channel] * trend):
        return "mql", False
    return "sql", rng.random() < 1 / 7


def lead_journey(
    config: DemoConfig, index: int, now: datetime, arrival: datetime | None = None
) -> LeadJourney:
    """Lead number `index` of the data set: the same for the same seed, index and `now`.
    It first shows up somewhere in the configured days before `now`, or at `arrival`."""
    rng = random.Random(f"{config.seed}:lead:{index}")
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    campaign = rng.choice(CAMPAIGNS[channel])
    progress = rng.random() ** 0.8  # more leads lately: the business is growing
    t0 = config.start(now) + (now - config.start(now)) * progress - timedelta(hours=1)
    if arrival is not None:
        progress, t0 = 1.0, arrival
    intent, by_score = _intent(rng, channel, progress)
    who = person(rng, config.seed, index, channel, campaign)
    trail = Trail(index, config.seed, now, rng)
    story = Journey(trail, who, channel, campaign)
    story.first_session(t0)
    story.browse(t0, rng.randint(0, 3) if intent == "lead" else rng.randint(0, 2), intent == "lead")
    mql_at = sql_at = None
    if intent == "lead":
        if rng.random() < 0.25:
            story.own(t0 + _days(rng, 0.5, 8), "video_watched", _video(rng, watched=True))
        if channel == "wechat" and rng.random() < 0.15:
            story.unfollow(t0 + _days(rng, 3, 20))
    else:
        qualified = t0 + _days(rng, 3, 12)
        story.qualify(qualified)
        mql_at = qualified if qualified < now else None
    if intent == "sql" and mql_at is not None:
        booked = mql_at + _days(rng, 1, 14)
        story.book_demo(booked, by_score)
        sql_at = booked if booked < now else None
    elif intent == "mql" and mql_at is not None:
        story.nurture(mql_at, rng.randint(0, 3))
    return LeadJourney(
        index, channel, campaign, intent, t0, mql_at, sql_at, who, tuple(trail.posts)
    )
