"""Churn risk: features as of a cut-off (no leakage), labels, reasons, the model's JSON, alerts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from forecast.model.alerts import crossings
from forecast.model.assess import assess
from forecast.model.examples import labelled, lost_within, time_split
from forecast.model.features import FEATURES, Contact, History, open_snapshots
from forecast.model.logistic import RiskModel, reasons
from forecast.model.training import Plan, fit, train
from funnel.model.rows import StageIntervalRow
from schemas.outgoing import AlertKind
from services.risk.__main__ import main as risk_cli
from tests.support.demo_factories import NOW
from tests.support.helpers import days_from
from tests.support.risk_factories import demo_history

T0 = datetime(2026, 3, 1, tzinfo=UTC)


day = days_from(T0)


def stays_of(
    opportunity: str, *moves: tuple[str, float, float | None, str | None]
) -> list[StageIntervalRow]:
    return [
        StageIntervalRow(opportunity, stage, day(start), day(end) if end is not None else None,
                         outcome=outcome, owner="li", amount=50_000.0,
                         lead_id=f"lead-{opportunity}")
        for stage, start, end, outcome in moves
    ]  # fmt: skip


def history() -> History:
    """A deal A open in demo since day 10, past deals B and C setting the demo median (4 days)."""
    stays = [
        *stays_of("A", ("first_contact", 0, 3, "advanced"), ("needs_confirmed", 3, 6, "regressed"),
                  ("first_contact", 6, 10, "advanced"), ("demo", 10, 40, "lost")),
        *stays_of("B", ("demo", 0, 4, "advanced"), ("quote_negotiation", 4, 9, "won")),
        *stays_of("C", ("demo", 1, 5, "lost")),
    ]  # fmt: skip
    contacts = [
        Contact("lead-A", "A", day(2), True),
        Contact("lead-A", "A", day(8), False),  # ineffective: no follow-up in the article's sense
        Contact("lead-A", None, day(9), True),  # naming no deal: counts for the lead's deals
        Contact("lead-A", "A", day(30), True),  # after the cut-off below: unseen
    ]
    activity = {"lead-A": (day(1), day(2), day(8), day(20), day(31))}
    return History(tuple(stays), tuple(contacts), activity)


def test_features_of_an_open_deal_as_of_a_cut_off() -> None:
    [shot] = [s for s in open_snapshots(history(), day(21)) if s.opportunity_id == "A"]

    assert shot.stage == "demo" and shot.days_in_stage == 11
    assert shot.stage_median_days == 4  # B and C ended their demo stays in 4 days
    assert shot.values == {
        "days_since_effective_contact": 12,  # day 9, the lead-level one
        "silence_vs_median": 3,
        "stay_vs_median": 11 / 4,
        "effective_communications_14d": 1,  # day 9; day 2 is before the 14 days
        "ineffective_share": 1 / 3,
        "stage_regressions": 1,
        "opportunity_age_days": 21,
        "log_amount": pytest.approx(math.log10(50_000)),
        "stage_loss_rate": 0.5,
        "activity_trend_14d": 2 - 2,  # days 8 and 20 in the last 14 days, days 1 and 2 before
    }
    assert list(shot.values) == list(FEATURES)


def test_nothing_from_the_cut_off_on_changes_the_features() -> None:
    full = history()
    before = History(
        tuple(s if s.exited_at is None or s.exited_at < day(21)
              else StageIntervalRow(s.opportunity_id, s.stage, s.entered_at, owner=s.owner,
                                    amount=s.amount, lead_id=s.lead_id)
              for s in full.stays if s.entered_at < day(21)),
        tuple(c for c in full.contacts if c.occurred_at < day(21)),
        {k: tuple(t for t in v if t < day(21)) for k, v in full.activity.items()},
    )  # fmt: skip

    assert open_snapshots(full, day(21)) == open_snapshots(before, day(21))


def test_a_deal_is_open_only_between_its_first_entry_and_its_close() -> None:
    assert [s.opportunity_id for s in open_snapshots(history(), day(3.5))] == ["A", "B", "C"]
    assert [s.opportunity_id for s in open_snapshots(history(), day(9.5))] == ["A"]
    assert open_snapshots(history(), day(40.5)) == []


def test_labels_lost_within_the_horizon_only() -> None:
    a = stays_of("A", ("demo", 10, 40, "lost"))
    won = stays_of("B", ("demo", 0, 4, "advanced"), ("quote_negotiation", 4, 9, "won"))
    open_deal = stays_of("D", ("demo", 0, None, None))

    assert lost_within(a, day(21), timedelta(days=30))
    assert not lost_within(a, day(5), timedelta(days=30))  # lost after the horizon
    assert not lost_within(won, day(5), timedelta(days=30))
    assert not lost_within(open_deal, day(5), timedelta(days=30))


def test_training_cut_offs_end_a_horizon_before_the_held_out_ones() -> None:
    split = time_split(day(0), day(100), timedelta(days=7), timedelta(days=1), 0.3)

    assert max(split.train) + timedelta(days=7) <= split.split <= min(split.test)
    assert max(split.test) <= day(93)


def model_for(history_: History) -> RiskModel:
    examples = labelled(history_, [day(n) for n in range(4, 40)], timedelta(days=7))
    return fit(examples, T0, 7.0)


def test_reasons_are_readable_sentences_of_the_largest_contributions() -> None:
    model = RiskModel(
        "v1", T0, 7.0, FEATURES, tuple(0.0 for _ in FEATURES), tuple(1.0 for _ in FEATURES),
        tuple(1.0 if n in ("days_since_effective_contact", "stay_vs_median") else 0.0
              for n in FEATURES), -3.0,
    )  # fmt: skip
    [shot] = [s for s in open_snapshots(history(), day(30)) if s.opportunity_id == "A"]
    found = reasons(model, shot)

    assert [r.feature for r in found] == ["days_since_effective_contact", "stay_vs_median"]
    assert found[0].text == (
        "21 days since the last effective communication (stage median stay 4.0 days)"
    )
    assert found[1].text == "20 days in demo, 5.0× the stage's median of 4.0 days"
    assert found[0].contribution == pytest.approx(math.log1p(21))


def test_a_model_survives_its_json_round_trip() -> None:
    model = train(demo_history(600), NOW, NOW)
    stored = orjson.loads(orjson.dumps(model.to_json()))
    again = RiskModel.from_json(stored)
    shots = open_snapshots(demo_history(600), NOW)

    assert again == model and shots
    assert [again.risk(s) for s in shots] == [model.risk(s) for s in shots]
    with pytest.raises(ValueError, match="format"):
        RiskModel.from_json({**stored, "format": 99})


def test_the_version_is_the_training_time_and_a_hash_of_the_examples() -> None:
    one = train(demo_history(600), NOW, NOW)
    again = train(demo_history(600), NOW, NOW + timedelta(hours=1))

    assert one.version.startswith("20261127T120000Z-")
    assert one.version.split("-")[1] == again.version.split("-")[1]
    assert one.version != again.version


def test_on_held_out_later_cut_offs_the_model_beats_the_trivial_baselines() -> None:
    evaluation = train(demo_history(3000), NOW, NOW, Plan()).evaluation
    model, baseline = evaluation["model"], evaluation["baseline"]

    assert evaluation["test"]["examples"] > 1000 and evaluation["test"]["lost"] > 300
    assert model["auc"] > baseline["auc"] + 0.01 and model["auc"] > 0.8
    assert model["precision_at_k"] > baseline["precision_at_k"]
    assert model["precision_at_k"] > evaluation["base_rate"] + 0.3


def test_an_alert_once_per_crossing_of_the_bar() -> None:
    model = RiskModel(
        "v1", T0, 7.0, FEATURES, tuple(0.0 for _ in FEATURES), tuple(1.0 for _ in FEATURES),
        tuple(1.0 if n == "days_since_effective_contact" else 0.0 for n in FEATURES), -3.0,
    )  # fmt: skip
    h = history()

    def check(at: datetime, above: dict[str, datetime]) -> tuple[list[str], list[str]]:
        found = crossings([a for a in assess(model, h, at) if a.snapshot.opportunity_id == "A"],
                          above, 0.5, at)  # fmt: skip
        return [a.alert_id for a in found.alerts], list(found.ended)

    quiet = check(day(11), {})  # 2 days since the effective talk of day 9: below the bar
    crossed = check(day(29), {})  # 20 days of silence
    later = check(day(29.5), {"A": day(29)})
    talked = check(day(30.5), {"A": day(29)})  # effective talk on day 30: back below

    assert quiet == ([], [])
    assert crossed == ([f"{AlertKind.OPPORTUNITY_AT_RISK}:A:{day(29).isoformat()}"], [])
    assert later == ([], [])  # still above: no second alert
    assert talked == ([], ["A"])


def test_evaluate_demo_prints_the_model_against_the_baselines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert risk_cli(["evaluate-demo", "--leads", "600", "--now", NOW.isoformat()]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == f"demo: 600 leads, seed 42, as of {NOW.isoformat()}"
    assert lines[2].startswith("base rate (lost within the horizon) 0.")
    assert lines[3].startswith("model    AUC 0.") and "precision@10" in lines[3]
    assert lines[4].endswith("(days_since_effective_contact alone)")


@pytest.mark.parametrize(
    ("log_amount", "text"), [(0.0, "no amount known"), (5.0, "100,000"), (308.25, "10^308.2")]
)
def test_an_amount_of_any_size_reads_back_without_overflow(log_amount: float, text: str) -> None:
    from forecast.model.logistic import _amount_text

    assert text in _amount_text(log_amount)
