"""Stage gates (funnel/model/gates.py): what a move into a stage lacked, judged only where it
can be."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.model.measures import updates_on_time
from funnel.model.gates import GatesError, check_stages, judged, load_gates, parse_gates
from funnel.model.intervals import opportunity_intervals
from funnel.model.periods import Period
from funnel.model.rows import StageChangeRow
from funnel.model.stages import DEFAULT_ORDER, stage_order

GATES = parse_gates(
    """
version: "t1"
stages:
  demo: {evidence: [needs_document]}
  contract_approval: {evidence: [quote], fields: [amount, currency], approval: true}
"""
)


def test_a_demo_without_its_needs_document_lacks_it() -> None:
    assert GATES.missing("demo", (), None, {}) == ("evidence:needs_document",)
    assert GATES.missing("demo", ("needs_document", "other"), None, {}) == ()


def test_every_lack_is_named_in_the_gates_order() -> None:
    lacking = GATES.missing("contract_approval", (), None, {"amount": None, "currency": "CNY"})
    assert lacking == ("evidence:quote", "field:amount", "approval")
    passed = GATES.missing(
        "contract_approval", ("quote",), "boss", {"amount": 1, "currency": "CNY"}
    )
    assert passed == ()


def test_a_stage_without_a_gate_passes_and_a_version_1_change_is_not_judged() -> None:
    assert GATES.missing("first_contact", (), None, {}) == ()
    assert GATES.missing("demo", None, None, {}) is None  # version 1 could not say


def test_the_shipped_gates_name_only_known_stages_and_the_articles_demo_gate() -> None:
    gates = load_gates()
    check_stages(gates, DEFAULT_ORDER)
    assert "needs_document" in gates.stages["demo"].evidence


def test_a_gate_on_an_unknown_stage_or_field_is_refused_naming_it() -> None:
    typo = parse_gates('version: "t"\nstages: {dmeo: {evidence: [x]}}')
    with pytest.raises(GatesError, match="dmeo"):
        check_stages(typo, DEFAULT_ORDER)
    with pytest.raises(GatesError, match=r"stages\.demo\.fields"):
        parse_gates('version: "t"\nstages: {demo: {fields: [colour]}}', "g.yaml")
    with pytest.raises(GatesError, match=r"g\.yaml"):
        parse_gates("version: [", "g.yaml")
    check_stages(
        parse_gates('version: "t"\nstages: {pilot: {}}'), stage_order(["pilot", "won", "lost"])
    )


@given(
    required=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True),
    attached=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), unique=True),
)
def test_what_is_missing_is_exactly_the_required_evidence_not_attached(
    required: list[str], attached: list[str]
) -> None:
    gates = parse_gates(f'version: "p"\nstages: {{demo: {{evidence: {required}}}}}')
    lacking = gates.missing("demo", tuple(attached), None, {})
    assert lacking is not None
    assert {item.removeprefix("evidence:") for item in lacking} == set(required) - set(attached)


def test_the_shipped_gates_keep_only_the_stages_a_custom_list_has(tmp_path: Path) -> None:
    custom = stage_order(["first_contact", "demo", "won", "lost"])
    assert set(load_gates("", custom).stages) == {"demo", "won"}
    chosen = tmp_path / "gates.yaml"
    chosen.write_text('version: "mine"\nstages: {quote_negotiation: {approval: true}}')
    with pytest.raises(GatesError, match="quote_negotiation"):
        load_gates(chosen, custom)  # a file of one's own is checked strictly
    with pytest.raises(GatesError, match="cannot read"):
        load_gates(tmp_path / "missing.yaml")


def change(stage: str, at: datetime, evidence: tuple[str, ...] | None) -> StageChangeRow:
    return StageChangeRow(
        event_id=f"e-{stage}",
        opportunity_id="O1",
        lead_id="L1",
        stage=stage,
        previous_stage=None,
        owner="li",
        amount=None,
        currency=None,
        lost_reason=None,
        occurred_at=at,
        evidence=evidence,
    )


def test_a_stay_left_by_a_move_past_its_gate_is_a_late_update() -> None:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    moves = [judged(change("first_contact", t0, ()), GATES)]
    moves.append(judged(change("demo", t0 + timedelta(days=2), ()), GATES))
    assert moves[1].gate_missing == ("evidence:needs_document",) and moves[1].gates_version == "t1"
    stays = opportunity_intervals(moves)
    assert stays[0].exit_gate_missing == ("evidence:needs_document",)
    window = Period(t0, t0 + timedelta(days=30))
    late = updates_on_time(stays[:1], window, window.end, {}, 3.0)  # left within its SLA
    assert (late.numerator, late.denominator) == (0, 1)
    passed = [moves[0], judged(replace(moves[1], evidence=("needs_document",)), GATES)]
    on_time = updates_on_time(opportunity_intervals(passed)[:1], window, window.end, {}, 3.0)
    assert (on_time.numerator, on_time.denominator) == (1, 1)
    unjudged = [moves[0], judged(replace(moves[1], evidence=None), GATES)]  # version 1
    assert judged(unjudged[1], GATES).gate_missing is None
    assert (
        updates_on_time(opportunity_intervals(unjudged)[:1], window, window.end, {}, 3.0).numerator
        == 1
    )
