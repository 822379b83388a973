"""Rule conditions on event properties: the operators, their load-time checks, and matching."""

from __future__ import annotations

import operator
from collections.abc import Callable
from enum import Enum
from typing import Any, Literal, Self, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator

from schemas.events import EVENT_MODELS

Scalar = bool | int | float | str
Op = Literal[">=", ">", "<", "<=", "==", "in", "contains"]
_NUMERIC = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
NUMERIC_OPS = frozenset(_NUMERIC)

PROPERTY_MODELS: dict[str, type[BaseModel]] = {
    kind: model.model_fields["properties"].annotation  # type: ignore[misc]
    for kind, model in EVENT_MODELS.items()
}
DERIVED_PROPERTIES: dict[str, dict[str, Any]] = {"communication_logged": {"is_effective": bool}}
OPEN_EVENT_TYPES = frozenset({"custom"})  # their properties allow any extra field


class Condition(BaseModel):
    """`field op value` on the event's properties; every condition of a rule must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    op: Op
    value: Scalar | tuple[Scalar, ...]

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        is_number = isinstance(self.value, int | float) and not isinstance(self.value, bool)
        if self.op in NUMERIC_OPS and not is_number:
            raise ValueError(f"{self.field}: {self.op!r} needs a number, got {self.value!r}")
        if self.op == "in" and not (isinstance(self.value, tuple) and self.value):
            raise ValueError(f"{self.field}: 'in' needs a non-empty list, got {self.value!r}")
        if self.op in ("==", "contains") and isinstance(self.value, tuple):
            raise ValueError(f"{self.field}: {self.op!r} needs a single value, got a list")
        return self

    def holds(self, properties: BaseModel) -> bool:
        """Whether the event's properties satisfy this condition (a missing property never does)."""
        actual = getattr(properties, self.field, None)
        if actual is None:
            return False
        match self.op:
            case "==":
                return bool(actual == self.value)
            case "in":
                return isinstance(self.value, tuple) and actual in self.value
            case "contains":
                return _contains(actual, self.value)
            case _:
                return _compare(self.op, actual, self.value)

    def test(self) -> Callable[[BaseModel], bool]:
        """`holds` as a closure specialised for this operator (the fold asks it for every event)."""
        name, value = self.field, self.value
        match self.op:
            case "==":
                return lambda p: (a := getattr(p, name, None)) is not None and bool(a == value)
            case "in":
                wanted = value if isinstance(value, tuple) else ()
                return lambda p: (a := getattr(p, name, None)) is not None and a in wanted
            case "contains":
                return lambda p: (a := getattr(p, name, None)) is not None and _contains(a, value)
            case op:
                compare = _NUMERIC[op]
                return lambda p: (
                    isinstance(a := getattr(p, name, None), int | float)
                    and not isinstance(a, bool)
                    and bool(compare(a, value))
                )


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(wanted, str) and wanted in actual
    return isinstance(actual, list | tuple | set | dict) and wanted in actual


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return bool(_NUMERIC[op](actual, wanted))


def property_types(event_type: str) -> dict[str, Any]:
    """The declared type of every property an event type carries (derived ones included)."""
    fields = PROPERTY_MODELS[event_type].model_fields
    declared = {name: info.annotation for name, info in fields.items()}
    return {**declared, **DERIVED_PROPERTIES.get(event_type, {})}


def condition_problem(event_type: str, condition: Condition) -> str | None:
    """Why a condition can never make sense for an event type, or None when it can."""
    if event_type in OPEN_EVENT_TYPES:
        return None
    types = property_types(event_type)
    if condition.field not in types:
        known = ", ".join(sorted(types)) or "none"
        return f"{condition.field!r} is not a property of {event_type} (known: {known})"
    options = [arg for arg in get_args(types[condition.field]) or (types[condition.field],)]
    if condition.op in NUMERIC_OPS and not any(arg in (int, float) for arg in options):
        return f"{condition.field}: {condition.op!r} needs a numeric property"
    allowed = _allowed_values(options)
    wanted = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    unknown = [value for value in wanted if allowed is not None and value not in allowed]
    if condition.op in ("==", "in") and unknown:
        return (
            f"{condition.field}: {unknown[0]!r} is not one of {', '.join(map(str, allowed or ()))}"
        )
    return None


def _allowed_values(options: list[Any]) -> tuple[Any, ...] | None:
    for option in options:
        if isinstance(option, type) and issubclass(option, Enum):
            return tuple(member.value for member in option)
        if get_origin(option) is Literal:
            return get_args(option)
    return None
