"""A trained risk model as plain numbers: scaler, coefficients, JSON round trip, risk, reasons.

Logistic regression on standardised features: a feature's contribution to the log-odds is its
coefficient times its standardised value, so the largest positive ones are the readable reasons
a deal is at risk. Pure, no I/O: the model is stored as JSON (never pickled) and read back here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from forecast.model.features import FEATURES, TREND_DAYS, Snapshot, model_input

FORMAT = 1


@dataclass(frozen=True, slots=True)
class RiskModel:
    """A versioned model: per feature a mean, a scale and a coefficient, plus an intercept."""

    version: str
    trained_at: datetime
    horizon_days: float
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    evaluation: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The model as a JSON object (what the risk_models table stores)."""
        return {
            "format": FORMAT,
            "version": self.version,
            "trained_at": self.trained_at.isoformat(),
            "horizon_days": self.horizon_days,
            "features": list(self.features),
            "means": list(self.means),
            "scales": list(self.scales),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "evaluation": self.evaluation,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RiskModel:
        """Read a stored model back; ValueError when it is not one this code can use."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown risk model format {data.get('format')!r}")
        features = tuple(data["features"])
        if set(features) - set(FEATURES):
            raise ValueError(f"the model uses features this code lacks: {features}")
        means, scales, coefficients = (
            tuple(float(v) for v in data[k]) for k in ("means", "scales", "coefficients")
        )
        if not len(means) == len(scales) == len(coefficients) == len(features):
            raise ValueError("the model's columns differ in length")
        return cls(
            str(data["version"]), datetime.fromisoformat(data["trained_at"]),
            float(data["horizon_days"]), features, means, scales, coefficients,
            float(data["intercept"]), dict(data.get("evaluation") or {}),
        )  # fmt: skip

    def contributions(self, shot: Snapshot) -> dict[str, float]:
        """Each feature's share of the log-odds: coefficient × standardised value."""
        return {
            name: coef * (model_input(name, shot.values[name]) - mean) / scale
            for name, mean, scale, coef in zip(
                self.features, self.means, self.scales, self.coefficients, strict=True
            )
        }

    def risk(self, shot: Snapshot) -> float:
        """The probability the opportunity is lost within the horizon."""
        logit = self.intercept + sum(self.contributions(shot).values())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature pushing the risk up, with its value and a sentence saying it."""

    feature: str
    value: float
    contribution: float
    text: str


def _plural(count: float, word: str) -> str:
    number = round(count)
    return f"{number} {word}" + ("" if number == 1 else "s")


def reason_text(feature: str, shot: Snapshot) -> str:
    """A sentence a sales manager reads: the feature's value in the deal's own terms."""
    v = shot.values[feature]
    stage = shot.stage
    texts = {
        "days_since_effective_contact": f"{v:.0f} days since the last effective communication"
        f" (stage median stay {shot.stage_median_days:.1f} days)",
        "silence_vs_median": f"no effective communication for {v:.1f}× the median stay in"
        f" {stage} ({shot.stage_median_days:.1f} days)",
        "stay_vs_median": f"{shot.days_in_stage:.0f} days in {stage}, {v:.1f}× the stage's"
        f" median of {shot.stage_median_days:.1f} days",
        "effective_communications_14d": f"{_plural(v, 'effective communication')}"
        f" in the last {TREND_DAYS:.0f} days",
        "ineffective_share": f"{v:.0%} of the communications were not effective",
        "stage_regressions": f"moved back a stage {_plural(v, 'time')}",
        "opportunity_age_days": f"open for {v:.0f} days",
        "log_amount": _amount_text(v),
        "stage_loss_rate": f"in {stage}, where {v:.0%} of the deals that left it were lost",
        "activity_trend_14d": f"{abs(v):.0f} {'fewer' if v < 0 else 'more'} lead events in the"
        f" last {TREND_DAYS:.0f} days than in the {TREND_DAYS:.0f} before",
    }
    return texts[feature]


def _amount_text(log_amount: float) -> str:
    """The deal's amount back from its log10 (any size a CRM sends: no overflow)."""
    if log_amount <= 0:
        return "no amount known"
    if log_amount < 15:
        return f"amount about {10**log_amount:,.0f}"
    return f"amount about 10^{log_amount:.1f}"


def reasons(model: RiskModel, shot: Snapshot, top: int = 3) -> list[Reason]:
    """The features raising this deal's risk most, largest first (none when nothing does)."""
    ranked = sorted(model.contributions(shot).items(), key=lambda item: (-item[1], item[0]))
    return [
        Reason(name, shot.values[name], contribution, reason_text(name, shot))
        for name, contribution in ranked[:top]
        if contribution > 0
    ]
