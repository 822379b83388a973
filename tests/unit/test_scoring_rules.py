"""Loading rules files: the default set, and precise errors for bad ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scoring.model.rules import RulesError, default_rules, load_rules, parse_rules
from tests.unit.scoring_factories import rules_from

DOCS = Path(__file__).parents[2] / "docs" / "scoring.md"

GOOD_RULE = """
rules:
  - id: read
    event: page_viewed
    where: {dwell_seconds: {">=": 60}}
    points: 3
tiers:
  mql: score >= 50
"""


def error_of(body: str) -> str:
    with pytest.raises(RulesError) as raised:
        rules_from(body)
    return str(raised.value)


def test_default_rules_load_with_a_version_and_all_tiers() -> None:
    rules = default_rules()
    assert rules.version and {t.value for t in rules.tiers} == {"mql", "sql", "opportunity"}


def test_every_default_rule_is_documented() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    missing = [r.id for r in default_rules().rules if f"`{r.id}`" not in documented]
    assert missing == []


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('version: "v9"\n' + GOOD_RULE, encoding="utf-8")
    rules = load_rules(path)
    assert rules.version == "v9" and rules.rules[0].where[0].op == ">="


def test_rules_are_frozen() -> None:
    rules = rules_from(GOOD_RULE)
    with pytest.raises(ValueError):
        rules.rules[0].points = 5  # type: ignore[misc]


def test_unknown_event_type_names_the_rule() -> None:
    message = error_of(GOOD_RULE.replace("event: page_viewed", "event: page_view"))
    assert "rule 'read' (#1)" in message and "unknown event type 'page_view'" in message


def test_unknown_property_names_the_rule_and_the_field() -> None:
    message = error_of(GOOD_RULE.replace("dwell_seconds", "dwel_seconds"))
    assert "rule 'read'" in message and "'dwel_seconds' is not a property of page_viewed" in message


def test_numeric_operator_on_a_text_property_is_rejected() -> None:
    message = error_of(GOOD_RULE.replace('dwell_seconds: {">=": 60}', 'url: {">=": 60}'))
    assert "url: '>=' needs a numeric property" in message


def test_numeric_operator_needs_a_number() -> None:
    message = error_of(GOOD_RULE.replace('{">=": 60}', '{">=": "sixty"}'))
    assert "dwell_seconds: '>=' needs a number" in message


def test_misspelt_asset_kind_lists_the_allowed_kinds() -> None:
    body = GOOD_RULE.replace("event: page_viewed", "event: asset_downloaded").replace(
        'dwell_seconds: {">=": 60}', "asset_kind: {in: [pricelist]}"
    )
    message = error_of(body)
    assert "'pricelist' is not one of" in message and "price_list" in message


def test_in_needs_a_list() -> None:
    assert "'in' needs a non-empty list" in error_of(GOOD_RULE.replace('">=": 60', "in: 60"))


def test_unknown_operator_is_rejected_with_the_rule_named() -> None:
    message = error_of(GOOD_RULE.replace('">="', '"=>"'))
    assert "rule 'read'" in message and "where.0.op" in message


def test_points_must_be_a_number() -> None:
    message = error_of(GOOD_RULE.replace("points: 3", "points: lots"))
    assert "rule 'read'" in message and "points" in message


def test_missing_points_names_the_field() -> None:
    assert "points: Field required" in error_of(GOOD_RULE.replace("    points: 3\n", ""))


def test_cap_needs_at_least_one_event() -> None:
    body = GOOD_RULE.replace("points: 3", "points: 3\n    cap: {max_events: 0, window_days: 1}")
    assert "cap.max_events" in error_of(body)


def test_unknown_rule_field_is_rejected() -> None:
    assert "pionts" in error_of(GOOD_RULE.replace("points: 3", "points: 3\n    pionts: 4"))


def test_duplicate_rule_ids_are_rejected() -> None:
    rule = GOOD_RULE.split("rules:\n")[1].split("tiers:")[0]
    body = "rules:\n" + rule + rule + "tiers:\n  mql: score >= 50\n"
    assert "rule 'read' is defined twice" in error_of(body)


def test_rule_id_must_not_shadow_an_event_type() -> None:
    assert "must not be an event type" in error_of(GOOD_RULE.replace("id: read", "id: page_viewed"))


def test_tier_expression_with_an_unknown_name_is_rejected() -> None:
    message = error_of(GOOD_RULE.replace("score >= 50", "scroe >= 50"))
    assert "tiers.mql: unknown name 'scroe'" in message


def test_tier_expression_that_does_not_parse_says_where() -> None:
    assert re.search(r"tiers\.mql.*expected", error_of(GOOD_RULE.replace(">= 50", ">=")))


def test_tier_may_not_depend_on_itself() -> None:
    message = error_of(GOOD_RULE.replace("score >= 50", "tier >= mql and score >= 50"))
    assert "may only compare tier with lower tiers" in message


def test_lead_tier_takes_no_criteria() -> None:
    assert "'lead' is the starting tier" in error_of(GOOD_RULE + "  lead: score >= 0\n")


def test_bad_yaml_is_reported_as_such() -> None:
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules("rules: [unclosed", source="x.yaml")


def test_a_file_without_rules_is_rejected() -> None:
    with pytest.raises(RulesError, match=r"x\.yaml: expected a mapping with a 'rules' list"):
        parse_rules("version: v1\n", source="x.yaml")


def test_missing_version_is_rejected() -> None:
    with pytest.raises(RulesError, match="version"):
        parse_rules(GOOD_RULE, source="x.yaml")


def test_rule_half_life_overrides_the_global_one_and_decays_false_disables_it() -> None:
    body = GOOD_RULE.replace("rules:", "decay: {half_life_days: 10}\nrules:") + (
        "  # extra rules\n"
    )
    body = body.replace(
        "tiers:",
        "  - {id: quick, event: form_submitted, points: 1, half_life_days: 2}\n"
        "  - {id: fixed, event: demo_requested, points: 1, decays: false}\ntiers:",
    )
    assert rules_from(body).half_lives == {"read": 10, "quick": 2, "fixed": None}
