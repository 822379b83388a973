"""Field-mapping profiles shipped for Chinese ad platforms' lead-clue pushes.

Our field → the platform's field (a dotted path into its JSON), as each console documents its
push payload. A configured profile may override any of them (`fields`), or name a platform not
shipped here and give them all.
"""

from __future__ import annotations

from services.channels.config import AdPushProfile

OUR_FIELDS = (
    "clue_id",
    "phone",
    "name",
    "wechat",
    "ad_id",
    "campaign_id",
    "creative_id",
    "create_time",
    "source",
)
SHIPPED_FIELDS: dict[str, dict[str, str]] = {
    # 巨量引擎 飞鱼 (Ocean Engine Feiyu CRM) clue push
    "oceanengine": {
        "clue_id": "clue_id",
        "phone": "telephone",
        "name": "name",
        "wechat": "weixin",
        "ad_id": "ad_id",
        "campaign_id": "campaign_id",
        "creative_id": "cid",
        "create_time": "create_time",
        "source": "clue_source",
    },
    # 腾讯广告 (Tencent Ads) lead clues
    "tencent": {
        "clue_id": "leads_id",
        "phone": "leads_tel",
        "name": "leads_name",
        "wechat": "leads_wechat",
        "ad_id": "adgroup_id",
        "campaign_id": "campaign_id",
        "creative_id": "creative_id",
        "create_time": "leads_create_time",
        "source": "leads_source",
    },
}


def field_map(profile: AdPushProfile) -> dict[str, str]:
    """The shipped mapping of the profile's platform, with the profile's overrides on top."""
    return {**SHIPPED_FIELDS.get(profile.platform, {}), **profile.fields}
