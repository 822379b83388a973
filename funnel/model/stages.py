"""The standard sales process: stage order, Chinese labels, and how a stage change is classified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How an opportunity left a stage."""

    ADVANCED = "advanced"  # to a later open stage (skipping stages counts)
    WON = "won"
    LOST = "lost"
    REGRESSED = "regressed"  # back to an earlier stage, or to a stage the order does not know


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of the sales process with its display labels."""

    key: str
    label: str
    label_zh: str


FIRST_CONTACT = "first_contact"
NEEDS_CONFIRMED = "needs_confirmed"
DEMO = "demo"
QUOTE_NEGOTIATION = "quote_negotiation"
CONTRACT_APPROVAL = "contract_approval"
WON = "won"
LOST = "lost"


@dataclass(frozen=True, slots=True)
class StageOrder:
    """Open stages in process order, then the two terminal stages (won, lost)."""

    stages: tuple[Stage, ...]
    won: Stage
    lost: Stage

    @property
    def open_keys(self) -> tuple[str, ...]:
        """Keys of the open (non-terminal) stages, first stage first."""
        return tuple(stage.key for stage in self.stages)

    @property
    def first(self) -> str:
        """Key of the first stage, where new opportunities start."""
        return self.stages[0].key

    def is_terminal(self, stage: str) -> bool:
        """Whether the stage closes the opportunity (won or lost)."""
        return stage in (self.won.key, self.lost.key)

    def label_zh(self, stage: str) -> str:
        """The Chinese label of a stage, or its key when the order does not know it."""
        for known in (*self.stages, self.won, self.lost):
            if known.key == stage:
                return known.label_zh
        return stage

    def classify_exit(self, from_stage: str, to_stage: str) -> Outcome:
        """How leaving `from_stage` for `to_stage` counts: advanced, won, lost or regressed."""
        if to_stage == self.won.key:
            return Outcome.WON
        if to_stage == self.lost.key:
            return Outcome.LOST
        keys = self.open_keys
        known = from_stage in keys and to_stage in keys
        if known and keys.index(to_stage) > keys.index(from_stage):
            return Outcome.ADVANCED
        return Outcome.REGRESSED


DEFAULT_ORDER = StageOrder(
    stages=(
        Stage(FIRST_CONTACT, "First contact", "初步接触"),
        Stage(NEEDS_CONFIRMED, "Needs confirmed", "需求确认"),
        Stage(DEMO, "Demo", "方案演示"),
        Stage(QUOTE_NEGOTIATION, "Quote & negotiation", "报价谈判"),
        Stage(CONTRACT_APPROVAL, "Contract approval", "合同审批"),
    ),
    won=Stage(WON, "Won", "赢单"),
    lost=Stage(LOST, "Lost", "输单"),
)

_KNOWN = {
    stage.key: stage for stage in (*DEFAULT_ORDER.stages, DEFAULT_ORDER.won, DEFAULT_ORDER.lost)
}


def stage_order(keys: Sequence[str]) -> StageOrder:
    """The order of a configured stage list (`LEADFUNNEL_SALES_STAGES`): open stages in the
    order given, `won` and `lost` the terminal ones wherever they are listed. Known stages keep
    their labels; others are labelled by their key."""
    if WON not in keys or LOST not in keys:
        raise ValueError(f"the sales stages must include {WON!r} and {LOST!r}: {list(keys)}")
    if len(set(keys)) != len(keys):
        raise ValueError(f"a sales stage is listed twice: {list(keys)}")
    open_stages = tuple(
        _KNOWN.get(key) or Stage(key, key.replace("_", " ").capitalize(), key)
        for key in keys
        if key not in (WON, LOST)
    )
    if not open_stages:
        raise ValueError("the sales stages need at least one open stage before won and lost")
    if open_stages == DEFAULT_ORDER.stages:
        return DEFAULT_ORDER
    return StageOrder(open_stages, DEFAULT_ORDER.won, DEFAULT_ORDER.lost)
