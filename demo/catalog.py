"""What the demo's made-up company offers and who sells it: channels, content, stage targets."""

from __future__ import annotations

from dataclasses import dataclass

# First-touch channel mix and, per channel, the campaigns that bring leads in.
CHANNEL_WEIGHTS: dict[str, float] = {"website": 0.35, "wechat": 0.25, "ads": 0.25, "email": 0.15}
CAMPAIGNS: dict[str, tuple[str, ...]] = {
    "website": ("seo-organic", "industry-expo-2026"),
    "wechat": ("wechat-article-series", "wechat-live-webinar"),
    "ads": ("baidu-search", "wechat-moments-ads", "douyin-feed"),
    "email": ("newsletter-monthly", "webinar-invite"),
}
AD_PLATFORMS: dict[str, str] = {
    "baidu-search": "baidu",
    "wechat-moments-ads": "tencent",
    "douyin-feed": "oceanengine",
}
# How likely a lead of each channel becomes an MQL, and an MQL an SQL (before the trend):
# the ads bring volume of lower quality, the website and email the keenest leads.
MQL_RATE: dict[str, float] = {"website": 0.46, "wechat": 0.40, "ads": 0.36, "email": 0.44}
SQL_RATE: dict[str, float] = {"website": 0.38, "wechat": 0.30, "ads": 0.20, "email": 0.34}
# MQL→SQL improves over the period, as in the article's 18% → 37% story: the oldest leads
# convert at TREND_START × the channel's rate, the newest at TREND_END ×.
TREND_START, TREND_END = 0.6, 1.3
OPPORTUNITY_RATE = 0.9  # SQLs the CRM opens an opportunity for

SITE = "https://www.example-mes.cn"
PAGES: tuple[str, ...] = (
    "/",
    "/products/mes",
    "/products/quality",
    "/solutions/electronics",
    "/solutions/automotive",
    "/customers",
    "/blog/smart-factory-roadmap",
    "/blog/oee-explained",
)
PRICING_PAGE = "/pricing"
ASSETS: dict[str, tuple[str, str]] = {
    "whitepaper": ("wp-smart-factory-2026", "智能工厂白皮书 2026"),
    "case_study": ("cs-byd-line-7", "汽车零部件客户案例"),
    "price_list": ("price-list-2026", "2026 报价单"),
    "product_brochure": ("brochure-mes", "MES 产品手册"),
    "datasheet": ("datasheet-quality", "质量模块规格书"),
}
VIDEOS: tuple[tuple[str, str], ...] = (
    ("video-mes-overview", "MES 产品概览"),
    ("video-quality-demo", "质量追溯演示"),
    ("video-customer-story", "客户访谈"),
)
WECHAT_APPID = "wxdemo2026mes01"
WECHAT_ARTICLES: tuple[str, ...] = ("s/oee-101", "s/digital-line", "s/expo-recap", "s/roi-guide")
WECHAT_MENU: tuple[str, ...] = ("menu_products", "menu_cases", "menu_contact")
COMPANIES: tuple[str, ...] = (
    "huaxin-auto", "jinghong-elec", "taihe-pharma", "ruida-metal", "zhongke-semi",
    "yongfeng-pack", "lianchuang-med", "haitian-chem", "xinyuan-food", "boyu-robot",
)  # fmt: skip
GIVEN_NAMES: tuple[str, ...] = (
    "wei", "fang", "na", "min", "jing", "lei", "yang", "jie", "tao", "hui", "qiang", "yan",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang")
MOBILE_PREFIXES: tuple[str, ...] = ("135", "136", "138", "139", "150", "158", "186", "188")
OWNERS: tuple[str, ...] = ("zhang.wei", "li.na", "wang.fang", "liu.yang", "chen.jie", "zhao.lei")
COMMUNICATION_KINDS: tuple[str, ...] = ("call", "call", "meeting", "wechat", "visit", "email")
EFFECTIVE_SHARE = 0.75  # communications with a need, a next step or a referral
MINUTES_SHARE = 0.6  # effective meetings and visits whose complete minutes are uploaded
FEEDBACK_SHARE = 0.5  # closed deals whose customer scores the rep (NPS-style, 0..10)


@dataclass(frozen=True, slots=True)
class StageTarget:
    """How long opportunities stay in an open stage on average and how many move on."""

    stage: str
    avg_days: float
    conversion: float
    lost_reasons: tuple[tuple[str, float], ...]  # reason code, weight; the first is the article's


# The source article's table (平均停留天数 / 转化率 / 常见卡点); contract approval is not in it:
# a short, mostly successful last step before the win.
STAGE_TARGETS: tuple[StageTarget, ...] = (
    StageTarget(
        "first_contact", 2.1, 0.89,
        (("incomplete_information", 0.6), ("no_budget", 0.25), ("chose_competitor", 0.15)),
    ),
    StageTarget(
        "needs_confirmed", 5.7, 0.63,
        (("slow_customer_response", 0.55), ("no_budget", 0.25), ("project_shelved", 0.2)),
    ),
    StageTarget(
        "demo", 4.3, 0.76,
        (("technical_evaluation_delayed", 0.6), ("chose_competitor", 0.4)),
    ),
    StageTarget(
        "quote_negotiation", 8.9, 0.42,
        (("price_objection_mishandled", 0.6), ("chose_competitor", 0.25), ("no_budget", 0.15)),
    ),
    StageTarget(
        "contract_approval", 3.6, 0.85,
        (("legal_review_stalled", 0.7), ("project_shelved", 0.3)),
    ),
)  # fmt: skip
STAGE_SHAPE = 2.5  # gamma shape of the days in a stage: most stays short, a long tail
DEAL_MEDIAN_CNY = 75_000.0  # deal sizes are log-normal around this
DEAL_SIGMA = 0.6
