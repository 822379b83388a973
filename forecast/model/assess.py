"""The risk of every open opportunity at a moment, with its top reasons. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forecast.model.features import History, Snapshot, open_snapshots
from forecast.model.logistic import Reason, RiskModel, reasons


@dataclass(frozen=True, slots=True)
class Assessment:
    """One open opportunity's risk of being lost within the model's horizon, and why."""

    snapshot: Snapshot
    risk: float
    reasons: tuple[Reason, ...]
    model_version: str

    def is_at_risk(self, bar: float) -> bool:
        """Whether the risk reaches the bar."""
        return self.risk >= bar

    def owner(self, lead_owners: Mapping[str, str]) -> str | None:
        """Who owns the deal: its lead's owner (`lead_owners`, from the read models), else the
        owner its stays name."""
        return lead_owners.get(self.snapshot.lead_id or "") or self.snapshot.owner


def assess(model: RiskModel, history: History, at: datetime, top: int = 3) -> list[Assessment]:
    """Every opportunity open at `at`, riskiest first (ties by opportunity id)."""
    found = [
        Assessment(shot, model.risk(shot), tuple(reasons(model, shot, top)), model.version)
        for shot in open_snapshots(history, at)
    ]
    return sorted(found, key=lambda a: (-a.risk, a.snapshot.opportunity_id))


def listed(a: Assessment) -> dict[str, Any]:
    """An assessment as the at-risk list shows it, but for what depends on the reader: the
    lead's owner now and the bar (`owner`, `at_risk`; docs/risk.md)."""
    shot = a.snapshot
    return {
        "opportunity_id": shot.opportunity_id,
        "lead_id": shot.lead_id,
        "stage": shot.stage,
        "days_in_stage": round(shot.days_in_stage, 2),
        "stage_median_days": round(shot.stage_median_days, 2),
        "risk": round(a.risk, 4),
        "reasons": [
            {"feature": r.feature, "value": r.value, "contribution": r.contribution, "text": r.text}
            for r in a.reasons
        ],
        "features": dict(shot.values),
    }
