"""Tier criteria: a tiny boolean language over score, tier and behaviour counts, parsed once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from schemas.outgoing import Tier

TIER_ORDER: tuple[Tier, ...] = tuple(Tier)
RANK: dict[Tier, int] = {tier: rank for rank, tier in enumerate(TIER_ORDER)}
_TOKEN = re.compile(r"\s*(?:(\(|\)|>=|<=|==|>|<)|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w:.-]*))")


class CriteriaError(ValueError):
    """A tier expression that does not parse; the message names the position."""


@dataclass(frozen=True, slots=True)
class Compare:
    """`name op value`: name is `score`, `tier` or a behaviour count (event type or rule id)."""

    name: str
    op: str
    value: float

    def text(self) -> str:
        """The comparison as written, tiers by name."""
        shown = TIER_ORDER[int(self.value)].value if self.name == "tier" else f"{self.value:g}"
        return f"{self.name} {self.op} {shown}"


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Expr, ...]


Expr = Compare | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Facts:
    """What criteria are evaluated against: the rounded score, tier so far, behaviour counts."""

    score: float
    tier: Tier
    counts: Mapping[str, int]

    def value(self, name: str) -> float:
        """The current value of a name used in an expression (missing counts are 0)."""
        if name == "score":
            return self.score
        if name == "tier":
            return RANK[self.tier]
        return self.counts.get(name, 0)


def _tokens(text: str) -> list[tuple[int, str]]:
    found, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise CriteriaError(f"unexpected {text[position:].strip()[:10]!r} at column {position}")
        found.append((match.start(match.lastindex or 0), match.group(match.lastindex or 0)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, what: str) -> str:
        token = self.peek()
        if token is None:
            raise CriteriaError(f"expected {what} at the end")
        self.at += 1
        return token

    def any_of(self) -> Expr:
        parts = [self.all_of()]
        while self.peek() == "or":
            self.at += 1
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all_of(self) -> Expr:
        parts = [self.atom()]
        while self.peek() == "and":
            self.at += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def atom(self) -> Expr:
        if self.peek() == "(":
            self.at += 1
            inner = self.any_of()
            if self.take("')'") != ")":
                raise CriteriaError(f"expected ')' at column {self.tokens[self.at - 1][0]}")
            return inner
        name = self.take("a name")
        if not (name[0].isalpha() or name[0] == "_"):
            raise CriteriaError(f"expected a name, got {name!r}")
        op, raw = self.take("an operator"), self.take("a value")
        if op not in (">=", "<=", "==", ">", "<"):
            raise CriteriaError(f"expected an operator after {name!r}, got {op!r}")
        return Compare(name, op, _value(name, raw))


def _value(name: str, raw: str) -> float:
    if name == "tier":
        if raw not in Tier._value2member_map_:
            raise CriteriaError(f"tier is compared with a tier name, got {raw!r}")
        return RANK[Tier(raw)]
    try:
        return float(raw)
    except ValueError:
        raise CriteriaError(f"{name!r} is compared with a number, got {raw!r}") from None


def parse(text: str) -> Expr:
    """Parse `score >= 50 or (form_submitted >= 1 and video_watched >= 2)`; `and` binds tighter."""
    parser = _Parser(text)
    expr = parser.any_of()
    if parser.peek() is not None:
        raise CriteriaError(f"unexpected {parser.peek()!r} at column {parser.tokens[parser.at][0]}")
    return expr


def names(expr: Expr) -> set[str]:
    """Every name an expression reads."""
    match expr:
        case Compare(name=name):
            return {name}
        case AllOf(parts=parts) | AnyOf(parts=parts):
            return set().union(*(names(part) for part in parts))


_OPS = {
    ">=": float.__ge__,
    "<=": float.__le__,
    "==": float.__eq__,
    ">": float.__gt__,
    "<": float.__lt__,
}


def satisfied(expr: Expr, facts: Facts) -> tuple[str, ...] | None:
    """The comparisons that make the expression true (first true branch of an `or`), else None."""
    match expr:
        case Compare(name=name, op=op):
            return (expr.text(),) if _OPS[op](float(facts.value(name)), expr.value) else None
        case AllOf(parts=parts):
            reasons: tuple[str, ...] = ()
            for part in parts:
                found = satisfied(part, facts)
                if found is None:
                    return None
                reasons += found
            return reasons
        case AnyOf(parts=parts):
            return next((r for part in parts if (r := satisfied(part, facts)) is not None), None)


# (score, tier rank so far, event counts, rule counts) -> the comparisons that hold, or None
Check = Callable[[float, int, Mapping[str, int], Mapping[str, int]], tuple[str, ...] | None]


def compile_expr(expr: Expr) -> Check:
    """`satisfied` as nested closures, built once per rule set (the fold asks on every event).

    Counts are read from event counts, then rule counts: names are one or the other, never both
    (a rule id must not be an event type).
    """
    match expr:
        case Compare(name=name, op=op, value=value):
            return _compare(name, _OPS[op], value, (expr.text(),))
        case AllOf(parts=parts):
            return _all_of(tuple(compile_expr(part) for part in parts))
        case AnyOf(parts=parts):
            return _any_of(tuple(compile_expr(part) for part in parts))


def _compare(
    name: str, op: Callable[[float, float], bool], value: float, reasons: tuple[str, ...]
) -> Check:
    if name == "score":
        return lambda score, rank, events, rules: reasons if op(score, value) else None
    if name == "tier":
        return lambda score, rank, events, rules: reasons if op(float(rank), value) else None

    def count(
        score: float, rank: int, events: Mapping[str, int], rules: Mapping[str, int]
    ) -> tuple[str, ...] | None:
        found = events.get(name)
        return reasons if op(float(rules.get(name, 0) if found is None else found), value) else None

    return count


def _all_of(parts: tuple[Check, ...]) -> Check:
    def check(
        score: float, rank: int, events: Mapping[str, int], rules: Mapping[str, int]
    ) -> tuple[str, ...] | None:
        reasons: tuple[str, ...] = ()
        for part in parts:
            found = part(score, rank, events, rules)
            if found is None:
                return None
            reasons += found
        return reasons

    return check


def _any_of(parts: tuple[Check, ...]) -> Check:
    def check(
        score: float, rank: int, events: Mapping[str, int], rules: Mapping[str, int]
    ) -> tuple[str, ...] | None:
        for part in parts:
            found = part(score, rank, events, rules)
            if found is not None:
                return found
        return None

    return check
