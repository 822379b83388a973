"""Health-check thresholds (the article's defaults, configurable) and each indicator's wording."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from funnel.model.stages import (
    CONTRACT_APPROVAL,
    DEMO,
    FIRST_CONTACT,
    NEEDS_CONFIRMED,
    QUOTE_NEGOTIATION,
)


class Indicator(StrEnum):
    """The four indicators of the article's 销售健康度自检表."""

    MQL_TO_SQL = "mql_to_sql_rate"
    SALES_CYCLE = "average_sales_cycle_days"
    UPDATES_ON_TIME = "stage_updates_on_time_rate"
    HIGH_VALUE_SHARE = "high_value_customer_share"


@dataclass(frozen=True, slots=True)
class Rule:
    """How one indicator is graded and worded."""

    name: Indicator
    label: str
    label_zh: str
    unit: Literal["ratio", "days"]
    normal: float
    alarm: float
    action: str
    action_zh: str

    @property
    def higher_is_better(self) -> bool:
        """Whether larger values are healthier (every indicator but the sales cycle)."""
        return self.unit == "ratio"

    @property
    def normal_range(self) -> str:
        """The normal range as text, e.g. `≥ 25%` or `≤ 45 days`."""
        return f"{'≥' if self.higher_is_better else '≤'} {self._show(self.normal)}"

    @property
    def alarm_range(self) -> str:
        """The alarm range as text, e.g. `< 15%` or `> 60 days`."""
        return f"{'<' if self.higher_is_better else '>'} {self._show(self.alarm)}"

    def _show(self, value: float) -> str:
        return f"{value * 100:g}%" if self.unit == "ratio" else f"{value:g} days"


class HealthThresholds(BaseModel):
    """Normal and alarm thresholds; ratios as fractions, the cycle in days, amounts in currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mql_to_sql_normal: float = Field(default=0.25, ge=0.0, le=1.0)
    mql_to_sql_alarm: float = Field(default=0.15, ge=0.0, le=1.0)
    sales_cycle_normal_days: float = Field(default=45.0, gt=0.0)
    sales_cycle_alarm_days: float = Field(default=60.0, gt=0.0)
    updates_on_time_normal: float = Field(default=0.90, ge=0.0, le=1.0)
    updates_on_time_alarm: float = Field(default=0.70, ge=0.0, le=1.0)
    high_value_normal: float = Field(default=0.30, ge=0.0, le=1.0)
    high_value_alarm: float = Field(default=0.20, ge=0.0, le=1.0)
    high_value_amount: float = Field(default=100_000.0, ge=0.0)
    stage_sla_days: dict[str, float] = Field(
        default_factory=lambda: {
            FIRST_CONTACT: 7.0,
            NEEDS_CONFIRMED: 14.0,
            DEMO: 14.0,
            QUOTE_NEGOTIATION: 21.0,
            CONTRACT_APPROVAL: 14.0,
        }
    )
    default_stage_sla_days: float = Field(default=14.0, gt=0.0)

    @model_validator(mode="after")
    def _alarm_is_beyond_normal(self) -> HealthThresholds:
        for name in Indicator:
            rule = self.rule(name)
            wrong = rule.alarm > rule.normal if rule.higher_is_better else rule.alarm < rule.normal
            if wrong:
                raise ValueError(f"{name}: the alarm threshold must lie beyond the normal one")
        return self

    def rule(self, name: Indicator) -> Rule:
        """The grading rule of one indicator under these thresholds."""
        match name:
            case Indicator.MQL_TO_SQL:
                return Rule(
                    name, "MQL→SQL conversion", "线索转化率(MQL→SQL)", "ratio",
                    self.mql_to_sql_normal, self.mql_to_sql_alarm,
                    "Tighten the MQL criteria and strengthen nurture content",
                    "优化筛选规则,加强培育内容",
                )  # fmt: skip
            case Indicator.SALES_CYCLE:
                return Rule(
                    name, "Average sales cycle", "平均销售周期", "days",
                    self.sales_cycle_normal_days, self.sales_cycle_alarm_days,
                    "Find the stage where deals stall and push it harder",
                    "分析卡点阶段,强化推动力度",
                )  # fmt: skip
            case Indicator.UPDATES_ON_TIME:
                return Rule(
                    name, "Stage updates on time", "客户阶段更新及时率", "ratio",
                    self.updates_on_time_normal, self.updates_on_time_alarm,
                    "Turn on mandatory stage updates in the CRM",
                    "启用系统强制更新机制",
                )  # fmt: skip
            case Indicator.HIGH_VALUE_SHARE:
                return Rule(
                    name, "High-value customer share", "高价值客户占比", "ratio",
                    self.high_value_normal, self.high_value_alarm,
                    "Shift sales resources towards high-value accounts",
                    "调整资源倾斜策略",
                )  # fmt: skip
