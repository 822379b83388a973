"""A lead's score over time, replayed from its timeline through the scoring fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scoring.model.rules import default_rules
from services.dashboard.history import score_history

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def row(n: int, kind: str, days: float, **properties: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "type": kind,
        "channel": "website",
        "campaign": None,
        "occurred_at": T0 + timedelta(days=days),
        "properties": properties,
    }


TRAIL = [
    row(1, "page_viewed", 0, url="https://x.cn/", dwell_seconds=30),
    row(2, "form_submitted", 1, form_id="contact"),
    row(3, "video_watched", 2, video_id="v", percent=80),
    row(4, "video_watched", 2.1, video_id="v", percent=90),
    row(5, "demo_requested", 5),
]


def test_the_score_steps_up_at_each_event_and_tiers_follow_the_rules() -> None:
    points = score_history("lead_x", TRAIL, default_rules(), T0 + timedelta(days=5))

    at_events = [p for p in points if p.event_id]
    assert [p.event_id for p in at_events] == ["e1", "e2", "e3", "e4", "e5"]
    assert [p.tier for p in at_events] == ["lead", "lead", "lead", "mql", "sql"]
    assert at_events[-1].score == pytest.approx(
        at_events[-2].score * 0.5 ** (2.9 / 30) + 40, abs=0.1
    )


def test_between_events_and_after_the_last_the_score_decays() -> None:
    until = T0 + timedelta(days=65)
    points = score_history("lead_x", TRAIL, default_rules(), until)

    after = [p for p in points if p.at > T0 + timedelta(days=5)]
    assert after and all(p.event_id is None for p in after)
    assert [p.score for p in after] == sorted((p.score for p in after), reverse=True)
    assert points[-1].at == until
    assert points[-1].score == pytest.approx(points[-len(after) - 1].score / 4, rel=0.02)


def test_rows_that_no_longer_validate_and_duplicates_are_skipped() -> None:
    broken = {**row(9, "page_viewed", 3), "properties": {"dwell_seconds": -1}}
    points = score_history("lead_x", [*TRAIL, TRAIL[1], broken], default_rules(), T0)

    assert [p.event_id for p in points if p.event_id] == ["e1", "e2", "e3", "e4", "e5"]


def test_no_events_no_points() -> None:
    assert score_history("lead_x", [], default_rules(), T0) == []
