"""Stage gates: what a sales-stage move must carry (evidence, fields, an approval). Pure, no I/O
but reading the rules file.

A gate never blocks a move — the CRM owns the truth — it says what was missing; the projector
stores that with the change, the health check and the rep's process score count such a move as
a late update (docs/metrics.md, "Stage gates").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from funnel.model.rows import StageChangeRow
from funnel.model.stages import StageOrder

DEFAULT_GATES_PATH = Path(__file__).parents[1] / "default_gates.yaml"
GateField = Literal["amount", "currency", "owner", "previous_stage"]


class GatesError(ValueError):
    """A gates file that cannot be used; the message names the file and the field."""


class Gate(BaseModel):
    """What entering one stage requires."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence: tuple[str, ...] = ()
    fields: tuple[GateField, ...] = ()
    approval: bool = False


class Gates(BaseModel):
    """The versioned gates of every stage that has one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=100)
    stages: dict[str, Gate] = Field(default_factory=dict)

    def missing(
        self,
        stage: str,
        evidence: tuple[str, ...] | None,
        approved_by: str | None,
        values: Mapping[str, object],
    ) -> tuple[str, ...] | None:
        """What a move into `stage` lacked (`evidence:x`, `field:x`, `approval`), in the gate's
        order; () when it passed; None when it cannot be judged (a version-1 change declares no
        evidence)."""
        if evidence is None:
            return None
        gate = self.stages.get(stage)
        if gate is None:
            return ()
        lacking = [f"evidence:{kind}" for kind in gate.evidence if kind not in evidence]
        lacking += [f"field:{name}" for name in gate.fields if values.get(name) is None]
        if gate.approval and not approved_by:
            lacking.append("approval")
        return tuple(lacking)


NO_GATES = Gates(version="none")


def parse_gates(text: str, source: str = "<gates>") -> Gates:
    """Gates from YAML text, or a GatesError naming the source and the offending field."""
    try:
        data = yaml.safe_load(text)
        return Gates.model_validate(data if data is not None else {})
    except yaml.YAMLError as error:
        raise GatesError(f"{source}: not YAML: {error}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GatesError(f"{source}: {where}: {first['msg']}") from error


def judged(change: StageChangeRow, gates: Gates) -> StageChangeRow:
    """The change with what its stage's gate found missing (and under which gates version)."""
    values = {"amount": change.amount, "currency": change.currency, "owner": change.owner}
    values["previous_stage"] = change.previous_stage
    evidence = None if change.evidence is None else tuple(change.evidence)
    missing = gates.missing(change.stage, evidence, change.approved_by, values)
    version = None if missing is None else gates.version
    return replace(change, gate_missing=missing, gates_version=version)


def check_stages(gates: Gates, order: StageOrder) -> None:
    """Refuse gates on stages the configured stage list does not have (a typo never applies)."""
    known = _keys(order)
    unknown = sorted(set(gates.stages) - known)
    if unknown:
        raise GatesError(f"gates {gates.version}: unknown stages {unknown}; known: {sorted(known)}")


def load_gates(path: str | Path = "", order: StageOrder | None = None) -> Gates:
    """The gates file at `path`, checked against `order` if given; empty: the shipped file, for
    the default stages, keeping only the gates of stages that `order` has."""
    source = Path(path) if path else DEFAULT_GATES_PATH
    try:
        gates = parse_gates(source.read_text(encoding="utf-8"), str(source))
    except OSError as error:
        raise GatesError(f"{source}: cannot read the gates file: {error}") from error
    if order is not None and not path:
        known = _keys(order)
        gates = gates.model_copy(
            update={"stages": {k: g for k, g in gates.stages.items() if k in known}}
        )
    if order is not None:
        check_stages(gates, order)
    return gates


def _keys(order: StageOrder) -> set[str]:
    return {stage.key for stage in (*order.stages, order.won, order.lost)}
