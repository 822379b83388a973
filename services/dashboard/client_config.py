"""What the pages need to know before they read any data: labels, language, bars, polling."""

from __future__ import annotations

from typing import Any

from funnel.model.stages import stage_order
from services.settings import Settings

# The source article's stage table (平均停留天数 / 转化率 / 常见卡点), shown beside the live one.
ARTICLE_STAGES: dict[str, dict[str, Any]] = {
    "first_contact": {"avg_days": 2.1, "conversion": 0.89, "stall_zh": "信息收集不全",
                      "stall_en": "Incomplete information"},
    "needs_confirmed": {"avg_days": 5.7, "conversion": 0.63, "stall_zh": "客户响应慢",
                        "stall_en": "Slow customer response"},
    "demo": {"avg_days": 4.3, "conversion": 0.76, "stall_zh": "技术评估延迟",
             "stall_en": "Technical evaluation delayed"},
    "quote_negotiation": {"avg_days": 8.9, "conversion": 0.42, "stall_zh": "价格异议处理不当",
                          "stall_en": "Price objections mishandled"},
}  # fmt: skip


def client_config(settings: Settings) -> dict[str, Any]:
    """The page's configuration, embedded as JSON in every page (no secrets in it)."""
    order = stage_order(settings.sales_stages)
    stages = [*order.stages, order.won, order.lost]
    return {
        "language": settings.dashboard_language,
        "conversion_bar": settings.dashboard_conversion_bar,
        "poll_seconds": settings.dashboard_poll_seconds,
        "stale_days": settings.stale_leads.default_days,
        "stages": [{"key": s.key, "en": s.label, "zh": s.label_zh} for s in stages],
        "open_stages": list(order.open_keys),
        "article_stages": ARTICLE_STAGES,
        "health_timezone": settings.health_check_timezone,
    }
