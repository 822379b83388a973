"""Tier criteria expressions: precedence, reasons, and errors that say where."""

from __future__ import annotations

import re

import pytest

from schemas.outgoing import Tier
from scoring.model.criteria import (
    AllOf,
    AnyOf,
    Compare,
    CriteriaError,
    Facts,
    names,
    parse,
    satisfied,
)


def facts(score: float = 0, tier: Tier = Tier.LEAD, **counts: int) -> Facts:
    return Facts(score=score, tier=tier, counts=counts)


def test_and_binds_tighter_than_or() -> None:
    expr = parse("a >= 1 or b >= 1 and c >= 1")
    assert isinstance(expr, AnyOf) and isinstance(expr.parts[1], AllOf)


def test_parentheses_group() -> None:
    expr = parse("(a >= 1 or b >= 1) and c >= 1")
    assert isinstance(expr, AllOf) and isinstance(expr.parts[0], AnyOf)


def test_names_lists_everything_read() -> None:
    assert names(parse("score >= 50 or (form_submitted >= 1 and video_watched >= 2)")) == {
        "score",
        "form_submitted",
        "video_watched",
    }


def test_reasons_are_the_comparisons_that_hold() -> None:
    expr = parse("score >= 50 or (form_submitted >= 1 and video_watched >= 2)")
    assert satisfied(expr, facts(10, form_submitted=1, video_watched=2)) == (
        "form_submitted >= 1",
        "video_watched >= 2",
    )
    assert satisfied(expr, facts(10, form_submitted=1, video_watched=1)) is None


def test_tier_compares_by_rank() -> None:
    expr = parse("tier >= mql and score >= 80")
    assert satisfied(expr, facts(85, Tier.MQL)) == ("tier >= mql", "score >= 80")
    assert satisfied(expr, facts(85, Tier.LEAD)) is None


def test_missing_counts_are_zero() -> None:
    assert satisfied(parse("demo_requested < 1"), facts()) == ("demo_requested < 1",)


def test_all_operators() -> None:
    results = [
        satisfied(Compare("score", op, 5.0), facts(5)) is not None
        for op in [">=", ">", "<=", "<", "=="]
    ]
    assert results == [True, False, True, False, True]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("score >=", "expected a value at the end"),
        ("score >= many", "'score' is compared with a number"),
        ("tier >= boss", "tier is compared with a tier name"),
        ("(score > 1", "expected ')'"),
        ("score > 1 or", "expected a name at the end"),
        ("score ! 3", "unexpected '! 3' at column 5"),
        ("score > 1 x", "unexpected 'x' at column 10"),
        ("score 1 1", "expected an operator after 'score'"),
    ],
)
def test_bad_expressions_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(CriteriaError, match=re.escape(fragment)):
        parse(text)
