"""Who a demo lead is: the identities each channel knows it by (raw email and phone: ingest
hashes them before anything is stored)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.catalog import (
    AD_PLATFORMS,
    COMPANIES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    MOBILE_PREFIXES,
    WECHAT_APPID,
)


@dataclass(frozen=True, slots=True)
class Person:
    """Every identifier the lead will show somewhere; which ones an event carries is up to it."""

    anonymous_id: str
    email: str
    phone: str
    wechat: dict[str, str]
    ad_click_id: str
    ad_lead_id: str
    has_email: bool  # whether the lead ever gives its email (else the CRM knows its phone)

    def contact(self) -> dict[str, str]:
        """What the CRM knows the lead by."""
        return {"email": self.email} if self.has_email else {"phone": self.phone}

    def form(self) -> dict[str, str]:
        """What a form on the website asks for."""
        given = {"email": self.email} if self.has_email else {}
        return {**given, "phone": self.phone}


def person(rng: random.Random, seed: int, index: int, channel: str, campaign: str) -> Person:
    """A made-up person; the seed is part of every id so two seeds never share a lead."""
    tag = f"s{seed}x{index:05d}"
    name = f"{rng.choice(GIVEN_NAMES)}.{rng.choice(FAMILY_NAMES)}"
    platform = AD_PLATFORMS.get(campaign, "baidu")
    return Person(
        anonymous_id=f"anon-{tag}",
        email=f"{name}.{tag}@{rng.choice(COMPANIES)}.cn",
        phone=rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8)),
        wechat={
            "wechat_appid": WECHAT_APPID,
            "wechat_openid": f"oDemo-{tag}",
            "wechat_unionid": f"uDemo-{tag}",
        },
        ad_click_id=f"{platform}-click-{tag}",
        ad_lead_id=f"{platform}-lead-{tag}",
        has_email=channel in ("website", "email") or rng.random() < 0.4,
    )
