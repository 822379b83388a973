"""One scoring rule: an event type, conditions on its properties, points, an optional cap."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    field_validator,
    model_validator,
)

from schemas.events import EVENT_TYPES
from scoring.model.clock import DAY_US
from scoring.model.conditions import Condition, condition_problem


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _where(value: Any) -> Any:
    """`where: {field: {op: value, …}, …}` → a list of conditions."""
    if not isinstance(value, dict):
        return value
    return [
        {"field": field, "op": op, "value": operand}
        for field, ops in value.items()
        for op, operand in (ops.items() if isinstance(ops, dict) else [("==", ops)])
    ]


class Cap(Frozen):
    """At most `max_events` scoring events per lead per window (UTC-aligned; none = ever)."""

    max_events: int = Field(ge=1)
    window_days: PositiveFloat | None = None

    @cached_property
    def window_us(self) -> int | None:
        """A window's length in microseconds (None: one window for ever)."""
        return None if self.window_days is None else round(self.window_days * DAY_US)

    def window(self, at_us: int) -> int:
        """The window an event time falls in; windows are aligned on the epoch."""
        length = self.window_us
        return 0 if length is None else at_us // length

    def window_end_us(self, window: int) -> int | None:
        """Where a window ends, or None for the single lifetime window."""
        length = self.window_us
        return None if length is None else (window + 1) * length


class Rule(Frozen):
    """One scoring rule: an event type, conditions on its properties, points, cap and decay."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    description: str = ""
    event: str
    where: Annotated[tuple[Condition, ...], BeforeValidator(_where)] = ()
    points: float
    cap: Cap | None = None
    half_life_days: PositiveFloat | None = None
    decays: bool = True

    @field_validator("event")
    @classmethod
    def _known_event(cls, event: str) -> str:
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r} (known: {', '.join(EVENT_TYPES)})")
        return event

    @field_validator("points")
    @classmethod
    def _finite(cls, points: float) -> float:
        if not math.isfinite(points):
            raise ValueError("points must be a finite number")
        return points

    @model_validator(mode="after")
    def _conditions_fit_event(self) -> Self:
        for condition in self.where:
            if problem := condition_problem(self.event, condition):
                raise ValueError(f"where: {problem}")
        return self

    def matches(self, event_type: str, properties: BaseModel) -> bool:
        """Whether an event of this type with these properties scores under this rule."""
        return event_type == self.event and all(c.holds(properties) for c in self.where)
